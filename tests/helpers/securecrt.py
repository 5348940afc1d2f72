"""Writing SecureCRT configurations for tests with SecureCRT's real algorithms.

Passwords are encrypted as SecureCRT does (HyperSine's reverse engineering, checked against its
public vectors): the old Blowfish ``Password``, ``Password V2`` ``02:`` (AES-256-CBC, key
SHA-256(passphrase)) and ``03:`` (AES-256-CBC, key and IV from bcrypt_pbkdf(passphrase, salt, 16
rounds)), with random padding and, unless a test fixes it, random salts. Session files are written
in every layout SecureCRT and its readers produce: UTF-8 with or without a BOM, UTF-16 with a BOM,
CRLF or LF; the XML export with decimal dwords.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from migrator.sources.securecrt.bcrypt_pbkdf import derive
from migrator.sources.securecrt.blowfish import blowfish_cbc
from migrator.sources.securecrt.crypto import KEY_INNER, KEY_OUTER

#: Public test vectors [HyperSine/how-does-SecureCRT-encrypt-password, README.md and
#: doc/how-does-SecureCRT-encrypt-password.md]: (stored value, passphrase, plaintext).
PUBLIC_VECTORS = [
    (
        "uc71bd1c86f3b804e42432f53247c50d9287f410c7e59166969acab69daa6eaadbe15c0c54c0e076e945a6d82f9e13df2",
        None,
        "DoubleLabyrinth",
    ),
    (
        "u17cf50e394ecc2a06fa8919e1bd67cf0f37da34c78e7eb87a3a9a787a9785e802dd0eae4e8039c3ce234d34bfe28bbdc",
        None,
        "DoubleLabyrinth",
    ),
    (
        "02:7b9f594a1f39bb36bbaa0d9688ee38b3d233c67b338e20e2113f2ba4d328b6fc8c804e3c02324b1eaad57a5b96ac1fc5cc1ae0"
        "ee2930e6af2e5e644a28ebe3fc",
        "",
        "DoubleLabyrinth",
    ),
    (
        "03:7f59810d05b03f8e49b96e091dad49cb474c2e8435a5dbe53fc5d1e7aa228a8df8938cb01a7dd0c72cc361595ef5c2b675d8b2a"
        "64663776b95b065fec9b0fc36f168ffe3ae6fdedc3e1897389609536f",
        "",
        "Hypersine",
    ),
]

#: The salt of every 03 value a test writes unless it gives one: SecureCRT itself uses one salt per
#: configuration, and a pure-Python derivation with the empty passphrase (several seconds) is then
#: done once per process. It is the salt of the public 03 vector, whose derivation is needed anyway.
SHARED_SALT = bytes.fromhex("7f59810d05b03f8e49b96e091dad49cb")


def encrypt_legacy(password: str, upper_u: bool = False) -> str:
    body = password.encode("utf-16-le") + b"\0\0"
    body += os.urandom(8 - len(body) % 8)
    inner = blowfish_cbc(KEY_INNER, body, decrypt=False)
    outer = blowfish_cbc(KEY_OUTER, os.urandom(4) + inner + os.urandom(4), decrypt=False)
    return ("U" if upper_u else "u") + outer.hex()


def _frame(password: str) -> bytes:
    data = password.encode("utf-8")
    framed = struct.pack("<I", len(data)) + data + hashlib.sha256(data).digest()
    pad = 16 - len(framed) % 16
    if pad < 8:
        pad += 16
    return framed + os.urandom(pad)


def _aes(key: bytes, iv: bytes, data: bytes) -> bytes:
    op = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return op.update(data) + op.finalize()


def encrypt_v2(password: str, passphrase: str = "", prefix: str = "03", salt: bytes | None = None) -> str:
    secret = passphrase.encode("utf-8")
    if prefix == "02":
        return "02:" + _aes(hashlib.sha256(secret).digest(), bytes(16), _frame(password)).hex()
    salt = salt if salt is not None else SHARED_SALT
    material = derive(secret, salt, 48, 16)
    return "03:" + (salt + _aes(material[:32], material[32:], _frame(password))).hex()


def session_settings(
    host: str,
    *,
    user: str = "",
    port: int = 22,
    protocol: str = "SSH2",
    password: str | None = None,
    firewall: str = "None",
    description: list[str] | None = None,
    key: str = "",
    extra: dict | None = None,
) -> dict:
    """The settings SecureCRT saves for a session (a realistic subset, in SecureCRT's order and kinds)."""
    port_name = f"[{protocol}] Port" if protocol in ("SSH2", "SSH1") else "Port"
    out: dict = {
        port_name: port,
        "ANSI Color": 1,
        "Normal Font v2": bytes.fromhex("f3ffffff000000000000000000000000"),
        "Credential Title": "",
        "Description": description or [],
        "Firewall Name": firewall,
        "Hostname": host,
        "Identity Filename V2": key,
        "Is Session": 1,
        "Password V2": password if password is not None else "",
        "Port Forward Table V3": [],
        "Protocol Name": protocol,
        "Session Password Saved": 1 if password else 0,
        "SSH2 Authentications V2": "publickey,keyboard-interactive,password",
        "Use Global Public Key": 0,
        "Username": user,
    }
    out.update(extra or {})
    return out


def ini_bytes(settings: dict, *, encoding: str = "utf-8-sig", newline: str = "\r\n") -> bytes:
    """A session file: ``S:`` text, ``D:`` 8-digit hex, ``Z:`` hex count + one line each, ``B:`` hex lines."""
    lines = []
    for name, value in settings.items():
        if isinstance(value, bool) or isinstance(value, int):
            lines.append(f'D:"{name}"={int(value) & 0xFFFFFFFF:08x}')
        elif isinstance(value, list):
            lines.append(f'Z:"{name}"={len(value):08x}')
            lines.extend(" " + item for item in value)
        elif isinstance(value, bytes):
            lines.append(f'B:"{name}"={len(value):08x}')
            for i in range(0, len(value), 16):
                lines.append(" " + " ".join(f"{b:02x}" for b in value[i : i + 16]))
        else:
            lines.append(f'S:"{name}"={value}')
    text = newline.join(lines) + newline
    if encoding == "utf-16":
        return text.encode("utf-16")  # with its BOM, in the machine's byte order (little-endian here)
    return text.encode(encoding)


def write_config(
    root: Path,
    sessions: dict[str, dict],
    *,
    passphrase_check: str | None = None,
    global_key: str | None = None,
    encoding: str = "utf-8-sig",
    newline: str = "\r\n",
    templates: bool = True,
    config_name: str = "Config",
) -> Path:
    """``root/Config`` with ``Sessions/<path>.ini`` for each ``"Folder/Sub/name": settings``; returns Config."""
    config = root / config_name
    sessions_dir = config / "Sessions"
    sessions_dir.mkdir(parents=True, exist_ok=True)
    if templates:
        (sessions_dir / "Default.ini").write_bytes(ini_bytes(session_settings(""), encoding=encoding, newline=newline))
        (sessions_dir / "Default_LocalShell.ini").write_bytes(
            ini_bytes({"Protocol Name": "Local Shell"}, encoding=encoding, newline=newline)
        )
    folders: dict[Path, list[str]] = {}
    for path, settings in sessions.items():
        file = sessions_dir / (path + ".ini")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(ini_bytes(settings, encoding=encoding, newline=newline))
        folders.setdefault(file.parent, []).append(file.stem)
    for folder, names in folders.items():
        subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
        (folder / "__FolderData__.ini").write_bytes(
            ini_bytes(
                {"Folder List": ":".join(subfolders) + ":", "Session List": ":".join(names) + ":", "Is Expanded": 1},
                encoding=encoding,
                newline=newline,
            )
        )
    global_settings: dict = {"Hide Toolbar": 0}
    if passphrase_check is not None:
        global_settings["Config Passphrase"] = passphrase_check
    (config / "Global.ini").write_bytes(ini_bytes(global_settings, encoding=encoding, newline=newline))
    if global_key is not None:
        (config / "SSH2.ini").write_bytes(
            ini_bytes({"Identity Filename V2": global_key, "Enable Agent Forwarding": 0}, encoding=encoding)
        )
    return config


def _xml_value(name: str, value, indent: str) -> str:
    attr = quoteattr(name)
    if isinstance(value, bool) or isinstance(value, int):
        return f"{indent}<dword name={attr}>{int(value)}</dword>\n"
    if isinstance(value, list):
        if not value:
            return f"{indent}<array name={attr}/>\n"
        items = "".join(f"{indent}\t<string>{escape(v)}</string>\n" for v in value)
        return f"{indent}<array name={attr}>\n{items}{indent}</array>\n"
    if isinstance(value, bytes):
        return f"{indent}<binary name={attr}>{' '.join(f'{b:02x}' for b in value)}</binary>\n"
    if value == "":
        return f"{indent}<string name={attr}/>\n"
    return f"{indent}<string name={attr}>{escape(value)}</string>\n"


def export_xml(
    sessions: dict[str, dict],
    *,
    passphrase_check: str | None = None,
    global_key: str | None = None,
    templates: bool = True,
) -> bytes:
    """An "Export Settings" XML with the sessions (``"Folder/name": settings``), UTF-8 with a BOM."""
    tree: dict = {}
    for path, settings in sessions.items():
        *folders, name = path.split("/")
        node = tree
        for folder in folders:
            node = node.setdefault(folder, {})
        node[name] = ("session", settings)
    if templates:
        tree["Default"] = ("session", session_settings(""))

    def write(node: dict, depth: int) -> str:
        indent = "\t" * depth
        out = ""
        for name, value in node.items():
            out += f"{indent}<key name={quoteattr(name)}>\n"
            if isinstance(value, tuple):
                out += "".join(_xml_value(k, v, indent + "\t") for k, v in value[1].items())
            else:
                out += write(value, depth + 1)
            out += f"{indent}</key>\n"
        return out

    security = ""
    if passphrase_check is not None:
        security = f'\t<key name="Security">\n\t\t<string name="Passphrase">{passphrase_check}</string>\n\t</key>\n'
    ssh2 = ""
    if global_key is not None:
        ssh2 = f'\t<key name="SSH2">\n{_xml_value("Identity Filename V2", global_key, chr(9) * 2)}\t</key>\n'
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<VanDyke version="3.0">\n'
        + security
        + '\t<key name="Global">\n\t\t<dword name="Alt Selects Menu">1</dword>\n\t</key>\n'
        + '\t<key name="Sessions">\n'
        + write(tree, 2)
        + "\t</key>\n"
        + ssh2
        + "</VanDyke>\n"
    )
    return b"\xef\xbb\xbf" + body.encode("utf-8")


