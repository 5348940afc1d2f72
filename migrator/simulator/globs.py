"""XPipe's query globs (``DataStorageQuery.toRegex``, docs/xpipe-api.md §2.2), translated to Python regexes.

The rules, applied to the lower-cased filter:

* every ``**`` is first replaced by ``#``; then ``#`` means ``.*`` (crosses ``/``),
* ``*`` means ``[^/]*`` (one path segment), ``?`` means any single character,
* ``[...]`` is a character class, ``[!...]`` its negation,
* ``{a,b}`` is the alternative ``(a|b)``; a ``,`` outside braces is literal,
* ``\\x`` escapes ``x``; ``. ( ) + | ^ $ @ %`` are escaped (literal) outside classes.

The whole subject must match. A filter that yields an invalid pattern (e.g. an unclosed ``{``)
raises :class:`re.error`, which XPipe would answer with a 500.
"""

from __future__ import annotations

import re
from functools import lru_cache

_LITERAL_SPECIALS = set(".()+|^$@%")


def glob_to_regex(glob: str) -> str:
    """The regex source XPipe derives from ``glob`` (no lower-casing here)."""
    text = glob.replace("**", "#")
    out: list[str] = []
    group_depth = 0
    class_depth = 0
    class_start = -1
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 1
            if i >= len(text):
                out.append("\\")  # a dangling backslash: invalid, as in Java
            else:
                out.append(_escaped(text[i]))
        elif ch == "*":
            out.append("[^/]*" if class_depth == 0 else "*")
        elif ch == "#":
            out.append(".*" if class_depth == 0 else "*")
        elif ch == "?":
            out.append("." if class_depth == 0 else "?")
        elif ch == "[":
            class_depth += 1
            class_start = i + 1
            out.append("[")
        elif ch == "]":
            class_depth -= 1
            out.append("]")
        elif ch in _LITERAL_SPECIALS:
            if class_depth == 0 or (class_start == i and ch == "^"):
                out.append("\\")
            out.append(ch)
        elif ch == "!":
            out.append("^" if class_start == i else "!")
        elif ch == "{":
            group_depth += 1
            out.append("(")
        elif ch == "}":
            group_depth -= 1
            out.append(")")
        elif ch == ",":
            out.append("|" if group_depth > 0 else ",")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _escaped(ch: str) -> str:
    """The regex for glob ``\\ch``: a literal ``ch``, except that a letter or digit keeps its regex
    meaning (``\\d`` is a digit, an unknown letter escape is an invalid pattern), as in Java."""
    if ch == ",":
        return ","
    if ch.isalnum():
        return "\\" + ch
    return re.escape(ch)


@lru_cache(maxsize=256)
def compile_glob(glob: str) -> re.Pattern[str]:
    """The compiled, lower-cased filter. Raises :class:`re.error` for an invalid pattern."""
    return re.compile(glob_to_regex(glob.lower()))


def glob_matches(glob: str, subject: str) -> bool:
    """Whether ``subject`` (already lower-cased by the caller) matches ``glob`` entirely."""
    return compile_glob(glob).fullmatch(subject) is not None
