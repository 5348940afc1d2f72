"""Source plugins, installed with pip from a real wheel: listed, detected, read, used in jobs; broken ones skipped.

Every test runs the CLI as a user does (a subprocess) with the plugin installed in a folder on
``PYTHONPATH``, which is how ``importlib.metadata`` finds any installed distribution.
"""

from __future__ import annotations

import json

import pytest
from helpers.plugins import build_wheel, hostlist_wheel, pip_install, run_cli

HOSTS = "# hostlist\nweb-01 192.0.2.11:2222 deploy\ndb-01 192.0.2.21\nbroken-line\n"


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    pip_install([hostlist_wheel(root / "dist")], root / "site")
    return root / "site"


_SOURCE = """
from pathlib import Path
from migrator.sources.base import FileSource
from migrator.model import SourceResult

class S(FileSource):
    format = {fmt!r}
    summary = "a test plugin"
    api_version = {version}
    {extra}
    def read(self):
        return SourceResult()
"""


def _plugin(module: str, fmt: str, *, version: int = 1, extra: str = "", entry: str | None = None):
    body = _SOURCE.format(fmt=fmt, version=version, extra=extra)
    return {f"{module}.py": body}, {entry or fmt: f"{module}:S"}


@pytest.fixture(scope="module")
def broken_dir(tmp_path_factory):
    """Plugins that each go wrong in another way, installed beside the working one."""
    root = tmp_path_factory.mktemp("broken")
    detect_all = "@classmethod\n    def detect(cls, path, head):\n        return 90 if path.suffix == '.dat' else 0\n"
    detect_boom = "@classmethod\n    def detect(cls, path, head):\n        raise RuntimeError('boom')\n"
    plugins = {
        "xpm-import-error": (
            {"xpm_import_error.py": "import no_such_module_anywhere\n"},
            {"importerror": "xpm_import_error:S"},
        ),
        "xpm-syntax": ({"xpm_syntax.py": "def (:\n"}, {"syntaxbad": "xpm_syntax:S"}),
        "xpm-not-a-source": ({"xpm_nas.py": "def S():\n    pass\n"}, {"notasource": "xpm_nas:S"}),
        "xpm-future": _plugin("xpm_future", "future", version=99),
        "xpm-misnamed": _plugin("xpm_misnamed", "othername", entry="misnamed"),
        "xpm-takes-csv": _plugin("xpm_csv", "csv"),
        "xpm-dup-a": _plugin("xpm_dup_a", "twice"),
        "xpm-dup-b": _plugin("xpm_dup_b", "twice"),
        "xpm-bad-name": _plugin("xpm_bad_name", "Bad-Name"),
        "xpm-detect-boom": _plugin("xpm_boom", "boom", extra=detect_boom),
        "xpm-tie-a": _plugin("xpm_tie_a", "tiea", extra=detect_all),
        "xpm-tie-b": _plugin("xpm_tie_b", "tieb", extra=detect_all),
    }
    wheels = [hostlist_wheel(root / "dist")]
    for dist, (files, entries) in plugins.items():
        wheels.append(build_wheel(root / "dist", dist, "0.1", files, entries))
    pip_install(wheels, root / "site")
    return root / "site"


