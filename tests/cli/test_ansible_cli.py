"""The ansible source through the command line: inspect as a subprocess, plan/apply against the
embedded simulator, and a sync job; idempotent re-runs and no secret in any output or state file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from helpers.paths import REPO_ROOT

from migrator.cli import main

ROOT = REPO_ROOT
SAMPLES = ROOT / "samples" / "ansible"
SECRETS = ("Sample-Db2-Password", "62313365396662343061393464336163383764373764613633653634306231386433626436623361")


def test_inspect_as_a_subprocess_gives_json_with_every_host(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "migrator", "inspect", f"ansible:{SAMPLES / 'inventory.yml'}", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    names = {h["name"] for h in doc["hosts"]}
    assert len(names) == 10 and "win1.example.net" not in names
    web = next(h for h in doc["hosts"] if h["name"] == "web02.example.net")
    assert web["category"] == ["prod", "web"] and web["user"] == "deploy"
    assert {(d["code"], d["entry"]) for d in doc["diagnostics"]} >= {
        ("vault-value", "db2.example.net"),
        ("not-ssh", "win1.example.net"),
    }
    assert not [s for s in SECRETS if s in run.stdout + run.stderr]


def test_plan_apply_plan_against_the_embedded_simulator(tmp_path, capsys):
    inventory = tmp_path / "hosts"
    shutil.copy(SAMPLES / "inventory.ini", inventory)
    state = tmp_path / "vault"
    common = ["--target", "embedded", "--embedded-state", str(state)]
    assert main(["--no-progress", "plan", f"ansible:{inventory}", *common]) == 2
    assert (
        main(
            ["--no-progress", "apply", str(inventory), *common, "--yes", "--report", f"json={tmp_path / 'apply.json'}"]
        )
        == 0
    )
    applied = json.loads((tmp_path / "apply.json").read_text())
    assert applied["apply"]["failed"] == 0 and applied["apply"]["created"] >= 10
    first = capsys.readouterr()
    assert main(["--no-progress", "plan", str(inventory), *common, "--format", "json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["summary"]["create"] == 0
    blob = first.out + first.err
    blob += out.out + out.err + (tmp_path / "apply.json").read_text()
    blob += "".join(p.read_bytes().decode("utf-8", "replace") for p in state.rglob("*") if p.is_file())
    assert not [s for s in SECRETS if s in blob]


def test_sync_job_with_an_ansible_source_is_idempotent(tmp_path, capsys):
    shutil.copy(SAMPLES / "inventory.yml", tmp_path / "inventory.yml")
    job = tmp_path / "job.toml"
    job.write_text(
        'name = "ansible-job"\n\n[[source]]\npath = "inventory.yml"\nformat = "ansible"\n'
        'options = { connection_types = "ssh,winrm" }\n\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n\n'
        '[import]\nroot_category = "Imported/Ansible"\n',
        encoding="utf-8",
    )
    assert main(["--no-progress", "sync", str(job), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    created = {c["name"] for c in first["changes"] if c["action"] == "create" and c["kind"] == "host"}
    assert {"win1.example.net", "db3.example.net", "web01.example.net"} <= created
    assert main(["--no-progress", "sync", str(job), "--dry-run", "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {c["action"] for c in again["changes"] if c["kind"] == "host"} == {"unchanged"}


def test_a_host_moved_to_another_group_is_the_same_entry(tmp_path, capsys):
    inventory = tmp_path / "hosts"
    inventory.write_text("[web]\nh1.example.net ansible_user=a\nh2.example.net\n[db]\nh3.example.net\n")
    job = tmp_path / "job.toml"
    job.write_text(
        'name = "mv"\n[[source]]\npath = "hosts"\nformat = "ansible"\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    assert main(["--no-progress", "sync", str(job), "--format", "json"]) == 0
    capsys.readouterr()
    inventory.write_text("[web]\nh2.example.net\n[db]\nh3.example.net\nh1.example.net ansible_user=a\n")
    assert main(["--no-progress", "sync", str(job), "--dry-run", "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [(c["action"], c["name"]) for c in doc["changes"] if c["action"] != "unchanged"] == [
        ("recreate", "h1.example.net")
    ]
