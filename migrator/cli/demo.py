"""``xpipe-migrate demo``: the bundled samples into an in-process simulator, applied, then planned again.

The second plan must show no changes and the second pass must make no write request: that is the
idempotency promise, shown on every fresh machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from migrator import heap
from migrator.cli.common import EXIT_ERROR, EXIT_OK, progress_enabled, table_options
from migrator.data import SAMPLES, bundled_folder
from migrator.errors import InputError
from migrator.manager import Manager, Run, SourceInput
from migrator.report import FORMAT_NAMES, render
from migrator.report.document import plan_document
from migrator.xpipe.target import EMBEDDED, TargetOptions

#: The main sample of each format; the variant samples in sub-folders are for tests and users.
DEMO_SAMPLES = ("servers.csv", "ssh_config", "putty-sessions.reg", "mobaxterm.mxtsessions")


def register(sub) -> None:
    p = sub.add_parser("demo", help="apply the bundled samples to an in-process simulator, twice")
    p.add_argument("--samples", metavar="DIR", help="samples folder (default: the samples bundled with the package)")
    p.add_argument(
        "--xpipe-version",
        default=TargetOptions.embedded_version,
        help=f"XPipe version the simulator speaks (default {TargetOptions.embedded_version})",
    )
    p.add_argument("--format", choices=FORMAT_NAMES, default="table", help="output format (default table)")
    p.set_defaults(func=run)


def run(args) -> int:
    return run_demo(
        samples=args.samples,
        version=args.xpipe_version,
        fmt=args.format,
        progress=progress_enabled(args),
        table=table_options(args),
    )


def run_demo(
    samples: str | None = None,
    version: str = TargetOptions.embedded_version,
    fmt: str = "table",
    progress: bool = True,
    table: dict | None = None,
) -> int:
    """Run the demo on ``samples`` (a folder), by default the samples bundled with the package.

    ``table`` holds the table renderer's options: the diagnostics are a grouped summary unless
    ``verbose`` (``-v``) asks for every one.
    """
    if samples:
        return _demo(Path(samples), version, fmt, progress, table or {})
    with bundled_folder(SAMPLES) as folder:
        return _demo(folder, version, fmt, progress, table or {})


@heap.one_run()  # the sources, vault and ledger live to the end: ``migrator.heap``
def _demo(folder: Path, version: str, fmt: str, progress: bool, table: dict) -> int:
    files = [str(folder / name) for name in DEMO_SAMPLES if (folder / name).exists()]
    if not files:
        raise InputError(f"no demo samples found in {folder}")
    manager = Manager(
        Run(
            sources=[SourceInput(f, where=f) for f in files],
            target=TargetOptions(target=EMBEDDED, embedded_version=version),
            progress=progress,
        )
    )
    inventory = manager.read()
    started = time.perf_counter()
    with manager.session() as session:
        client = session.client
        plan = session.plan(inventory)
        result = session.apply(plan)
        first_requests = client.requests_made
        first_seconds = time.perf_counter() - started
        writes_before = client.writes_made
        again = session.plan(inventory)
        second_writes = client.writes_made - writes_before
        total_requests = client.requests_made
    print(render(plan_document(plan, result), fmt, **(table if fmt == "table" else {})))
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
        print(render(plan_document(again), "table"), file=sys.stderr)
        print("demo: the second run was not a no-op; this is a bug", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_ERROR if result.failed else EXIT_OK
