"""The mremoteng source as a user runs it (subprocesses): inspect, apply into the embedded simulator with
the decrypted passwords read back byte-exact, idempotent re-runs, the master password from a job's
password_file and from the environment, a wrong one stopping everything, and no secret in any output."""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from helpers.mremoteng import Node, Style, folder, write
from helpers.paths import REPO_ROOT, SAMPLES

from migrator.simulator import Simulator
from migrator.sources.secrets import PASSWORD_ENV
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import decode_inplace

MASTER = "Mäster pass 'with' \"quotes\" %s"
PASSWORDS = {
    "web": "wéb-pässwörd \"q\" 'q' %20 & <x> \\ \u4e2d\U0001f600 ",
    "bastion": "  Bastion-Jump-77  ",
    "db": "line1\nline2\ttab",
}
RUN_TIMEOUT = 180


def cli(*argv: str, env: dict | None = None, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=cwd,
        env=full,
        stdin=subprocess.DEVNULL,
    )


def inventory() -> list[Node]:
    return [
        Node("bastion", id="b", hostname="bastion.example.net", username="jump", password=PASSWORDS["bastion"]),
        folder(
            "Prod",
            Node(
                "web",
                id="w",
                hostname="web.example.net",
                username="deploy",
                password=PASSWORDS["web"],
                tunnel="bastion",
            ),
            Node("db", id="d", hostname="db.example.net", username="pg", password=PASSWORDS["db"], port=2222),
        ),
        Node("desktop", id="r", hostname="desk.example.net", protocol="RDP", port=3389),
    ]


@pytest.fixture
def protected(tmp_path) -> Path:
    return write(tmp_path / "confCons.xml", inventory(), Style(version="2.8", kdf=10000, master=MASTER, full_file=True))


def vault_passwords(state: Path) -> dict[str, tuple[str, str | None]]:
    """name -> (decrypted password, gateway name), read from the embedded vault the CLI left behind."""
    with Simulator("23.8", state_dir=state, auth_file=state.parent / "auth" / "beacon-auth") as sim:
        client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
        client.connect()
        try:
            infos, _ = client.store_info(client.query_stores("**", "**", "ssh"))
            names = {i["uuid"]: i["name"][-1] if isinstance(i["name"], list) else i["name"] for i in infos}
            out = {}
            for info in infos:
                raw = info["rawData"]
                strategy = json.loads(client.decrypt(raw["identity"]["identityStore"]["password"]))
                gateway = raw.get("gateway")
                if isinstance(gateway, dict):
                    gateway = gateway.get("storeId") or gateway.get("connection")
                out[names[info["uuid"]]] = (decode_inplace(strategy["value"]), names.get(gateway))
            return out
        finally:
            client.close()


