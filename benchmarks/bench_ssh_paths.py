"""The two ssh_config paths that used to be quadratic, measured at growing sizes.

    python benchmarks/bench_ssh_paths.py [--sizes 2000,8000,32000] [--tree DIR]

``jump``: N hosts that all jump through one gateway (the declared-alias set was rebuilt for every
host's jump chain). ``dead``: N aliases in a file Included after a Host block, so none applies and
each one is explained (every explanation rescanned all Host lines). Each case runs in a fresh child
process; the CPU time of the read is printed with the ratio to the previous size (x4 sizes: about 4
is linear, about 16 quadratic). ``--tree`` runs another checkout's ``migrator`` (e.g. an older commit
unpacked with ``git archive``) for comparison.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_case(kind: str, n: int, folder: Path) -> Path:
    if kind == "jump":
        body = "Host gw\n  HostName gw.example.net\n" + "".join(
            f"Host h{i}\n  HostName h{i}.example.net\n  ProxyJump gw\n" for i in range(n)
        )
    else:
        (folder / "late.conf").write_text("".join(f"Host late{i}\n  Port 22\n" for i in range(n)))
        body = "Host only-this\n  Port 2\nInclude late.conf\n"
    (folder / "config").write_text(body)
    return folder / "config"


def measure(path: str) -> None:
    from migrator.sources.ssh_config.source import SshConfigSource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    SshConfigSource(path, home=str(Path(path).parent), local_user="bench").read()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(usage.ru_utime + usage.ru_stime - cpu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="2000,8000,32000")
    ap.add_argument("--tree", default=str(ROOT), help="the checkout whose migrator package is measured")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    env = {**os.environ, "PYTHONPATH": args.tree}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("jump", "dead"):
            prev = None
            for n in (int(s) for s in args.sizes.split(",")):
                folder = Path(tmp) / f"{kind}-{n}"
                folder.mkdir()
                path = write_case(kind, n, folder)
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", str(path)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                cpu = float(out.stdout.split()[-1])
                ratio = f"{cpu / prev[1]:.1f} (x{n // prev[0]})" if prev else "-"
                print(f"| {kind} | {n:,} | {cpu:.2f} | {ratio} |", flush=True)
                prev = (n, cpu)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
