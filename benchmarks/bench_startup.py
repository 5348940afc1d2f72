"""Start-up of a small run, this checkout against another, interleaved in one session (issue 19).

    python benchmarks/bench_startup.py --before DIR [--runs 15]

DIR is another checkout's root (e.g. ``git archive main | tar -x -C DIR``). For each tree, in turn
and in alternating order (so a burst of load on the shared machine hits both alike), a child
process runs:

* ``detect``: ``registry().usable()``, what detection of a plain path does first (every format's
  source module imported and checked), timed inside the child after ``migrator.sources`` is loaded;
* ``inspect``: ``python -m migrator inspect --format json`` of a 10-host CSV (a plain path, so
  every format is asked);
* ``plan``: ``python -m migrator plan`` of the same CSV with ``--target embedded``.

CPU time (user + system) and wall time come from ``wait4`` for that child alone. Printed per step:
the minimum and the median of ``--runs`` runs for both trees and the after/before ratio of the
medians. The children run from compiled bytecode, as an installed tool does (``PYTHONPYCACHEPREFIX``
per tree, written before the first measurement). Only ratios measured in one run are compared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse import write_csv  # noqa: E402
from installed import installed_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_DETECT = (
    "import time\n"
    "import migrator.sources as s, migrator.sources.limits, migrator.sources.secrets\n"
    "t = time.perf_counter()\n"
    "s.registry().usable()\n"
    "print(time.perf_counter() - t)\n"
)


def run(argv: list[str], tree: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"{' '.join(argv)} in {tree}: exit {code}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, metavar="DIR", help="the other checkout's root")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    trees = {"before": Path(args.before).resolve(), "after": ROOT}
    print(
        f"Python {platform.python_version()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; before {trees['before']}, after {trees['after']}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "hosts.csv"
        write_csv(csv, 10)
        envs = {name: installed_env(tree, Path(tmp) / f"pycache-{name}") for name, tree in trees.items()}
        steps = {
            "detect": [sys.executable, "-c", _DETECT],
            "inspect": [sys.executable, "-m", "migrator", "inspect", "--format", "json", str(csv)],
            "plan": [sys.executable, "-m", "migrator", "plan", str(csv), "--target", "embedded"],
        }
        results: dict[tuple[str, str], list[float]] = {}
        for i in range(args.runs):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for step, argv in steps.items():
                for name in order:
                    wall, cpu, out = run(argv, trees[name], envs[name])
                    if step == "detect":
                        results.setdefault((step, name), []).append(float(out))
                    else:
                        results.setdefault((step, name), []).append(cpu)
                        results.setdefault((f"{step} wall", name), []).append(wall)
    print(f"\n| step ({args.runs} runs each) | before min | before median | after min | after median | after/before |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = {
        "detect": "detect: load every format (s)",
        "inspect": "inspect (CPU s)",
        "inspect wall": "inspect (wall s)",
        "plan": "plan (CPU s)",
        "plan wall": "plan (wall s)",
    }
    for step, label in labels.items():
        before, after = results[(step, "before")], results[(step, "after")]
        cells = [f"{min(v):.3f} | {statistics.median(v):.3f}" for v in (before, after)]
        ratio = statistics.median(after) / statistics.median(before)
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
