"""The command line as a user runs it (a subprocess): what the README promises for commands and exit codes.

Usage errors exit 1 (never 2, which is "changes pending"); global flags work anywhere; a documented
command form works; a flag that cannot apply is an error; conflicts are a partial result (exit 4);
ad-hoc runs own what they write through a ledger in the user's state folder (XDG_STATE_HOME points
into tmp_path for every test, see conftest.py).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.csv_files import write_csv
from helpers.paths import REPO_ROOT

from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

ROOT = REPO_ROOT


def cli(*argv, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrator", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=120,
        env=os.environ.copy(),
    )


def hosts(n: int) -> list[dict]:
    return [
        {"name": f"web{i:02d}", "host": f"web{i:02d}.example.net", "user": "ops", "folder": "Prod"}
        for i in range(1, n + 1)
    ]


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "servers.csv"
    write_csv(path, hosts(3))
    return path


@pytest.fixture
def job(tmp_path, csv_file) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(
        f'name = "t"\n[[source]]\npath = "{csv_file.name}"\nformat = "csv"\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def saved(tmp_path, job) -> Path:
    out = tmp_path / "plan.json"
    proc = cli("plan", "--job", job, "--out", out)
    assert proc.returncode == 2, proc.stderr
    return out


@pytest.fixture
def sim(tmp_path):
    with Simulator(version="24.0", auth_file=tmp_path / "xpipe" / "beacon-auth") as s:
        yield s


def on(sim) -> list[str]:
    return ["--target", sim.url, "--auth-file", str(sim.auth_file)]


def plan_json(*argv) -> tuple[int, dict, str]:
    proc = cli("plan", *argv, "--format", "json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else {}, proc.stderr


def actions(doc: dict) -> list[tuple[str, str]]:
    return sorted(
        (c["action"], c["name"]) for c in doc["changes"] if c["kind"] == "host" and c["action"] != "unchanged"
    )


# -- commands that do what the README says ---------------------------------------------------------


def test_documented_plan_job_out_then_apply_plan(tmp_path, job, saved):
    doc = json.loads(saved.read_text())
    assert doc["schema"] == "xpipe-migrate/saved-plan" and doc["options"] == {
        "prune": None,
        "force": False,
        "adopt": False,
    }
    proc = cli("apply", saved)
    assert proc.returncode == 0, proc.stderr
    assert cli("plan", "--job", job).returncode == 0  # applied: nothing left to do


def test_saved_plan_made_with_prune_is_applied_with_prune(tmp_path, job, csv_file):
    assert cli("sync", job).returncode == 0
    write_csv(csv_file, hosts(2))
    out = tmp_path / "prune.json"
    assert cli("plan", "--job", job, "--prune", "--out", out).returncode == 2
    proc = cli("apply", out, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert ("quarantine", "web03") in actions(json.loads(proc.stdout))
    assert cli("apply", out, "--no-prune").returncode == 1  # would change the plan: an error, not ignored


def test_adhoc_ledger_in_user_state_dir_gives_adoption_and_guarded_prune(sim, tmp_path, csv_file, private_state_dir):
    # somebody else's import (its own ledger) took the names first: ours are conflicts, exit 4
    theirs = tmp_path / "theirs.sqlite"
    assert cli("apply", csv_file, *on(sim), "--yes", "--state", theirs).returncode == 0
    code, doc, err = plan_json(csv_file, *on(sim))
    assert code == 4 and "3 conflict(s) would leave the vault short of the source" in err
    assert {a for a, _ in actions(doc)} == {"conflict"}
    proc = cli("apply", csv_file, *on(sim), "--yes")
    assert proc.returncode == 4 and "3 conflict(s) left the vault short of the source" in proc.stderr
    # the default ledger sits in the user's state folder, private
    (ledger,) = private_state_dir.glob("ledger-*.sqlite")
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert stat.S_IMODE(private_state_dir.stat().st_mode) == 0o700
    # --adopt takes them over; then the run is clean
    assert cli("apply", csv_file, *on(sim), "--yes", "--adopt").returncode == 0
    assert plan_json(csv_file, *on(sim))[0] == 0
    # drift: a field changed in XPipe is kept and reported; --force resets it
    client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
    client.connect()
    uuid = next(u for u in client.query_stores("**", "web01", "ssh"))
    raw = client.store_info([uuid])[0][0]["rawData"]
    client.add_store("web01", dict(raw, type="ssh", port=2999))
    code, doc, _ = plan_json(csv_file, *on(sim))
    assert code == 0 and doc["summary"]["drift"] == 1
    audit = cli("audit", csv_file, *on(sim), "--format", "json")  # the audit reads the same ledger
    assert audit.returncode == 2 and json.loads(audit.stdout)["summary"]["drift"] == 1
    assert cli("apply", csv_file, *on(sim), "--yes", "--force").returncode == 0
    assert client.store_info([uuid])[0][0]["rawData"]["port"] == 22
    # a host gone from the source: pruned only with --prune, and only what the ledger owns
    write_csv(csv_file, hosts(2))
    assert actions(plan_json(csv_file, *on(sim))[1]) == []
    code, doc, _ = plan_json(csv_file, *on(sim), "--prune")
    assert code == 2 and actions(doc) == [("quarantine", "web03")]
    assert cli("apply", csv_file, *on(sim), "--yes", "--prune").returncode == 0
    # guarded: an empty source never prunes (exit 3), --force does not override it
    csv_file.write_text("name,host,user,folder\n", encoding="utf-8")
    proc = cli("apply", csv_file, *on(sim), "--yes", "--prune", "--force")
    assert proc.returncode == 3 and "produced no hosts" in proc.stderr
    client.close()


def test_state_flag_chooses_the_ledger_and_embedded_state_keeps_one(tmp_path, csv_file, private_state_dir):
    mine = tmp_path / "mine" / "ledger.sqlite"
    assert cli("apply", csv_file, "--target", "embedded", "--yes", "--state", mine).returncode == 0
    assert mine.is_file() and not private_state_dir.exists()
    vault = tmp_path / "vault"
    assert cli("apply", csv_file, "--target", "embedded", "--embedded-state", vault, "--yes").returncode == 0
    assert len(list(private_state_dir.glob("ledger-*.sqlite"))) == 1
    write_csv(csv_file, hosts(2))
    code, doc, _ = plan_json(csv_file, "--target", "embedded", "--embedded-state", vault, "--prune")
    assert code == 2 and actions(doc) == [("quarantine", "web03")]
    # the embedded simulator without a state folder has no lasting vault: no ledger there
    assert cli("plan", csv_file, "--target", "embedded").returncode == 2
    assert len(list(private_state_dir.glob("ledger-*.sqlite"))) == 1


# -- flags that cannot apply are errors -----------------------------------------------------------

FLAG_ERRORS = [
    (["plan", "{csv}", "--target", "embedded", "--prune"], "needs a ledger"),
    (["apply", "{csv}", "--target", "embedded", "--adopt", "--yes"], "needs a ledger"),
    (["apply", "{csv}", "--target", "embedded", "--force", "--yes"], "needs a ledger"),
    (["plan", "{csv}", "--target", "embedded", "--out", "p.json"], "--out cannot be used without --job"),
    (["plan", "--job", "{job}", "--target", "embedded"], "--target cannot be used with --job"),
    (["plan", "--job", "{job}", "--state", "x.sqlite"], "--state cannot be used with --job"),
    (["plan", "--job", "{job}", "--mapping", "generic"], "--mapping cannot be used with --job"),
    (["plan", "--job", "{job}", "--root-category", "X"], "--root-category cannot be used with --job"),
    (["apply", "{saved}", "--prune"], "--prune would change the saved plan"),
    (["apply", "{saved}", "--adopt"], "--adopt would change the saved plan"),
    (["apply", "{saved}", "--force"], "--force would change the saved plan"),
    (["apply", "{saved}", "--target", "embedded"], "--target cannot be used with a saved plan"),
    (["apply", "{saved}", "--state", "x.sqlite"], "--state cannot be used with a saved plan"),
    (["sync", "{job}", "--dry-run", "--detailed-exitcode"], "--detailed-exitcode cannot be used with --dry-run"),
    (["sync", "{job}", "--out", "p.json"], "use it with --dry-run"),
    (["sync", "{job}", "--format", "json", "--show-unchanged"], "--show-unchanged cannot be used with --format"),
    (["plan", "{csv}", "--target", "embedded", "--format", "json", "--show-unchanged"], "--show-unchanged"),
    (["audit", "{csv}", "--target", "embedded", "--probe-timeout", "3"], "--probe-timeout cannot be used without"),
    (["audit", "--job", "{job}", "--identities", "shared"], "--identities cannot be used with --job"),
    (["audit", "--job", "{job}", "--state", "x.sqlite"], "--state cannot be used with --job"),
    (["audit", "{csv}", "--target", "embedded", "--state", "x.sqlite"], "no ledger there"),
    (["plan", "{csv}", "--target", "embedded", "--auth-file", "a"], "--auth-file cannot be used with --target emb"),
    (["plan", "{csv}", "--embedded-state", "d"], "--embedded-state cannot be used without --target embedded"),
    (["plan", "{csv}", "--target", "embedded", "--identity", "ops", "--identities", "shared"], "with --identity"),
    (
        ["plan", "{csv}", "--target", "embedded", "--identities", "inplace", "--identity-threshold", "3"],
        "--identity-threshold cannot be used with --identities inplace",
    ),
    (["plan", "{csv}", "--target", "http://127.0.0.1:9", "--ca-bundle", "ca.pem"], "--ca-bundle cannot be used"),
    (["plan", "{ssh}", "--target", "embedded", "--rejects", "r.csv"], "and no source is one"),
    (["plan", "{csv}", "--target", "embedded", "--bogus"], "unrecognized arguments: --bogus"),
    (["plan", "{csv}", "--tar", "embedded"], "unrecognized arguments: --tar"),  # no silent abbreviations
    (["plan", "{csv}", "--format", "xml"], "invalid choice: 'xml'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "required: COMMAND"),
]


@pytest.mark.parametrize(("argv", "message"), FLAG_ERRORS, ids=[" ".join(a) or "nothing" for a, _ in FLAG_ERRORS])
def test_flag_that_cannot_apply_is_an_error_exit_1(argv, message, tmp_path, csv_file, job, request):
    ssh = tmp_path / "ssh_config"
    ssh.write_text("Host web\n  HostName web.example.net\n", encoding="utf-8")
    values = {"csv": csv_file, "job": job, "ssh": ssh}
    if "{saved}" in argv:
        values["saved"] = request.getfixturevalue("saved")
    proc = cli(*(a.format(**values) for a in argv), cwd=tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert not (tmp_path / "p.json").exists()


# -- exit codes keep their meaning ----------------------------------------------------------------


def test_usage_error_is_not_changes_pending(csv_file):
    assert cli("plan", csv_file, "--target", "embedded").returncode == 2  # changes pending
    assert cli("plan", csv_file, "--target", "embedded", "--frobnicate").returncode == 1
    for argv in (["--help"], ["plan", "--help"], ["--version"]):
        assert cli(*argv).returncode == 0
    help_text = cli("plan", "--help").stdout
    assert "exit codes:" in help_text and "4  partial" in help_text


def test_conflicts_make_apply_partial_and_plan_say_so(tmp_path, csv_file):
    vault = tmp_path / "vault"
    base = ["--target", "embedded", "--embedded-state", vault]
    assert cli("apply", csv_file, *base, "--yes", "--root-category", "Team A").returncode == 0
    # the same names under another root category are not ours there: never written
    code, doc, err = plan_json(csv_file, *base, "--root-category", "Team B")
    assert code == 4 and "3 conflict(s) would leave the vault short" in err
    assert actions(doc) == [("conflict", "web01"), ("conflict", "web02"), ("conflict", "web03")]
    proc = cli("apply", csv_file, *base, "--yes", "--root-category", "Team B")
    assert proc.returncode == 4 and "3 conflict(s) left the vault short of the source" in proc.stderr


@pytest.mark.parametrize(
    "flags",
    [
        ["--debug", "--no-progress", "{cmd}"],
        ["{cmd}", "--debug", "--no-progress"],
        ["--no-progress", "{cmd}", "--debug"],
    ],
)
def test_global_flags_anywhere_on_the_line(flags, tmp_path, csv_file):
    missing = tmp_path / "missing.csv"
    proc = cli(*[f if f != "{cmd}" else "inspect" for f in flags], missing)
    assert proc.returncode == 1 and "Traceback" in proc.stderr  # --debug took effect wherever it stood
    argv = [x for f in flags for x in ((["plan", csv_file, "--target", "embedded"]) if f == "{cmd}" else [f])]
    assert cli(*argv).returncode == 2
    assert cli("mapping", "check", csv_file, *[f for f in flags if f != "{cmd}"]).returncode == 0


# -- mapping profiles -------------------------------------------------------------------------------

SITE_PROFILE = """
[profile]
title = "Site inventory"
[detect]
headers = ["server", "site", "env"]
[fields.name]
columns = ["server"]
[fields.host]
columns = ["address"]
[fields.folder]
columns = ["site", "env"]
join = true
[fields.tags]
columns = ["role", "team"]
join = true
"""


def test_join_builds_a_list_field_from_several_columns(tmp_path):
    profile = tmp_path / "site.toml"
    profile.write_text(SITE_PROFILE, encoding="utf-8")
    data = tmp_path / "inv.csv"
    data.write_text("Server,Address,Env,Site,Team,Role\nweb1,10.0.0.1,prod,Berlin,ops,web\n", encoding="utf-8")
    proc = cli("inspect", data, "--mapping", profile, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (host,) = json.loads(proc.stdout)["hosts"]
    assert host["category"] == ["Berlin", "prod"]  # the profile's column order, not the file's
    assert host["tags"] == ["web", "ops"]
    check = cli("mapping", "check", data, "--mapping", profile)
    assert check.returncode == 0 and "folder (all such columns joined)" in check.stdout
    profile.write_text(
        SITE_PROFILE.replace('[fields.name]\ncolumns = ["server"]', '[fields.name]\ncolumns = ["server"]\njoin = true'),
        encoding="utf-8",
    )
    proc = cli("inspect", data, "--mapping", profile)
    assert proc.returncode == 1 and "[fields.name]: join only applies to" in proc.stderr


def test_weak_guess_asks_for_mapping_and_shows_the_preview(tmp_path):
    data = tmp_path / "cmdb.csv"
    data.write_text("Hostname,IP Address,OS,Owner,Location,Rack\nweb1,10.0.0.1,Linux,ops,Berlin,R1\n", encoding="utf-8")
    for command in (["inspect", data], ["plan", data, "--target", "embedded"]):
        proc = cli(*command)
        assert proc.returncode == 1, proc.stderr
        first, _, rest = proc.stderr.partition("\n")
        assert "fits no mapping profile well" in first and "score 0.17 < 0.5" in first and "--mapping" in first
        assert "mapping check preview (nothing was imported)" in rest and "web1" in rest
        assert "create" not in proc.stdout
    check = cli("mapping", "check", data)
    assert check.returncode == 1 and "not imported without --mapping" in check.stdout
    # with --mapping the user chose: imported, and the two address columns are still named
    proc = cli("inspect", data, "--mapping", "generic", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [h["host"] for h in doc["hosts"]] == ["web1"]
    (shared,) = [d for d in doc["diagnostics"] if d["code"] == "ambiguous-column"]
    assert "'Hostname' and 'IP Address' both fit host" in shared["message"]


def test_two_address_columns_never_pick_one_silently(tmp_path):
    data = tmp_path / "servers.csv"
    data.write_text(
        "name,host,ip address,port,user,folder\nweb1,web1.example.net,10.0.0.1,22,ops,Prod\n", encoding="utf-8"
    )
    proc = cli("plan", data, "--target", "embedded")
    assert proc.returncode == 1
    assert "columns 'host' and 'ip address' on line 1 both fit the host address" in proc.stderr
    check = cli("mapping", "check", data)
    assert check.returncode == 1 and "both fit host" in check.stdout


# -- the README says what the CLI does ------------------------------------------------------------


def test_readme_command_table_parses_and_exit_table_matches_help():
    import re
    import shlex

    from migrator.cli import EPILOG, build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Commands", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #", 1)[0].split(" > ", 1)[0] for line in block.splitlines() if line.strip()]
    assert len(lines) >= 10
    for line in lines:
        argv = shlex.split(line.replace("[", " ").replace("]", " "))[1:]
        build_parser().parse_args(argv)  # a usage error would exit
    table = re.findall(r"^\| (\d) \| (.+) \|$", readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1], re.M)
    assert [int(code) for code, _ in table] == list(range(9))
    assert dict(table)["4"].count("conflicts") == 2
    assert sorted(set(re.findall(r"^\s+(\d)  ", EPILOG, re.M)) | set(re.findall(r"   (\d)  ", EPILOG))) == [
        str(c) for c in range(9)
    ]


def test_mappings_readme_documents_every_field_and_key():
    from migrator.sources.tabular.profiles import _FIELD_KEYS, FIELDS

    text = (ROOT / "mappings" / "README.md").read_text(encoding="utf-8")
    schema = text.split("## Profile schema", 1)[1]
    for name in FIELDS:
        assert f"`{name}`" in schema, name
    for key in _FIELD_KEYS - {"map"}:
        assert f"`{key}`" in schema, key
    assert "`map`, `unmapped`" in schema
