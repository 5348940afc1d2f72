"""Opening a ledger file: the checks that keep a damaged or foreign file from ever being used.

Everything here runs before the first request that could change XPipe, and every problem is one
``LedgerError`` line naming the file (exit 1), never a traceback:

* the path is a folder, a link to nothing, or under something that is not a folder;
* the file is empty (truncated to nothing), not SQLite (garbage), damaged (``PRAGMA quick_check``),
  an SQLite database that is not a ledger, or a ledger of a newer schema;
* it cannot be written (read-only file or folder) when the run writes.

A new ledger is built under a temporary name and linked into place only once its schema is there,
so a crash never leaves a half-made ledger, and an empty ledger file can only mean damage.
A read-only open (``writable=False``: plan, audit, dry runs) changes nothing in the file: no schema
upgrade, no repair; it reads what the last committed transaction left (SQLite's WAL snapshot).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from migrator.errors import LedgerError

SCHEMA_VERSION = 3

SCHEMA = """
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
    at TEXT NOT NULL,
    category TEXT,
    sent TEXT,
    effect TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, summary TEXT
);
"""
#: Keyed digests of encrypted nodes seen in XPipe -> keyed digest of what they decrypt to
#: (``migrator.sync.ledger``, "Secret nodes"). Added without a schema bump: older versions ignore it,
#: and a ledger without it (read-only, written by an older version) simply knows no node.
SECRET_NODES = """
CREATE TABLE IF NOT EXISTS secret_nodes (node TEXT PRIMARY KEY, value TEXT NOT NULL, seen TEXT NOT NULL);
"""
#: Journal columns added by schema 3 (a schema 2 ledger gets them on its first writable open).
JOURNAL_V3_COLUMNS = ("category", "sent", "effect")
#: Seconds a statement waits for another connection's transaction (a plan reading during an apply).
BUSY_SECONDS = 30


def now() -> str:
    """A ledger timestamp: UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_path(path: Path) -> None:
    """The ledger path names a file, or a file that can be made: never a folder or a dangling link."""
    if path.is_symlink() and not path.exists():
        raise LedgerError(f"{path}: the ledger path is a link to nothing; fix or remove the link")
    if path.is_dir():
        raise LedgerError(f"{path}: the ledger path is a folder; name a file (for example state.sqlite)")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise LedgerError(f"{path}: {parent} is not a folder, so the ledger cannot be kept there")


@contextmanager
def translated(path: Path, doing: str):
    """SQLite and file-system errors as one ``LedgerError`` line naming the file and what failed."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except (sqlite3.DatabaseError, OSError) as exc:
        raise LedgerError(f"{path}: {doing}: {describe(exc)}") from None


def describe(exc: BaseException) -> str:
    text = str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return "it is not writable (read-only file or folder); this run must record what it writes"
    if "malformed" in lowered or "not a database" in lowered:
        return "it is damaged or not a ledger (restore it from a backup, or move it away to start a new one)"
    if "unable to open" in lowered:
        return "it cannot be opened (missing folder, or no permission)"
    return text


def create(path: Path) -> None:
    """A new ledger at ``path`` (mode 0600), complete before it appears under its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o600)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA + SECRET_NODES)
            db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("INSERT INTO meta (key, value) VALUES ('digest_key', ?)", (os.urandom(32).hex(),))
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS entries_uuid ON entries (uuid)")
        finally:
            db.close()
        try:
            os.link(tmp, path)  # fails if another process made one meanwhile: that one is used
        except FileExistsError:
            pass
        except OSError:
            if not path.exists():
                os.replace(tmp, path)  # a file system without hard links
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def connect(path: Path, *, writable: bool) -> tuple[sqlite3.Connection, int]:
    """An open, checked connection to the ledger at ``path`` and its schema version (before upgrade)."""
    check_path(path)
    if writable and not path.exists():
        with translated(path, "cannot create the ledger"):
            create(path)
    if path.exists() and path.stat().st_size == 0:
        raise LedgerError(
            f"{path}: the ledger is empty (truncated?); restore it from a backup, or remove it to start "
            "a new one (this job then owns nothing it wrote before)"
        )
    if not writable:
        return _connect_readonly(path)
    with translated(path, "cannot open the ledger"):
        db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_SECONDS)
    try:
        with translated(path, "cannot read the ledger"):
            version = _check(db, path)
        with translated(path, "cannot prepare the ledger"):
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit is in the WAL (the OS has it) when COMMIT returns, so a killed process
            # loses nothing; the commits that must also survive a power cut are made FULL where they
            # happen (``Ledger.durable``, see "Durability" in migrator.sync.ledger).
            db.execute("PRAGMA synchronous=NORMAL")
            _upgrade(db, version)
            db.executescript(SECRET_NODES)
    except BaseException:
        db.close()
        raise
    return db, version


def _connect_readonly(path: Path) -> tuple[sqlite3.Connection, int]:
    """Read-only: SQLite's WAL needs its ``-shm`` file, which a read-only folder cannot get; there no
    writer can be at work either, so the file is then read as it stands (``immutable``)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    for options in ("", "&immutable=1"):
        with translated(path, "cannot open the ledger"):
            db = sqlite3.connect(uri + options, uri=True, isolation_level=None, timeout=BUSY_SECONDS)
        try:
            with translated(path, "cannot read the ledger"):
                return db, _check(db, path)
        except LedgerError as exc:
            db.close()
            if options or "cannot be opened" not in str(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _check(db: sqlite3.Connection, path: Path) -> int:
    """The schema version of a ledger that is whole; a damaged, foreign or newer file is refused."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        raise LedgerError(f"{path}: this SQLite file is not an xpipe-migrate ledger (no meta table); name another file")
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    key = db.execute("SELECT value FROM meta WHERE key = 'digest_key'").fetchone()
    try:
        version = int(row[0]) if row else None
        bytes.fromhex(key[0]) if key else None
    except (TypeError, ValueError):
        version = None
    if version is None or key is None or not {"entries", "journal"} <= tables:
        raise LedgerError(f"{path}: the ledger is damaged (its schema record is missing or garbled)")
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"{path}: ledger schema {version} is newer than this xpipe-migrate understands ({SCHEMA_VERSION}); "
            "use the version that wrote it"
        )
    result = db.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise LedgerError(
            f"{path}: the ledger is damaged ({result[0] if result else 'no answer'}); restore it from a "
            "backup, or move it away to start a new one"
        )
    return version


def _upgrade(db: sqlite3.Connection, version: int) -> None:
    """Bring an older ledger to this schema in one transaction (new tables, the schema 3 journal columns)."""
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        have = {r[1] for r in db.execute("PRAGMA table_info(journal)")}
        for column in JOURNAL_V3_COLUMNS:
            if column not in have:
                db.execute(f"ALTER TABLE journal ADD COLUMN {column} TEXT")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def journal_columns(db: sqlite3.Connection) -> set[str]:
    return {r[1] for r in db.execute("PRAGMA table_info(journal)")}
