"""SecureCRT settings as both layouts store them: one session's typed values, and the ``.ini`` line format.

A session ``.ini`` file holds one setting per line [3rd-party, consistent across independent parsers]:
``S:"Name"=text`` a string; ``D:"Name"=0000001f`` a 32-bit number in hex; ``Z:"Name"=00000002``
followed by that many lines, each after one leading space, a list of strings; ``B:"Name"=0000000c``
followed by lines of hex bytes (each after one leading space) until that many bytes are read. The
XML export ("Export Settings") has the same names and kinds as elements (``xml_export.py``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from migrator.model import Diagnostic

_LINE = re.compile(r'([SDZB]):"([^"]*)"=(.*)')
_HEX_WORD = re.compile(r"\s*([0-9A-Fa-f]{1,8})\s*")
_HEX_BYTES = re.compile(r"[0-9A-Fa-f]{2}")
#: A list or binary value longer than this is not a setting (a crafted count would read the rest of the file).
MAX_LIST_LINES = 100_000


@dataclass(frozen=True)
class Setting:
    """One value: ``kind`` is ``S`` (text), ``D`` (number), ``Z`` (list of texts) or ``B`` (bytes).

    ``value`` is None when the stored text could not be parsed as its kind (the diagnostic was given
    where it was read; a field that needs it is then an error for its entry, not a guess).
    """

    kind: str
    value: str | int | list[str] | bytes | None
    line: int


@dataclass
class RawSession:
    """A session (or a template) as read, before SecureCRT's meaning is applied."""

    name: str
    folder: list[str]
    file: str
    line: int
    settings: dict[str, Setting] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The session's path below ``Sessions``, as ``Firewall Name=Session:`` names it (``/``-joined)."""
        return "/".join([*self.folder, self.name])

    def get(self, name: str) -> Setting | None:
        return self.settings.get(name.casefold())


def decode_text(data: bytes, codepage: str) -> tuple[str, str | None]:
    """The text of a settings file and a warning, if any: a BOM decides (UTF-8, UTF-16 LE/BE);
    without one strict UTF-8, else the ANSI code page."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8")
    if data.startswith(codecs.BOM_UTF16_LE):
        return _decode(data[2:], "utf-16-le")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data[2:], "utf-16-be")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        text, _ = _decode(data, codepage)
        return text, f"the file is not UTF-8; it was read as {codepage} (set the codepage option if names look wrong)"


def _decode(body: bytes, encoding: str) -> tuple[str, str | None]:
    try:
        return body.decode(encoding), None
    except UnicodeDecodeError as exc:
        return (
            body.decode(encoding, errors="replace"),
            f"bytes at offset {exc.start} are not valid {encoding}; they were replaced with U+FFFD",
        )


def split_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\n|\r", text)


class IniParser:
    """Parses one session file's lines into settings, reporting each line it cannot use (never its text)."""

    def __init__(self, file: str, entry: str):
        self.file = file
        self.entry = entry
        self.diagnostics: list[Diagnostic] = []
        self._bad_lines: list[int] = []

    def _diag(self, level, code, message, line, field=None) -> None:
        self.diagnostics.append(
            Diagnostic(
                level=level, code=code, message=message, file=self.file, line=line, field=field, entry=self.entry
            )
        )

    def parse(self, lines: list[str]) -> dict[str, Setting]:
        settings: dict[str, Setting] = {}
        i = 0
        while i < len(lines):
            line = lines[i]
            lineno = i + 1
            i += 1
            if not line.strip():
                continue
            m = _LINE.fullmatch(line)
            if m is None:
                self._bad_lines.append(lineno)
                continue
            kind, name, value = m.group(1), m.group(2), m.group(3)
            if kind == "S":
                setting = Setting("S", value, lineno)
            elif kind == "D":
                setting = Setting("D", self._word(value, lineno, name), lineno)
            elif kind == "Z":
                items, i = self._list(lines, i, value, lineno, name)
                setting = Setting("Z", items, lineno)
            else:
                data, i = self._binary(lines, i, value, lineno, name)
                setting = Setting("B", data, lineno)
            key = name.casefold()
            if key in settings:
                self._diag(
                    "warning",
                    "repeated-setting",
                    f"{name} appears again (first at line {settings[key].line}); the later value is used",
                    lineno,
                    name,
                )
            settings[key] = setting
        if self._bad_lines:
            more = f" and {len(self._bad_lines) - 1} more" if len(self._bad_lines) > 1 else ""
            self._diag(
                "warning",
                "ini-syntax",
                f'not a SecureCRT setting line (X:"Name"=value){more}; ignored',
                self._bad_lines[0],
            )
        return settings

    def _word(self, text: str, lineno: int, name: str) -> int | None:
        m = _HEX_WORD.fullmatch(text)
        if m is None:
            self._diag("warning", "invalid-value", f"{name} is not an 8-digit hex number; ignored", lineno, name)
            return None
        return int(m.group(1), 16)

    def _count(self, text: str, lineno: int, name: str) -> int:
        count = self._word(text, lineno, name)
        if count is None:
            return 0
        if count > MAX_LIST_LINES:
            self._diag(
                "warning", "invalid-value", f"{name} declares {count} lines, more than any setting holds", lineno, name
            )
            return MAX_LIST_LINES
        return count

    def _list(self, lines: list[str], i: int, text: str, lineno: int, name: str) -> tuple[list[str], int]:
        count = self._count(text, lineno, name)
        items: list[str] = []
        while len(items) < count and i < len(lines) and lines[i].startswith(" "):
            items.append(lines[i][1:])
            i += 1
        if len(items) < count:
            self._diag(
                "warning",
                "truncated-value",
                f"{name} declares {count} line(s) but only {len(items)} follow; the rest is missing",
                lineno,
                name,
            )
        return items, i

    def _binary(self, lines: list[str], i: int, text: str, lineno: int, name: str) -> tuple[bytes | None, int]:
        size = self._word(text, lineno, name)
        data = bytearray()
        broken = size is None
        while not broken and len(data) < size and i < len(lines) and lines[i].startswith(" "):
            parts = lines[i].split()
            if not all(_HEX_BYTES.fullmatch(p) for p in parts):
                broken = True
            else:
                data += bytes(int(p, 16) for p in parts)
            i += 1
        if broken or (size is not None and len(data) != size):
            self._diag("warning", "invalid-value", f"{name} is not {size} bytes of hex; ignored", lineno, name)
            return None, i
        return bytes(data), i
