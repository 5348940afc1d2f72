"""Which ledger row an entry belongs to when source keys shift, and which source entries are held.

Issue 10: a source key that is present but cannot be imported is *held* (never updated, pruned or
quarantined), and a key that left the sources hands its entry to the key now asking for it (same
name, or exactly the same data) instead of having it pruned. The two keys swap ledger rows, so one
XPipe UUID never has two rows and the entry the taking key leaves behind is pruned with the key
that left. Owned entries gone from the sources are quarantined in place and deleted only after the
grace period (``_plan_prune``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from migrator.mapper.desired import DesiredEntry
from migrator.model import Diagnostic
from migrator.plan.compare import Comparer
from migrator.plan.live import LiveEntry, address_key
from migrator.plan.model import Change, Plan
from migrator.sync.ledger import LedgerEntry

_ABSENT = object()


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
        sources (see ``_take_identical``); if that ends in a conflict, undone and matched as usual.

        Undoing restores only what the take-over changed (``_undo``), so a plan stays linear however
        many keys shifted."""
        name, notes = entry.name, len(plan.diagnostics)
        self._undo: list | None = []
        if self._take_identical(entry):
            change = self._match(entry, desired_names, removed, plan)
            if change.action != "conflict":
                self._undo = None
                return change
            for table, key, value in reversed(self._undo):
                if value is _ABSENT:
                    table.pop(key, None)
                else:
                    table[key] = value
            entry.name = name
            del plan.diagnostics[notes:]
        self._undo = None
        return self._match(entry, desired_names, removed, plan)

    def _set(self, table: dict, key, value) -> None:
        """``table[key] = value`` (``_ABSENT``: delete), remembered for ``_match_shifted``'s undo."""
        undo = getattr(self, "_undo", None)
        if undo is not None:
            undo.append((table, key, table.get(key, _ABSENT)))
        if value is _ABSENT:
            table.pop(key, None)
        else:
            table[key] = value

    def _defer_rename(
        self, entry: DesiredEntry, change: Change, row: LedgerEntry | None, users: set[str], plan: Plan
    ) -> bool:
        """An identity whose name changed (its template, or the count in it) is renamed by a remove and
        re-add, which empties the identity of every entry that uses it. While entries this plan does not
        write use it (ones that left the sources but are not pruned, or not ours), it keeps its name,
        with a warning, and it is renamed by the first run after they stopped using it."""
        if entry.kind != "identity" or row is None:
            return False
        plan.diagnostics.append(
            Diagnostic(
                level="warning",
                code="identity-rename-deferred",
                entry=row.name,
                field="name",
                message=f"keeps its name instead of '{entry.name}': XPipe has no rename, and removing it to add it "
                f"again would empty the identity of {', '.join(sorted(users))}, which this run does not write "
                "(gone from the sources but not pruned, held, or not made by this job)",
            )
        )
        entry.name = change.name = row.name
        return True

    def _take_over(self, key: str, row: LedgerEntry) -> LedgerEntry:
        """``key`` takes over ``row``, owned by a key that left the sources. In exchange that key gets
        ``key``'s previous row, so an entry ``key`` leaves behind is pruned with the leaving key (and
        can still be taken over by another entry later in the plan). The ledger does the same swap
        when the write is recorded (``Ledger.record(..., replaces=)``)."""
        self._set(self._rekeyed, key, row.key)
        previous = self._owned.get(key)
        self._set(self._owned, key, _ABSENT)
        self._set(self._owned, row.key, _ABSENT)
        if previous is not None:
            self._set(self._owned_uuids, previous.uuid, _ABSENT)
        self._set(self._owned_uuids, row.uuid, _ABSENT)
        if previous is not None and previous.uuid != row.uuid:
            moved = replace(previous, key=row.key)
            self._set(self._owned, row.key, moved)
            self._set(self._owned_uuids, moved.uuid, moved)
        taken = replace(row, key=key)
        self._set(self._owned, key, taken)
        self._set(self._owned_uuids, taken.uuid, taken)
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
        raw = live.raw
        for k, v in entry.data.items():
            if v is not None and k != "type" and raw.get(k) is None:
                return False
        return not self._leaves(entry, live, comparer)

    def _leaves(self, entry: DesiredEntry, live: LiveEntry, comparer: Comparer | None = None) -> list:
        """The leaves of ``entry`` that differ from ``live``, computed once while one entry is planned (the
        references they resolve change only after it)."""
        cache = self._leaf_cache
        if cache[0] is not entry:
            cache[:] = [entry, {}]
        if live.uuid not in cache[1]:
            cache[1][live.uuid] = (comparer or self._comparer()).leaves(entry.data, live.raw)
        return cache[1][live.uuid]

    def _plan_prune(self, plan: Plan) -> None:
        """Owned entries absent from the sources: quarantined in place, deleted after the grace period.

        Never a candidate: a key still wanted or held (present but not importable); an entry taken
        over by another key is no longer in the leaving key's row. Quarantine only marks the ledger
        row; the entry stays untouched where it is.
        """
        keep = set(self._desired) | self._held
        now = datetime.now(timezone.utc)
        deleted: set[str] = set()  # only these leave the vault now; a quarantined user must not lose its ref
        candidates = []
        for row in sorted(self._owned.values(), key=lambda r: r.key):
            if row.key in keep:
                continue
            live = self._live.entries.get(row.uuid)
            if live is None:
                plan.diagnostics.append(
                    Diagnostic(
                        level="info",
                        code="owned-entry-gone",
                        entry=row.name,
                        message="no longer in the sources and already gone from XPipe; forgotten",
                    )
                )
                candidates.append(
                    Change(
                        action="delete",
                        kind=row.kind,
                        key=row.key,
                        name=row.name,
                        category=row.category,
                        uuid=None,
                        ledger=row,
                        reason="already gone from XPipe: only the ledger entry is removed",
                    )
                )
                continue
            if row.quarantined_at is not None:
                age = now - datetime.fromisoformat(row.quarantined_at)
                if age < timedelta(days=self.prune.quarantine_days):
                    continue
                action, reason = "delete", f"in quarantine since {row.quarantined_at[:10]}"
            elif self.prune.quarantine_days <= 0:
                action, reason = "delete", "no longer in the sources"
            else:
                action = "quarantine"
                reason = (
                    f"no longer in the sources: left where it is and deleted after "
                    f"{self.prune.quarantine_days} days unless it comes back"
                )
            if action == "delete":
                deleted.add(row.uuid)
            candidates.append(
                Change(
                    action=action,
                    kind=row.kind,
                    key=row.key,
                    name=row.name,
                    category=row.category,
                    uuid=row.uuid,
                    live=live,
                    ledger=row,
                    reason=reason,
                )
            )
        # A gateway's remove deletes its children; an identity's remove nulls the references to it,
        # except in entries this plan rewrites first (their desired data no longer names it).
        rewritten = {c.uuid for c in plan.changes if c.action in ("update", "recreate", "unchanged") and c.uuid}
        for change in candidates:
            if change.uuid is None:
                plan.changes.append(change)
                continue
            users = [r.name for r in self._live.referrers(change.uuid) if r.uuid not in deleted]
            users += [
                r.name
                for r in self._live.identity_users(change.uuid)
                if r.uuid not in deleted and r.uuid not in rewritten
            ]
            if users:
                change.action = "conflict"
                change.reason = (
                    f"not pruned: XPipe's remove would delete or change the entries that use it as "
                    f"gateway or identity ({', '.join(sorted(users))})"
                )
            plan.changes.append(change)
        if any(c.action == "delete" and c.uuid for c in plan.changes):
            plan.diagnostics.append(
                Diagnostic(
                    level="warning",
                    code="remove-deletes-children",
                    message="XPipe's remove also deletes every entry shown under the removed one; entries that use a "
                    "pruned entry as gateway or identity are therefore never pruned with it",
                )
            )
