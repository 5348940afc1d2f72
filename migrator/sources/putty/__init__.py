"""PuTTY and KiTTY saved sessions.

What detection needs of a ``.reg`` export lives here, so that detecting formats imports no reader.
"""

from __future__ import annotations

import codecs

# Registry paths (lower case) under which the two programs keep one subkey per session.
_STORES = (
    ("PuTTY", "\\software\\simontatham\\putty\\sessions\\"),
    ("KiTTY", "\\software\\9bis.com\\kitty\\sessions\\"),
)
_PRODUCT_KEYS = ("\\software\\simontatham", "\\software\\9bis.com\\kitty")


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 4 and head[1] == 0 and head[3] == 0
    ):
        enc = "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
        return head[: len(head) // 2 * 2].decode(enc, errors="replace")
    return head.decode("utf-8", errors="replace")
