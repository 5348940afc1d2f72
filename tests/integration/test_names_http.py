"""Names through a real sync against the simulator: XPipe's equalsIgnoreCase decides what is one entry."""

from __future__ import annotations

import json

from helpers.csv_files import write_csv

from migrator.cli import main

NAMES = [
    "a/b",
    "a_b",
    "\u0131xhost",
    "IXhost",
    "\u00dfeta",
    "sseta",
    "\u039f\u0394\u039f\u03a3",
    "\u03bf\u03b4\u03bf\u03c3",
]


def _job(tmp_path, sim):
    rows = [{"name": n, "host": f"h{i}.example.net", "user": "ops", "folder": "Web"} for i, n in enumerate(NAMES)]
    write_csv(tmp_path / "servers.csv", rows)
    path = tmp_path / "job.toml"
    path.write_text(
        f"""
name = "names"
state = "state/names.sqlite"
[[source]]
path = "servers.csv"
format = "csv"
[target]
url = "{sim.url}"
auth = "local"
auth_file = "{sim.auth_file}"
[import]
root_category = "Imported"
""",
        encoding="utf-8",
    )
    return path


def _sync(capsys, job, *extra):
    code = main(["--no-progress", "sync", str(job), "--format", "json", *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_names_xpipe_tells_apart_stay_apart_and_the_ones_it_merges_are_renamed(sim, client, tmp_path, capsys):
    job = _job(tmp_path, sim)
    code, doc, err = _sync(capsys, job)
    assert code == 0, err
    assert doc["apply"]["failed"] == 0
    renamed = {d["entry"] for d in doc["diagnostics"] if d["code"] == "name-collision"}
    # Java's equalsIgnoreCase: dotless i equals I; final sigma equals sigma; sharp s is not "ss"
    assert renamed == {"\u0131xhost", "IXhost", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c3"}
    hosts = {c["name"] for c in doc["changes"] if c["kind"] == "host"}
    assert {"a/b", "a_b", "\u00dfeta", "sseta"} <= hosts
    assert len(client.query_stores("**", "**", "ssh")) == len(NAMES)
    for _ in range(2):
        code, doc, err = _sync(capsys, job, "--dry-run")
        assert code == 0, err
        assert [(c["action"], c["name"], c.get("reason")) for c in doc["changes"] if c["action"] != "unchanged"] == []
    code = main(["--no-progress", "audit", "--job", str(job), "--format", "json"])
    audit = json.loads(capsys.readouterr().out)
    assert audit["summary"]["duplicate_names"] == 0, audit["health"]["duplicate_names"]


def test_without_a_ledger_names_shown_alike_are_told_apart_by_their_host(sim, client, tmp_path, capsys):
    path = tmp_path / "servers.csv"
    write_csv(path, [{"name": "a/b", "host": "ab1.example.net"}, {"name": "a_b", "host": "ab2.example.net"}])
    target = ["--target", sim.url, "--auth-file", str(sim.auth_file)]
    assert main(["--no-progress", "apply", str(path), *target, "--yes"]) == 0
    capsys.readouterr()
    assert len(client.query_stores("**", "**", "ssh")) == 2
    code = main(["--no-progress", "plan", str(path), *target, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and {(c["name"], c["action"]) for c in doc["changes"] if c["kind"] == "host"} == {
        ("a/b", "unchanged"),
        ("a_b", "unchanged"),
    }
