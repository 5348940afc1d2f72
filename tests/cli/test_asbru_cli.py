"""asbru and windows_terminal through the command line: inspect of the samples as a subprocess, apply
to a live simulator with the decrypted passwords arriving byte-exact, a second apply that changes
nothing, and no secret in any output or report."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers.asbru import AsbruFile
from helpers.paths import REPO_ROOT

from migrator.xpipe.inplace import decode_inplace

SAMPLES = REPO_ROOT / "samples"
SECRETS = ("Bastion-Sample-1", "Web01 Sample pässword", "Db01-Key-Passphrase")


def cli(*argv: str, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_inspect_samples_as_json():
    run = cli("inspect", f"asbru:{SAMPLES / 'asbru' / 'asbru.yml'}", "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    by = {h["name"]: h for h in doc["hosts"]}
    assert by["web01"]["category"] == ["Production", "Web"] and by["db01"]["host"] == "db01.example.com"
    assert ("not-ssh", "desktop") in {(d["code"], d["entry"]) for d in doc["diagnostics"]}
    assert not [s for s in SECRETS if s in run.stdout + run.stderr]
    run = cli("inspect", str(SAMPLES / "windows_terminal" / "settings.json"), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert {h["name"] for h in json.loads(run.stdout)["hosts"]} == {"bastion", "web01 via bastion", "db01"}


def test_apply_carries_decrypted_passwords_byte_exact_and_converges(sim, client, tmp_path):
    password = "pä ss 'q' \"%\" `$HOME` \\ end "
    f = AsbruFile()
    grp = f.group("Prod")
    f.connection("a1", grp, ip="a1.example", user="deploy", **{"pass": password})
    path = tmp_path / "asbru.yml"
    path.write_text(f.full(), encoding="utf-8")
    target = ["--target", sim.url, "--auth-file", str(sim.auth_file)]
    report = tmp_path / "apply.json"
    first = cli("apply", f"asbru:{path}", *target, "--yes", "--report", f"json={report}")
    assert first.returncode == 0, first.stderr
    assert password not in first.stdout + first.stderr + report.read_text()
    passwords = []
    infos, _ = client.store_info(client.query_stores())
    for info in infos:
        raw = info.get("rawData") or {}
        store = (raw.get("identity") or {}).get("identityStore") or raw  # one-off identities stay in place
        if store.get("username") == "deploy" and store.get("password"):
            passwords.append(decode_inplace(json.loads(client.decrypt(store["password"]))["value"]))
    assert passwords == [password]
    second = cli("plan", f"asbru:{path}", *target, "--format", "json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["summary"]["create"] == 0
