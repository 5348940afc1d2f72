"""One read of PuTTY sessions: the ``.reg`` and Unix readers and the proxy chains mixed in, PuTTY's rules applied.

``PuttySource`` (``source.py``) is what detection loads and describes what is read and why; this
module is imported when sessions are read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import ValidationError

from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult
from migrator.sources.limits import read_source_bytes
from migrator.sources.numbers import whole_number
from migrator.sources.putty.chain import ProxyChains, _ChainError
from migrator.sources.putty.reg import _ASCII_LOWER, RegReader, _looks_like_reg
from migrator.sources.putty.sessions import (
    DEFAULT_SETTINGS,
    UnixSessionReader,
    _Conn,
    _Session,
    _Store,
    prepare_host,
    unescape_session_name,
)
from migrator.sources.putty.source import ppk_message

if TYPE_CHECKING:
    from migrator.sources.putty.source import PuttySource

_NOT_SSH = {
    "telnet": "a Telnet session",
    "rlogin": "an rlogin session",
    "raw": "a raw TCP session",
    "serial": "a serial-line session",
    "supdup": "a SUPDUP session",
    "ssh-connection": "a bare ssh-connection session (no SSH transport), which XPipe cannot open",
    "cygterm": "a KiTTY Cygterm session",
    "adb": "a KiTTY adb session",
}
_INT_TEXT = re.compile(r"\s*([-+]?[0-9]+)\s*")


class SessionsReader(RegReader, UnixSessionReader, ProxyChains):
    """The sessions of one ``PuttySource`` read, with their diagnostics and the keys held back."""

    def __init__(self, source: PuttySource):
        self.source = source
        self.path = source.path
        self.display_path = source.display_path
        self.codepage = source.codepage
        self.name_folders = source.name_folders
        self._diags: list[Diagnostic] = []
        self._held: set[str] = set()

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        self._diags = []
        if self.path.is_dir():
            sessions = self._read_unix_dir()
            case_insensitive = False
        else:
            data = read_source_bytes(self.path, self.display_path)
            if _looks_like_reg(self.path, data):
                sessions = self._read_reg(data)
                case_insensitive = True
            else:
                name, _ = unescape_session_name(self.path.name, "utf-8")
                session = self._read_unix_file(self.path, name)
                sessions = [session] if session else []
                case_insensitive = False
        self._held: set[str] = set()
        hosts = self._build_hosts(sessions, case_insensitive)
        return SourceResult(hosts=hosts, diagnostics=list(dict.fromkeys(self._diags)), held=self._held)

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.source.diag(level, code, message, **kw))

    # ---- applying PuTTY's rules -----------------------------------------------------------------

    def _str(self, s: _Session, key: str, default: str) -> str:
        v = s.values.get(key.casefold())
        if v is None:
            return default
        if v.kind in ("str", "text"):
            return v.data  # type: ignore[return-value]
        self._diag(
            "warning",
            "value-type",
            f"{key} is stored as {v.kind}, PuTTY reads it only as a string; PuTTY's default {default!r} is used",
            file=s.file,
            line=v.line,
            field=key,
            entry=s.name,
        )
        return default

    def _int(self, s: _Session, key: str, default: int) -> int:
        v = s.values.get(key.casefold())
        if v is None:
            return default
        if v.kind == "int":
            return v.data  # type: ignore[return-value]
        if v.kind == "text":
            m = _INT_TEXT.fullmatch(v.data)  # type: ignore[arg-type]
            if m:
                return whole_number(m.group(1))
            self._diag(
                "warning",
                "value-type",
                f"{key}={v.data!r} is not a number; PuTTY's default {default} is used",
                file=s.file,
                line=v.line,
                field=key,
                entry=s.name,
            )
            return default
        self._diag(
            "warning",
            "value-type",
            f"{key} is stored as {v.kind}, PuTTY reads it only as a DWORD; PuTTY's default {default} is used",
            file=s.file,
            line=v.line,
            field=key,
            entry=s.name,
        )
        return default

    def _conn(self, s: _Session, *, report: bool) -> _Conn:
        """Protocol, host, port and user as putty.exe loads them (settings.c, then prepare_session)."""
        protocol = self._str(s, "Protocol", "default")
        if protocol in _NOT_SSH or protocol == "ssh":
            port = self._int(s, "PortNumber", 22)
        else:
            if report:
                what = f"Protocol {protocol!r} is not one PuTTY knows" if s.has("Protocol") else "no Protocol"
                ignored = ""
                if s.has("PortNumber") and self._int(s, "PortNumber", 22) != 22:
                    ignored = f"; its PortNumber {self._int(s, 'PortNumber', 22)} is ignored, as PuTTY does"
                self._diag(
                    "warning",
                    "default-protocol",
                    f"{what}: putty.exe then uses SSH on port 22{ignored}",
                    file=s.file,
                    line=s.line,
                    field="Protocol",
                    entry=s.name,
                )
            protocol, port = "ssh", 22
        host, at_user, dropped = prepare_host(self._str(s, "HostName", ""))
        if dropped and report:
            self._diag(
                "warning",
                "host-suffix",
                f"HostName ends in {dropped!r}; PuTTY discards such a suffix (it is not used as the port)",
                file=s.file,
                line=s.line,
                field="HostName",
                entry=s.name,
            )
        user = at_user if at_user is not None else self._str(s, "UserName", "")
        return _Conn(protocol=protocol, host=host, port=port, user=user or None)

    def _folder(self, s: _Session) -> list[str]:
        """Folders from session managers: KiTTY's ``Folder`` value, a ``PsmPath`` value, or the name.

        KiTTY's empty ``Folder`` (and its literal "Default") is the root. Whether KiTTY nests folders
        with ``/`` or ``\\`` is unverified, so both split. ``PsmPath`` (PuTTY Session Manager) is
        unverified too and is reported when used.
        """
        if s.has("Folder"):
            folder = self._str(s, "Folder", "")
            if folder.strip() in ("", "Default"):
                return []
            return [p for p in re.split(r"[\\/]", folder) if p.strip()]
        if s.has("PsmPath"):
            path = self._str(s, "PsmPath", "")
            self._diag(
                "info",
                "folder-guess",
                f"folder taken from PsmPath '{path}' (a PuTTY Session Manager value whose format is not documented)",
                file=s.file,
                line=s.line,
                field="PsmPath",
                entry=s.name,
            )
            return [p for p in path.split("\\") if p.strip()]
        if self.name_folders and "/" in s.name:
            return [p for p in s.name.split("/")[:-1] if p.strip()]
        return []

    def _build_hosts(self, sessions: list[_Session], case_insensitive: bool) -> list[Host]:
        def norm(name: str) -> str:
            # Registry key names compare case-insensitively, but PuTTY looks a session up by its
            # %XX-escaped name, so only ASCII letters fold: "CAFÉ" does not find "café".
            return name.translate(_ASCII_LOWER) if case_insensitive else name

        by_store: dict[str, dict[str, _Session]] = {}
        for s in sessions:
            by_store.setdefault(s.store, {})[norm(s.name)] = s

        candidates: list[tuple[_Session, _Conn]] = []
        for s in sessions:
            if norm(s.name) == norm(DEFAULT_SETTINGS):
                self._diag(
                    "info",
                    "template",
                    "Default Settings is PuTTY's template for new sessions, not a "
                    "server; not imported (its user name and key still apply to jump hosts given "
                    "by host name)",
                    file=s.file,
                    line=s.line,
                    entry=s.name,
                )
                continue
            conn = self._conn(s, report=True)
            if conn.protocol != "ssh":
                self._diag(
                    "warning",
                    "not-ssh",
                    f"not imported: {_NOT_SSH[conn.protocol]} (Protocol {conn.protocol!r}){self._where(s)}",
                    file=s.file,
                    line=s.line,
                    field="Protocol",
                    entry=s.name,
                )
                continue
            if not conn.host:
                self._diag(
                    "warning",
                    "no-host",
                    "not imported: the session has no HostName (PuTTY would ask for one)",
                    file=s.file,
                    line=s.line,
                    field="HostName",
                    entry=s.name,
                )
                continue
            candidates.append((s, conn))

        keys = self._keys([s for s, _ in candidates])
        stores = {name: _Store(sessions, norm, keys) for name, sessions in by_store.items()}
        built: list[tuple[_Session, _Conn, list[JumpHop]]] = []
        for s, conn in candidates:
            try:
                jump = self._chain(s, s, conn, stores[s.store], (s.entry_id,))
            except _ChainError as exc:
                self._diag(
                    "error",
                    exc.code,
                    f"not imported: {exc.message}",
                    file=s.file,
                    line=s.line,
                    field=exc.field,
                    entry=s.name,
                )
                self._held.add(keys.pop(s.entry_id))
                continue
            except ValueError as exc:
                self._diag(
                    "error",
                    "bad-jump-host",
                    f"not imported: a jump host is invalid: {_first_error(exc)}",
                    file=s.file,
                    line=s.line,
                    field="ProxyHost",
                    entry=s.name,
                )
                self._held.add(keys.pop(s.entry_id))
                continue
            built.append((s, conn, jump))

        # A chain is valid only if every session it names was imported: drop dangling ref_keys.
        hosts = []
        for s, conn, jump in built:
            host = self._make_host(s, conn, jump, keys)
            if host is None:
                self._held.add(keys.pop(s.entry_id))
            else:
                hosts.append(host)
        final = {h.key for h in hosts}
        for h in hosts:
            if any(hop.ref_key and hop.ref_key not in final for hop in h.jump):
                h.jump = [
                    hop if hop.ref_key in final or not hop.ref_key else replace(hop, ref_key=None) for hop in h.jump
                ]
        return hosts

    def _keys(self, sessions: list[_Session]) -> dict[str, str]:
        """entry_id -> source key. The key never contains a folder: with ``putty_name_folders`` a session
        ``Prod/web01`` is keyed ``web01`` (``#2``, ``#3`` for the same leaf in other folders, in input
        order), so moving it to another folder is a move, not a new host."""
        keys: dict[str, str] = {}
        counts: dict[str, int] = {}
        for s in sessions:
            ident = s.entry_id
            if self.name_folders and "/" in s.name and not s.has("Folder") and not s.has("PsmPath"):
                leaf = s.name.rsplit("/", 1)[1] or s.name
                ident = leaf if s.store != "KiTTY" else f"KiTTY\\{leaf}"
            n = counts[ident] = counts.get(ident, 0) + 1
            ident = ident if n == 1 else f"{ident}#{n}"
            keys[s.entry_id] = self.source.key(ident)
        return keys

    def _where(self, s: _Session) -> str:
        folder = self._folder(s)
        return f" in folder {'/'.join(folder)!r}" if folder else ""

    def _make_host(self, s: _Session, conn: _Conn, jump: list[JumpHop], keys) -> Host | None:
        user = conn.user
        if user is None and self._int(s, "UserNameFromEnvironment", 0):
            self._diag(
                "warning",
                "user-from-environment",
                "the session logs in with the local Windows user "
                "name (UserNameFromEnvironment=1), which is not known here; no user set",
                file=s.file,
                line=s.line,
                field="UserNameFromEnvironment",
                entry=s.name,
            )
        creds = Credentials()
        key_file = self._str(s, "PublicKeyFile", "")
        if key_file:
            creds.key_files.append(key_file)
            if key_file.casefold().endswith(".ppk"):
                self._diag(
                    "warning",
                    "ppk-key",
                    ppk_message(key_file),
                    file=s.file,
                    line=s.values["publickeyfile"].line or s.line,
                    field="PublicKeyFile",
                    entry=s.name,
                )
        cert = self._str(s, "DetachedCertificate", "")
        if cert:
            creds.certificate_files.append(cert)
        if self._int(s, "TryAgent", 1):
            creds.agent = "openssh" if s.store == "unix" else "pageant"
        options = [("ForwardAgent", "yes")] if self._int(s, "AgentFwd", 0) else []
        name = s.name
        category = self._folder(s)
        if self.name_folders and "/" in name and not s.has("Folder") and not s.has("PsmPath"):
            name = name.rsplit("/", 1)[1] or name
        try:
            return Host(
                key=keys[s.entry_id],
                name=name,
                address=conn.host,
                port=conn.port,
                user=user,
                category=category,
                credentials=creds,
                jump=jump,
                ssh_options=options,
                source=self.source.provenance(line=s.line, section=s.section, file=s.file),
            )
        except ValidationError as exc:
            fld = {"address": "HostName", "port": "PortNumber", "user": "UserName", "name": "session name"}
            loc = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
            self._diag(
                "error",
                "invalid-value",
                f"not imported: {_first_error(exc)}",
                file=s.file,
                line=s.line,
                field=fld.get(loc, loc),
                entry=s.name,
            )
            return None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        msg = exc.errors()[0]["msg"]
        return msg.removeprefix("Value error, ")
    return str(exc)
