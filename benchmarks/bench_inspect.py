"""What a user waits for: ``inspect --format json`` per format at two sizes, and ``plan`` of a small file.

    python benchmarks/bench_inspect.py [--sizes 10000,100000] [--formats csv,excel,...] [--tree DIR]

For each format (the inputs of ``bench_parse.py``: csv, excel, ssh_config, putty, mobaxterm, ansible)
an inventory of N hosts is generated, then ``python -m migrator inspect --format json FILE`` runs as a
child process with stdout to a file, exactly as a user runs it. Its CPU time (user + system) and peak
resident memory (``ru_maxrss``) come from ``wait4`` for that child alone, so interpreter start-up and
imports are included (the inputs are written by other children, so the parent stays small). After
the run the output is checked (N hosts, no error), outside the timing. Printed: CPU s and peak RSS
per size, and the ratio of the largest size to the smallest (about 10 for x10 is linear).

Then ``python -m migrator plan FILE --target embedded`` of a 10-host CSV: wall and CPU time (the best
of five runs each: the machine is shared, the minimum is the least disturbed), and ``-X importtime``
for ``inspect`` and ``plan``: the time spent importing and which heavy third-party packages were
imported. ``-X importtime`` does not list a module imported through ``importlib.import_module`` (the
registry's format modules, the CLI's commands), only what such a module imports, so the import time
is a lower bound; the plan's CPU time is the whole cost.
``--tree`` measures another checkout's ``migrator`` (e.g. an older commit unpacked with
``git archive``) for a before/after table in one run. The children run as an installed tool does,
from compiled bytecode: it is written once, before the first measurement, into a cache folder of
the run (``PYTHONPYCACHEPREFIX``), whatever ``PYTHONDONTWRITEBYTECODE`` says.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse import FORMATS, WRITERS  # noqa: E402
from installed import installed_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("requests", "openpyxl", "paramiko", "cryptography", "tqdm", "urllib3", "yaml")
_HOST_LINE = b'      "key": '
_ERROR_LINE = b'      "level": "error",'


_ENV: dict[str, str] = {}


def environment(tree: Path, cache: Path) -> None:
    """The children's environment: ``tree`` first on the path, bytecode compiled once into ``cache``."""
    _ENV.clear()
    _ENV.update(installed_env(tree, cache))


def child(argv: list[str], tree: Path, stdout) -> tuple[int, float, float, int]:
    """Run ``argv`` from ``tree``; (exit code, wall s, CPU s, peak RSS KiB) of that child alone."""
    env = _ENV
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=tree, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}: {err[-2000:]}")
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def generate(fmt: str, n: int, folder: Path) -> Path:
    """The input of ``n`` hosts, written by a child process: this one stays small, because a child's
    ``ru_maxrss`` starts from its parent's resident size (Linux carries it across ``exec``)."""
    path = folder / f"{fmt}-{n}" / WRITERS[fmt][1]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, __file__, "--generate", fmt, str(n), str(path)], check=True)
    return path


def inspect(fmt: str, n: int, folder: Path, tree: Path) -> dict:
    path = generate(fmt, n, folder)
    out = folder / "out.json"
    argv = [sys.executable, "-m", "migrator", "inspect", "--format", "json", f"{fmt}:{path}"]
    with out.open("wb") as fh:
        _, wall, cpu, rss = child(argv, tree, fh)
    hosts = errors = 0
    with out.open("rb") as fh:  # line by line: this process must stay small (see ``generate``)
        for line in fh:
            hosts += line.startswith(_HOST_LINE)
            errors += line.startswith(_ERROR_LINE)
    if hosts != n or errors:
        raise SystemExit(f"{fmt} {n}: {hosts} hosts in the output, {errors} errors")
    return {"n": n, "wall": wall, "cpu": cpu, "rss_mib": rss / 1024, "out_mb": out.stat().st_size / 1e6}


def plan_times(folder: Path, tree: Path, runs: int = 5) -> tuple[float, float]:
    """The best wall and the best CPU time of ``runs`` plans (each minimum on its own)."""
    path = generate("csv", 10, folder)
    argv = [sys.executable, "-m", "migrator", "plan", str(path), "--target", "embedded"]
    times = [child(argv, tree, subprocess.DEVNULL)[1:3] for _ in range(runs)]
    return min(w for w, _ in times), min(c for _, c in times)


def import_profile(argv: list[str], tree: Path) -> tuple[float, list[str]]:
    """``-X importtime``: the time spent importing modules (s, all top-level imports) and the heavy packages loaded."""
    env = _ENV
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], cwd=tree, env=env, capture_output=True, text=True
    ).stderr
    total, loaded = 0.0, set()
    for line in out.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if not m:
            continue
        name = m.group(3)
        if not m.group(2):
            total += int(m.group(1)) / 1e6
        if name.split(".")[0] in HEAVY:
            loaded.add(name.split(".")[0])
    return total, sorted(loaded)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--tree", default=str(ROOT), help="the checkout whose migrator package is measured")
    ap.add_argument("--keep", metavar="DIR", help="generate the inputs here and keep them (reused when present)")
    ap.add_argument("--generate", nargs=3, metavar=("FORMAT", "N", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        fmt, n, path = args.generate
        WRITERS[fmt][0](Path(path), int(n))
        return 0
    tree = Path(args.tree).resolve()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Python {platform.python_version()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; migrator from {tree}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        environment(tree, Path(tmp) / "pycache")
        rows = []
        for fmt in args.formats.split(","):
            results = [inspect(fmt, n, folder, tree) for n in sizes]
            first, last = results[0], results[-1]
            ratio = f"{last['cpu'] / first['cpu']:.1f} (x{last['n'] // first['n']})" if len(results) > 1 else "-"
            cells = " | ".join(f"{r['cpu']:.2f} | {r['rss_mib']:.0f}" for r in results)
            rows.append(f"| {fmt} | {cells} | {ratio} |")
            print(rows[-1], flush=True)
        plan_wall, plan_cpu = plan_times(folder, tree)
        csv10 = generate("csv", 10, folder)
        inspect_imports = import_profile(["-m", "migrator", "inspect", "--format", "json", str(csv10)], tree)
        plan_imports = import_profile(["-m", "migrator", "plan", str(csv10), "--target", "embedded"], tree)
    head = " | ".join(f"CPU s {n:,} | peak RSS MiB {n:,}" for n in sizes)
    print(f"\n| format | {head} | CPU ratio |")
    print("|---|" + "---:|" * (2 * len(sizes) + 1))
    print("\n".join(rows))
    print(f"\nplan of a 10-host CSV against --target embedded: {plan_wall:.2f} s wall, {plan_cpu:.2f} s CPU", end="")
    print(" (best of 5)")
    for what, (seconds, loaded) in (("inspect", inspect_imports), ("plan", plan_imports)):
        print(f"{what}: imports take {seconds:.3f} s; heavy packages loaded: {', '.join(loaded) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
