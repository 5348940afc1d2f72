"""Applies a Plan: categories first, then entries in dependency order, then a read-back check.

Writes are idempotent because XPipe's add upserts by name: a crash half-way and a re-run converge.
A failed entry fails the entries that go through it, and nothing else.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from migrator.desired import EntryRef, Secret
from migrator.encryption import EncryptionStage
from migrator.errors import BadRequest, ServerError, XPipeError
from migrator.plan import Change, Plan
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.constants import ALL_CONNECTIONS, LOCAL_IDENTITIES, LOCAL_MACHINE, SYNCED_IDENTITIES

ROOTS = {("all connections",): ALL_CONNECTIONS, ("all identities", "local"): LOCAL_IDENTITIES,
         ("all identities", "synced"): SYNCED_IDENTITIES}


@dataclass
class Outcome:
    change: Change
    status: str  # "created", "updated", "recreated", "unchanged", "skipped", "failed"
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
        out = {s: 0 for s in ("created", "updated", "recreated", "unchanged", "skipped", "failed")}
        for o in self.outcomes:
            out[o.status] += 1
        return out

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


class Loader:
    def __init__(self, client: XPipeClient, *, progress: bool = True):
        self.client = client
        self.encryption = EncryptionStage(client)
        self.progress = progress

    def apply(self, plan: Plan) -> ApplyResult:
        started = time.perf_counter()
        req0, w0 = self.client.requests_made, self.client.writes_made
        result = ApplyResult()
        categories: dict[tuple[str, ...], str] = {}
        uuids: dict[str, str | None] = dict(plan.external)
        work = [c for c in plan.changes]
        bar = tqdm(total=sum(1 for c in work if c.writes), unit="entry", file=sys.stderr,
                   disable=not self.progress, desc="apply")
        try:
            for change in work:
                if change.kind == "category":
                    self._category(change, categories, result)
                    if change.writes:
                        bar.update(1)
            for change in work:
                if change.kind == "category":
                    continue
                self._entry(change, categories, uuids, result)
                if change.writes:
                    bar.update(1)
        finally:
            bar.close()
        self._verify(plan, uuids, result)
        result.requests = self.client.requests_made - req0
        result.writes = self.client.writes_made - w0
        result.encrypted = self.encryption.encrypted
        result.seconds = time.perf_counter() - started
        return result

    def _category(self, change: Change, categories: dict, result: ApplyResult) -> None:
        path = change.path
        lower = tuple(s.lower() for s in path)
        if change.uuid:
            categories[lower] = change.uuid
            result.outcomes.append(Outcome(change, "unchanged", change.uuid))
            return
        parent = categories.get(lower[:-1]) or ROOTS.get(lower[:-1])
        if parent is None:
            result.outcomes.append(Outcome(change, "failed", error="its parent category could not be created"))
            return
        try:
            uuid = self.client.add_category(path[-1], parent)
        except (BadRequest, ServerError) as exc:
            result.outcomes.append(Outcome(change, "failed", error=str(exc)))
            return
        categories[lower] = uuid
        result.outcomes.append(Outcome(change, "created", uuid))

    def _category_uuid(self, path: tuple[str, ...], categories: dict) -> str | None:
        lower = tuple(s.lower() for s in path)
        return categories.get(lower) or ROOTS.get(lower)

    def _entry(self, change: Change, categories: dict, uuids: dict, result: ApplyResult) -> None:
        entry = change.entry
        if change.action == "unchanged":
            uuids[change.key] = change.uuid
            result.outcomes.append(Outcome(change, "unchanged", change.uuid))
            return
        if change.action == "conflict":
            uuids[change.key] = None
            result.outcomes.append(Outcome(change, "skipped", change.uuid, error=change.reason))
            return
        missing = [d for d in entry.depends if not uuids.get(d)]
        if missing:
            uuids[change.key] = None
            names = ", ".join(d.rsplit("#", 1)[-1] for d in missing)
            result.outcomes.append(Outcome(change, "failed", error=f"its gateway ({names}) is not in the vault"))
            return
        category = self._category_uuid(entry.category, categories)
        if category is None:
            uuids[change.key] = None
            result.outcomes.append(Outcome(change, "failed", error="its category could not be created"))
            return
        try:
            data = self._payload(change, uuids)
            if change.action == "recreate" and change.uuid:
                try:
                    self.client.remove_stores([change.uuid])
                except BadRequest:
                    pass  # already gone: XPipe removed it together with its re-created gateway
            uuid = self.client.add_store(entry.name, data, category=category, validate=False)
        except (BadRequest, ServerError) as exc:
            uuids[change.key] = None
            result.outcomes.append(Outcome(change, "failed", error=str(exc)))
            return
        except XPipeError:
            raise
        uuids[change.key] = uuid
        status = {"create": "created", "update": "updated", "recreate": "recreated"}[change.action]
        result.outcomes.append(Outcome(change, status, uuid))

    def _payload(self, change: Change, uuids: dict) -> dict:
        """Desired data with refs and secrets filled in; on update, fields we do not manage survive.

        A secret the plan found unchanged keeps its live encrypted node: nothing is re-encrypted.
        """
        live_raw = change.live.raw if (change.live and change.action == "update") else {}
        changed = {f.path for f in change.fields}

        def fill(value, live_value, path):
            if isinstance(value, EntryRef):
                return uuids[value.key] if value.key in uuids else LOCAL_MACHINE
            if isinstance(value, Secret):
                keep = live_value is not None and not any(path == p or path.startswith(p + ".") for p in changed)
                return self.encryption.node(value, live_value if keep else None)
            if isinstance(value, dict):
                lv = live_value if isinstance(live_value, dict) else {}
                return {k: fill(v, lv.get(k), f"{path}.{k}" if path else k) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v, None, path) for v in value]
            return value

        data = dict(live_raw)
        data.update(fill(change.entry.data, live_raw, ""))
        return data

    def _verify(self, plan: Plan, uuids: dict, result: ApplyResult) -> None:
        """Read back what was written: the entry exists, has our name, and its references are not null."""
        written = {o.change.key: o for o in result.outcomes
                   if o.status in ("created", "updated", "recreated") and o.change.kind != "category"}
        if not written:
            return
        infos, missing = self.client.store_info([o.uuid for o in written.values()])
        by_uuid = {i["uuid"]: i for i in infos}
        for outcome in written.values():
            change = outcome.change
            info = by_uuid.get(outcome.uuid)
            if info is None:
                outcome.status, outcome.error = "failed", "written, but XPipe does not return it when read back"
                continue
            names = info.get("name") or []
            own = str(names[-1]) if names else ""
            if own != change.name.strip().lower().replace("/", "_"):
                outcome.status = "failed"
                outcome.error = (f"XPipe stored it as the existing entry '{own}' (identical connection data); "
                                 "no new entry was created")
                continue
            raw = info.get("rawData") or {}
            gateway = change.entry.data.get("gateway")
            if gateway is not None:
                expected = uuids.get(gateway.key) if isinstance(gateway, EntryRef) else gateway
                got = raw.get("gateway")
                got = got.get("storeId") if isinstance(got, dict) else got
                if got != expected:
                    outcome.status = "failed"
                    outcome.error = f"its gateway reads back as {got} instead of {expected}"
            wanted = change.entry.data.get("identity")
            identity = raw.get("identity")
            if wanted is not None and not isinstance(identity, dict):
                outcome.status, outcome.error = "failed", "its identity reads back as null after the write"
            elif isinstance(wanted, dict) and wanted.get("type") == "ref":
                expected = uuids.get(wanted["ref"].key)
                got = identity.get("ref")
                got = got.get("storeId") if isinstance(got, dict) else got
                if got != expected:
                    outcome.status = "failed"
                    outcome.error = f"its identity reference reads back as {got} instead of {expected}"
        for uuid in missing:
            result.problems.append(f"entry {uuid} vanished between write and read-back")
