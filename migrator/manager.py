"""The one orchestration: read -> map -> plan -> (guard) -> apply, used by every command.

A ``Run`` says what to read, where to write and how; the CLI builds it from flags, a job file builds
it from TOML, and both then go through the same ``Manager``. Keeping one path is what keeps ``plan``,
``apply``, ``sync``, ``audit`` and ``demo`` from drifting apart (the old copies did: one never
reported shared identities, one dropped duplicate source keys silently).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator import heap
from migrator.errors import ConfigError, InputError, LedgerError, MigratorError, SourceServiceError
from migrator.model import Diagnostic, SourceResult
from migrator.sources import open_source

# Reading sources (``inspect``) needs none of the stages below: they are imported where a run uses
# them, so a command loads only what it runs (``benchmarks/bench_inspect.py`` measures start-up).
if TYPE_CHECKING:
    from migrator.apply.loader import ApplyResult
    from migrator.mapper.ssh_store import MapperOptions
    from migrator.plan.ahead import VaultAhead
    from migrator.plan.plan import Plan, Planner, PruneOptions
    from migrator.sources.base import Source
    from migrator.sync.ledger import Ledger
    from migrator.xpipe.client import XPipeClient
    from migrator.xpipe.target import TargetOptions

#: The diagnostic code of a source that could not be read at all.
UNREADABLE = "source-unreadable"


@dataclass
class SourceInput:
    """One source to read: its location (or ``FORMAT:LOCATION``), format, raw options and label."""

    location: str
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    where: str | None = None
    key_location: str | None = None
    filter: Any = None  # a job's SourceFilter

    def open(self) -> Source:
        return open_source(self.location, self.format, self.options, where=self.where, key_location=self.key_location)


@dataclass
class Inventory(SourceResult):
    """Every source's hosts in one list, and what the run needs to know about the sources."""

    empty: list[str] = field(default_factory=list)
    partial_sources: list[str] = field(default_factory=list)  # read only in part (``SourceResult.partial``)
    failures: list[MigratorError] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)


def read_inventory(inputs: list[SourceInput]) -> Inventory:
    """Read every source; a key seen twice is reported and the later copy is not imported.

    A source that cannot be read (missing, not a regular file, over a cap in ``sources.limits``, a
    service that fails) becomes one ``source-unreadable`` error and the others are still read; it
    counts as empty, so it can never let a prune delete what it holds. Only when no source at all can
    be read is the error raised. A configuration error concerns the run and is always raised.
    """
    from migrator.sync.filters import apply_source_filter

    inventory = Inventory()
    failed = inventory.failures
    for item in inputs:
        label = item.where if item.where and item.where != item.location else None
        shown = f"{item.location} ({label})" if label else item.location
        try:
            source = item.open()
            with heap.without_cyclic_gc():
                result = source.read()
        except ConfigError:
            raise
        except (InputError, SourceServiceError) as exc:
            failed.append(exc)
            inventory.empty.append(shown)
            inventory.diagnostics.append(
                Diagnostic(
                    level="error",
                    code=UNREADABLE,
                    file=item.location,
                    message=f"{exc}; nothing from this source is imported (the other sources are)",
                )
            )
            continue
        inventory.fingerprints.append(f"{source.format}:{source.key_location}:{source.fingerprint()}")
        if not result.hosts:
            inventory.empty.append(shown)
        elif result.partial:
            inventory.partial_sources.append(shown)
        if item.filter is not None:
            apply_source_filter(result, item.filter, source.display_path)
        inventory.extend(result)
    if failed and len(failed) == len(inputs):
        raise failed[0] if len(failed) == 1 else InputError("; ".join(str(e) for e in failed))
    seen: set[str] = set()
    unique = []
    for host in inventory.hosts:
        if host.key in seen:
            inventory.diagnostics.append(
                Diagnostic(
                    level="error",
                    code="duplicate-key",
                    file=host.source.file,
                    line=host.source.line,
                    entry=host.name,
                    message=f"source key {host.key} was read twice (the same file given twice?); "
                    "the second copy is not imported",
                )
            )
            continue
        seen.add(host.key)
        unique.append(host)
    inventory.hosts = unique
    heap.keep()  # it lives to the end of the run: collections inside ``heap.one_run`` skip it
    return inventory


def read_sources(specs: list[str], options: dict[str, Any] | None = None) -> Inventory:
    """Read sources named on a command line (``FORMAT:LOCATION`` or a detected path)."""
    return read_inventory([SourceInput(spec, options=dict(options or {}), where=spec) for spec in specs])


def _target_options() -> TargetOptions:
    from migrator.xpipe.target import TargetOptions

    return TargetOptions()


def _mapper_options() -> MapperOptions:
    from migrator.mapper.ssh_store import MapperOptions

    return MapperOptions()


def _prune_options() -> PruneOptions:
    from migrator.plan.plan import PruneOptions

    return PruneOptions()


