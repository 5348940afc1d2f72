"""The ``xo`` source end to end: TLS, job files, saved plans, and the command line as a subprocess."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers.paths import REPO_ROOT
from helpers.xo_standin import LEGACY, TSOA, XoStandIn

from migrator.errors import ConfigError, SourceTlsError
from migrator.manager import read_inventory
from migrator.sources import open_source
from migrator.sync.job import load_job

ROOT = REPO_ROOT
NAMES = {"web-01", "web-02", "db-01", "legacy-app", "v6-only", "lab-build", "lab-suspended", "lab-multi"}


@pytest.fixture(params=[LEGACY, TSOA])
def xo(request):
    with XoStandIn(request.param) as server:
        yield server


def cli(*argv: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "XO_TOKEN"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


# -- TLS ---------------------------------------------------------------------------------------------


def make_cert(folder: Path, ip: str) -> tuple[str, str]:
    """A self-signed certificate for ``ip`` (it is its own CA, so it also serves as ca_bundle)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xo-standin")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"cert-{ip}.pem", folder / f"key-{ip}.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[str, str]:
    return make_cert(tmp_path_factory.mktemp("tls"), "127.0.0.1")


def test_tls_is_verified_by_default_and_ca_bundle_or_verify_false_get_through(cert, monkeypatch):
    with XoStandIn(TSOA, tls=cert) as xo:
        monkeypatch.setenv("XO_TOKEN", xo.token)
        assert xo.url.startswith("https://")
        with pytest.raises(SourceTlsError) as info:
            open_source(f"xo:{xo.url}").read()
        assert info.value.exit_code == 8 and "ca_bundle=PATH" in str(info.value) and xo.token not in str(info.value)
        assert xo.requests == []  # the handshake failed: nothing, not even the cookie, was sent
        trusted = open_source(f"xo:{xo.url}", options={"ca_bundle": cert[0]}).read()
        assert {h.name for h in trusted.hosts} == NAMES
        assert not [d for d in trusted.diagnostics if d.code == "xo-tls-unverified"]
        unverified = open_source(f"xo:{xo.url}", options={"verify": False}).read()
        assert {h.name for h in unverified.hosts} == NAMES
        [warning] = [d for d in unverified.diagnostics if d.code == "xo-tls-unverified"]
        assert warning.level == "warning"


def test_a_certificate_for_another_address_is_refused_even_when_trusted(tmp_path, monkeypatch):
    other = make_cert(tmp_path, "127.0.0.2")
    with XoStandIn(LEGACY, tls=other) as xo:
        monkeypatch.setenv("XO_TOKEN", xo.token)
        with pytest.raises(SourceTlsError, match="certificate is for another host name or address"):
            open_source(f"xo:{xo.url}", options={"ca_bundle": other[0]}).read()
        assert xo.requests == []


def test_missing_ca_bundle_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("XO_TOKEN", "t")
    with pytest.raises(ConfigError, match="ca_bundle .*nope.pem: no such file"):
        open_source("xo:https://127.0.0.1:9", options={"ca_bundle": str(tmp_path / "nope.pem")}).read()


# -- job files ---------------------------------------------------------------------------------------


