"""Throughput and peak memory of the CSV and Excel sources.

    python benchmarks/bench_tabular.py [--csv-rows 100000] [--xlsx-rows 10000] [--keep DIR]

Writes a generic-profile CSV and an .xlsx of the requested sizes (every default column filled,
folders, tags, a jump to a bastion row on most rows, one bad row in a hundred), then reads each
file in a fresh child process so the peak resident memory (``ru_maxrss``) belongs to that read
alone. Prints rows per second, the peak RSS, and the RSS growth over the child's state just
before reading (the interpreter and imports).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
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


def make_rows(n: int):
    yield [
        "bench-bastion",
        "bastion.example.net",
        "22",
        "jump",
        "",
        "",
        "",
        "Infrastructure",
        "",
        "bastion",
        "jump host",
    ]
    for i in range(1, n):
        port = "22x" if i % 100 == 0 else str(22 + i % 3)
        yield [
            f"bench-{i:06d}",
            f"host-{i:06d}.example.net",
            port,
            "deploy",
            f"Bench-pass-{i % 7}",
            "",
            "",
            f"Region-{i % 5}/Rack-{i % 40}",
            "bench-bastion" if i % 4 else "",
            "bench;generated",
            f"generated row {i}",
        ]


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(make_rows(n))


def write_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Servers")
    ws.append(["Server inventory (benchmark)"])
    ws.append(HEADER)
    for row in make_rows(n):
        row[2] = int(row[2]) if row[2].isdigit() else row[2]
        ws.append(row)
    wb.save(path)


def measure(kind: str, path: str) -> None:
    """Child process: read once, print JSON with time and memory."""
    from migrator.sources.tabular.csv import CsvSource
    from migrator.sources.tabular.excel import ExcelSource

    cls = CsvSource if kind == "csv" else ExcelSource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    result = cls(path).read()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "hosts": len(result.hosts),
                "rejected": len(result.rejects),
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
                "peak_kib": usage.ru_maxrss,
                "before_kib": before,
            }
        )
    )


def run_child(kind: str, path: Path, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(path)], check=True, capture_output=True, text=True
    )
    data = json.loads(out.stdout)
    data["rows"] = rows
    data["rows_per_s"] = rows / data["seconds"]
    data["rows_per_cpu_s"] = rows / data["cpu_seconds"]
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv-rows", type=int, default=100_000)
    ap.add_argument("--xlsx-rows", type=int, default=10_000)
    ap.add_argument("--keep", metavar="DIR", help="write the generated files here and keep them")
    ap.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(*args.measure)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, xlsx_path = folder / "bench.csv", folder / "bench.xlsx"
        write_csv(csv_path, args.csv_rows)
        write_xlsx(xlsx_path, args.xlsx_rows)
        for kind, path, rows in (("csv", csv_path, args.csv_rows), ("excel", xlsx_path, args.xlsx_rows)):
            r = run_child(kind, path, rows)
            size = path.stat().st_size / 1e6
            grew = (r["peak_kib"] - r["before_kib"]) / 1024
            print(
                f"{kind:5s} {rows:>7d} rows ({size:.1f} MB): "
                f"{r['seconds']:.2f} s wall = {r['rows_per_s']:,.0f} rows/s; "
                f"{r['cpu_seconds']:.2f} s CPU = {r['rows_per_cpu_s']:,.0f} rows/CPU-s; "
                f"peak RSS {r['peak_kib'] / 1024:.0f} MiB (+{grew:.0f} MiB for the read); "
                f"{r['hosts']} hosts, {r['rejected']} rejected"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
