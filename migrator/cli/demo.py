"""``xpipe-migrate demo``: the bundled samples into an in-process simulator, applied, then planned again.

The second plan must show no changes and the second pass must make no write request: that is the
idempotency promise, shown on every fresh machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from migrator.apply.loader import Loader
from migrator.data import SAMPLES, bundled_folder
from migrator.errors import InputError
from migrator.manager import plan_inventory, read_inventory
from migrator.report.plan_report import RENDERERS, render_table
from migrator.xpipe.target import EMBEDDED, TargetOptions, open_client

#: The main sample of each format; the variant samples in sub-folders are for tests and users.
DEMO_SAMPLES = ("servers.csv", "ssh_config", "putty-sessions.reg", "mobaxterm.mxtsessions")


def run_demo(samples: str | None = None, version: str = "23.8", fmt: str = "table", progress: bool = True) -> int:
    """Run the demo on ``samples`` (a folder), by default the samples bundled with the package."""
    if samples:
        return _demo(Path(samples), version, fmt, progress)
    with bundled_folder(SAMPLES) as folder:
        return _demo(folder, version, fmt, progress)


def _demo(folder: Path, version: str, fmt: str, progress: bool) -> int:
    files = [str(folder / name) for name in DEMO_SAMPLES if (folder / name).exists()]
    if not files:
        raise InputError(f"no demo samples found in {folder}")
    inventory = read_inventory(files)
    started = time.perf_counter()
    with open_client(TargetOptions(target=EMBEDDED, embedded_version=version)) as client:
        plan = plan_inventory(client, inventory)
        result = Loader(client, progress=progress).apply(plan)
        first_requests = client.requests_made
        first_seconds = time.perf_counter() - started
        writes_before = client.writes_made
        again = plan_inventory(client, inventory)
        second_writes = client.writes_made - writes_before
        total_requests = client.requests_made
    out = render_table(plan, result) if fmt == "table" else RENDERERS[fmt](plan, result)
    print(out)
    if fmt == "table":
        print()
        print(
            f"demo: {len(files)} sample files, {len(inventory.hosts)} hosts -> XPipe {client.xpipe_version} "
            f"simulator; first pass {first_requests} requests in {first_seconds:.2f} s"
        )
        print(
            f"demo: second plan: {'no changes' if not again.has_changes else 'CHANGES PENDING'}, "
            f"{again.requests} read requests, {second_writes} write requests "
            f"({total_requests} requests in total)"
        )
    if again.has_changes or second_writes:
        print(render_table(again), file=sys.stderr)
        print("demo: the second run was not a no-op; this is a bug", file=sys.stderr)
        return 1
    return 1 if result.failed else 0
