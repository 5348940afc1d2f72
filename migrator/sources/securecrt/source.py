"""SecureCRT sessions: the ``Config/Sessions`` folder (one ``.ini`` per session) or an XML export.

SSH2 and SSH1 sessions become hosts (SSH1 with a warning); every other protocol is reported and
skipped. Folders become categories. ``Firewall Name=Session:<path>`` (a jump through another saved
session) becomes a jump hop that refers to that session. Stored passwords are decrypted with the
configuration passphrase (``password_file`` or ``XPIPE_MIGRATE_SOURCE_PASSWORD``; the empty
passphrase, SecureCRT's default, when none is given).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr, ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Diagnostic, Host, SourceResult
from migrator.sources.base import FileSource, TextCodec
from migrator.sources.limits import open_source_file, read_source_bytes
from migrator.sources.secrets import SecretOptions, source_secret
from migrator.sources.securecrt import sessions_folder

if TYPE_CHECKING:  # the readers are imported when a configuration is read, so detecting other formats stays cheap
    from migrator.sources.securecrt.fields import SessionFields
    from migrator.sources.securecrt.layout import Configuration
    from migrator.sources.securecrt.passwords import StoredSecret
    from migrator.sources.securecrt.settings import RawSession

_FIELD_NAMES = {"address": "Hostname", "port": "Port", "user": "Username", "name": "session name"}


class SecureCrtOptions(SecretOptions):
    #: code page of session files that are neither UTF-8 nor UTF-16 (SecureCRT writes UTF-8)
    codepage: TextCodec = "cp1252"


class SecureCrtSource(FileSource):
    """SecureCRT sessions from the ``Sessions`` folder, the ``Config`` folder above it, or an XML export.

    Options: ``password_file`` (the configuration passphrase; without it the empty passphrase is
    used, as SecureCRT does when none was set) and ``codepage`` (for session files that are not
    UTF-8 or UTF-16, default ``cp1252``).
    """

    format = "securecrt"
    summary = "SecureCRT sessions: the Config/Sessions folder or an XML settings export"
    Options = SecureCrtOptions

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(location, options, key_location=key_location, **raw)
        self._diags: list[Diagnostic] = []

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            located = sessions_folder(path)
            return _detect_sessions(located[0]) if located is not None else 0
        text = head.decode("utf-8", errors="replace")
        if "<VanDyke" in text[:4096]:
            return 95
        return 0

    @classmethod
    def example(cls, folder: Path) -> str:
        sessions = folder / "Config" / "Sessions"
        (sessions / "Servers").mkdir(parents=True, exist_ok=True)
        (sessions / "Default.ini").write_text('S:"Protocol Name"=SSH2\r\nS:"Hostname"=\r\n', encoding="utf-8-sig")
        (sessions / "Servers" / "web01.ini").write_text(
            'S:"Protocol Name"=SSH2\r\nS:"Hostname"=web01.example.net\r\nS:"Username"=deploy\r\n'
            'D:"[SSH2] Port"=00000016\r\nS:"Firewall Name"=None\r\nZ:"Description"=00000001\r\n web server\r\n',
            encoding="utf-8-sig",
        )
        return (folder / "Config").as_posix()

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.securecrt.jumps import resolve_jumps

        self._diags = []
        config = self._configuration()
        self._diags.extend(config.diagnostics)
        held: set[str] = set()
        for t in config.templates:
            self._diag(
                "info",
                "template",
                f"{t.name} is SecureCRT's template for new sessions, not a server; not imported",
                file=t.file,
                line=t.line,
                entry=t.name,
            )
        keys = self._keys([*config.sessions, *config.incomplete])
        for s in config.incomplete:
            held.add(keys[id(s)])
            self._diag(
                "error",
                "truncated",
                "not imported: the file ends inside this session",
                file=s.file,
                line=s.line,
                entry=s.path,
            )
        candidates: list[tuple[RawSession, SessionFields]] = []
        for s in config.sessions:
            fields = self._fields(s, config, keys[id(s)], held)
            if fields is not None:
                candidates.append((s, fields))
        passwords = self._passwords(candidates, config, keys, held)
        hosts: dict[str, Host] = {}
        for s, f in candidates:
            key = keys[id(s)]
            if key in held:
                continue
            host = self._host(s, f, key, passwords.get(key))
            if host is None:
                held.add(key)
            else:
                hosts[key] = host
        self._diags.extend(resolve_jumps(config.sessions, candidates, keys, hosts, held))
        return SourceResult(
            hosts=[h for k, h in hosts.items() if k not in held],
            diagnostics=list(dict.fromkeys(self._diags)),
            held=held,
            partial=config.partial,
        )

    def _configuration(self) -> Configuration:
        from migrator.sources.securecrt.folder import FolderReader
        from migrator.sources.securecrt.xml_export import XmlExportReader

        if self.path.is_dir():
            return FolderReader(self.path, self.display_path, self.options.codepage).read()
        data = read_source_bytes(self.path, self.display_path)
        return XmlExportReader(data, self.display_path).read()

    def _keys(self, sessions: list[RawSession]) -> dict[int, str]:
        """The session name, ``#2``, ``#3`` for the same name in other folders, in file order: never the folder,
        so moving a session to another folder updates its entry instead of re-creating it."""
        counts: dict[str, int] = {}
        keys = {}
        for s in sessions:
            n = counts[s.name] = counts.get(s.name, 0) + 1
            keys[id(s)] = self.key(s.name if n == 1 else f"{s.name}#{n}")
        return keys

    def _fields(self, s: RawSession, config: Configuration, key: str, held: set[str]) -> SessionFields | None:
        from migrator.sources.securecrt.fields import FieldReader, Problem, as_number

        reader = FieldReader(s, config)
        protocol = reader.protocol()
        where = f" in folder {'/'.join(s.folder)!r}" if s.folder else ""
        if protocol not in ("SSH2", "SSH1"):
            target = (reader.text("Hostname") or "").strip()
            self._diag(
                "warning" if protocol in ("Telnet", "Telnet/SSL", "RLogin", "Raw") else "info",
                "not-ssh",
                f"not imported: {protocol} session{f' to {target!r}' if target else ''}{where}",
                file=s.file,
                line=_line(s, "Protocol Name"),
                field="Protocol Name",
                entry=s.path,
            )
            return None
        result = reader.read(protocol)
        for note in reader.notes:
            self._diag(
                note.level,
                note.code,
                note.message,
                file=s.file,
                line=note.line or s.line,
                field=note.field,
                entry=s.path,
            )
        if isinstance(result, Problem):
            held.add(key)
            self._diag(
                "error", result.code, result.message, file=s.file, line=result.line, field=result.field, entry=s.path
            )
            return None
        if not result.host:
            prompt = " (SecureCRT asks for it when connecting)" if as_number(s.get("Prompt For Hostname")) else ""
            self._diag(
                "warning",
                "no-host",
                f"not imported: the session has no Hostname{prompt}",
                file=s.file,
                line=_line(s, "Hostname"),
                field="Hostname",
                entry=s.path,
            )
            return None
        return result

    def _passwords(self, candidates, config: Configuration, keys, held: set[str]) -> dict[str, str]:
        from migrator.sources.securecrt.passwords import Unlocker

        values: list[StoredSecret] = []
        for s, _ in candidates:
            secret = self._stored_password(s, keys[id(s)])
            if secret is not None:
                values.append(secret)
        if not values:
            return {}
        unlocker = Unlocker(source_secret(self.options, self.display_path), self.display_path)
        plain, failures, notes = unlocker.unlock(values, self._verifier(config))
        for note in notes:
            self._diag("warning", "passphrase-check", note)
        for failure in failures:
            held.add(failure.secret.key)
            self._diag(
                "error",
                "undecryptable",
                f"not imported: {failure.reason}",
                file=failure.secret.file,
                line=failure.secret.line,
                field=failure.secret.field,
                entry=failure.secret.entry,
            )
        if unlocker.pure_derivations:
            self._diag(
                "info",
                "slow-kdf",
                f"{unlocker.pure_derivations} key derivation(s) for 03 values ran in pure Python (bcrypt.kdf "
                "refuses the empty passphrase SecureCRT uses by default); each takes several seconds",
            )
        return plain

    def _stored_password(self, s: RawSession, key: str) -> StoredSecret | None:
        from migrator.sources.securecrt.fields import as_number
        from migrator.sources.securecrt.passwords import StoredSecret

        for name in ("Password V2", "Password"):
            setting = s.get(name)
            if setting is None or setting.kind != "S" or not str(setting.value or "").strip():
                continue
            if as_number(s.get("Session Password Saved")) == 0:
                self._diag(
                    "info",
                    "password-not-saved",
                    f"{name} holds a value but Session Password Saved is off, so SecureCRT does not use it; "
                    "not imported",
                    file=s.file,
                    line=setting.line,
                    field=name,
                    entry=s.path,
                )
                return None
            return StoredSecret(key, s.path, s.file, setting.line, name, str(setting.value))
        return None

    @staticmethod
    def _verifier(config: Configuration) -> StoredSecret | None:
        from migrator.sources.securecrt.passwords import StoredSecret

        for section, name in (("security", "Passphrase"), ("global", "Config Passphrase")):
            setting = config.global_setting(section, name)
            if setting is not None and isinstance(setting.value, str) and setting.value.strip():
                return StoredSecret("", section, "", setting.line, name, setting.value)
        return None

    def _host(self, s: RawSession, f: SessionFields, key: str, password: str | None) -> Host | None:
        creds = Credentials()
        if password:
            creds.password = SecretStr(password)
        if f.key_file:
            creds.key_files.append(f.key_file)
        try:
            return Host(
                key=key,
                name=s.name,
                address=f.host,
                port=f.port,
                user=f.user,
                category=list(s.folder),
                credentials=creds,
                ssh_options=[("ForwardAgent", "yes")] if f.agent_forwarding else [],
                description=f.description,
                source=self.provenance(line=s.line, file=s.file, section=s.path),
            )
        except ValidationError as exc:
            err = exc.errors()[0] if exc.errors() else {"loc": ("",), "msg": str(exc)}
            loc = str(err["loc"][0]) if err["loc"] else ""
            field = _FIELD_NAMES.get(loc, loc)
            self._diag(
                "error",
                "invalid-value",
                f"not imported: {err['msg'].removeprefix('Value error, ')}",
                file=s.file,
                line=_line(s, field),
                field=field,
                entry=s.path,
            )
            return None


def _line(s: RawSession, name: str) -> int:
    setting = s.get(name)
    return setting.line if setting is not None else s.line


def _detect_sessions(root: Path) -> int:
    """90 for SecureCRT's own files at the top of ``Sessions``; 70 for a session file found a few levels down."""
    try:
        top = [p for _, p in zip(range(500), root.iterdir(), strict=False)]
    except OSError:
        return 0
    if any(p.name.casefold() in ("default.ini", "__folderdata__.ini") for p in top):
        return 90
    pending, seen = [root], 0
    while pending and seen < 200:
        folder = pending.pop()
        try:
            entries = sorted(folder.iterdir())[:200]
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if entry.is_dir() and not entry.is_symlink():
                pending.append(entry)
            elif entry.suffix.casefold() == ".ini" and entry.is_file():
                try:
                    with open_source_file(entry) as fh:
                        head = fh.read(512).decode("utf-8-sig", errors="replace")
                except (OSError, InputError):
                    continue
                if re.match(r'[SDZB]:"[^"]+"=', head.lstrip("\ufeff")):
                    return 70
    return 0
