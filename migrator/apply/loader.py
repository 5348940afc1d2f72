"""Applies a Plan: categories first, then entries in dependency order, prunes, then a read-back check.

Writes are idempotent because XPipe's add upserts by name. With a ledger every write is journaled
before it is sent and recorded after it returns (``migrator.apply.writes``), so a run killed at any
point, or a write whose answer was lost, is reconciled by the next one. A failed entry fails the
entries that go through it, and nothing else.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from migrator.apply.encryption import EncryptionStage
from migrator.apply.writes import ENTRY_FAILURES, Writes
from migrator.errors import BadRequest, XPipeError
from migrator.mapper.desired import EntryRef, Secret
from migrator.names import shown_key
from migrator.plan.compare import desired_leaves, strip_nulls
from migrator.plan.live import SecretReader, is_encrypted_node
from migrator.plan.plan import Change, Plan
from migrator.sync.ledger import Ledger, LedgerEntry, now
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.constants import ALL_CONNECTIONS, LOCAL_IDENTITIES, SYNCED_IDENTITIES

ROOTS = {
    ("all connections",): ALL_CONNECTIONS,
    ("all identities", "local"): LOCAL_IDENTITIES,
    ("all identities", "synced"): SYNCED_IDENTITIES,
}
STATUSES = ("created", "updated", "recreated", "quarantined", "deleted", "unchanged", "skipped", "failed")
_DONE = {
    "create": "created",
    "update": "updated",
    "recreate": "recreated",
    "quarantine": "quarantined",
    "delete": "deleted",
}


@dataclass
class Outcome:
    change: Change
    status: str
    uuid: str | None = None
    error: str | None = None


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    encrypted: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for o in self.outcomes:
            out[o.status] += 1
        return out

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def interrupted_text(result: ApplyResult, total: int, journaled: bool) -> str:
    """What a Ctrl-C during apply leaves behind, and how to go on from there."""
    counts = result.counts()
    done = ", ".join(f"{n} {status}" for status, n in counts.items() if n and status not in ("unchanged", "skipped"))
    text = f"apply stopped after {sum(counts.values())} of {total} changes ({done or 'nothing written'})"
    if journaled:
        return text + "; every write is journaled in the ledger: run the same command again to resume"
    return text + "; run the same command again to finish (entries already written are then unchanged)"


def failure_text(exc: XPipeError) -> str:
    """An entry's failure; a write whose outcome stays unknown says who settles it."""
    if exc.outcome_unknown:
        return f"{exc}; whether it arrived is unknown: it stays open in the journal and the next run checks"
    return str(exc)


