"""What a plan is: the ``Plan`` of ``Change``s every report renders, and its safety thresholds.

Kept apart from the ``Planner`` that builds it so reports, saved plans and the loader can use the
model without the planning machinery.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from migrator.errors import PlanRefused
from migrator.mapper.desired import DesiredEntry
from migrator.model import Diagnostic
from migrator.plan.live import LiveEntry, LiveVault
from migrator.sync.ledger import LedgerEntry, Resolution

ACTIONS = ("create", "update", "recreate", "unchanged", "conflict", "quarantine", "delete")
WRITE_ACTIONS = ("create", "update", "recreate", "quarantine", "delete")
IDENTITY_TYPES = {"localIdentity", "syncedIdentity", "passwordManagerIdentity", "multiIdentity"}


@dataclass
class FieldChange:
    path: str
    old: object
    new: object
    drift: bool = False
    kept: bool = False  # a drifted field whose XPipe value is kept


@dataclass
class Change:
    action: str
    kind: str  # "category", "host", "hop", "identity"
    key: str
    name: str
    category: str
    uuid: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str | None = None
    source: str | None = None
    entry: DesiredEntry | None = field(default=None, repr=False)
    live: LiveEntry | None = field(default=None, repr=False)
    path: tuple[str, ...] = ()
    ledger: LedgerEntry | None = field(default=None, repr=False)
    rekey: str | None = None  # the ledger key this entry was owned under until now (taken over)

    @property
    def writes(self) -> bool:
        return self.action in WRITE_ACTIONS

    @property
    def drift(self) -> list[FieldChange]:
        return [f for f in self.fields if f.drift]


@dataclass
class PruneOptions:
    enabled: bool = False
    max_percent: float = 30.0
    min_owned: int = 10
    quarantine_days: int = 7


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    target: str = ""
    xpipe_version: str = ""
    dialect: str = ""
    root_category: str = ""
    hosts_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    identities: dict = field(default_factory=dict)
    external: dict[str, str] = field(default_factory=dict)
    owned: int = 0
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: how this plan closes the journal rows earlier runs left open (``migrator.plan.reconcile``)
    resolutions: list[Resolution] = field(default_factory=list)
    live: LiveVault | None = field(default=None, repr=False)
    prune: PruneOptions = field(default_factory=PruneOptions)
    empty_sources: list[str] = field(default_factory=list)
    #: sources read only in part (a stop at a syntax error, an unreadable Include): any key may be missing
    partial_sources: list[str] = field(default_factory=list)
    #: source entries that exist but could not be imported: {"key", "name", "uuid"} (name/uuid when owned)
    held: list[dict] = field(default_factory=list)
    #: live encrypted nodes found holding a secret of the sources, digest(node) -> digest(strategy), and
    #: what the ledger knew before ("Secret nodes" in ``migrator.sync.ledger``); digests only
    known_nodes: dict[str, str] = field(default_factory=dict, repr=False)
    nodes_before: dict[str, str] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        out["drift"] = sum(1 for c in self.changes if c.drift)
        return out

    @property
    def has_changes(self) -> bool:
        return any(c.writes for c in self.changes)

    def entries(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "category"]

    @property
    def deletions(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("quarantine", "delete")]

    def refusal(self, *, force: bool = False) -> str | None:
        """Why this plan must not be applied, or None: the plan owns its safety thresholds.

        With prune on, a source that produced no hosts refuses always (an empty or unreadable source
        never deletes anything, whatever ``--force`` says); so does a prune while a source was read only
        in part (its unread entries cannot be told from removed ones); and deleting more than
        ``max_percent`` of the owned entries refuses unless forced.
        """
        prune = self.prune
        if not prune.enabled:
            return None
        if self.empty_sources:
            return (
                f"refusing to prune: source(s) {', '.join(self.empty_sources)} produced no hosts; an empty or "
                "unreadable source never deletes anything (fix the source; --force does not override this)"
            )
        deletions = sum(1 for c in self.deletions if c.uuid)
        if self.partial_sources and deletions:
            return (
                f"refusing to prune: source(s) {', '.join(self.partial_sources)} were read only in part (see the "
                "errors above), so an entry missing from them may still be there; nothing is deleted or "
                "quarantined (fix the source; --force does not override this)"
            )
        if (
            self.owned >= prune.min_owned
            and self.owned
            and deletions * 100.0 / self.owned > prune.max_percent
            and not force
        ):
            share = deletions * 100.0 / self.owned
            return (
                f"refusing to prune {deletions} of {self.owned} owned entries ({share:.0f}% > "
                f"{prune.max_percent:g}%); check the sources, or pass --force"
            )
        return None

    def raise_if_unsafe(self, *, force: bool = False) -> None:
        reason = self.refusal(force=force)
        if reason:
            raise PlanRefused(reason)


def vault_fingerprint(live: LiveVault) -> str:
    """What a saved plan checks the vault against: every entry and category (one encoding of all)."""
    items = sorted(((e.uuid, e.type, e.name, e.category, e.raw) for e in live.entries.values()), key=_first)
    cats = sorted((c.uuid, c.parent, c.path) for c in live.categories.values())
    return hashlib.sha256(json.dumps([items, cats], sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _first(item: tuple) -> str:
    return item[0]  # a UUID: unique in the vault
