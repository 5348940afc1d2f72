"""The state ledger of a sync job: what the migrator owns in XPipe, and what it last wrote there.

One SQLite file per job (standard library). For each owned entry it keeps the source key, the XPipe
UUID, name, type and category, and a keyed digest of every field as last applied: never a secret.
The digest key is random per ledger and lives in it; the file is created with mode 0600.

The journal table records each write before it is sent and its result after, so a run that was
killed at any point can be reconciled with the live vault by the next run.

Invariant: one XPipe UUID has at most one ledger row (a UNIQUE index). Two rows owning one entry is
how a moved host used to get its live entry quarantined and later deleted; a ledger written before
the index existed is repaired on open (the row that is not in quarantine, else the newest, stays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from migrator.errors import InputError, LedgerConflict

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    fields TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    quarantined_at TEXT
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    uuid TEXT,
    status TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, summary TEXT
);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
    op: str
    name: str
    type: str
    uuid: str | None
    status: str


class Ledger:
    """A job's ledger. Every method commits at once: a kill never loses a finished write."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        if fresh:
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: not a usable ledger ({exc})") from None
        version = self._meta("schema_version")
        if version is None:
            self._set_meta("schema_version", str(SCHEMA_VERSION))
            self._set_meta("digest_key", os.urandom(32).hex())
        elif int(version) > SCHEMA_VERSION:
            raise InputError(f"{self.path}: ledger schema {version} is newer than this xpipe-migrate understands")
        self.repaired = self._unique_uuids()
        self._set_meta("schema_version", str(SCHEMA_VERSION))
        self._key = bytes.fromhex(self._meta("digest_key"))
        self.run_id = uuidlib.uuid4().hex

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unique_uuids(self) -> list[str]:
        """Drop all but one row per UUID, then enforce it with a UNIQUE index; returns the keys dropped."""
        dropped = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            dups = self.db.execute("SELECT uuid FROM entries GROUP BY uuid HAVING COUNT(*) > 1").fetchall()
            for (uuid,) in dups:
                rows = self.db.execute(
                    "SELECT key FROM entries WHERE uuid = ? ORDER BY quarantined_at IS NOT NULL, applied_at DESC, key",
                    (uuid,),
                ).fetchall()
                for (key,) in rows[1:]:
                    self.db.execute("DELETE FROM entries WHERE key = ?", (key,))
                    dropped.append(key)
            self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS entries_uuid ON entries (uuid)")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return dropped

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- digests --------------------------------------------------------------------------

    def digest(self, value) -> str:
        """Keyed digest of a field's comparable value (secrets already decrypted to their strategy)."""
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    # -- entries --------------------------------------------------------------------------

    def entries(self, include_quarantined: bool = True) -> dict[str, LedgerEntry]:
        rows = self.db.execute(
            "SELECT key, uuid, name, type, kind, category, fields, applied_at, quarantined_at FROM entries"
        ).fetchall()
        out = {}
        for r in rows:
            e = LedgerEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])
            if include_quarantined or e.quarantined_at is None:
                out[e.key] = e
        return out

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
                self.db.execute("ROLLBACK")
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
        rows = self.db.execute(
            "SELECT key, uuid, name, type, category, fields, quarantined_at FROM entries ORDER BY key"
        ).fetchall()
        return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()

    # -- journal --------------------------------------------------------------------------

    def journal_begin(self, key: str, op: str, name: str, type_: str, uuid: str | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO journal (run, key, op, name, type, uuid, status, at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            (self.run_id, key, op, name, type_, uuid, now()),
        )
        return int(cur.lastrowid)

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
        """Close a journal row and, in the same transaction, record (or forget) the ledger entry it wrote.

        One transaction, so a kill can never leave a write that the journal calls done but the ledger
        does not know.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "UPDATE journal SET status = ?, uuid = COALESCE(?, uuid), at = ? WHERE id = ?",
                (status, uuid, now(), row),
            )
            if forget is not None:
                self.forget(forget)
            if record is not None:
                self.record(record, replaces=replaces, was=was)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def pending(self) -> list[JournalRow]:
        rows = self.db.execute(
            "SELECT id, run, key, op, name, type, uuid, status FROM journal WHERE status = 'pending' ORDER BY id"
        ).fetchall()
        return [JournalRow(*r) for r in rows]

    def run_started(self) -> None:
        self.db.execute("INSERT INTO runs (id, started, status) VALUES (?, ?, 'running')", (self.run_id, now()))

    def run_finished(self, status: str, summary: dict) -> None:
        self.db.execute(
            "UPDATE runs SET finished = ?, status = ?, summary = ? WHERE id = ?",
            (now(), status, json.dumps(summary, sort_keys=True), self.run_id),
        )
