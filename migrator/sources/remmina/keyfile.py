"""GLib key files (``GKeyFile``), the INI-like format of ``*.remmina`` profiles and ``remmina.pref``.

Read as ``g_key_file_load_from_file`` does (GNOME/glib ``glib/gkeyfile.c`` at c2237ff1cb00,
``g_key_file_parse_data`` .. ``g_key_file_parse_key_value_pair``): lines end at ``\\n`` (a ``\\r``
before it is dropped); leading ASCII whitespace is skipped; ``#`` and empty lines are comments;
``[group]`` may be followed by spaces or tabs only; ``key=value`` trims the key's trailing and the
value's leading whitespace (the value's trailing whitespace stays); a key may carry a locale suffix
(``name[de]``). Any other line, a key before the first group, an invalid group or key name, or an
``Encoding`` other than UTF-8 in the first group makes GLib refuse the *whole* file, and Remmina
then skips it: ``parse_keyfile`` raises ``KeyFileError`` with the line. A group that appears twice
is one group, and a key that appears twice keeps its last value (``g_hash_table_replace``).

``string_value`` decodes a value like ``g_key_file_get_string``: it must be UTF-8, and the escapes
``\\s \\n \\t \\r \\\\`` are the only ones (another escape, or ``\\`` at the end, is an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_ASCII_SPACE = b" \t\n\v\f\r"


class KeyFileError(ValueError):
    """GLib would refuse the file; ``line`` is where (never the line's text: it may hold a secret)."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Value:
    raw: bytes
    line: int


@dataclass
class KeyFile:
    groups: dict[str, dict[str, Value]] = field(default_factory=dict)
    #: line of each group's first header
    group_lines: dict[str, int] = field(default_factory=dict)

    def group(self, name: str) -> dict[str, Value] | None:
        return self.groups.get(name)


def _is_group_name(name: bytes) -> bool:
    return bool(name) and not any(c in b"[]" or c < 0x20 or c == 0x7F for c in name)


def _is_key_name(key: bytes) -> bool:
    """``g_key_file_is_key_name``: no ``=``/``[``/``]`` except one ``[locale]`` suffix; no edge spaces."""
    base, sep, rest = key.partition(b"[")
    if not base or b"=" in base or b"]" in base:
        return False
    if base[:1] == b" " or base[-1:] == b" ":
        return False
    if not sep:
        return True
    if not rest.endswith(b"]"):
        return False
    locale = rest[:-1]
    try:
        text = locale.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isalnum() or c in "-_.@" for c in text)


def parse_keyfile(data: bytes) -> KeyFile:
    """Parse ``data`` as GLib does; ``KeyFileError`` for what makes GLib refuse the whole file."""
    if not data:
        raise KeyFileError(None, "the file is empty")
    out = KeyFile()
    current: str | None = None
    first_group: str | None = None
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        line = raw.lstrip(_ASCII_SPACE)
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"["):
            close = line.find(b"]")
            if close > 0 and not line[close + 1 :].strip(b" \t"):
                name = line[1:close]
                if not _is_group_name(name):
                    raise KeyFileError(lineno, "invalid group name")
                current = name.decode("utf-8", "surrogateescape")
                out.groups.setdefault(current, {})
                out.group_lines.setdefault(current, lineno)
                first_group = first_group or current
                continue
        eq = line.find(b"=")
        if eq <= 0:
            raise KeyFileError(lineno, "a line that is not a key=value pair, a [group] or a comment")
        if current is None:
            raise KeyFileError(lineno, "a key=value line before the first [group]")
        key = line[:eq].rstrip(_ASCII_SPACE)
        if not _is_key_name(key):
            raise KeyFileError(lineno, "an invalid key name")
        value = line[eq + 1 :].lstrip(_ASCII_SPACE)
        name = key.decode("utf-8", "surrogateescape")
        if current == first_group and name == "Encoding" and value.upper() != b"UTF-8":
            raise KeyFileError(lineno, "an Encoding other than UTF-8")
        out.groups[current][name] = Value(value, lineno)
    return out


class BadValue(ValueError):
    """A value ``g_key_file_get_string`` refuses (Remmina then treats the setting as unset)."""


_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def string_value(value: Value) -> str:
    """The value as ``g_key_file_get_string`` returns it; ``BadValue`` when GLib returns NULL."""
    try:
        text = value.raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadValue("the value is not UTF-8") from None
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(text):
            raise BadValue("the value ends in a lone backslash")
        nxt = text[i + 1]
        if nxt not in _ESCAPES:
            raise BadValue("the value has an escape GLib does not know")
        out.append(_ESCAPES[nxt])
        i += 2
    return "".join(out)
