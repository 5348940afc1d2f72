"""Issue 16: a write whose answer was lost is still ours, against a daemon that fails after applying.

Real HTTP throughout: the simulator's fault mode (``--fail-writes``: a 500 before or after the write
is applied, a reset or a closed connection after it) and proxies that lose one chosen answer, with
``sync`` run as a user runs it (a subprocess). Plain re-runs must converge to exit 0 with every host
once, no ``--adopt``, and a journal with nothing left open.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from helpers.faults import (
    LosingProxy,
    assert_vault_equals_source,
    duplicates,
    inventory_rows,
    journal,
    report,
    sync_cli,
    vault_entries,
    write_job,
)
from helpers.paths import REPO_ROOT
from helpers.sync_safety import FaultProxy

from migrator.apply.window import WINDOW
from migrator.errors import ConnectionLost
from migrator.simulator import Simulator
from migrator.simulator.faults import FaultPlan
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.constants import ALL_CONNECTIONS

MAX_RUNS = 5


@pytest.fixture
def faulty(tmp_path, request):
    rate, mode, seed = request.param
    sim = Simulator(version="23.8", auth_file=tmp_path / "xpipe" / "beacon-auth", faults=FaultPlan(rate, mode, seed))
    with sim:
        yield sim


def converge(job, limit: int = MAX_RUNS) -> list[int]:
    """Plain re-runs until one exits 0; the exit codes seen."""
    codes = []
    for _ in range(limit):
        proc = sync_cli(job)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[-2000:]
        codes.append(proc.returncode)
        if proc.returncode == 0:
            return codes
        assert proc.returncode == 4, proc.stderr[-2000:]
    raise AssertionError(f"not converged in {limit} runs: {codes}")


@pytest.mark.parametrize(
    "faulty",
    [(0.2, mode, seed) for mode in ("before", "after-500", "after-reset", "after-close") for seed in (1, 2)]
    + [(0.2, "mixed", seed) for seed in (3, 4, 5)],
    indirect=True,
    ids=lambda p: f"{p[1]}-{p[2]}",
)
def test_twenty_percent_of_writes_failing_converges_in_five_plain_runs(faulty, tmp_path):
    rows = inventory_rows(120)
    job = write_job(tmp_path, faulty.url, faulty.auth_file, rows)
    codes = converge(job)
    assert faulty.faults.injected, "no fault was injected"
    assert_vault_equals_source(faulty, rows, tmp_path / "state" / "faults.sqlite")
    faulty.faults.rate = 0.0
    again = sync_cli(job, "--dry-run")
    assert again.returncode == 0, (codes, again.stdout[-2000:])


@pytest.mark.parametrize("faulty", [(1.0, "after-reset", 0)], indirect=True, ids=["reset"])
def test_a_write_is_never_resent_blindly_after_its_connection_broke(faulty):
    client = XPipeClient(faulty.url, LocalAuth(faulty.auth_file), retries=3, backoff=0, timeout=10, first_timeout=10)
    client.connect()
    try:
        with pytest.raises(ConnectionLost, match="may or may not have been applied"):
            client.add_category("Lost", ALL_CONNECTIONS)
        assert faulty.requests["/category/add"] == 1  # applied once, sent once
        assert [c.name for c in faulty.vault.categories.values()].count("Lost") == 1
        assert client.query_categories("**")  # reads still go through (and would be retried)
    finally:
        client.close()


def _is_host(name):
    return lambda path, body: path.endswith("/add") and body.get("name") == name


def _is_identity(path, body):
    return path.endswith("/add") and (body.get("data") or {}).get("type") == "localIdentity"


def _is_category(path, body):
    return path == "/category/add" and body.get("name") == "Rack1"


PICKS = {
    "host": _is_host("flt-004"),
    "gateway": _is_host("flt-bastion-b"),
    "host-behind-a-gateway": _is_host("flt-007"),
    "shared-identity": _is_identity,
    "category": _is_category,
}


@pytest.mark.parametrize("what", sorted(PICKS))
def test_xpipe_gone_after_applying_a_write_the_next_run_takes_it_as_ours(sim, tmp_path, what):
    """The write arrives, XPipe goes away before answering (a crash, a restart): the run stops (exit 5),
    and the next run against the XPipe that is back finds the write, takes it as its own and finishes."""
    rows = inventory_rows(24)
    with LosingProxy(sim.url, PICKS[what], then="vanish") as proxy:
        job = write_job(tmp_path, proxy.url, sim.auth_file, rows)
        first = sync_cli(job)
    assert proxy.lost, "the chosen write was never sent"
    assert first.returncode == 5, first.stderr
    assert len(first.stderr.strip().splitlines()) == 1 and "Traceback" not in first.stderr
    ledger = tmp_path / "state" / "faults.sqlite"
    lost = [r for r in journal(ledger) if r[2] in ("pending", "uncertain")]
    # the chosen write is open as uncertain; the writes in flight beside it when XPipe went away lost
    # their answers too (the window), and nothing else is left open (rows not sent were closed)
    assert (proxy.lost[0][1]["name"], "uncertain") in [(name, status) for _, name, status in lost], lost
    assert 1 <= len(lost) <= WINDOW, journal(ledger)
    assert "unsent" not in {status for _, _, status in lost}
    before = vault_entries(sim)

    job = write_job(tmp_path, sim.url, sim.auth_file, rows)  # XPipe is back (same ledger)
    second = sync_cli(job)
    assert second.returncode == 0, second.stderr[-3000:]
    codes = {d["code"] for d in report(second)["diagnostics"]}
    if what != "category":
        assert "journal-reconciled" in codes, codes
    assert not duplicates(vault_entries(sim))
    assert_vault_equals_source(sim, rows, ledger)
    kept = {u for u, v in before.items() if v[1] in ("ssh", "localIdentity")}
    assert kept <= set(vault_entries(sim))  # what had arrived was taken over, not made again


def test_a_write_that_timed_out_stops_the_run_and_the_next_run_takes_it_as_ours(sim, tmp_path):
    rows = inventory_rows(12)
    with LosingProxy(sim.url, _is_host("flt-003"), then="stall", stall=3) as proxy:
        job = write_job(tmp_path, proxy.url, sim.auth_file, rows)
        job.write_text(job.read_text().replace("timeout = 10\n", "timeout = 1\n", 1))
        first = sync_cli(job)
    assert first.returncode == 5 and "did not answer" in first.stderr, first.stderr
    ledger = tmp_path / "state" / "faults.sqlite"
    assert [r for r in journal(ledger) if r[2] == "uncertain"] == [("add", "flt-003", "uncertain")]
    second = sync_cli(write_job(tmp_path, sim.url, sim.auth_file, rows))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "journal-reconciled" in {d["code"] for d in report(second)["diagnostics"]}
    assert_vault_equals_source(sim, rows, ledger)


def test_a_lost_answer_whose_check_also_fails_is_reconciled_by_the_next_run(sim, tmp_path):
    rows = inventory_rows(12)
    with LosingProxy(sim.url, _is_host("flt-005"), then="fail", fail_next=3) as proxy:
        job = write_job(tmp_path, proxy.url, sim.auth_file, rows)
        first = sync_cli(job)
    assert first.returncode == 4, first.stderr
    assert "whether it arrived is unknown" in first.stdout
    ledger = tmp_path / "state" / "faults.sqlite"
    assert [r for r in journal(ledger) if r[2] == "uncertain"] == [("add", "flt-005", "uncertain")]
    second = sync_cli(write_job(tmp_path, sim.url, sim.auth_file, rows))
    assert second.returncode == 0, second.stderr[-3000:]
    assert_vault_equals_source(sim, rows, ledger)


def test_drift_after_a_lost_answer(sim, client, tmp_path):
    """Somebody edits the entry in XPipe between the lost answer and the next run: that run reports
    drift, leaves the entry alone and exits 4; ``--adopt`` takes it over; the row then closes."""
    rows = inventory_rows(12)
    with LosingProxy(sim.url, _is_host("flt-006"), then="vanish") as proxy:
        first = sync_cli(write_job(tmp_path, proxy.url, sim.auth_file, rows))
    assert first.returncode == 5
    (uuid,) = [u for u, v in vault_entries(sim).items() if v[0] == "flt-006"]
    info = client.store_info([uuid])[0][0]
    edited = dict(info["rawData"], type="ssh", host="edited-in-the-gui.example.net")
    assert client.add_store("flt-006", edited, validate=False) == uuid  # same name: XPipe updates in place
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    second = sync_cli(job)
    assert second.returncode == 4, second.stderr
    doc = report(second)
    drift = [d for d in doc["diagnostics"] if d["code"] == "journal-drift"]
    assert len(drift) == 1 and "host" in drift[0]["message"], doc["diagnostics"]
    assert [c["name"] for c in doc["changes"] if c["action"] == "conflict"] == ["flt-006"]
    assert client.store_info([uuid])[0][0]["rawData"]["host"] == "edited-in-the-gui.example.net"
    ledger = tmp_path / "state" / "faults.sqlite"
    assert ("add", "flt-006", "drift") in journal(ledger)
    assert sync_cli(job).returncode == 4  # still drift: reported again, not forgotten
    adopted = sync_cli(job, "--adopt")
    assert adopted.returncode == 0, adopted.stderr
    assert client.store_info([uuid])[0][0]["rawData"]["host"] != "edited-in-the-gui.example.net"
    assert sync_cli(job).returncode == 0
    assert_vault_equals_source(sim, rows, ledger)


def test_a_prune_remove_whose_answer_was_lost_is_checked_not_repeated(sim, tmp_path):
    rows = inventory_rows(24)
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    text = job.read_text() + "\n[prune]\nenabled = true\nmax_percent = 100\nmin_owned = 0\nquarantine_days = 0\n"
    job.write_text(text)
    assert sync_cli(job).returncode == 0
    rows = [r for r in rows if r["name"] != "flt-011"]  # a one-off password: nothing else changes
    with LosingProxy(sim.url, lambda path, body: path.endswith("/remove"), then="vanish") as proxy:
        faulty = write_job(tmp_path, proxy.url, sim.auth_file, rows, name="faults")
        faulty.write_text(faulty.read_text() + text[text.index("[prune]") :])
        first = sync_cli(faulty)
    assert first.returncode == 5 and proxy.lost
    removes = sim.requests["/connection/remove"] + sim.requests["/store/remove"]
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    job.write_text(job.read_text() + text[text.index("[prune]") :])
    second = sync_cli(job)
    assert second.returncode == 0, second.stderr
    assert (
        sim.requests["/connection/remove"] + sim.requests["/store/remove"] == removes
    )  # checked: it had arrived; not sent again
    assert_vault_equals_source(sim, rows, tmp_path / "state" / "faults.sqlite")


def test_a_4xx_is_a_definite_failure_nothing_is_left_open(sim, tmp_path):
    rows = inventory_rows(6)
    with FaultProxy(sim.url, fail_at=3, status=400) as proxy:
        first = sync_cli(write_job(tmp_path, proxy.url, sim.auth_file, rows))
    assert first.returncode == 4 and proxy.failed
    ledger = tmp_path / "state" / "faults.sqlite"
    statuses = [r[2] for r in journal(ledger)]
    assert "failed" in statuses and not {"pending", "uncertain", "drift"} & set(statuses)
    assert sync_cli(write_job(tmp_path, sim.url, sim.auth_file, rows)).returncode == 0
    assert_vault_equals_source(sim, rows, ledger)


@pytest.mark.parametrize("faulty", [(0.2, "mixed", 11)], indirect=True, ids=["mixed"])
def test_killed_runs_under_faults_converge(faulty, tmp_path):
    """SIGKILL at five points of runs that also meet 20% faulty writes; then plain runs converge."""
    rows = inventory_rows(80)
    job = write_job(tmp_path, faulty.url, faulty.auth_file, rows)
    writes = ("/connection/add", "/connection/remove", "/category/add")
    killed = 0
    for k in (2, 5, 9, 14, 20):
        proc = subprocess.Popen(
            [sys.executable, "-m", "migrator", "--no-progress", "sync", str(job)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        start = sum(faulty.requests[p] for p in writes)
        limit = time.monotonic() + 60
        while sum(faulty.requests[p] for p in writes) - start < k and proc.poll() is None:
            assert time.monotonic() < limit
            time.sleep(0.0005)
        killed += proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not duplicates(vault_entries(faulty))
    assert killed >= 4  # the kills landed while the runs were writing
    converge(job)
    assert_vault_equals_source(faulty, rows, tmp_path / "state" / "faults.sqlite")
    db = sqlite3.connect(tmp_path / "state" / "faults.sqlite")
    runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    db.close()
    assert runs >= 6
