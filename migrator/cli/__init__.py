"""The ``xpipe-migrate`` command line: one module per command, each with ``register`` and ``run``.

Errors become one readable line on stderr and a distinct exit code (README, "Exit codes"); a
traceback only with ``--debug``. Usage errors exit 1 like every other error in the input or options:
argparse's own 2 would read as "changes pending" to a CI job. The global flags (``--debug``,
``--no-progress``) are accepted before or after the command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from migrator import __version__
from migrator.cli.common import EXIT_ERROR
from migrator.errors import MappingUnsure, MigratorError
from migrator.escape import console

#: The commands, in the order ``--help`` lists them.
COMMANDS = ("inspect", "plan", "apply", "sync", "audit", "mapping_check", "simulator", "demo", "samples")

EPILOG = """exit codes:
  0  success; plan / sync --dry-run: no changes; audit: nothing found
  1  an error in the input or the options (usage errors included)
  2  changes pending (plan, sync --dry-run), findings (audit), or applied with --detailed-exitcode
  3  an unsafe or stale plan was refused
  4  partial: entries failed, conflicts were left unwritten, or source entries could not be imported
     (apply, sync); plan / sync --dry-run: conflicts or such entries would leave the vault short
  5  XPipe unreachable or timed out   6  authentication failed / API disabled   7  XPipe too old
  8  an inventory service (Xen Orchestra) failed"""

log = logging.getLogger("migrator")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors exit 1 (the README's "error in the options")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)  # an abbreviation would silently pick an option
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


_TRACKED: dict[type, type] = {}


def _track(action: argparse.Action) -> None:
    """Record in ``args.given_options`` (dest -> option string) which options were actually typed.

    argparse fills unset options with their defaults, so without this a flag given with its default
    value could not be told from one left out; commands use it to refuse flags that cannot apply.
    """
    base = type(action)
    if base not in _TRACKED:

        def __call__(self, parser, namespace, values, option_string=None):
            given = dict(getattr(namespace, "given_options", {}))
            given[self.dest] = option_string
            namespace.given_options = given
            base.__call__(self, parser, namespace, values, option_string)

        _TRACKED[base] = type(f"Tracked{base.__name__}", (base,), {"__call__": __call__})
    action.__class__ = _TRACKED[base]


def _command_parsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield sub
                yield from _command_parsers(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="xpipe-migrate",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Move server inventories into XPipe through its HTTP API, and keep them in step.",
    )
    parser.add_argument("--version", action="version", version=f"xpipe-migrate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"migrator.cli.{name}").register(sub)
    for command in _command_parsers(parser):
        command.epilog = command.epilog or EPILOG
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        # SUPPRESS: given only before the command, the top-level value is not overwritten with False
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks and debug logging"
        )
        command.add_argument(
            "--no-progress", action="store_true", default=argparse.SUPPRESS, help="no progress bar on stderr"
        )
        for action in command._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                _track(action)
    return parser


def _show_mapping_preview(source) -> None:
    """After the one-line error: how the best guess would read the file, so the user can pick a profile."""
    from migrator.cli.mapping_check import check_report, render

    try:
        text = render(check_report(source))
    except MigratorError:
        return
    print("\nmapping check preview (nothing was imported):\n" + text, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args)
    except MigratorError as exc:
        if args.debug:
            raise
        print(f"xpipe-migrate: error: {console(exc)}", file=sys.stderr)
        if isinstance(exc, MappingUnsure) and exc.source is not None:
            _show_mapping_preview(exc.source)
        return exc.exit_code
    except KeyboardInterrupt:
        print("xpipe-migrate: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if args.debug:
            raise
        print(
            f"xpipe-migrate: internal error: {type(exc).__name__} (run with --debug for the traceback)", file=sys.stderr
        )
        return EXIT_ERROR


__all__ = ["main", "build_parser"]
