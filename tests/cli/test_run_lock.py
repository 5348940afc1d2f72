"""Issue 16: one writing run at a time per ledger, tested with two real CLI processes at once.

A slow simulator (storage calls hold its lock for a few milliseconds each) keeps the first run busy
long enough for the second to meet its lock: refused with one line naming PID, host and start time
(exit 1, nothing written), or waiting for it (``--lock-wait``). A run killed with SIGKILL leaves no
lock behind (the kernel releases it); the next run says it took over and finishes the job.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.faults import assert_vault_equals_source, inventory_rows, write_job
from helpers.paths import REPO_ROOT

from migrator.simulator import Simulator
from migrator.sync.lock import RunLock, lock_path

WRITES = ("/connection/add", "/connection/remove", "/category/add")


@pytest.fixture
def slow(tmp_path):
    with Simulator(version="23.8", auth_file=tmp_path / "xpipe" / "beacon-auth", latency_ms=25) as sim:
        yield sim


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "migrator", "--no-progress", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def writes(sim) -> int:
    return sum(sim.requests[p] for p in WRITES)


def wait_for_writes(sim, proc, n: int = 5) -> None:
    limit = time.monotonic() + 60
    while writes(sim) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < limit
        time.sleep(0.005)


def ledger_runs(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r for (r,) in db.execute("SELECT id FROM runs")]
    finally:
        db.close()


def test_a_second_sync_is_refused_with_one_line_naming_the_holder(slow, tmp_path):
    rows = inventory_rows(60)
    job = write_job(tmp_path, slow.url, slow.auth_file, rows)
    first = start("sync", str(job))
    wait_for_writes(slow, first)
    journal_runs = set(ledger_runs(tmp_path / "state" / "faults.sqlite"))
    second = start("sync", str(job), "--lock-wait", "0")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"PID {first.pid} on {socket.gethostname()}, started 20" in lines[0]
    assert "another run is writing with this ledger" in lines[0] and "xpipe-migrate sync" in lines[0]
    assert first.poll() is None  # the refusal came while the first run was still writing
    assert first.wait(timeout=120) == 0, first.communicate()
    # the second run never opened the ledger for writing: the only runs recorded are the first one's
    assert set(ledger_runs(tmp_path / "state" / "faults.sqlite")) == journal_runs
    assert_vault_equals_source(slow, rows, tmp_path / "state" / "faults.sqlite")


def test_a_second_run_that_may_wait_runs_after_the_first(slow, tmp_path):
    rows = inventory_rows(40)
    job = write_job(tmp_path, slow.url, slow.auth_file, rows)
    first = start("sync", str(job))
    wait_for_writes(slow, first)
    second = start("sync", str(job), "--lock-wait", "120", "--format", "json")
    out, err = second.communicate(timeout=180)
    assert first.wait(timeout=10) == 0
    assert second.returncode == 0, err
    doc = json.loads(out)
    assert [c for c in doc["changes"] if c["action"] != "unchanged" and c["kind"] != "category"] == []
    assert_vault_equals_source(slow, rows, tmp_path / "state" / "faults.sqlite")


def test_reading_runs_take_no_lock_and_do_not_wait(slow, tmp_path):
    """``plan`` and ``sync --dry-run`` while a sync writes: no waiting, no refusal, ledger untouched."""
    rows = inventory_rows(60)
    job = write_job(tmp_path, slow.url, slow.auth_file, rows)
    first = start("sync", str(job))
    wait_for_writes(slow, first)
    for args in (("sync", str(job), "--dry-run"), ("plan", "--job", str(job))):
        reader = start(*args)
        _, err = reader.communicate(timeout=60)
        assert reader.returncode in (0, 2), err  # changes pending (or not), never refused
        assert first.poll() is None or first.returncode == 0
    assert first.wait(timeout=120) == 0
    refused = start("sync", str(job), "--dry-run", "--lock-wait", "5")
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 1 and "--lock-wait cannot be used with --dry-run" in err


def test_a_killed_run_leaves_no_lock_and_the_next_run_takes_over(slow, tmp_path):
    rows = inventory_rows(60)
    job = write_job(tmp_path, slow.url, slow.auth_file, rows)
    first = start("sync", str(job))
    wait_for_writes(slow, first, 8)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    ledger = tmp_path / "state" / "faults.sqlite"
    record = json.loads(lock_path(ledger).read_text())
    assert record["pid"] == first.pid  # what the killed run left: a record, but no lock
    second = start("sync", str(job), "--lock-wait", "0", "--format", "json")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    notes = [d for d in json.loads(out)["diagnostics"] if d["code"] == "lock-taken-over"]
    assert len(notes) == 1 and f"PID {first.pid}" in notes[0]["message"]
    assert lock_path(ledger).read_text() == ""  # a clean end leaves no record
    assert_vault_equals_source(slow, rows, ledger)


def test_two_adhoc_applies_to_one_vault_and_root_exclude_each_other(slow, tmp_path):
    from helpers.csv_files import write_csv

    write_csv(tmp_path / "servers.csv", inventory_rows(50))
    args = ("apply", str(tmp_path / "servers.csv"), "--yes", "--target", slow.url, "--auth-file", str(slow.auth_file))
    env = {"XDG_STATE_HOME": str(tmp_path / "state-home")}
    first = start(*args, env=env)
    wait_for_writes(slow, first)
    second = start(*args, "--lock-wait", "0", env=env)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1 and re.search(rf"PID {first.pid} on .*, started ", err), err
    assert first.wait(timeout=120) == 0
    other_root = start(*args, "--root-category", "Elsewhere", "--lock-wait", "0", env=env)
    _, err = other_root.communicate(timeout=120)
    # another root category is another ledger, so no lock stops it (XPipe's names are vault-wide,
    # so the same hosts under another root are conflicts: exit 4, not the lock's exit 1)
    assert other_root.returncode == 4 and "conflict" in err and "another run" not in err, err


def test_locks_exclude_within_one_process_too(tmp_path):
    ledger = tmp_path / "x.sqlite"
    with RunLock(ledger, wait=0, command="xpipe-migrate sync a.toml"):
        with pytest.raises(Exception, match=r"PID \d+ on .*started .*\(xpipe-migrate sync a.toml\)"):
            RunLock(ledger, wait=0.3).acquire()
    with RunLock(ledger, wait=0) as lock:  # released: free again, and no record of a killed holder
        assert lock.previous is None
