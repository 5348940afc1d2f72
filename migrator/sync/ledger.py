"""The state ledger of a sync job: what the migrator owns in XPipe, and what it last wrote there.

One SQLite file per job (standard library). For each owned entry it keeps the source key, the XPipe
UUID, name, type and category, and a keyed digest of every field as last applied: never a secret.
The digest key is random per ledger and lives in it; the file is created with mode 0600. Opening
checks the file first (``migrator.sync.ledger_file``); one run writes it at a time (``sync.lock``).

Invariant: one XPipe UUID has at most one ledger row (a UNIQUE index). Two rows owning one entry is
how a moved host used to get its live entry quarantined and later deleted; a ledger written before
the index existed is repaired on open (the row that is not in quarantine, else the newest, stays).

The journal
-----------
Every vault write (entry add or remove, category add) gets a journal row before it is sent and a
status after. A write whose answer never came (a kill, a lost connection, a timeout, any 5xx) stays
*open* (``pending`` or ``uncertain``) with what was sent: name, type, category, the target UUID, a
keyed digest of every leaf of the store as sent (secrets as their decrypted strategies; digests
only, keyed by this ledger's key) and the ledger change it makes when it lands (``effect``). The
next run reconciles each open row with the live vault (``migrator.plan.reconcile``): an entry that
matches what was sent is ours and recorded, one that does not exist is written again, one that
differs is ``drift``, reported and never taken over silently (the row stays open). A 4xx is a
definite failure (``failed``). A closed row drops its digests.

Durability: what must be on disk before a request is sent, and why
-----------------------------------------------------------------
The loader keeps a few writes in flight at once (``migrator.apply.window``). The rules:

1. *A write's journal row is committed, durably, before its request leaves.* This is the one
   ordering the whole design rests on: if the process dies after XPipe applied the write, the open
   row is the only thing that tells the next run the entry is ours. Without it an entry that arrived
   looks like one the user made, and every later run calls it a conflict (issue 16). The rows of
   the writes about to be sent are committed together, in one transaction with ``synchronous=FULL``
   (``journal_begin_many``: the WAL is fsynced before COMMIT returns), before the first of them is
   sent; so they survive a kill and a power cut of this machine alike, and an fsync is paid once
   per group instead of once per write. A row committed whose request never left (the run stopped
   first) is harmless: it is closed as ``unsent`` when the run stops in order, and otherwise checked
   by the next run like any open row (nothing there: ``absent``, written again).
2. *A result may be lost.* ``journal_end`` (status plus the ledger row, one transaction, so a row is
   never both done and unrecorded) commits with the connection's ``synchronous=NORMAL``: in WAL
   mode the commit is in the WAL, in the operating system's hands, when COMMIT returns, so a killed
   process loses nothing; only a power cut (or an OS crash) can lose the last results, and every
   FULL commit (the next group of rows, the end of the run) makes all earlier ones durable too,
   since it syncs the one WAL file they are in. A result that never reaches the disk leaves its row
   open, and the next run records the same row after checking the vault. The loader reads its own
   results through the same connection, so nothing it decides depends on their being synced.
3. *Resolutions come first.* The previous runs' open rows are resolved in one transaction at the
   start of apply (``resolve``), before any new write is journaled, under the run lock. It commits
   NORMAL: the first group of rows (FULL) syncs it before the first request leaves; lost before
   that, nothing was sent and the next run decides the same again.

Secret nodes
------------
Which live encrypted nodes hold which of the sources' secrets, so a no-op re-plan need not decrypt
them all: ``migrator.sync.secret_nodes`` (what it holds, and why that is safe).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from migrator.errors import LedgerConflict
from migrator.sync import ledger_file
from migrator.sync.ledger_file import SCHEMA_VERSION, now, translated  # noqa: F401 - SCHEMA_VERSION, now re-exported
from migrator.sync.secret_nodes import SecretNodes

#: Journal statuses whose write may or may not have landed: the next run reconciles them.
OPEN = ("pending", "uncertain", "drift")


def _fingerprint(rows: list[tuple], hidden: set[str]) -> str:
    """The rows (key, uuid, name, type, category, fields, quarantined_at) but ``hidden``, in key order:
    Python orders strings by code point, as SQLite's BINARY collation orders their UTF-8 bytes."""
    kept = sorted((r for r in rows if r[0] not in hidden), key=lambda r: r[0])
    return hashlib.sha256(json.dumps([list(r) for r in kept]).encode("utf-8")).hexdigest()


@dataclass
class LedgerEntry:
    key: str
    uuid: str
    name: str
    type: str
    kind: str
    category: str
    fields: dict[str, str] = field(default_factory=dict)
    applied_at: str = ""
    quarantined_at: str | None = None


