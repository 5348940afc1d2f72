"""Read time of the native connection-manager formats, where key derivation (not parsing) is the cost.

    python benchmarks/bench_native.py [--cases mremoteng] [--hosts 1000] [--results FILE]

Each case writes its files with the project's test generator (tests/helpers/), then reads each once
in a fresh child process. The same child also times one key derivation of the file's scheme, so
every row carries a ratio measured in one run: the read as shipped over the same read with every
key derived in turn on one thread. Another format adds a function to ``CASES`` that yields its
rows' files (and a ``measure`` branch if it has no thread knob).

mremoteng: every host has its own password, and every value its own random salt, so a file of N
hosts needs N+1 PBKDF2 derivations (Protected too); the reader derives them on a few threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- cases: each yields (label, iterations, hosts, path, options, values to decrypt) ---------------


def mremoteng_cases(folder: Path, hosts: int):
    from helpers.mremoteng import Node, Style, aead_encrypt, write
    from helpers.mremoteng import folder as make_folder

    def passwords_for(count: int, iterations: int) -> list[str]:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return list(pool.map(lambda i: aead_encrypt(f"pw-{i}", "mR3m", iterations), range(count)))

    variants = [(1000, False), (5000, False), (10000, False), (20000, False), (10000, True)]
    for iterations, full in variants:
        passwords = passwords_for(hosts, iterations)
        nodes = [
            make_folder(
                f"Site-{s}",
                *[
                    Node(
                        f"host-{i:05d}",
                        hostname=f"host-{i:05d}.example.net",
                        username="deploy",
                        raw_password=passwords[i],
                    )
                    for i in range(s, hosts, 10)
                ],
            )
            for s in range(10)
        ]
        label = "full-file" if full else "per-attribute"
        path = write(
            folder / f"mremoteng-{iterations}-{label}.xml", nodes, Style(version="2.8", kdf=iterations, full_file=full)
        )
        yield f"mremoteng {label}", iterations, hosts, path, {}, hosts + 1 + int(full)
    # linearity: four times the hosts at the 1.77 default
    big = hosts * 4
    passwords = passwords_for(big, 10000)
    nodes = [Node(f"h{i}", hostname=f"h{i}.example.net", raw_password=passwords[i]) for i in range(big)]
    path = write(folder / "mremoteng-10000-x4.xml", nodes, Style(version="2.8", kdf=10000))
    yield "mremoteng per-attribute", 10000, big, path, {}, big + 1


CASES = {"mremoteng": mremoteng_cases}
FORMAT_OF = {"mremoteng": "mremoteng"}


def measure(fmt: str, path: str, iterations: int) -> None:
    """Child process: the read with key derivation on one thread, then as shipped; JSON on stdout."""
    from migrator.sources import source_class
    from migrator.sources.mremoteng import crypto

    cls = source_class(fmt)
    runs = {}
    for label, threads in (("serial", 1), ("shipped", crypto._THREADS)):
        crypto._THREADS = threads  # the benchmark's knob: one thread is the naive reader
        cpu = _cpu()
        start = time.perf_counter()
        result = cls(path).read()
        runs[label] = {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu}
    errors = [d.message for d in result.diagnostics if d.level == "error"][:3]
    print(json.dumps({"hosts": len(result.hosts), "runs": runs, "threads": threads, "errors": errors}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--results", metavar="FILE", help="append the table to this Markdown file")
    ap.add_argument("--measure", nargs=3, metavar=("FORMAT", "PATH", "ITERATIONS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure[0], args.measure[1], int(args.measure[2]))
        return 0
    lines = [
        "| case | PBKDF2 iterations | hosts | input MB | values decrypted | wall s, keys on 1 thread "
        "| wall s, as shipped | CPU s, as shipped | CPU ms per value | wall as shipped / 1 thread |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            for label, iterations, hosts, path, _options, values in CASES[case](Path(tmp), args.hosts):
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", FORMAT_OF[case], str(path), str(iterations)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                r = json.loads(out.stdout)
                if r["hosts"] != hosts or r["errors"]:
                    raise SystemExit(f"{label}: read {r['hosts']} hosts, errors {r['errors']}")
                one, shipped = r["runs"]["serial"], r["runs"]["shipped"]
                row = (
                    f"| {label} | {iterations:,} | {hosts:,} | {path.stat().st_size / 1e6:.1f} | {values:,} "
                    f"| {one['seconds']:.2f} | {shipped['seconds']:.2f} | {shipped['cpu']:.2f} "
                    f"| {shipped['cpu'] / values * 1000:.2f} | {shipped['seconds'] / one['seconds']:.2f} |"
                )
                print(row, flush=True)
                lines.append(row)
    if args.results:
        head = [
            "",
            "## Native formats: reading encrypted files (`bench_native.py`)",
            "",
            f"Command: `python benchmarks/bench_native.py --hosts {args.hosts} --results {args.results}`; Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs (shared), one fresh child "
            "process per read. Each child reads twice: with the key derivations on one thread (the naive reader), "
            "then as shipped (a few threads); the last column is the ratio of the two wall times. "
            "CPU ms per value staying at one PBKDF2 derivation for every size and file layout shows the read is "
            "linear and derives each key once.",
            "",
        ]
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write("\n".join([*head, *lines]) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