SAMPLE_PASSWORDS = {"bastion": "Bastion-Sample-Pw", "web01": "Web01 pässword!", "db01": "Db01-Legacy-Pw"}
SAMPLE_PASSPHRASE = "Sample-Config-Passphrase"


def sample_sessions(scheme: str, passphrase: str = "") -> dict[str, dict]:
    """The sessions of ``samples/securecrt``: folders, a jump session, stored passwords, non-SSH sessions."""

    def pw(name: str) -> str:
        return encrypt_v2(SAMPLE_PASSWORDS[name], passphrase, scheme)

    return {
        "Infrastructure/bastion": session_settings(
            "bastion.example.net", user="jump", port=2222, password=pw("bastion"), description=["jump host"]
        ),
        "Production/Web/web01": session_settings(
            "web01.example.net",
            user="deploy",
            password=pw("web01"),
            firewall="Session:Infrastructure\\bastion",
            description=["front end", "behind the bastion"],
        ),
        "Production/db01": session_settings(
            "db01.example.net",
            user="postgres",
            key="C:\\Users\\ops\\.ssh\\db01_ed25519",
            extra={"Password": encrypt_legacy(SAMPLE_PASSWORDS["db01"]), "Session Password Saved": 1},
        ),
        "Production/legacy-box": session_settings("legacy.example.net", user="root", protocol="SSH1"),
        "Network/core-switch": session_settings("10.0.0.1", protocol="Telnet", port=23),
        "Network/console-rdp": session_settings("console.example.net", protocol="RDP", port=3389),
    }


def write_samples(folder: Path) -> None:
    """``samples/securecrt``: a configuration folder (02 values, no passphrase, SecureCRT 7.3.3-9.3) and an
    XML export (03 values with the configuration passphrase ``SAMPLE_PASSPHRASE``, SecureCRT 9.4+)."""
    write_config(folder, sample_sessions("02"), config_name="vandyke-config")
    check = encrypt_v2("", SAMPLE_PASSPHRASE, "03")
    (folder / "export.xml").write_bytes(
        export_xml(
            sample_sessions("03", SAMPLE_PASSPHRASE),
            passphrase_check=check,
            global_key="${VDS_SSH_DATA_PATH}\\Identity",
        )
    )
    (folder / "config-passphrase.txt").write_text(SAMPLE_PASSPHRASE + "\n", encoding="utf-8")


if __name__ == "__main__":  # python tests/helpers/securecrt.py samples/securecrt
    import sys

    write_samples(Path(sys.argv[1]))
