"""WinSCP: the portable WinSCP.ini and its password obfuscation and master-password encryption.

How the file's text is decoded lives here: detection needs it, and detecting formats imports no reader.
"""

from __future__ import annotations

import codecs


def decode_file(data: bytes, codepage: str) -> tuple[str, str | None]:
    """The file's text and a warning: a BOM decides; otherwise UTF-8 if valid, else the code page."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding), None
            except UnicodeDecodeError as exc:
                return body.decode(encoding, errors="replace"), f"bytes at offset {exc.start} are not valid {encoding}"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode(codepage, errors="replace"), f"the file is not UTF-8; it was read as {codepage}"
