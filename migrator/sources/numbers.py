"""Whole numbers written in source files, read without Python's digit limit.

``int()`` refuses a decimal string of more than 4,300 digits with a ``ValueError`` (and is quadratic
below that), so a port of 5,000 nines ended a read in an internal error. Every reader turns its
matched digits into a number here instead: values below ``2**128`` (and a little more) are exact,
longer numbers read as ``±SATURATED``, which is outside every range a reader checks (ports, Int32,
dword, iteration counts), so the value is reported as out of range, as the managers' own parsers
report an overflow. Only ASCII digits are digits (``int()`` also takes ``'٢٢'``; no manager does).
"""

from __future__ import annotations

import math

#: The value a number of more significant digits than ``_EXACT`` allows reads as (with its sign).
SATURATED = 1 << 133
#: Significant digits read exactly, per base: every such value is below 2**132, so below ``SATURATED``.
_EXACT = {base: int(132 / math.log2(base)) for base in range(2, 17)}
_DIGITS = {base: frozenset("0123456789abcdef"[:base]) for base in range(2, 17)}


def whole_number(text: str, base: int = 10) -> int:
    """The value of ``text``: an optional sign, then ASCII digits of ``base`` (2-16), blanks around.

    Leading zeros are free; more significant digits than a 132-bit number has saturate. ``ValueError``
    for anything else (underscores and non-ASCII digits included, which ``int()`` would accept).
    """
    body = text.strip(" \t\r\n\v\f")
    sign = -1 if body[:1] == "-" else 1
    body = body[1:] if body[:1] in "+-" else body
    if not body or not set(body.lower()) <= _DIGITS[base]:
        raise ValueError("not a whole number")
    digits = body.lstrip("0") or "0"
    if len(digits) > _EXACT[base]:
        return sign * SATURATED
    return sign * int(digits, base)