def test_inspect_the_samples_as_a_subprocess():
    run = cli("inspect", str(SAMPLES / "mremoteng" / "confCons.xml"), "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {h["name"] for h in doc["hosts"]} == {"web-01", "web-02", "db-01", "bastion-prod", "legacy-box", "jenkins"}
    db = next(h for h in doc["hosts"] if h["name"] == "db-01")
    assert db["category"] == ["Production", "Databases"] and db["proxy_jump"][0]["ref"] == "bastion-prod"
    assert {(d["code"], d["entry"]) for d in doc["diagnostics"]} >= {
        ("not-ssh", "Lab/lab-switch"),
        ("ssh1", "Lab/legacy-box"),
    }
    assert "Prod-Ops-2024!" not in run.stdout + run.stderr and "pg-s" not in run.stdout


def test_apply_reads_back_every_password_byte_exact_and_a_second_run_changes_nothing(protected, tmp_path):
    secret = tmp_path / "master.txt"
    secret.write_text(MASTER + "\n", encoding="utf-8")
    state = tmp_path / "vault"
    common = [
        str(protected),
        "--source-option",
        f"password_file={secret}",
        "--target",
        "embedded",
        "--embedded-state",
        str(state),
        "--identities",
        "inplace",
    ]
    first = cli("apply", *common, "--yes", "--report", f"json={tmp_path / 'apply.json'}")
    assert first.returncode == 0, first.stderr
    applied = json.loads((tmp_path / "apply.json").read_text())["apply"]
    assert applied["failed"] == 0 and applied["created"] >= 3
    got = vault_passwords(state)
    assert got == {
        "bastion": (PASSWORDS["bastion"], None),
        "web": (PASSWORDS["web"], "bastion"),
        "db": (PASSWORDS["db"], None),
    }
    again = cli("plan", *common, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["create"] == 0
    assert not [c for c in json.loads(again.stdout)["changes"] if c["action"] != "unchanged"]


def test_a_wrong_or_missing_master_password_exits_1_with_one_line_and_writes_nothing(protected, tmp_path):
    state = tmp_path / "vault"
    target = ["--target", "embedded", "--embedded-state", str(state)]
    missing = cli("apply", str(protected), *target, "--yes")
    wrong_file = tmp_path / "wrong.txt"
    wrong_file.write_text("Wrong-Master-123\n", encoding="utf-8")
    wrong = cli("apply", str(protected), "--source-option", f"password_file={wrong_file}", *target, "--yes")
    env_wrong = cli("apply", str(protected), *target, "--yes", env={PASSWORD_ENV: "Env-Wrong-456"})
    for run, needle in (
        (missing, "protected by a master password"),
        (wrong, "does not unlock"),
        (env_wrong, PASSWORD_ENV),
    ):
        assert run.returncode == 1, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in run.stderr
        assert "Wrong-Master-123" not in run.stderr + run.stdout and "Env-Wrong-456" not in run.stderr + run.stdout
    assert not state.exists() or not any(p for p in state.rglob("*") if p.name.startswith("vault"))


def test_password_file_from_a_job_and_the_environment_both_work(protected, tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "mremoteng.txt").write_text(MASTER + "\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(
        'name = "mremoteng-job"\n\n[[source]]\npath = "confCons.xml"\nformat = "mremoteng"\n'
        'options = { password_file = "secrets/mremoteng.txt" }\n\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n\n[import]\nroot_category = "Imported/mRemoteNG"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    synced = cli("sync", str(job), "--format", "json", cwd=elsewhere)
    assert synced.returncode == 0, synced.stderr
    created = {
        c["name"] for c in json.loads(synced.stdout)["changes"] if c["action"] == "create" and c["kind"] == "host"
    }
    assert {"bastion", "web", "db"} <= created
    again = cli("sync", str(job), "--dry-run", "--format", "json", cwd=elsewhere)
    assert again.returncode == 0 and json.loads(again.stdout)["summary"]["create"] == 0
    env_run = cli("inspect", str(protected), "--format", "json", env={PASSWORD_ENV: MASTER})
    assert env_run.returncode == 0, env_run.stderr
    assert {h["name"] for h in json.loads(env_run.stdout)["hosts"]} == {"bastion", "web", "db"}


def _forms(secret: str) -> list[str]:
    raw = secret.encode("utf-8")
    out = [secret, urllib.parse.quote(secret, safe=""), binascii.hexlify(raw).decode()]
    out += [base64.b64encode(b"\0" * k + raw).decode()[4:-4] for k in range(3)]
    return [f for f in out if len(f.strip()) >= 6]


def test_no_secret_in_any_output_report_or_state(protected, tmp_path):
    secret = tmp_path / "master.txt"
    secret.write_text(MASTER + "\n", encoding="utf-8")
    out, state = tmp_path / "out", tmp_path / "vault"
    out.mkdir()
    source = [str(protected), "--source-option", f"password_file={secret}"]
    target = ["--target", "embedded", "--embedded-state", str(state)]
    reports = [f"--report={fmt}={out / ('r.' + fmt)}" for fmt in ("json", "markdown", "html")]
    blobs = []
    for argv in (
        ["inspect", *source],
        ["inspect", *source, "--format", "json"],
        ["plan", *source, *target, "--format", "json", *reports],
        ["apply", *source, *target, "--yes", *reports],
        ["plan", *source, *target, "--show-unchanged"],
        ["inspect", str(protected)],  # no secret: the one-line refusal
    ):
        run = cli(*argv)
        assert "Traceback" not in run.stderr
        blobs += [run.stdout, run.stderr]
    blobs += [p.read_bytes().decode("utf-8", "replace") for p in out.iterdir()]
    blobs += [p.read_bytes().decode("utf-8", "replace") for p in state.rglob("*") if p.is_file()]
    text = "\n".join(blobs)
    assert "web.example.net" in text
    leaks = [
        (name, form)
        for name, value in {"master": MASTER, **PASSWORDS}.items()
        for form in _forms(value)
        if form in text
    ]
    assert leaks == []
