"""CPU time to read native connection-manager files at growing sizes: reading must be linear.

    python benchmarks/bench_asbru_wt.py [--sizes 1000,10000] [--formats asbru,windows_terminal] [--results FILE]

Each section generates a file of N entries with the format's own test generator (tests/helpers),
reads it once and prints the CPU seconds (``time.process_time``) and the ratio t(10N)/t(N): about
10 is linear, about 100 quadratic. Other native formats add their own section below.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


# ---- asbru ----------------------------------------------------------------------------------------


def asbru_file(folder: Path, n: int) -> Path:
    """N SSH environments in 50 groups, a tenth behind a jump server, passwords encrypted."""
    from helpers.asbru import AsbruFile

    f = AsbruFile()
    groups = [f.group(f"Group {g}", uuid=f"00000000-0000-4000-8000-{g:012d}") for g in range(50)]
    f.global_variable("domain", "example.net")
    for i in range(n):
        extra = {"use proxy": 3, "jump ip": "gw.example.net", "jump user": "hop"} if i % 10 == 0 else {}
        f.connection(
            f"host-{i:06d}",
            groups[i % 50],
            uuid=f"11111111-0000-4000-8000-{i:012d}",
            ip=f"host-{i:06d}.<GV:domain>",
            user="deploy",
            **{"pass": f"pw-{i}"},
            **extra,
        )
    path = folder / "asbru.yml"
    path.write_text(f.full(), encoding="utf-8")
    return path


def read_asbru(path: Path) -> int:
    from migrator.sources.asbru.source import AsbruSource

    return len(AsbruSource(path).read().hosts)


# ---- windows_terminal -----------------------------------------------------------------------------


def wt_file(folder: Path, n: int) -> Path:
    from helpers.windows_terminal import command_line, settings_json

    profiles = [
        {
            "guid": f"{{22222222-0000-4000-8000-{i:012d}}}",
            "name": f"host-{i:06d}",
            "commandline": command_line(
                "C:\\Windows\\System32\\OpenSSH\\ssh.exe", ["-p", "2222", f"u@host-{i}.example"]
            ),
        }
        for i in range(n)
    ]
    path = folder / "settings.json"
    path.write_bytes(settings_json(profiles))
    return path


def read_wt(path: Path) -> int:
    from migrator.sources.windows_terminal.source import WindowsTerminalSource

    return len(WindowsTerminalSource(path).read().hosts)


SECTIONS = {"asbru": (asbru_file, read_asbru), "windows_terminal": (wt_file, read_wt)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--formats", default=",".join(SECTIONS))
    ap.add_argument("--results")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    lines = []
    for fmt in args.formats.split(","):
        make, read = SECTIONS[fmt]
        times = []
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                path = make(Path(tmp), n)
                size = path.stat().st_size
                start = time.process_time()
                hosts = read(path)
                cpu = time.process_time() - start
            times.append(cpu)
            assert hosts == n, (fmt, n, hosts)
            lines.append(f"{fmt:17} {n:>7} entries  {size / 1e6:7.1f} MB  {cpu:7.2f} CPU s")
        for k in range(1, len(sizes)):
            (a, ta), (b, tb) = (sizes[k - 1], times[k - 1]), (sizes[k], times[k])
            lines.append(f"{fmt:17} t({b})/t({a}) = {tb / ta:.1f} (linear: {b / a:.0f})")
    print("\n".join(lines))
    if args.results:
        with open(args.results, "a", encoding="utf-8") as fh:
            heading = "## Asbru and Windows Terminal parsing (bench_asbru_wt.py)"
            fh.write(f"\n{heading}\n\n```\n" + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
