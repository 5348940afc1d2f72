"""PuTTY and KiTTY saved sessions: Windows registry exports (``.reg``) and the Unix session folder.

PuTTY keeps one registry key (or, on Unix, one file) per session and fills every missing value with
its compiled-in default, not with "Default Settings" (that is only the template of the dialog). The
importer reproduces what putty.exe would connect to: the protocol decides whether ``PortNumber`` is
read at all, ``prepare_session`` turns ``user@host`` into the user and drops a ``:suffix``, and an
SSH proxy (``ProxyMethod=6``) names either another saved session (loaded whole, with its own proxy:
that is how multi-hop chains are built) or a plain host that starts from Default Settings.

Nothing here executes or converts anything: ``.ppk`` keys are recorded as written and flagged.
"""

from __future__ import annotations

import codecs
import fnmatch
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from migrator.errors import ConfigError, InputError
from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult, validate_address
from migrator.sources.base import Source

DEFAULT_SETTINGS = "Default Settings"

# Registry paths (lower case) under which the two programs keep one subkey per session.
_STORES = (
    ("PuTTY", "\\software\\simontatham\\putty\\sessions\\"),
    ("KiTTY", "\\software\\9bis.com\\kitty\\sessions\\"),
)
_PRODUCT_KEYS = ("\\software\\simontatham", "\\software\\9bis.com\\kitty")

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

# ProxyMethod values (conf-enums.h proxy_type) and the older ProxyType values they replaced.
_PROXY_NAMES = {
    1: "SOCKS 4", 2: "SOCKS 5", 3: "HTTP", 4: "Telnet", 5: "local command",
    6: "SSH jump host", 7: "SSH to proxy and execute a command", 8: "SSH to proxy and invoke a subsystem",
}
_PROXY_SSH_JUMP = 6
_OLD_PROXY_TYPES = {0: 0, 1: 3, 3: 4, 4: 5}  # 2 (SOCKS) depends on ProxySOCKSVersion

_HEX_TYPES = {None: "binary", "0": "none", "1": "sz", "2": "expand_sz", "3": "binary", "4": "dword",
              "5": "dword_be", "7": "multi_sz", "b": "qword"}
_PERCENT_HEX = re.compile(r"%([0-9A-Fa-f]{2})")
_INT_TEXT = re.compile(r"\s*([-+]?\d+)\s*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_QUOTED_ESCAPE = re.compile(r'\\([\\"])')
_DWORD = re.compile(r"[0-9A-Fa-f]{1,8}")
_HEX_PREFIX = re.compile(r"hex(?:\(([0-9A-Fa-f]+)\))?:", re.IGNORECASE)
_MAX_HOPS = 32  # far beyond any real chain; keeps a crafted file from exhausting the stack
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def check_codepage(name: str) -> str:
    """Return the codec name for a Windows code page option, or fail with a ConfigError."""
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError):
        raise ConfigError(f"unknown code page {name!r} (try cp1252, cp1250, cp932, ...)") from None


def ppk_message(path: str) -> str:
    """The fix for a PuTTY-format private key, which OpenSSH (and so XPipe's ssh) cannot read."""
    return (
        f"key file {path} is in PuTTY's .ppk format, which OpenSSH cannot use: convert it with "
        f"'puttygen {path} -O private-openssh -o <new file>' and point the connection at the new file, "
        "or load the key into Pageant and let XPipe use the agent"
    )


def unescape_session_name(escaped: str, codepage: str) -> tuple[str, bool]:
    """Undo PuTTY's ``%XX`` escaping; the bytes are in ``codepage``. Returns (name, clean).

    Only ``%XX`` is replaced (never ``+``, unlike URL decoding). Literal characters are re-encoded
    in the code page first, so a DBCS character whose trail byte PuTTY left unescaped still decodes
    as one character. ``clean`` is False when a ``%`` was not followed by two hex digits or the bytes
    are not valid in the code page (the name then keeps ``%`` or U+FFFD at that place).
    """
    parts: list[str] = []
    pending = bytearray()
    clean = True

    def flush() -> None:
        nonlocal clean
        if pending:
            try:
                parts.append(pending.decode(codepage))
            except UnicodeDecodeError:
                clean = False
                parts.append(pending.decode(codepage, errors="replace"))
            pending.clear()

    i = 0
    while i < len(escaped):
        m = _PERCENT_HEX.match(escaped, i)
        if m:
            pending.append(int(m.group(1), 16))
            i = m.end()
            continue
        ch = escaped[i]
        if ch == "%":
            clean = False
        try:
            pending += ch.encode(codepage)
        except UnicodeEncodeError:
            flush()
            parts.append(ch)
        i += 1
    flush()
    return "".join(parts), clean