class Loader:
    def __init__(self, client: XPipeClient, *, progress: bool = True, ledger: Ledger | None = None):
        self.client = client
        self.encryption = EncryptionStage(client)
        self.progress = progress
        self.ledger = ledger
        self.reader = SecretReader(client)
        self.writes = Writes(client, ledger, self.reader)

    def apply(self, plan: Plan) -> ApplyResult:
        started = time.perf_counter()
        req0, w0 = self.client.requests_made, self.client.writes_made
        result = ApplyResult()
        categories: dict[tuple[str, ...], str] = {}
        uuids: dict[str, str | None] = dict(plan.external)
        self._live_categories = plan.live.categories if plan.live else {}
        if self.ledger is not None:
            self.ledger.run_started()
            self.ledger.resolve(plan.resolutions)  # before the first write (durability point 3)
        bar = tqdm(
            total=sum(1 for c in plan.changes if c.writes),
            unit="entry",
            file=sys.stderr,
            disable=not self.progress,
            desc="apply",
        )
        try:
            for change in plan.changes:
                if change.kind == "category":
                    self._category(change, categories, result)
                    bar.update(1 if change.writes else 0)
            for change in plan.changes:
                if change.kind == "category" or change.action in ("quarantine", "delete"):
                    continue
                self._entry(change, categories, uuids, result)
                bar.update(1 if change.writes else 0)
            for change in plan.changes:
                if change.action in ("quarantine", "delete") and change.kind != "category":
                    self._prune(change, result)
                    bar.update(1)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(interrupted_text(result, len(plan.changes), self.ledger is not None)) from None
        finally:
            bar.close()
        self._verify(uuids, result)
        result.requests = self.client.requests_made - req0
        result.writes = self.client.writes_made - w0
        result.encrypted = self.encryption.encrypted
        result.seconds = time.perf_counter() - started
        if self.ledger is not None:
            self.ledger.run_finished("partial" if result.failed else "ok", result.counts())
        return result

    # -- categories ----------------------------------------------------------------------------

    def _category(self, change: Change, categories: dict, result: ApplyResult) -> None:
        lower = tuple(s.lower() for s in change.path)
        if change.uuid:
            categories[lower] = change.uuid
            result.outcomes.append(Outcome(change, "unchanged", change.uuid))
            return
        parent = categories.get(lower[:-1]) or ROOTS.get(lower[:-1])
        if parent is None:
            result.outcomes.append(Outcome(change, "failed", error="its parent category could not be created"))
            return
        try:
            uuid = self.writes.category(change.path, parent)
        except ENTRY_FAILURES as exc:
            result.outcomes.append(Outcome(change, "failed", error=failure_text(exc)))
            return
        categories[lower] = uuid
        result.outcomes.append(Outcome(change, "created", uuid))

    def _category_uuid(self, path: tuple[str, ...], categories: dict) -> str | None:
        lower = tuple(s.lower() for s in path)
        return categories.get(lower) or ROOTS.get(lower)

    # -- entries ---------------------------------------------------------------------------------

    def _entry(self, change: Change, categories: dict, uuids: dict, result: ApplyResult) -> None:
        entry = change.entry
        if change.action == "unchanged":
            uuids[change.key] = change.uuid
            result.outcomes.append(Outcome(change, "unchanged", change.uuid))
            self._record(change, change.uuid, uuids)
            return
        if change.action == "conflict":
            uuids[change.key] = None
            result.outcomes.append(Outcome(change, "skipped", change.uuid, error=change.reason))
            return
        missing = [d for d in entry.depends if not uuids.get(d)]
        if missing:
            uuids[change.key] = None
            names = ", ".join(d.split(":", 1)[-1].rsplit("#", 1)[-1] for d in missing)
            result.outcomes.append(
                Outcome(change, "failed", error=f"an entry it depends on ({names}) is not in the vault")
            )
            return
        category = self._category_uuid(entry.category, categories)
        if category is None:
            uuids[change.key] = None
            result.outcomes.append(Outcome(change, "failed", error="its category could not be created"))
            return
        removed = False
        try:
            data = self._payload(change, uuids)
            if change.action == "recreate" and change.uuid:
                try:
                    self.writes.remove(change.key, change.uuid, change.live.name, entry.type)
                    removed = True
                except BadRequest:
                    pass  # already gone: XPipe removed it together with its re-created gateway
            uuid = self.writes.add(
                change.key,
                entry.name,
                entry.type,
                data,
                category=category,
                category_path=tuple(s.lower() for s in entry.category[1:]),
                target=change.uuid if change.action == "update" else None,
                row=self._ledger_row(change, "", uuids) if self.ledger is not None else None,
                accept=lambda got: self._foreign(change, got) is None,
                replaces=change.rekey,
                was=change.uuid,
            )
        except ENTRY_FAILURES as exc:
            uuids[change.key] = None
            error = failure_text(exc)
            if removed and not exc.outcome_unknown:
                error += "; " + self._put_back(change)
            elif removed:
                error += "; the original was removed, and the next run checks where the entry is"
            result.outcomes.append(Outcome(change, "failed", error=error))
            return
        foreign = self._foreign(change, uuid)
        if foreign:
            uuids[change.key] = None
            result.outcomes.append(
                Outcome(
                    change,
                    "failed",
                    error=f"XPipe returned the entry of source key {foreign} "
                    "(identical connection data); nothing was written",
                )
            )
            return
        uuids[change.key] = uuid
        result.outcomes.append(Outcome(change, _DONE[change.action], uuid))

    def _foreign(self, change: Change, uuid: str) -> str | None:
        """The other source key that owns ``uuid``, when XPipe's add answered with someone else's entry."""
        owner = self.ledger.owner(uuid) if self.ledger is not None and uuid else None
        return owner if owner not in (None, change.key, change.rekey) else None

    def _put_back(self, change: Change) -> str:
        """A move is remove-then-add (XPipe has no move); when the add fails, add the original back as it
        was, in its old category, so a failed move never leaves a present entry deleted."""
        live = change.live
        cats = [c.uuid for c in (self._live_categories or {}).values() if c.path[1:] == live.category]
        if len(cats) != 1:
            return "the original could not be put back (its category is gone); the next run creates it again"
        row = change.ledger

        def restored(got):
            return LedgerEntry(
                key=row.key,
                uuid=got,
                name=row.name,
                type=row.type,
                kind=row.kind,
                category=row.category,
                fields=row.fields,
                applied_at=row.applied_at,
            )

        try:
            self.writes.add(
                change.key,
                live.name,
                live.type,
                dict(live.raw, type=live.type),
                category=cats[0],
                category_path=tuple(live.category),
                row=restored("") if (row is not None and self.ledger is not None) else None,
                replaces=change.rekey,
                was=change.uuid,
            )
        except ENTRY_FAILURES as exc:
            return f"putting the original back failed too ({failure_text(exc)}); the next run creates it again"
        return "the original was put back where it was"

    def _kept_paths(self, change: Change) -> set[str]:
        return {f.path for f in change.fields if f.kept}

    def _ledger_row(self, change: Change, uuid: str, uuids: dict) -> LedgerEntry:
        """The ledger row for an entry as it now is: digests of what was written; kept drift keeps its old one."""
        entry = change.entry
        previous = change.ledger.fields if change.ledger else {}
        kept = self._kept_paths(change)
        fields = {
            path: (previous[path] if path in kept and path in previous else self.ledger.digest(value))
            for path, value in desired_leaves(entry.data, uuids.get).items()
        }
        return LedgerEntry(
            key=change.key,
            uuid=uuid,
            name=entry.name,
            type=entry.type,
            kind=entry.kind,
            category="/".join(entry.category[1:]),
            fields=fields,
            applied_at=now(),
        )

    def _record(self, change: Change, uuid: str | None, uuids: dict) -> None:
        """Refresh the ledger row of an entry that needed no write (adopted, reconciled, or drift settled)."""
        if self.ledger is None or uuid is None:
            return
        row = self._ledger_row(change, uuid, uuids)
        if (
            change.ledger
            and change.ledger.fields == row.fields
            and change.ledger.uuid == uuid
            and change.ledger.name == row.name
            and change.ledger.quarantined_at is None
            and not change.rekey
        ):
            return
        self.ledger.record(row, replaces=change.rekey)

    def _payload(self, change: Change, uuids: dict) -> dict:
        """Desired data with refs and secrets filled in; on update, fields we do not manage survive.

        A secret the plan found unchanged keeps its live encrypted node (nothing is re-encrypted), and
        a drifted field that is kept keeps its live value.
        """
        live_raw = change.live.raw if (change.live and change.action in ("update", "recreate")) else {}
        changed = {f.path for f in change.fields if not f.kept}
        kept = self._kept_paths(change)

        def touched(path):
            return any(path == p or path.startswith(p + ".") for p in changed)

        def fill(value, live_value, path):
            if path in kept:
                return live_value
            if isinstance(value, EntryRef):
                return uuids.get(value.key)
            if isinstance(value, Secret):
                keep = is_encrypted_node(live_value) and not touched(path)
                return self.encryption.node(value, live_value if keep else None)
            if isinstance(value, dict):
                lv = live_value if isinstance(live_value, dict) else {}
                return {k: fill(v, lv.get(k), f"{path}.{k}" if path else k) for k, v in value.items()}
            return value

        data = dict(live_raw)
        data.update(fill(change.entry.data, live_raw, ""))
        return data

    # -- prune -----------------------------------------------------------------------------------

    def _prune(self, change: Change, result: ApplyResult) -> None:
        """Quarantine marks the ledger row and leaves the entry untouched where it is: XPipe has no move,
        and a remove-then-add that fails half-way would lose the entry before its grace period ends.
        Delete (after the grace period, or with ``quarantine_days = 0``) is one journaled remove."""
        if self.ledger.uuid_of(change.key) != change.ledger.uuid:
            # the row was to change hands in this run (a move), and the write that moves it failed
            result.outcomes.append(
                Outcome(
                    change,
                    "skipped",
                    change.uuid,
                    error="not pruned: the entry that takes over from it was not written; the next run decides again",
                )
            )
            return
        if change.uuid is None:
            self.ledger.forget(change.key)
            result.outcomes.append(Outcome(change, "deleted"))
            return
        if change.action == "quarantine":
            row = change.ledger
            row.quarantined_at = now()
            self.ledger.record(row)
            result.outcomes.append(Outcome(change, "quarantined", change.uuid))
            return
        try:
            self.writes.remove(change.key, change.uuid, change.name, change.live.type, forget=change.key)
        except BadRequest:
            if self.client.store_info([change.uuid])[0]:
                result.outcomes.append(Outcome(change, "failed", error="XPipe refused to remove it"))
                return
            self.ledger.forget(change.key)  # removed already, as a child of an entry deleted before it
        except ENTRY_FAILURES as exc:
            result.outcomes.append(Outcome(change, "failed", error=failure_text(exc)))
            return
        result.outcomes.append(Outcome(change, "deleted", change.uuid))

    # -- read-back -------------------------------------------------------------------------------

    def _verify(self, uuids: dict, result: ApplyResult) -> None:
        """Read back what was written: the entry exists, has our name, and its references are not null."""
        written = [
            o
            for o in result.outcomes
            if o.status in ("created", "updated", "recreated") and o.change.kind != "category"
        ]
        if not written:
            return
        infos, missing = self.client.store_info([o.uuid for o in written])
        by_uuid = {i["uuid"]: i for i in infos}
        for outcome in written:
            problem = self._check(outcome, by_uuid.get(outcome.uuid), uuids)
            if problem:
                outcome.status, outcome.error = "failed", problem
        for uuid in missing:
            result.problems.append(f"entry {uuid} vanished between write and read-back")

    def _check(self, outcome: Outcome, info: dict | None, uuids: dict) -> str | None:
        change = outcome.change
        if info is None:
            return "written, but XPipe does not return it when read back (incomplete?)"
        names = info.get("name") or []
        own = str(names[-1]) if names else ""
        if shown_key(own) != shown_key(change.entry.name):
            return f"XPipe stored it as the existing entry '{own}' (identical connection data); nothing was created"
        raw = info.get("rawData") or {}
        data = change.entry.data
        kept = self._kept_paths(change)
        gateway = data.get("gateway")
        if gateway is not None and "gateway" not in kept:
            expected = uuids.get(gateway.key) if isinstance(gateway, EntryRef) else gateway
            got = raw.get("gateway")
            got = got.get("storeId") if isinstance(got, dict) else got
            if got != expected:
                return f"its gateway reads back as {got} instead of {expected}"
        wanted = data.get("identity")
        identity = raw.get("identity")
        if wanted is not None and not isinstance(identity, dict):
            return "its identity reads back as null after the write"
        if isinstance(wanted, dict) and wanted.get("type") == "ref" and not any(p.startswith("identity") for p in kept):
            got = identity.get("ref")
            got = got.get("storeId") if isinstance(got, dict) else got
            if got != uuids.get(wanted["ref"].key):
                return f"its identity reference reads back as {got} instead of {uuids.get(wanted['ref'].key)}"
        for field_name in ("password", "sshIdentity"):
            want = data.get(field_name)
            if isinstance(want, Secret) and field_name not in kept:
                node = raw.get(field_name)
                have = self.reader.strategy(node) if is_encrypted_node(node) else None
                if have is None or strip_nulls(have).get("type") != want.kind:
                    return f"its {field_name} reads back as {have and have.get('type')} instead of {want.kind}"
        return None
