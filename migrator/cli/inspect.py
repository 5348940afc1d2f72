"""``inspect``: read sources and show the hosts, without XPipe."""

from __future__ import annotations

import sys

from migrator.cli.common import EXIT_OK, add_source_args, source_inputs, table_options
from migrator.cli.output import raise_unreadable
from migrator.manager import read_inventory
from migrator.report.document import inventory_document


def register(sub) -> None:
    p = sub.add_parser("inspect", help="read sources and show the hosts, without XPipe")
    add_source_args(p)
    p.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format (default table)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    inventory = read_inventory(source_inputs(args))
    if args.format == "json":  # streamed: a large inventory's document is never held as one text
        from migrator.report.jsondoc import write

        write(inventory_document(inventory.hosts, inventory.diagnostics, lazy=True), sys.stdout.write)
    else:
        from migrator.report import render

        options = table_options(args) if args.format == "table" else {}
        print(render(inventory_document(inventory.hosts, inventory.diagnostics), args.format, **options))
    raise_unreadable(inventory)
    return EXIT_OK
