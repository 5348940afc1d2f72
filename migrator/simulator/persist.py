"""The simulator's vault on disk: a snapshot plus an append-only journal of changes.

Rewriting the whole vault on every write costs time proportional to the vault (a 12 MB file per
add at 10,000 entries). Instead each mutation appends one JSON line per changed entry or category
to ``vault.log`` (bytes proportional to the change), and the log is folded into the snapshot
``vault.json`` only when it has grown larger than the snapshot (amortised constant work per byte
of change) and on ``stop()``/``restart()``. Loading reads the snapshot and replays the log; a torn
last line (a crash mid-append) is ignored. Both files are readable by the owner only.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from migrator.errors import InputError
from migrator.simulator.vault import Vault

STATE_FILE_NAME = "vault.json"
LOG_FILE_NAME = "vault.log"
MIN_COMPACT_BYTES = 64 * 1024


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".vault-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _replay(state: dict, lines: list[str]) -> None:
    """Apply journal records to a state document in place (last record per UUID wins)."""
    entries = {raw["uuid"]: raw for raw in state.get("entries", [])}
    categories = {raw["uuid"]: raw for raw in state.get("categories", [])}
    for number, line in enumerate(lines):
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines) - 1:
                break  # torn by a crash while appending
            raise
        if "entry" in record:
            entries[record["entry"]["uuid"]] = record["entry"]
        elif "entryRemoved" in record:
            entries.pop(record["entryRemoved"], None)
        elif "category" in record:
            categories[record["category"]["uuid"]] = record["category"]
        elif "categoryRemoved" in record:
            categories.pop(record["categoryRemoved"], None)
    state["entries"] = list(entries.values())
    state["categories"] = list(categories.values())


def load(vault: Vault, state_dir: Path) -> None:
    """Load the snapshot and replay the journal; :class:`InputError` when they are not ours."""
    path = state_dir / STATE_FILE_NAME
    log = state_dir / LOG_FILE_NAME
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        _replay(state, [line for line in lines if line.strip()])
        with vault.lock:
            vault.load_json(state)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(f"{path}: cannot load the simulator vault ({type(error).__name__})") from None


class Journal:
    """Keeps ``state_dir`` in step with the vault: ``changed()`` after each mutation (under the
    vault lock), ``flush()`` to fold the journal into the snapshot."""

    def __init__(self, vault: Vault, state_dir: Path):
        self.vault = vault
        self.snapshot = state_dir / STATE_FILE_NAME
        self.log = state_dir / LOG_FILE_NAME
        self._guard = threading.Lock()
        self._snapshot_bytes = self.snapshot.stat().st_size if self.snapshot.exists() else 0
        self._log_bytes = self.log.stat().st_size if self.log.exists() else 0
        if not self.snapshot.exists():
            self.compact()

    def changed(self) -> None:
        with self.vault.lock, self._guard:
            records = self.vault.take_changes()
            if not records:
                return
            if self._log_bytes > max(self._snapshot_bytes, MIN_COMPACT_BYTES):
                self._compact_locked()
                return
            data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
            fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "ab") as handle:
                handle.write(data)
            self._log_bytes += len(data)

    def compact(self) -> None:
        with self.vault.lock, self._guard:
            self._compact_locked()

    def _compact_locked(self) -> None:
        self.vault.take_changes()
        text = json.dumps(self.vault.to_json(), ensure_ascii=False)
        _write_atomic(self.snapshot, text)
        self._snapshot_bytes = len(text.encode("utf-8"))
        if self.log.exists():
            self.log.unlink()
        self._log_bytes = 0

    def flush(self) -> None:
        """Fold pending changes and the journal into the snapshot (on stop and restart)."""
        if self._log_bytes or self.vault.has_changes():
            self.compact()
