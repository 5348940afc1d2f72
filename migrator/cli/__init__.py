"""The ``xpipe-migrate`` command line: one module per command, each with ``register`` and ``run``.

Errors become one readable line on stderr and a distinct exit code (README, "Exit codes"); a
traceback only with ``--debug``. Usage errors exit 1 like every other error in the input or options:
argparse's own 2 would read as "changes pending" to a CI job. The global flags (``--debug``,
``--no-progress``, ``-q/--quiet``, ``-v/--verbose``) are accepted before or after the command. A reader
that closes the pipe early (``inspect ... | head``) ends the run quietly with the command's exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from migrator import __version__
from migrator.cli.common import EXIT_ERROR, EXIT_INTERRUPTED
from migrator.cli.examples import EXAMPLES
from migrator.errors import MappingUnsure, MigratorError
from migrator.escape import console

#: The command modules, in the order ``--help`` lists them.
COMMANDS = ("inspect", "plan", "apply", "sync", "audit", "mapping_check", "formats", "simulator", "demo", "samples")
#: The command a module registers, where its name is not the module's.
_COMMAND_OF = {"mapping_check": "mapping"}

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


#: The flags every command accepts, before or after its name: (option strings, help).
GLOBAL_FLAGS = (
    (("--debug",), "show tracebacks and debug logging"),
    (("--no-progress",), "no progress bar on stderr (there is one only when stderr is a terminal)"),
    (("-q", "--quiet"), "print only errors; a run that changes nothing prints nothing"),
    (("-v", "--verbose"), "show every diagnostic and the whole table of a run that changes nothing"),
)


def _add_global_flags(parser: argparse.ArgumentParser, default) -> None:
    for flags, text in GLOBAL_FLAGS:
        parser.add_argument(*flags, action="store_true", default=default, help=text)


def _invoked(argv: list[str]) -> str | None:
    """The module of the command named in ``argv`` (the first word that is not a flag), if it is one.

    The global flags take no value, so that word is the command. A run then builds only that
    command's parser and imports only its module: ``inspect`` never loads what ``apply`` needs.
    """
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return next((m for m in COMMANDS if _COMMAND_OF.get(m, m) == arg), None)
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``command`` (a module of ``COMMANDS``) only that command."""
    parser = Parser(
        prog="xpipe-migrate",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Move server inventories into XPipe through its HTTP API, and keep them in step.",
    )
    parser.add_argument("--version", action="version", version=f"xpipe-migrate {__version__}")
    _add_global_flags(parser, False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in (command,) if command else COMMANDS:
        importlib.import_module(f"migrator.cli.{name}").register(sub)
    for command in _command_parsers(parser):
        name = command.prog.removeprefix(f"{parser.prog} ")
        examples = EXAMPLES.get(name)
        command.epilog = command.epilog or (f"examples:\n{examples}\n\n{EPILOG}" if examples else EPILOG)
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        # SUPPRESS: given only before the command, the top-level value is not overwritten with False
        _add_global_flags(command, argparse.SUPPRESS)
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


def _pipe_closed() -> None:
    """The reader went away (``| head``): point stdout at devnull so the interpreter's final flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_invoked(argv))
    args = parser.parse_args(argv)
    if args.quiet and args.verbose:
        parser.error("-q/--quiet and -v/--verbose cannot be used together")
    code = None
    try:
        code = _run(args)
        _warn_unused_plugins(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:
        _pipe_closed()  # the reader asked for no more: the command's code if it had finished, else 0
        return code if code is not None else 0


def _warn_unused_plugins(args) -> None:
    """A plugin this run looked at but could not use is named once on stderr; the run itself went on."""
    if args.quiet or args.command == "formats":
        return
    from migrator.sources import registry

    for problem in registry().problems():
        print(f"xpipe-migrate: warning: source plugin not used: {console(problem)}", file=sys.stderr)


def _run(args) -> int:
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
    except BrokenPipeError:
        raise
    except KeyboardInterrupt as exc:
        print(f"xpipe-migrate: interrupted{f': {exc}' if str(exc) else ''}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if args.debug:
            raise
        print(
            f"xpipe-migrate: internal error: {type(exc).__name__} (run with --debug for the traceback)", file=sys.stderr
        )
        return EXIT_ERROR


__all__ = ["main", "build_parser"]
