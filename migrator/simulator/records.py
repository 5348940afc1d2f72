"""The records a simulated vault holds (:class:`Entry`, :class:`Category`), the categories every
vault starts with, and the timestamps XPipe writes. Split from ``migrator.simulator.vault``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from migrator.simulator.values import Obj
from migrator.xpipe import constants as C

STATE_FORMAT = "xpipe-migrate-simulator-vault"

# (uuid, display name, parent) of the categories every vault has (DataStorage.setupBuiltinCategories).
BUILTIN_CATEGORIES = (
    (C.ALL_CONNECTIONS, "All connections", None),
    (C.DEFAULT_CATEGORY, "Default", C.ALL_CONNECTIONS),
    (C.ALL_IDENTITIES, "All identities", None),
    (C.LOCAL_IDENTITIES, "Local", C.ALL_IDENTITIES),
    (C.ALL_SCRIPTS, "All scripts", None),
    (C.CUSTOM_SCRIPTS, "Custom", C.ALL_SCRIPTS),
    (C.SCRIPT_SOURCES, "Sources", C.ALL_SCRIPTS),
    (C.PREDEFINED_SCRIPTS, "Predefined", C.ALL_SCRIPTS),
    (C.ALL_MACROS, "All macros", None),
)
SYNCED_CATEGORY = (C.SYNCED_IDENTITIES, "Synced", C.ALL_IDENTITIES)
UNDELETABLE_CATEGORIES = frozenset(
    {
        C.DEFAULT_CATEGORY,
        C.LOCAL_IDENTITIES,
        C.SYNCED_IDENTITIES,
        C.CUSTOM_SCRIPTS,
        C.SCRIPT_SOURCES,
        C.PREDEFINED_SCRIPTS,
    }
)
ROOT_CATEGORIES = frozenset({C.ALL_CONNECTIONS, C.ALL_IDENTITIES, C.ALL_SCRIPTS, C.ALL_MACROS})
LOCAL_MACHINE_NAME = "Local Machine"


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """An Instant as Jackson writes it: ISO-8601 in UTC with a ``Z``."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return now()


def empty_category_config() -> dict:
    return {
        "color": None,
        "dontAllowScripts": None,
        "confirmAllModifications": None,
        "sync": None,
        "freezeConfigurations": None,
        "defaultIdentityStore": None,
        "defaultGatewayStore": None,
    }


@dataclass
class Category:
    uuid: str
    name: str
    parent: str | None
    last_used: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)
    config: dict = field(default_factory=empty_category_config)


@dataclass
class Entry:
    uuid: str
    name: str
    category: str
    store: Obj | None
    type_id: str
    state: dict
    last_used: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)
    failed_data: Any = None
    """The persisted JSON of an entry that could not be parsed at load (kept to be saved again)."""
