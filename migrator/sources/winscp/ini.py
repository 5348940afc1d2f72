"""The portable ``WinSCP.ini``: sections and ``Name=Value`` lines, names and values %-escaped.

WinSCP writes its settings tree as INI sections named by their path (``[Sessions\\My%20site]``,
``[Configuration\\Security]``) [code: ``source/core/HierarchicalStorage.cpp``]. Key names and
string values are escaped like PuTTY's registry keys (``escape_registry_key``: space, ``\\``, ``*``,
``?``, ``%``, control and non-ASCII bytes, and a leading ``.``, as ``%XX``); a text with non-ASCII
characters is UTF-8 behind an escaped BOM (``%EF%BB%BF``), any other text is in the Windows ANSI
code page (``UnMungeStr``). The file itself is therefore ASCII. A section or name that appears twice
keeps its first occurrence, as Delphi's ``TMemIniFile`` looks it up [inferred]; the repeat is reported.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_BOM = codecs.BOM_UTF8


@dataclass
class Section:
    name: str
    line: int
    values: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower-case name -> (raw value, line)
    repeats: list[tuple[str, int]] = field(default_factory=list)

    def raw(self, name: str) -> tuple[str, int] | None:
        return self.values.get(name.casefold())


def parse_sections(text: str) -> tuple[list[Section], list[int]]:
    """The sections in file order and the line numbers that are neither a section nor ``Name=Value``."""
    sections: list[Section] = []
    by_name: dict[str, Section] = {}
    current: Section | None = None
    repeated = False
    bad: list[int] = []
    for lineno, line in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            name = stripped[1:-1]
            current = by_name.get(name.casefold())
            repeated = current is not None
            if current is None:
                current = by_name[name.casefold()] = Section(name, lineno)
                sections.append(current)
            else:
                current.repeats.append(("[section]", lineno))
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or current is None:
            bad.append(lineno)
            continue
        low = unmunge_name(key).casefold()
        if repeated or low in current.values:
            current.repeats.append((key, lineno))
            continue
        current.values[low] = (value.strip(), lineno)
    return sections, bad


def unmunge_bytes(text: str, codepage: str) -> bytes:
    """Undo the ``%XX`` escapes; characters written as themselves become code-page bytes, as WinSCP's
    ``AnsiString`` conversion makes them."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()].encode(codepage, errors="replace")
        out.append(int(m.group(1), 16))
        pos = m.end()
    out += text[pos:].encode(codepage, errors="replace")
    return bytes(out)


def unmunge(text: str, codepage: str) -> str:
    """A string value or name as WinSCP reads it: UTF-8 after an escaped BOM, else the ANSI code page."""
    data = unmunge_bytes(text, codepage)
    if data.startswith(_BOM):
        return data[len(_BOM) :].decode("utf-8", errors="replace")
    return data.decode(codepage, errors="replace")


def unmunge_name(text: str) -> str:
    """A key name (``MungeIniName``): only ``%3D`` (``=``) and BOM-marked UTF-8 are escaped."""
    if text.startswith("%EF%BB%BF"):
        return unmunge(text, "utf-8")
    return text.replace("%3D", "=")
