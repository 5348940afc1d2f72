"""Tabby's config.yaml: written by js-yaml 4.1 (``yaml.dump``) and read by it (``yaml.load``).

Tabby pins js-yaml 4.1.0 (Eugeny/tabby ``app/package.json`` at 14e2d60b9b6d). The structure is read
by the project's YAML-subset reader (``migrator.sources.ansible.yaml_subset``); plain scalars are
typed here by js-yaml's DEFAULT_SCHEMA (nodeca/js-yaml tag 4.1.0: ``lib/type/null.js``,
``bool.js``, ``int.js``, ``float.js``, ``timestamp.js``, tried in that order), which is YAML 1.2's
core schema, not YAML 1.1: ``yes``/``on`` stay text, ``0755`` is 755, ``0o17`` is 15, ``1:20`` is
text, and ``_`` may separate digits. ``yaml.dump`` of a JSON-clean config (Tabby scrubs it with
``JSON.parse(JSON.stringify(...))``, so no anchors) quotes every string that would read back as
another type, including YAML 1.1 booleans and base-60 numbers (``lib/dumper.js``
``DEPRECATED_BOOLEANS_SYNTAX``), so js-yaml's output reads the same under both schemas; the
difference matters for files edited by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from migrator.sources.ansible.yaml_subset import Dialect, parse_yaml
from migrator.sources.numbers import whole_number

_NULL = frozenset({"~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_FLOAT = re.compile(
    r"(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9]{2}))?))?"
)


def _is_int(data: str) -> bool:
    """``resolveYamlInteger`` of js-yaml 4.1.0."""
    i, n = 0, len(data)
    if not n:
        return False
    if data[0] in "+-":
        i += 1
    if i < n and data[i] == "0":
        if i + 1 == n:
            return True
        base = data[i + 1]
        digits = {"b": "01", "x": "0123456789abcdefABCDEF", "o": "01234567"}.get(base)
        if digits is not None:
            body = data[i + 2 :]
            return any(c != "_" for c in body) and all(c == "_" or c in digits for c in body) and body[-1:] != "_"
    body = data[i:]
    if body[:1] == "_":
        return False
    return any(c.isdigit() for c in body) and all(c == "_" or c in "0123456789" for c in body) and body[-1:] != "_"


def _to_int(data: str) -> int:
    value = data.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    value = value.lstrip("+-")
    if value[:2] in ("0b", "0x", "0o"):
        return sign * whole_number(value[2:], {"b": 2, "x": 16, "o": 8}[value[1]])
    return sign * whole_number(value)


def _to_float(data: str) -> float:
    value = data.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    value = value.lstrip("+-")
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    return sign * float(value)


def _to_timestamp(text: str):
    m = _DATE.fullmatch(text)
    if m:
        return dt.datetime(*map(int, m.groups()), tzinfo=dt.timezone.utc)
    m = _TIMESTAMP.fullmatch(text)
    year, month, day, hour, minute, second, frac, tz, sign, tz_h, tz_m = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    zone = dt.timezone.utc
    if tz and tz != "Z":
        delta = dt.timedelta(hours=int(tz_h), minutes=int(tz_m or 0))
        zone = dt.timezone(-delta if sign == "-" else delta)
    return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone)


def resolve_js_plain(text: str):
    """Type a plain scalar as js-yaml 4.1's DEFAULT_SCHEMA does; an unconvertible one stays text."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[:1] in "+-0123456789" and _is_int(text):
        return _to_int(text)
    if _FLOAT.fullmatch(text) and text[-1] != "_":
        return _to_float(text)
    if text[:1].isdigit() and (_DATE.fullmatch(text) or _TIMESTAMP.fullmatch(text)):
        try:
            return _to_timestamp(text)
        except ValueError:
            return text
    return text


#: js-yaml 4.1's default schema for plain scalars; anchors and tags stay outside the subset.
JS_YAML = Dialect(resolve=resolve_js_plain)


def parse_js_yaml(text: str):
    """The top-level value and the reader's problems (each with its line)."""
    return parse_yaml(text, JS_YAML)
