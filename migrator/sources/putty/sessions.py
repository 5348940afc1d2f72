"""PuTTY sessions as stored: ``%XX`` session-name escaping, ``user@host`` preparation, and the Unix
session folder (one file of ``Key=value`` lines per session)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from migrator.errors import InputError
from migrator.sources.limits import MAX_SESSION_FILES, read_source_bytes, too_large

DEFAULT_SETTINGS = "Default Settings"
_PERCENT_HEX = re.compile(r"%([0-9A-Fa-f]{2})")


@lru_cache(maxsize=16)
def _ascii_transparent(codepage: str) -> bool:
    """Every ASCII character is its own single byte in ``codepage``, both ways (cp1252, cp932; not utf-16)."""
    ascii_text = "".join(map(chr, range(128)))
    try:
        encoded = [ch.encode(codepage) for ch in ascii_text]
        return encoded == [bytes([i]) for i in range(128)] and bytes(range(128)).decode(codepage) == ascii_text
    except (UnicodeError, LookupError):
        return False


def unescape_session_name(escaped: str, codepage: str) -> tuple[str, bool]:
    """Undo PuTTY's ``%XX`` escaping; the bytes are in ``codepage``. Returns (name, clean).

    Only ``%XX`` is replaced (never ``+``, unlike URL decoding). Literal characters are re-encoded
    in the code page first, so a DBCS character whose trail byte PuTTY left unescaped still decodes
    as one character. ``clean`` is False when a ``%`` was not followed by two hex digits or the bytes
    are not valid in the code page (the name then keeps ``%`` or U+FFFD at that place).
    """
    if "%" not in escaped and escaped.isascii() and _ascii_transparent(codepage):
        return escaped, True  # what the loop below gives for these: every byte decodes to itself
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
            user, host = host[:at], host[at + 1 :]
    colons = [i for i, c in enumerate(host) if c == ":" and not _inside_brackets(host, i)]
    dropped = None
    if len(colons) == 1:
        dropped = host[colons[0] :]
        host = host[: colons[0]]
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


class UnixSessionReader:
    """The Unix half of ``SessionsReader``: a ``sessions`` folder or one session file (mixed in)."""

    def _read_unix_dir(self) -> list[_Session]:
        folder = self.path / "sessions" if (self.path / "sessions").is_dir() else self.path
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            raise InputError(f"{folder.as_posix()}: cannot list: {exc.strerror}") from None
        if len(entries) > MAX_SESSION_FILES:
            raise too_large(folder.as_posix(), f"the number of files ({len(entries):,})", f"{MAX_SESSION_FILES:,}")
        sessions = []
        seen: dict[str, str] = {}
        for entry in entries:
            if not entry.is_file():
                continue
            name, clean = unescape_session_name(entry.name, "utf-8")
            if not clean:
                self._diag(
                    "warning",
                    "session-name",
                    f"file name {entry.name!r} has a '%' that is not "
                    f"followed by two hex digits or is not UTF-8; read as {name!r}",
                    file=entry.as_posix(),
                    entry=name,
                )
            if name in seen:
                self._diag(
                    "warning",
                    "repeated-session",
                    f"files {seen[name]!r} and {entry.name!r} both "
                    f"decode to session {name!r}; the second is not imported",
                    file=entry.as_posix(),
                    entry=name,
                )
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
            data = read_source_bytes(path, file)
        except InputError as exc:
            reason = str(exc).removeprefix(f"{file}: ")
            self._diag("error", "unreadable", f"session file not read ({reason}); not imported", file=file, entry=name)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self._diag(
                "warning",
                "encoding",
                f"session file is not UTF-8; read in code page {self.codepage}",
                file=file,
                entry=name,
            )
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
