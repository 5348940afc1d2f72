"""The JSON dialect Windows Terminal reads ``settings.json`` in.

Windows Terminal parses with JsonCpp's ``Json::CharReaderBuilder{}`` defaults
(``src/cascadia/TerminalSettingsModel/CascadiaSettingsSerialization.cpp`` ``_parseJSON``,
microsoft/terminal 20588130d8ef; the defaults are ``CharReaderBuilder::setDefaults`` in JsonCpp's
``json_reader.cpp``): ``//`` and ``/* */`` comments, trailing commas in objects and arrays, a UTF-8 BOM
skipped, any value at the root, text after the root value ignored (``failIfExtra`` false), and a
repeated key keeps its last value (``rejectDupKeys`` false); no single quotes, no NaN, nesting up to
1000 levels (``stackLimit``; this reader stops at 256). Objects come back as ``JObject`` with the
line of each value, for diagnostics. The parser is iterative over the text: linear, no recursion
on the input's nesting beyond the cap.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from migrator.sources.numbers import whole_number

MAX_DEPTH = 256
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WS = " \t\r\n"


class JsonError(ValueError):
    """The text is not JSON Windows Terminal accepts; ``line`` says where (the message never quotes it)."""

    def __init__(self, message: str, line: int):
        super().__init__(f"line {line}: {message}")
        self.line = line


class JObject(dict):
    """A JSON object that remembers the line where it starts and the line of each member."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.n = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int | None = None) -> int:
        pos = self.i if pos is None else pos
        return bisect_right(self.newlines, pos - 1) + 1

    def skip(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in _WS:
                self.i += 1
            elif s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise JsonError("a /* comment is not closed", self.line())
                self.i = end + 2
            else:
                return

    def value(self, depth: int):
        if depth > MAX_DEPTH:
            raise JsonError(f"nested deeper than {MAX_DEPTH} levels", self.line())
        self.skip()
        if self.i >= self.n:
            raise JsonError("the text ends where a value should be", self.line())
        c = self.s[self.i]
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return val
        m = _NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            text = m.group(0)
            return float(text) if any(ch in text for ch in ".eE") else whole_number(text)
        raise JsonError("a value is not JSON", self.line())

    def obj(self, depth: int) -> JObject:
        out = JObject(self.line())
        self.i += 1
        while True:
            self.skip()
            if self.i < self.n and self.s[self.i] == "}":
                self.i += 1
                return out
            if self.i >= self.n or self.s[self.i] != '"':
                raise JsonError("an object member does not start with a quoted name", self.line())
            key = self.string()
            self.skip()
            if self.i >= self.n or self.s[self.i] != ":":
                raise JsonError("a ':' is missing after an object member's name", self.line())
            self.i += 1
            self.skip()
            line = self.line()
            out[key] = self.value(depth + 1)
            out.lines[key] = line
            self.skip()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "}":
                self.i += 1
                return out
            raise JsonError("a ',' or '}' is missing in an object", self.line())

    def arr(self, depth: int) -> list:
        out: list = []
        self.i += 1
        while True:
            self.skip()
            if self.i < self.n and self.s[self.i] == "]":
                self.i += 1
                return out
            out.append(self.value(depth + 1))
            self.skip()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "]":
                self.i += 1
                return out
            raise JsonError("a ',' or ']' is missing in an array", self.line())

    def string(self) -> str:
        start = self.i
        self.i += 1
        out: list[str] = []
        s, n = self.s, self.n
        while True:
            j = self.i
            while j < n and s[j] not in '"\\':
                j += 1
            out.append(s[self.i : j])
            if j >= n:
                raise JsonError("a string is not closed", self.line(start))
            if s[j] == '"':
                self.i = j + 1
                return "".join(out)
            esc = s[j + 1 : j + 2]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                self.i = j + 2
            elif esc == "u":
                code = self._hex4(j + 2)
                self.i = j + 6
                if 0xD800 <= code <= 0xDBFF and s.startswith("\\u", self.i):
                    low = self._hex4(self.i + 2)
                    if 0xDC00 <= low <= 0xDFFF:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        self.i += 6
                out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))
            else:
                raise JsonError("a string has a bad escape", self.line(j))

    def _hex4(self, pos: int) -> int:
        digits = self.s[pos : pos + 4]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise JsonError("a string has a bad \\u escape", self.line(pos))
        return int(digits, 16)


def parse(text: str):
    """The root value of ``text`` (a leading BOM skipped; anything after the root value ignored)."""
    p = _Parser(text[1:] if text.startswith("\ufeff") else text)
    return p.value(0)
