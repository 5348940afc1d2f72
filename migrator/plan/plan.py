"""Desired state vs live vault (vs last applied) -> a ``Plan`` of ``Change``s that every report renders.

The planner reads the vault once and matches each desired entry with the entry XPipe's add would
touch: the same name (case-insensitively) and type, anywhere in the vault. Secrets are compared
decrypted, so an unchanged vault plans as unchanged although each encryption gives new ciphertext.

With a job ledger the comparison is three-way. A field whose live value still matches what was last
applied but not the source was changed by the source: update. A field whose live value no longer
matches what was last applied was changed in XPipe since: drift, reported and kept unless ``force``.
Ownership then comes from the ledger: entries this job did not create are never modified or
deleted, and only owned entries can be pruned.

Safety rules for a sync (issue 10): a source key that is present but not importable (``state.held``)
is never updated, pruned or quarantined; an entry owned under a key that left the sources is taken
over by the key now asking for it (a move, not a prune), so one XPipe UUID never has two ledger
rows; quarantine leaves the entry where it is (XPipe has no move, and remove-then-add can lose it)
and only a delete after the grace period removes anything.
"""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor

from migrator.errors import ConfigError
from migrator.mapper.desired import DesiredEntry, DesiredState, EntryRef, Secret
from migrator.model import Diagnostic
from migrator.names import name_key, names_equal, shown_key
from migrator.plan.compare import Comparer, Leaf
from migrator.plan.external import ExternalIdentities
from migrator.plan.live import LiveEntry, LiveVault, SecretReader, address_key
from migrator.plan.model import (  # noqa: F401 - re-exported: the model is imported from here
    ACTIONS,
    IDENTITY_TYPES,
    WRITE_ACTIONS,
    Change,
    FieldChange,
    Plan,
    PruneOptions,
    vault_fingerprint,
)
from migrator.plan.ownership import Ownership
from migrator.plan.reconcile import Reconcile
from migrator.sync.ledger import Ledger, LedgerEntry
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.constants import LOCAL_MACHINE


