"""The command line against a real simulator: exit codes, one-line errors, reports, no secrets anywhere."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.cli import main
from migrator.errors import PartialFailure
from migrator.simulator import Simulator

ROOT = REPO_ROOT
CSV = """name,host,port,user,password,key_file,key_passphrase,folder,jump,tags,description
gw,gw.example.net,22,ops,Gw-Secret-Pass-1,,,Infra,,infra,gateway
app,10.1.0.5,2222,deploy,App-Secret-Pass-2,,,Prod/App,gw,"prod,app",application server
bad,,22,ops,Bad-Row-Secret-3,,,Prod,,,blank host
"""
SECRETS = ("Gw-Secret-Pass-1", "App-Secret-Pass-2", "Bad-Row-Secret-3")


@pytest.fixture
def inv(tmp_path) -> Path:
    p = tmp_path / "servers.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["--no-progress", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def target_args(sim) -> list[str]:
    return ["--target", sim.url, "--auth-file", str(sim.auth_file)]


def test_plan_apply_plan_exit_codes_and_reports(sim, inv, tmp_path, capsys):
    code, out, err = run(capsys, "plan", str(inv), *target_args(sim))
    # the row with a blank host exists but cannot be imported: plan says apply would leave it undone
    assert code == 4 and "1 source entry could not be imported" in err, err
    assert "create" in out and "app" in out
    code, out, err = run(
        capsys,
        "apply",
        str(inv),
        *target_args(sim),
        "--yes",
        "--report",
        f"markdown={tmp_path / 'apply.md'}",
        "--report",
        f"json={tmp_path / 'apply.json'}",
    )
    # the row with a blank host exists but cannot be imported: everything else is applied, exit 4
    assert code == 4 and "1 source entry could not be imported" in err, err
    doc = json.loads((tmp_path / "apply.json").read_text())
    assert [h["name"] for h in doc["held"]] == [None] and doc["held"][0]["key"].endswith("#bad")
    assert doc["schema"] == "xpipe-migrate/plan" and doc["version"] == 1
    assert doc["apply"]["created"] >= 2 and doc["apply"]["failed"] == 0
    assert any(d["line"] == 4 and d["field"] == "host" for d in doc["diagnostics"])
    code, out, err = run(capsys, "plan", str(inv), *target_args(sim), "--format", "json")
    assert code == 4  # the bad row is still there
    assert json.loads(out)["summary"]["create"] == 0


def test_no_secret_in_any_output_report_or_log(sim, inv, tmp_path, capsys):
    texts = []
    for argv in (
        ["inspect", str(inv)],
        ["inspect", str(inv), "--format", "json"],
        ["plan", str(inv), *target_args(sim), "--format", "markdown"],
        ["plan", str(inv), *target_args(sim), "--format", "json"],
        [
            "--debug",
            "apply",
            str(inv),
            *target_args(sim),
            "--yes",
            "--report",
            f"markdown={tmp_path / 'r.md'}",
            "--report",
            f"json={tmp_path / 'r.json'}",
            "--report",
            f"table={tmp_path / 'r.txt'}",
        ],
        ["plan", str(inv), *target_args(sim), "--show-unchanged"],
    ):
        try:
            code, out, err = run(capsys, *argv)
        except PartialFailure as exc:  # --debug re-raises: the row with a blank host is not imported
            captured = capsys.readouterr()
            out, err = captured.out, captured.err + str(exc)
        texts += [out, err]
    texts += [p.read_text() for p in tmp_path.iterdir() if p.suffix in (".md", ".json", ".txt")]
    blob = "\n".join(texts)
    assert "app" in blob and "gw" in blob  # the outputs are really there
    for secret in SECRETS:
        assert secret not in blob


def test_api_disabled_is_one_line_and_exit_6(sim, inv, capsys):
    sim.api_enabled = False
    code, out, err = run(capsys, "plan", str(inv), *target_args(sim))
    assert code == 6
    assert err.strip().count("\n") == 0 and "Enable HTTP API" in err and "Traceback" not in err


def test_stale_auth_file_is_exit_6(sim, inv, tmp_path, capsys):
    stale = tmp_path / "stale-auth"
    stale.write_text("not-the-current-content")
    code, _, err = run(capsys, "plan", str(inv), "--target", sim.url, "--auth-file", str(stale))
    assert code == 6 and "stale-auth" in err


def test_unreachable_daemon_is_exit_5(inv, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run(
        capsys, "plan", str(inv), "--target", f"http://127.0.0.1:{port}", "--auth-file", str(inv), "--timeout", "2"
    )
    assert code == 5 and "cannot connect" in err


def test_unknown_endpoint_is_exit_7(inv, tmp_path, capsys):
    with Simulator(version="23.8", auth_file=tmp_path / "a") as sim:
        code, _, err = run(
            capsys, "plan", str(inv), "--target", sim.url, "--auth-file", str(tmp_path / "a"), "--api-dialect", "24"
        )
    assert code == 7 and "/store/" in err


def test_missing_source_file_is_one_line_exit_1(capsys, tmp_path):
    code, _, err = run(capsys, "inspect", str(tmp_path / "nope.csv"))
    assert code == 1 and "nope.csv" in err and "Traceback" not in err


def test_apply_without_yes_and_without_terminal_refuses(sim, inv, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))
    code, _, err = run(capsys, "apply", str(inv), *target_args(sim))
    assert code == 1 and "--yes" in err


def test_api_key_from_environment(inv, tmp_path, capsys, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("simulator-key-123")
    with Simulator(version="24.0", api_key_file=key_file) as sim:
        monkeypatch.setenv("XPIPE_API_KEY", "simulator-key-123")
        code, out, err = run(capsys, "plan", str(inv), "--target", sim.url)
        assert code == 4 and "could not be imported" in err, err  # authenticated; the fixture's bad row is held
        monkeypatch.setenv("XPIPE_API_KEY", "Bogus-Key-77")
        code, out, err = run(capsys, "plan", str(inv), "--target", sim.url)
        assert code == 6 and "XPIPE_API_KEY" in err and "Bogus-Key-77" not in err


def test_demo_runs_as_installed_command():
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", "demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "second plan: no changes" in proc.stdout and ", 0 write requests" in proc.stdout
