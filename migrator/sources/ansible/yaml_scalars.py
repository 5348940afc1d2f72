"""Scalars and flow collections of the YAML subset Ansible inventories use.

Plain scalars are typed with the YAML 1.1 rules of PyYAML's SafeLoader, which Ansible's loader
builds on (``yes`` is true, ``0755`` is 493, ``1e3`` stays a string, ``1:20`` is 80). Nothing here
evaluates or executes anything: values are only classified and converted.
"""

from __future__ import annotations

import datetime as dt
import re

MAX_FLOW_DEPTH = 32


class YamlError(ValueError):
    """Text that is not YAML this reader understands; ``str`` never contains the offending value."""


class Unsafe(str):
    """A ``!unsafe`` string: Ansible never templates it, so ``{{`` in it is literal text."""


class Vaulted:
    """A ``!vault`` value. The ciphertext is dropped on purpose: it is never decrypted nor shown."""

    __slots__ = ("line",)

    def __init__(self, line: int | None = None):
        self.line = line

    def __repr__(self) -> str:
        return "<vault-encrypted value>"


class Unsupported:
    """A value this reader could not take (alias, unknown tag, ...); ``reason`` says why, without the value."""

    __slots__ = ("reason", "line")

    def __init__(self, reason: str, line: int | None = None):
        self.reason = reason
        self.line = line

    def __repr__(self) -> str:
        return f"<unsupported: {self.reason}>"


_BOOL = re.compile(r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF")
_FLOAT = re.compile(
    r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_INT = re.compile(
    r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
)
_NULL = re.compile(r"~|null|Null|NULL|")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9]{2}))?))?"
)
_TRUE = {"yes", "true", "on"}


def _sexagesimal(digits: str) -> float:
    value = 0.0
    for part in digits.split(":"):
        value = value * 60 + float(part)
    return value


def _to_int(text: str) -> int:
    v = text.replace("_", "")
    sign = -1 if v[:1] == "-" else 1
    v = v.lstrip("+-")
    if v == "0":
        return 0
    if v.startswith("0b"):
        return sign * int(v[2:], 2)
    if v.startswith("0x"):
        return sign * int(v[2:], 16)
    if ":" in v:
        return sign * int(_sexagesimal(v))
    if v.startswith("0"):
        return sign * int(v, 8)
    return sign * int(v)


def _to_float(text: str) -> float:
    v = text.replace("_", "").lower()
    sign = -1.0 if v[:1] == "-" else 1.0
    v = v.lstrip("+-")
    if v == ".inf":
        return sign * float("inf")
    if v == ".nan":
        return float("nan")
    if ":" in v:
        return sign * _sexagesimal(v)
    return sign * float(v)


def _to_timestamp(m: re.Match) -> dt.datetime:
    year, month, day, hour, minute, second, frac, tz, tz_sign, tz_h, tz_m = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tzinfo = None
    if tz == "Z":
        tzinfo = dt.timezone.utc
    elif tz:
        delta = dt.timedelta(hours=int(tz_h), minutes=int(tz_m or 0))
        tzinfo = dt.timezone(-delta if tz_sign == "-" else delta)
    return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo)


def resolve_plain(text: str):
    """Type a plain scalar like YAML 1.1 (PyYAML SafeLoader); a value that fails to convert stays text."""
    if _NULL.fullmatch(text):
        return None
    first = text[0]
    try:
        if first in "yYnNtTfFoO" and _BOOL.fullmatch(text):
            return text.lower() in _TRUE
        if first in "-+0123456789":
            if _INT.fullmatch(text):
                return _to_int(text)
        if first in "-+0123456789." and _FLOAT.fullmatch(text):
            return _to_float(text)
        if first.isdigit():
            if _DATE.fullmatch(text):
                return dt.date(*map(int, _DATE.fullmatch(text).groups()))
            m = _TIMESTAMP.fullmatch(text)
            if m:
                return _to_timestamp(m)
    except (ValueError, OverflowError):
        raise YamlError("a number or date that cannot be converted") from None
    return text


_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def fold_lines(lines: list[str]) -> str:
    """Join the lines of a multi-line flow scalar: one break is a space, each empty line a newline."""
    out, pending_empty = [], 0
    for i, line in enumerate(lines):
        if i and not line:
            pending_empty += 1
            continue
        if i:
            out.append("\n" * pending_empty if pending_empty else " ")
        pending_empty = 0
        out.append(line)
    if pending_empty:
        out.append("\n" * pending_empty)
    return "".join(out)


