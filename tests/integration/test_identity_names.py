"""Shared identities keep their names and ledger keys across edits of the source (the CLI over HTTP).

The bug: one user with two passwords gets ``ops (password) #1`` and ``#2``, numbered by where their
groups first appear. An edit that changes that order swapped the names, so each identity was to take
the other's data; XPipe keeps one entry per identical data, so both were conflicts on every later
run (exit 4 forever, no fault involved). Now an identity is what it holds: its name and key stay,
a changed password updates it in place, and only a new credential gets a new ``#n``.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3

import pytest
from helpers.csv_files import write_csv
from helpers.faults import LosingProxy, journal, report, sync_cli, write_job
from helpers.identities import assert_hosts_use_their_own_credentials, identity_of, read_credentials
from helpers.native_cli import cli
from helpers.paths import REPO_ROOT

from migrator.apply.window import WINDOW
from migrator.mapper.desired import canonical_json
from migrator.simulator import Simulator
from migrator.xpipe.inplace import encode_inplace

STUCK = REPO_ROOT / "tests" / "data" / "ledgers" / "stuck-identity-names"


def two_groups() -> list[dict]:
    """ops with two passwords, each used by two hosts: A first in the file and by name."""
    return [
        {"name": "a1", "host": "10.0.0.1", "user": "ops", "password": "Pass-A"},
        {"name": "a2", "host": "10.0.0.2", "user": "ops", "password": "Pass-A"},
        {"name": "b1", "host": "10.0.0.3", "user": "ops", "password": "Pass-B"},
        {"name": "b2", "host": "10.0.0.4", "user": "ops", "password": "Pass-B"},
    ]


def _rename_a(rows):
    for r in rows[:2]:
        r["name"] = "z" + r["name"]


def _reverse(rows):  # B first in the file, A still first by name
    rows.reverse()


def _new_b_first(rows):
    rows.insert(0, {"name": "a0", "host": "10.0.0.9", "user": "ops", "password": "Pass-B"})


def _swap_passwords(rows):
    for r in rows:
        r["password"] = {"Pass-A": "Pass-B", "Pass-B": "Pass-A"}[r["password"]]


EDITS = {"rename": _rename_a, "reverse": _reverse, "new-host-first": _new_b_first, "swap": _swap_passwords}


def changes(proc, *actions) -> list[tuple[str, str, str]]:
    return sorted(
        (c["action"], c["kind"], c["name"])
        for c in report(proc).get("changes", [])
        if not actions or c["action"] in actions
    )


def converged(job):
    """Two more plain runs: the first may settle, the second must change nothing and write nothing."""
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    again = sync_cli(job)
    assert again.returncode == 0, again.stderr[-2000:]
    assert changes(again, "create", "update", "recreate", "conflict", "delete", "quarantine") == []
    assert report(again)["apply"]["write_requests"] == 0
    return again


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_that_reorders_two_password_groups_converges_with_the_names_kept(sim, tmp_path, edit):
    rows = two_groups()
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    first = sync_cli(job)
    assert first.returncode == 0, first.stderr[-2000:]
    before, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert sorted(i.name for i in before.values()) == ["ops (password) #1", "ops (password) #2"]
    old = {pw: identity_of(before, "ops", pw) for pw in ("Pass-A", "Pass-B")}

    EDITS[edit](rows)
    write_csv(tmp_path / "servers.csv", rows)
    second = sync_cli(job)
    assert second.returncode == 0, second.stderr[-3000:]
    assert changes(second, "conflict") == []
    assert not [c for c in changes(second) if c[1] == "identity" and c[0] != "unchanged"], changes(second)
    after, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert {pw: identity_of(after, "ops", pw) for pw in old} == old  # same UUID, same name, same password
    converged(job)


def test_a_changed_password_updates_its_identity_in_place(sim, tmp_path):
    rows = two_groups()
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    assert sync_cli(job).returncode == 0
    before, hosts_before = assert_hosts_use_their_own_credentials(sim, rows)
    a = identity_of(before, "ops", "Pass-A")
    for r in rows[:2]:
        r["password"] = "Pass-A-rotated"
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert changes(proc, "create", "update", "recreate", "delete") == [("update", "identity", a.name)]
    after, hosts_after = assert_hosts_use_their_own_credentials(sim, rows)
    rotated = identity_of(after, "ops", "Pass-A-rotated")
    assert (rotated.uuid, rotated.name) == (a.uuid, a.name)
    assert hosts_after == {n: h for n, h in hosts_before.items() if n not in ("a1", "a2")} | {
        n: hosts_after[n] for n in ("a1", "a2")
    }
    assert {hosts_after[n].uuid for n in ("a1", "a2")} == {hosts_before[n].uuid for n in ("a1", "a2")}
    converged(job)


def test_a_new_credential_takes_the_next_free_number_and_names_are_never_reused_while_owned(sim, tmp_path):
    rows = two_groups()
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    job.write_text(job.read_text() + "\n[prune]\nenabled = true\nmax_percent = 100\nmin_owned = 0\n")
    job.write_text(job.read_text() + "quarantine_days = 7\n")
    assert sync_cli(job).returncode == 0
    # group A merges into B: A's identity is unused and quarantined, its name stays taken
    for r in rows[:2]:
        r["password"] = "Pass-B"
    rows += [
        {"name": "c1", "host": "10.0.0.5", "user": "ops", "password": "Pass-C"},
        {"name": "c2", "host": "10.0.0.6", "user": "ops", "password": "Pass-C"},
    ]
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert changes(proc, "create", "update", "recreate", "quarantine", "delete") == sorted(
        [
            ("create", "host", "c1"),
            ("create", "host", "c2"),
            ("create", "identity", "ops (password) #3"),
            ("quarantine", "identity", "ops (password) #1"),
            ("update", "host", "a1"),
            ("update", "host", "a2"),
        ]
    )
    identities, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert identity_of(identities, "ops", "Pass-B").name == "ops (password) #2"
    assert identity_of(identities, "ops", "Pass-C").name == "ops (password) #3"
    converged(job)


def test_names_compare_like_equals_ignore_case(sim, tmp_path):
    """``ops`` and ``OPS`` are two users, but their base names are one name to XPipe."""
    rows = [
        {"name": "u1", "host": "10.0.1.1", "user": "ops", "password": "Pass-1"},
        {"name": "u2", "host": "10.0.1.2", "user": "ops", "password": "Pass-1"},
        {"name": "U3", "host": "10.0.1.3", "user": "OPS", "password": "Pass-1"},
        {"name": "U4", "host": "10.0.1.4", "user": "OPS", "password": "Pass-1"},
    ]
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    assert sync_cli(job).returncode == 0
    before, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert sorted(i.name for i in before.values()) == ["ops (password) #1", "ops (password) #2"]
    rows.reverse()
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert after == before
    converged(job)


def test_a_name_with_the_connection_count_follows_it(sim, tmp_path):
    """``{n}`` in the template: the name says how many hosts share it, so it changes with them (XPipe has
    no rename: removed and added again, its hosts re-pointed), and the other identity is left alone."""
    rows = two_groups()
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    job.write_text(job.read_text() + 'identity_name = "{user} ({n} hosts)"\n')
    assert sync_cli(job).returncode == 0
    before, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert sorted(i.name for i in before.values()) == ["ops (2 hosts) #1", "ops (2 hosts) #2"]
    rows.append({"name": "b3", "host": "10.0.0.7", "user": "ops", "password": "Pass-B"})
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert identity_of(after, "ops", "Pass-B").name == "ops (3 hosts)"
    assert identity_of(after, "ops", "Pass-A") == identity_of(before, "ops", "Pass-A")
    converged(job)


def test_an_identity_add_whose_answer_was_lost_keeps_its_name_through_a_reorder(sim, tmp_path):
    """Issue 16 and the names: the add of ``#2`` arrives but its answer is lost (XPipe goes away). The
    source is then reordered; the next run finds the identity under the name and key it was sent with."""
    rows = two_groups()

    def second_identity(path, body):
        return path.endswith("/add") and body.get("name") == "ops (password) #2"

    with LosingProxy(sim.url, second_identity, then="vanish") as proxy:
        job = write_job(tmp_path, proxy.url, sim.auth_file, rows)
        first = sync_cli(job)
    assert proxy.lost and first.returncode == 5, first.stderr[-2000:]
    ledger = tmp_path / "state" / "faults.sqlite"
    # #2 is open as uncertain; the writes in flight beside it when XPipe went away (the loader's window)
    # lost their answers too, and nothing else is left open
    still_open = [r for r in journal(ledger) if r[2] in ("pending", "uncertain")]
    assert ("add", "ops (password) #2", "uncertain") in still_open and len(still_open) <= WINDOW, still_open

    rows.reverse()
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    second = sync_cli(job)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "journal-reconciled" in {d["code"] for d in report(second)["diagnostics"]}
    identities, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert identity_of(identities, "ops", "Pass-A").name == "ops (password) #1"
    assert identity_of(identities, "ops", "Pass-B").name == "ops (password) #2"
    assert [r for r in journal(ledger) if r[2] in ("pending", "uncertain", "drift")] == []
    converged(job)


@pytest.mark.parametrize("then", ["vanish", "fail"])
def test_a_rename_whose_add_answer_was_lost_is_finished_under_the_new_name(sim, tmp_path, then):
    """A rename is a remove and an add; the add arrives, its answer does not. The next run (or the same
    one, when XPipe stays) finds the identity under the name it was sent with and re-points the hosts."""
    rows = two_groups()[:2]
    template = 'identity_name = "{user} ({n} hosts)"\n'
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    job.write_text(job.read_text() + template)
    assert sync_cli(job).returncode == 0
    rows.append({"name": "a3", "host": "10.0.0.8", "user": "ops", "password": "Pass-A"})
    write_csv(tmp_path / "servers.csv", rows)

    def renamed(path, body):
        return path.endswith("/add") and body.get("name") == "ops (3 hosts)"

    with LosingProxy(sim.url, renamed, then=then, fail_next=3) as proxy:
        job = write_job(tmp_path, proxy.url, sim.auth_file, rows)
        job.write_text(job.read_text() + template)
        first = sync_cli(job)
    assert proxy.lost and first.returncode in (4, 5), first.stderr[-2000:]
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    job.write_text(job.read_text() + template)
    second = sync_cli(job)
    assert second.returncode == 0, second.stderr[-3000:]
    identities, _ = assert_hosts_use_their_own_credentials(sim, rows)
    assert [i.name for i in identities.values()] == ["ops (3 hosts)"]
    assert [r for r in journal(tmp_path / "state" / "faults.sqlite") if r[2] in ("pending", "uncertain", "drift")] == []
    converged(job)


def test_a_ledger_the_previous_version_left_stuck_converges_in_one_run(tmp_path):
    """``tests/data/ledgers/stuck-identity-names``: the vault and ledger that version 2debc84 wrote for
    an inventory, and the edit (hosts renamed, rows reversed) that made every later run of that version
    exit 4. This version keeps the names that ledger gave (a fresh vault would give them otherwise)
    and finishes the edit in one run, without re-creating an identity."""
    work = tmp_path / "job"
    shutil.copytree(STUCK, work, ignore=shutil.ignore_patterns("ledger.sql"))
    (work / "state").mkdir(mode=0o700)
    ledger = work / "state" / "upgrade.sqlite"
    db = sqlite3.connect(ledger)
    db.executescript((STUCK / "ledger.sql").read_text(encoding="utf-8"))
    db.close()
    ledger.chmod(0o600)
    with (work / "servers.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fresh = cli("plan", "servers.csv", "--target", "embedded", "--format", "json", cwd=work)
    assert fresh.returncode == 2, fresh.stderr[-2000:]
    fresh_names = sorted(c["name"] for c in json.loads(fresh.stdout)["changes"] if c["kind"] == "identity")
    assert fresh_names == ["OPS (password) #1", "ops (password) #2", "ops (password) #3"]  # in file order
    auth = tmp_path / "xpipe" / "beacon-auth"
    with Simulator(state_dir=work / "vault", auth_file=auth) as sim:
        before, _ = read_credentials(sim)
    assert sorted(i.name for i in before.values()) == ["ops (password)", "ops (password) #1", "ops (password) #2"]
    assert identity_of(before, "ops", "Old-Pass-A").name == "ops (password) #1"  # by its first key's name

    proc = cli("sync", "job.toml", "--format", "json", cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [c for c in changes(proc) if c[1] == "identity" and c[0] != "unchanged"], changes(proc)
    again = cli("sync", "job.toml", "--format", "json", cwd=work)
    assert again.returncode == 0 and report(again)["apply"]["write_requests"] == 0, again.stderr[-2000:]
    with Simulator(state_dir=work / "vault", auth_file=auth) as sim:
        after, hosts = assert_hosts_use_their_own_credentials(sim, rows)
    assert after == before  # the same UUIDs, names and passwords: nothing re-created
    assert sorted(hosts) == sorted(r["name"] for r in rows)


def _edit_password_in_xpipe(client, name: str, password: str) -> None:
    uuid = next(u for u in client.query_stores("**", name, "ssh"))
    raw = client.store_info([uuid])[0][0]["rawData"]
    strategy = {"type": "inPlace", "value": encode_inplace(password)}
    store = dict(raw["identity"]["identityStore"], password=client.encrypt(canonical_json(strategy)))
    client.add_store(name, dict(raw, type="ssh", identity=dict(raw["identity"], identityStore=store)))


@pytest.mark.parametrize("shared", [False, True], ids=["in-place", "shared"])
def test_a_password_removed_from_the_source_is_removed_from_xpipe(sim, client, tmp_path, shared):
    """A secret replaced by one of another shape (a password by none) is a change of the source, not
    drift: the last applied digest is of the whole strategy, not of it cut to the new one's keys."""
    rows = two_groups() if shared else two_groups()[:1]
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    assert sync_cli(job).returncode == 0
    rows[0]["password"] = ""
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not any(f["drift"] for c in report(proc)["changes"] for f in c["fields"]), report(proc)["changes"]
    assert_hosts_use_their_own_credentials(sim, rows)
    converged(job)


def test_a_password_changed_in_xpipe_and_removed_from_the_source_is_drift_and_kept(sim, client, tmp_path):
    rows = two_groups()[:1]
    job = write_job(tmp_path, sim.url, sim.auth_file, rows)
    assert sync_cli(job).returncode == 0
    _edit_password_in_xpipe(client, "a1", "Changed-In-XPipe")
    rows[0]["password"] = ""
    write_csv(tmp_path / "servers.csv", rows)
    proc = sync_cli(job)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (change,) = [c for c in report(proc)["changes"] if c["name"] == "a1"]
    assert [(f["path"], f["drift"], f["kept"]) for f in change["fields"]] == [
        ("identity.identityStore.password", True, True)
    ]
    _, hosts = read_credentials(sim)
    assert hosts["a1"].password == "Changed-In-XPipe"
    assert sync_cli(job, "--force").returncode == 0
    assert_hosts_use_their_own_credentials(sim, rows)
