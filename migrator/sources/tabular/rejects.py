"""Writing rejected rows back in their input's format, to be fixed and fed back."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from migrator.model import (
    RejectedRow,
)


def write_rejects(rejects: Iterable[RejectedRow], path: str | Path) -> list[Path]:
    """Write rejected rows in their input's format so the user can fix them and feed the file back.

    Rows keep their header and column order; each is preceded by a ``#`` comment with its origin and
    reason (the CSV source skips comment lines). Secret columns are already empty. Rows from an
    Excel workbook are written as CSV. Rejects with different headers go to numbered files next to
    ``path``; the paths written are returned.
    """
    groups: dict[tuple, list[RejectedRow]] = {}
    for r in rejects:
        groups.setdefault((r.file, tuple(r.header)), []).append(r)
    target = Path(path)
    written = []
    for n, ((file, header), rows) in enumerate(groups.items(), start=1):
        out = target if len(groups) == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
        first = rows[0]
        delimiter = getattr(first, "delimiter", ",")
        encoding = getattr(first, "encoding", "utf-8")
        none = getattr(first, "quoting", "minimal") == "none"
        opts = {"quoting": csv.QUOTE_NONE, "quotechar": None, "escapechar": None} if none else {}
        with out.open("w", encoding=encoding, errors="replace", newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n", **opts)
            fh.write(
                f"# rejected rows from {file}; fix them and import this file again. "
                "Password columns are left empty on purpose.\r\n"
            )
            writer.writerow(list(header))
            for r in rows:
                section = getattr(r, "section", None)
                where = f"sheet {section} row {r.line}" if section else f"line {r.line}"
                fh.write(f"# {where}: {_one_line(r.reason)}\r\n")
                writer.writerow(r.values)
        written.append(out)
    return written


def _one_line(text: str) -> str:
    return " ".join(text.split())
