"""Remmina and Tabby through the command line, as a user runs them: inspect, apply to the embedded
simulator with the decrypted passwords read back byte-exact, idempotent re-runs, wrong secrets,
job files with relative paths, and no planted secret in any output, report or state file."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

from helpers.paths import REPO_ROOT
from helpers.remmina import SAMPLE_PASSWORDS as REMMINA_PASSWORDS
from helpers.remmina import encrypt, gen_secret, ssh_profile, write_pref, write_profile
from helpers.tabby import SAMPLE_PASSPHRASE, config_doc, encrypt_vault, encrypted_config, js_yaml_dump, password_secret
from helpers.tabby import SAMPLE_PASSWORDS as TABBY_PASSWORDS
from helpers.tabby import ssh_profile as tabby_profile
from helpers.vault_secrets import ssh_entries

from migrator.sources.secrets import PASSWORD_ENV

SAMPLES = REPO_ROOT / "samples"


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    environment.update(PYTHONPATH=str(REPO_ROOT), NO_COLOR="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_inspect_the_samples(tmp_path):
    rem = cli("inspect", str(SAMPLES / "remmina"), "--format", "json", cwd=tmp_path)
    assert rem.returncode == 0, rem.stderr
    doc = json.loads(rem.stdout)
    hosts = {h["name"]: h for h in doc["hosts"]}
    assert sorted(hosts) == ["bastion", "db-01", "lab-box", "web-01"]
    assert hosts["web-01"]["category"] == ["Prod"] and hosts["db-01"]["category"] == ["Prod", "DB"]
    assert {(d["code"], d["entry"]) for d in doc["diagnostics"]} >= {
        ("not-ssh", "Office/desktop"),
        ("not-ssh", "Lab/files"),
        ("keyring-password", "Lab/lab-box"),
    }
    tab = cli(
        "inspect",
        f"tabby:{SAMPLES / 'tabby' / 'config.yaml'}",
        "--source-option",
        f"password_file={SAMPLES / 'tabby' / 'vault-passphrase.txt'}",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert tab.returncode == 0, tab.stderr
    names = {h["name"] for h in json.loads(tab.stdout)["hosts"]}
    assert names == {"bastion", "web-01", "db-01", "lab-box"}
    for output in (rem.stdout + rem.stderr, tab.stdout + tab.stderr):
        assert not [
            p for p in [*REMMINA_PASSWORDS.values(), *TABBY_PASSWORDS.values(), SAMPLE_PASSPHRASE] if p in output
        ]


def test_apply_brings_every_password_byte_exact_and_a_second_apply_changes_nothing(tmp_path):
    shutil.copytree(SAMPLES / "remmina", tmp_path / "remmina")
    shutil.copytree(SAMPLES / "tabby", tmp_path / "tabby")
    env = {PASSWORD_ENV: SAMPLE_PASSPHRASE}
    seen = {}
    for source, state in (("remmina", "rem-vault"), ("tabby:tabby/encrypted-config.yaml", "tab-vault")):
        common = ["--target", "embedded", "--embedded-state", str(tmp_path / state)]
        first = cli("apply", source, *common, "--yes", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        again = cli("plan", source, *common, "--format", "json", cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr + again.stdout
        assert json.loads(again.stdout)["summary"]["create"] == 0
        seen[source] = {e["name"]: e for e in ssh_entries(tmp_path / state, tmp_path / "work")}
    rem, tab = seen["remmina"], seen["tabby:tabby/encrypted-config.yaml"]
    assert rem["bastion"]["password"] == REMMINA_PASSWORDS["bastion"]
    assert rem["web-01"]["password"] == REMMINA_PASSWORDS["web-01"] and rem["web-01"]["gateway"] == "bastion"
    assert rem["lab-box"]["password"] is None and rem["db-01"]["port"] == 2222
    assert tab["web-01"]["password"] == TABBY_PASSWORDS["web-01"] and tab["web-01"]["gateway"] == "bastion"
    assert tab["db-01"]["password"] == TABBY_PASSWORDS["db-01"] and tab["db-01"]["user"] == "postgres"
    assert tab["bastion"]["key_file"] == "/home/ops/.ssh/id_ed25519"


def test_a_wrong_secret_exits_1_with_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "wrong.txt").write_text("not the passphrase\n", encoding="utf-8")
    state = tmp_path / "vault"
    run = cli(
        "apply",
        f"tabby:{SAMPLES / 'tabby' / 'config.yaml'}",
        "--source-option",
        "password_file=wrong.txt",
        "--target",
        "embedded",
        "--embedded-state",
        str(state),
        "--yes",
        cwd=tmp_path,
    )
    assert run.returncode == 1 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "does not unlock" in run.stderr and "not the passphrase" not in run.stderr + run.stdout
    folder = tmp_path / "rem"
    shutil.copytree(SAMPLES / "remmina", folder)
    write_pref(folder, gen_secret())
    rem = cli("apply", str(folder), "--target", "embedded", "--embedded-state", str(state), "--yes", cwd=tmp_path)
    assert rem.returncode == 1 and len(rem.stderr.strip().splitlines()) == 1, rem.stderr
    assert not state.exists() or not ssh_entries(state, tmp_path / "w")


def test_job_files_take_relative_password_file_and_pref(tmp_path):
    (tmp_path / "secrets").mkdir()
    shutil.copy(SAMPLES / "tabby" / "vault-passphrase.txt", tmp_path / "secrets" / "tabby.txt")
    shutil.copy(SAMPLES / "tabby" / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(SAMPLES / "remmina", tmp_path / "profiles")
    (tmp_path / "profiles" / "remmina.pref").rename(tmp_path / "secrets" / "remmina.pref")
    job = tmp_path / "job.toml"
    job.write_text(
        'name = "native"\n\n'
        '[[source]]\npath = "config.yaml"\nformat = "tabby"\noptions = { password_file = "secrets/tabby.txt" }\n\n'
        '[[source]]\npath = "profiles"\nformat = "remmina"\noptions = { pref = "secrets/remmina.pref" }\n\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = cli("sync", str(job), "--format", "json", cwd=elsewhere)
    assert run.returncode == 0, run.stderr
    again = cli("sync", str(job), "--dry-run", "--format", "json", cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    assert {c["action"] for c in json.loads(again.stdout)["changes"] if c["kind"] == "host"} == {"unchanged"}
    passwords = {e["password"] for e in ssh_entries(tmp_path / "vault", tmp_path / "w")}
    assert {REMMINA_PASSWORDS["bastion"], TABBY_PASSWORDS["db-01"]} <= passwords


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    out = [secret.lower(), urllib.parse.quote(secret, safe="").lower(), binascii.hexlify(raw).decode()]
    for k in range(3):
        out.append(base64.b64encode(b"\0" * k + raw).decode()[4:-4])
    return out


def test_no_planted_secret_reaches_any_output_report_or_state(tmp_path):
    planted = {
        n: f"{n}-{secrets.token_hex(6)}-Zq"
        for n in ("rem_pw", "rem_kp", "rem_tunnel", "tab_pw", "tab_vault", "tab_inline", "tab_pass")
    }
    folder = tmp_path / "rem"
    folder.mkdir()
    secret = gen_secret()
    write_pref(folder, secret)
    write_profile(folder, "a.remmina", ssh_profile("r-pw", "r1.example.net", secret=secret, password=planted["rem_pw"]))
    write_profile(
        folder,
        "b.remmina",
        ssh_profile("r-kp", "r2.example.net", auth=1, ssh_privatekey="/nonexistent/id")
        | {"ssh_passphrase": encrypt(planted["rem_kp"], secret)},
    )
    write_profile(
        folder,
        "c.remmina",
        ssh_profile("r-tun", "r3.example.net:notaport")
        | {
            "ssh_tunnel_enabled": "1",
            "ssh_tunnel_server": "gw",
            "ssh_tunnel_password": encrypt(planted["rem_tunnel"], secret),
        },
    )
    profiles = [
        tabby_profile("ssh:1", "t-pw", "t1.example.net", user="u"),
        tabby_profile("ssh:2", "t-inline", "t2.example.net", password=planted["tab_inline"]),
        tabby_profile("ssh:3", "t-bad", "t3.example.net", port="x", password=planted["tab_inline"]),
    ]
    vault = encrypt_vault(
        {"secrets": [password_secret("u", "t1.example.net", 22, planted["tab_pw"])]}, planted["tab_pass"]
    )
    (tmp_path / "config.yaml").write_text(js_yaml_dump(config_doc(profiles, vault=vault)), encoding="utf-8")
    locked = encrypted_config(
        config_doc(profiles), planted["tab_pass"], [password_secret("u", "t1.example.net", 22, planted["tab_vault"])]
    )
    (tmp_path / "locked.yaml").write_text(js_yaml_dump(locked), encoding="utf-8")
    (tmp_path / "pass.txt").write_text(planted["tab_pass"], encoding="utf-8")
    opt = ["--source-option", "password_file=pass.txt"]
    state = tmp_path / "state"
    target = ["--target", "embedded", "--embedded-state", str(state)]
    reports = [
        f"--report=json={tmp_path / 'r.json'}",
        f"--report=markdown={tmp_path / 'r.md'}",
        f"--report=html={tmp_path / 'r.html'}",
    ]
    runs = [
        cli("inspect", "rem", cwd=tmp_path),
        cli("inspect", "rem", "--format", "json", cwd=tmp_path),
        cli("inspect", "tabby:config.yaml", *opt, "--format", "json", cwd=tmp_path),
        cli("inspect", "tabby:locked.yaml", cwd=tmp_path, env={PASSWORD_ENV: planted["tab_pass"]}),
        cli("inspect", "tabby:locked.yaml", "--source-option", "password_file=nope.txt", cwd=tmp_path),
        cli("plan", "rem", *target, *reports, cwd=tmp_path),
        cli("apply", "rem", *target, "--yes", *reports, cwd=tmp_path),
        cli("apply", "tabby:config.yaml", *opt, *target, "--yes", cwd=tmp_path),
        cli(
            "apply",
            "tabby:locked.yaml",
            *["--target", "embedded", "--embedded-state", str(tmp_path / "locked-state")],
            "--yes",
            "--debug",
            cwd=tmp_path,
            env={PASSWORD_ENV: planted["tab_pass"]},
        ),
    ]
    blobs = {f"run {i}": r.stdout + r.stderr for i, r in enumerate(runs)}
    assert runs[6].returncode in (0, 4) and runs[7].returncode in (0, 4), runs[6].stderr + runs[7].stderr
    for path in [*tmp_path.glob("r.*"), *(p for p in tmp_path.glob("*state/**/*") if p.is_file())]:
        blobs[path.name] = path.read_bytes().decode("utf-8", "replace")
    leaks = [
        f"{name} in {where}"
        for where, text in blobs.items()
        for name, value in planted.items()
        if any(form in text.lower() if form.islower() else form in text for form in _forms(value))
    ]
    assert not leaks, leaks
    entries = ssh_entries(state, tmp_path / "w")
    values = {e["password"] for e in entries} | {e["key_passphrase"] for e in entries}
    assert values >= {planted["rem_pw"], planted["rem_kp"], planted["tab_pw"], planted["tab_inline"]}
    locked_entries = ssh_entries(tmp_path / "locked-state", tmp_path / "w")
    assert {e["name"]: e["password"] for e in locked_entries}["t-pw"] == planted["tab_vault"]
