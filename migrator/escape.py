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

#: C0, DEL, C1, the bidi marks, embeddings, overrides and isolates, line/paragraph separators,
#: the BOM, and lone surrogates (which cannot even be encoded for output)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _visible(m: re.Match) -> str:
    ch = m.group(0)
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def console(text) -> str:
    """``text`` with every control, bidi and separator character written as a visible escape."""
    return _UNSAFE.sub(_visible, str(text))


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
    layout's own newlines stay as they are.
    """
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def markdown_cell(text) -> str:
    """Text for one cell of a Markdown table: no HTML, no Markdown syntax, no cell or line break."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MARKDOWN_SPECIAL.sub(r"\\\1", out)
    return console(out)


def code_fence(lines: list[str]) -> str:
    """A backtick fence longer than any run of backticks in ``lines``, so the text cannot close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)
