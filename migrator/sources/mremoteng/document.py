"""The XML of ``confCons.xml``, read safely with line numbers, and mRemoteNG's way of reading values.

``safexml`` reads the bytes with expat (the BOM and the XML declaration honoured, a DOCTYPE refused,
so no entity can be declared: no billion laughs, no external entities). Element names are kept as
written (``mrng:Connections``); mRemoteNG matches attributes by their written name and the root by
its local name. Only the attributes the importer uses are kept, so a 64 MiB file does not become
gigabytes of dictionaries.

A file that breaks off (truncated, a stray ``&``) keeps every element read before the break; the
caller marks the result partial. Values are read as .NET reads them in mRemoteNG's
``XmlExtensions``: ``bool.TryParse``, ``int.TryParse`` and ``Enum.TryParse(ignoreCase)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


#: An element as ``safexml`` builds it: ``tag``, ``line``, ``children``, ``attrs`` (the kept ones), ``text``.
Element = safexml.Node


@dataclass
class Parsed:
    """The root element, and where reading stopped early (``None`` when the whole text was read)."""

    root: Element
    broken: str | None = None
    broken_line: int | None = None
    too_deep: int | None = None  # the line of the first element nested deeper than safexml.MAX_DEPTH


def _kept(name: str) -> bool:
    return name in KEPT_ATTRIBUTES or _INHERIT.fullmatch(name) is not None


def parse(data: bytes | str, shown: str) -> Parsed:
    """Parse a document; a break after the root started keeps what was read (``Parsed.broken``)."""
    doc = safexml.parse(data, shown, attributes=_kept, root_text_only=True)
    where = f"line {doc.error_line}, column {doc.error_column}"
    if doc.root is None:
        if doc.error == safexml.BAD_ENCODING:
            raise InputError(f"{shown}: {safexml.BAD_ENCODING}; nothing imported")
        raise InputError(f"{shown}: not an XML file ({doc.error or 'no root element'} at {where})")
    broken = f"the XML breaks off at {where} ({doc.error})" if doc.error else None
    return Parsed(doc.root, broken, doc.error_line, doc.too_deep)


def parse_fragment(text: str, shown: str) -> Parsed:
    """Elements back to back without a root (decrypted full-file content), wrapped to be parsed."""
    return parse("<fragment>" + text + "</fragment>", shown)


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
