"""Which ledger row an entry belongs to when source keys shift, and which source entries are held.

Issue 10: a source key that is present but cannot be imported is *held* (never updated, pruned or
quarantined), and a key that left the sources hands its entry to the key now asking for it (same
name, or exactly the same data) instead of having it pruned. The two keys swap ledger rows, so one
XPipe UUID never has two rows and the entry the taking key leaves behind is pruned with the key
that left.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from migrator.mapper.desired import DesiredEntry
from migrator.model import Diagnostic
from migrator.plan.compare import Comparer
from migrator.plan.live import LiveEntry, address_key
from migrator.sync.ledger import LedgerEntry

if TYPE_CHECKING:
    from migrator.plan.plan import Change, Plan


class Ownership:
    """Mixed into the Planner: uses its ``_owned``, ``_owned_uuids``, ``_rekeyed``, ``_held``,
    ``_desired``, ``_live``, ``_comparer`` and ``_match``."""

    def _report_held(self, plan: Plan) -> None:
        for key in sorted(self._held):
            row = self._owned.get(key)
            plan.held.append({"key": key, "name": row.name if row else None, "uuid": row.uuid if row else None})
            if row is not None and row.uuid in self._live.entries:
                plan.diagnostics.append(
                    Diagnostic(
                        level="error",
                        code="held-entry",
                        entry=row.name,
                        message=f"source entry {key} is still in the sources but could not be imported (see the "
                        "errors above); its XPipe entry is left untouched: not updated, not pruned",
                    )
                )

    def _match_shifted(self, entry: DesiredEntry, desired_names: set, removed: set, plan: Plan) -> Change:
        """``_match``, first with the entry that holds exactly this entry's data under a key that left the
        sources (see ``_take_identical``); if that ends in a conflict, undone and matched as usual."""
        before = (dict(self._owned), dict(self._rekeyed), entry.name, len(plan.diagnostics))
        if self._take_identical(entry):
            change = self._match(entry, desired_names, removed, plan)
            if change.action != "conflict":
                return change
            self._owned, self._rekeyed, entry.name = before[0], before[1], before[2]
            self._owned_uuids = {e.uuid: e for e in self._owned.values()}
            del plan.diagnostics[before[3] :]
        return self._match(entry, desired_names, removed, plan)

    def _take_over(self, key: str, row: LedgerEntry) -> LedgerEntry:
        """``key`` takes over ``row``, owned by a key that left the sources. In exchange that key gets
        ``key``'s previous row, so an entry ``key`` leaves behind is pruned with the leaving key (and
        can still be taken over by another entry later in the plan). The ledger does the same swap
        when the write is recorded (``Ledger.record(..., replaces=)``)."""
        self._rekeyed[key] = row.key
        previous = self._owned.pop(key, None)
        del self._owned[row.key]
        if previous is not None and previous.uuid != row.uuid:
            self._owned[row.key] = replace(previous, key=row.key)
        taken = self._owned[key] = replace(row, key=key)
        self._owned_uuids = {e.uuid: e for e in self._owned.values()}
        return taken

    def _take_identical(self, entry: DesiredEntry) -> bool:
        """Rows whose keys shifted (a duplicate name renamed or reordered): an owned entry that already
        holds exactly this entry's data, under a key that left the sources, is this entry's. XPipe's
        add would return it anyway, and pruning it would delete a row that still exists."""
        own = self._owned.get(entry.key)
        if own is not None and own.uuid in self._live.entries and self._same(entry, self._live.entries[own.uuid]):
            return False
        comparer = self._comparer()
        for other in self._by_address.get(address_key(entry.data), []):
            row = self._owned_uuids.get(other.uuid)
            if row is None or row.key == entry.key or row.key in self._desired or row.key in self._held:
                continue
            if other.type.lower() == entry.type.lower() and self._same(entry, other, comparer):
                self._take_over(entry.key, row)
                return True
        return False

    def _same(self, entry: DesiredEntry, live: LiveEntry, comparer: Comparer | None = None) -> bool:
        if live.raw.get("host") != entry.data.get("host") or live.raw.get("port") != entry.data.get("port"):
            return False
        return all(leaf.equal for leaf in (comparer or self._comparer()).leaves(entry.data, live.raw)) and all(
            live.raw.get(k) is not None or v is None for k, v in entry.data.items() if k != "type"
        )