def unquote_double(body: str) -> str:
    """Decode the inside of a double-quoted scalar (already on one logical line, breaks folded)."""
    out, i, n = [], 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise YamlError("a double-quoted string ends in a lone backslash")
        e = body[i + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in _HEX_LEN:
            digits = body[i + 2 : i + 2 + _HEX_LEN[e]]
            if len(digits) != _HEX_LEN[e] or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                raise YamlError("a double-quoted string has a bad \\x, \\u or \\U escape")
            try:
                out.append(chr(int(digits, 16)))
            except (ValueError, OverflowError):
                raise YamlError("a double-quoted string escapes a character that does not exist") from None
            i += 2 + len(digits)
        else:
            raise YamlError("a double-quoted string has an unknown escape")
    return "".join(out)


def find_quote_end(text: str, start: int, quote: str) -> int:
    """Index of the closing quote of the scalar opened at ``start``, or -1 if this text has none."""
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and i + 1 < n and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def decode_quoted(raw_lines: list[str], quote: str) -> str:
    """Decode a quoted scalar given as the text between the quotes, split at the original line breaks."""
    if quote == "'":
        stripped = [line.strip(" \t") if 0 < i < len(raw_lines) - 1 else line for i, line in enumerate(raw_lines)]
        if len(raw_lines) > 1:
            stripped[0] = raw_lines[0].rstrip(" \t")
            stripped[-1] = raw_lines[-1].lstrip(" \t")
        return fold_lines(stripped).replace("''", "'")
    pieces: list[tuple[str, bool]] = []
    last = len(raw_lines) - 1
    for i, line in enumerate(raw_lines):
        seg = line.lstrip(" \t") if i else line
        glue = False
        if i < last:
            seg = seg.rstrip(" \t")
            backslashes = len(seg) - len(seg.rstrip("\\"))
            if backslashes % 2 == 1:
                glue, seg = True, seg[:-1]
        pieces.append((unquote_double(seg), glue))
    out: list[str] = []
    pending_empty, glue_prev = 0, False
    for i, (text, glue) in enumerate(pieces):
        if 0 < i < last and not text and not glue and not glue_prev:
            pending_empty += 1
            continue
        if i:
            out.append("" if glue_prev else ("\n" * pending_empty if pending_empty else " "))
        pending_empty, glue_prev = 0, glue
        out.append(text)
    return "".join(out)


class FlowParser:
    """Recursive descent over one flow collection (``[a, b]``, ``{k: v}``), depth-bounded."""

    def __init__(self, text: str, tag_handler, resolve=None):
        self.text, self.i, self.tag = text, 0, tag_handler
        self.resolve = resolve or resolve_plain

    def parse(self):
        value = self.node(0)
        self.ws()
        if self.i != len(self.text):
            raise YamlError("unexpected text after a flow collection")
        return value

    def ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def node(self, depth: int):
        if depth > MAX_FLOW_DEPTH:
            raise YamlError(f"flow collections nested deeper than {MAX_FLOW_DEPTH} levels")
        self.ws()
        if self.i >= len(self.text):
            raise YamlError("a flow collection is not closed")
        c = self.text[self.i]
        if c in "&*":
            raise _Unsupported("anchors and aliases are not supported")
        if c == "!":
            end = self.i
            while end < len(self.text) and self.text[end] not in " \t,]}":
                end += 1
            tag = self.text[self.i : end]
            self.i = end
            return self.tag(tag, self.node(depth + 1))
        if c == "[":
            return self.sequence(depth)
        if c == "{":
            return self.mapping(depth)
        if c in "\"'":
            end = find_quote_end(self.text, self.i, c)
            if end < 0:
                raise YamlError("a quoted string is not closed")
            body = self.text[self.i + 1 : end]
            self.i = end + 1
            return decode_quoted([body], c)
        return self.plain()

    def plain(self):
        start, t = self.i, self.text
        while self.i < len(t):
            c = t[self.i]
            if c in ",[]{}":
                break
            if c == ":" and (self.i + 1 >= len(t) or t[self.i + 1] in " \t,[]{}"):
                break
            self.i += 1
        raw = t[start : self.i].strip(" \t")
        return self.resolve(raw) if raw else None

    def sequence(self, depth: int) -> list:
        self.i += 1
        out: list = []
        while True:
            self.ws()
            if self.i < len(self.text) and self.text[self.i] == "]":
                self.i += 1
                return out
            item = self.node(depth + 1)
            self.ws()
            if self.i < len(self.text) and self.text[self.i] == ":":
                self.i += 1
                item = {item: self.node(depth + 1)}
                self.ws()
            if self.i < len(self.text) and self.text[self.i] == ",":
                self.i += 1
            elif not (self.i < len(self.text) and self.text[self.i] == "]"):
                raise YamlError("a flow sequence is not closed")
            out.append(item)

    def mapping(self, depth: int) -> dict:
        self.i += 1
        out: dict = {}
        while True:
            self.ws()
            if self.i < len(self.text) and self.text[self.i] == "}":
                self.i += 1
                return out
            key = self.node(depth + 1)
            self.ws()
            value = None
            if self.i < len(self.text) and self.text[self.i] == ":":
                self.i += 1
                self.ws()
                if self.i < len(self.text) and self.text[self.i] not in ",}":
                    value = self.node(depth + 1)
                self.ws()
            if self.i < len(self.text) and self.text[self.i] == ",":
                self.i += 1
            elif not (self.i < len(self.text) and self.text[self.i] == "}"):
                raise YamlError("a flow mapping is not closed")
            if isinstance(key, (dict, list)):
                raise YamlError("a flow mapping has a collection as a key")
            out[key] = value


class _Unsupported(Exception):
    """Raised inside flow parsing when a construct is valid YAML but outside the subset."""
