"""The XML of ``confCons.xml``, read safely with line numbers, and mRemoteNG's way of reading values.

The standard library's expat parser reads the bytes (it honours the BOM and the XML declaration).
A DOCTYPE is refused outright, so no entity can be declared: no billion laughs, no external
entities. Element names are kept as written (``mrng:Connections``); mRemoteNG matches attributes by
their written name and the root by its local name. Only the attributes the importer uses are kept,
so a 64 MiB file does not become gigabytes of dictionaries.

A file that breaks off (truncated, a stray ``&``) keeps every element read before the break; the
caller marks the result partial. Values are read as .NET reads them in mRemoteNG's
``XmlExtensions``: ``bool.TryParse``, ``int.TryParse`` and ``Enum.TryParse(ignoreCase)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from migrator.errors import InputError
from migrator.sources import safexml
from migrator.sources.numbers import whole_number

#: Attributes of ``Node`` and of the root the importer reads; everything else is dropped at parse time.
KEPT_ATTRIBUTES = frozenset(
    {
        "Name",
        "Type",
        "Id",
        "Descr",
        "Username",
        "Password",
        "Domain",
        "Hostname",
        "Protocol",
        "Port",
        "UseVNC",
        "VNCPort",
        "RDPPort",
        "PuttySession",
        "SSHOptions",
        "SSHTunnelConnectionName",
        "OpeningCommand",
        "ExternalCredentialProvider",
        "UserViaAPI",
        "ExternalAddressProvider",
        "EC2InstanceId",
        "EC2Region",
        "Inherit",
        "ConfVersion",
        "EncryptionEngine",
        "BlockCipherMode",
        "KdfIterations",
        "FullFileEncryption",
        "Protected",
        "Export",
    }
)
_INHERIT = re.compile(r"Inherit[A-Za-z]+")
_INT = re.compile(r"[ \t\r\n]*([+-]?[0-9]+)[ \t\r\n]*")  # ASCII digits only, as .NET
_NET_SPACE = " \t\r\n\x00"


@dataclass(eq=False)
class Element:
    """One XML element: its written name, the kept attributes, the line of its start tag, its children."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.tag.rpartition(":")[2]


@dataclass
class Parsed:
    """The root element, and where reading stopped early (``None`` when the whole text was read)."""

    root: Element | None
    broken: str | None = None
    broken_line: int | None = None


class _Refused(Exception):
    pass


def parse(data: bytes | str, shown: str, *, keep_root_text: bool = True) -> Parsed:
    """Parse a document; a break after the root started keeps what was read (``Parsed.broken``)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    holder: list[Element] = []

    def refuse_doctype(*_args):
        raise _Refused("the file has a DOCTYPE declaration, which a confCons.xml never has; refused (entities)")

    def start(tag, attrs):
        kept = {k: v for k, v in attrs.items() if k in KEPT_ATTRIBUTES or _INHERIT.fullmatch(k)}
        element = Element(tag, kept, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(element)
        else:
            holder.append(element)
        stack.append(element)

    def end(_tag):
        stack.pop()

    def text(chunk):
        if keep_root_text and len(stack) == 1:
            stack[0].text.append(chunk)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(f"{shown}: {exc}") from None
    except expat.ExpatError as exc:
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        reason = expat.ErrorString(exc.code)
        if not holder:
            raise InputError(f"{shown}: not an XML file ({reason} at {where})") from None
        return Parsed(holder[0], f"the XML breaks off at {where} ({reason})", exc.lineno)
    except safexml.ENCODING_ERRORS:
        raise InputError(f"{shown}: {safexml.BAD_ENCODING}; nothing imported") from None
    if not holder:
        raise InputError(f"{shown}: not an XML file (no root element)")
    return Parsed(holder[0])


def parse_fragment(text: str, shown: str) -> Parsed:
    """Elements back to back without a root (decrypted full-file content), wrapped to be parsed."""
    parsed = parse("<fragment>" + text + "</fragment>", shown, keep_root_text=False)
    return parsed


# ---- values as .NET reads them --------------------------------------------------------------------


def net_bool(value: str | None) -> bool | None:
    """``bool.TryParse``: True/False in any case, surrounding blanks ignored; None when it fails."""
    if value is None:
        return None
    low = value.strip(_NET_SPACE).lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return None


def net_int(value: str | None) -> int | None:
    """``int.TryParse`` (NumberStyles.Integer, Int32); None when it fails."""
    if value is None:
        return None
    m = _INT.fullmatch(value)
    if not m:
        return None
    number = whole_number(m.group(1))
    return number if -(2**31) <= number < 2**31 else None


def net_enum(value: str | None, members: dict[str, int]) -> int | None:
    """``Enum.TryParse(ignoreCase: true)``: names or numbers, comma lists OR-ed; None when it fails."""
    if value is None or not value.strip(_NET_SPACE):
        return None
    lowered = {name.lower(): number for name, number in members.items()}
    result = 0
    for part in value.split(","):
        token = part.strip(_NET_SPACE)
        number = net_int(token)
        if number is None:
            number = lowered.get(token.lower())
        if number is None:
            return None
        result |= number
    return result


def net_version(value: str) -> float | None:
    """``Convert.ToDouble(value.Replace(",", "."), InvariantCulture)``; None when it fails."""
    text = value.replace(",", ".").strip(_NET_SPACE)
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    return float(text)
