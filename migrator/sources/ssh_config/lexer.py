"""The lexical layer of ssh_config (OpenSSH readconf.c / misc.c): splitting a line into words,
quoting, ``*``/``?`` patterns and the number, port and time syntaxes."""

from __future__ import annotations

import re
import socket
from functools import lru_cache

from migrator.sources.numbers import whole_number

WHITESPACE = " \t\r\n"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(s: str) -> str:
    """C ``tolower`` in OpenSSH: ASCII only."""
    return s.translate(_ASCII_LOWER)


def strdelim(s: str, pos: int | None) -> tuple[str | None, int | None]:
    """OpenSSH ``strdelim``: next token from ``s[pos:]`` split at whitespace or one ``=``.

    Returns ``(token, next_pos)``; ``next_pos`` is None when nothing follows. A ``"`` starts a quoted
    token; an unclosed one gives ``(None, None)``.
    """
    if pos is None:
        return None, None
    n = len(s)
    i = pos
    while i < n and s[i] not in ' \t\r\n"=':
        i += 1
    if i >= n:
        return s[pos:], None
    if s[i] == '"':
        j = s.find('"', i + 1)
        if j < 0:
            return None, None
        token = s[pos:i] + s[i + 1 : j]
        k = j + 1
        while k < n and s[k] in WHITESPACE:
            k += 1
        return token, k
    wspace = s[i] == "="
    token = s[pos:i]
    k = i + 1
    while k < n and s[k] in WHITESPACE:
        k += 1
    if k < n and s[k] == "=" and not wspace:
        k += 1
        while k < n and s[k] in WHITESPACE:
            k += 1
    return token, k


class QuoteError(ValueError):
    pass


_PLAIN_WORDS = re.compile(r"[^ \t]+")
_SPECIAL = re.compile(r"[\\\"'#]")


def argv_split(s: str) -> list[str]:
    """OpenSSH ``argv_split(..., terminate_on_comment=1)``: shell-like words, ``#`` ends the line."""
    if not _SPECIAL.search(s):  # no quote, escape or comment: the words between spaces and tabs
        words = _PLAIN_WORDS.findall(s)
        # one word that is the whole text (most lines): the same string, not a copy of it
        return [s] if len(words) == 1 and len(words[0]) == len(s) else words
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            break
        quote = ""
        arg: list[str] = []
        while i < n:
            c = s[i]
            if c == "\\":
                nxt = s[i + 1] if i + 1 < n else ""
                if (nxt and nxt in "'\"\\") or (not quote and nxt == " "):
                    i += 1
                    arg.append(nxt)
                else:
                    arg.append(c)
            elif not quote and c in " \t":
                break
            elif not quote and c in "\"'":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                arg.append(c)
            i += 1
        if i >= n and quote:
            raise QuoteError("unclosed quote")
        out.append("".join(arg))
    return out


_NEEDS_QUOTES = re.compile(r"[\s\"'\\#]")


def quote_arg(arg: str) -> str:
    """Write one argument so that ``argv_split`` reads it back unchanged."""
    if arg and not _NEEDS_QUOTES.search(arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[bytes]:
    parts = []
    for ch in pattern.encode("utf-8", "surrogateescape"):
        b = bytes([ch])
        parts.append(b".*" if b == b"*" else b"." if b == b"?" else re.escape(b))
    return re.compile(b"".join(parts), re.DOTALL)


def match_pattern(s: str, pattern: str) -> bool:
    """OpenSSH ``match_pattern``: ``*`` and ``?`` only, byte-wise, case-sensitive.

    A pattern without wildcards matches only itself (the byte encoding is one-to-one), which spares
    a regular expression for each of the many literal Host names of a large file.
    """
    if "*" not in pattern and "?" not in pattern:
        return s == pattern
    return _pattern_regex(pattern).fullmatch(s.encode("utf-8", "surrogateescape")) is not None


def match_pattern_list(s: str, patterns: str, dolower: bool) -> int:
    """OpenSSH ``match_pattern_list``: 1 positive match, -1 negated match, 0 none."""
    got_positive = 0
    for sub in patterns.split(",") if patterns else []:
        negated = sub.startswith("!")
        if negated:
            sub = sub[1:]
        if len(sub.encode("utf-8", "surrogateescape")) >= 1023:
            return 0
        if dolower:
            sub = ascii_lower(sub)
        if match_pattern(s, sub):
            if negated:
                return -1
            got_positive = 1
    return got_positive


_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def _strtonum(s: str, lo: int, hi: int) -> int | None:
    m = _NUMBER.fullmatch(s)
    if not m:
        return None
    value = whole_number(m.group(1))
    return value if lo <= value <= hi else None


_SERVICE_FALLBACK = {"ssh": 22}


def a2port(s: str) -> int:
    """OpenSSH ``a2port``: a number 0-65535 or a TCP service name; -1 when neither."""
    value = _strtonum(s, 0, 65535)
    if value is not None:
        return value
    if not s:
        return -1
    if "\0" in s or len(s) > 255:  # getservbyname raises ValueError on a NUL; no service name is that long
        return -1
    try:
        return socket.getservbyname(s, "tcp")
    except (OSError, UnicodeError):
        return _SERVICE_FALLBACK.get(s, -1)


def convtime(s: str) -> int:
    """OpenSSH ``convtime``: ``90``, ``1h30m``, ... in seconds; -1 when malformed."""
    if not s or not re.fullmatch(r"(?:[0-9]+[sSmMhHdDwW]?)+", s):
        return -1
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total = sum(whole_number(n) * scale[u.lower()] for n, u in re.findall(r"([0-9]+)([sSmMhHdDwW]?)", s))
    return total if total <= 2**31 - 1 else -1
