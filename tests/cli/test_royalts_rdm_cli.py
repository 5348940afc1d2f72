"""Royal TS and RDM files through the CLI as a user runs it: inspect, apply, read back from the vault.

The decrypted passwords must arrive in XPipe byte-exact (read back by decrypting the simulator's
stored secrets), a second apply changes nothing, a wrong document password exits 1 with one line
and writes nothing, ``password_file`` works from a job file and ``XPIPE_MIGRATE_SOURCE_PASSWORD``
from the environment, and no secret (the document password, the stored passwords) appears in any
output, report, saved plan, ledger or in the vault's files as plain text or in an encoding of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import rdm as rdm_gen
from helpers import royalts as gen
from helpers.paths import REPO_ROOT
from helpers.simulator import Api

from migrator.simulator import Simulator
from migrator.sources.secrets import PASSWORD_ENV
from migrator.xpipe.inplace import decode_inplace

SAMPLES = REPO_ROOT / "samples"
VERSION = "23.8"  # what --target embedded speaks by default


def cli(*argv: str, cwd: Path = REPO_ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    full.update(env or {})
    full["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def vault_secrets(state: Path) -> dict[str, dict]:
    """Each ssh entry of the vault: its user, decrypted password and gateway's name."""
    out: dict[str, dict] = {}
    with Simulator(VERSION, state_dir=state) as sim:
        api = Api(sim)
        api.login_key()
        infos = {i["connection"]: i for i in api.info(api.query("**", "**", "*"))}
        names = {u: i["name"][-1] for u, i in infos.items() if i["type"] != "local"}  # local machine: None

        def password(node):
            plain = json.loads(api.decrypt(node)) if isinstance(node, dict) and "secret" in node else node
            return decode_inplace(plain["value"]) if isinstance(plain, dict) and "value" in plain else None

        for uuid, info in infos.items():
            if info["type"] != "ssh":
                continue
            raw = info["rawData"]
            ident = raw["identity"]
            store = ident["identityStore"] if ident["type"] == "inPlace" else infos[ident["ref"]]["rawData"]
            out[names[uuid]] = {
                "user": store.get("username"),
                "password": password(store.get("password")),
                "gateway": names.get(raw.get("gateway")),
                "port": raw["port"],
                "host": raw["host"],
            }
    return out


@pytest.fixture
def doc_pass(tmp_path) -> Path:
    path = tmp_path / "doc-pass.txt"
    path.write_text(gen.SAMPLE_PASSWORD + "\n", encoding="utf-8")
    return path


def test_inspect_of_every_sample(doc_pass):
    runs = {
        "datacenter": cli("inspect", "samples/royalts/datacenter.rtsz", "--source-option", f"password_file={doc_pass}"),
        "lab": cli("inspect", "samples/royalts/lab.rtsz"),
        "dynamic": cli("inspect", "samples/royalts/dynamic.rjson"),
        "rdm": cli("inspect", "samples/rdm/export.rdm"),
    }
    for label, proc in runs.items():
        assert proc.returncode == 0, (label, proc.stdout, proc.stderr)
        assert "internal error" not in proc.stderr
    assert "web-01" in runs["datacenter"].stdout and "bastion" in runs["datacenter"].stdout
    assert "win-jump" in runs["datacenter"].stdout and "in the Trash" in runs["datacenter"].stdout
    assert "app-02" in runs["dynamic"].stdout and "Cloud/Batch" in runs["dynamic"].stdout
    assert "db-01" in runs["rdm"].stdout and "switch-01" in runs["rdm"].stdout
    as_json = json.loads(cli("inspect", "samples/rdm/export.rdm", "--format", "json").stdout)
    assert sorted(h["name"] for h in as_json["hosts"]) == ["db-01", "web-01", "web-02"]


