"""XML of native connection-manager files, read safely, with line numbers, keeping only what is used.

The standard library's expat parser reads the bytes (it honours a BOM and the XML declaration's
encoding). A DOCTYPE is refused outright with one line naming the file and line: without a DTD no
entity can be declared, so there is no entity expansion (billion laughs) and no external entity.

``keep(path)`` decides for every element below the root whether it is built (``path`` holds the
tags from the root down to the element); a skipped element's whole subtree is skipped, so a file of
64 MiB with hundreds of unused properties per object does not become gigabytes of objects. In the
same spirit ``attributes(name)`` picks the attributes kept (none by default), and ``root_text_only``
drops the character data of every element but the root (a format whose values are attributes has
only layout whitespace there: a quarter of the parse time). Elements nested deeper
than ``MAX_DEPTH`` are skipped with their subtrees (``XmlDocument.too_deep`` is the line of the first):
no format nests that deep, and the path handed to ``keep`` grows with the depth.

A file that breaks off (truncated, a stray ``&``) keeps every element read before the break;
``XmlDocument.error`` says where it broke and the caller marks its result partial.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.parsers import expat

from migrator.errors import InputError
from migrator.sources.base import strip_bom

_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})
#: Elements nested deeper than this (the root is depth 1) are not read.
MAX_DEPTH = 256


@dataclass(eq=False, slots=True)
class Node:
    """One element: its tag as written, the line of its start tag, kept children, its text, and the
    attributes ``parse`` was asked to keep (by their written names)."""

    tag: str
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    closed: bool = False
    attrs: Mapping[str, str] = field(default_factory=lambda: _NO_ATTRIBUTES)  # one shared, read-only empty map

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
    error_column: int | None = None
    too_deep: int | None = None


#: What ``Parse`` raises besides ``ExpatError`` when the XML declaration names an encoding Python cannot
#: hand to expat: unknown (``LookupError``), not a text codec, multi-byte, or failing (``ValueError``).
ENCODING_ERRORS = (LookupError, ValueError)
#: The reason given for it; the name itself is never quoted (it is input that could not be used).
BAD_ENCODING = "the XML declaration names an encoding that cannot be read: UTF-8, UTF-16 and single-byte ones can"


class _Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _everything(_path: tuple[str, ...]) -> bool:
    return True


def parse(
    data: bytes | str,
    shown: str,
    keep: Callable[[tuple[str, ...]], bool] = _everything,
    *,
    attributes: Callable[[str], bool] | None = None,
    root_text_only: bool = False,
) -> XmlDocument:
    """Parse ``data`` (the bytes of ``shown``, or text already decoded); ``InputError`` for a DOCTYPE,
    never for broken XML."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    path: list[str] = []
    skip_depth = 0
    root: list[Node] = []
    too_deep: list[int] = []
    every = keep is _everything

    def start(tag, attrs):
        nonlocal skip_depth
        if skip_depth:
            skip_depth += 1
            return
        if len(stack) >= MAX_DEPTH:
            too_deep[:] = too_deep or [parser.CurrentLineNumber]
            skip_depth = 1
            return
        if not every:
            path.append(tag)
            if stack and not keep(tuple(path)):
                path.pop()
                skip_depth = 1
                return
        kept = {k: v for k, v in attrs.items() if attributes(k)} if attributes is not None and attrs else None
        node = Node(tag, parser.CurrentLineNumber, [], [], False, kept or _NO_ATTRIBUTES)
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
        if not every:
            path.pop()

    def characters(data):
        if stack and not skip_depth and (not root_text_only or len(stack) == 1):
            stack[-1].parts.append(data)

    def doctype(*_args):
        raise _Refused(
            f"{shown}:{parser.CurrentLineNumber}: the file has a DOCTYPE declaration; it is refused "
            "(a document type can declare entities that expand without bound or read other files)"
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.ExternalEntityRefHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(exc.message) from None
    except expat.ExpatError as exc:
        doc = XmlDocument(root[0] if root else None, expat.ErrorString(exc.code), exc.lineno, exc.offset + 1)
    except ENCODING_ERRORS:
        doc = XmlDocument(None, BAD_ENCODING, 1)
    else:
        doc = XmlDocument(root[0] if root else None)
    doc.too_deep = too_deep[0] if too_deep else None
    return doc


def looks_like_xml(data: bytes) -> bool:
    """Starts with ``<`` (after a BOM and whitespace), in UTF-8 or UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[2:].replace(b"\0", b"").lstrip(b" \t\r\n").startswith(b"<")
    return strip_bom(data).startswith(b"<")
