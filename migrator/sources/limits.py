"""Caps on what reading one source may cost, and the one safe way to open a source file.

A source is untrusted input: a FIFO, ``/dev/zero`` or a socket named as a source must fail at once
instead of blocking or filling memory, and a crafted file (an ``Include`` of a big file a thousand
times, merged ranges over whole spreadsheet columns, a gigantic CSV cell) must hit a cap with an
error naming the file, not exhaust the machine. The caps are far above any real inventory: a
100,000-host ssh_config is about 10 MB and 500,000 lines.

Every file format reads through ``open_source_file``/``read_source_bytes``; a cap hit raises
``SourceLimitExceeded`` (an ``InputError``), which ``read_sources`` turns into an error diagnostic
for that source while the other sources are still read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from migrator.errors import InputError

MiB = 1024 * 1024

#: Bytes of one source file (a CSV, a workbook, a .reg export, one ssh_config or included file).
MAX_FILE_BYTES = 64 * MiB
#: Bytes read in total for one ssh_config through all its ``Include``s (the same file counts each time).
MAX_INCLUDE_TOTAL_BYTES = 256 * MiB
#: Lines of one source, counted across every file it includes.
MAX_LINES = 1_000_000
#: One CSV cell (Python's csv module refuses longer fields).
MAX_CSV_CELL = 16 * MiB
#: Rows of one worksheet (Excel's own sheet limit).
MAX_XLSX_ROWS = 1_048_576
#: Cells of one workbook read into memory, merged ranges filled in included.
MAX_XLSX_CELLS = 20_000_000
#: Bytes of one decompressed worksheet part (a zip bomb stops here).
MAX_XLSX_PART_BYTES = 256 * MiB
#: Files of one PuTTY session folder.
MAX_SESSION_FILES = 100_000
#: Folders nested in one another in a tree format (mRemoteNG, Ásbrú...). No manager limits it, but every
#: entry carries its folder path, so depth costs memory per entry: deeper folders are not read (partial).
MAX_FOLDER_DEPTH = 64
#: Hops of one jump chain (OpenSSH has no limit; real chains have one to three). Longer chains are
#: not imported (``mapper/gateways.py``; ssh_config and PuTTY stop their own resolution at it too).
MAX_JUMP_HOPS = 32

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class SourceLimitExceeded(InputError):
    """A source is larger than a cap in this module allows."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _not_regular(shown: str, mode: int) -> InputError:
    return InputError(f"{shown}: is {_kind(mode)}, not a regular file; only regular files are read as sources")


def too_large(shown: str, what: str, limit: str) -> SourceLimitExceeded:
    """The error for one cap: names the file, what overflowed and the cap."""
    return SourceLimitExceeded(f"{shown}: {what} exceeds the limit of {limit}; the source is not read")


def size_text(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"


def open_source_file(path: str | Path, shown: str | None = None, *, limit: int = MAX_FILE_BYTES) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file no larger than ``limit``.

    ``O_NONBLOCK`` makes opening a FIFO return at once (a plain open waits for a writer forever);
    the type is then checked on the open descriptor, so a file swapped in between cannot slip by.
    A socket cannot be opened at all (ENXIO) and is named by ``stat``.
    """
    shown = shown or Path(path).as_posix()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:  # a NUL in the path (a job file can hold one), which no file name has
        raise InputError(f"{shown}: cannot read: the path contains a NUL character") from None
    except OSError as exc:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise _not_regular(shown, mode) from None
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(shown, st.st_mode)
        if st.st_size > limit:
            raise too_large(shown, f"the file ({size_text(st.st_size)})", size_text(limit))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_source_bytes(path: str | Path, shown: str | None = None, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The whole content of a regular file, refusing more than ``limit`` bytes (even if it grows)."""
    shown = shown or Path(path).as_posix()
    with open_source_file(path, shown, limit=limit) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise too_large(shown, "the file", size_text(limit))
    return data


class Budget:
    """Bytes and lines still allowed for one source, spent file by file (ssh_config ``Include``s)."""

    def __init__(self, shown: str, *, total_bytes: int | None = None, lines: int | None = None):
        total_bytes = MAX_INCLUDE_TOTAL_BYTES if total_bytes is None else total_bytes
        lines = MAX_LINES if lines is None else lines
        self.shown = shown
        self.bytes_left = total_bytes
        self.lines_left = lines
        self.total_bytes = total_bytes
        self.total_lines = lines

    def spend_bytes(self, n: int, file: str) -> None:
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise too_large(
                self.shown, f"the text read through Include (reached at {file})", size_text(self.total_bytes)
            )

    def spend_lines(self, n: int, file: str) -> None:
        self.lines_left -= n
        if self.lines_left < 0:
            raise too_large(
                self.shown,
                f"the number of lines read through Include (reached at {file})",
                f"{self.total_lines:,} lines",
            )
