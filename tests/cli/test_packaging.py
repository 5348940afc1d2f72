"""Installed as users install it: the wheel carries mappings/ and samples/, and works from any folder.

The wheel is built once from a clean copy of the project (pip, with build isolation, as a user's
``pip install .`` does), installed with its dependencies into one fresh virtual environment, and used
from a folder that is not the checkout, with no PYTHONPATH: nothing can come from the work tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.cli import main
from migrator.data import MAPPINGS, SAMPLES, bundled

ROOT = REPO_ROOT
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "migrator", "mappings", "samples")
PIP_TIMEOUT = 600


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "XPIPE_MIGRATE_MAPPINGS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, built from a copy of the project so no earlier build/ folder can leak into it, and the build log."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in PROJECT_FILES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, src / name)
    dist = base / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-v", "-w", str(dist)],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
        env=_clean_env(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = dist.glob("xpipe_migrate-*.whl")
    return built, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(build) -> Path:
    return build[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh virtual environment with the wheel installed, and an empty folder to work in."""
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    # No pip of its own (ensurepip is the slow part); this pip installs into it with --python.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=PIP_TIMEOUT)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=PIP_TIMEOUT,
        env=_clean_env(),
    )
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return venv, elsewhere


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env or _clean_env())


def test_wheel_carries_every_module_and_the_data_folders(build):
    wheel, log = build
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {f"migrator/{f}" for f in _files(ROOT / "migrator") if f.endswith(".py")}
    assert code - names == set(), "a package is missing from [tool.setuptools] packages in pyproject.toml"
    for folder in (MAPPINGS, SAMPLES):
        shipped = {f"migrator/data/{folder}/{f}" for f in _files(ROOT / folder)}
        assert shipped and shipped - names == set()
    assert "migrator/data/samples/putty/unix-sessions/caf%C3%A9" in names
    assert not [n for n in names if n.startswith(("tests/", "mappings/", "samples/", "out/"))]
    # a sample sub-folder named like a package must be listed in pyproject.toml, or setuptools may drop it
    assert "is absent from the `packages` configuration" not in log


def test_installed_wheel_finds_its_data_from_another_folder(installed):
    venv, elsewhere = installed
    probe = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import migrator, importlib.resources as r; from migrator.sources.tabular.profiles import profile_names;"
            "print(migrator.__file__); print(r.files('migrator.data') / 'mappings'); print(','.join(profile_names()))",
        ],
        elsewhere,
    )
    assert probe.returncode == 0, probe.stderr
    module, mappings, names = probe.stdout.splitlines()
    site = venv.resolve()
    assert Path(module).resolve().is_relative_to(site) and Path(mappings).resolve().is_relative_to(site)
    assert (Path(mappings) / "generic.toml").is_file()
    assert {"generic", "mremoteng", "rdm", "royalts", "termius", "securecrt"} <= set(names.split(","))


def test_installed_wheel_runs_demo_inspect_and_the_sample_job_from_another_folder(installed):
    venv, elsewhere = installed
    tool = str(venv / "bin" / "xpipe-migrate")
    demo = _run([tool, "--no-progress", "demo"], elsewhere)
    assert demo.returncode == 0, demo.stderr
    assert "second plan: no changes" in demo.stdout and ", 0 write requests" in demo.stdout

    copied = _run([tool, "samples"], elsewhere)
    assert copied.returncode == 0, copied.stderr
    assert _files(elsewhere / "samples") == _files(ROOT / "samples")
    again = _run([tool, "samples"], elsewhere)
    assert again.returncode == 1 and "already exists" in again.stderr

    detected = _run([tool, "inspect", "samples/servers.csv"], elsewhere)
    assert detected.returncode == 0, detected.stderr
    assert "headers match mapping profile 'generic'" in detected.stdout
    named = _run([tool, "inspect", "--mapping", "mremoteng", "samples/csv/mremoteng-export.csv"], elsewhere)
    assert named.returncode == 0, named.stderr
    assert "mapping profile 'mremoteng'" in named.stdout and "mr-bastion" in named.stdout

    job = _run([tool, "--no-progress", "sync", "samples/job.toml", "--dry-run"], elsewhere)
    # a first dry run has changes pending (2); the samples also hold entries that cannot be imported
    # on purpose (to show the diagnostics), which makes the dry run say apply would be partial (4)
    assert job.returncode == 4 and "could not be imported" in job.stderr, job.stderr
    assert (elsewhere / "out" / "sample-job" / "plan.md").is_file()
    assert not any(p.name == "out" for p in (venv / "lib").rglob("out")), "the job wrote into the installation"


def test_a_zipped_install_reads_profiles_and_runs_the_demo(wheel, tmp_path):
    """A wheel put on sys.path is imported by zipimport: the data is read without a file system path."""
    env = _clean_env()
    env["PYTHONPATH"] = str(wheel)
    script = (
        "import sys, migrator, migrator.data as d; from migrator.cli import main;"
        "assert '.whl' in migrator.__file__, migrator.__file__; print(type(d.bundled('samples')).__name__);"
        "sys.exit(main(['--no-progress', 'demo']))"
    )
    result = _run([sys.executable, "-c", script], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Path\n") and "second plan: no changes" in result.stdout
    named = _run(
        [
            sys.executable,
            "-m",
            "migrator",
            "inspect",
            "--mapping",
            "mremoteng",
            str(ROOT / "samples/csv/mremoteng-export.csv"),
        ],
        tmp_path,
        env,
    )
    assert named.returncode == 0 and "mapping profile 'mremoteng'" in named.stdout, named.stderr


def test_a_checkout_uses_the_top_level_folders():
    assert bundled(MAPPINGS) == ROOT / "mappings" and bundled(SAMPLES) == ROOT / "samples"


def test_samples_copies_the_bundled_folder_and_never_overwrites(tmp_path, capsys):
    dest = tmp_path / "my samples"
    assert main(["samples", str(dest)]) == 0
    assert _files(dest) == _files(ROOT / "samples")
    assert (dest / "excel" / "inventory.xlsx").read_bytes() == (ROOT / "samples/excel/inventory.xlsx").read_bytes()
    assert "'" + str(dest) + "'/job.toml --dry-run" in capsys.readouterr().out
    assert main(["samples", str(dest)]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["samples", str(tmp_path / "empty")]) == 0
