"""SecureCRT and WinSCP through the command line, as a user runs it: inspect the samples, apply to the
embedded simulator and read the vault back (passwords byte-exact), re-apply (nothing changes), a wrong
secret (exit 1, one line, nothing written), ``password_file`` from a job file and the environment, and
no secret in any output, report or state file."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers import securecrt as crt
from helpers import winscp as scp
from helpers.native_cli import cli, leaks, state_texts, vault_hosts
from helpers.paths import SAMPLES

CRT_CONFIG = SAMPLES / "securecrt" / "vandyke-config"
CRT_XML = SAMPLES / "securecrt" / "export.xml"
SCP_INI = SAMPLES / "winscp" / "WinSCP.ini"
SCP_MASTER = SAMPLES / "winscp" / "master-password"


def embedded(state) -> list[str]:
    return ["--target", "embedded", "--embedded-state", str(state)]


def test_inspect_shows_every_sample_host_and_no_secret(tmp_path):
    proc = cli("inspect", "--format", "json", str(CRT_CONFIG), str(SCP_INI), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    names = sorted((h["source"]["format"], h["name"]) for h in doc["hosts"])
    assert names == [
        ("securecrt", "bastion"),
        ("securecrt", "db01"),
        ("securecrt", "legacy-box"),
        ("securecrt", "web01"),
        ("winscp", "bastion"),
        ("winscp", "db01"),
        ("winscp", "web01"),
    ]
    codes = {(d["code"], d["entry"]) for d in doc["diagnostics"]}
    assert {
        ("not-ssh", "Network/core-switch"),
        ("not-ssh", "Production/uploads"),
        ("ssh1", "Production/legacy-box"),
    } <= codes
    secrets = {**crt.SAMPLE_PASSWORDS, **{f"w-{k}": v for k, v in scp.SAMPLE_PASSWORDS.items()}}
    assert leaks(secrets, {"stdout": proc.stdout, "stderr": proc.stderr}) == []


@pytest.mark.parametrize("fmt", ["securecrt", "winscp"])
def test_apply_puts_the_passwords_byte_exact_into_the_vault_and_a_second_apply_changes_nothing(tmp_path, fmt):
    source = str(CRT_CONFIG if fmt == "securecrt" else SCP_INI)
    state = tmp_path / "vault"
    first = cli("apply", source, *embedded(state), "--yes", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    vault = vault_hosts(state, tmp_path)
    if fmt == "securecrt":
        assert vault["web01"]["password"] == crt.SAMPLE_PASSWORDS["web01"]
        assert vault["bastion"]["password"] == crt.SAMPLE_PASSWORDS["bastion"]
        assert vault["db01"]["password"] == crt.SAMPLE_PASSWORDS["db01"]
        assert (vault["bastion"]["port"], vault["bastion"]["user"]) == (2222, "jump")
    else:
        assert vault["web01"]["password"] == scp.SAMPLE_PASSWORDS["web01"]
        assert vault["bastion"]["password"] == scp.SAMPLE_PASSWORDS["bastion"]
        assert vault["db01"]["gateway"] != "bastion" and vault["db01"]["gateway"] is not None
    assert vault["web01"]["gateway"] == "bastion"
    again = cli("apply", source, *embedded(state), "--yes", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout


def test_the_xml_export_and_its_passphrase_from_a_job_file(tmp_path):
    shutil.copy(CRT_XML, tmp_path / "export.xml")
    (tmp_path / "secrets").mkdir()
    shutil.copy(SAMPLES / "securecrt" / "config-passphrase.txt", tmp_path / "secrets" / "crt.txt")
    (tmp_path / "job.toml").write_text(
        'name = "securecrt"\n\n[[source]]\npath = "export.xml"\nformat = "securecrt"\n'
        'options = { password_file = "secrets/crt.txt" }\n\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = cli("sync", str(tmp_path / "job.toml"), cwd=elsewhere)  # the path is relative to the job file
    assert proc.returncode == 0, proc.stderr
    vault = vault_hosts(tmp_path / "vault", tmp_path)
    assert vault["web01"]["password"] == crt.SAMPLE_PASSWORDS["web01"] and vault["web01"]["gateway"] == "bastion"
    again = cli("sync", str(tmp_path / "job.toml"), "--dry-run", cwd=elsewhere)
    assert again.returncode == 0, again.stdout + again.stderr


def test_the_winscp_master_password_from_the_environment(tmp_path):
    state = tmp_path / "vault"
    env = {"XPIPE_MIGRATE_SOURCE_PASSWORD": scp.SAMPLE_MASTER}
    proc = cli("apply", str(SCP_MASTER / "WinSCP.ini"), *embedded(state), "--yes", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert vault_hosts(state, tmp_path)["web01"]["password"] == scp.SAMPLE_PASSWORDS["web01"]


@pytest.mark.parametrize(
    "source, secret",
    [
        (SAMPLES / "securecrt" / "export.xml", "Not-The-Passphrase-1"),
        (SAMPLES / "securecrt" / "export.xml", None),
        (SCP_MASTER / "WinSCP.ini", "Not-The-Master-2"),
        (SCP_MASTER / "WinSCP.ini", None),
    ],
    ids=["securecrt-wrong", "securecrt-none", "winscp-wrong", "winscp-none"],
)
def test_a_wrong_secret_exits_1_with_one_line_and_writes_nothing(tmp_path, source, secret):
    state = tmp_path / "vault"
    extra = []
    if secret is not None:
        (tmp_path / "pw.txt").write_text(secret + "\n", encoding="utf-8")
        extra = ["--source-option", f"password_file={tmp_path / 'pw.txt'}"]
    proc = cli("apply", str(source), *extra, *embedded(state), "--yes", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nothing was imported" in lines[0] and "Traceback" not in proc.stderr
    assert not (state.exists() and any(vault_hosts(state, tmp_path)))
    if secret:
        assert secret not in proc.stdout + proc.stderr


def test_no_secret_reaches_any_output_report_or_state(tmp_path):
    config = crt.write_config(tmp_path / "crt", crt.sample_sessions("03", crt.SAMPLE_PASSPHRASE))
    (tmp_path / "crt.txt").write_text(crt.SAMPLE_PASSPHRASE + "\n", encoding="utf-8")
    master = tmp_path / "master"
    shutil.copytree(SCP_MASTER, master)
    out = tmp_path / "out"
    out.mkdir()
    state = tmp_path / "vault"
    blobs: dict[str, str] = {}
    runs = [
        ("inspect", "inspect", "--format", "json"),
        ("plan", "plan", *embedded(state), "--format", "markdown", f"--report=html={out / 'plan.html'}"),
        ("apply", "apply", *embedded(state), "--yes", f"--report=json={out / 'apply.json'}"),
        ("plan-again", "plan", *embedded(state), "--show-unchanged"),
        ("plan-json", "plan", *embedded(state), "--format", "json"),
    ]
    for label, *argv in runs:
        proc = cli(
            *argv,
            f"securecrt:{config}",
            "--source-option",
            f"password_file={tmp_path / 'crt.txt'}",
            cwd=tmp_path,
        )
        assert proc.returncode in (0, 2), (label, proc.stderr)
        blobs[f"crt {label} out"], blobs[f"crt {label} err"] = proc.stdout, proc.stderr
        proc = cli(
            *argv, str(master / "WinSCP.ini"), cwd=tmp_path, env={"XPIPE_MIGRATE_SOURCE_PASSWORD": scp.SAMPLE_MASTER}
        )
        assert proc.returncode in (0, 2), (label, proc.stderr)
        blobs[f"scp {label} out"], blobs[f"scp {label} err"] = proc.stdout, proc.stderr
    blobs.update(state_texts(out))
    blobs.update(state_texts(state))
    everything = "\n".join(blobs.values())
    assert "web01" in everything and "bastion" in everything
    secrets = {
        "crt passphrase": crt.SAMPLE_PASSPHRASE,
        "scp master": scp.SAMPLE_MASTER,
        **{f"crt {k}": v for k, v in crt.SAMPLE_PASSWORDS.items()},
        **{f"scp {k}": v for k, v in scp.SAMPLE_PASSWORDS.items()},
    }
    assert leaks(secrets, blobs) == []