class Planner(Ownership, Reconcile, ExternalIdentities):
    def __init__(
        self,
        client: XPipeClient,
        *,
        root_category: tuple[str, ...],
        name_clash: str = "refuse",
        ledger: Ledger | None = None,
        force: bool = False,
        adopt: bool = False,
        prune: PruneOptions | None = None,
        known_nodes: bool = True,
    ):
        if name_clash not in ("refuse", "rename"):
            raise ConfigError(f"name clash rule {name_clash!r}: use refuse or rename")
        self.client = client
        self.root = root_category
        self.name_clash = name_clash
        self.ledger = ledger
        self.force = force
        self.adopt = adopt
        self.prune = prune or PruneOptions()
        # the nodes the ledger knows spare a decrypt each; an audit decrypts them all (known_nodes=False)
        known = ledger.known_nodes() if ledger is not None and known_nodes else {}
        self.reader = SecretReader(client, known, ledger.digest if ledger is not None else None)
        self._leaf_cache: list = [None, {}]
        self._started: tuple[float, int] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._reading: Future | None = None
        self._live_read: LiveVault | None = None

    # -- helpers --------------------------------------------------------------------------

    def _names(self, uuid):
        if uuid is None:
            return None
        if uuid == LOCAL_MACHINE:
            return "'local machine'"
        entry = self._live.entries.get(uuid)
        return f"'{entry.name}'" if entry else uuid

    def _ref_label(self, key: str) -> str:
        entry = self._desired.get(key)
        name = entry.name if entry else key.split(":", 1)[-1]
        return f"'{name}'" if self._resolved.get(key) else f"'{name}' (new)"

    def _comparer(self) -> Comparer:
        return Comparer(self.reader.strategy, self._resolved.get, self._ref_label, self._names)

    def _owned_prefix(self, entry: DesiredEntry) -> tuple[str, ...]:
        """Live category prefix (lower-case, without the root) inside which an entry counts as ours."""
        if entry.kind == "identity":
            return tuple(s.lower() for s in entry.category[1:])
        return self._root_lower

    # -- planning --------------------------------------------------------------------------

    def read_ahead(self, reading: Future | None = None, started: tuple[float, int] | None = None) -> None:
        """Start reading the vault now, on a thread of its own, so that the read (mostly XPipe's time)
        overlaps the caller's work (mapping the sources) until :meth:`plan` needs it. ``reading``: a
        read already under way (``migrator.plan.ahead``), begun at ``started`` (time, requests made)."""
        if reading is not None:
            self._started, self._reading = started, reading
            return
        self._started = time.perf_counter(), self.client.requests_made
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="xpipe-read")
        self._reading = self._pool.submit(LiveVault.read, self.client)

    def vault_read(self) -> LiveVault:
        """The live vault, waiting for the read under way (or reading it now).

        Another run may be writing while a read-only run plans (no lock is taken to read). Every write
        is journaled before it is sent, so a ledger read *after* the vault snapshot sees every entry
        of that snapshot a writer made (as a ledger row or an open journal row); read before it, an
        entry written in between would look like one the user made. Read-only runs therefore read the
        ledger only once this has returned; a writing run holds the run lock, so nothing else writes
        its ledger and the order does not matter."""
        if self._live_read is None:
            self._live_read = self._reading.result() if self._reading is not None else LiveVault.read(self.client)
            self._reading = None
        return self._live_read

    def ledger_is_shared(self) -> bool:
        """True when another run may write this ledger while this one plans (a read-only open)."""
        return self.ledger is not None and not getattr(self.ledger, "writable", True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def plan(
        self,
        state: DesiredState,
        diagnostics: list[Diagnostic] | None = None,
        owned: dict[str, LedgerEntry] | None = None,
        ledger_print: str | None = None,
    ) -> Plan:
        """The plan of ``state`` against the vault; ``owned`` and ``ledger_print``: the ledger's
        ``entries_and_fingerprint()`` when the caller read them already (this plan changes the dict,
        never the rows)."""
        started, requests_before = self._started or (time.perf_counter(), self.client.requests_made)
        # what needs only the sources first, while the vault may still be on its way
        desired = state.by_key()
        chosen = self._chosen_identities(state)
        desired_names = {shown_key(e.name) for e in state.entries}
        if self.ledger_is_shared():
            self.vault_read()  # first: see ``vault_read``
        if self.ledger is None:
            owned = {}
        elif owned is None:
            owned, ledger_print = self.ledger.entries_and_fingerprint()
        elif ledger_print is None:
            ledger_print = self.ledger.fingerprint()
        live = self.vault_read()
        self.close()
        self._live = live
        plan = Plan(
            diagnostics=list(diagnostics or []),
            target=self.client.base_url,
            xpipe_version=self.client.xpipe_version,
            dialect=self.client.dialect.name,
            root_category="/".join(self.root),
            prune=self.prune,
        )
        plan.fingerprints["vault"] = vault_fingerprint(live)
        plan.live = live
        self._desired = desired
        self._chosen = chosen
        self._resolved: dict[str, str | None] = {}
        self._by_name = live.by_name()
        self._by_address = live.by_address()
        self._root_lower = tuple(s.lower() for s in self.root)
        self._owned: dict[str, LedgerEntry] = {}
        self._real_names: dict[str, str] = {}
        if self.ledger is not None:
            plan.fingerprints["ledger"] = ledger_print
            self._owned = owned
            self._reconcile(live, plan)
            for key in getattr(self.ledger, "repaired", []):
                plan.diagnostics.append(
                    Diagnostic(
                        level="warning",
                        code="ledger-repaired",
                        entry=key,
                        message="this ledger row owned the same XPipe entry as another row (written by an older "
                        "version); it was dropped, the entry itself is untouched",
                    )
                )
            plan.owned = sum(1 for e in self._owned.values() if e.quarantined_at is None)
        self._owned_uuids = {e.uuid: e for e in self._owned.values()}
        self._real_names = {e.uuid: e.name for e in self._owned.values()}
        self._infer_real_names(state)
        self._held = set(state.held)
        self._rekeyed: dict[str, str] = {}
        self._report_held(plan)

        cat_paths = live.category_by_path()
        for cat in state.categories:
            lower = tuple(s.lower() for s in cat.path)
            uuid = cat_paths.get(lower)
            plan.changes.append(
                Change(
                    action="unchanged" if uuid else "create",
                    kind="category",
                    key="category:" + "/".join(cat.path),
                    name=cat.path[-1],
                    category="/".join(cat.path[:-1]),
                    uuid=uuid,
                    path=cat.path,
                )
            )
        self._external(plan)
        removed: set[str] = set()
        seen_views: dict[str, str] = {}
        for entry in state.entries:
            change = self._match_shifted(entry, desired_names, removed, plan)
            if change.action == "create":
                self._check_duplicate(entry, change, seen_views)
            elif change.action in ("update", "recreate"):
                self._check_identical(entry, change, exclude=change.uuid)
            self._resolved[entry.key] = change.uuid if change.action in ("update", "unchanged") else None
            plan.changes.append(change)
        if self.ledger is not None and self.prune.enabled:
            self._plan_prune(plan)
        plan.known_nodes, plan.nodes_before = dict(self.reader.matched), dict(self.reader.known)
        plan.requests = self.client.requests_made - requests_before
        plan.seconds = time.perf_counter() - started
        return plan

    def _infer_real_names(self, state: DesiredState) -> None:
        """Tell apart entries XPipe shows alike ('a/b' and 'a_b') when no ledger knows their real names.

        Within a group of desired names that share a shown key but are different names to XPipe, a
        live entry of the same type is taken to be the one whose host and port it alone has.
        """
        groups: dict[str, list[DesiredEntry]] = defaultdict(list)
        for entry in state.entries:
            groups[shown_key(entry.name)].append(entry)
        for key, entries in groups.items():
            if len({name_key(e.name) for e in entries}) < 2:
                continue
            unknown = [e for e in self._by_name.get(key, []) if e.uuid not in self._real_names]
            for entry in entries:
                where = (entry.type.lower(), entry.data.get("host"), entry.data.get("port"))
                hits = [e for e in unknown if (e.type.lower(), e.raw.get("host"), e.raw.get("port")) == where]
                rivals = [
                    d
                    for d in entries
                    if d is not entry and (d.type.lower(), d.data.get("host"), d.data.get("port")) == where
                ]
                if len(hits) == 1 and not rivals:
                    self._real_names[hits[0].uuid] = entry.name

    def _named(self, name: str) -> list[LiveEntry]:
        """Live entries XPipe's add may match for ``name`` (``equalsIgnoreCase``, any category and type).

        XPipe shows names lower-cased with '/' as '_', so every entry with the same shown key may be
        it, unless the ledger knows the entry's real name and that name differs.
        """
        return [
            e
            for e in self._by_name.get(shown_key(name), [])
            if e.uuid not in self._real_names or names_equal(self._real_names[e.uuid], name)
        ]

    def _same_name(self, live: LiveEntry, name: str) -> bool:
        real = self._real_names.get(live.uuid)
        return names_equal(real, name) if real is not None else shown_key(live.name) == shown_key(name)

    def _clash(self, entry: DesiredEntry, owned: LiveEntry | None) -> str | None:
        """Why adding ``entry`` under its name would touch something that is not ours, or None."""
        same = [e for e in self._named(entry.name) if owned is None or e.uuid != owned.uuid]
        others = [e for e in same if e.type.lower() != entry.type.lower()]
        mine = [e for e in same if e.type.lower() == entry.type.lower()]
        if len(mine) > 1:
            if any(e.uuid not in self._real_names for e in mine):
                return (
                    f"{len(mine)} entries of type {entry.type} are shown by XPipe as '{mine[0].name}' (XPipe "
                    "shows names lower-cased with '/' as '_'), and no ledger records which one is "
                    f"'{entry.name}'; a sync job (--job) keeps that record"
                )
            return (
                f"{len(mine)} entries of type {entry.type} are named '{entry.name}' in the vault; XPipe "
                "would update an arbitrary one"
            )
        if mine and owned is None:
            cur = mine[0]
            if self.ledger is not None and cur.uuid not in self._owned_uuids:
                if not (self.adopt and cur.category[: len(self._owned_prefix(entry))] == self._owned_prefix(entry)):
                    return (
                        f"an entry named '{entry.name}' exists in '{'/'.join(cur.category)}' but was not "
                        "created by this job; it is left alone (--adopt takes over entries in the root "
                        "category)"
                    )
            elif cur.category[: len(self._owned_prefix(entry))] != self._owned_prefix(entry):
                where = "/".join(cur.category) or "(no category)"
                return (
                    f"an entry named '{entry.name}' already exists in '{where}', outside the migrator's "
                    f"category '{'/'.join(self._owned_prefix(entry))}'; XPipe's add would overwrite it"
                )
        if mine and owned is not None:
            return f"another {entry.type} entry is named '{entry.name}'; XPipe would update an arbitrary one"
        if others:
            return (
                f"a {others[0].type} entry is also named '{entry.name}'; XPipe matches names across types "
                "and could create a duplicate instead of updating"
            )
        return None

    def _new_change(self, entry: DesiredEntry) -> Change:
        shown = entry.category[1:] if entry.category[0] == "All connections" else entry.category
        return Change(
            action="create",
            kind=entry.kind,
            key=entry.key,
            name=entry.name,
            category="/".join(shown),
            entry=entry,
            source=str(entry.host.source) if entry.host else None,
        )

    def _match(self, entry: DesiredEntry, desired_names: set, removed: set, plan: Plan) -> Change:
        change = self._new_change(entry)
        if any(self._resolved.get(k) is None for k in self._chosen.get(entry.key, ())):
            change.action, change.reason = "conflict", "the XPipe identity it names cannot be found"
            return change
        ledger_row = self._owned.get(entry.key)
        change.ledger, change.rekey = ledger_row, self._rekeyed.get(entry.key)
        owned = self._live.entries.get(ledger_row.uuid) if ledger_row else None
        if ledger_row and owned is None and ledger_row.quarantined_at is None:
            plan.diagnostics.append(
                Diagnostic(
                    level="warning",
                    code="deleted-in-xpipe",
                    entry=entry.name,
                    message="this entry was created by an earlier sync but is gone from XPipe (deleted, or hidden "
                    "as incomplete); it is created again",
                )
            )
        reason = self._clash(entry, owned)
        if reason and self.name_clash == "rename":
            base = entry.name
            suffix = "/".join(entry.category[1:]) or entry.type
            candidate, n = f"{base} ({suffix})", 2
            while shown_key(candidate) in self._by_name or shown_key(candidate) in desired_names:
                candidate, n = f"{base} ({suffix}) #{n}", n + 1
            plan.diagnostics.append(
                Diagnostic(
                    level="warning",
                    code="name-clash-renamed",
                    entry=base,
                    field="name",
                    file=entry.host.source.file if entry.host else None,
                    line=entry.host.source.line if entry.host else None,
                    message=f"{reason}; imported as '{candidate}' instead",
                )
            )
            entry.name = change.name = candidate
            desired_names.add(shown_key(candidate))
            reason = self._clash(entry, owned)
        if reason:
            change.action, change.reason = "conflict", reason
            return change
        if owned is None:
            candidates = [e for e in self._named(entry.name) if e.type.lower() == entry.type.lower()]
            if not candidates:
                return change
            owned = candidates[0]
            holder = self._owned_uuids.get(owned.uuid)
            if holder is not None and holder.key != entry.key:
                if holder.key in self._desired or holder.key in self._held:
                    change.action = "conflict"
                    change.reason = (
                        f"XPipe's add would update '{owned.name}', the entry of source entry "
                        f"{holder.key}, which is still in the sources"
                    )
                    return change
                # The key that owned it left the sources and this one asks for the same entry: a move
                # (or a key from an older version), so the ledger row moves instead of a prune.
                change.rekey = holder.key
                change.ledger = ledger_row = self._take_over(entry.key, holder)
        change.uuid, change.live = owned.uuid, owned
        if ledger_row is not None and ledger_row.quarantined_at is not None:
            plan.diagnostics.append(
                Diagnostic(
                    level="info",
                    code="quarantine-restored",
                    entry=entry.name,
                    message=f"back in the sources: taken out of quarantine (since {ledger_row.quarantined_at[:10]})",
                )
            )
        want_cat = tuple(s.lower() for s in entry.category[1:])
        moved = owned.category != want_cat or owned.ref("gateway") in removed
        renamed = not self._same_name(owned, entry.name)
        if moved or renamed:
            # XPipe's remove deletes the entries under it and empties the identity of those that use it:
            # only entries this plan writes again may be among them
            users = self._live.referrers(owned.uuid) + self._live.identity_users(owned.uuid)
            outsiders = {r.name for r in users if shown_key(r.name) not in desired_names}
            if outsiders and not moved and self._defer_rename(entry, change, ledger_row, outsiders, plan):
                desired_names.add(shown_key(entry.name))
                renamed = False
            elif outsiders:
                change.action = "conflict"
                change.reason = (
                    f"moving or renaming it needs a remove and re-add, which would also delete or change entries "
                    f"that use it as gateway or identity: {', '.join(sorted(outsiders))}"
                )
                return change
        if moved or renamed:
            change.action = "recreate"
            if renamed:
                change.reason = f"renamed from '{owned.name}': XPipe has no rename, so it is removed and added again"
            elif owned.category != want_cat:
                change.reason = (
                    f"moves from '{'/'.join(owned.category)}': XPipe has no move, so it is removed "
                    "and added again (new id)"
                )
            else:
                change.reason = "its gateway is re-created, and XPipe removes an entry with its gateway"
            removed.add(owned.uuid)
        self._fields(change, self._leaves(entry, owned), ledger_row)
        if change.action != "recreate":
            change.action = "update" if any(not f.kept for f in change.fields) else "unchanged"
        return change

    def _fields(self, change: Change, leaves: list[Leaf], ledger_row: LedgerEntry | None) -> None:
        """Field changes, one per differing leaf (or per object whose type changed), drift marked."""
        grouped: dict[str, FieldChange] = {}
        for leaf in leaves:  # only the differing ones (``Comparer.leaves``)
            drift = False
            last = ledger_row.fields.get(leaf.path) if ledger_row else None
            # drift: the live value is not what was last applied (a secret that was replaced by one of
            # another shape, e.g. a password by none, is compared whole, not reduced to the new shape)
            if (
                last is not None
                and self.ledger is not None
                and all(last != self.ledger.digest(v) for v in leaf.lives())
            ):
                drift = True
            if leaf.group:
                path, old, new = leaf.group
                fc = grouped.get(path)
                if fc is None:
                    fc = grouped[path] = FieldChange(path, old, new)
                    change.fields.append(fc)
            else:
                fc = FieldChange(leaf.path, leaf.live_show, leaf.desired_show)
                change.fields.append(fc)
            if drift:
                fc.drift = True
                fc.kept = not self.force and change.action != "recreate"

    def _check_duplicate(self, entry: DesiredEntry, change: Change, seen: dict) -> None:
        """XPipe's add returns an existing entry whose data is equal instead of creating a new one."""
        view = repr(_view(entry.data, self._resolved))
        if view in seen:
            change.action = "conflict"
            change.reason = (
                f"same connection data as '{seen[view]}' in this inventory; XPipe keeps one entry for identical data"
            )
            return
        seen[view] = entry.name
        self._check_identical(entry, change)

    def _check_identical(self, entry: DesiredEntry, change: Change, exclude: str | None = None) -> None:
        """An add whose data equals another live entry returns that entry and writes nothing (notes
        §2.4 step 2), also for an update: e.g. two rows that swapped their data."""
        comparer = self._comparer()
        for other in self._by_address.get(address_key(entry.data), []):
            if other.uuid == exclude or other.type.lower() != entry.type.lower():
                continue
            if self._same(entry, other, comparer):
                change.action = "conflict"
                change.uuid = change.uuid if exclude else other.uuid
                change.reason = (
                    f"identical to the existing entry '{other.name}' in "
                    f"'{'/'.join(other.category)}'; XPipe's add would return that entry "
                    "and create nothing"
                )
                return

    # -- prune ------------------------------------------------------------------------------


def _view(value, resolved):
    if isinstance(value, Secret):
        return ("secret", value.cache_key)
    if isinstance(value, EntryRef):
        return ("ref", resolved.get(value.key) or value.key)
    if isinstance(value, dict):
        return tuple(sorted((k, _view(v, resolved)) for k, v in value.items() if v is not None))
    if isinstance(value, list):
        return tuple(_view(v, resolved) for v in value)
    return value
