"""What SecureCRT's session settings mean for a host: protocol, port, user, key, jump, description.

Every value is read from the session itself; ``Default.ini`` is never applied to a session that
lacks a setting [inferred: SecureCRT writes every setting into each session file it saves], so a
missing value takes SecureCRT's built-in default (SSH2, port 22, no user). The global public key
(``Use Global Public Key``) comes from the configuration's ``SSH2`` settings when they were read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrator.escape import clipped
from migrator.sources.securecrt.layout import Configuration
from migrator.sources.securecrt.settings import RawSession, Setting

SSH_PROTOCOLS = {"ssh2": "SSH2", "ssh1": "SSH1"}
#: Protocols SecureCRT offers that XPipe's ssh entries cannot open [real export; doc].
OTHER_PROTOCOLS = {
    "telnet": "Telnet",
    "telnet/ssl": "Telnet/SSL",
    "rlogin": "RLogin",
    "serial": "Serial",
    "raw": "Raw",
    "rdp": "RDP",
    "local shell": "Local Shell",
    "tapi": "TAPI",
}
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_NO_FIREWALL = ("", "none")


@dataclass
class Problem:
    """A field that stops the session from being imported (the entry is held)."""

    code: str
    message: str
    field: str
    line: int | None


@dataclass
class Note:
    level: str
    code: str
    message: str
    field: str | None = None
    line: int | None = None


@dataclass
class SessionFields:
    protocol: str
    host: str
    port: int
    user: str | None
    key_file: str | None
    firewall_session: str | None
    agent_forwarding: bool
    description: str | None
    notes: list[Note] = field(default_factory=list)


def as_number(setting: Setting | None) -> int | None:
    if setting is None or setting.kind != "D" or not isinstance(setting.value, int):
        return None
    return setting.value


class FieldReader:
    """Reads one session's connection fields, collecting notes and at most one blocking problem."""

    def __init__(self, session: RawSession, config: Configuration):
        self.s = session
        self.config = config
        self.notes: list[Note] = []

    def _note(self, level, code, message, name=None) -> None:
        setting = self.s.get(name) if name else None
        self.notes.append(Note(level, code, message, name, setting.line if setting else None))

    def text(self, name: str) -> str | None:
        setting = self.s.get(name)
        if setting is None:
            return None
        if setting.kind != "S" or not isinstance(setting.value, str):
            self._note("warning", "value-type", f"{name} is not stored as text; ignored", name)
            return None
        return setting.value

    def number(self, name: str) -> int | None:
        return as_number(self.s.get(name))

    def lines(self, name: str) -> list[str]:
        setting = self.s.get(name)
        if setting is None:
            return []
        if setting.kind == "Z" and isinstance(setting.value, list):
            return setting.value
        if setting.kind == "S" and isinstance(setting.value, str):
            return [setting.value]
        return []

    def protocol(self) -> str:
        """The protocol's canonical name (``SSH2``/``SSH1`` or another SecureCRT protocol as written)."""
        raw = self.text("Protocol Name")
        if raw is None or not raw.strip():
            self._note("info", "default-protocol", "no Protocol Name: SecureCRT's default SSH2 is assumed")
            return "SSH2"
        low = raw.strip().casefold()
        return SSH_PROTOCOLS.get(low) or OTHER_PROTOCOLS.get(low) or raw.strip()

    def read(self, protocol: str) -> SessionFields | Problem:
        host = (self.text("Hostname") or "").strip()
        port = self._port(protocol)
        if isinstance(port, Problem):
            return port
        user = (self.text("Username") or "").strip() or None
        firewall = self._firewall()
        key_file = self._key(protocol)
        forwarding = self.number("Enable Agent Forwarding")
        if forwarding == 2:  # 2 = as the global SSH2 setting says [inferred from the export's values]
            forwarding = as_number(self.config.global_setting("ssh2", "Enable Agent Forwarding"))
        description = "\n".join(self.lines("Description")).strip() or None
        credential = (self.text("Credential Title") or "").strip()
        if credential:
            self._note(
                "warning",
                "saved-credential",
                f"the session logs in with SecureCRT's saved credential {credential!r}, whose user and password "
                "are kept outside the session settings; not imported",
                "Credential Title",
            )
        if protocol == "SSH1":
            self._note(
                "warning",
                "ssh1",
                "an SSH1 session: it is imported as SSH, but XPipe's OpenSSH speaks only SSH-2, so the server must "
                "also offer SSH-2",
                "Protocol Name",
            )
        return SessionFields(
            protocol=protocol,
            host=host,
            port=port,
            user=user,
            key_file=key_file,
            firewall_session=firewall,
            agent_forwarding=forwarding == 1,
            description=description,
            notes=self.notes,
        )

    def _port(self, protocol: str) -> int | Problem:
        names = (f"[{protocol}] Port", "Port")
        name = next((n for n in names if self.s.get(n) is not None), None)
        if name is None:
            return 22
        setting = self.s.get(name)
        value = self.number(name)
        if value is None or not 1 <= value <= 65535:
            shown = "not a number" if value is None else f"{value}, outside 1-65535"
            return Problem("invalid-value", f"not imported: the port is {shown}", name, setting.line)
        return value

    def _firewall(self) -> str | None:
        """The session path of a ``Session:<path>`` firewall; other firewalls are reported and dropped."""
        raw = (self.text("Firewall Name") or "").strip()
        if raw.casefold() in _NO_FIREWALL:
            return None
        if raw[:8].casefold() == "session:":
            return raw[8:].strip()
        self._note(
            "warning",
            "unsupported-proxy",
            f"the session connects through SecureCRT's firewall {raw!r} (a proxy defined in the global options, "
            "not in this file), which cannot be expressed as a jump host; imported without it",
            "Firewall Name",
        )
        return None

    def _key(self, protocol: str) -> str | None:
        prefix = "[SSH1] " if protocol == "SSH1" else ""
        name = f"{prefix}Identity Filename V2"
        path = (self.text(name) or "").strip()
        if not path:
            name = f"{prefix}Identity Filename"
            path = (self.text(name) or "").strip()
        if not path:
            return self._global_key(protocol, prefix)
        return self._usable_path(path, name, "key file")

    def _global_key(self, protocol: str, prefix: str) -> str | None:
        if self.number(f"{prefix}Use Global Public Key") != 1:
            return None
        methods = self.text(f"{prefix}Authentications V2" if prefix else "SSH2 Authentications V2")
        if methods is not None and "publickey" not in methods.casefold():
            return None
        global_name = "SSH1 Identity Filename V2" if protocol == "SSH1" else "Identity Filename V2"
        setting = self.config.global_setting("ssh2", global_name)
        if setting is None or not isinstance(setting.value, str) or not setting.value.strip():
            if not self.config.has_globals:
                self._note(
                    "info",
                    "global-key",
                    "the session uses SecureCRT's global public key, which is kept in the Config folder's SSH2 "
                    "settings: name the Config folder (not Sessions) to import it",
                    f"{prefix}Use Global Public Key",
                )
            return None
        return self._usable_path(setting.value.strip(), f"{prefix}Use Global Public Key", "global public key")

    def _usable_path(self, path: str, name: str, what: str) -> str | None:
        variable = _VARIABLE.search(path, 0, path.rfind("}") + 1)  # linear: no start after the last "}" can match
        if variable is None:
            return path
        self._note(
            "warning",
            "unresolved-path",
            f"the {what} {clipped(path, 200)!r} uses {clipped(variable.group(0))}, a folder SecureCRT resolves on its "
            "own machine; not imported, give the host its key in XPipe",
            name,
        )
        return None