def test_apply_puts_every_password_byte_exact_into_the_vault_then_nothing_to_do(tmp_path):
    password = "Dök pass %s 'q\" \\ ✓"
    doc = gen.RoyalDoc(password=password)
    gw = doc.gateway(
        "jumpbox",
        "jump.example.net",
        SecureGatewayPort=2200,
        SecureGatewayCredentialMode=1,
        SecureGatewayUsername="jumper",
        SecureGatewayPassword=doc.enc("gw ✓ 'x' \"y\""),
    )
    folder = doc.folder("Prod", SecureGatewayUsageMode=1, SecureGatewayID=gw)
    doc.ssh(
        "alpha",
        "alpha.example.net",
        parent=folder,
        SecureGatewayFromParent=True,
        CredentialMode=2,
        CredentialUsername="root",
        CredentialPassword=doc.enc('  spaced\tand 100% "quoted"  '),
    )
    doc.ssh(
        "beta",
        "beta.example.net",
        parent=folder,
        CredentialMode=2,
        CredentialUsername="ops",
        CredentialPassword=doc.enc("ünïcødé-пароль-密码"),
    )
    source = doc.write(tmp_path / "prod.rtsz")
    secret = tmp_path / "secret.txt"
    secret.write_text(password, encoding="utf-8")
    state = tmp_path / "vault"
    common = [
        f"royalts:{source}",
        "--source-option",
        f"password_file={secret}",
        "--target",
        "embedded",
        "--embedded-state",
        str(state),
    ]
    first = cli("apply", *common, "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    got = vault_secrets(state)
    assert got["alpha"] == {
        "user": "root",
        "password": '  spaced\tand 100% "quoted"  ',
        "gateway": "jumpbox",
        "port": 22,
        "host": "alpha.example.net",
    }
    assert got["beta"]["password"] == "ünïcødé-пароль-密码" and got["beta"]["gateway"] is None
    assert got["jumpbox"] == {
        "user": "jumper",
        "password": "gw ✓ 'x' \"y\"",
        "gateway": None,
        "port": 2200,
        "host": "jump.example.net",
    }
    again = cli("plan", *common)
    assert again.returncode == 0, again.stdout + again.stderr
    second = cli("apply", *common, "--yes", "--format", "json")
    assert second.returncode == 0 and json.loads(second.stdout)["apply"]["created"] == 0


def test_rdm_passwords_arrive_byte_exact(tmp_path):
    path = tmp_path / "export.rdm"
    path.write_bytes(
        rdm_gen.export(
            [
                rdm_gen.ssh("s1", "s1.example.net", user="u1", password="rdm ✓ %x \"q\" 'y' ", group="A\\B"),
                rdm_gen.ssh("s2", "s2.example.net", port=2222, user="u2", password="x" * 200),
            ]
        )
    )
    state = tmp_path / "vault"
    proc = cli("apply", str(path), "--target", "embedded", "--embedded-state", str(state), "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = vault_secrets(state)
    assert got["s1"]["password"] == "rdm ✓ %x \"q\" 'y' " and got["s1"]["user"] == "u1"
    assert got["s2"]["password"] == "x" * 200 and got["s2"]["port"] == 2222


def test_a_wrong_document_password_exits_1_with_one_line_and_writes_nothing(tmp_path):
    source = SAMPLES / "royalts" / "datacenter.rtsz"
    bad = tmp_path / "bad.txt"
    bad.write_text("Not-The-Password-73", encoding="utf-8")
    state = tmp_path / "vault"
    for extra in (["--source-option", f"password_file={bad}"], []):
        proc = cli(
            "apply", f"royalts:{source}", *extra, "--target", "embedded", "--embedded-state", str(state), "--yes"
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "document password" in lines[0] and "nothing was imported" in lines[0]
        assert "Not-The-Password-73" not in proc.stdout + proc.stderr
    assert not state.exists() or not any(p.is_file() and p.stat().st_size for p in state.rglob("*"))


def test_password_file_relative_to_a_job_file_and_the_environment_variable(tmp_path, doc_pass):
    job_dir = tmp_path / "job"
    (job_dir / "secrets").mkdir(parents=True)
    (job_dir / "secrets" / "royal.pw").write_text(gen.SAMPLE_PASSWORD + "\n", encoding="utf-8")
    (job_dir / "job.toml").write_text(
        'name = "royal"\nstate = "ledger.sqlite"\n'
        f'[[source]]\nformat = "royalts"\npath = "{(SAMPLES / "royalts" / "datacenter.rtsz").as_posix()}"\n'
        'options = { password_file = "secrets/royal.pw" }\n'
        f'[[source]]\npath = "{(SAMPLES / "royalts" / "dynamic.rjson").as_posix()}"\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    proc = cli("sync", "job.toml", cwd=job_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = vault_secrets(job_dir / "vault")
    assert got["web-01"]["password"] == "ops-Secret-1" and got["web-01"]["gateway"] == "bastion"
    assert got["db-01"]["password"] == "pg-Secret-3" and got["db-01"]["port"] == 2222
    assert got["app-01"] == {
        "user": "svc",
        "password": "svc-Secret-5",
        "gateway": "edge",
        "port": 22,
        "host": "172.16.0.10",
    }
    assert got["app-02"]["password"] == "batch-Secret-6" and {"bastion", "web-02", "edge"} <= set(got)
    again = cli("sync", "job.toml", "--dry-run", cwd=job_dir)
    assert again.returncode == 0, again.stdout + again.stderr

    env = {PASSWORD_ENV: gen.SAMPLE_PASSWORD}
    proc = cli("inspect", "samples/royalts/datacenter.rtsz", "--format", "json", env=env)
    assert proc.returncode == 0 and len(json.loads(proc.stdout)["hosts"]) == 4


def test_password_file_is_refused_for_rdm_and_as_an_option_value(tmp_path, doc_pass):
    proc = cli("inspect", "samples/rdm/export.rdm", "--source-option", f"password_file={doc_pass}")
    assert proc.returncode == 1 and "unknown option 'password_file' for rdm" in proc.stderr
    proc = cli("inspect", "samples/royalts/datacenter.rtsz", "--source-option", "password=Royal-Sample-2024")
    assert proc.returncode == 1 and "never taken as an option" in proc.stderr
    assert "Royal-Sample-2024" not in proc.stdout + proc.stderr


def test_no_secret_reaches_any_output_report_plan_ledger_or_vault_file(tmp_path):
    from test_secret_scanner import find_leaks

    planted = {
        "document password": "DocPass-Zq81-unique",
        "connection password": "ConnPw-Yx72-unique",
        "gateway password": "GwPw-Wv63-unique",
        "key passphrase": "KeyPhrase-Ut54-unique",
        "rjson password": "RjsonPw-Sr45-unique",
        "rdm password": "RdmPw-Qp36-unique",
        "damaged value": "DamagedPw-On27-unique",
    }
    doc = gen.RoyalDoc(password=planted["document password"])
    gw = doc.gateway(
        "gw",
        "gw.example.net",
        SecureGatewayCredentialMode=1,
        SecureGatewayUsername="g",
        SecureGatewayPassword=doc.enc(planted["gateway password"]),
    )
    doc.ssh(
        "c1",
        "c1.example.net",
        CredentialMode=2,
        CredentialUsername="u",
        CredentialPassword=doc.enc(planted["connection password"]),
        CredentialKeyFile="/nonexistent/id",
        CredentialPassphrase=doc.enc(planted["key passphrase"]),
        SecureGatewayUsageMode=1,
        SecureGatewayID=gw,
    )
    doc.ssh("broken", "b.example.net", CredentialMode=2, CredentialPassword=planted["damaged value"])
    doc.write(tmp_path / "doc.rtsz")
    (tmp_path / "doc.rjson").write_bytes(
        gen.rjson(
            [
                {
                    "Type": "TerminalConnection",
                    "Name": "r1",
                    "ComputerName": "r1.example.net",
                    "Password": planted["rjson password"],
                }
            ]
        )
    )
    (tmp_path / "export.rdm").write_bytes(
        rdm_gen.export([rdm_gen.ssh("d1", "d1.example.net", password=planted["rdm password"])])
    )
    (tmp_path / "pw.txt").write_text(planted["document password"], encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    sources = ["royalts:doc.rtsz", "doc.rjson", "export.rdm"]  # the password from the environment: every source
    env = {PASSWORD_ENV: planted["document password"]}  # sees the same --source-option, and rdm takes none
    target = ["--target", "embedded", "--embedded-state", "vault"]
    blobs: dict[str, str] = {}
    reports = [f"--report={fmt}=out/r.{fmt}" for fmt in ("json", "markdown", "html")]
    for label, argv in {
        "inspect": ["inspect", "royalts:doc.rtsz", "--source-option", "password_file=pw.txt"],
        "inspect json": ["inspect", "--format", "json", "doc.rjson", "export.rdm"],
        "plan": ["plan", *sources, *target, "--format", "json", *reports],
        "apply": [
            "apply",
            *sources,
            *target,
            "--yes",
            "--state",
            "out/ledger.sqlite",
            *[r.replace("r.", "a.") for r in reports],
        ],
        "wrong": ["inspect", "royalts:doc.rtsz"],
    }.items():
        proc = cli(*argv, cwd=tmp_path, env=None if label.startswith(("inspect", "wrong")) else env)
        assert "internal error" not in proc.stderr, (label, proc.stderr)
        blobs[f"{label} stdout"], blobs[f"{label} stderr"] = proc.stdout, proc.stderr
    assert "c1" in blobs["apply stdout"] and "d1" in blobs["apply stdout"]
    for path in [*out.rglob("*"), *(tmp_path / "vault").rglob("*")]:
        if path.is_file() and path.suffix != ".sqlite":
            blobs[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    with sqlite3.connect(out / "ledger.sqlite") as db:
        blobs["ledger"] = "\n".join(db.iterdump())
    assert find_leaks(planted, blobs) == []
    got = vault_secrets(tmp_path / "vault")  # and yet they are all in the vault, encrypted
    assert (
        got["c1"]["password"] == planted["connection password"] and got["gw"]["password"] == planted["gateway password"]
    )
    assert got["r1"]["password"] == planted["rjson password"] and got["d1"]["password"] == planted["rdm password"]
