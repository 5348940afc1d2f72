"""The ``.rtsz``/``.rtsx`` container and its XML: a flat list of objects under ``<RTSZDocument>``.

A document without complete-file encryption is UTF-8 XML (royalapplications/docs, document-store
module); some third-party readers also accept a ZIP holding the XML, which is read here cheaply and
bounded [3rd-party, unverified that Royal writes one]. "Encrypt complete file" documents are binary
in a format that is not public: they are refused with one line.

Each child of the root is an object named after its .NET type; each of its children a property
whose text is the value (defaults may be omitted). Only the properties in ``objects.PROPERTIES``
are kept, matched without case.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from migrator.errors import InputError
from migrator.sources import safexml
from migrator.sources.limits import MAX_FILE_BYTES, size_text, too_large
from migrator.sources.royalts import ROOT
from migrator.sources.royalts.objects import CANONICAL, RoyalObject

ZIP_MAGIC = b"PK\x03\x04"
#: Members of a ZIP container looked at before giving up.
MAX_ZIP_MEMBERS = 64


@dataclass
class Parsed:
    objects: list[RoyalObject] = field(default_factory=list)
    #: Where the XML broke off, as ``(line, reason)``; None when it was read to its end.
    broken: tuple[int, str] | None = None


def unwrap(data: bytes, shown: str) -> bytes:
    """The XML bytes of a document: as they are, or the XML member of a ZIP; refuses the rest."""
    if data.startswith(ZIP_MAGIC):
        return _from_zip(data, shown)
    if not data.strip():
        raise InputError(f"{shown}: the file is empty; it is not a Royal TS document")
    if not safexml.looks_like_xml(data):
        raise InputError(
            f"{shown}: not XML: this looks like a Royal TS document saved with 'Encrypt complete file', "
            "whose format is not public; save a copy without complete-file encryption (the document's "
            "security settings in Royal TS) and import that"
        )
    return data


def _from_zip(data: bytes, shown: str) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{shown}: starts like a ZIP archive but is not a readable one") from None
    for info in members[:MAX_ZIP_MEMBERS]:
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise InputError(f"{shown}: the ZIP member {info.filename!r} is encrypted; it cannot be read")
        if info.file_size > MAX_FILE_BYTES:
            raise too_large(shown, f"the ZIP member {info.filename!r} ({size_text(info.file_size)})", "64 MiB")
        try:
            with archive.open(info) as fh:
                content = fh.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            raise InputError(f"{shown}: the ZIP member {info.filename!r} cannot be decompressed") from None
        if len(content) > MAX_FILE_BYTES:  # the header lied about the size
            raise too_large(shown, f"the ZIP member {info.filename!r}", "64 MiB")
        if safexml.looks_like_xml(content) and ROOT.encode() in content[:4096]:
            return content
    raise InputError(f"{shown}: a ZIP archive without a Royal TS document (<{ROOT}>) in it")


def _keep(path: tuple[str, ...]) -> bool:
    """Objects (depth 2) are all kept; of their children only the properties the importer reads."""
    if len(path) == 2:
        return True
    return len(path) == 3 and path[2].rpartition(":")[2].lower() in CANONICAL


def read_document(data: bytes, shown: str) -> Parsed:
    """The objects of the document, in file order; ``InputError`` when it is not a Royal TS document."""
    doc = safexml.parse(unwrap(data, shown), shown, _keep)
    if doc.root is None:
        line = f":{doc.error_line}" if doc.error_line else ""
        raise InputError(f"{shown}{line}: not a readable XML document ({doc.error or 'no root element'})")
    if doc.root.local != ROOT:
        raise InputError(f"{shown}:{doc.root.line}: the root element is not <{ROOT}>; not a Royal TS document")
    out = Parsed()
    for node in doc.root.children:
        if not node.closed and doc.error:  # cut inside this object: what it holds is not all there
            break
        obj = RoyalObject(type=node.local, line=node.line)
        for prop in node.children:
            name = CANONICAL[prop.local.lower()]
            obj.fields.setdefault(name, prop.text)
        out.objects.append(obj)
    if doc.error:
        out.broken = (doc.error_line or 0, doc.error)
    return out
