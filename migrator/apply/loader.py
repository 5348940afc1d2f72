"""Applies a Plan: categories first, then entries in dependency order, prunes, then a read-back check.

Writes are idempotent because XPipe's add upserts by name. With a ledger every write is journaled
before it is sent and recorded after it returns (``migrator.apply.writes``), so a run killed at any
point, or a write whose answer was lost, is reconciled by the next one. A failed entry fails the
entries that go through it, and nothing else.

The changes run one dependency level at a time (``migrator.apply.levels``), each level through a
small window of writes in flight (``migrator.apply.window``), while the encryption stage encrypts
the secrets ahead of them outside XPipe's storage lock. Each change is one job: a generator that
yields its requests, so a move (remove, add, and the original put back if the add fails) keeps its
steps in order.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from dataclasses import dataclass, field

from tqdm import tqdm

from migrator.apply.encryption import EncryptionStage
from migrator.apply.levels import Footprints, category_levels, entry_levels
from migrator.apply.readback import verify
from migrator.apply.window import WINDOW, Job, Send, Task, Window
from migrator.apply.writes import ENTRY_FAILURES, Writes
from migrator.errors import BadRequest, XPipeError
from migrator.mapper.desired import EntryRef, Secret
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
    def __init__(
        self, client: XPipeClient, *, progress: bool = True, ledger: Ledger | None = None, window: int = WINDOW
    ):
        self.client = client
        self.encryption = EncryptionStage(client)
        self.progress = progress
        self.ledger = ledger
        self.window = window
        self.reader = SecretReader(client)
        self.writes = Writes(client, ledger, self.reader)
        self.most_in_flight = 0

    def apply(self, plan: Plan) -> ApplyResult:
        started = time.perf_counter()
        req0, w0 = self.client.requests_made, self.client.writes_made
        result = ApplyResult()
        order = {id(c): n for n, c in enumerate(plan.changes)}
        categories: dict[tuple[str, ...], str] = {}
        uuids: dict[str, str | None] = dict(plan.external)
        self._live_categories = plan.live.categories if plan.live else {}
        footprints = Footprints(plan.live)
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

        def done(outcome: Outcome) -> None:
            result.outcomes.append(outcome)
            bar.update(1 if outcome.change.writes else 0)

        self.encryption.prefetch(self._secrets(plan))
        window = Window(self.ledger, self.window)
        self.writes.stopping = lambda: window.stopping
        try:
            for level in category_levels(plan.changes):
                window.run(Job(lambda c=c: self._category(c, categories, done), footprints.of(c)) for c in level)
            for level in entry_levels(plan.changes):
                window.run(Job(lambda c=c: self._entry(c, categories, uuids, done), footprints.of(c)) for c in level)
            prunes = [c for c in plan.changes if c.action in ("quarantine", "delete") and c.kind != "category"]
            window.run(Job(lambda c=c: self._prune(c, done), footprints.of(c)) for c in prunes)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(interrupted_text(result, len(plan.changes), self.ledger is not None)) from None
        finally:
            self.most_in_flight = window.most_in_flight
            window.close()
            self.encryption.close()
            bar.close()
        result.outcomes.sort(key=lambda o: order[id(o.change)])
        verify(self.client, self.reader, uuids, result)
        self._remember_nodes(plan)
        result.requests = self.client.requests_made - req0
        result.writes = self.client.writes_made - w0
        result.encrypted = self.encryption.encrypted
        result.seconds = time.perf_counter() - started
        if self.ledger is not None:
            self.ledger.run_finished("partial" if result.failed else "ok", result.counts())
        return result

    def _secrets(self, plan: Plan) -> list[Secret]:
        """The secrets the writes of ``plan`` will encrypt, in the order they will be needed."""
        out: list[Secret] = []

        def wanted(secret: Secret, live_node: dict | None) -> None:
            if live_node is None:
                out.append(secret)

        for level in entry_levels(plan.changes):
            for change in level:
                if change.action in ("create", "update", "recreate"):
                    self._payload(change, {}, wanted)
        return out

    def _remember_nodes(self, plan: Plan) -> None:
        """Tell the ledger which encrypted nodes hold which of the sources' secrets ("Secret nodes" in
        ``migrator.sync.ledger``): the live ones the plan found holding one, and the ones this run
        wrote. Nothing is written when that is what the ledger knew already (a no-op run)."""
        if self.ledger is None or not self.ledger.writable:
            return
        known = dict(plan.known_nodes)
        for secret, node in self.encryption.written():
            known[self.ledger.digest(node)] = self.ledger.digest(strip_nulls(secret.strategy))
        if known != plan.nodes_before:
            self.ledger.remember_nodes(known)

    # -- categories ----------------------------------------------------------------------------

    def _category(self, change: Change, categories: dict, done) -> Task:
        lower = tuple(s.lower() for s in change.path)
        if change.uuid:
            categories[lower] = change.uuid
            done(Outcome(change, "unchanged", change.uuid))
            return
        parent = categories.get(lower[:-1]) or ROOTS.get(lower[:-1])
        if parent is None:
            done(Outcome(change, "failed", error="its parent category could not be created"))
            return
        try:
            uuid = yield from self.writes.category(change.path, parent)
        except ENTRY_FAILURES as exc:
            done(Outcome(change, "failed", error=failure_text(exc)))
            return
        categories[lower] = uuid
        done(Outcome(change, "created", uuid))

    def _category_uuid(self, path: tuple[str, ...], categories: dict) -> str | None:
        lower = tuple(s.lower() for s in path)
        return categories.get(lower) or ROOTS.get(lower)

    # -- entries ---------------------------------------------------------------------------------

    def _entry(self, change: Change, categories: dict, uuids: dict, done) -> Task:
        entry = change.entry
        if change.action == "unchanged":
            uuids[change.key] = change.uuid
            done(Outcome(change, "unchanged", change.uuid))
            self._record(change, change.uuid, uuids)
            return
        if change.action == "conflict":
            uuids[change.key] = None
            done(Outcome(change, "skipped", change.uuid, error=change.reason))
            return
        missing = [d for d in entry.depends if not uuids.get(d)]
        if missing:
            uuids[change.key] = None
            names = ", ".join(d.split(":", 1)[-1].rsplit("#", 1)[-1] for d in missing)
            done(Outcome(change, "failed", error=f"an entry it depends on ({names}) is not in the vault"))
            return
        category = self._category_uuid(entry.category, categories)
        if category is None:
            uuids[change.key] = None
            done(Outcome(change, "failed", error="its category could not be created"))
            return
        removed = False
        try:
            data = self._payload(change, uuids)
            if change.action == "recreate" and change.uuid:
                try:
                    yield from self.writes.remove(change.key, change.uuid, change.live.name, entry.type)
                    removed = True
                except BadRequest:
                    pass  # already gone: XPipe removed it together with its re-created gateway
            uuid = yield from self.writes.add(
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
                error += "; " + (yield from self._put_back(change))
            elif removed:
                error += "; the original was removed, and the next run checks where the entry is"
            done(Outcome(change, "failed", error=error))
            return
        foreign = self._foreign(change, uuid)
        if foreign:
            uuids[change.key] = None
            done(
                Outcome(
                    change,
                    "failed",
                    error=f"XPipe returned the entry of source key {foreign} "
                    "(identical connection data); nothing was written",
                )
            )
            return
        uuids[change.key] = uuid
        done(Outcome(change, _DONE[change.action], uuid))

    def _foreign(self, change: Change, uuid: str) -> str | None:
        """The other source key that owns ``uuid``, when XPipe's add answered with someone else's entry."""
        owner = self.ledger.owner(uuid) if self.ledger is not None and uuid else None
        return owner if owner not in (None, change.key, change.rekey) else None

    def _put_back(self, change: Change) -> Generator[Send, object, str]:
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
            yield from self.writes.add(
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

    def _payload(self, change: Change, uuids: dict, secret_node=None) -> dict:
        """Desired data with refs and secrets filled in; on update, fields we do not manage survive.

        A secret the plan found unchanged keeps its live encrypted node (nothing is re-encrypted), and
        a drifted field that is kept keeps its live value. ``secret_node(secret, live_node or None)``
        gives each secret's node (default: the encryption stage's).
        """
        secret_node = secret_node or self.encryption.node
        live_raw = change.live.raw if (change.live and change.action in ("update", "recreate")) else {}
        changed = {f.path for f in change.fields if not f.kept}
        kept = self._kept_paths(change)

        data = dict(live_raw)
        data.update(_fill(change.entry.data, live_raw, "", _Fill(uuids, secret_node, changed, kept)))
        return data

    # -- prune -----------------------------------------------------------------------------------

    def _prune(self, change: Change, done) -> Task:
        """Quarantine marks the ledger row and leaves the entry untouched where it is: XPipe has no move,
        and a remove-then-add that fails half-way would lose the entry before its grace period ends.
        Delete (after the grace period, or with ``quarantine_days = 0``) is one journaled remove."""
        if self.ledger.uuid_of(change.key) != change.ledger.uuid:
            # the row was to change hands in this run (a move), and the write that moves it failed
            done(
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
            done(Outcome(change, "deleted"))
            return
        if change.action == "quarantine":
            row = change.ledger
            row.quarantined_at = now()
            self.ledger.record(row)
            done(Outcome(change, "quarantined", change.uuid))
            return
        try:
            yield from self.writes.remove(change.key, change.uuid, change.name, change.live.type, forget=change.key)
        except BadRequest:
            if self.client.store_info([change.uuid])[0]:
                done(Outcome(change, "failed", error="XPipe refused to remove it"))
                return
            self.ledger.forget(change.key)  # removed already, as a child of an entry deleted before it
        except ENTRY_FAILURES as exc:
            done(Outcome(change, "failed", error=failure_text(exc)))
            return
        done(Outcome(change, "deleted", change.uuid))


@dataclass
class _Fill:
    uuids: dict
    secret_node: object
    changed: set[str]
    kept: set[str]

    def touched(self, path: str) -> bool:
        return any(path == p or path.startswith(p + ".") for p in self.changed)


def _fill(value, live_value, path: str, how: _Fill):
    """``value`` with refs and secrets filled in (see ``Loader._payload``); a plain recursive function,
    so no reference cycle is left per entry."""
    if path in how.kept:
        return live_value
    if isinstance(value, EntryRef):
        return how.uuids.get(value.key)
    if isinstance(value, Secret):
        keep = is_encrypted_node(live_value) and not how.touched(path)
        return how.secret_node(value, live_value if keep else None)
    if isinstance(value, dict):
        lv = live_value if isinstance(live_value, dict) else {}
        return {k: _fill(v, lv.get(k), f"{path}.{k}" if path else k, how) for k, v in value.items()}
    return value