def test_formats_lists_the_plugin_with_its_origin_options_and_defaults(plugin_dir, tmp_path):
    proc = run_cli(["formats", "--format", "json"], plugin_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    plugin = next(f for f in doc["formats"] if f["name"] == "hostlist")
    assert plugin["origin"] == "plugin xpipe-migrate-hostlist 1.0"
    assert plugin["summary"] == "plain host lists (an example plugin)"
    assert plugin["detected"] is True and plugin["location"] == "path"
    assert plugin["options"] == [
        {
            "name": "default_user",
            "type": "text",
            "default": "none",
            "help": "the user of every host whose line names none",
        },
        {"name": "folder", "type": "text", "default": "none", "help": "the folder every host goes into"},
    ]
    assert doc["problems"] == []
    table = run_cli(["formats", "hostlist"], plugin_dir, tmp_path)
    assert table.returncode == 0 and table.stdout.startswith("hostlist  (plugin xpipe-migrate-hostlist 1.0;")
    assert "default_user  text, default none: the user of every host whose line names none" in table.stdout


def test_without_the_plugin_the_format_is_unknown(tmp_path):
    (tmp_path / "s.hosts").write_text(HOSTS)
    proc = run_cli(["inspect", "hostlist:s.hosts"], None, tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "hostlist:s.hosts: 'hostlist' is not a source format this installation knows (known: csv," in proc.stderr
    assert "a plugin's format needs the plugin installed" in proc.stderr
    listed = run_cli(["formats", "hostlist"], None, tmp_path)
    assert listed.returncode == 1 and "hostlist: not a format this installation knows" in listed.stderr


def test_inspect_detects_the_plugins_format_and_reads_it(plugin_dir, tmp_path):
    (tmp_path / "servers.hosts").write_text(HOSTS)
    proc = run_cli(["inspect", "servers.hosts", "--format", "json"], plugin_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    hosts = {h["name"]: h for h in doc["hosts"]}
    assert set(hosts) == {"web-01", "db-01"}
    assert (hosts["web-01"]["host"], hosts["web-01"]["port"], hosts["web-01"]["user"]) == ("192.0.2.11", 2222, "deploy")
    assert hosts["web-01"]["key"].startswith("hostlist:") and hosts["web-01"]["key"].endswith("/servers.hosts#web-01")
    assert hosts["web-01"]["source"]["format"] == "hostlist"
    assert [(d["code"], d["line"]) for d in doc["diagnostics"]] == [("hostlist-line", 4)]
    named = run_cli(
        ["inspect", "hostlist:servers.hosts", "--source-option", "default_user=ops", "--format", "json"],
        plugin_dir,
        tmp_path,
    )
    assert {h["name"]: h["user"] for h in json.loads(named.stdout)["hosts"]} == {"web-01": "deploy", "db-01": "ops"}


def test_a_plugin_option_is_checked_by_its_model(plugin_dir, tmp_path):
    (tmp_path / "servers.hosts").write_text(HOSTS)
    proc = run_cli(["inspect", "servers.hosts", "--source-option", "default_usr=ops"], plugin_dir, tmp_path)
    assert proc.returncode == 1
    assert "unknown option 'default_usr' for hostlist sources (did you mean 'default_user'?)" in proc.stderr


def test_a_job_file_uses_the_plugin_and_apply_writes_its_hosts(plugin_dir, tmp_path):
    (tmp_path / "servers.hosts").write_text(HOSTS.replace("broken-line\n", ""))
    (tmp_path / "job.toml").write_text(
        'name = "plugin-job"\nstate = "state/ledger.sqlite"\n[target]\nurl = "embedded"\nembedded_state = "vault"\n'
        '[[source]]\nformat = "hostlist"\npath = "servers.hosts"\noptions = { folder = "Lab" }\n'
    )
    dry = run_cli(["sync", "job.toml", "--dry-run", "--format", "json"], plugin_dir, tmp_path)
    assert dry.returncode == 2, dry.stderr
    plan = json.loads(dry.stdout)
    assert sorted((c["action"], c["name"]) for c in plan["changes"] if c["kind"] == "host") == [
        ("create", "db-01"),
        ("create", "web-01"),
    ]
    applied = run_cli(["sync", "job.toml", "--format", "json"], plugin_dir, tmp_path)
    assert applied.returncode == 0, applied.stderr
    again = run_cli(["sync", "job.toml", "--dry-run", "--format", "json"], plugin_dir, tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["create"] == 0


def test_a_job_naming_a_format_that_is_not_installed_is_refused(tmp_path):
    (tmp_path / "job.toml").write_text('name = "j"\n[[source]]\nformat = "hostlst"\npath = "x"\n')
    proc = run_cli(["sync", "job.toml", "--dry-run"], None, tmp_path)
    assert proc.returncode == 1 and "unknown format 'hostlst'" in proc.stderr


def test_broken_plugins_are_reported_and_never_stop_the_built_ins(broken_dir, tmp_path):
    (tmp_path / "a.csv").write_text("name,host\nweb,192.0.2.1\n")
    proc = run_cli(["inspect", "a.csv", "--format", "json"], broken_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [h["name"] for h in json.loads(proc.stdout)["hosts"]] == ["web"]
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "source plugin not used" in line]
    text = "\n".join(warnings)
    for expected in (
        "plugin xpm-import-error 0.1: cannot be loaded "
        "(ModuleNotFoundError: No module named 'no_such_module_anywhere')",
        "plugin xpm-syntax 0.1: cannot be loaded (SyntaxError",
        "plugin xpm-not-a-source 0.1: xpm_nas:S is not a Source class",
        "plugin xpm-future 0.1: it is written for source contract version 99; this xpipe-migrate speaks 1",
        "plugin xpm-misnamed 0.1: its class says format 'othername', its entry point 'misnamed'",
        "plugin xpm-takes-csv 0.1: format name 'csv' is a built-in format's; the plugin is not used",
        "format 'twice' is registered by plugin xpm-dup-a 0.1 and plugin xpm-dup-b 0.1",
        "plugin xpm-bad-name 0.1: format name 'Bad-Name' is not a lower-case name",
        "plugin xpm-detect-boom 0.1: its detect failed on a.csv (RuntimeError)",
    ):
        assert expected in text, (expected, text)
    assert len(warnings) == len(set(warnings))
    quiet = run_cli(["-q", "inspect", "a.csv", "--format", "json"], broken_dir, tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_formats_lists_what_is_not_used_and_still_exits_0(broken_dir, tmp_path):
    proc = run_cli(["formats", "--format", "json"], broken_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    names = [f["name"] for f in doc["formats"]]
    assert "hostlist" in names and "tiea" in names and "csv" in names
    assert not {"twice", "future", "importerror", "misnamed", "notasource"} & set(names)
    assert next(f for f in doc["formats"] if f["name"] == "csv")["origin"] == "built-in"
    assert any("'twice' is registered by" in p for p in doc["problems"])
    table = run_cli(["formats"], broken_dir, tmp_path)
    assert "not used: plugin xpm-future 0.1" in table.stdout


def test_a_name_two_plugins_claim_is_an_error_naming_both(broken_dir, tmp_path):
    (tmp_path / "x.txt").write_text("x\n")
    proc = run_cli(["inspect", "twice:x.txt"], broken_dir, tmp_path)
    assert proc.returncode == 1
    assert "format 'twice' is registered by plugin xpm-dup-a 0.1 and plugin xpm-dup-b 0.1" in proc.stderr
    assert "uninstall one of them" in proc.stderr and "Traceback" not in proc.stderr


def test_a_detection_tie_is_an_error_naming_both_formats(broken_dir, tmp_path):
    (tmp_path / "mystery.dat").write_text("something\n")
    proc = run_cli(["inspect", "mystery.dat"], broken_dir, tmp_path)
    assert proc.returncode == 1
    assert "the formats tiea, tieb are equally sure this file is theirs; name one with FORMAT:PATH" in proc.stderr
    named = run_cli(["inspect", "tiea:mystery.dat", "--format", "json"], broken_dir, tmp_path)
    assert named.returncode == 0, named.stderr


def test_a_broken_plugin_named_explicitly_says_why(broken_dir, tmp_path):
    (tmp_path / "x.txt").write_text("x\n")
    proc = run_cli(["inspect", "future:x.txt"], broken_dir, tmp_path)
    assert proc.returncode == 1
    assert "source format 'future': plugin xpm-future 0.1: it is written for source contract version 99" in proc.stderr
