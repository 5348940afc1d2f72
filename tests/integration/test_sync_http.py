"""Sync jobs over HTTP against the simulator: the nightly sequence, drift, prune guards, saved plans."""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers.csv_files import write_csv

from migrator.cli import main
from migrator.xpipe.constants import DEFAULT_CATEGORY

PASSWORDS = ("Nightly-Pass-1", "Nightly-Pass-2", "Nightly-Pass-3", "Nightly-Pass-NEW")


def rows(n=12):
    out = [
        {"name": "bastion", "host": "bastion.example.net", "user": "ops", "password": PASSWORDS[0], "folder": "Infra"}
    ]
    for i in range(1, n):
        out.append(
            {
                "name": f"app{i:02d}",
                "host": f"app{i:02d}.example.net",
                "port": "22",
                "user": "deploy",
                "password": PASSWORDS[1 + i % 2],
                "folder": "Prod/App" if i % 2 else "Prod/Db",
                "jump": "bastion" if i % 3 == 0 else "",
            }
        )
    return out


@pytest.fixture
def job(tmp_path, sim):
    write_csv(tmp_path / "servers.csv", rows())
    text = f"""
name = "nightly"
state = "state/nightly.sqlite"

[[source]]
path = "servers.csv"
format = "csv"

[target]
url = "{sim.url}"
auth = "local"
auth_file = "{sim.auth_file}"

[import]
root_category = "Imported/Nightly"

[prune]
enabled = true
max_percent = 30
min_owned = 5
quarantine_days = 7

[reports]
markdown = "reports/plan.md"
html = "reports/plan.html"
json = "reports/plan.json"
"""
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sync(capsys, job, *extra) -> tuple[int, dict, str]:
    code = main(["--no-progress", "sync", str(job), "--format", "json", *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip().startswith("{") else {}, out.err


def actions(doc, *skip) -> list[tuple[str, str]]:
    return sorted(
        (c["action"], c["name"])
        for c in doc["changes"]
        if c["action"] not in ("unchanged", *skip) and c["kind"] != "category"
    )


def edit_in_xpipe(client, name, **changes):
    uuid = next(u for u in client.query_stores("**", "**", "ssh") if client.store_info([u])[0][0]["name"][-1] == name)
    raw = client.store_info([uuid])[0][0]["rawData"]
    client.add_store(name, dict(raw, type="ssh", **changes))
    return uuid


def test_nightly_sequence(sim, client, job, tmp_path, capsys):
    # 1. first import
    code, doc, err = sync(capsys, job)
    assert code == 0, err
    assert doc["apply"]["failed"] == 0 and doc["apply"]["created"] == len(doc["changes"]) - doc["summary"]["unchanged"]
    code, doc, _ = sync(capsys, job, "--dry-run")
    assert code == 0 and actions(doc) == []

    # 2. the source changes: one port, one password
    data = rows()
    data[1]["port"] = "2201"
    data[5]["password"] = PASSWORDS[3]
    write_csv(tmp_path / "servers.csv", data)
    code, doc, _ = sync(capsys, job, "--dry-run")
    assert code == 2
    assert actions(doc) == [("update", "app01"), ("update", "app05")]
    fields = {
        c["name"]: [(f["path"], f["old"], f["new"]) for f in c["fields"]]
        for c in doc["changes"]
        if c["action"] == "update"
    }
    # app05 had a password it shared with others (a shared identity); now it has its own: in place
    assert fields == {"app01": [("port", 22, 2201)], "app05": [("identity", "<ref>", "<inPlace>")]}
    assert sync(capsys, job)[0] == 0
    assert actions(sync(capsys, job, "--dry-run")[1]) == []

    # 3. somebody edits an entry in the XPipe app: drift is reported and kept, --force resets it
    edit_in_xpipe(client, "app02", port=2999)
    code, doc, _ = sync(capsys, job)
    assert code == 0 and actions(doc) == []
    drift = [c for c in doc["changes"] if any(f["drift"] for f in c["fields"])]
    assert [(c["name"], c["fields"][0]["path"], c["fields"][0]["old"], c["fields"][0]["kept"]) for c in drift] == [
        ("app02", "port", 2999, True)
    ]
    assert doc["summary"]["drift"] == 1
    assert client.store_info([drift[0]["uuid"]])[0][0]["rawData"]["port"] == 2999
    code, doc, _ = sync(capsys, job, "--force")
    assert code == 0 and actions(doc) == [("update", "app02")]
    assert client.store_info([drift[0]["uuid"]])[0][0]["rawData"]["port"] == 22
    assert actions(sync(capsys, job, "--dry-run")[1]) == []

    # 4. a host is removed from the source: quarantined, not deleted, and left untouched where it is
    (before,) = client.store_info(client.query_stores("**", "app11", "ssh"))[0]
    del data[11]
    write_csv(tmp_path / "servers.csv", data)
    code, doc, err = sync(capsys, job)
    assert code == 0 and actions(doc) == [("quarantine", "app11")], (err, doc["apply"]["failures"], actions(doc))
    assert client.store_info(client.query_stores("**", "app11", "ssh"))[0] == [before]
    assert not client.query_stores("all connections/imported/nightly/quarantine**", "**", "*")
    assert actions(sync(capsys, job, "--dry-run")[1]) == []

    # 5. an entry deleted in XPipe is created again, and said so
    gone = edit_in_xpipe(client, "app04")
    client.remove_stores([gone])
    code, doc, _ = sync(capsys, job)
    assert actions(doc) == [("create", "app04")]
    assert any(d["code"] == "deleted-in-xpipe" and d["entry"] == "app04" for d in doc["diagnostics"])

    # 6. the source is emptied: prune refuses (exit 3) even with --force, and nothing is touched
    write_csv(tmp_path / "servers.csv", [])
    before = len(client.query_stores("**", "**", "ssh"))
    code, doc, err = sync(capsys, job, "--force")
    assert code == 3 and "produced no hosts" in err
    assert len(client.query_stores("**", "**", "ssh")) == before

    # reports were written and the ledger and reports hold no secret
    blob = b"".join(p.read_bytes() for p in (tmp_path / "reports").iterdir())
    blob += b"".join(p.read_bytes() for p in (tmp_path / "state").iterdir())
    assert b"app01" in blob
    for secret in PASSWORDS:
        assert secret.encode() not in blob


def test_prune_percentage_guard_and_force(sim, client, job, tmp_path, capsys):
    assert sync(capsys, job)[0] == 0
    write_csv(tmp_path / "servers.csv", rows(6))
    code, doc, err = sync(capsys, job)
    assert code == 3 and "refusing to prune 6 of" in err
    assert len(client.query_stores("all connections/imported/nightly/prod/**", "**", "ssh")) == 11
    code, doc, err = sync(capsys, job, "--force")
    assert code == 0, err
    assert sorted(n for a, n in actions(doc) if a == "quarantine") == [f"app{i:02d}" for i in range(6, 12)]
    code, doc, err = sync(capsys, job, "--no-prune", "--dry-run")
    assert code == 0


def test_quarantine_expires_into_delete_and_comes_back_when_restored(sim, client, job, tmp_path, capsys):
    assert sync(capsys, job)[0] == 0
    data = rows()
    write_csv(tmp_path / "servers.csv", data[:-1])
    assert actions(sync(capsys, job)[1]) == [("quarantine", "app11")]
    db = sqlite3.connect(tmp_path / "state" / "nightly.sqlite")
    db.execute("UPDATE entries SET quarantined_at = '2020-01-01T00:00:00+00:00' WHERE name = 'app11'")
    db.commit()
    db.close()
    code, doc, _ = sync(capsys, job)
    assert actions(doc) == [("delete", "app11")]
    assert not [
        u for u in client.query_stores("**", "**", "ssh") if client.store_info([u])[0][0]["name"][-1] == "app11"
    ]
    write_csv(tmp_path / "servers.csv", data)
    assert actions(sync(capsys, job)[1]) == [("create", "app11")]


def test_entries_not_created_by_the_job_are_never_touched_unless_adopted(sim, client, job, tmp_path, capsys):
    cat = client.add_category("Nightly", client.add_category("Imported", "bfb0b51a-e7a3-4ce4-8878-8d4cb5828d6c"))
    theirs = client.add_store(
        "app01",
        {
            "type": "ssh",
            "host": "mine.example.org",
            "port": 22,
            "gateway": "f0ec68aa-63f5-405c-b178-9a4454556d6b",
            "identity": {
                "type": "inPlace",
                "identityStore": {
                    "type": "localIdentity",
                    "username": "me",
                    "password": {"type": "none"},
                    "sshIdentity": {"type": "none"},
                },
            },
        },
        category=cat,
    )
    client.add_store(
        "other",
        {
            "type": "ssh",
            "host": "other.example.org",
            "port": 22,
            "gateway": "f0ec68aa-63f5-405c-b178-9a4454556d6b",
            "identity": {
                "type": "inPlace",
                "identityStore": {
                    "type": "localIdentity",
                    "username": "me",
                    "password": {"type": "none"},
                    "sshIdentity": {"type": "none"},
                },
            },
        },
        category=DEFAULT_CATEGORY,
    )
    code, doc, _ = sync(capsys, job)
    conflict = next(c for c in doc["changes"] if c["name"] == "app01")
    assert conflict["action"] == "conflict" and "not created by this job" in conflict["reason"]
    assert client.store_info([theirs])[0][0]["rawData"]["host"] == "mine.example.org"
    code, doc, _ = sync(capsys, job, "--adopt")
    adopted = next(c for c in doc["changes"] if c["name"] == "app01")
    assert adopted["action"] == "recreate" and "moves from 'imported/nightly'" in adopted["reason"]
    (info,) = client.store_info(client.query_stores("all connections/imported/nightly/prod/app", "app01", "ssh"))[0]
    assert info["rawData"]["host"] == "app01.example.net"
    assert code == 0 and actions(sync(capsys, job, "--dry-run")[1]) == []
    write_csv(tmp_path / "servers.csv", rows()[:-1])
    code, doc, _ = sync(capsys, job)
    assert "other" in {e["name"][-1] for e in client.store_info(client.query_stores("**", "**", "ssh"))[0]}


def test_saved_plan_applies_only_while_nothing_changed(sim, client, job, tmp_path, capsys):
    plan_file = tmp_path / "plan.json"
    code, doc, _ = sync(capsys, job, "--dry-run", "--out", str(plan_file))
    assert code == 2 and plan_file.exists()
    saved = json.loads(plan_file.read_text())
    assert set(saved["fingerprints"]) == {"sources", "job", "ledger", "vault"}
    for secret in PASSWORDS:
        assert secret not in plan_file.read_text()
    client.add_category("Somebody else's", "bfb0b51a-e7a3-4ce4-8878-8d4cb5828d6c")
    code = main(["--no-progress", "apply", str(plan_file)])
    err = capsys.readouterr().err
    assert code == 3 and "vault" in err
    assert not client.query_stores("all connections/imported/**", "**", "ssh")

    code, doc, _ = sync(capsys, job, "--dry-run", "--out", str(plan_file))
    write_csv(tmp_path / "servers.csv", rows(11))
    assert main(["--no-progress", "apply", str(plan_file)]) == 3
    assert "sources" in capsys.readouterr().err

    write_csv(tmp_path / "servers.csv", rows())
    sync(capsys, job, "--dry-run", "--out", str(plan_file))
    assert main(["--no-progress", "apply", str(plan_file), "--detailed-exitcode"]) == 2
    capsys.readouterr()
    assert len(client.query_stores("all connections/imported/**", "**", "ssh")) == 12


def test_job_file_errors_name_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[source]]\npath = "s.csv"\n[prune]\nmax_precent = 3\n', encoding="utf-8")
    code = main(["sync", str(bad)])
    err = capsys.readouterr().err
    assert code == 1 and "max_precent" in err and "[prune]" in err
