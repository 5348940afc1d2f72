"""Java-compatible text, UUID and JSON helpers for the simulator: ``String.strip``/``isBlank``,
``equalsIgnoreCase``, ``UUID.fromString`` and Jackson's type names, so its answers match XPipe's.

Split from ``migrator.simulator.stores``, which parses store data with them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from migrator.names import name_key, names_equal
from migrator.simulator.errors import BadRequest

_JAVA_NON_WHITESPACE_SPACES = "\u00a0\u2007\u202f"
_UUID_GROUP_LIMITS = (8, 4, 4, 4, 12)
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _java_space(ch: str) -> bool:
    return ch.isspace() and ch not in _JAVA_NON_WHITESPACE_SPACES


def java_strip(text: str) -> str:
    """``String.strip()``: removes Java whitespace (not the non-breaking spaces) at both ends."""
    start, end = 0, len(text)
    while start < end and _java_space(text[start]):
        start += 1
    while end > start and _java_space(text[end - 1]):
        end -= 1
    return text[start:end]


def java_blank(text: str) -> bool:
    return not java_strip(text)


def equals_ignore_case(left: str, right: str) -> bool:
    """``String.equalsIgnoreCase`` (Java's simple case mappings, see ``migrator.names``)."""
    return names_equal(left, right)


def fold_case(text: str) -> str:
    """An index key that is equal exactly for names that are ``equalsIgnoreCase``."""
    return name_key(text)


def lower_path_name(name: str) -> str:
    """How a name appears in API paths: lower-cased, ``/`` replaced by ``_``."""
    return name.lower().replace("/", "_")


def parse_request_uuid(value: Any, where: str) -> str:
    """A ``java.util.UUID`` request field (Jackson's strict 36-character form), lower-cased."""
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value.lower()
    raise BadRequest(
        f"Cannot deserialize value of type `java.util.UUID` from {_json_kind(value)}: "
        f"UUID has to be represented by standard 36-char representation (through reference chain: {where})"
    )


def parse_ref_uuid(text: str) -> str:
    """``UUID.fromString`` (lenient: five dash-separated hex groups), as canonical lower-case text."""
    parts = text.split("-")
    if len(parts) == 5 and all(
        0 < len(part) <= limit and all(c in "0123456789abcdefABCDEF" for c in part)
        for part, limit in zip(parts, _UUID_GROUP_LIMITS, strict=True)
    ):
        padded = (part.lower().zfill(limit) for part, limit in zip(parts, _UUID_GROUP_LIMITS, strict=True))
        return "-".join(padded)
    raise BadRequest(f"Invalid UUID string: {text}")


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "Object value (token `JsonToken.START_OBJECT`)"
    if isinstance(value, list):
        return "Array value (token `JsonToken.START_ARRAY`)"
    if isinstance(value, bool):
        return "Boolean value"
    if isinstance(value, int):
        return "Integer value"
    if isinstance(value, float):
        return "Floating-point value"
    if value is None:
        return "Null value"
    return f'String "{value}"'


def mismatch(java_type: str, value: Any, where: str) -> BadRequest:
    return BadRequest(
        f"Cannot deserialize value of type `{java_type}` from {_json_kind(value)} (through reference chain: {where})"
    )


def compact_json(value: Any) -> str:
    """Jackson's compact output (no spaces), used as the plaintext of encrypted strategies."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