@dataclass
class Run:
    """Everything one command needs: what to read, the XPipe to talk to, and the policies."""

    sources: list[SourceInput]
    target: TargetOptions = field(default_factory=_target_options)
    mapper: MapperOptions = field(default_factory=_mapper_options)
    prune: PruneOptions = field(default_factory=_prune_options)
    auth: Any = None
    state_path: Path | None = None  # the ledger; None: nothing is owned unless ``adhoc_state``
    adhoc_state: bool = False  # no state_path: use the per-user ledger of the vault talked to (sync/state.py)
    create_state: bool = True  # False (audit): a ledger that does not exist yet is not created
    #: seconds an apply or sync waits while another run writes with its ledger (``--lock-wait``)
    lock_wait: float = 10.0
    force: bool = False
    adopt: bool = False
    progress: bool = True
    fingerprints: dict[str, str] = field(default_factory=dict)  # e.g. the job's


@dataclass
class Outcome:
    plan: Plan
    result: ApplyResult | None
    inventory: Inventory
    refused: str | None = None
    declined: bool = False  # the user answered no at the confirmation prompt


class Session:
    """An open client (and ledger) for one run: plan and apply against the same vault."""

    def __init__(
        self,
        run: Run,
        client: XPipeClient,
        ledger: Ledger | None,
        notes: list[Diagnostic] | None = None,
        *,
        ahead: VaultAhead | None = None,
        inventory: Inventory | None = None,
    ):
        self.run, self.client, self.ledger = run, client, ledger
        self.notes = list(notes or [])  # about the ledger itself, shown with the plan
        self.ahead = ahead  # the vault, read while the sources were (``migrator.plan.ahead``)
        self.inventory = inventory  # the sources, when the session read them (``Manager.session(read=)``)

    def plan(self, inventory: Inventory, *, known_nodes: bool = True) -> Plan:
        """``known_nodes=False`` (audit) decrypts every live secret instead of trusting the ledger's
        memory of which node holds which secret. The vault is read while the sources are mapped."""
        from migrator.plan.plan import Planner

        run = self.run
        planner = Planner(
            self.client,
            root_category=run.mapper.root_category,
            name_clash=run.mapper.name_clash,
            ledger=self.ledger,
            force=run.force,
            adopt=run.adopt,
            prune=run.prune,
            known_nodes=known_nodes,
        )
        if self.ahead is not None:
            ahead, self.ahead = self.ahead, None  # one plan per read
            planner.read_ahead(ahead.live, ahead.started)
        else:
            planner.read_ahead()
        try:
            plan = self._plan_with(planner, inventory)
        finally:
            planner.close()
        plan.hosts_read = len(inventory.hosts)
        plan.empty_sources = list(inventory.empty)
        plan.partial_sources = list(inventory.partial_sources)
        plan.fingerprints["sources"] = _digest(inventory.fingerprints)
        plan.fingerprints.update(run.fingerprints)
        return plan

    def _plan_with(self, planner: Planner, inventory: Inventory) -> Plan:
        """Map the sources with the ledger's history, then plan against the vault.

        Every read of the ledger the plan rests on sees one state of it, taken after the vault was
        read when another run may be writing (``Planner.vault_read``): a sync journals each write
        before sending it and ends the journal row in the commit that records the entry, so an entry
        of the vault snapshot is then always seen as ours, never as a conflict. The rows are read and
        the sources mapped while the vault is still on its way; once it is in, a second snapshot
        checks the file is still in the state they were read from (``Ledger.snapshot``'s version)
        and reads them again, and maps again, only if another run committed meanwhile."""
        from migrator.mapper.ssh_store import SshStoreMapper
        from migrator.sync.identity_history import identity_history

        ledger, notes = self.ledger, self.notes + inventory.diagnostics

        def mapped_with_ledger() -> tuple:
            rows, printed = ledger.entries_and_fingerprint() if ledger is not None else (None, None)
            history = identity_history(ledger, rows) if ledger is not None else None  # stable names
            mapped = SshStoreMapper(self.run.mapper, history).map(inventory.hosts)
            mapped.state.held |= inventory.held  # present in a source but not importable: never touched
            return mapped, rows, printed

        if ledger is None:
            mapped, _, _ = mapped_with_ledger()
            plan = planner.plan(mapped.state, notes + mapped.diagnostics, None)
        else:
            shared = planner.ledger_is_shared()
            with ledger.snapshot() as read_at:
                mapped, rows, printed = mapped_with_ledger()
            if shared:
                planner.vault_read()  # the vault before the ledger state the plan uses: see above
            with ledger.snapshot() as now_at:
                if shared and now_at != read_at:
                    mapped, rows, printed = mapped_with_ledger()  # another run committed: read after the vault
                plan = planner.plan(mapped.state, notes + mapped.diagnostics, dict(rows), printed)
        plan.identities = mapped.identities.as_dict()
        return plan

    def apply(self, plan: Plan) -> ApplyResult:
        from migrator.apply.loader import Loader

        return Loader(self.client, progress=self.run.progress, ledger=self.ledger).apply(plan)


