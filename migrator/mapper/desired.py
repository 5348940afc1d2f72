"""The desired state: what the vault should contain, before it is compared with what it does contain.

Store data is kept as plain JSON with two kinds of placeholders that only the later stages can fill:
``EntryRef`` (the UUID of another desired entry, known only once it exists) and ``Secret`` (a
strategy that must go through /secret/encrypt). A ``Secret`` never renders its content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from functools import cached_property

from migrator.model import Host

#: Key for the in-memory digests that tell secrets apart without keeping or showing them.
_RUN_KEY = os.urandom(32)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def secret_digest(text: str, length: int = 12) -> str:
    """A keyed digest, stable within one run only, safe to show in reports."""
    return hmac.new(_RUN_KEY, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


#: Key prefix of a reference to an identity the user chose by name; the planner finds it in the vault.
EXISTING_IDENTITY = "existing-identity:"


@dataclass(frozen=True)
class EntryRef:
    """A reference to another desired entry by key (resolved to a UUID at plan and apply time)."""

    key: str


@dataclass(frozen=True, eq=False)
class Secret:
    """A strategy that XPipe stores as an EncryptedValue. Compared by content, shown by digest."""

    strategy: dict

    @cached_property
    def text(self) -> str:
        """The strategy as canonical JSON, computed once (a strategy is never changed once built)."""
        return canonical_json(self.strategy)

    @cached_property
    def digest(self) -> str:
        return secret_digest(self.text)

    @cached_property
    def cache_key(self) -> str:
        return secret_digest(self.text, 64)

    @property
    def kind(self) -> str:
        return str(self.strategy.get("type"))

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Secret({self.kind}, sha={self.digest})"


@dataclass
class DesiredCategory:
    path: tuple[str, ...]
    """Full path of display names, starting with the root ("All connections", ...)."""


@dataclass
class DesiredEntry:
    key: str
    kind: str  # "host", "hop" or "identity"
    name: str
    type: str  # XPipe store type: "ssh", "localIdentity", ...
    category: tuple[str, ...]
    data: dict
    host: Host | None = None
    depends: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


@dataclass
class DesiredState:
    categories: list[DesiredCategory] = field(default_factory=list)
    entries: list[DesiredEntry] = field(default_factory=list)
    #: source keys that exist but are not imported (rejected by the source or blocked by the mapper):
    #: the planner never updates, prunes or quarantines their entries
    held: set[str] = field(default_factory=set)

    def by_key(self) -> dict[str, DesiredEntry]:
        return {e.key: e for e in self.entries}


def iter_placeholders(value):
    """Every EntryRef and Secret inside ``value`` (dicts and lists), depth first, in order."""
    if isinstance(value, (EntryRef, Secret)):
        yield value
        return
    stack = [iter(value.values()) if isinstance(value, dict) else iter(value) if isinstance(value, list) else iter(())]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (EntryRef, Secret)):
                yield item
            elif isinstance(item, dict):
                stack.append(iter(item.values()))
                break
            elif isinstance(item, list):
                stack.append(iter(item))
                break
        else:
            stack.pop()
