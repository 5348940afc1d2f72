"""Issue 16: a damaged or unusable ledger stops the run with one line, before anything reaches XPipe.

Each class of damage is made to a real ledger (written by a real sync), then ``sync`` runs as a user
runs it (a subprocess) after the source gained a host, so a run that went ahead would write: it must
exit 1 with one ``xpipe-migrate: error:`` line naming the file, no traceback, and the simulator must
have seen no write request and hold the same vault.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.faults import inventory_rows, sync_cli, vault_entries, write_job

from migrator.simulator import Simulator

WRITES = ("/connection/add", "/connection/remove", "/category/add", "/category/remove")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A vault and the ledger that wrote it (copied by each test), and the simulator serving it."""
    base = tmp_path_factory.mktemp("written")
    with Simulator(version="23.8", auth_file=base / "xpipe" / "beacon-auth") as sim:
        rows = inventory_rows(10)
        job = write_job(base, sim.url, sim.auth_file, rows)
        assert sync_cli(job).returncode == 0
        yield sim, base / "state" / "faults.sqlite", rows


def _job(tmp_path, sim, rows, state: str) -> Path:
    job = write_job(tmp_path, sim.url, sim.auth_file, rows + [{"name": "flt-new", "host": "new.example.net"}])
    text = job.read_text().replace('state = "state/faults.sqlite"', f'state = "{state}"')
    job.write_text(text)
    return job


def _refused(sim, job, *args, expect: str) -> str:
    before = vault_entries(sim)
    sim.reset_counters()
    proc = sync_cli(job, *args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("xpipe-migrate: error: "), proc.stderr
    assert expect in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert sum(sim.requests[p] for p in WRITES) == 0
    assert vault_entries(sim) == before
    return lines[0]


def _copy(ledger: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ledger, dest)
    return dest


def _truncated(src: Path, dest: Path) -> None:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])


def _empty(src: Path, dest: Path) -> None:
    dest.write_bytes(b"")


def _garbage(src: Path, dest: Path) -> None:
    dest.write_bytes(os.urandom(8192))


def _newer(src: Path, dest: Path) -> None:
    _copy(src, dest)
    db = sqlite3.connect(dest)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()


def _garbled_schema(src: Path, dest: Path) -> None:
    _copy(src, dest)
    db = sqlite3.connect(dest)
    db.execute("UPDATE meta SET value = 'three' WHERE key = 'schema_version'")
    db.commit()
    db.close()


def _foreign(src: Path, dest: Path) -> None:
    db = sqlite3.connect(dest)
    db.execute("CREATE TABLE bookmarks (url TEXT)")
    db.commit()
    db.close()


def _corrupt_page(src: Path, dest: Path) -> None:
    """Bytes overwritten inside the file (a bad disk, a torn copy): the header still says SQLite."""
    data = bytearray(src.read_bytes())
    page = 4096
    for i in range(page * 2 + 8, min(len(data), page * 2 + 2000)):
        data[i] = 0xA5
    dest.write_bytes(bytes(data))


DAMAGE = {
    "truncated": (_truncated, "damaged"),
    "empty": (_empty, "the ledger is empty (truncated?)"),
    "garbage": (_garbage, "damaged or not a ledger"),
    "newer-schema": (_newer, "ledger schema 99 is newer than this xpipe-migrate understands"),
    "garbled-schema": (_garbled_schema, "schema record is missing or garbled"),
    "foreign-sqlite": (_foreign, "not an xpipe-migrate ledger"),
    "corrupt-page": (_corrupt_page, "damaged"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_ledger_stops_every_command_before_xpipe(written, tmp_path, damage):
    sim, ledger, rows = written
    make, expect = DAMAGE[damage]
    target = tmp_path / "state" / "damaged.sqlite"
    target.parent.mkdir()
    make(ledger, target)
    job = _job(tmp_path, sim, rows, "state/damaged.sqlite")
    damaged = target.read_bytes()
    line = _refused(sim, job, expect=expect)
    assert str(target) in line
    _refused(sim, job, "--dry-run", expect=expect)  # a reading run refuses it too
    assert target.read_bytes() == damaged  # and nobody "repaired" it


def test_a_ledger_path_that_is_a_folder(written, tmp_path):
    sim, _, rows = written
    (tmp_path / "state" / "ledger.sqlite").mkdir(parents=True)
    _refused(sim, _job(tmp_path, sim, rows, "state/ledger.sqlite"), expect="the ledger path is a folder")


def test_a_ledger_path_that_is_a_dangling_link(written, tmp_path):
    sim, _, rows = written
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "ledger.sqlite").symlink_to(tmp_path / "gone" / "ledger.sqlite")
    job = _job(tmp_path, sim, rows, "state/ledger.sqlite")
    _refused(sim, job, expect="the ledger path is a link to nothing")
    _refused(sim, job, "--dry-run", expect="the ledger path is a link to nothing")
    assert not (tmp_path / "gone").exists()


def test_a_ledger_under_a_file(written, tmp_path):
    sim, _, rows = written
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    _refused(sim, _job(tmp_path, sim, rows, "notes.txt/ledger.sqlite"), expect="is not a folder")


@contextmanager
def read_only(path: Path):
    """``path`` (a file or folder) made unwritable, also for root (the immutable flag), and checked."""
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        probe = path / ".probe" if path.is_dir() else path
        with pytest.raises(OSError):
            if path.is_dir():
                probe.write_text("x")
            else:
                with probe.open("a") as fh:
                    fh.write("x")
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_ledger_stops_a_writing_run_but_not_a_reading_one(written, tmp_path, what):
    sim, ledger, rows = written
    state = tmp_path / "state"
    target = _copy(ledger, state / "faults.sqlite")
    job = _job(tmp_path, sim, rows, "state/faults.sqlite")
    before = target.read_bytes()
    with read_only(state if what == "folder" else target):
        _refused(sim, job, expect="not writable")
        sim.reset_counters()
        dry = sync_cli(job, "--dry-run")
        assert dry.returncode == 2, dry.stderr  # the new host is pending; planned from the read-only ledger
        assert sum(sim.requests[p] for p in WRITES) == 0
    assert target.read_bytes() == before


def test_an_older_ledger_is_upgraded_by_a_writing_run_only(sim, tmp_path):
    """A schema 2 ledger (no journal digests): read as it is by a dry run, upgraded by a sync."""
    rows = inventory_rows(10)
    assert sync_cli(write_job(tmp_path, sim.url, sim.auth_file, rows)).returncode == 0
    target = tmp_path / "state" / "faults.sqlite"
    db = sqlite3.connect(target)
    db.execute("ALTER TABLE journal DROP COLUMN sent")
    db.execute("ALTER TABLE journal DROP COLUMN effect")
    db.execute("ALTER TABLE journal DROP COLUMN category")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    job = _job(tmp_path, sim, rows, "state/faults.sqlite")
    assert sync_cli(job, "--dry-run").returncode == 2
    db = sqlite3.connect(target)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    db.close()
    assert sync_cli(job).returncode == 0
    db = sqlite3.connect(target)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    assert {"sent", "effect", "category"} <= {r[1] for r in db.execute("PRAGMA table_info(journal)")}
    db.close()
