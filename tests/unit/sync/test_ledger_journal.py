"""The journal of issue 16 on a real SQLite file: open rows keep what was sent, closed rows drop it,
resolutions commit in one transaction, read-only opens change nothing; and the comparison of what
was sent with what XPipe returns (digests only, secrets compared decrypted)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3

import pytest

from migrator.apply.writes import name_glob
from migrator.errors import LedgerError
from migrator.plan.compare import differing, flat_leaves, sent_digests
from migrator.simulator.globs import glob_matches
from migrator.simulator.java import lower_path_name
from migrator.sync.ledger import Ledger, LedgerEntry, Resolution, effect
from migrator.sync.lock import RunLock, lock_path

ROW = LedgerEntry(key="csv:s#web", uuid="", name="web", type="ssh", kind="host", category="Prod", fields={"host": "d1"})
UUID = "11111111-1111-1111-1111-111111111111"


def test_an_open_row_keeps_what_was_sent_and_a_closed_one_drops_it(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        sent = {"host": ledger.digest("web.example.net"), "port": ledger.digest(22)}
        row = ledger.journal_begin(
            ROW.key, "add", "web", "ssh", category=("imported", "prod"), sent=sent, effect=effect(ROW, was=None)
        )
        ledger.journal_end(row, "uncertain")
        (open_row,) = ledger.open_rows()
        assert open_row.status == "uncertain" and open_row.sent == sent and open_row.category == ("imported", "prod")
        assert open_row.effect_entry(UUID) == LedgerEntry(**{**ROW.__dict__, "uuid": UUID})
        ledger.resolve([Resolution(row, "reconciled", record=open_row.effect_entry(UUID))])
        assert ledger.open_rows() == []
        assert ledger.entries()[ROW.key].uuid == UUID
        stored = ledger.db.execute("SELECT status, sent, effect, uuid FROM journal").fetchall()
        assert stored == [("reconciled", None, None, UUID)]


def test_a_ledger_holds_digests_never_values(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        secret = {"type": "inPlace", "value": {"type": "default", "encryptedValue": "Very-Secret-Value-9"}}
        sent = sent_digests({"host": "h", "password": {"x": 1}}, lambda node: secret, ledger.digest)
        ledger.journal_end(ledger.journal_begin("k", "add", "n", "ssh", sent=sent), "uncertain")
    for name in os.listdir(tmp_path):
        assert b"Very-Secret-Value-9" not in (tmp_path / name).read_bytes()


def test_resolutions_are_one_transaction(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        a = ledger.journal_begin("k1", "add", "a", "ssh", sent={}, effect=effect(ROW))
        b = ledger.journal_begin("k2", "add", "b", "ssh", sent={}, effect=effect(ROW))
        ledger.record(LedgerEntry(**{**ROW.__dict__, "key": "other", "uuid": UUID}))
        with pytest.raises(Exception, match="already owned"):
            ledger.resolve(
                [
                    Resolution(a, "absent"),
                    Resolution(b, "reconciled", record=LedgerEntry(**{**ROW.__dict__, "uuid": UUID})),
                ]
            )
        assert {r.id for r in ledger.open_rows()} == {a, b}  # neither was closed


def test_a_read_only_open_changes_nothing(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record(LedgerEntry(**{**ROW.__dict__, "uuid": UUID}))
        ledger.db.execute("DROP INDEX entries_uuid")
        ledger.db.execute(
            "INSERT INTO entries SELECT 'dup', uuid, name, type, kind, category, fields, applied_at, "
            "'2026-01-01T00:00:00+00:00' FROM entries"
        )
        ledger.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with Ledger(path, writable=False) as reader:
        assert reader.repaired == ["dup"] and list(reader.entries()) == [ROW.key]
        assert reader.open_rows() == []
        with pytest.raises(LedgerError):
            reader.journal_begin("k", "add", "n", "ssh")
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (2,)  # repaired by a writer only
    db.close()


def test_an_empty_ledger_for_a_reading_run_owns_nothing_and_makes_no_file(tmp_path):
    with Ledger.empty(tmp_path / "missing.sqlite") as ledger:
        assert ledger.entries() == {} and ledger.open_rows() == []
    assert not (tmp_path / "missing.sqlite").exists()


def test_a_new_ledger_appears_whole_and_private(tmp_path):
    path = tmp_path / "deep" / "l.sqlite"
    with Ledger(path):
        pass
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(path.parent)) == ["l.sqlite"]  # no temporary file left


# -- what was sent vs what came back ---------------------------------------------------------------------


def _decrypt(table):
    return lambda node: table.get(json.dumps(node, sort_keys=True))


def test_a_secret_compares_by_its_strategy_not_its_ciphertext():
    strategy = {"type": "inPlace", "value": {"type": "default", "encryptedValue": "AAA"}}
    sent_node = {"secret": {"type": "vault", "encryptedValue": "cipher-1"}, "encryptedToken": {"token": "t"}}
    back_node = {"secret": {"type": "vault", "encryptedValue": "cipher-2"}, "encryptedToken": {"token": "u"}}
    decrypt = _decrypt({json.dumps(n, sort_keys=True): strategy for n in (sent_node, back_node)})
    digest = json.dumps
    payload = {
        "type": "ssh",
        "host": "h",
        "port": 22,
        "gateway": "g-uuid",
        "identity": {
            "type": "inPlace",
            "identityStore": {"type": "localIdentity", "username": "ops", "password": sent_node},
        },
    }
    sent = sent_digests(payload, decrypt, digest)
    assert "identity.identityStore.password.value.encryptedValue" in sent and "type" not in sent
    raw = json.loads(json.dumps(payload))
    del raw["type"]
    raw["identity"]["identityStore"]["password"] = back_node
    raw["gateway"] = {"storeId": "g-uuid"}  # a reference may come back as an object
    raw["forwardX11"] = False  # a field XPipe adds
    raw["additionalOptions"] = None
    assert differing(sent, raw, decrypt, digest) == []
    raw["host"] = "changed"
    assert differing(sent, raw, decrypt, digest) == ["host"]
    unreadable = dict(raw, host="h")
    unreadable["identity"] = {
        **raw["identity"],
        "identityStore": {
            **raw["identity"]["identityStore"],
            "password": {"secret": {"type": "vault", "encryptedValue": "other-vault"}},
        },
    }
    assert differing(sent, unreadable, decrypt, digest)  # another vault's secret never matches
    assert flat_leaves({"a": None, "b": {"c": None}}, decrypt) == {}


@pytest.mark.parametrize(
    "name", ["web01", "web*01", "a/b", "x{1,2}", "[prod] db", "q?", "back\\slash", "hash#1", "Ünïcode", "a,b", "!bang"]
)
def test_the_name_glob_finds_exactly_that_name_at_any_depth(name):
    glob = name_glob(name)
    shown = lower_path_name(name)
    assert glob_matches(glob, shown)
    assert glob_matches(glob, "bastion/" + shown)
    assert not glob_matches(glob, shown + "x")
    assert not glob_matches(glob, "other")


def test_a_lock_record_left_by_a_dead_holder_is_reported_once(tmp_path):
    ledger = tmp_path / "l.sqlite"
    lock_path(ledger).write_text(json.dumps({"pid": 999999, "host": "h", "started": "t", "command": "c"}))
    with RunLock(ledger, wait=0) as lock:
        assert lock.previous == {"pid": 999999, "host": "h", "started": "t", "command": "c"}
    with RunLock(ledger, wait=0) as lock:
        assert lock.previous is None


def test_a_reading_run_sees_rows_and_open_journal_rows_of_one_moment(tmp_path):
    """A plan reads the owned rows and the open journal rows in one snapshot: a write that a sync
    records between the two reads is seen either as open or as owned, never as neither."""
    path = tmp_path / "l.sqlite"
    with Ledger(path) as writer:
        row = writer.journal_begin(ROW.key, "add", "web", "ssh", category=("imported", "prod"), sent={})
        with Ledger(path, writable=False) as reader:
            with reader.snapshot():
                assert reader.entries() == {}
                writer.journal_end(row, "done", UUID, record=LedgerEntry(**{**ROW.__dict__, "uuid": UUID}))
                assert [r.id for r in reader.open_rows()] == [row]  # still open in this snapshot
            assert reader.open_rows() == [] and reader.entries()[ROW.key].uuid == UUID  # the next one
            assert not reader.db.in_transaction


def test_two_snapshots_share_a_version_only_while_nobody_committed(tmp_path):
    """``Ledger.snapshot`` yields the state's version: a plan that read the rows early knows after the
    vault read whether the file is still in that state (else it reads them again)."""
    path = tmp_path / "l.sqlite"
    with Ledger(path) as writer, Ledger(path, writable=False) as reader:
        with reader.snapshot() as first:
            writer.record(LedgerEntry(**{**ROW.__dict__, "uuid": UUID}))  # committed while the snapshot is open
            assert reader.entries() == {}  # not in this snapshot
        with reader.snapshot() as second:
            assert reader.entries()[ROW.key].uuid == UUID
        with reader.snapshot() as third:
            pass
        assert first != second == third


KEYS = ["csv:s#b", "csv:s#a", "csv:s#Z", "csv:s#é", "csv:s#\uffff", "csv:s#\U0001f600", "csv:s#\ud7ff", "csv:s#"]


def test_the_fingerprint_of_one_read_is_the_ledgers_in_key_order(tmp_path):
    """``entries_and_fingerprint`` orders rows in Python; SQLite's ``ORDER BY key`` (its UTF-8 bytes)
    is the oracle, with keys whose UTF-16 order differs from their code points'."""
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        for i, key in enumerate(KEYS):
            ledger.record(LedgerEntry(**{**ROW.__dict__, "key": key, "uuid": f"{i:08d}-1111-1111-1111-111111111111"}))
        rows = ledger.db.execute(
            "SELECT key, uuid, name, type, category, fields, quarantined_at FROM entries ORDER BY key"
        ).fetchall()
        oracle = hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()
        entries, printed = ledger.entries_and_fingerprint()
        assert sorted(entries) == sorted(KEYS) and printed == ledger.fingerprint() == oracle
