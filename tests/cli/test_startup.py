"""What a command loads: only what it runs (``benchmarks/bench_inspect.py`` measures the time it saves).

``python -X importtime`` lists every module a run imports, which is deterministic, unlike a timing:
reading a CSV must not load the XPipe client, the planner or any heavy third-party package, and a
plan of hosts without key files must not load paramiko or the progress bar.
"""

from __future__ import annotations

import re
import subprocess
import sys

from helpers.paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"
HEAVY = {"requests", "urllib3", "openpyxl", "paramiko", "cryptography", "tqdm", "nacl", "bcrypt"}


def imported(*argv: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "migrator", *argv], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$", proc.stderr, re.MULTILINE))
    assert "migrator.cli" in names  # the listing itself works
    return names


def roots(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_inspect_of_a_csv_loads_no_xpipe_stage_and_no_heavy_package():
    names = imported("inspect", "--format", "json", str(SAMPLES / "servers.csv"))
    assert not roots(names) & HEAVY, sorted(roots(names) & HEAVY)
    stages = {n for n in names if n.startswith(("migrator.xpipe.client", "migrator.apply", "migrator.plan"))}
    stages |= {n for n in names if n.startswith(("migrator.mapper", "migrator.simulator", "migrator.sync.ledger"))}
    assert not stages, sorted(stages)
    assert not {n for n in names if n.startswith("migrator.cli.") and n.split(".")[2] in ("apply", "sync", "audit")}


def test_inspect_of_a_workbook_loads_openpyxl_and_nothing_else_heavy():
    names = imported("inspect", str(SAMPLES / "excel" / "inventory.xlsx"))
    assert roots(names) & HEAVY == {"openpyxl"}


def test_plan_without_key_files_loads_neither_paramiko_nor_the_loader(tmp_path):
    inventory = tmp_path / "servers.csv"
    inventory.write_text("name,host,user,password\nweb1,web1.example.net,ops,Start-Pass-1\n", encoding="utf-8")
    names = imported("plan", str(inventory), "--target", "embedded")
    assert not roots(names) & {"paramiko", "tqdm", "openpyxl", "nacl", "bcrypt"}
    assert not {n for n in names if n.startswith(("migrator.apply", "migrator.mapper.keys", "migrator.sync.job"))}
    assert "migrator.plan.plan" in names and "migrator.simulator" in names