def write_job(folder: Path, url: str, options: str = "", extra: str = "") -> Path:
    path = folder / "xo-job.toml"
    path.write_text(
        f'name = "xo"\n[[source]]\nformat = "xo"\nurl = "{url}"\n{options}\n{extra}'
        f'[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "body, expected",
    [
        ('[[source]]\nformat = "xo"\npath = "x"\n', 'format = "xo" reads a URL: give url = "https://..." and no path'),
        ('[[source]]\nformat = "csv"\nurl = "https://xo"\n', "url is only for xo sources"),
        ('[[source]]\nformat = "xo"\nurl = "ftp://xo"\n', "is not an http:// or https:// URL"),
        (
            '[[source]]\nformat = "xo"\nurl = "https://xo"\noptions = { token = "Job-File-Secret-5" }\n',
            "a token is never taken from the command line or a job file",
        ),
        (
            '[[source]]\nformat = "xo"\nurl = "https://xo"\noptions = { adress = "ipv4" }\n',
            "unknown option 'adress' for xo sources (did you mean 'address'?)",
        ),
    ],
)
def test_job_file_xo_sources_are_checked_on_load(tmp_path, body, expected):
    path = tmp_path / "job.toml"
    path.write_text('name = "t"\n' + body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert expected in str(info.value) and "Job-File-Secret-5" not in str(info.value)
    assert str(info.value).startswith(f"{path}: [[source]] #1")


def test_job_reads_xo_with_filter_and_fingerprints_the_data(xo, tmp_path, monkeypatch):
    monkeypatch.setenv("XO_TOKEN", xo.token)
    job = load_job(
        write_job(
            tmp_path,
            xo.url,
            'options = { filter = "tags:lab", address = "ipv6" }\n[source.filter]\nexclude_names = ["lab-build"]\n',
        )
    )
    spec = job.sources[0]
    assert spec.location == xo.url and spec.path is None
    result = read_inventory([spec.to_input(key_base=job.job_dir)])
    assert {h.name for h in result.hosts} == {"v6-only", "lab-multi"}
    assert {h.address for h in result.hosts} == {"2001:db8:20::6", "2001:db8:30::30"}
    assert xo.requests[-1]["query"]["filter"] == "tags:lab"
    assert len(result.fingerprints) == 1 and len(result.fingerprints[0].rsplit(":", 1)[1]) == 64


def test_sync_saved_plan_goes_stale_when_xo_changes(xo, tmp_path):
    env = {"XO_TOKEN": xo.token}
    job = write_job(tmp_path, xo.url)
    plan = tmp_path / "plan.json"
    dry = cli("sync", str(job), "--dry-run", "--out", str(plan), env=env)
    assert dry.returncode == 2, dry.stderr
    saved = json.loads(plan.read_text())
    assert len(saved["fingerprints"]["sources"]) == 64
    xo.vms[0]["tags"] = [*xo.vms[0]["tags"], "changed"]
    stale = cli("apply", str(plan), "--yes", env=env)
    assert stale.returncode == 3 and "sources changed" in stale.stderr, stale.stderr
    applied = cli("sync", str(job), env=env)
    assert applied.returncode == 0, applied.stderr
    again = cli("sync", str(job), "--dry-run", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    written = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert plan in written and any(f.suffix == ".sqlite" for f in written)
    for f in written:
        assert xo.token.encode() not in f.read_bytes(), f
    for proc in (dry, stale, applied, again):
        assert xo.token not in proc.stdout + proc.stderr


# -- the command line -------------------------------------------------------------------------------


def test_inspect_from_the_command_line(xo):
    proc = cli("inspect", f"xo:{xo.url}", "--format", "json", env={"XO_TOKEN": xo.token})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    hosts = doc["hosts"]
    assert {h["name"] for h in hosts} == NAMES
    web = next(h for h in hosts if h["name"] == "web-01")
    assert (web["host"], web["category"], web["tags"], web["description"]) == (
        "10.10.1.11",
        ["Production"],
        ["prod", "web"],
        "Public web front end",
    )
    assert web["source"] == {"format": "xo", "file": xo.url, "line": None, "section": "Production"}
    assert xo.token not in proc.stdout + proc.stderr


def test_plan_then_apply_into_the_embedded_target_then_nothing_to_do(xo, tmp_path):
    env = {"XO_TOKEN": xo.token}
    target = ["--target", "embedded", "--embedded-state", str(tmp_path / "vault")]
    source = [f"xo:{xo.url}", "--source-option", "include_halted=false"]
    plan = cli("plan", *source, *target, "--format", "json", env=env)
    assert plan.returncode == 2, plan.stderr
    created = {c["name"] for c in json.loads(plan.stdout)["changes"] if c["action"] == "create"}
    assert created >= NAMES - {"legacy-app"} and "legacy-app" not in created
    apply = cli("apply", *source, *target, "--yes", "--format", "json", env=env)
    assert apply.returncode == 0, apply.stderr
    assert json.loads(apply.stdout)["apply"]["created"] >= 7
    again = cli("plan", *source, *target, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    for proc in (plan, apply, again):
        assert xo.token not in proc.stdout + proc.stderr


def test_bad_token_exits_8_with_one_line_and_never_shows_it(xo, tmp_path):
    bad = "Bad-Token-Value-4242"
    token_file = tmp_path / "token"
    token_file.write_text(bad, encoding="utf-8")
    for proc in (
        cli("inspect", f"xo:{xo.url}", env={"XO_TOKEN": bad}),
        cli("plan", f"xo:{xo.url}", "--target", "embedded", "--source-option", f"token_file={token_file}"),
    ):
        assert proc.returncode == 8, proc.stderr
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("xpipe-migrate: error: ")
        assert "refused the token" in proc.stderr and bad not in proc.stdout + proc.stderr


def test_token_on_the_command_line_is_refused(xo):
    proc = cli("inspect", f"xo:{xo.url}", "--source-option", "token=Cmdline-Secret-31")
    assert proc.returncode == 1 and "XO_TOKEN" in proc.stderr
    assert "Cmdline-Secret-31" not in proc.stdout + proc.stderr and xo.requests == []


def test_slow_server_is_a_timeout_error():
    with XoStandIn(TSOA, delay=5) as xo:
        proc = cli("inspect", f"xo:{xo.url}", "--source-option", "timeout=0.5", env={"XO_TOKEN": xo.token})
    assert proc.returncode == 8 and "did not answer /rest/v0 within 0.5 s" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_unreachable_xo_is_exit_8():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = cli("inspect", f"xo:http://127.0.0.1:{port}", env={"XO_TOKEN": "t"})
    assert proc.returncode == 8 and "cannot connect to Xen Orchestra" in proc.stderr


def test_sample_job_loads():
    job = load_job(ROOT / "samples" / "xo" / "job.toml")
    [spec] = job.sources
    assert spec.format == "xo" and spec.url == "https://xo.example.org" and spec.path is None
    assert spec.options["filter"] == "power_state:Running !tags:no-xpipe"


def test_job_token_file_is_relative_to_the_job_file(xo, tmp_path, monkeypatch):
    monkeypatch.delenv("XO_TOKEN", raising=False)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "xo.token").write_text(xo.token, encoding="utf-8")
    job = load_job(write_job(tmp_path, xo.url, 'options = { token_file = "secrets/xo.token" }\n'))
    assert job.sources[0].options["token_file"] == str((tmp_path / "secrets" / "xo.token").resolve())
    monkeypatch.chdir(tmp_path / "secrets")
    assert len(read_inventory([job.sources[0].to_input()]).hosts) == 8
