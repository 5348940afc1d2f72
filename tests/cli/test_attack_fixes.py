"""Follow-ups of the attack review (tests/cli/test_attack_findings.py) that the review did not test.

Each runs ``python -m migrator`` against the embedded simulator with a bounded timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

ROOT = REPO_ROOT


def cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("XO_TOKEN", "XPIPE_API_KEY")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--auth-file", "auth"], "--auth-file"),
        (["--ca-bundle", "auth"], "--ca-bundle"),
        (["--ptb"], "--ptb"),
    ],
)
def test_daemon_flags_with_the_embedded_target_are_errors(tmp_path, flags, named):
    (tmp_path / "s.csv").write_text("name,host,port,user\na,10.0.0.1,22,u\n", encoding="utf-8")
    (tmp_path / "auth").write_text("x", encoding="utf-8")
    proc = cli("plan", "s.csv", "--target", "embedded", *flags, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert named in proc.stderr and "embedded" in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr


def _job(folder: Path, source: str, target_extra: str = "") -> Path:
    job = folder / "job.toml"
    job.write_text(
        f'name = "j"\n[[source]]\n{source}\n[target]\nurl = "embedded"\nembedded_state = "vault"\n'
        f"{target_extra}[prune]\nenabled = true\nquarantine_days = 0\n",
        encoding="utf-8",
    )
    return job


@pytest.mark.parametrize("extra, named", [("ptb = true\n", "ptb"), ("timeout = 1e308\n", "timeout")])
def test_job_target_settings_that_cannot_apply_are_errors(tmp_path, extra, named):
    (tmp_path / "s.csv").write_text("name,host,port,user\na,10.0.0.1,22,u\n", encoding="utf-8")
    proc = cli("sync", str(_job(tmp_path, 'path = "s.csv"', extra)), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert named in proc.stderr and "internal error" not in proc.stderr, proc.stderr


def test_an_include_that_cannot_be_read_never_prunes_its_hosts(tmp_path):
    (tmp_path / "config").write_text("Include sub.conf\nHost a\n  HostName 10.0.0.1\n", encoding="utf-8")
    (tmp_path / "sub.conf").write_text("Host b\n  HostName 10.0.0.2\n", encoding="utf-8")
    job = _job(tmp_path, 'path = "config"\nformat = "ssh_config"')
    assert cli("sync", str(job), cwd=tmp_path).returncode == 0
    (tmp_path / "sub.conf").unlink()
    os.mkfifo(tmp_path / "sub.conf")  # exists, but is not a file the reader may open
    proc = cli("sync", str(job), "--dry-run", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "read only in part" in proc.stderr
    removed = [c["name"] for c in json.loads(proc.stdout)["changes"] if c["action"] in ("delete", "quarantine")]
    assert removed == ["b"]  # planned, and therefore refused


def test_a_partial_source_without_deletions_still_syncs(tmp_path):
    (tmp_path / "inv.ini").write_text("[web]\na.example.net\n", encoding="utf-8")
    job = _job(tmp_path, 'path = "inv.ini"\nformat = "ansible"')
    assert cli("sync", str(job), cwd=tmp_path).returncode == 0
    (tmp_path / "inv.ini").write_text("[web]\na.example.net\n[bad section]\nb.example.net\n", encoding="utf-8")
    proc = cli("sync", str(job), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # nothing to prune: nothing to refuse


def test_two_outputs_naming_one_file_are_refused(tmp_path):
    (tmp_path / "s.csv").write_text("name,host,port,user\na,10.0.0.1,22,u\n", encoding="utf-8")
    proc = cli(
        "plan", "s.csv", "--target", "embedded", "--report", "markdown=out.md", "--rejects", "./out.md", cwd=tmp_path
    )
    assert proc.returncode == 1 and "--rejects" in proc.stderr, proc.stderr
    assert not (tmp_path / "out.md").exists()