@dataclass
class JournalRow:
    id: int
    run: str
    key: str
    op: str  # "add", "remove" or "category/add"
    name: str
    type: str
    uuid: str | None  # the entry written to (an update, a remove), or the one that came back
    status: str
    category: tuple[str, ...] | None = None  # where the write puts it (lower-case, without the root)
    sent: dict[str, str] | None = None  # leaf path -> keyed digest of the store as sent
    effect: dict | None = None  # {"record": row without uuid, "replaces", "was", "forget"}

    def effect_entry(self, uuid: str) -> LedgerEntry | None:
        """The ledger row this write records once it is known to have landed as ``uuid``."""
        record = (self.effect or {}).get("record")
        return LedgerEntry(**{**record, "uuid": uuid}) if record else None


@dataclass
class Resolution:
    """How the next run closes an open journal row: its new status and the ledger change it makes."""

    row: int
    status: str  # "reconciled", "absent", "drift", "superseded", "foreign"
    record: LedgerEntry | None = None
    replaces: str | None = None
    was: str | None = None
    forget: str | None = None


def effect(record: LedgerEntry | None, *, replaces=None, was=None, forget=None) -> dict:
    """The ``effect`` of a journal row: what ``journal_end`` records when the write lands."""
    row = None
    if record is not None:
        row = {k: v for k, v in asdict(record).items() if k != "uuid"}
    return {"record": row, "replaces": replaces, "was": was, "forget": forget}


