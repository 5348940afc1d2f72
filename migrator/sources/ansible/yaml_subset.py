"""A reader for the YAML subset Ansible inventories are written in, with no YAML library at run time.

It reads block mappings and sequences, plain, quoted and block (``|``, ``>``) scalars, simple flow
collections, comments and the ``!unsafe`` / ``!vault`` tags. Anchors, aliases, merge keys, complex
keys and other tags are outside the subset: such a value becomes an ``Unsupported`` marker and a
problem names its line, and the rest of the file is still read. Every line is visited a bounded
number of times, nesting is capped, and nothing is ever evaluated.

A ``Dialect`` adapts the reader to another writer's YAML without touching the Ansible rules (the
default): how plain scalars are typed, whether ``&anchor``/``*alias`` pairs are followed, and which
extra tags are accepted. The Asbru source reads Perl ``YAML.pm`` output with one
(``migrator.sources.asbru.perl_yaml``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from migrator.sources.ansible.yaml_blocks import gather_flow, read_block_scalar
from migrator.sources.ansible.yaml_scalars import (
    FlowParser,
    Unsafe,
    Unsupported,
    Vaulted,
    YamlError,
    _Unsupported,
    decode_quoted,
    find_quote_end,
    fold_lines,
    resolve_plain,
)

MAX_DEPTH = 64
_KEY_COLON = re.compile(r":(?:[ \t]|$)")
_COMMENT = re.compile(r"[ \t]#")


@dataclass(frozen=True)
class Dialect:
    """How one YAML writer's output is read.

    ``resolve`` types a plain scalar (the Ansible default follows PyYAML's SafeLoader); ``aliases``
    follows ``*name`` to the value anchored by ``&name`` (the same object, never a copy, so a chain of
    aliases costs no memory); ``tag`` is asked first about every tag and returns ``NotImplemented``
    for the ones it leaves to the reader.
    """

    resolve: Callable[[str], object] = resolve_plain
    aliases: bool = False
    tag: Callable[[str, object], object] | None = None


ANSIBLE = Dialect()


class YMap(dict):
    """A mapping that remembers the line of each key, for diagnostics."""

    def __init__(self):
        super().__init__()
        self.lines: dict = {}


@dataclass
class Problem:
    line: int
    message: str
    level: str = "error"


def _strip_comment(text: str) -> str:
    """Drop a `` #...`` comment from plain text (a ``#`` right after other text is part of it)."""
    if text.startswith("#"):
        return ""
    pos = text.find(" #")
    tab = text.find("\t#")
    if tab >= 0 and (pos < 0 or tab < pos):
        pos = tab
    return (text[:pos] if pos >= 0 else text).rstrip(" \t")


def key_split(content: str) -> tuple[str, str, bool] | None:
    """``(key text, rest, quoted)`` if ``content`` starts a ``key: value`` pair, else None."""
    if not content:
        return None
    if content[0] in "\"'":
        end = find_quote_end(content, 0, content[0])
        if end < 0:
            return None
        after = content[end + 1 :].lstrip(" \t")
        if after[:1] != ":" or (len(after) > 1 and after[1] not in " \t"):
            return None
        return content[: end + 1], after[1:].lstrip(" \t"), True
    if content[:1] in "[{#" or content.startswith("? ") or content == "?":
        return None
    m = _KEY_COLON.search(content)
    if m is None:
        return None
    comment = _COMMENT.search(content, 0, m.start())
    if comment is not None:
        return None
    return content[: m.start()].rstrip(" \t"), content[m.end() :].lstrip(" \t"), False


class YamlSubsetReader:
    def __init__(self, text: str, dialect: Dialect = ANSIBLE):
        self.dialect = dialect
        self.anchors: dict[str, object] = {}
        self.lines = text.split("\n")
        if self.lines[-1] == "":
            self.lines.pop()  # the final line break ends the last line; it does not start another
        self.i = 0
        self.col: int | None = None  # column where the current line's content starts, if not its indent
        self.problems: list[Problem] = []
        self.done = False
        self.seen_content = False
        self._cache: tuple | None = None

    # ---- line access -----------------------------------------------------------------------------

    def problem(self, line: int, message: str, level: str = "error") -> None:
        self.problems.append(Problem(line, message, level))

    def peek(self) -> tuple[int, str, int] | None:
        """(indent, content, line number) of the next line with content, skipping blanks and comments."""
        if self.done:
            return None
        if self._cache is not None and self._cache[0] == self.i and self._cache[1] == self.col:
            return self._cache[2]
        found = self._peek()
        self._cache = (self.i, self.col, found)
        return found

    def _peek(self) -> tuple[int, str, int] | None:
        if self.col is not None:
            return self.col, self.lines[self.i][self.col :].rstrip(" \t"), self.i + 1
        while self.i < len(self.lines):
            raw = self.lines[self.i]
            stripped = raw.lstrip(" ")
            content = stripped.rstrip(" \t")
            if not content or content.startswith("#"):
                self.i += 1
                continue
            if raw.startswith(("---", "...")) and raw[3:4] in ("", " ", "\t"):
                self._document_marker(raw)
                if self.done:
                    return None
                continue
            if content.startswith("\t") or stripped.startswith("\t"):
                self.problem(self.i + 1, "tab used for indentation; YAML allows only spaces")
                self.i += 1
                continue
            return len(raw) - len(stripped), content, self.i + 1
        return None

    def _document_marker(self, raw: str) -> None:
        rest = _strip_comment(raw[3:].strip(" \t"))
        if raw.startswith("...") or self.seen_content:
            if self.seen_content:
                self.problem(self.i + 1, "a second YAML document starts here; only the first is read", "warning")
            self.done = True
            return
        self.i += 1
        if rest:
            self.problem(self.i, "content on the '---' line is not supported; it is skipped")

    def advance(self) -> None:
        self.i += 1
        self.col = None

    def skip_deeper(self, indent: int) -> None:
        """Skip every following line indented more than ``indent`` (the body of something unreadable)."""
        self.col = None
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] <= indent:
                return
            self.i += 1

    # ---- structure ---------------------------------------------------------------------------------

    def read(self):
        self.seen_content = False
        first = self.peek()
        if first is None:
            return None
        self.seen_content = True
        value = self.block(-1, 0)
        nxt = self.peek()
        if nxt is not None:
            self.problem(nxt[2], "text after the end of the top-level block is not read")
        return value

    def block(self, parent: int, depth: int):
        nxt = self.peek()
        if nxt is None or nxt[0] <= parent:
            return None
        indent, content, line = nxt
        if depth > MAX_DEPTH:
            self.problem(line, f"nested deeper than {MAX_DEPTH} levels; this block is not read")
            self.advance()
            self.skip_deeper(parent)
            return Unsupported("nested too deep", line)
        if content == "-" or content.startswith(("- ", "-\t")):
            return self.sequence(indent, depth)
        if key_split(content) is not None:
            return self.mapping(indent, depth)
        if content.startswith("? ") or content == "?":
            self.problem(line, "complex keys ('? key') are not supported; this block is not read")
            self.advance()
            self.skip_deeper(parent)
            return Unsupported("complex key", line)
        start_col = indent
        self.advance()
        return self.value(content, parent, line, start_col, depth)

    def mapping(self, indent: int, depth: int) -> YMap:
        out = YMap()
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] < indent:
                return out
            ind, content, line = nxt
            if ind > indent:
                self.problem(line, "unexpected indentation; this line and the lines under it are not read")
                self.advance()
                self.skip_deeper(indent)
                continue
            split = key_split(content)
            if split is None:
                if content.startswith(("- ", "-\t")) or content == "-":
                    return out
                self.problem(line, "expected 'key: value'; this line is not read")
                self.advance()
                self.skip_deeper(indent)
                continue
            key_text, rest, quoted = split
            col = ind + len(content) - len(rest) if rest else None
            self.advance()
            try:
                key = self.key(key_text, quoted)
            except YamlError as exc:
                self.problem(line, f"{exc}; this key is not read")
                self.skip_deeper(indent)
                continue
            value = self.value(rest, indent, line, col, depth, seq_same_indent=True)
            if key == "<<":
                self.problem(line, "merge keys ('<<') are not supported; the merged keys are missing")
                continue
            if isinstance(key, Unsupported):
                self.problem(line, f"{key.reason}; this key is not read")
                continue
            if key in out:
                self.problem(line, f"key repeated (first at line {out.lines[key]}); the later value is used", "warning")
            out[key] = value
            out.lines[key] = line

    def key(self, text: str, quoted: bool):
        if quoted:
            return decode_quoted([text[1:-1]], text[0])
        if text.startswith(("&", "*", "!")):
            return Unsupported("anchors, aliases and tags on keys are not supported")
        return self.dialect.resolve(text) if text else None

    def sequence(self, indent: int, depth: int) -> list:
        out: list = []
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] != indent:
                return out
            _, content, line = nxt
            if not (content == "-" or content.startswith(("- ", "-\t"))):
                return out
            rest = content[1:].lstrip(" \t")
            if not rest or rest.startswith("#"):
                self.advance()
                out.append(self.block(indent, depth + 1))
                continue
            self.col = indent + len(content) - len(rest)
            out.append(self.block(indent, depth + 1))

    # ---- values ------------------------------------------------------------------------------------

    def value(self, rest: str, parent: int, line: int, col: int | None, depth: int, seq_same_indent=False):
        """The value of a key (or a list item) whose text after the indicator is ``rest``."""
        if rest.startswith(("&", "*")):
            name_end = len(rest.split(None, 1)[0])
            if self.dialect.aliases:
                return self.anchored(rest, name_end, parent, line, col, depth, seq_same_indent)
            if rest[0] == "*":
                self.problem(line, "aliases ('*name') are not supported; this value is not read")
                return Unsupported("alias", line)
            rest = rest[name_end:].lstrip(" \t")
            self.problem(line, "anchors ('&name') are ignored; aliases to them are not supported", "warning")
        if rest.startswith("!"):
            tag, _, rest = rest.partition(" ")
            rest = rest.lstrip(" \t")
            return self.tag(tag, self.value(rest, parent, line, col, depth, seq_same_indent), line)
        stripped = _strip_comment(rest)
        if not stripped:
            nxt = self.peek()
            if nxt is not None and nxt[0] > parent:
                return self.block(parent, depth + 1)
            if (
                seq_same_indent
                and nxt is not None
                and nxt[0] == parent
                and (nxt[1] == "-" or nxt[1].startswith(("- ", "-\t")))
            ):
                return self.sequence(parent, depth + 1)
            return None
        if stripped[0] in "|>":
            return self.block_scalar(stripped, parent, line)
        if stripped[0] in "\"'":
            return self.quoted(rest, parent, line, col)
        if stripped[0] in "[{":
            return self.flow(rest, parent, line)
        if stripped[0] in "@`%" or (stripped[0] in "?:-" and stripped[1:2] in ("", " ", "\t")):
            self.problem(line, "a value cannot start with this character; this value is not read")
            self.skip_deeper(parent)
            return Unsupported("bad plain scalar", line)
        return self.plain(stripped, parent, line, stripped != rest.rstrip(" \t"))

    def anchored(self, rest: str, name_end: int, parent: int, line: int, col, depth: int, seq_same_indent: bool):
        """``*name`` is the value anchored earlier; ``&name value`` anchors the value that follows."""
        name = rest[1:name_end]
        if rest[0] == "*":
            if _strip_comment(rest[name_end:].strip(" \t")):
                self.problem(line, "text after an alias; this value is not read")
                return Unsupported("alias", line)
            if name not in self.anchors:
                self.problem(line, "an alias names no earlier anchor; this value is not read")
                return Unsupported("alias", line)
            return self.anchors[name]
        value = self.value(rest[name_end:].lstrip(" \t"), parent, line, col, depth, seq_same_indent)
        self.anchors[name] = value
        return value

    def tag(self, tag: str, value, line: int):
        if isinstance(value, Unsupported):
            return value
        if self.dialect.tag is not None:
            handled = self.dialect.tag(tag, value)
            if handled is not NotImplemented:
                return handled
        if tag in ("!vault", "!vault-encrypted"):
            return Vaulted(line)
        if tag == "!unsafe" and isinstance(value, str):
            return Unsafe(value)
        if tag == "!!str" and not isinstance(value, (dict, list)):
            return "" if value is None else (value if isinstance(value, str) else str(value))
        if tag in ("!!map", "!!seq") and isinstance(value, dict if tag == "!!map" else list):
            return value
        self.problem(line, "this tag is not supported; the value is not read")
        return Unsupported("tag", line)

    def plain(self, first: str, parent: int, line: int, ends_comment: bool):
        if ": " in first or "\t:" in first or first.endswith(":") or ":\t" in first:
            self.problem(line, "a ': ' inside a plain value (quote the value); this value is not read")
            self.skip_deeper(parent)
            return Unsupported("bad plain scalar", line)
        parts = [first]
        while not ends_comment:
            j = self.i
            empties = 0
            while j < len(self.lines) and not self.lines[j].strip(" \t"):
                j += 1
                empties += 1
            if j >= len(self.lines):
                break
            raw = self.lines[j]
            indent = len(raw) - len(raw.lstrip(" "))
            text = raw.strip(" \t")
            if indent <= parent or text.startswith("#") or raw.startswith(("---", "...")) and indent == 0:
                break
            if key_split(text) is not None:
                self.problem(j + 1, "a ':' value here continues a plain scalar; this line is not read")
                self.i = j + 1
                self.skip_deeper(parent)
                return Unsupported("bad plain scalar", line)
            parts.extend([""] * empties)
            cut = _strip_comment(text)
            parts.append(cut)
            self.i = j + 1
            if cut != text:
                break
        text = fold_lines(parts)
        if len(parts) > 1:
            return text
        try:
            return self.dialect.resolve(text)
        except YamlError as exc:
            self.problem(line, f"{exc}; the value is not read")
            return Unsupported("bad number", line)

    def quoted(self, rest: str, parent: int, line: int, col: int | None):
        quote = rest[0]
        end = find_quote_end(rest, 0, quote)
        bodies = []
        if end >= 0:
            bodies.append(rest[1:end])
            tail = rest[end + 1 :]
        else:
            bodies.append(rest[1:])
            while True:
                if self.i >= len(self.lines):
                    self.problem(line, "a quoted string is not closed; the rest of the file is not read")
                    self.done = True
                    return Unsupported("unclosed string", line)
                raw = self.lines[self.i]
                self.i += 1
                end = find_quote_end(quote + raw, 0, quote)
                if end >= 0:
                    bodies.append(raw[: end - 1])
                    tail = raw[end:]
                    break
                bodies.append(raw)
        if _strip_comment(tail.strip(" \t")):
            self.problem(line, "text after a closing quote; this value is not read")
            return Unsupported("text after quote", line)
        try:
            return decode_quoted(bodies, quote)
        except YamlError as exc:
            self.problem(line, f"{exc}; the value is not read")
            return Unsupported("bad escape", line)

    def flow(self, rest: str, parent: int, line: int):
        text, self.i = gather_flow(self.lines, self.i, rest)
        if text is None:
            self.problem(line, "a flow collection is not closed; the rest of the file is not read")
            self.done = True
            return Unsupported("unclosed flow collection", line)
        try:
            return FlowParser(text, lambda t, v: self.tag(t, v, line), self.dialect.resolve).parse()
        except (_Unsupported, YamlError) as exc:
            self.problem(line, f"{exc}; this value is not read")
        except RecursionError:
            self.problem(line, "a flow collection is nested too deep; this value is not read")
        return Unsupported("flow collection", line)

    def block_scalar(self, header: str, parent: int, line: int) -> str | Unsupported:
        text, self.i = read_block_scalar(self.lines, self.i, header, parent)
        if text is None:
            self.problem(line, "a bad block scalar header; the value is not read")
            self.skip_deeper(parent)
            return Unsupported("block header", line)
        return text


def parse_yaml(text: str, dialect: Dialect = ANSIBLE) -> tuple[object, list[Problem]]:
    """Parse ``text``; returns the top-level value and the problems found (each with its line)."""
    reader = YamlSubsetReader(text.replace("\r\n", "\n").replace("\r", "\n"), dialect)
    try:
        value = reader.read()
    except RecursionError:
        reader.problem(1, "the file is nested too deep to read")
        value = None
    return value, reader.problems
