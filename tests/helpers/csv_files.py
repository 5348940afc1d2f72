"""Writing inventories in the default CSV columns (the generic mapping profile) for the HTTP tests."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = [
    "name",
    "host",
    "port",
    "user",
    "password",
    "key_file",
    "key_passphrase",
    "folder",
    "jump",
    "tags",
    "description",
]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    return path
