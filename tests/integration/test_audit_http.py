"""``audit`` over HTTP: read-only, and every kind of finding shows up, probes against 127.0.0.1 only."""

from __future__ import annotations

import json
import socket

from helpers.csv_files import write_csv
from helpers.ssh_server import ParamikoSSHServer

from migrator.cli import main

WRITE_PATHS = ("/connection/add", "/store/add", "/connection/remove", "/store/remove", "/category/add")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_audit_reports_every_finding_and_writes_nothing(sim, client, tmp_path, capsys):
    server = ParamikoSSHServer()
    dead = closed_port()
    try:
        rows = [
            {"name": "gw", "host": "127.0.0.1", "port": str(server.port), "user": "jump", "folder": "Infra"},
            {"name": "alive", "host": "127.0.0.1", "port": str(server.port), "user": "ops", "folder": "Prod"},
            {"name": "dead", "host": "127.0.0.1", "port": str(dead), "user": "ops", "folder": "Prod"},
            {"name": "behind", "host": "127.0.0.2", "port": "22", "user": "ops", "folder": "Prod", "jump": "gw"},
            {"name": "gone-soon", "host": "127.0.0.3", "port": "22", "user": "ops", "folder": "Prod"},
        ]
        write_csv(tmp_path / "servers.csv", rows)
        job = tmp_path / "job.toml"
        job.write_text(
            f'name = "audit"\n[[source]]\npath = "servers.csv"\n[target]\nurl = "{sim.url}"\n'
            f'auth = "local"\nauth_file = "{sim.auth_file}"\n',
            encoding="utf-8",
        )
        assert main(["--no-progress", "sync", str(job)]) == 0
        capsys.readouterr()
        # drift: somebody edits 'alive' in XPipe; a duplicate name appears; 'gone-soon' leaves the source
        infos, _ = client.store_info(client.query_stores("**", "alive", "ssh"))
        client.add_store("alive", dict(infos[0]["rawData"], type="ssh", port=2222))
        client.add_store(
            "DEAD",
            {"type": "localIdentity", "username": "x", "password": {"type": "none"}, "sshIdentity": {"type": "none"}},
            category="e784de4e-abea-4cb8-a839-fc557cd23097",
        )
        write_csv(tmp_path / "servers.csv", rows[:-1])
        sim.reset_counters()
        code = main(
            [
                "--no-progress",
                "audit",
                "--job",
                str(job),
                "--probe",
                "--probe-timeout",
                "2",
                "--format",
                "json",
                "--report",
                f"html={tmp_path / 'audit.html'}",
            ]
        )
        doc = json.loads(capsys.readouterr().out)
    finally:
        server.close()
    assert code == 2
    assert sum(n for p, n in sim.requests.items() if p in WRITE_PATHS) == 0
    assert [(c["name"], [f["path"] for f in c["fields"]]) for c in doc["drift"]] == [("alive", ["port"])]
    assert [m["name"] for m in doc["missing_from_sources"]] == ["gone-soon"]
    assert [d["name"] for d in doc["health"]["duplicate_names"]] == ["dead"]
    assert doc["summary"]["conflicts"] == 1  # 'dead' now clashes with the identity of the same name
    probes = {p["name"]: p for p in doc["probe"]}
    assert probes["alive"]["status"] == "ok" and probes["alive"]["host_key_fingerprint"] == server.fingerprint
    assert probes["gw"]["status"] == "ok"
    assert probes["dead"]["status"] == "refused"
    assert probes["behind"]["status"] == "skipped" and "gw" in probes["behind"]["message"]
    assert doc["summary"]["unreachable"] == 1
    html = (tmp_path / "audit.html").read_text()
    assert "gone-soon" in html and "refused" in html


def test_audit_finds_null_references_and_hidden_owned_entries(sim, client, tmp_path, capsys):
    rows = [
        {"name": "bastion", "host": "b.example.net", "user": "ops"},
        {"name": "inner", "host": "i.example.net", "user": "ops", "jump": "bastion"},
    ]
    write_csv(tmp_path / "servers.csv", rows)
    job = tmp_path / "job.toml"
    job.write_text(
        f'name = "audit2"\n[[source]]\npath = "servers.csv"\n[target]\nurl = "{sim.url}"\n'
        f'auth = "local"\nauth_file = "{sim.auth_file}"\n',
        encoding="utf-8",
    )
    assert main(["--no-progress", "sync", str(job)]) == 0
    capsys.readouterr()
    # the simulator shows 'inner' under 'bastion' (as XPipe shows an entry under its gateway), so removing
    # the bastion removes both; the ledger still owns them: hidden owned entries
    bastion = client.query_stores("**", "bastion", "ssh")
    client.remove_stores(bastion)
    code = main(["--no-progress", "audit", "--job", str(job), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 2
    hidden = sorted(h["name"] for h in doc["health"]["hidden_owned"])
    assert hidden == ["bastion", "inner"]
    assert doc["summary"]["pending_changes"] == 2
