"""The journal's open writes, checked against the live vault at the start of every plan.

A write whose answer never came (a kill, a lost connection, a timeout, a 5xx) is open in the journal
with what was sent (``migrator.sync.ledger``). Before anything else is planned each open row is
decided, from the one vault read the plan makes:

* **an entry that matches what was sent is ours**: its ledger row is recorded (``reconciled``), so it
  is never called "not created by this job", and the plan goes on as if the answer had come;
* **nothing there**: the write did not arrive (``absent``); the plan writes it again as usual;
* **something else there**: an entry of that name whose data differs from what was sent was changed
  since (or is somebody else's): ``drift``, reported and never taken over silently; the row stays
  open and is looked at again by every run until the entry matches, goes away or is adopted;
* a remove is checked, never repeated blindly: the entry gone means it arrived (its ledger row is
  forgotten), still there means it did not (the plan decides again);
* a category add: the category is there or not; the plan creates it if not.

A plan only computes these decisions (``plan.resolutions``); ``apply`` commits them in one
transaction before its first write, so a dry run changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from migrator.model import Diagnostic
from migrator.plan.compare import differing
from migrator.plan.live import LiveEntry, LiveVault
from migrator.plan.model import IDENTITY_TYPES, Plan
from migrator.sync.ledger import JournalRow, LedgerEntry, Resolution


class Reconcile:
    """Mixed into the Planner: uses its ``ledger``, ``reader``, ``_owned`` and ``_named``."""

    def _reconcile(self, live: LiveVault, plan: Plan) -> None:
        for row in self.ledger.open_rows():
            if row.op == "category/add":
                found = row.category is not None and tuple(row.category) in live.category_by_path()
                res = Resolution(row.id, "reconciled" if found else "absent")
            elif row.op == "remove":
                res = self._reconciled_remove(row, live)
            elif row.op != "add":
                res = Resolution(row.id, "absent")
            elif row.sent is None:
                res = self._reconciled_legacy(row, plan)
            else:
                res = self._reconciled_add(row, live, plan)
            plan.resolutions.append(res)

    def _note(self, plan: Plan, level: str, code: str, name: str, message: str) -> None:
        plan.diagnostics.append(Diagnostic(level=level, code=code, entry=name, message=message))

    def _reconciled_remove(self, row: JournalRow, live: LiveVault) -> Resolution:
        if row.uuid in live.entries:
            return Resolution(row.id, "absent")
        forget = (row.effect or {}).get("forget")
        held = self._owned.get(forget) if forget else None
        if held is None or held.uuid != row.uuid:
            return Resolution(row.id, "reconciled")
        del self._owned[forget]
        return Resolution(row.id, "reconciled", forget=forget)

    def _reconciled_legacy(self, row: JournalRow, plan: Plan) -> Resolution:
        """A row journaled by a version before schema 3 (no digests): taken over by name and type, as
        that version promised."""
        found = [e for e in self._named(row.name) if e.type.lower() == row.type.lower()]
        if len(found) != 1:
            return Resolution(row.id, "absent")
        previous = self._owned.get(row.key)
        entry = LedgerEntry(
            key=row.key,
            uuid=found[0].uuid,
            name=row.name,
            type=row.type,
            kind=previous.kind if previous else ("identity" if row.type in IDENTITY_TYPES else "host"),
            category="/".join(found[0].category),
            fields={},
        )
        # the interrupted write took it over from the key that held it (a move): the rows swap
        holder = next((r.key for r in self._owned.values() if r.uuid == entry.uuid and r.key != row.key), None)
        self._owned = self._owned_after(entry, holder, None)
        self._note(
            plan,
            "info",
            "journal-reconciled",
            row.name,
            "an earlier run was interrupted after sending this entry; it is in XPipe and is taken over into the ledger",
        )
        return Resolution(row.id, "reconciled", record=entry, replaces=holder)

    def _candidates(self, row: JournalRow, live: LiveVault) -> list[LiveEntry]:
        if row.uuid:  # an update of an entry we know
            return [live.entries[row.uuid]] if row.uuid in live.entries else []
        return [
            e
            for e in self._named(row.name)
            if e.type.lower() == row.type.lower() and (row.category is None or e.category == tuple(row.category))
        ]

    def _reconciled_add(self, row: JournalRow, live: LiveVault, plan: Plan) -> Resolution:
        candidates = self._candidates(row, live)
        diffs = {c.uuid: differing(row.sent, c.raw, self.reader.strategy, self.ledger.digest) for c in candidates}
        matching = [c for c in candidates if not diffs[c.uuid]]
        effect = row.effect or {}
        if len(matching) == 1:
            found = matching[0]
            entry = row.effect_entry(found.uuid)
            if entry is None:
                return Resolution(row.id, "reconciled")
            taken = self._owned_after(entry, effect.get("replaces"), effect.get("was"))
            if taken is None:
                holder = next(r.key for r in self._owned.values() if r.uuid == found.uuid)
                self._note(
                    plan,
                    "warning",
                    "journal-foreign",
                    row.name,
                    f"an earlier run's write of this entry, whose answer was lost, landed on the entry of source "
                    f"key {holder}; nothing is recorded for it",
                )
                return Resolution(row.id, "foreign")
            self._owned = taken
            self._note(
                plan,
                "info",
                "journal-reconciled",
                row.name,
                "an earlier run sent this write but its answer was lost; the entry in XPipe is what was sent, so "
                "it is recorded as this job's",
            )
            return Resolution(
                row.id, "reconciled", record=entry, replaces=effect.get("replaces"), was=effect.get("was")
            )
        mine = self._owned.get(row.key)
        if not candidates or row.uuid or any(mine is not None and c.uuid == mine.uuid for c in candidates):
            # nothing arrived, or our own entry holds other data: the three-way plan decides as usual
            self._note(
                plan,
                "info",
                "journal-absent",
                row.name,
                "an earlier run sent this write but its answer was lost, and it did not arrive; it is written again",
            )
            return Resolution(row.id, "absent")
        owned = {r.uuid for r in self._owned.values()}
        if any(c.uuid in owned for c in candidates):
            return Resolution(row.id, "superseded")  # taken over since (--adopt), or owned under another key
        if len(matching) > 1:
            why = f"{len(matching)} entries of that name match what was sent, so which one arrived is unknown"
        else:
            paths = sorted({p for c in candidates for p in diffs[c.uuid]})
            shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
            why = f"the entry of that name in XPipe differs from what was sent ({shown}): it was changed since"
        self._note(
            plan,
            "warning",
            "journal-drift",
            row.name,
            f"an earlier run sent this entry but its answer was lost, and {why}; it is not taken over "
            "(--adopt takes it over, or remove it in XPipe to have it created again)",
        )
        return Resolution(row.id, "drift")

    def _owned_after(self, entry: LedgerEntry, replaces: str | None, was: str | None) -> dict | None:
        """``_owned`` after ``Ledger.record(entry, replaces=, was=)`` (the same swap), or None when
        another key owns the entry (the ledger would refuse it)."""
        owned = dict(self._owned)
        if replaces and replaces != entry.key and replaces in owned and owned[replaces].uuid == (was or entry.uuid):
            del owned[replaces]
            previous = owned.get(entry.key)
            if previous is not None and previous.uuid != entry.uuid:
                owned[replaces] = replace(previous, key=replaces)
        if any(r.uuid == entry.uuid and k != entry.key for k, r in owned.items()):
            return None
        owned[entry.key] = entry
        return owned
