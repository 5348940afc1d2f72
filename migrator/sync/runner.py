"""Sync jobs: a job file, its ledger, a three-way plan with guarded prune, an apply that survives kills.

Saved plans (``--out plan.json``) carry fingerprints of the sources, the job, the ledger and the live
vault, and no data: applying one re-reads everything, refuses (exit 3) when any fingerprint changed,
and otherwise applies the identical plan it recomputes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from migrator.apply.loader import ApplyResult, Loader
from migrator.errors import ConfigError, InputError, PlanRefused
from migrator.mapper.ssh_store import SshStoreMapper
from migrator.model import SourceResult
from migrator.plan.plan import Plan, Planner, PruneOptions
from migrator.report.plan_report import RENDERERS, plan_document
from migrator.sync.ledger import Ledger
from migrator.xpipe.target import open_client

SAVED_PLAN_SCHEMA = "xpipe-migrate/saved-plan"


def file_fingerprint(paths) -> str:
    """sha256 over the bytes of every file (folders: every file below, in sorted order)."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(f.as_posix().encode("utf-8") + b"\0")
            try:
                h.update(f.read_bytes())
            except OSError:
                h.update(b"<unreadable>")
    return h.hexdigest()


@dataclass
class SyncOptions:
    dry_run: bool = False
    force: bool = False
    prune: bool | None = None  # None: as the job file says
    adopt: bool = False
    progress: bool = True


@dataclass
class SyncOutcome:
    plan: Plan
    result: ApplyResult | None
    refused: str | None = None
    inventory: SourceResult | None = None


def read_job_sources(job) -> tuple[SourceResult, list[str]]:
    """All sources of a job, and the labels of those that produced no host at all."""
    combined = SourceResult()
    empty = []
    for spec in job.sources:
        result = spec.read(key_base=job.job_dir)
        if not result.hosts:
            empty.append(f"{spec.path} ({spec.label})")
        combined.extend(result)
    seen = set()
    unique = []
    for host in combined.hosts:
        if host.key not in seen:
            seen.add(host.key)
            unique.append(host)
    combined.hosts = unique
    return combined, empty


class SyncRunner:
    def __init__(self, job, options: SyncOptions | None = None):
        self.job = job
        self.options = options or SyncOptions()

    @property
    def prune_options(self) -> PruneOptions:
        p = self.job.prune
        enabled = p.enabled if self.options.prune is None else self.options.prune
        return PruneOptions(enabled=enabled, max_percent=p.max_percent, min_owned=p.min_owned,
                            quarantine_days=p.quarantine_days)

    def fingerprints(self, plan: Plan) -> dict[str, str]:
        out = dict(plan.fingerprints)
        out["sources"] = file_fingerprint(s.path for s in self.job.sources)
        out["job"] = self.job.fingerprint()
        return out

    def run(self, saved: dict | None = None) -> SyncOutcome:
        inventory, empty = read_job_sources(self.job)
        mapper_options = self.job.import_.to_mapper_options()
        prune = self.prune_options
        target = self.job.target.to_options()
        auth = None if target.target == "embedded" else self.job.target.resolve_auth()
        with Ledger(self.job.state_path) as ledger, open_client(target, auth=auth) as client:
            mapped = SshStoreMapper(mapper_options).map(inventory.hosts)
            mapped.state.held |= inventory.held
            planner = Planner(client, root_category=mapper_options.root_category,
                              name_clash=mapper_options.name_clash, ledger=ledger, force=self.options.force,
                              adopt=self.options.adopt, prune=prune)
            plan = planner.plan(mapped.state, inventory.diagnostics + mapped.diagnostics)
            plan.hosts_read = len(inventory.hosts)
            plan.identities = mapped.identities.as_dict()
            plan.fingerprints = self.fingerprints(plan)
            refused = self._guard(plan, prune, empty)
            if refused is None and saved is not None:
                refused = self._stale(saved, plan)
            if refused or self.options.dry_run:
                return SyncOutcome(plan, None, refused, inventory)
            # Also without changes: the loader then writes nothing to XPipe, but settles the ledger
            # (entries reconciled from an interrupted run, adopted ones, digests of settled drift).
            result = Loader(client, progress=self.options.progress, ledger=ledger).apply(plan)
            return SyncOutcome(plan, result, None, inventory)

    def _guard(self, plan: Plan, prune: PruneOptions, empty: list[str]) -> str | None:
        if not prune.enabled:
            return None
        if empty:
            return (f"refusing to prune: source(s) {', '.join(empty)} produced no hosts; an empty or unreadable "
                    "source never deletes anything (fix the source; --force does not override this)")
        deletions = sum(1 for c in plan.deletions if c.uuid)
        if (plan.owned >= prune.min_owned and plan.owned
                and deletions * 100.0 / plan.owned > prune.max_percent and not self.options.force):
            share = deletions * 100.0 / plan.owned
            return (f"refusing to prune {deletions} of {plan.owned} owned entries ({share:.0f}% > "
                    f"{prune.max_percent:g}%); check the sources, or pass --force")
        return None

    def _stale(self, saved: dict, plan: Plan) -> str | None:
        before = saved.get("fingerprints") or {}
        changed = [name for name in ("sources", "job", "ledger", "vault")
                   if before.get(name) != plan.fingerprints.get(name)]
        if changed:
            return (f"the saved plan is stale: {', '.join(changed)} changed since it was made; make a new plan")
        want = [(c["action"], c["kind"], c["key"]) for c in saved.get("plan", {}).get("changes", [])]
        have = [(c.action, c.kind, c.key) for c in plan.changes]
        if want != have:
            return "the saved plan does not match what would be applied now; make a new plan"
        return None


def write_saved_plan(path: str | Path, job_file: Path, plan: Plan) -> None:
    doc = {"schema": SAVED_PLAN_SCHEMA, "version": 1, "job": str(Path(job_file).resolve()),
           "fingerprints": dict(plan.fingerprints), "plan": plan_document(plan)}
    Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_saved_plan(path: str | Path) -> dict | None:
    """The saved plan at ``path``, or None when the file is not one (then it is a source)."""
    p = Path(path)
    if p.suffix.lower() != ".json" or not p.is_file():
        return None
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SAVED_PLAN_SCHEMA:
        return None
    if doc.get("version") != 1:
        raise InputError(f"{p}: saved plan version {doc.get('version')} is not supported")
    return doc


def write_job_reports(job, outcome: SyncOutcome) -> list[Path]:
    written = []
    plan, result = outcome.plan, outcome.result
    for fmt, path in job.reports.outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "rejects":
            from migrator.sources.tabular.table import write_rejects

            if outcome.inventory is not None and outcome.inventory.rejects:
                written.extend(write_rejects(outcome.inventory.rejects, path))
            continue
        if fmt not in RENDERERS:
            raise ConfigError(f"unknown report format {fmt!r}")
        text = RENDERERS[fmt](plan, result)
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        written.append(path)
    return written


def refuse(outcome: SyncOutcome) -> None:
    if outcome.refused:
        raise PlanRefused(outcome.refused)
