"""Issue 10 §1: a sync never removes or overwrites an entry whose source entry still exists.

Over real HTTP against the simulator: rows that exist but cannot be imported are held (untouched,
exit 4); a folder move is a move in every format; one XPipe UUID never has two ledger rows;
and a write that fails at any step of a prune or move leaves the original in the vault.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.csv_files import write_csv
from helpers.mobaxterm import line, ssh_g3
from helpers.sync_safety import FaultProxy, actions, by_name, ledger_rows, sync, vault, write_job
from openpyxl import Workbook

from migrator.apply.writes import ATTEMPTS
from migrator.cli import main
from migrator.errors import LedgerConflict
from migrator.sources import open_source
from migrator.sync.ledger import Ledger, LedgerEntry

CSV_SOURCE = '[[source]]\npath = "servers.csv"\nformat = "csv"'


def csv_rows(n: int = 6) -> list[dict]:
    return [
        {
            "name": f"app{i}",
            "host": f"app{i}.example.net",
            "port": "22",
            "user": "deploy",
            "folder": "Prod" if i % 2 else "Dev",
        }
        for i in range(1, n + 1)
    ]


def encrypted_key(path, passphrase: bytes) -> str:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    path.chmod(0o600)
    return str(path)


# -- bullet 1: present but not importable ------------------------------------------------------------


@pytest.mark.parametrize("quarantine_days", [0, 7])
def test_rejected_rows_keep_their_entries_untouched_and_fail_the_run(sim, client, tmp_path, capsys, quarantine_days):
    key_file = encrypted_key(tmp_path / "id_app3", b"Old-Key-Pass-1")
    rows = csv_rows()
    rows[2].update(key_file=key_file, key_passphrase="Old-Key-Pass-1")
    rows[3]["jump"] = "app3"  # reached through app3: blocked with it
    write_csv(tmp_path / "servers.csv", rows)
    job = write_job(tmp_path, sim.url, sim.auth_file, CSV_SOURCE, quarantine_days=quarantine_days)
    code, doc, err = sync(capsys, job)
    assert code == 0, err
    before, owned = vault(client), ledger_rows(job)
    assert len(before) == 6

    rows[0]["port"] = "22x"  # bad input
    rows[2]["key_passphrase"] = "New-Key-Pass-2"  # the key no longer opens with it
    rows[4]["host"] = "app5-moved.example.net"  # a real change next to them still goes through
    write_csv(tmp_path / "servers.csv", rows)
    code, doc, err = sync(capsys, job)

    assert code == 4 and "3 source entries could not be imported" in err, err
    assert actions(doc) == [("update", "app5")]
    assert sorted(h["name"] for h in doc["held"]) == ["app1", "app3", "app4"]
    after = vault(client)
    held_uuids = [owned[h["key"]][0] for h in doc["held"]]
    for uuid in held_uuids:
        assert after[uuid] == before[uuid]  # same UUID, same data, same category
    assert ledger_rows(job) == owned  # no row forgotten, none marked quarantined
    assert {d["code"] for d in doc["diagnostics"] if d["level"] == "error"} >= {"bad-port", "held-entry"}
    for secret in ("Old-Key-Pass-1", "New-Key-Pass-2"):
        assert secret not in err + str(doc)
        assert secret.encode() not in (tmp_path / "state" / "safety.sqlite").read_bytes()

    # fixed: the rows are imported again and the run is clean
    rows[0]["port"] = "22"
    rows[2]["key_passphrase"] = "Old-Key-Pass-1"
    write_csv(tmp_path / "servers.csv", rows)
    code, doc, err = sync(capsys, job)
    assert code == 0 and actions(doc) == [] and doc["held"] == [], err


def _bad_csv(tmp_path):
    write_csv(
        tmp_path / "s.csv",
        [{"name": "web", "host": "web.example.net"}, {"name": "bad", "host": "bad.example.net", "port": "22x"}],
    )
    return "csv", tmp_path / "s.csv", {}


def _bad_excel(tmp_path):
    wb = Workbook()
    wb.active.append(["Name", "Host", "Port"])
    wb.active.append(["web", "web.example.net", 22])
    wb.active.append(["bad", "bad.example.net", "22x"])
    wb.save(tmp_path / "s.xlsx")
    return "excel", tmp_path / "s.xlsx", {}


def _bad_ssh_config(tmp_path):
    (tmp_path / "config").write_text("Host web\n  HostName web.example.net\nHost bad\n  HostName bad_host!\n")
    return "ssh_config", tmp_path / "config", {}


def _bad_putty(tmp_path):
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "web").write_text("HostName=web.example.net\nProtocol=ssh\n")
    (tmp_path / "sessions" / "bad").write_text("HostName=bad.example.net\nProtocol=ssh\nPortNumber=70000\n")
    return "putty", tmp_path, {}


def _bad_mobaxterm(tmp_path):
    lines = [
        "[Bookmarks]",
        "SubRep=Prod",
        line("web", ssh_g3("web.example.net")),
        line("bad", ssh_g3("bad.example.net", port="22x")),
        "",
    ]
    (tmp_path / "s.mxtsessions").write_bytes("\r\n".join(lines).encode("cp1252"))
    return "mobaxterm", tmp_path / "s.mxtsessions", {}


@pytest.mark.parametrize(
    "make", [_bad_csv, _bad_excel, _bad_ssh_config, _bad_putty, _bad_mobaxterm], ids=lambda f: f.__name__[5:]
)
def test_every_format_holds_the_entry_it_cannot_import(tmp_path, make):
    fmt, path, options = make(tmp_path)
    result = open_source(path, fmt, options, key_location="src").read()
    assert [h.key for h in result.hosts] == [f"{fmt}:src#web"]
    assert result.held == {f"{fmt}:src#bad"}
    assert any(d.level == "error" and d.entry == "bad" for d in result.diagnostics)


def test_audit_does_not_call_a_held_entry_missing(sim, client, tmp_path, capsys):
    rows = csv_rows(3)
    write_csv(tmp_path / "servers.csv", rows)
    job = write_job(tmp_path, sim.url, sim.auth_file, CSV_SOURCE)
    assert sync(capsys, job)[0] == 0
    rows[0]["port"] = "22x"
    del rows[1]
    write_csv(tmp_path / "servers.csv", rows)
    main(["--no-progress", "audit", "--job", str(job), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in doc["missing_from_sources"]] == ["app2"]


# -- bullet 2: a folder move is a move, in every format ----------------------------------------------


def _csv(tmp_path, folder):
    write_csv(
        tmp_path / "servers.csv",
        [
            {"name": "web", "host": "web.example.net", "user": "ops", "folder": folder},
            {"name": "db", "host": "db.example.net", "user": "ops", "folder": "Db"},
        ],
    )
    return CSV_SOURCE


def _excel(tmp_path, folder):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Host", "Port", "User", "Folder"])
    ws.append(["web", "web.example.net", 22, "ops", folder])
    ws.append(["db", "db.example.net", 22, "ops", "Db"])
    wb.save(tmp_path / "inventory.xlsx")
    return '[[source]]\npath = "inventory.xlsx"\nformat = "excel"'


def _ssh_config(tmp_path, folder):
    conf = tmp_path / "ssh" / "conf.d"
    conf.mkdir(parents=True, exist_ok=True)
    for f in conf.iterdir():
        f.unlink()
    (tmp_path / "ssh" / "config").write_text(f"Include {conf.as_posix()}/*.conf\n", encoding="utf-8")
    (conf / f"{folder.lower()}.conf").write_text("Host web\n  HostName web.example.net\n  User ops\n", encoding="utf-8")
    (conf / "db.conf").write_text("Host db\n  HostName db.example.net\n  User ops\n", encoding="utf-8")
    return '[[source]]\npath = "ssh/config"\nformat = "ssh_config"\noptions = { category_from_include = true }'


def _putty(tmp_path, folder):
    sessions = tmp_path / "putty" / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    for f in sessions.iterdir():
        f.unlink()
    (sessions / f"{folder}%2Fweb").write_text("HostName=web.example.net\nProtocol=ssh\nUserName=ops\n")
    (sessions / "Db%2Fdb").write_text("HostName=db.example.net\nProtocol=ssh\nUserName=ops\n")
    return '[[source]]\npath = "putty"\nformat = "putty"\noptions = { putty_name_folders = true }'


def _mobaxterm(tmp_path, folder):
    text = "\r\n".join(
        [
            "[Bookmarks]",
            "SubRep=",
            "ImgNum=42",
            "[Bookmarks_1]",
            f"SubRep={folder}",
            "ImgNum=41",
            line("web", ssh_g3("web.example.net", user="ops")),
            "[Bookmarks_2]",
            "SubRep=Db",
            "ImgNum=41",
            line("db", ssh_g3("db.example.net", user="ops")),
            "",
        ]
    )
    (tmp_path / "sessions.mxtsessions").write_bytes(text.encode("cp1252"))
    return '[[source]]\npath = "sessions.mxtsessions"\nformat = "mobaxterm"'


FORMATS = {"csv": _csv, "excel": _excel, "ssh_config": _ssh_config, "putty": _putty, "mobaxterm": _mobaxterm}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("quarantine_days", [0, 7])
def test_a_folder_move_is_a_move_in_every_format(sim, client, tmp_path, capsys, fmt, quarantine_days):
    write = FORMATS[fmt]
    job = write_job(tmp_path, sim.url, sim.auth_file, write(tmp_path, "Prod"), quarantine_days=quarantine_days)
    code, doc, err = sync(capsys, job)
    assert code == 0 and doc["apply"]["failed"] == 0, err
    keys = set(ledger_rows(job))

    write(tmp_path, "Stage")
    code, doc, err = sync(capsys, job)
    assert code == 0, err
    assert actions(doc) == [("recreate", "web")], actions(doc)  # a move: no quarantine, no delete
    assert set(ledger_rows(job)) == keys  # the source key did not change
    web = by_name(client)["web"]
    assert [w["category"][-1] for w in web] == ["stage"]
    assert ledger_rows(job)[next(k for k in keys if k.endswith("web"))][0] == web[0]["uuid"]
    code, doc, err = sync(capsys, job)  # converged: nothing left to do, and nothing deleted later
    assert code == 0 and actions(doc) == [], err


def test_an_old_key_with_a_folder_is_taken_over_not_pruned(sim, client, tmp_path, capsys):
    """Ledgers written when MobaXterm keys held the folder: the entry moves to the new key."""
    job = write_job(tmp_path, sim.url, sim.auth_file, _mobaxterm(tmp_path, "Prod"), quarantine_days=0)
    assert sync(capsys, job)[0] == 0
    (key,) = [k for k in ledger_rows(job) if k.endswith("#web")]
    uuid = ledger_rows(job)[key][0]
    db = sqlite3.connect(job.parent / "state" / "safety.sqlite")
    db.execute("UPDATE entries SET key = ? WHERE key = ?", (key.replace("#web", "#Prod\\web"), key))
    db.commit()
    db.close()
    code, doc, err = sync(capsys, job)
    assert code == 0 and actions(doc) == [], (err, actions(doc))
    assert ledger_rows(job)[key][0] == uuid and not any("Prod\\" in k for k in ledger_rows(job))
    assert [w["uuid"] for w in by_name(client)["web"]] == [uuid]


def test_an_old_key_whose_session_also_moved_leaves_no_orphan(sim, client, tmp_path, capsys):
    job = write_job(tmp_path, sim.url, sim.auth_file, _mobaxterm(tmp_path, "Prod"), quarantine_days=7)
    assert sync(capsys, job)[0] == 0
    (key,) = [k for k in ledger_rows(job) if k.endswith("#web")]
    db = sqlite3.connect(job.parent / "state" / "safety.sqlite")
    db.execute("UPDATE entries SET key = ? WHERE key = ?", (key.replace("#web", "#Prod\\web"), key))
    db.commit()
    db.close()
    _mobaxterm(tmp_path, "Stage")
    code, doc, err = sync(capsys, job)
    assert code == 0 and actions(doc) == [("recreate", "web")], (err, actions(doc))
    rows = ledger_rows(job)
    assert set(rows) == {key, key.replace("#web", "#db")}
    assert {u for u, _, _ in rows.values()} == set(vault(client))  # each entry owned once, no orphan
    assert [w["category"][-1] for w in by_name(client)["web"]] == ["stage"]
    assert actions(sync(capsys, job)[1]) == []


def test_the_ledger_holds_one_row_per_uuid(tmp_path):
    path = tmp_path / "state.sqlite"
    row = LedgerEntry(
        key="csv:a#web",
        uuid="11111111-1111-1111-1111-111111111111",
        name="web",
        type="ssh",
        kind="host",
        category="Prod",
    )
    with Ledger(path) as ledger:
        ledger.record(row)
        with pytest.raises(LedgerConflict, match="already owned by source key csv:a#web"):
            ledger.record(LedgerEntry(**{**row.__dict__, "key": "csv:a#web2"}))
        ledger.record(LedgerEntry(**{**row.__dict__, "key": "csv:a#web2"}), replaces="csv:a#web")
        assert list(ledger.entries()) == ["csv:a#web2"]
        # a key taking over an entry hands its previous entry to the key that left: the rows swap
        mine = LedgerEntry(**{**row.__dict__, "key": "csv:a#db", "uuid": "22222222-2222-2222-2222-222222222222"})
        ledger.record(mine)
        ledger.record(LedgerEntry(**{**mine.__dict__, "uuid": row.uuid}), replaces="csv:a#web2")
        assert {k: e.uuid for k, e in ledger.entries().items()} == {"csv:a#db": row.uuid, "csv:a#web2": mine.uuid}
    # a ledger written before the invariant, with the duplicate the old quarantine made
    old = tmp_path / "old.sqlite"
    with Ledger(old) as ledger:
        ledger.db.execute("DROP INDEX entries_uuid")
        ledger.record(row)
        ledger.db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        ledger.db.execute(
            "INSERT INTO entries SELECT 'moba:x#Old\\web', uuid, name, type, kind, 'Quarantine', "
            "fields, applied_at, '2026-01-01T00:00:00+00:00' FROM entries"
        )
    with Ledger(old) as ledger:
        assert ledger.repaired == ["moba:x#Old\\web"]
        assert list(ledger.entries()) == ["csv:a#web"]
        with pytest.raises(sqlite3.IntegrityError):
            ledger.db.execute(
                "INSERT INTO entries SELECT 'k2', uuid, name, type, kind, category, fields, "
                "applied_at, NULL FROM entries"
            )


# -- bullet 3: a failure at any step never deletes a present or quarantined entry ----------------------


@pytest.mark.parametrize("quarantine_days", [0, 7])
def test_a_failed_write_at_any_step_leaves_the_original(sim, client, tmp_path, capsys, quarantine_days):
    """Fail the 1st, 2nd, ... write of a run that quarantines (or deletes), moves and updates, with a
    500 on each of its sends (the write, and each resend after the check found it missing), so the
    write fails for sure and a move must put its original back."""
    rows = csv_rows()
    write_csv(tmp_path / "servers.csv", rows)
    setup = write_job(tmp_path, sim.url, sim.auth_file, CSV_SOURCE, quarantine_days=quarantine_days)
    assert sync(capsys, setup)[0] == 0
    edited = [dict(r) for r in rows[1:]]  # app1 leaves the sources
    edited[0]["folder"] = "Stage"  # app2 moves: remove + add
    edited[1]["port"] = "2222"  # app3 changes: one add
    fail_at = 1
    while fail_at <= 6:
        write_csv(tmp_path / "servers.csv", rows)
        assert sync(capsys, setup)[0] == 0  # back to the start (app1 back, app2 back in Prod, app3 on 22)
        assert actions(sync(capsys, setup)[1]) == []
        names_before = set(by_name(client))
        write_csv(tmp_path / "servers.csv", edited)
        with FaultProxy(sim.url, fail_at=fail_at, times=ATTEMPTS) as proxy:
            job = write_job(
                tmp_path, proxy.url, sim.auth_file, CSV_SOURCE, quarantine_days=quarantine_days, file_name="faulty.toml"
            )
            code, doc, err = sync(capsys, job)
        names = set(by_name(client))
        present = {r["name"] for r in edited}
        assert present <= names, (fail_at, proxy.failed, err)  # no present entry lost
        if quarantine_days:
            assert "app1" in names, (fail_at, proxy.failed)  # quarantine never removes anything
        if not proxy.failed:
            break
        assert code == 4, (fail_at, err)
        assert names <= names_before | present
        write_csv(tmp_path / "servers.csv", edited)
        code, doc, err = sync(capsys, setup)  # the next run finishes the job
        assert code == 0 and present <= set(by_name(client)), err
        assert actions(sync(capsys, setup)[1]) == []
        fail_at += 1
    assert fail_at > 2  # the run had at least two writes to fail