def plan_inventory(client: XPipeClient, inventory: SourceResult, mapper: MapperOptions | None = None) -> Plan:
    """Plan an inventory already read against an open client, without a ledger (tests, benchmarks)."""
    if not isinstance(inventory, Inventory):
        inventory = Inventory(
            hosts=inventory.hosts,
            diagnostics=inventory.diagnostics,
            rejects=inventory.rejects,
            held=inventory.held,
            partial=inventory.partial,
        )
    return Session(Run(sources=[], mapper=mapper or _mapper_options()), client, None).plan(inventory)


class Manager:
    def __init__(self, run: Run):
        self.run = run

    def read(self) -> Inventory:
        return read_inventory(self.run.sources)

    @contextmanager
    def session(self, *, writing: bool = False, read: Callable[[], Inventory] | None = None) -> Iterator[Session]:
        """An open client and ledger. ``writing`` (apply, sync) takes the run lock and opens the ledger
        for writing; otherwise the ledger is read-only and no lock is taken (plan, audit, dry runs).
        A job's ledger is locked and checked before XPipe is contacted; an ad-hoc one is named by the
        URL discovery finds, so it comes after connecting, still before anything is planned or written.

        ``read`` (read-only sessions): the sources are read with it while XPipe is connected and its
        vault read on another thread (``migrator.plan.ahead``); the session holds the inventory."""
        from migrator.sync.state import default_state_path
        from migrator.xpipe.target import EMBEDDED, open_client

        run = self.run
        if read is not None and writing:
            raise ValueError("a run that writes reads its sources before it takes the run lock")
        with ExitStack() as stack:
            notes: list[Diagnostic] = []
            ledger = None
            ahead = inventory = None
            if run.state_path is not None:
                ledger = self._open_ledger(run.state_path, writing, stack, notes)
            if read is not None and run.target.target != EMBEDDED:
                from migrator.plan.ahead import VaultAhead

                ahead = stack.enter_context(VaultAhead(lambda: open_client(run.target, auth=run.auth)))
                inventory = read()
                client = ahead.client()
            else:
                inventory = read() if read is not None else None  # the embedded XPipe starts after them
                client = stack.enter_context(open_client(run.target, auth=run.auth))
            if run.state_path is None and run.adhoc_state:
                path = default_state_path(run.target, client.base_url, run.mapper.root_category)
                if path is not None:
                    ledger = self._open_ledger(path, writing, stack, notes)
            yield Session(run, client, ledger, notes, ahead=ahead, inventory=inventory)

    def _open_ledger(self, path: Path, writing: bool, stack: ExitStack, notes: list[Diagnostic]) -> Ledger | None:
        from migrator.sync.ledger import Ledger
        from migrator.sync.ledger_file import check_path
        from migrator.sync.lock import RunLock, describe_holder
        from migrator.sync.state import ensure_private_dir

        check_path(path)
        if not writing:
            if path.exists():
                return stack.enter_context(Ledger(path, writable=False))
            return stack.enter_context(Ledger.empty(path)) if self.run.create_state else None
        try:
            ensure_private_dir(path.parent)
        except OSError as exc:
            raise LedgerError(f"{path}: cannot create the ledger's folder ({exc.strerror})") from None
        lock = stack.enter_context(RunLock(path, wait=self.run.lock_wait))
        if lock.previous:
            holder = describe_holder(lock.previous, holding=False)
            notes.append(
                Diagnostic(
                    level="warning",
                    code="lock-taken-over",
                    file=str(path),
                    message=f"the last run with this ledger ({holder}) ended without "
                    "releasing it (killed?); the writes it left open are checked against the vault now",
                )
            )
        return stack.enter_context(Ledger(path))

    def execute(
        self, *, apply: bool, saved: dict | None = None, confirm: Callable[[Plan], bool] | None = None
    ) -> Outcome:
        """Plan, check the plan's safety (and a saved plan's freshness), then apply when asked."""
        # ``migrator.heap``: no collection while a source is read, rarer ones in the rest of the run. A
        # read-only run reads its sources while XPipe's vault is read (``Manager.session(read=)``); a
        # run that writes reads them first, and takes the run lock only then.
        with heap.one_run():
            inventory = self.read() if apply else None
            with self.session(writing=apply, read=None if apply else self.read) as session:
                if inventory is None:
                    inventory = session.inventory
                plan = session.plan(inventory)
                refused = plan.refusal(force=self.run.force)
                if refused is None and saved is not None:
                    from migrator.plan.saved import stale_reason

                    refused = stale_reason(saved, plan)
                if refused or not apply:
                    return Outcome(plan, None, inventory, refused)
                if not plan.has_changes and session.ledger is None:
                    return Outcome(plan, None, inventory)
                if confirm is not None and plan.has_changes and not confirm(plan):
                    return Outcome(plan, None, inventory, declined=True)
                # Also without changes when there is a ledger: the loader then writes nothing to XPipe
                # but settles the ledger (entries reconciled from an interrupted run, adopted ones,
                # settled drift).
                return Outcome(plan, session.apply(plan), inventory)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode("utf-8")).hexdigest()
