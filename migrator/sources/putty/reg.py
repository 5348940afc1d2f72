"""Windows registry exports (``.reg``): encodings (UTF-16, UTF-8, REGEDIT4 in the ANSI code page),
key and value syntax as regedit writes it, typed ``hex(n):`` data."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from migrator.sources.putty import _PRODUCT_KEYS, _STORES, _decode_head
from migrator.sources.putty.sessions import _Session, _Value, unescape_session_name

_HEX_TYPES = {
    None: "binary",
    "0": "none",
    "1": "sz",
    "2": "expand_sz",
    "3": "binary",
    "4": "dword",
    "5": "dword_be",
    "7": "multi_sz",
    "b": "qword",
}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_QUOTED_ESCAPE = re.compile(r'\\([\\"])')
_DWORD = re.compile(r"[0-9A-Fa-f]{1,8}")
_HEX_PREFIX = re.compile(r"hex(?:\(([0-9A-Fa-f]+)\))?:", re.IGNORECASE)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class RegReader:
    """The ``.reg`` half of ``SessionsReader`` (mixed in): decoding and parsing into sessions."""

    def _decode_reg(self, data: bytes) -> tuple[str, bool]:
        """Decode a .reg file; returns (text, wide) where ``wide`` means hex(2)/(7) strings are UTF-16."""
        if data.startswith(codecs.BOM_UTF16_LE):
            return self._decode(data[2:], "utf-16-le", "UTF-16LE"), True
        if data.startswith(codecs.BOM_UTF16_BE):
            return self._decode(data[2:], "utf-16-be", "UTF-16BE"), True
        if data.startswith(codecs.BOM_UTF8):
            return self._decode(data[3:], "utf-8", "UTF-8"), True
        if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
            self._diag(
                "warning",
                "encoding",
                "the file is UTF-16LE without a byte-order mark (regedit would refuse it); read as UTF-16LE",
            )
            return self._decode(data, "utf-16-le", "UTF-16LE"), True
        if data.lstrip().startswith(b"REGEDIT4"):
            return self._decode(data, self.codepage, f"code page {self.codepage}"), False
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            self._diag(
                "warning",
                "encoding",
                f"the file is neither UTF-16 nor UTF-8; read it in code page "
                f"{self.codepage} (set the codepage option if names look wrong)",
            )
            return self._decode(data, self.codepage, f"code page {self.codepage}"), False

    def _decode(self, data: bytes, encoding: str, label: str, file: str | None = None) -> str:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            self._diag(
                "warning",
                "encoding",
                f"bytes at offset {exc.start} are not valid {label}; they were replaced with U+FFFD",
                file=file,
            )
            return data.decode(encoding, errors="replace")

    def _read_reg(self, data: bytes) -> list[_Session]:
        text, wide = self._decode_reg(data)
        text = text.lstrip("\ufeff")
        lines = re.split(r"\r\n|\r|\n", text)
        first = next((ln.strip() for ln in lines if ln.strip()), "")
        if first not in ("Windows Registry Editor Version 5.00", "REGEDIT4"):
            self._diag(
                "warning",
                "reg-header",
                "the file does not start with a registry export header "
                "('Windows Registry Editor Version 5.00' or 'REGEDIT4'); read it anyway",
                line=1,
            )
        sessions: dict[tuple[str, str], _Session] = {}
        current: _Session | None = None
        in_other_key = False
        saw_product = False
        header_pending = first in ("Windows Registry Editor Version 5.00", "REGEDIT4")
        for lineno, line in self._logical_lines(lines):
            stripped = line.strip()
            if not stripped or stripped.startswith(";"):
                continue
            if header_pending and stripped == first:
                header_pending = False
                continue
            if stripped.startswith("["):
                current, in_other_key = None, False
                if not stripped.endswith("]"):
                    self._diag(
                        "error",
                        "reg-syntax",
                        "registry key line has no closing ']'; the values under it are ignored",
                        line=lineno,
                    )
                    in_other_key = True
                    continue
                keypath = stripped[1:-1]
                deleting = keypath.startswith("-")
                keypath = keypath.lstrip("-")
                located = _locate_session(keypath)
                if located is None:
                    saw_product |= any(p in keypath.casefold() for p in _PRODUCT_KEYS)
                    in_other_key = True
                    continue
                saw_product = True
                store, escaped = located
                if "\\" in escaped:
                    self._diag(
                        "info",
                        "not-a-session",
                        f"registry key {keypath} is below a session key, not a session; ignored",
                        line=lineno,
                    )
                    in_other_key = True
                    continue
                name, clean = unescape_session_name(escaped, self.codepage)
                if not clean:
                    self._diag(
                        "warning",
                        "session-name",
                        f"session key name {escaped!r} has a '%' that is "
                        f"not followed by two hex digits or bytes invalid in {self.codepage}; "
                        f"read as {name!r}",
                        line=lineno,
                        entry=name,
                    )
                ident = (store, escaped.translate(_ASCII_LOWER))
                if deleting:
                    sessions.pop(ident, None)
                    self._diag(
                        "info",
                        "deleted-key",
                        f"the file deletes session {name!r} ([-...] key); not imported",
                        line=lineno,
                        entry=name,
                    )
                    in_other_key = True
                    continue
                if ident in sessions:
                    current = sessions[ident]
                    self._diag(
                        "info",
                        "repeated-key",
                        f"session {name!r} appears again (first at line "
                        f"{current.line}); its values are merged, later ones win",
                        line=lineno,
                        entry=name,
                    )
                else:
                    current = _Session(name=name, store=store, file=self.display_path, line=lineno, section=keypath)
                    sessions[ident] = current
                continue
            if stripped[0] not in '"@':
                # The text is not echoed: a damaged line may hold a ProxyPassword.
                self._diag("error", "reg-syntax", "line is neither a key nor a value; ignored", line=lineno)
                continue
            if current is None:
                if not in_other_key and stripped:
                    self._diag("warning", "reg-syntax", "value outside any registry key; ignored", line=lineno)
                continue
            self._parse_value_line(current, stripped, lineno, wide)
        if not sessions and not saw_product:
            self._diag(
                "warning",
                "no-sessions",
                "no PuTTY or KiTTY session keys "
                "(...\\SimonTatham\\PuTTY\\Sessions\\ or ...\\9bis.com\\KiTTY\\Sessions\\) "
                "in this file",
            )
        return list(sessions.values())

    @staticmethod
    def _logical_lines(lines: list[str]):
        """Yield (first line number, text), joining hex data continued with a trailing backslash."""
        i = 0
        while i < len(lines):
            start, text = i + 1, lines[i]
            while (
                text.rstrip().endswith("\\") and re.search(r"=\s*hex(\([0-9A-Fa-f]+\))?:", text) and i + 1 < len(lines)
            ):
                i += 1
                text = text.rstrip()[:-1] + lines[i].strip()
            yield start, text
            i += 1

    def _parse_value_line(self, session: _Session, line: str, lineno: int, wide: bool) -> None:
        if line.startswith("@"):
            return  # a key's default value; PuTTY stores nothing there
        parsed = _parse_quoted(line, 0)
        if parsed is None:
            self._diag(
                "error", "reg-syntax", "value name has no closing quote; line ignored", line=lineno, entry=session.name
            )
            return
        name, pos = parsed
        rest = line[pos:].lstrip()
        if not rest.startswith("="):
            self._diag(
                "error",
                "reg-syntax",
                f"no '=' after value name {name!r}; line ignored",
                line=lineno,
                field=name,
                entry=session.name,
            )
            return
        rest = rest[1:].lstrip()
        key = name.casefold()
        if rest == "-":
            session.values.pop(key, None)
            return
        try:
            value = self._parse_data(rest, wide)
        except ValueError as exc:
            self._diag(
                "error",
                "reg-value",
                f"value {name!r} cannot be read: {exc}; PuTTY's default is used",
                line=lineno,
                field=name,
                entry=session.name,
            )
            return
        value.line = lineno
        session.values[key] = value

    def _parse_data(self, rest: str, wide: bool) -> _Value:
        if rest.startswith('"'):
            parsed = _parse_quoted(rest, 0)
            if parsed is None:
                raise ValueError("the string has no closing quote")
            if rest[parsed[1] :].strip():
                raise ValueError("there is text after the closing quote")
            return _Value("str", parsed[0], None)
        low = rest.casefold()
        if low.startswith("dword:"):
            digits = rest[6:].strip()
            if not _DWORD.fullmatch(digits):
                raise ValueError("a dword value must be 1-8 hex digits")
            number = int(digits, 16)
            return _Value("int", number - (1 << 32) if number >= 1 << 31 else number, None)
        m = _HEX_PREFIX.match(rest)
        if m:
            kind = _HEX_TYPES.get(m.group(1).lower().lstrip("0") or "0" if m.group(1) else None, "binary")
            body = rest[m.end() :].replace(" ", "").replace("\t", "").rstrip(",")
            try:
                raw = bytes(int(b, 16) for b in body.split(",")) if body else b""
            except ValueError:
                raise ValueError("hex data is not comma-separated byte values") from None
            if any(len(b) != 2 for b in body.split(",") if body):
                raise ValueError("hex data is not comma-separated byte values")
            return self._typed_hex(kind, raw, wide)
        raise ValueError("the value is neither a quoted string, dword: nor hex:")

    def _typed_hex(self, kind: str, raw: bytes, wide: bool) -> _Value:
        encoding = "utf-16-le" if wide else self.codepage
        if kind in ("sz", "expand_sz", "multi_sz"):
            text = raw.decode(encoding, errors="replace")
            if kind == "multi_sz":
                return _Value("list", [s for s in text.split("\0") if s], None)
            return _Value("str", text.split("\0", 1)[0], None)
        if kind in ("dword", "dword_be") and len(raw) == 4:
            order = "little" if kind == "dword" else "big"
            return _Value("int", int.from_bytes(raw, order, signed=True), None)
        if kind == "qword" and len(raw) == 8:
            return _Value("int", int.from_bytes(raw, "little", signed=True), None)
        return _Value("bytes", raw, None)


def _parse_quoted(text: str, start: int) -> tuple[str, int] | None:
    """Read a .reg quoted string at ``start``; ``\\\\`` and ``\\"`` are the only escapes regedit writes.

    Any other backslash is kept as written, so a hand-made ``"C:\\keys\\a.ppk"`` keeps its path.
    """
    m = _QUOTED.match(text, start)
    if m is None:
        return None
    inner = m.group(1)
    return (_QUOTED_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner), m.end()


def _locate_session(keypath: str) -> tuple[str, str] | None:
    low = keypath.casefold()
    for store, marker in _STORES:
        at = low.find(marker)
        if at >= 0:
            escaped = keypath[at + len(marker) :]
            return (store, escaped) if escaped else None
    return None


def _looks_like_reg(path: Path, data: bytes) -> bool:
    if path.suffix.lower() == ".reg" or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return True
    head = _decode_head(data[:4096]).lstrip("\ufeff \t\r\n").casefold()
    return head.startswith(("windows registry editor", "regedit4")) or head.startswith("[hkey_")