def prepare_host(raw: str) -> tuple[str, str | None, str | None]:
    """PuTTY's ``prepare_session``: returns (host, user from ``user@``, discarded ``:suffix``)."""
    host = raw.lstrip(" \t")
    user = None
    if host:
        at = host.rfind("@")
        if at >= 0:
            user, host = host[:at], host[at + 1:]
    colons = [i for i, c in enumerate(host) if c == ":" and not _inside_brackets(host, i)]
    dropped = None
    if len(colons) == 1:
        dropped = host[colons[0]:]
        host = host[:colons[0]]
    return host.replace(" ", "").replace("\t", ""), user, dropped


def _inside_brackets(text: str, index: int) -> bool:
    return text.rfind("[", 0, index) > text.rfind("]", 0, index)


@dataclass
class _Value:
    kind: str  # "str", "int", "text" (Unix: untyped text), "bytes", "list"
    data: object
    line: int | None


@dataclass
class _Session:
    """One saved session as stored, before PuTTY's defaults and rules are applied."""

    name: str
    store: str  # "PuTTY", "KiTTY" or "unix"
    file: str
    line: int | None
    section: str
    values: dict[str, _Value] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key.casefold() in self.values

    @property
    def entry_id(self) -> str:
        return self.name if self.store != "KiTTY" else f"KiTTY\\{self.name}"


@dataclass
class _Conn:
    """The effective connection a session describes, after defaults and ``prepare_session``."""

    protocol: str
    host: str
    port: int
    user: str | None


@dataclass
class _Store:
    """The sessions of one program (PuTTY, KiTTY or a Unix folder), looked up as PuTTY looks them up."""

    sessions: dict[str, _Session]
    norm: Callable[[str], str]
    keys: dict[str, str]  # entry_id -> Host.key of the sessions that are (still) imported

    def __post_init__(self) -> None:
        self._folded = {s.name.casefold(): s for s in self.sessions.values()}

    def lookup(self, name: str) -> _Session | None:
        return self.sessions.get(self.norm(name))

    def near_miss(self, name: str) -> _Session | None:
        """A session whose name differs only in a case PuTTY does not fold (to explain a failed lookup)."""
        return self._folded.get(name.casefold())


