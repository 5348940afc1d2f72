"""XML of native connection-manager files, read safely, with line numbers, keeping only what is used.

The standard library's expat parser reads the bytes (it honours a BOM and the XML declaration's
encoding). A DOCTYPE is refused outright with one line naming the file and line: without a DTD no
entity can be declared, so there is no entity expansion (billion laughs) and no external entity.

``keep(path)`` decides for every element below the root whether it is built (``path`` holds the
tags from the root down to the element); a skipped element's whole subtree is skipped, so a file of
64 MiB with hundreds of unused properties per object does not become gigabytes of objects.

A file that breaks off (truncated, a stray ``&``) keeps every element read before the break;
``XmlDocument.error`` says where it broke and the caller marks its result partial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from migrator.errors import InputError


@dataclass(eq=False, slots=True)
class Node:
    """One element: its tag as written, the line of its start tag, kept children, its text."""

    tag: str
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def local(self) -> str:
        """The tag without a namespace prefix."""
        return self.tag.rpartition(":")[2]

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def first(self, local: str) -> Node | None:
        return next((c for c in self.children if c.local == local), None)


@dataclass
class XmlDocument:
    """The root (None when the text broke off before it) and where reading stopped early, if it did."""

    root: Node | None
    error: str | None = None
    error_line: int | None = None


class _Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse(data: bytes, shown: str, keep: Callable[[tuple[str, ...]], bool]) -> XmlDocument:
    """Parse ``data`` (the bytes of ``shown``); ``InputError`` for a DOCTYPE, never for broken XML."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    path: list[str] = []
    skip_depth = 0
    root: list[Node] = []

    def start(tag, _attrs):
        nonlocal skip_depth
        if skip_depth:
            skip_depth += 1
            return
        path.append(tag)
        if stack and not keep(tuple(path)):
            path.pop()
            skip_depth = 1
            return
        node = Node(tag=tag, line=parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag):
        nonlocal skip_depth
        if skip_depth:
            skip_depth -= 1
            return
        stack.pop().closed = True
        path.pop()

    def text(data):
        if stack and not skip_depth:
            stack[-1].parts.append(data)

    def doctype(*_args):
        raise _Refused(
            f"{shown}:{parser.CurrentLineNumber}: the file has a DOCTYPE declaration; it is refused "
            "(a document type can declare entities that expand without bound or read other files)"
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(exc.message) from None
    except expat.ExpatError as exc:
        return XmlDocument(root[0] if root else None, expat.ErrorString(exc.code), exc.lineno)
    except ValueError as exc:  # an encoding the declaration names that expat cannot use
        return XmlDocument(root[0] if root else None, f"cannot decode the text ({exc})", 1)
    return XmlDocument(root[0] if root else None)


def strip_bom(data: bytes) -> bytes:
    """The bytes after a UTF-8 BOM, and after leading whitespace: what a format sniffs at."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.lstrip(b" \t\r\n")


def looks_like_xml(data: bytes) -> bool:
    """Starts with ``<`` (after a BOM and whitespace), in UTF-8 or UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[2:].replace(b"\0", b"").lstrip(b" \t\r\n").startswith(b"<")
    return strip_bom(data).startswith(b"<")
