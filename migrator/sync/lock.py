"""One writing run at a time per ledger: ``apply`` and ``sync`` hold a lock beside it.

Two runs writing one vault from one ledger would each plan against a state the other is changing
and could both create the same entry. So a run that writes takes an exclusive lock on
``<ledger>.lock`` before it reads the ledger, and keeps it until it ends. A second run waits up to
``wait`` seconds (``--lock-wait``; the default is ``Run.lock_wait``), then stops with one line naming
the holder (PID, host, start time, command) and exit 1. ``plan``, ``audit`` and dry runs take no lock:
they open the ledger read-only and SQLite shows them the last committed state, never a half-written one.

Why ``flock`` and not a lock file that exists or not: the kernel releases the lock when its holder
dies, however it dies (SIGKILL, a crash, a power cut), so a killed run never leaves a lock behind
that someone must judge stale by PID (PIDs are reused, and mean nothing on another host). The file
itself is never removed (removing it would let two runs lock two different files of one name); the
holder writes who it is into it, so a waiting run can name it, and a run that finds a previous
holder's record on taking the lock knows that run ended without releasing it (it was killed) and
says so. On NFS, Linux implements ``flock`` with the server's byte-range locks (lockd, NFSv4), so
runs on two hosts exclude each other too; on a mount with ``nolock`` they would not (documented).
On Windows ``msvcrt.locking`` plays the part (not tested: no Windows here).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from migrator.errors import LedgerError, RunLocked

#: Seconds between attempts while another run holds the lock.
POLL_SECONDS = 0.2
#: The byte range locked on Windows (far past the holder record, which must stay readable).
_WINDOWS_OFFSET = 1 << 30

if sys.platform == "win32":  # pragma: no cover - not testable here
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + ".lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def describe_holder(info: dict | None, *, holding: bool = True) -> str:
    """PID, host, start time and command of a lock's holder (``holding``: it holds the lock now)."""
    if not info:
        return "another run (it has not written who it is yet)"
    pid, host = info.get("pid"), info.get("host") or "?"
    text = f"PID {pid} on {host}, started {info.get('started') or '?'}"
    if info.get("command"):
        text += f" ({info['command']})"
    if holding and host == socket.gethostname() and isinstance(pid, int) and not _alive(pid):
        text += "; that process is gone, so a process it started still holds the file open"
    return text


class RunLock:
    """The exclusive lock of one writing run on a ledger (a context manager)."""

    def __init__(self, ledger: Path, *, wait: float, command: str | None = None):
        self.ledger = Path(ledger)
        self.path = lock_path(self.ledger)
        self.wait = wait
        self.command = command if command is not None else _command_line()
        self.previous: dict | None = None
        """The record of a holder that ended without releasing the lock (a killed run), if any."""
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            why = "its folder is not writable" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "error"
            raise LedgerError(
                f"{self.path}: cannot create the run lock beside the ledger: {why} ({exc.strerror}); a run that "
                "writes must be able to write the ledger's folder"
            ) from None
        deadline = time.monotonic() + self.wait
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    waited = f"after waiting {self.wait:g} s" if self.wait else "without waiting"
                    raise RunLocked(
                        f"{self.ledger}: another run is writing with this ledger: "
                        f"{describe_holder(_read(fd))}; stopped {waited} (--lock-wait SECONDS waits longer)"
                    )
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())) or POLL_SECONDS / 10)
        except OSError as exc:
            os.close(fd)
            raise LedgerError(
                f"{self.path}: cannot lock the ledger ({exc.strerror}); on a network file system, locks "
                "must be enabled (NFS lockd)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.previous = _read(fd) or None
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": self.command,
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
            os.fsync(fd)
        except OSError:
            pass  # the lock is held; only the description for a waiting run is missing

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)  # a clean end: the next holder finds no record of us
        except OSError:
            pass
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _command_line() -> str:
    """``xpipe-migrate <command> <first argument>``: enough to recognise the run, never an option value."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")][:2]
    return " ".join(["xpipe-migrate", *args])
