"""Property (issue 10 §1): with prune on, no entry whose source row still exists is ever removed.

Random CSV inventories and random edits (rows invalidated, moved between folders, renamed, reordered,
duplicated, deleted), synced over HTTP into a fresh simulator with quarantine_days 0 and 7:

* every row still in the source (valid or not) that owned an entry still owns one that is in XPipe;
* a row that cannot be imported keeps its entry byte for byte (same UUID, data and category);
* one XPipe UUID has one ledger row, and once settled every entry the job made is owned;
* the vault converges: a later run has nothing left to write. Usually that is the run after the
  edit; when keys of repeated names shift (``web``, ``web#2``) renames and XPipe's collapse of
  identical data have to clear one per run, so the bound is the number of rows plus three.

The oracle computes source keys from the CSV itself with the documented rule (the name, ``#2``,
``#3`` for repeats in file order), not from the migrator.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from helpers.csv_files import write_csv
from helpers.sync_safety import ledger_rows, vault, write_job
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from migrator.manager import Manager
from migrator.simulator import Simulator
from migrator.sync.job import load_job
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

NAMES = ["web", "db", "app", "mail"]
FOLDERS = ["Prod", "Dev", "Stage/Eu", ""]

rows_strategy = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(FOLDERS)), min_size=1, max_size=6)
edit_strategy = st.one_of(
    st.tuples(st.just("invalidate"), st.integers(0, 11), st.none()),
    st.tuples(st.just("move"), st.integers(0, 11), st.sampled_from(FOLDERS)),
    st.tuples(st.just("rename"), st.integers(0, 11), st.sampled_from([*NAMES, "dns", "proxy"])),
    st.tuples(st.just("reorder"), st.integers(0, 2**16), st.none()),
    st.tuples(st.just("duplicate"), st.integers(0, 11), st.none()),
    st.tuples(st.just("delete"), st.integers(0, 11), st.none()),
)


def apply_edit(rows: list[dict], edit: tuple) -> None:
    op, n, arg = edit
    i = n % len(rows)
    if op == "invalidate":
        rows[i] = dict(rows[i], port="22x")
    elif op == "move":
        rows[i] = dict(rows[i], folder=arg)
    elif op == "rename":
        rows[i] = dict(rows[i], name=arg)
    elif op == "reorder":
        random.Random(n).shuffle(rows)
    elif op == "duplicate":
        rows.insert(i + 1, dict(rows[i]))
    elif op == "delete" and len(rows) > 1:
        del rows[i]


def source_keys(rows: list[dict]) -> dict[str, dict]:
    """key -> row, by the documented rule: the name, then ``name#n`` for its n-th repeat."""
    counts: dict[str, int] = {}
    out = {}
    for row in rows:
        n = counts[row["name"]] = counts.get(row["name"], 0) + 1
        out[f"csv:servers.csv#{row['name'] if n == 1 else row['name'] + '#' + str(n)}"] = row
    return out


def run(job: Path):
    return Manager(load_job(job).to_run(progress=False)).execute(apply=True)


@settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its example at once
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    initial=rows_strategy,
    edits=st.lists(edit_strategy, min_size=1, max_size=5),
    quarantine_days=st.sampled_from([0, 7]),
)
def test_no_present_row_loses_its_entry_and_the_vault_converges(initial, edits, quarantine_days):
    rows = [
        {"name": name, "host": f"h{i}.example.net", "port": "22", "user": "ops", "folder": folder}
        for i, (name, folder) in enumerate(initial)
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        Simulator(version="23.8", auth_file=Path(tmp) / "xpipe" / "beacon-auth") as sim,
    ):
        tmp_path = Path(tmp)
        client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
        client.connect()
        try:
            write_csv(tmp_path / "servers.csv", rows)
            job = write_job(
                tmp_path,
                sim.url,
                sim.auth_file,
                '[[source]]\npath = "servers.csv"\nformat = "csv"',
                quarantine_days=quarantine_days,
            )
            first = run(job)
            assert first.refused is None and not first.result.failed
            owned_before, live_before = ledger_rows(job), vault(client)

            for edit in edits:
                apply_edit(rows, edit)
            write_csv(tmp_path / "servers.csv", rows)
            present = source_keys(rows)
            runs = len(rows) + 3
            for _ in range(runs):
                outcome = run(job)
                owned, live = ledger_rows(job), vault(client)
                for key, row in present.items():
                    if key not in owned_before:
                        continue
                    assert key in owned, (key, edits)  # its ledger row was neither pruned nor taken
                    assert owned[key][0] in live, (key, edits)  # and its entry is in XPipe
                    if row["port"] == "22x":
                        uuid = owned_before[key][0]
                        assert owned[key][0] == uuid and live[uuid] == live_before[uuid], (key, edits)
                assert len({u for u, _, _ in owned.values()}) == len(owned)
                if outcome.refused is not None:
                    assert live == live_before  # a refused run touches nothing
                    break
                if not outcome.plan.has_changes:
                    # settled: every entry the job made is owned by exactly one row, none orphaned
                    assert set(live) == {u for u, _, _ in owned.values()}, edits
                    break
            else:
                raise AssertionError(f"not converged after {runs} runs: {edits}")
        finally:
            client.close()
