"""The two generations of XPipe's store API (docs/xpipe-api.md §6).

23.x speaks ``/connection/*`` with ``connection``-named fields; 24 renamed the endpoints to
``/store/*`` and the fields to ``store``/``stores``/``storeFilter``. Everything else (categories,
secrets, handshake, version) is the same in both. The rest of the tool only sees neutral names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.errors import UnsupportedVersion

MIN_MAJOR = 20


@dataclass(frozen=True)
class Dialect:
    name: str
    prefix: str
    one: str
    many: str
    filter_field: str

    def path(self, op: str) -> str:
        return f"/{self.prefix}/{op}"


DIALECT_23 = Dialect(
    name="23", prefix="connection", one="connection", many="connections", filter_field="connectionFilter"
)
DIALECT_24 = Dialect(name="24", prefix="store", one="store", many="stores", filter_field="storeFilter")
DIALECTS = {"23": DIALECT_23, "24": DIALECT_24}


def parse_major(version: str) -> int | None:
    """The major number of XPipe's raw version string ("23.8", "23.8-3", "24.0-9"); None for "dev"."""
    m = re.match(r"\s*(\d+)", version or "")
    return int(m.group(1)) if m else None


def dialect_for(version: str, override: str | None = None) -> Dialect:
    if override:
        try:
            return DIALECTS[override]
        except KeyError:
            raise UnsupportedVersion(f"unknown API dialect {override!r}; use 23 or 24") from None
    major = parse_major(version)
    if major is None:
        raise UnsupportedVersion(
            f"XPipe reports version {version!r}, which does not say which API it speaks; "
            "choose with --api-dialect 23 or 24"
        )
    if major < MIN_MAJOR:
        raise UnsupportedVersion(f"XPipe {version} is too old: xpipe-migrate needs XPipe {MIN_MAJOR} or newer")
    return DIALECT_24 if major >= 24 else DIALECT_23
