"""What a command loads: only what it runs (``benchmarks/bench_inspect.py`` measures the time it saves).

``python -X importtime`` lists every module a run imports, which is deterministic, unlike a timing:
reading a CSV must not load the XPipe client, the planner or any heavy third-party package, and a
plan of hosts without key files must not load paramiko or the progress bar.

Detection asks every registered format, so each format's source module is imported; that module
(and its package) must be all of the format a run loads unless the format is the one read: the
readers are imported by ``read``. ``sys.modules`` at exit is the list checked there, because
``-X importtime`` does not list a module imported through ``importlib.import_module``, which is how
the registry loads a format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from helpers.formats import file_formats
from helpers.paths import REPO_ROOT

from migrator.sources import registry, source_class

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


# ---- readers: imported by a read, never by detection -------------------------------------------

#: ``python -m migrator ARGS`` that writes the names in ``sys.modules`` at exit to $XPM_MODULES_OUT.
_RUN_AND_LIST = (
    "import atexit, os, runpy, sys\n"
    "def _write():\n"
    "    with open(os.environ['XPM_MODULES_OUT'], 'w', encoding='utf-8') as fh:\n"
    "        fh.write('\\n'.join(sorted(sys.modules)))\n"
    "atexit.register(_write)\n"
    "runpy.run_module('migrator', run_name='__main__', alter_sys=True)\n"
)


def loaded_modules(tmp_path, *argv: str) -> tuple[set[str], subprocess.CompletedProcess]:
    out = tmp_path / "modules.txt"
    env = {**os.environ, "XPM_MODULES_OUT": str(out)}
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *argv], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    names = set(out.read_text(encoding="utf-8").split())
    assert "migrator.cli" in names  # the listing itself works
    return names, proc


def format_layout() -> dict[str, tuple[str, set[str]]]:
    """Each registered format: its own namespace, and what detection may import of it.

    The namespace is the package of the module holding the ``Source`` class (``migrator.sources.
    mremoteng``), or that module itself for a format that is one module (``migrator.sources.mobaxterm``,
    whose helpers are named after it: ``mobaxterm_fields``). Detection may import the module holding
    the class and the packages above it inside the namespace, nothing else.
    """
    layout = {}
    reg = registry()
    for name in reg.names():
        module = reg.entry(name).target.partition(":")[0]
        package = module.rpartition(".")[0]
        home = package if package and package != "migrator.sources" else module
        allowed = {module} | {p for p in _parents(module) if p == home or p.startswith(home + ".")}
        layout[name] = (home, allowed)
    return layout


def _parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _belongs(module: str, home: str) -> bool:
    return module == home or module.startswith((home + ".", home + "_"))


def test_the_layout_names_every_format_and_its_readers():
    """The rule the next test applies sees each format's own modules, so it cannot pass by seeing none."""
    layout = format_layout()
    assert {"csv", "excel", "mremoteng", "putty", "mobaxterm", "xo"} <= set(layout)
    assert layout["mremoteng"] == (
        "migrator.sources.mremoteng",
        {"migrator.sources.mremoteng", "migrator.sources.mremoteng.source"},
    )
    assert layout["csv"][0] == layout["excel"][0] == "migrator.sources.tabular"
    assert layout["mobaxterm"] == ("migrator.sources.mobaxterm", {"migrator.sources.mobaxterm"})
    assert _belongs("migrator.sources.mobaxterm_fields", "migrator.sources.mobaxterm")
    assert _belongs("migrator.sources.putty.reader", "migrator.sources.putty")
    assert not _belongs("migrator.sources.puttyx", "migrator.sources.putty")


@pytest.mark.parametrize("command", ["inspect", "plan"])
def test_reading_a_csv_imports_of_every_other_format_only_what_detection_needs(command, tmp_path):
    """Issue 19: ``plan servers.csv`` (a plain path: every format's ``detect`` is asked) loads no reader
    of another format, which is most of what a small plan used to spend on imports."""
    inventory = tmp_path / "servers.csv"
    inventory.write_text("name,host,user\nweb1,web1.example.net,ops\nweb2,web2.example.net,ops\n", encoding="utf-8")
    argv = ["inspect", "--format", "json", str(inventory)] if command == "inspect" else ["plan", str(inventory)]
    names, proc = loaded_modules(tmp_path, *argv, *(["--target", "embedded"] if command == "plan" else []))
    if command == "inspect":
        assert [h["name"] for h in json.loads(proc.stdout)["hosts"]] == ["web1", "web2"]
    else:
        assert proc.returncode == 2 and "web1" in proc.stdout, proc.stdout[-2000:]
    layout = format_layout()
    own = layout["csv"][0]
    loaded_too_much = {}
    for fmt, (home, allowed) in layout.items():
        if home == own:
            continue
        assert allowed <= names, f"{fmt}: detection did not load {sorted(allowed - names)}"
        extra = sorted(n for n in names if _belongs(n, home) and n not in allowed)
        if extra:
            loaded_too_much[fmt] = extra
    assert not loaded_too_much, "readers loaded by a CSV run:\n" + "\n".join(
        f"{fmt}: {', '.join(mods)}" for fmt, mods in sorted(loaded_too_much.items())
    )


@pytest.mark.parametrize("name", file_formats())
def test_inspect_reads_each_formats_example_in_a_fresh_process(name, tmp_path):
    """Every reader still finds what it imports at read time: the example of each format, detected
    from its plain path and read by a new ``python -m migrator inspect`` (the CLI tests of each
    format read their real samples the same way)."""
    folder = tmp_path / "example"
    folder.mkdir()
    location = source_class(name).example(folder)
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "inspect", "--format", "json", str(location)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["hosts"], proc.stderr[-2000:]
    assert {h["source"]["format"] for h in doc["hosts"]} == {name}
    assert not [d for d in doc["diagnostics"] if d["level"] == "error"]