class _ChainError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class PuttySource(Source):
    """Saved PuTTY/KiTTY sessions from a ``.reg`` export, a Unix ``sessions`` folder or one session file.

    Options: ``codepage`` (the Windows ANSI code page of the exporting machine, default ``cp1252``;
    used for ``%XX`` session names and REGEDIT4 files), ``putty_name_folders`` (split session names
    on ``/`` into folders, as some session managers do; default off because PuTTY itself has no
    folders).

    ``TryAgent`` (on unless a session turns it off) means PuTTY offers the agent's keys first, so it
    becomes ``credentials.agent``: ``pageant`` for registry sessions, ``openssh`` (``SSH_AUTH_SOCK``)
    for Unix ones. A network or command proxy cannot be a jump hop: such a session is imported
    without it and reported; a chain PuTTY itself could not connect through (a loop, a jump session
    that is not SSH) is not imported.
    """

    format = "putty"

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.codepage = check_codepage(options.get("codepage") or "cp1252")
        self.name_folders = _flag(options.get("putty_name_folders", False))
        self._diags: list[Diagnostic] = []

    # ---- detection ----------------------------------------------------------------------------

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return cls._detect_dir(path)
        text = _decode_head(head).casefold()
        is_reg = text.lstrip("\ufeff \r\n").startswith(("windows registry editor", "regedit4"))
        if is_reg or path.suffix.lower() == ".reg":
            if any(store in text for _, store in _STORES) or any(p in text for p in _PRODUCT_KEYS):
                return 95
            return 40 if is_reg else 10
        if re.search(r"(?m)^hostname=", text) and re.search(r"(?m)^(protocol|portnumber)=", text):
            return 45
        return 0

    @staticmethod
    def _detect_dir(path: Path) -> int:
        name = path.name.casefold()
        parent = path.parent.name.casefold()
        if name == "sessions" and parent in (".putty", "putty"):
            return 90
        if (path / "sessions").is_dir() and (name in (".putty", "putty") or (path / "sshhostkeys").exists()):
            return 85
        try:
            files = [p for p in path.iterdir() if p.is_file()][:20]
        except OSError:
            return 0
        for p in files:
            try:
                with p.open("rb") as fh:
                    head = fh.read(4096).decode("utf-8", errors="replace")
            except OSError:
                continue
            if re.search(r"(?m)^HostName=", head) and re.search(r"(?m)^Protocol=", head):
                return 60
        return 0

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        self._diags = []
        if self.path.is_dir():
            sessions = self._read_unix_dir()
            case_insensitive = False
        else:
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise InputError(f"{self.display_path}: cannot read: {exc.strerror}") from None
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
        self._diags.append(self.diag(level, code, message, **kw))

    # ---- .reg files ---------------------------------------------------------------------------

    def _decode_reg(self, data: bytes) -> tuple[str, bool]:
        """Decode a .reg file; returns (text, wide) where ``wide`` means hex(2)/(7) strings are UTF-16."""
        if data.startswith(codecs.BOM_UTF16_LE):
            return self._decode(data[2:], "utf-16-le", "UTF-16LE"), True
        if data.startswith(codecs.BOM_UTF16_BE):
            return self._decode(data[2:], "utf-16-be", "UTF-16BE"), True
        if data.startswith(codecs.BOM_UTF8):
            return self._decode(data[3:], "utf-8", "UTF-8"), True
        if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
            self._diag("warning", "encoding", "the file is UTF-16LE without a byte-order mark "
                       "(regedit would refuse it); read as UTF-16LE")
            return self._decode(data, "utf-16-le", "UTF-16LE"), True
        if data.lstrip().startswith(b"REGEDIT4"):
            return self._decode(data, self.codepage, f"code page {self.codepage}"), False
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            self._diag("warning", "encoding", f"the file is neither UTF-16 nor UTF-8; read it in code page "
                       f"{self.codepage} (set the codepage option if names look wrong)")
            return self._decode(data, self.codepage, f"code page {self.codepage}"), False

    def _decode(self, data: bytes, encoding: str, label: str, file: str | None = None) -> str:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            self._diag("warning", "encoding", f"bytes at offset {exc.start} are not valid {label}; "
                       "they were replaced with U+FFFD", file=file)
            return data.decode(encoding, errors="replace")

    def _read_reg(self, data: bytes) -> list[_Session]:
        text, wide = self._decode_reg(data)
        text = text.lstrip("\ufeff")
        lines = re.split(r"\r\n|\r|\n", text)
        first = next((ln.strip() for ln in lines if ln.strip()), "")
        if first not in ("Windows Registry Editor Version 5.00", "REGEDIT4"):
            self._diag("warning", "reg-header", "the file does not start with a registry export header "
                       "('Windows Registry Editor Version 5.00' or 'REGEDIT4'); read it anyway", line=1)
        sessions: dict[tuple[str, str], _Session] = {}
        current: _Session | None = None
        in_other_key = False
        saw_product = False
        header_pending = first in ("Windows Registry Editor Version 5.00", "REGEDIT4")
        for lineno, line in self._logical_lines(lines):
            stripped = line.strip()
            if not stripped or stripped.startswith(";"):
                continue
            if header_pending and stripped == first:
                header_pending = False
                continue
            if stripped.startswith("["):
                current, in_other_key = None, False
                if not stripped.endswith("]"):
                    self._diag("error", "reg-syntax", "registry key line has no closing ']'; the values "
                               "under it are ignored", line=lineno)
                    in_other_key = True
                    continue
                keypath = stripped[1:-1]
                deleting = keypath.startswith("-")
                keypath = keypath.lstrip("-")
                located = _locate_session(keypath)
                if located is None:
                    saw_product |= any(p in keypath.casefold() for p in _PRODUCT_KEYS)
                    in_other_key = True
                    continue
                saw_product = True
                store, escaped = located
                if "\\" in escaped:
                    self._diag("info", "not-a-session", f"registry key {keypath} is below a session key, "
                               "not a session; ignored", line=lineno)
                    in_other_key = True
                    continue
                name, clean = unescape_session_name(escaped, self.codepage)
                if not clean:
                    self._diag("warning", "session-name", f"session key name {escaped!r} has a '%' that is "
                               f"not followed by two hex digits or bytes invalid in {self.codepage}; "
                               f"read as {name!r}", line=lineno, entry=name)
                ident = (store, escaped.translate(_ASCII_LOWER))
                if deleting:
                    sessions.pop(ident, None)
                    self._diag("info", "deleted-key", f"the file deletes session {name!r} ([-...] key); "
                               "not imported", line=lineno, entry=name)
                    in_other_key = True
                    continue
                if ident in sessions:
                    current = sessions[ident]
                    self._diag("info", "repeated-key", f"session {name!r} appears again (first at line "
                               f"{current.line}); its values are merged, later ones win",
                               line=lineno, entry=name)
                else:
                    current = _Session(name=name, store=store, file=self.display_path, line=lineno,
                                       section=keypath)
                    sessions[ident] = current
                continue
            if stripped[0] not in '"@':
                # The text is not echoed: a damaged line may hold a ProxyPassword.
                self._diag("error", "reg-syntax", "line is neither a key nor a value; ignored", line=lineno)
                continue
            if current is None:
                if not in_other_key and stripped:
                    self._diag("warning", "reg-syntax", "value outside any registry key; ignored",
                               line=lineno)
                continue
            self._parse_value_line(current, stripped, lineno, wide)
        if not sessions and not saw_product:
            self._diag("warning", "no-sessions", "no PuTTY or KiTTY session keys "
                       "(...\\SimonTatham\\PuTTY\\Sessions\\ or ...\\9bis.com\\KiTTY\\Sessions\\) "
                       "in this file")
        return list(sessions.values())

    @staticmethod
    def _logical_lines(lines: list[str]):
        """Yield (first line number, text), joining hex data continued with a trailing backslash."""
        i = 0
        while i < len(lines):
            start, text = i + 1, lines[i]
            while (text.rstrip().endswith("\\") and re.search(r"=\s*hex(\([0-9A-Fa-f]+\))?:", text)
                   and i + 1 < len(lines)):
                i += 1
                text = text.rstrip()[:-1] + lines[i].strip()
            yield start, text
            i += 1

    def _parse_value_line(self, session: _Session, line: str, lineno: int, wide: bool) -> None:
        if line.startswith("@"):
            return  # a key's default value; PuTTY stores nothing there
        parsed = _parse_quoted(line, 0)
        if parsed is None:
            self._diag("error", "reg-syntax", "value name has no closing quote; line ignored",
                       line=lineno, entry=session.name)
            return
        name, pos = parsed
        rest = line[pos:].lstrip()
        if not rest.startswith("="):
            self._diag("error", "reg-syntax", f"no '=' after value name {name!r}; line ignored",
                       line=lineno, field=name, entry=session.name)
            return
        rest = rest[1:].lstrip()
        key = name.casefold()
        if rest == "-":
            session.values.pop(key, None)
            return
        try:
            value = self._parse_data(rest, wide)
        except ValueError as exc:
            self._diag("error", "reg-value", f"value {name!r} cannot be read: {exc}; PuTTY's default is used",
                       line=lineno, field=name, entry=session.name)
            return
        value.line = lineno
        session.values[key] = value

    def _parse_data(self, rest: str, wide: bool) -> _Value:
        if rest.startswith('"'):
            parsed = _parse_quoted(rest, 0)
            if parsed is None:
                raise ValueError("the string has no closing quote")
            if rest[parsed[1]:].strip():
                raise ValueError("there is text after the closing quote")
            return _Value("str", parsed[0], None)
        low = rest.casefold()
        if low.startswith("dword:"):
            digits = rest[6:].strip()
            if not _DWORD.fullmatch(digits):
                raise ValueError("a dword value must be 1-8 hex digits")
            number = int(digits, 16)
            return _Value("int", number - (1 << 32) if number >= 1 << 31 else number, None)
        m = _HEX_PREFIX.match(rest)
        if m:
            kind = _HEX_TYPES.get(m.group(1).lower().lstrip("0") or "0" if m.group(1) else None, "binary")
            body = rest[m.end():].replace(" ", "").replace("\t", "").rstrip(",")
            try:
                raw = bytes(int(b, 16) for b in body.split(",")) if body else b""
            except ValueError:
                raise ValueError("hex data is not comma-separated byte values") from None
            if any(len(b) != 2 for b in body.split(",") if body):
                raise ValueError("hex data is not comma-separated byte values")
            return self._typed_hex(kind, raw, wide)
        raise ValueError("the value is neither a quoted string, dword: nor hex:")

    def _typed_hex(self, kind: str, raw: bytes, wide: bool) -> _Value:
        encoding = "utf-16-le" if wide else self.codepage
        if kind in ("sz", "expand_sz", "multi_sz"):
            text = raw.decode(encoding, errors="replace")
            if kind == "multi_sz":
                return _Value("list", [s for s in text.split("\0") if s], None)
            return _Value("str", text.split("\0", 1)[0], None)
        if kind in ("dword", "dword_be") and len(raw) == 4:
            order = "little" if kind == "dword" else "big"
            return _Value("int", int.from_bytes(raw, order, signed=True), None)
        if kind == "qword" and len(raw) == 8:
            return _Value("int", int.from_bytes(raw, "little", signed=True), None)
        return _Value("bytes", raw, None)

    # ---- Unix session files -------------------------------------------------------------------

    def _read_unix_dir(self) -> list[_Session]:
        folder = self.path / "sessions" if (self.path / "sessions").is_dir() else self.path
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            raise InputError(f"{folder.as_posix()}: cannot list: {exc.strerror}") from None
        sessions = []
        seen: dict[str, str] = {}
        for entry in entries:
            if not entry.is_file():
                continue
            name, clean = unescape_session_name(entry.name, "utf-8")
            if not clean:
                self._diag("warning", "session-name", f"file name {entry.name!r} has a '%' that is not "
                           f"followed by two hex digits or is not UTF-8; read as {name!r}",
                           file=entry.as_posix(), entry=name)
            if name in seen:
                self._diag("warning", "repeated-session", f"files {seen[name]!r} and {entry.name!r} both "
                           f"decode to session {name!r}; the second is not imported",
                           file=entry.as_posix(), entry=name)
                continue
            seen[name] = entry.name
            session = self._read_unix_file(entry, name)
            if session:
                sessions.append(session)
        if not sessions:
            self._diag("warning", "no-sessions", f"no PuTTY session files in {folder.as_posix()}")
        return sessions

    def _read_unix_file(self, path: Path, name: str) -> _Session | None:
        file = path.as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._diag("error", "unreadable", f"cannot read session file: {exc.strerror}; not imported",
                       file=file, entry=name)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self._diag("warning", "encoding", f"session file is not UTF-8; read in code page {self.codepage}",
                       file=file, entry=name)
            text = data.decode(self.codepage, errors="replace")
        session = _Session(name=name, store="unix", file=file, line=None, section=name)
        for lineno, line in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
            key, sep, value = line.partition("=")
            if not sep:
                continue
            if key.casefold() in session.values:
                continue  # PuTTY keeps the first occurrence
            session.values[key.casefold()] = _Value("text", value, lineno)
        host_value = session.values.get("hostname")
        session.line = host_value.line if host_value else None
        return session

    # ---- applying PuTTY's rules -----------------------------------------------------------------

    def _str(self, s: _Session, key: str, default: str) -> str:
        v = s.values.get(key.casefold())
        if v is None:
            return default
        if v.kind in ("str", "text"):
            return v.data  # type: ignore[return-value]
        self._diag("warning", "value-type", f"{key} is stored as {v.kind}, PuTTY reads it only as a string; "
                   f"PuTTY's default {default!r} is used", file=s.file, line=v.line, field=key, entry=s.name)
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
                return int(m.group(1))
            self._diag("warning", "value-type", f"{key}={v.data!r} is not a number; PuTTY's default "
                       f"{default} is used", file=s.file, line=v.line, field=key, entry=s.name)
            return default
        self._diag("warning", "value-type", f"{key} is stored as {v.kind}, PuTTY reads it only as a DWORD; "
                   f"PuTTY's default {default} is used", file=s.file, line=v.line, field=key, entry=s.name)
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
                self._diag("warning", "default-protocol", f"{what}: putty.exe then uses SSH on port 22"
                           f"{ignored}", file=s.file, line=s.line, field="Protocol", entry=s.name)
            protocol, port = "ssh", 22
        host, at_user, dropped = prepare_host(self._str(s, "HostName", ""))
        if dropped and report:
            self._diag("warning", "host-suffix", f"HostName ends in {dropped!r}; PuTTY discards such a "
                       "suffix (it is not used as the port)", file=s.file, line=s.line, field="HostName",
                       entry=s.name)
        user = at_user if at_user is not None else self._str(s, "UserName", "")
        return _Conn(protocol=protocol, host=host, port=port, user=user or None)

    def _proxy_method(self, s: _Session) -> int:
        method = self._int(s, "ProxyMethod", -1) if s.has("ProxyMethod") else -1
        if 0 <= method <= 8:
            return method
        if method != -1:
            self._diag("warning", "proxy", f"ProxyMethod {method} is unknown; the older ProxyType is used",
                       file=s.file, line=s.line, field="ProxyMethod", entry=s.name)
        old = self._int(s, "ProxyType", 0)
        if old in _OLD_PROXY_TYPES:
            return _OLD_PROXY_TYPES[old]
        return 2 if self._int(s, "ProxySOCKSVersion", 5) == 5 else 1

    def _bypasses_proxy(self, s: _Session, host: str) -> bool:
        """PuTTY never proxies loopback (unless ProxyLocalhost=1) nor hosts in ProxyExcludeList.

        The exclusion list is matched by exact name, a leading ``*`` wildcard, or an IP network;
        that covers what PuTTY's ``proxy_for_destination`` accepts in practice.
        """
        low = host.casefold()
        if not self._int(s, "ProxyLocalhost", 0):
            if low == "localhost" or low.startswith("127.") or low in ("::1", "[::1]"):
                return True
        for pattern in re.split(r"[\s,]+", self._str(s, "ProxyExcludeList", "").strip()):
            if not pattern:
                continue
            try:
                if ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(pattern, strict=False):
                    return True
                continue
            except ValueError:
                pass
            if fnmatch.fnmatchcase(low, pattern.casefold()):
                return True
        return False

    def _chain(self, top: _Session, s: _Session, conn: _Conn, store: _Store,
               visiting: tuple[str, ...]) -> list[JumpHop]:
        """Jump hops to reach ``s`` (imported as ``top``), first hop first.

        Raises _ChainError when PuTTY itself could not connect (a loop, a jump session that is not
        SSH); a network or command proxy anywhere in the chain is reported and ends the chain there.
        """
        method = self._proxy_method(s)
        if method == 0 or self._bypasses_proxy(s, conn.host):
            return []
        if method != _PROXY_SSH_JUMP:
            self._report_proxy(top, s, method)
            return []
        if len(visiting) > _MAX_HOPS:
            raise _ChainError("jump-too-long", f"its jump chain has more than {_MAX_HOPS} hops", "ProxyHost")
        proxy_host = self._str(s, "ProxyHost", "proxy")
        proxy_user = self._str(s, "ProxyUsername", "")
        target = store.lookup(proxy_host)
        if target is not None:
            ident = target.entry_id
            if ident in visiting:
                raise _ChainError("jump-loop", "its jump chain loops: "
                                  + " -> ".join([*visiting, ident]), "ProxyHost")
            if target.name == DEFAULT_SETTINGS and not self._str(target, "HostName", ""):
                raise _ChainError("jump-invalid", "its ProxyHost names 'Default Settings', which has no "
                                  "host name", "ProxyHost")
            hop_conn = self._conn(target, report=False)
            if hop_conn.protocol != "ssh":
                raise _ChainError("jump-invalid", f"its jump session {target.name!r} is not an SSH session "
                                  f"(Protocol {hop_conn.protocol!r})", "ProxyHost")
            hop_host, at_user, _ = prepare_host(self._str(target, "HostName", ""))
            if not hop_host:
                raise _ChainError("jump-invalid", f"its jump session {target.name!r} has no host name",
                                  "ProxyHost")
            user = at_user or proxy_user or hop_conn.user
            hop = _hop(hop_host, hop_conn.port, user, ref=target.name, ref_key=store.keys.get(ident))
            return [*self._chain(top, target, hop_conn, store, (*visiting, ident)), hop]
        defaults = store.lookup(DEFAULT_SETTINGS) or _Session(DEFAULT_SETTINGS, s.store, s.file, None, "")
        host, at_user, dropped = prepare_host(proxy_host)
        if not host:
            raise _ChainError("jump-invalid", "ProxyHost is empty", "ProxyHost")
        if dropped:
            self._diag("warning", "host-suffix", f"ProxyHost ends in {dropped!r}; PuTTY discards such a "
                       "suffix (the jump port is ProxyPort)", file=s.file, line=s.line, field="ProxyHost",
                       entry=s.name)
        near = store.near_miss(proxy_host)
        if near is not None:
            self._diag("warning", "jump-name-case", f"ProxyHost {proxy_host!r} is not the name of a saved "
                       f"session (session {near.name!r} differs in case, which PuTTY does not ignore here), "
                       "so it is used as a host name", file=s.file, line=s.line, field="ProxyHost",
                       entry=s.name)
        default_key = self._str(defaults, "PublicKeyFile", "")
        if default_key:
            self._diag("warning", "jump-key", f"jump host {host!r} is given by host name, so PuTTY uses the "
                       f"key of Default Settings ({default_key}) for it; give that hop the key in XPipe",
                       file=s.file, line=s.line, field="ProxyHost", entry=s.name)
        if not s.has("ProxyPort"):
            self._diag("warning", "proxy-port", f"no ProxyPort: PuTTY's default 80 is used for jump host "
                       f"{host!r}", file=s.file, line=s.line, field="ProxyPort", entry=s.name)
        port = self._int(s, "ProxyPort", 80)
        user = at_user or proxy_user or self._str(defaults, "UserName", "")
        hop = _hop(host, port, user)
        ident = f"{DEFAULT_SETTINGS} ({host})"
        if any(v.startswith(DEFAULT_SETTINGS) for v in visiting):
            raise _ChainError("jump-loop", "its jump chain loops through Default Settings' own proxy",
                              "ProxyHost")
        hop_conn = _Conn("ssh", host, port, user or None)
        return [*self._chain(top, defaults, hop_conn, store, (*visiting, ident)), hop]

    def _report_proxy(self, top: _Session, s: _Session, method: int) -> None:
        fld = "ProxyMethod" if s.has("ProxyMethod") else "ProxyType"
        if method in (5, 7, 8):
            detail = " (its command is in ProxyTelnetCommand; not shown, it may hold a password)"
        else:
            detail = f" {self._str(s, 'ProxyHost', 'proxy')}:{self._int(s, 'ProxyPort', 80)}"
        what = f"a {_PROXY_NAMES[method]} proxy{detail}, which cannot be expressed as a jump host"
        if s is top:
            message = f"uses {what}; imported without the proxy, set it up in XPipe by hand"
        else:
            message = (f"its jump session {s.name!r} uses {what}; the chain is imported from that session "
                       "on, set the rest up in XPipe by hand")
        self._diag("warning", "unsupported-proxy", message, file=top.file, line=top.line, field=fld,
                   entry=top.name)

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
            self._diag("info", "folder-guess", f"folder taken from PsmPath '{path}' (a PuTTY Session Manager "
                       "value whose format is not documented)", file=s.file, line=s.line, field="PsmPath",
                       entry=s.name)
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
                self._diag("info", "template", "Default Settings is PuTTY's template for new sessions, not a "
                           "server; not imported (its user name and key still apply to jump hosts given "
                           "by host name)", file=s.file, line=s.line, entry=s.name)
                continue
            conn = self._conn(s, report=True)
            if conn.protocol != "ssh":
                self._diag("warning", "not-ssh", f"not imported: {_NOT_SSH[conn.protocol]} "
                           f"(Protocol {conn.protocol!r}){self._where(s)}", file=s.file, line=s.line,
                           field="Protocol", entry=s.name)
                continue
            if not conn.host:
                self._diag("warning", "no-host", "not imported: the session has no HostName (PuTTY would "
                           "ask for one)", file=s.file, line=s.line, field="HostName", entry=s.name)
                continue
            candidates.append((s, conn))

        keys = self._keys([s for s, _ in candidates])
        stores = {name: _Store(sessions, norm, keys) for name, sessions in by_store.items()}
        built: list[tuple[_Session, _Conn, list[JumpHop]]] = []
        for s, conn in candidates:
            try:
                jump = self._chain(s, s, conn, stores[s.store], (s.entry_id,))
            except _ChainError as exc:
                self._diag("error", exc.code, f"not imported: {exc.message}", file=s.file, line=s.line,
                           field=exc.field, entry=s.name)
                self._held.add(keys.pop(s.entry_id))
                continue
            except ValueError as exc:
                self._diag("error", "bad-jump-host", "not imported: a jump host is invalid: "
                           f"{_first_error(exc)}", file=s.file, line=s.line, field="ProxyHost", entry=s.name)
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
                h.jump = [hop if hop.ref_key in final or not hop.ref_key
                          else hop.model_copy(update={"ref_key": None}) for hop in h.jump]
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
            keys[s.entry_id] = self.key(ident)
        return keys

    def _where(self, s: _Session) -> str:
        folder = self._folder(s)
        return f" in folder {'/'.join(folder)!r}" if folder else ""

    def _make_host(self, s: _Session, conn: _Conn, jump: list[JumpHop], keys) -> Host | None:
        user = conn.user
        if user is None and self._int(s, "UserNameFromEnvironment", 0):
            self._diag("warning", "user-from-environment", "the session logs in with the local Windows user "
                       "name (UserNameFromEnvironment=1), which is not known here; no user set",
                       file=s.file, line=s.line, field="UserNameFromEnvironment", entry=s.name)
        creds = Credentials()
        key_file = self._str(s, "PublicKeyFile", "")
        if key_file:
            creds.key_files.append(key_file)
            if key_file.casefold().endswith(".ppk"):
                self._diag("warning", "ppk-key", ppk_message(key_file), file=s.file,
                           line=s.values["publickeyfile"].line or s.line, field="PublicKeyFile",
                           entry=s.name)
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
                key=keys[s.entry_id], name=name, address=conn.host, port=conn.port, user=user,
                category=category, credentials=creds, jump=jump, ssh_options=options,
                source=self.provenance(line=s.line, section=s.section, file=s.file),
            )
        except ValidationError as exc:
            fld = {"address": "HostName", "port": "PortNumber", "user": "UserName", "name": "session name"}
            loc = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
            self._diag("error", "invalid-value", f"not imported: {_first_error(exc)}", file=s.file,
                       line=s.line, field=fld.get(loc, loc), entry=s.name)
            return None


