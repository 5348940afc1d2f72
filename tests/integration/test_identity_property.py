"""Property: shared identities are what they hold, whatever an edit does to the order of the source.

Random inventories where users have several passwords (so one user has ``#1``, ``#2`` ... identities;
``ops`` and ``OPS`` are two users whose names XPipe takes for one), synced over HTTP into a fresh
simulator, then edited (rows reordered, renamed, deleted, added, given another password or user)
and synced again, with prune on or off and a name template with or without the ``{n}`` count:

* the run after the edit exits 0 (no conflict, nothing failed), and a dry run after it has nothing
  left to do (with the count in the template, after one more run: a rename that would empty the
  identity of hosts the same run prunes waits for them to be gone);
* every host uses an identity that holds its own user and password; no two identities hold one
  credential or show one name;
* a credential shared before and after the edit keeps its identity: the same UUID and, unless the
  template counts hosts and the count changed, the same name;
* with prune on (no grace period) no identity is left that no host uses.

Derandomized (tests/conftest.py); a deeper random run draws new examples each time:
``HYPOTHESIS_PROFILE=deep python -m pytest -q tests/integration/test_identity_property.py``
(README, "Development").
"""

from __future__ import annotations

import contextlib
import io
import random
import tempfile
from collections import Counter
from pathlib import Path

from helpers.csv_files import write_csv
from helpers.faults import write_job
from helpers.identities import assert_hosts_use_their_own_credentials, identity_of
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from migrator.cli import main
from migrator.simulator import Simulator

USERS = ["ops", "OPS", "deploy"]
TEMPLATES = ["{user} ({method})", "{user} [{n}]"]

row = st.tuples(st.sampled_from(USERS), st.integers(0, 3))
edit = st.one_of(
    st.tuples(st.just("reorder"), st.integers(0, 2**16), st.none()),
    st.tuples(st.just("rename"), st.integers(0, 11), st.none()),
    st.tuples(st.just("delete"), st.integers(0, 11), st.none()),
    st.tuples(st.just("add"), st.integers(0, 11), row),
    st.tuples(st.just("password"), st.integers(0, 11), st.integers(0, 3)),
    st.tuples(st.just("user"), st.integers(0, 11), st.sampled_from(USERS)),
)


def make_row(i: int, user: str, password: int) -> dict:
    return {
        "name": f"h{i}",
        "host": f"10.7.0.{i + 1}",
        "user": user,
        "password": f"{user}-Pw-{password}" if password else "",
    }


def apply_edit(rows: list[dict], change: tuple, serial: list[int]) -> None:
    op, n, arg = change
    i = n % len(rows)
    if op == "reorder":
        random.Random(n).shuffle(rows)
    elif op == "rename":
        rows[i]["name"] += "r"
    elif op == "delete" and len(rows) > 1:
        del rows[i]
    elif op == "add":
        serial[0] += 1
        rows.insert(i, make_row(serial[0], *arg))
    elif op == "password":
        rows[i]["password"] = f"{rows[i]['user']}-Pw-{arg}" if arg else ""
    elif op == "user":
        password = rows[i]["password"].rsplit("-", 1)[-1] if rows[i]["password"] else ""
        rows[i]["user"] = arg
        rows[i]["password"] = f"{arg}-Pw-{password}" if password else ""


def shared(rows: list[dict]) -> Counter:
    """(user, password) -> hosts, for the credentials that become shared identities (threshold 2)."""
    counts = Counter((r["user"], r["password"]) for r in rows if r["password"])
    return Counter({cred: n for cred, n in counts.items() if n >= 2})


def sync(job: Path, *extra: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["--no-progress", "-q", "sync", str(job), *extra])


@settings(  # examples and derandomizing from the profile (tests/conftest.py): 100 fixed, or deep
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its example at once
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    initial=st.lists(row, min_size=2, max_size=8),
    edits=st.lists(edit, min_size=1, max_size=4),
    prune=st.booleans(),
    template=st.sampled_from(TEMPLATES),
)
def test_identities_keep_what_they_hold_across_edits(initial, edits, prune, template):
    rows = [make_row(i, user, pw) for i, (user, pw) in enumerate(initial)]
    serial = [len(rows)]
    with tempfile.TemporaryDirectory() as tmp, Simulator(auth_file=Path(tmp) / "xpipe" / "beacon-auth") as sim:
        tmp_path = Path(tmp)
        job = write_job(tmp_path, sim.url, sim.auth_file, rows, name="names")
        job.write_text(job.read_text() + f'identity_name = "{template}"\n')
        if prune:
            job.write_text(
                job.read_text() + "\n[prune]\nenabled = true\nmax_percent = 100\nmin_owned = 0\nquarantine_days = 0\n"
            )
        assert sync(job) == 0, rows
        before, _ = assert_hosts_use_their_own_credentials(sim, rows)
        counts_before = shared(rows)

        for change in edits:
            apply_edit(rows, change, serial)
        write_csv(tmp_path / "servers.csv", rows)
        assert sync(job) == 0, (initial, edits, rows)
        if "{n}" in template:  # a rename waits for hosts that the same run prunes: one more run
            assert sync(job) == 0, (initial, edits, rows)
        after, hosts = assert_hosts_use_their_own_credentials(sim, rows)
        assert sync(job, "--dry-run") == 0, (initial, edits)

        counts_after = shared(rows)
        for cred in counts_before.keys() & counts_after.keys():
            old, new = identity_of(before, *cred), identity_of(after, *cred)
            assert new is not None and old is not None, (cred, edits)
            renamed = "{n}" in template and counts_before[cred] != counts_after[cred]
            if not renamed:
                assert (new.uuid, new.name) == (old.uuid, old.name), (cred, initial, edits)
        assert {u for u in after if identity_of(after, after[u].user, after[u].password)} == set(after)
        if prune:
            used = {h.identity for h in hosts.values()}
            assert set(after) <= used, (sorted(i.name for u, i in after.items() if u not in used), edits)
