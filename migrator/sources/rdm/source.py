"""Devolutions Remote Desktop Manager ``.rdm`` XML exports.

``SSHShell`` entries become hosts: ``Terminal/Host`` (a ``host:port`` there is split when
``HostPort`` is absent or 0 [3rd-party]), ``Terminal/HostPort`` (default 22), ``Terminal/Username``,
``Terminal/SafePassword`` (fixed-key 3DES, ``crypto.py``), ``Terminal/PrivateKeyFileName`` as the
key file [unverified: the name Devolutions' own SDK models and third-party readers use; no real
export with a key was available], ``Group`` (a backslash path) as the folder, ``Name``,
``Description``; the ``ID`` GUID is the key. ``Group`` entries are the folders themselves. Every
other type (RDPConfigured, VNC, Telnet, WebBrowser, ...) is reported and skipped; ``Credential``
entries are reported as such. ``PasswordHistory`` is never read: its values are old passwords.

No secret is needed: the keys are fixed. An export "secured with a master key" is encrypted
differently and its format is not public: a file that is not XML, or whose stored passwords none
decrypt with the fixed keys, is refused with one line.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Host, SourceResult
from migrator.sources.base import FileSource, strip_bom
from migrator.sources.limits import read_source_bytes

if TYPE_CHECKING:  # the readers are imported when a file is read, so detecting other formats stays cheap
    from migrator.sources.rdm.export import Entry

SSH = "SSHShell"
FOLDER = "Group"
_PORT = re.compile(r"\s*([0-9]{1,5})\s*")
_HOST_PORT = re.compile(r"([^:\[\]]+):([0-9]{1,5})")
#: Blocks whose ``SafePassword`` uses a known fixed key, for the master-key check.
_KNOWN = {"terminal": "Terminal", "rdp": "RDP", "vnc": "VNC", "host": "Host"}
_KINDS = {
    "rdpconfigured": "a Remote Desktop (RDP) entry",
    "rdp": "a Remote Desktop (RDP) entry",
    "vnc": "a VNC entry",
    "telnet": "a Telnet entry",
    "webbrowser": "a web browser entry",
    "putty": "a PuTTY entry (its layout in exports is not known, so it is not read; use SSHShell entries)",
    "credential": "a credential entry (only sessions are imported)",
}


class _Held(Exception):
    def __init__(self, field: str, message: str, code: str = "invalid-value"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def _norm_id(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


class RdmSource(FileSource):
    """SSH sessions of a Devolutions RDM export, with their folders and stored passwords."""

    format = "rdm"
    summary = "Devolutions Remote Desktop Manager .rdm XML exports"

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 0
        sniff = strip_bom(head)
        if sniff.startswith(b"<") and (b"<ArrayOfConnection" in head or b"<RDMExport" in head):
            return 90
        return 80 if path.suffix.lower() == ".rdm" else 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "example.rdm"
        path.write_text(
            '<?xml version="1.0"?>\r\n<ArrayOfConnection>\r\n  <Connection>\r\n'
            "    <ConnectionType>SSHShell</ConnectionType>\r\n"
            "    <ID>5d0f6a8e-2b7c-4e1d-9a3f-0c1b2d3e4f50</ID>\r\n    <Name>web-01</Name>\r\n"
            "    <Terminal>\r\n      <Host>192.0.2.11</Host>\r\n      <HostPort>22</HostPort>\r\n"
            "      <Username>deploy</Username>\r\n    </Terminal>\r\n  </Connection>\r\n</ArrayOfConnection>\r\n",
            encoding="utf-8",
        )
        return path.as_posix()

    def read(self) -> SourceResult:
        from migrator.sources.rdm.export import read_export

        shown = self.display_path
        export = read_export(read_source_bytes(self.path, shown), shown)
        self._refuse_master_key(export.entries)
        result = SourceResult()
        self._result = result
        if export.broken is not None:
            line, reason = export.broken
            result.partial = True
            result.diagnostics.append(
                self.diag(
                    "error",
                    "xml-broken",
                    f"the XML breaks off here ({reason}); the {len(export.entries)} entries before it are read",
                    line=line,
                )
            )
        keys = self._keys(export.entries)
        for entry in export.entries:
            kind = entry.value("ConnectionType").strip()
            if kind == FOLDER:
                continue
            if kind != SSH:
                self._not_ssh(entry, kind)
                continue
            key = keys.get(id(entry))
            if key is None:
                continue
            try:
                result.hosts.append(self._host(entry, key))
            except _Held as exc:
                self._note(entry, "error", exc.code, f"not imported: {exc.message}", exc.field)
                result.held.add(key)
        return result

    # ---- checks ------------------------------------------------------------------------------

    def _refuse_master_key(self, entries: list[Entry]) -> None:
        from migrator.sources.rdm import crypto

        tried = decrypted = 0
        for entry in entries:
            for name, block in _KNOWN.items():
                value = entry.block(name).get("safepassword", "")
                if value.strip():
                    tried += 1
                    try:
                        crypto.decrypt(block, value)
                        decrypted += 1
                    except crypto.NotFixedKey:
                        pass
        if tried and not decrypted:
            raise InputError(
                f"{self.display_path}: none of the {tried} stored passwords decrypts with RDM's fixed keys: the "
                "export is probably secured with a master key, whose format is not public; export the entries "
                "again without a master key (nothing was imported)"
            )

    def _keys(self, entries: list[Entry]) -> dict[int, str]:
        out: dict[int, str] = {}
        ids = {_norm_id(e.value("ID")) for e in entries} - {None}
        seen: dict[str, Entry] = {}
        counts: dict[str, int] = {}
        for entry in entries:
            if entry.value("ConnectionType").strip() != SSH:
                continue
            ext = _norm_id(entry.value("ID"))
            name = entry.value("Name").strip()
            if ext is not None:
                if ext in seen:
                    self._note(
                        entry,
                        "error",
                        "repeated-id",
                        f"its ID is also the ID of the entry at line "
                        f"{seen[ext].line}; it is not imported (IDs are unique in RDM)",
                        "ID",
                    )
                    continue
                seen[ext] = entry
                out[id(entry)] = self.key(ext)
                continue
            if not name:
                self._note(
                    entry,
                    "error",
                    "no-name",
                    "an entry without a Name or an ID cannot be named; it is not imported",
                    "Name",
                )
                self._result.partial = True
                continue
            n = counts.get(name, 0)
            while True:
                n += 1
                candidate = name if n == 1 else f"{name}#{n}"
                if candidate not in ids:
                    break
            counts[name] = n
            ids.add(candidate)
            out[id(entry)] = self.key(candidate)
        return out

    # ---- entries -----------------------------------------------------------------------------

    def _note(self, entry: Entry, level: str, code: str, message: str, field: str | None = None) -> None:
        folder = [p for p in entry.value("Group").split("\\") if p.strip()]
        name = entry.value("Name").strip() or "(unnamed)"
        label = "/".join([*folder, name])
        self._result.diagnostics.append(self.diag(level, code, message, line=entry.line, field=field, entry=label))

    def _not_ssh(self, entry: Entry, kind: str) -> None:
        if not kind:
            self._note(entry, "warning", "not-ssh", "not imported: the entry has no ConnectionType", "ConnectionType")
            return
        what = _KINDS.get(kind.lower(), f"a {kind[:40]} entry")
        level = "info" if kind.lower() == "credential" else "warning"
        self._note(entry, level, "not-ssh", f"not imported: {what} is not an SSH session", "ConnectionType")

    def _host(self, entry: Entry, key: str) -> Host:
        from migrator.sources.rdm import crypto

        term = entry.block("Terminal")
        name = entry.value("Name").strip()
        if not name:
            raise _Held("Name", "it has no Name")
        address = term.get("host", "").strip() or entry.value("Host").strip() or entry.value("Url").strip()
        if not address:
            raise _Held("Terminal/Host", "it has no host (Terminal/Host is empty)", "no-host")
        raw_port = term.get("hostport", "").strip()
        port = 22
        if raw_port:
            m = _PORT.fullmatch(raw_port)
            if m is None:
                raise _Held("Terminal/HostPort", "HostPort is not a number")
            port = int(m.group(1)) or 22
        split = _HOST_PORT.fullmatch(address)
        if split and (not raw_port or raw_port == "0"):
            address, port = split.group(1), int(split.group(2))
        password = None
        if term.get("safepassword", "").strip():
            try:
                password = crypto.decrypt("Terminal", term["safepassword"]) or None
            except crypto.NotFixedKey:
                raise _Held(
                    "Terminal/SafePassword",
                    "the stored password does not decrypt with RDM's fixed key (the export may be secured with a "
                    "master key, or the value is damaged)",
                    "undecryptable",
                ) from None
        key_file = self._key_file(term)
        self._report_unused(entry, term)
        folder = [p.strip() for p in entry.value("Group").split("\\") if p.strip()]
        try:
            return Host(
                key=key,
                name=name,
                address=address,
                port=port,
                user=term.get("username", "").strip() or None,
                category=folder,
                credentials=Credentials(password=password, key_files=[key_file] if key_file else []),
                description=entry.value("Description").strip() or None,
                source=self.provenance(line=entry.line, section="Connection"),
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = str(err["loc"][0]) if err["loc"] else ""
            fields = {"address": "Terminal/Host", "port": "Terminal/HostPort", "user": "Terminal/Username"}
            raise _Held(fields.get(loc, loc), err["msg"].removeprefix("Value error, ")) from None

    @staticmethod
    def _key_file(term: dict[str, str]) -> str | None:
        kind = term.get("privatekeytype", "").strip().lower()
        if kind == "data" or (term.get("privatekeydata", "").strip() and kind != "nokey"):
            raise _Held(
                "Terminal/PrivateKeyData",
                "the private key is embedded in the entry; XPipe reads keys from files: save the key to a file, "
                "set the entry's private key to that file in RDM and export again",
                "embedded-key",
            )
        if kind == "nokey":
            return None
        return (term.get("privatekeyfilename", "") or term.get("privatekeypath", "")).strip() or None

    def _report_unused(self, entry: Entry, term: dict[str, str]) -> None:
        if entry.value("CredentialConnectionID").strip():
            self._note(
                entry,
                "warning",
                "credential-entry",
                "takes its credentials from another RDM entry "
                "(CredentialConnectionID), which is not read; imported with the entry's own values only",
                "CredentialConnectionID",
            )
        proxy = term.get("proxymode", "").strip()
        if proxy and proxy.lower() != "none":
            self._note(
                entry,
                "warning",
                "proxy-not-carried",
                f"uses a proxy (ProxyMode {proxy[:20]}); a proxy is "
                "not a jump host and is not carried: the host is imported without it",
                "Terminal/ProxyMode",
            )
        unread = sorted(
            name
            for name, value in term.items()
            if value.strip()
            and value.strip().lower() not in ("false", "0", "none")
            and (
                ("passphrase" in name and name != "privatekeypromptforpassphrase")
                or "gateway" in name
                or "jump" in name
            )
        )
        if unread:
            self._note(
                entry,
                "warning",
                "not-carried",
                f"Terminal settings not read ({', '.join(unread)}): their "
                "layout in exports is not known; set them in XPipe",
                "Terminal",
            )
