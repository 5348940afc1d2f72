"""The ``xpipe-migrate`` command line: one module per command, each with ``register`` and ``run``.

Errors become one readable line on stderr and a distinct exit code (README, "Exit codes"); a
traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from migrator import __version__
from migrator.cli.common import EXIT_ERROR
from migrator.errors import MigratorError

#: The commands, in the order ``--help`` lists them.
COMMANDS = ("inspect", "plan", "apply", "sync", "audit", "mapping_check", "simulator", "demo", "samples")

log = logging.getLogger("migrator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xpipe-migrate",
        description="Move server inventories into XPipe through its HTTP API, and keep them in step.")
    parser.add_argument("--version", action="version", version=f"xpipe-migrate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"migrator.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except MigratorError as exc:
        if args.debug:
            raise
        print(f"xpipe-migrate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("xpipe-migrate: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if args.debug:
            raise
        print(f"xpipe-migrate: internal error: {type(exc).__name__} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


__all__ = ["main", "build_parser"]