class _Connection:
    """The SQLite connection, with every error turned into one ``LedgerError`` line naming the file."""

    def __init__(self, db: sqlite3.Connection, path: Path):
        self._db = db
        self._path = path

    def execute(self, sql: str, params=()):
        with translated(self._path, "cannot read or write the ledger"):
            return self._db.execute(sql, params)

    def executemany(self, sql: str, rows):
        with translated(self._path, "cannot write the ledger"):
            return self._db.executemany(sql, rows)

    def executescript(self, sql: str):
        with translated(self._path, "cannot write the ledger"):
            return self._db.executescript(sql)

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (a full disk ends it by itself)."""
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        self._db.close()


class Ledger(SecretNodes):
    """A job's ledger. Every method commits at once: a kill never loses a finished write.

    ``writable=False`` (plan, audit, dry runs) opens the file read-only: no schema upgrade, no
    repair, no write; such runs take no run lock and read the last committed state.
    """

    def __init__(self, path: str | Path, *, writable: bool = True, _db: sqlite3.Connection | None = None):
        self.path = Path(path)
        self.writable = writable
        if _db is None:
            _db, _ = ledger_file.connect(self.path, writable=writable)
        self.db = _Connection(_db, self.path)
        self._columns = ledger_file.journal_columns(_db)
        self.repaired = self._unique_uuids()
        self._key = bytes.fromhex(self._meta("digest_key"))
        self.run_id = uuidlib.uuid4().hex

    @classmethod
    def empty(cls, path: str | Path) -> Ledger:
        """A ledger that does not exist yet, as a read-only run sees it: owning nothing (kept in memory)."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(ledger_file.SCHEMA + ledger_file.SECRET_NODES)
        db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.execute("INSERT INTO meta (key, value) VALUES ('digest_key', ?)", (bytes(32).hex(),))
        return cls(path, writable=False, _db=db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unique_uuids(self) -> list[str]:
        """Drop all but one row per UUID, then enforce it with a UNIQUE index; returns the keys dropped.

        Read-only, the rows are only hidden from ``entries()`` (the file is repaired by the next apply).
        """
        dropped = []
        if self.writable:
            self.db.execute("BEGIN IMMEDIATE")
        try:
            dups = self.db.execute("SELECT uuid FROM entries GROUP BY uuid HAVING COUNT(*) > 1").fetchall()
            for (uuid,) in dups:
                rows = self.db.execute(
                    "SELECT key FROM entries WHERE uuid = ? ORDER BY quarantined_at IS NOT NULL, applied_at DESC, key",
                    (uuid,),
                ).fetchall()
                for (key,) in rows[1:]:
                    if self.writable:
                        self.db.execute("DELETE FROM entries WHERE key = ?", (key,))
                    dropped.append(key)
            if self.writable:
                self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS entries_uuid ON entries (uuid)")
        except BaseException:
            self.db.rollback()
            raise
        if self.writable:
            self.db.execute("COMMIT")
        return dropped

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @contextmanager
    def snapshot(self) -> Iterator[int]:
        """The reads inside see one committed state of the file (one read transaction), whatever a
        writer commits meanwhile. Yields that state's ``data_version``: two snapshots with the same
        one saw the same file (no other connection committed in between; this one never writes while
        it is read-only). Inside a transaction already, the reads are part of that one."""
        if self.db.in_transaction:
            yield self.db.execute("PRAGMA data_version").fetchone()[0]
            return
        self.db.execute("BEGIN")
        try:
            yield self.db.execute("PRAGMA data_version").fetchone()[0]  # the first read: fixes the state
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")  # a read transaction: ends the snapshot, writes nothing

    # -- digests --------------------------------------------------------------------------

    def digest(self, value) -> str:
        """Keyed digest of a field's comparable value (secrets already decrypted to their strategy)."""
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    # -- entries --------------------------------------------------------------------------

    def entries(self, include_quarantined: bool = True) -> dict[str, LedgerEntry]:
        return self.entries_and_fingerprint(include_quarantined)[0]

    def entries_and_fingerprint(self, include_quarantined: bool = True) -> tuple[dict[str, LedgerEntry], str]:
        """``entries()`` and ``fingerprint()`` of one read of the rows (the fingerprint costs no query)."""
        rows = self.db.execute(
            "SELECT key, uuid, name, type, kind, category, fields, applied_at, quarantined_at FROM entries"
        ).fetchall()
        out = {}
        hidden = set(self.repaired) if not self.writable else set()
        for r in rows:
            e = LedgerEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])
            if (include_quarantined or e.quarantined_at is None) and e.key not in hidden:
                out[e.key] = e
        return out, _fingerprint([(r[0], r[1], r[2], r[3], r[5], r[6], r[8]) for r in rows], hidden)

    def record(self, entry: LedgerEntry, replaces: str | None = None, was: str | None = None) -> None:
        """Store ``entry``; ``replaces`` names the key that owned the same UUID until now (a move).

        The two keys swap: ``entry.key`` takes the UUID, and ``replaces`` gets the row ``entry.key``
        had, so the entry left behind is pruned with the key that left the sources. Another key
        already owning the UUID is a LedgerConflict, never a second row. The swap happens only while
        ``replaces`` still holds ``was`` (default: the entry's UUID; a move that was put back after a
        failed add records the copy under the UUID the original had).
        """
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN IMMEDIATE")
        try:
            if replaces is not None and replaces != entry.key and self.uuid_of(replaces) == (was or entry.uuid):
                self.forget(replaces)
                previous = self.uuid_of(entry.key)
                if previous is not None and previous != entry.uuid:
                    self.db.execute("UPDATE entries SET key = ? WHERE key = ?", (replaces, entry.key))
            other = self.db.execute(
                "SELECT key FROM entries WHERE uuid = ? AND key != ?", (entry.uuid, entry.key)
            ).fetchone()
            if other is not None:
                raise LedgerConflict(
                    f"{self.path}: XPipe entry {entry.uuid} ('{entry.name}') is already owned by source key "
                    f"{other[0]}; one entry cannot belong to two source keys (nothing was recorded for "
                    f"{entry.key})"
                )
            self.db.execute(
                "INSERT OR REPLACE INTO entries (key, uuid, name, type, kind, category, fields, applied_at, "
                "quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.key,
                    entry.uuid,
                    entry.name,
                    entry.type,
                    entry.kind,
                    entry.category,
                    json.dumps(entry.fields, sort_keys=True),
                    entry.applied_at or now(),
                    entry.quarantined_at,
                ),
            )
        except BaseException:
            if own:
                self.db.rollback()
            raise
        if own:
            self.db.execute("COMMIT")

    def uuid_of(self, key: str) -> str | None:
        row = self.db.execute("SELECT uuid FROM entries WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def owner(self, uuid: str) -> str | None:
        """The key that owns XPipe entry ``uuid``, if any."""
        row = self.db.execute("SELECT key FROM entries WHERE uuid = ?", (uuid,)).fetchone()
        return row[0] if row else None

    def forget(self, key: str) -> None:
        self.db.execute("DELETE FROM entries WHERE key = ?", (key,))

    def fingerprint(self) -> str:
        """What a saved plan checks the ledger against: every row (as a writer will see it, repaired)."""
        rows = self.db.execute("SELECT key, uuid, name, type, category, fields, quarantined_at FROM entries").fetchall()
        return _fingerprint(rows, set(self.repaired) if not self.writable else set())

    # -- journal --------------------------------------------------------------------------

    def journal_begin(
        self,
        key: str,
        op: str,
        name: str,
        type_: str,
        uuid: str | None = None,
        *,
        category: tuple[str, ...] | None = None,
        sent: dict[str, str] | None = None,
        effect: dict | None = None,
    ) -> int:
        """Journal one write before it is sent (durably: point 1 above)."""
        item = {"key": key, "op": op, "name": name, "type_": type_, "uuid": uuid}
        return self.journal_begin_many([{**item, "category": category, "sent": sent, "effect": effect}])[0]

    def journal_begin_many(self, items: list[dict]) -> list[int]:
        """Journal the writes about to be sent, in one FULL transaction (point 1 above); each item
        holds ``journal_begin``'s arguments by name. Returns their row ids, in order."""
        at = now()
        ids = []
        with self.durable():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for item in items:
                    category, sent, eff = item.get("category"), item.get("sent"), item.get("effect")
                    cur = self.db.execute(
                        "INSERT INTO journal (run, key, op, name, type, uuid, status, at, category, sent, effect) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
                        (
                            self.run_id,
                            item["key"],
                            item["op"],
                            item["name"],
                            item["type_"],
                            item.get("uuid"),
                            at,
                            None if category is None else json.dumps(list(category)),
                            None if sent is None else json.dumps(sent, sort_keys=True),
                            None if eff is None else json.dumps(eff, sort_keys=True),
                        ),
                    )
                    ids.append(int(cur.lastrowid))
            except BaseException:
                self.db.rollback()
                raise
            self.db.execute("COMMIT")
        return ids

    def journal_unsent(self, rows: list[int]) -> None:
        """Close rows whose request never left (the run stopped before sending them)."""
        if not rows:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                self._close(row, "unsent")
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def durable(self) -> Iterator[None]:
        """Commits inside are fsynced (``synchronous=FULL``), and with them every earlier commit."""
        if not self.writable:
            yield
            return
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")

    def journal_end(
        self,
        row: int,
        status: str,
        uuid: str | None = None,
        *,
        record: LedgerEntry | None = None,
        forget: str | None = None,
        replaces: str | None = None,
        was: str | None = None,
    ) -> None:
        """Close a journal row (or mark it ``uncertain``) and, in the same transaction, record (or forget)
        the ledger entry it wrote.

        One transaction, so a kill can never leave a write that the journal calls done but the ledger
        does not know. A row that stays open keeps what was sent; a closed one drops it.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._close(row, status, uuid)
            if forget is not None:
                self.forget(forget)
            if record is not None:
                self.record(record, replaces=replaces, was=was)
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")

    def _close(self, row: int, status: str, uuid: str | None = None) -> None:
        if status in OPEN:
            self.db.execute(
                "UPDATE journal SET status = ?, uuid = COALESCE(?, uuid), at = ? WHERE id = ?",
                (status, uuid, now(), row),
            )
        else:
            self.db.execute(
                "UPDATE journal SET status = ?, uuid = COALESCE(?, uuid), at = ?, sent = NULL, effect = NULL "
                "WHERE id = ?",
                (status, uuid, now(), row),
            )

    def open_rows(self) -> list[JournalRow]:
        """Writes whose outcome is not known yet, oldest first (a ledger of schema 2 has no digests)."""
        extra = [c if c in self._columns else "NULL" for c in ledger_file.JOURNAL_V3_COLUMNS]
        marks = ", ".join("?" for _ in OPEN)
        rows = self.db.execute(
            f"SELECT id, run, key, op, name, type, uuid, status, {', '.join(extra)} FROM journal "
            f"WHERE status IN ({marks}) ORDER BY id",
            OPEN,
        ).fetchall()
        out = []
        for r in rows:
            category, sent, eff = (json.loads(v) if v else None for v in r[8:11])
            out.append(JournalRow(*r[:8], tuple(category) if category is not None else None, sent, eff))
        return out

    def resolve(self, resolutions: list[Resolution]) -> None:
        """Close the open rows an earlier run left, with their ledger changes, in one transaction."""
        if not resolutions:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for res in resolutions:
                self._close(res.row, res.status, res.record.uuid if res.record else None)
                if res.forget is not None and (res.record is None or res.forget != res.record.key):
                    self.forget(res.forget)
                if res.record is not None:
                    self.record(res.record, replaces=res.replaces, was=res.was)
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")

    def run_started(self) -> None:
        self.db.execute("INSERT INTO runs (id, started, status) VALUES (?, ?, 'running')", (self.run_id, now()))

    def run_finished(self, status: str, summary: dict) -> None:
        """The run's last commit, durable, and with it every result before it (point 2 above)."""
        with self.durable():
            self.db.execute(
                "UPDATE runs SET finished = ?, status = ?, summary = ? WHERE id = ?",
                (now(), status, json.dumps(summary, sort_keys=True), self.run_id),
            )
