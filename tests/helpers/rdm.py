"""Devolutions RDM ``.rdm`` exports written like RDM writes them (XmlSerializer style), for the tests.

``safe_password`` is the exact inverse of the importer's decryption, written independently (its own
PKCS#7 padding): 3DES-EDE2 in ECB with the fixed key of the settings block (tijldeneut's RDM
decryptor; verified on real exports). An ``Entry`` is one ``<Connection>``; ``export`` wraps them
in ``<ArrayOfConnection>`` (or the inferred ``<RDMExport><Connections>``).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

KEYS = {
    "Terminal": "a2ad48052935e0a4267e7093a4729845",
    "RDP": "7e3aae8f0f93945cfc6dc9952c66c87f",
    "VNC": "84d9128026a77dd3a102b64326bbbb7f",
    "Host": "36841b0915f1c9dac6f2cfbe3100948f",
}

# Public vectors: real exports in mRemoteNG/mRemoteNG branch feature/rdm_import @756950ff,
# mRemoteNGTests/Resources/{ssh,telnet,rdp,vnc}.rdm (the block, the stored value, its plaintext).
VECTORS = [
    ("Terminal", "/et4Enc7v6HUQXJP6chuhA==", "linuxpassword1"),  # ssh.rdm Terminal/SafePassword
    ("Terminal", "yLHh9AVRl8TilluPKnidMw==", "password1"),  # telnet.rdm Terminal/SafePassword
    ("RDP", "tW7TUhUf1KUzuzuAdANJvg==", "password1"),  # rdp.rdm RDP/SafePassword
    ("RDP", "kLaEwH4EDrZEaaK21HgqHg==", "rdpassword1"),  # rdp.rdm RDP/GatewaySafePassword
    ("VNC", "oGzaL3q/dK17YQ5XXK5LFQ==", "vncpassword1"),  # vnc.rdm VNC/SafePassword
    ("VNC", "bUWiWCi7qod7YQ5XXK5LFQ==", "winpassword1"),  # vnc.rdm VNC/MsSafePassword
]
# ssh.rdm MetaInformation/PasswordHistory values: old passwords under another key, never the password.
HISTORY_VALUES = ["rV4oZM9LrfZ6SYHIlwTwvA==", "rV4oZM9LrfbUvSh5Y2lNDw=="]


def safe_password(plaintext: str, block: str = "Terminal") -> str:
    key = bytes.fromhex(KEYS[block])
    raw = plaintext.encode("utf-8")
    pad = 8 - len(raw) % 8
    enc = Cipher(TripleDES(key + key[:8]), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(raw + bytes([pad]) * pad) + enc.finalize()).decode("ascii")


def _element(name: str, value, indent: str) -> str:
    if isinstance(value, dict):
        inner = "".join(_element(k, v, indent + "  ") for k, v in value.items() if v is not None)
        return f"{indent}<{name}>\r\n{inner}{indent}</{name}>\r\n" if inner else f"{indent}<{name} />\r\n"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{indent}<{name}>{escape(str(value))}</{name}>\r\n"


@dataclass
class Entry:
    """One ``<Connection>``: top-level values, then blocks (dicts) like ``Terminal``."""

    kind: str
    name: str | None
    id: str | None = field(default_factory=lambda: str(uuid.uuid4()))
    values: dict = field(default_factory=dict)

    def xml(self, indent: str) -> str:
        top = {"ConnectionType": self.kind, "ID": self.id, "Name": self.name, **self.values}
        body = "".join(_element(k, v, indent + "  ") for k, v in top.items() if v is not None)
        return f"{indent}<Connection>\r\n{body}{indent}</Connection>\r\n"


def ssh(name: str, host: str, *, port=None, user=None, password=None, group=None, description=None, **terminal):
    block = {"Host": host, "HostPort": port, "Username": user, **terminal}
    if password is not None:
        block["SafePassword"] = safe_password(password)
    values = {"Description": description, "Group": group, "Terminal": block}
    return Entry("SSHShell", name, values={k: v for k, v in values.items() if v is not None})


def export(entries: list[Entry], *, root: str = "ArrayOfConnection", bom: bool = True) -> bytes:
    if root == "RDMExport":
        inner = "".join(e.xml("    ") for e in entries)
        text = f'<?xml version="1.0"?>\r\n<RDMExport>\r\n  <Connections>\r\n{inner}  </Connections>\r\n</RDMExport>\r\n'
    else:
        inner = "".join(e.xml("  ") for e in entries)
        text = f'<?xml version="1.0"?>\r\n<{root}>\r\n{inner}</{root}>\r\n'
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_samples(folder) -> None:
    """samples/rdm/export.rdm (see its README.md)."""
    from pathlib import Path

    entries = [
        Entry("Group", "Linux", id="0b8a7c1e-5f1d-4a8e-9a77-3f0c2a1b0001", values={"Group": "Linux"}),
        Entry("Group", "Web", id="0b8a7c1e-5f1d-4a8e-9a77-3f0c2a1b0002", values={"Group": "Linux\\Web"}),
        ssh(
            "web-01",
            "10.30.0.11",
            port=22,
            user="deploy",
            password="rdm-Secret-1",
            group="Linux\\Web",
            description="front end",
            PrivateKeyPromptForPassPhrase=False,
        ),
        ssh("web-02", "10.30.0.12", port=2222, user="deploy", password="rdm-Secret-1", group="Linux\\Web"),
        ssh("db-01", "10.30.1.5", user="postgres", group="Linux", PrivateKeyFileName="C:\\Users\\ops\\.ssh\\id_db"),
        Entry(
            "RDPConfigured",
            "win-01",
            values={
                "Group": "Windows",
                "Url": "10.30.2.2:3389",
                "RDP": {"UserName": "admin", "SafePassword": safe_password("w", "RDP")},
            },
        ),
        Entry("Telnet", "switch-01", values={"Group": "Network", "Terminal": {"Host": "10.30.3.1", "HostPort": 23}}),
    ]
    for i, entry in enumerate(entries[2:], start=3):
        entry.id = f"0b8a7c1e-5f1d-4a8e-9a77-3f0c2a1b{i:04d}"
    Path(folder, "export.rdm").write_bytes(export(entries))
