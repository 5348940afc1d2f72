"""Text from the inputs made safe for the terminal and for Markdown.

Names, aliases, keys and values come from files and from the server. Written to a terminal as they
are, an escape sequence in an ssh_config alias would drive the terminal, a newline in a name would
forge a diagnostic line, and a bidi override would make a line read differently from what it says.
:func:`console` turns every such character into a visible escape; :func:`markdown_cell` also keeps
Markdown and HTML inside one table cell. JSON keeps its data exact: :func:`json_console` only
writes those characters as ``\\uXXXX`` escapes, which parse back to the same text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BIDI_FORMATTING = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
#: Every character but printable ASCII and the newline: the only ones ``json_console`` may change.
_NOT_PLAIN_ASCII = re.compile("[^\n\x20-\x7e]+")


@lru_cache(maxsize=4096)
def hostile(ch: str) -> bool:
    """Controls (C0, DEL, C1), line/paragraph separators, lone surrogates, the BOM, and the bidi
    embeddings, overrides, isolates and marks (format characters with a strong direction)."""
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp", "Cs") or ch == "\ufeff":
        return True
    bidi = unicodedata.bidirectional(ch)
    return bidi in _BIDI_FORMATTING or (category == "Cf" and bidi in ("L", "R", "AL"))


def clipped(text, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, ``…`` marking the cut: a value quoted in a diagnostic (a
    method, a type, an address) that a file can make megabytes long."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _visible(ch: str) -> str:
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def console(text) -> str:
    """``text`` with every :func:`hostile` character written as a visible escape."""
    text = str(text)
    if text.isprintable():  # every hostile character is non-printable
        return text
    return "".join(_visible(ch) if hostile(ch) else ch for ch in text)


def console_strings(node):
    """A copy of a report document with :func:`console` applied to every string (keys included)."""
    if isinstance(node, str):
        return console(node)
    if isinstance(node, dict):
        return {console_strings(k): console_strings(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [console_strings(v) for v in node]
    return node


def json_console(text: str) -> str:
    """JSON text with the characters :func:`console` escapes written as ``\\uXXXX`` (still the same JSON).

    ``json.dumps`` already escapes C0 inside strings; what is left raw there are the others, and the
    layout's own newlines stay as they are. Only runs of characters outside printable ASCII are
    looked at, so an ASCII document costs one scan.
    """
    if text.isascii() and text.isprintable():
        return text
    return _NOT_PLAIN_ASCII.sub(_json_escape_run, text)


def _json_escape_run(m: re.Match) -> str:
    run = m.group()
    return "".join(_json_escape(ch) if hostile(ch) else ch for ch in run)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def markdown_cell(text) -> str:
    """Text for one cell of a Markdown table: no HTML, no Markdown syntax, no cell or line break."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MARKDOWN_SPECIAL.sub(r"\\\1", out)
    return console(out)


def code_fence(lines: list[str]) -> str:
    """A backtick fence longer than any run of backticks in ``lines``, so the text cannot close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)