def _hop(host: str, port: int, user: str | None, ref: str | None = None,
         ref_key: str | None = None) -> JumpHop:
    """A validated jump hop; a bad host or port raises ValueError naming it."""
    if not 1 <= port <= 65535:
        raise ValueError(f"jump host {host!r} has port {port}, outside 1-65535")
    return JumpHop(host=validate_address(host), port=port, user=user or None, ref=ref, ref_key=ref_key)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        msg = exc.errors()[0]["msg"]
        return msg.removeprefix("Value error, ")
    return str(exc)


def _parse_quoted(text: str, start: int) -> tuple[str, int] | None:
    """Read a .reg quoted string at ``start``; ``\\\\`` and ``\\"`` are the only escapes regedit writes.

    Any other backslash is kept as written, so a hand-made ``"C:\\keys\\a.ppk"`` keeps its path.
    """
    m = _QUOTED.match(text, start)
    if m is None:
        return None
    inner = m.group(1)
    return (_QUOTED_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner), m.end()


def _locate_session(keypath: str) -> tuple[str, str] | None:
    low = keypath.casefold()
    for store, marker in _STORES:
        at = low.find(marker)
        if at >= 0:
            escaped = keypath[at + len(marker):]
            return (store, escaped) if escaped else None
    return None


def _looks_like_reg(path: Path, data: bytes) -> bool:
    if path.suffix.lower() == ".reg" or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return True
    head = _decode_head(data[:4096]).lstrip("\ufeff \t\r\n").casefold()
    return head.startswith(("windows registry editor", "regedit4")) or head.startswith("[hkey_")


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 4 and head[1] == 0 and head[3] == 0
    ):
        enc = "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
        return head[: len(head) // 2 * 2].decode(enc, errors="replace")
    return head.decode("utf-8", errors="replace")
