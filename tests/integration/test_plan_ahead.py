"""A read-only run reads XPipe's vault while it reads its sources (``migrator.plan.ahead``); a run that
writes reads its sources first. Against the simulator over HTTP, with a job's CSV source whose read
is watched: it looks at what XPipe has been asked while the source is being read."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import pytest
from helpers.faults import sync_cli, write_job

from migrator.errors import DaemonUnreachable, InputError, LedgerError
from migrator.manager import Manager, SourceInput
from migrator.simulator import Simulator
from migrator.sync.job import load_job

ROWS = [{"name": f"ahead-{i:02d}", "host": f"10.9.0.{i}", "user": "ops", "password": "Ahead-Pw-1"} for i in range(12)]


@pytest.fixture
def sim(tmp_path):
    with Simulator(version="24.0", auth_file=tmp_path / "xpipe" / "beacon-auth") as s:
        yield s


class _Watched:
    """A source whose ``read()`` first calls ``during()`` (and records what it returns)."""

    def __init__(self, source, during):
        self._source, self._during = source, during
        self.seen = None

    def read(self):
        self.seen = self._during()
        return self._source.read()

    def __getattr__(self, name):
        return getattr(self._source, name)


@dataclass
class WatchedInput(SourceInput):
    during: object = None
    opened: object = None

    def open(self):
        self.opened = _Watched(super().open(), self.during)
        return self.opened


def watched_run(job_path, during):
    run = load_job(job_path).to_run(progress=False)
    [spec] = run.sources
    watched = WatchedInput(**{k: getattr(spec, k) for k in spec.__dataclass_fields__}, during=during)
    run.sources = [watched]
    return run, watched


def vault_read_seen(sim, wait: float = 10.0) -> bool:
    """Whether XPipe is asked for its entries within ``wait`` seconds (it is at once when read ahead)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if sim.requests["/connection/query"] or sim.requests["/store/query"]:
            return True
        time.sleep(0.01)
    return False


def test_a_plan_reads_the_vault_while_its_sources_are_read(sim, tmp_path):
    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS)
    assert sync_cli(job).returncode == 0
    sim.requests.clear()
    run, watched = watched_run(job, lambda: vault_read_seen(sim))
    outcome = Manager(run).execute(apply=False)
    assert watched.opened.seen is True, "XPipe's vault was not read while the source was"
    assert outcome.result is None and not outcome.plan.has_changes
    assert sorted(c.name for c in outcome.plan.changes if c.kind == "host") == sorted(r["name"] for r in ROWS)
    assert outcome.plan.requests >= 3  # the vault read is the plan's, counted from where it began


def test_a_run_that_writes_reads_its_sources_before_contacting_xpipe(sim, tmp_path):
    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS)
    lock = tmp_path / "state" / "faults.sqlite.lock"
    run, watched = watched_run(job, lambda: (sum(sim.requests.values()), lock.exists()))
    outcome = Manager(run).execute(apply=True)
    assert watched.opened.seen == (0, False), "XPipe was contacted, or the run lock taken, before the sources were read"
    assert len(outcome.result.failed) == 0 and sum(1 for o in outcome.result.outcomes if o.status == "created") > 12


def test_a_source_that_cannot_be_read_is_reported_before_an_unreachable_xpipe(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    auth = tmp_path / "beacon-auth"
    auth.write_text("token", encoding="utf-8")
    job = write_job(tmp_path, f"http://127.0.0.1:{port}", auth, ROWS)
    (tmp_path / "servers.csv").unlink()
    with pytest.raises(InputError, match="servers.csv"):
        Manager(load_job(job).to_run(progress=False)).execute(apply=False)
    write_job(tmp_path, f"http://127.0.0.1:{port}", auth, ROWS)  # the source is back; XPipe is still away
    with pytest.raises(DaemonUnreachable):
        Manager(load_job(job).to_run(progress=False)).execute(apply=False)


def test_a_damaged_ledger_stops_a_plan_before_xpipe_is_contacted(sim, tmp_path):
    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "faults.sqlite").write_bytes(b"not a ledger at all" * 100)
    sim.requests.clear()
    with pytest.raises(LedgerError):
        Manager(load_job(job).to_run(progress=False)).execute(apply=False)
    assert sum(sim.requests.values()) == 0


def test_a_failed_source_read_leaves_no_connection_waiting(sim, tmp_path):
    """The thread that read ahead ends on its own once told to (it closes its client)."""
    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS)

    def fail():
        vault_read_seen(sim)
        raise InputError("servers.csv: the watched read failed")

    run, _ = watched_run(job, fail)
    with pytest.raises(InputError, match="watched read failed"):
        Manager(run).execute(apply=False)
    deadline = time.monotonic() + 10
    while any(t.name == "xpipe-ahead" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "xpipe-ahead" for t in threading.enumerate())


def test_a_sync_that_commits_while_a_plan_maps_is_seen_as_ours(sim, tmp_path, monkeypatch):
    """A plan reads the ledger and maps the sources while the vault is on its way. A sync that writes an
    entry in between (it lands in the vault the plan reads, and in the ledger after the plan read it)
    must still be seen as this job's: the plan reads the ledger again, after the vault, because the
    file changed (``Ledger.snapshot``'s version). Reading it only once would call it a conflict."""
    from migrator.mapper.ssh_store import SshStoreMapper
    from migrator.plan import ahead

    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS[:-1])
    assert sync_cli(job).returncode == 0
    write_job(tmp_path, sim.url, sim.auth_file, ROWS)  # the plan and the sync both read all of them
    written, maps = threading.Event(), []
    read = ahead.LiveVault.read
    mapper = SshStoreMapper.map

    def vault_after_the_sync(client):
        assert written.wait(120), "the sync did not finish"
        return read(client)

    def map_while_a_sync_writes(self, hosts):
        if not maps:  # the plan's first mapping, inside its first ledger snapshot
            done = sync_cli(job)
            assert done.returncode == 0, done.stderr
            written.set()
        maps.append(len(hosts))
        return mapper(self, hosts)

    monkeypatch.setattr(ahead.LiveVault, "read", staticmethod(vault_after_the_sync))
    monkeypatch.setattr(SshStoreMapper, "map", map_while_a_sync_writes)
    outcome = Manager(load_job(job).to_run(progress=False)).execute(apply=False)
    assert maps == [len(ROWS), len(ROWS)], "the plan did not map again after the ledger changed"
    assert [(c.name, c.action) for c in outcome.plan.changes if c.action != "unchanged"] == []
    assert not [d for d in outcome.plan.diagnostics if d.level == "error"]


def test_a_plan_maps_once_when_the_ledger_did_not_change(sim, tmp_path, monkeypatch):
    from migrator.mapper.ssh_store import SshStoreMapper

    job = write_job(tmp_path, sim.url, sim.auth_file, ROWS)
    assert sync_cli(job).returncode == 0
    maps, mapper = [], SshStoreMapper.map
    monkeypatch.setattr(SshStoreMapper, "map", lambda self, hosts: maps.append(1) or mapper(self, hosts))
    outcome = Manager(load_job(job).to_run(progress=False)).execute(apply=False)
    assert maps == [1] and not outcome.plan.has_changes
