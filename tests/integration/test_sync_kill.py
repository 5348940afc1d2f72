"""Kill test: a sync of 500 hosts killed (SIGKILL) at random points, then re-run, always converges.

The sync runs as a real subprocess against a simulator in this process. A kill point is the moment
the server has processed the k-th write (k random): the client may or may not have recorded that
write in its ledger, which is exactly the window the journal must cover.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers.csv_files import write_csv
from helpers.paths import REPO_ROOT

from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

ROOT = REPO_ROOT
HOSTS = 500
WRITES = ("/connection/add", "/connection/remove", "/category/add")


def write_inventory(path: Path) -> None:
    rows = [{"name": "kill-bastion", "host": "bastion.example.net", "user": "jump", "folder": "Infra"}]
    rows += [
        {
            "name": f"kill-{i:03d}",
            "host": f"10.{i // 250}.{i % 250}.10",
            "port": "22",
            "user": ("deploy", "ops", "root")[i % 3],
            "password": f"Kill-Pass-{i % 5}",
            "folder": f"Site{i % 4}/Rack{i % 7}",
            "jump": "kill-bastion" if i % 10 == 0 else "",
        }
        for i in range(1, HOSTS)
    ]
    write_csv(path, rows)


@pytest.fixture
def setup(tmp_path):
    write_inventory(tmp_path / "servers.csv")
    sim = Simulator(version="23.8", auth_file=tmp_path / "auth" / "beacon-auth").start()
    job = tmp_path / "job.toml"
    job.write_text(
        f"""
name = "killtest"
state = "state.sqlite"
[[source]]
path = "servers.csv"
format = "csv"
[target]
url = "{sim.url}"
auth = "local"
auth_file = "{sim.auth_file}"
[import]
root_category = "Imported"
""",
        encoding="utf-8",
    )
    try:
        yield sim, job, tmp_path
    finally:
        sim.stop()


def start_sync(job: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "migrator", "--no-progress", "sync", str(job), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def writes(sim) -> int:
    return sum(sim.requests[p] for p in WRITES)


def kill_after(sim, proc: subprocess.Popen, k: int, deadline: float = 60.0) -> int:
    """SIGKILL ``proc`` once the server has processed ``k`` more writes; returns the writes seen then."""
    start = writes(sim)
    limit = time.monotonic() + deadline
    while writes(sim) - start < k and proc.poll() is None and time.monotonic() < limit:
        time.sleep(0.0005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return writes(sim) - start


def vault_state(sim, tmp_path):
    client = XPipeClient(sim.url, LocalAuth(sim.auth_file)).connect()
    try:
        infos, _ = client.store_info(client.query_stores("**", "**", "*"))
    finally:
        client.close()
    return {i["uuid"]: (i["name"][-1], i["type"], tuple(i["category"])) for i in infos}


def assert_no_duplicates(vault: dict) -> None:
    counts = Counter((name, type_) for name, type_, _ in vault.values())
    assert [k for k, n in counts.items() if n > 1] == []


def assert_converged(sim, job, tmp_path) -> None:
    proc = start_sync(job)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    vault = vault_state(sim, tmp_path)
    assert_no_duplicates(vault)
    ssh = {u: v for u, v in vault.items() if v[1] == "ssh" and v[2][:1] == ("imported",)}
    assert sorted(v[0] for v in ssh.values()) == sorted(["kill-bastion"] + [f"kill-{i:03d}" for i in range(1, HOSTS)])
    identities = {u: v for u, v in vault.items() if v[1] == "localIdentity"}
    db = sqlite3.connect(tmp_path / "state.sqlite")
    rows = db.execute("SELECT uuid, name, type FROM entries WHERE quarantined_at IS NULL").fetchall()
    pending = db.execute("SELECT COUNT(*) FROM journal WHERE status = 'pending'").fetchone()[0]
    db.close()
    assert pending == 0
    ledger = {uuid: (name.lower(), type_) for uuid, name, type_ in rows}
    assert ledger == {u: (v[0], v[1]) for u, v in {**ssh, **identities}.items()}
    proc = start_sync(job, "--dry-run")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:] + err[-2000:]


def test_killed_at_twenty_random_points_then_rerun_converges(setup):
    sim, job, tmp_path = setup
    rng = random.Random(int(os.environ.get("XPIPE_MIGRATE_KILL_SEED", "20261122")))
    total = HOSTS + 25  # entries + categories + identities, roughly the writes of a whole run
    points = sorted(rng.sample(range(1, total), 20))
    seen = []
    for k in points:
        proc = start_sync(job)
        already = writes(sim)
        seen.append(already + kill_after(sim, proc, max(1, k - already)))
        assert_no_duplicates(vault_state(sim, tmp_path))
    assert len(set(seen)) >= 15, seen  # twenty kills landed at (almost all) different points
    assert_converged(sim, job, tmp_path)


@pytest.mark.parametrize("point", ["before-first-write", "after-one-write", "near-the-end"])
def test_single_kill_then_rerun(setup, point):
    sim, job, tmp_path = setup
    proc = start_sync(job)
    if point == "before-first-write":
        while sim.requests["/connection/query"] == 0 and proc.poll() is None:
            time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    else:
        kill_after(sim, proc, 1 if point == "after-one-write" else HOSTS + 5)
    assert_converged(sim, job, tmp_path)
