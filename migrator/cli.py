"""The ``xpipe-migrate`` command line.

Errors become one readable line on stderr and a distinct exit code (README, "Exit codes"); a
traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from migrator import __version__
from migrator.errors import ConfigError, MigratorError, PartialFailure
from migrator.loader import Loader
from migrator.mapper import MapperOptions
from migrator.pipeline import build_plan, read_inventory
from migrator.report import (
    RENDERERS,
    inventory_document,
    render_inventory_table,
    render_table,
)
from migrator.target import EMBEDDED, TargetOptions, open_client

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
COMMAND_MODULES = ("migrator.commands.mapping_check",)

log = logging.getLogger("migrator")


def _root_category(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split("/") if p.strip())
    if parts and parts[0].lower() == "all connections":
        parts = parts[1:]
    if not parts:
        raise argparse.ArgumentTypeError("the root category needs at least one name below All connections")
    return parts


def _add_source_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("sources", nargs="+" if required else "*", metavar="SOURCE",
                   help="input file or folder; FORMAT:PATH names the format (csv, excel, ssh_config, putty, "
                        "mobaxterm), otherwise it is detected")
    p.add_argument("--mapping", help="column-mapping profile for CSV/Excel (name in mappings/ or a .toml path)")
    p.add_argument("--sheet", help="Excel sheet to read (default: every visible sheet)")
    p.add_argument("--source-option", action="append", default=[], metavar="KEY=VALUE",
                   help="format option, e.g. codepage=cp1252, include_sftp=true, profile_dir=C:\\Users\\me "
                        "(repeatable; see README)")


def _add_target_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("XPipe target")
    g.add_argument("--target", metavar="URL",
                   help="XPipe API URL (default: discovery on 127.0.0.1), or 'embedded' for the built-in simulator")
    g.add_argument("--auth-file", metavar="FILE", help="XPipe's beacon-auth file (Local authentication)")
    g.add_argument("--api-key-file", metavar="FILE",
                   help="file holding the API key (or set XPIPE_API_KEY); keys are never taken from the command line")
    g.add_argument("--ptb", action="store_true", help="talk to XPipe PTB (port 21722, xpipe-ptb auth file)")
    g.add_argument("--api-dialect", choices=("23", "24"), help="override the API dialect chosen from the version")
    g.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    g.add_argument("--first-timeout", type=float, default=300.0,
                   help="seconds for the first request, while XPipe may still be starting (default 300)")
    g.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an HTTPS proxy in front of XPipe")
    g.add_argument("--proxy", metavar="URL", help="HTTP proxy to reach XPipe through")
    g.add_argument("--embedded-version", default="23.8", help="XPipe version the embedded simulator speaks")
    g.add_argument("--embedded-state", metavar="DIR", help="keep the embedded simulator's vault in DIR")
    g.add_argument("--root-category", type=_root_category, default=("Imported",), metavar="PATH",
                   help="category below All connections that receives the import (default: Imported)")
    g.add_argument("--password-policy", choices=("source", "prompt", "none"), default="source",
                   help="source: import passwords; prompt: XPipe asks at connect time; none: no passwords")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=sorted(RENDERERS), default="table", help="report format on stdout")
    p.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE",
                   help="also write a report, e.g. --report markdown=plan.md (repeatable)")
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged entries in the table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xpipe-migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"xpipe-migrate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("inspect", help="read sources and show the hosts, without XPipe")
    _add_source_args(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("plan", help="show what apply would change (exit 2 when changes are pending)")
    _add_source_args(p)
    _add_target_args(p)
    _add_output_args(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("apply", help="plan, confirm, and write the changes into XPipe")
    _add_source_args(p)
    _add_target_args(p)
    _add_output_args(p)
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("simulator", help="run the XPipe API simulator on 127.0.0.1")
    p.add_argument("--port", type=int, default=21721)
    p.add_argument("--xpipe-version", default="23.8", help="23.x speaks /connection/*, 24.0 /store/*")
    p.add_argument("--api-key-file", metavar="FILE", help="API key file (created with a random key if missing)")
    p.add_argument("--auth-file", metavar="FILE", help="where to write the Local auth file")
    p.add_argument("--state-dir", metavar="DIR", help="persist the vault in DIR")
    p.add_argument("--latency-ms", type=int, default=0, help="added delay per request")
    p.set_defaults(func=cmd_simulator)

    p = sub.add_parser("demo", help="apply the bundled samples to an in-process simulator, twice")
    p.add_argument("--samples", metavar="DIR", help="samples folder (default: the project's samples/)")
    p.add_argument("--xpipe-version", default="23.8")
    p.add_argument("--format", choices=sorted(RENDERERS), default="table")
    p.set_defaults(func=cmd_demo)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        module.register(sub)
    return parser


def _target(args) -> TargetOptions:
    return TargetOptions(
        target=args.target, auth_file=args.auth_file, api_key_file=args.api_key_file, ptb=args.ptb,
        api_dialect=args.api_dialect, timeout=args.timeout, first_timeout=args.first_timeout,
        ca_bundle=args.ca_bundle, proxy=args.proxy, embedded_version=args.embedded_version,
        embedded_state=args.embedded_state,
    )


def _source_options(args) -> dict:
    options: dict = {k: v for k, v in (("mapping", args.mapping), ("sheet", args.sheet)) if v}
    for item in args.source_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--source-option {item!r}: use KEY=VALUE")
        low = value.strip().lower()
        options[key.strip()] = True if low in ("true", "yes", "on") else False if low in ("false", "no", "off") \
            else value
    return options


def _write_reports(specs: list[str], plan, result=None) -> None:
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in RENDERERS or not path:
            raise ConfigError(f"--report {spec!r}: use FORMAT=FILE with FORMAT one of {', '.join(RENDERERS)}")
        text = RENDERERS[fmt](plan, result)
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def _render(fmt: str, plan, result=None, show_unchanged=False) -> str:
    if fmt == "table":
        return render_table(plan, result, show_unchanged=show_unchanged)
    return RENDERERS[fmt](plan, result)


def cmd_inspect(args) -> int:
    import json

    result = read_inventory(args.sources, **_source_options(args))
    if args.format == "json":
        print(json.dumps(inventory_document(result.hosts, result.diagnostics), indent=2, ensure_ascii=False))
    else:
        print(render_inventory_table(result.hosts, result.diagnostics))
    return EXIT_OK


def cmd_plan(args) -> int:
    with open_client(_target(args)) as client:
        plan = build_plan(client, args.sources, mapper_options=MapperOptions(
            root_category=args.root_category, password_policy=args.password_policy), **_source_options(args))
    print(_render(args.format, plan, show_unchanged=args.show_unchanged))
    _write_reports(args.report, plan)
    return EXIT_CHANGES if plan.has_changes else EXIT_OK


def _confirm(plan) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("apply needs --yes when it cannot ask (standard input is not a terminal)")
    answer = input(f"Apply {sum(1 for c in plan.changes if c.writes)} changes to {plan.target}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_apply(args) -> int:
    with open_client(_target(args)) as client:
        plan = build_plan(client, args.sources, mapper_options=MapperOptions(
            root_category=args.root_category, password_policy=args.password_policy), **_source_options(args))
        if not plan.has_changes:
            print(_render(args.format, plan, show_unchanged=args.show_unchanged))
            _write_reports(args.report, plan)
            return EXIT_OK
        if args.format == "table" and not args.yes:
            print(render_table(plan))
        if not args.yes and not _confirm(plan):
            print("Nothing applied.")
            return EXIT_CHANGES
        result = Loader(client, progress=not args.no_progress).apply(plan)
    print(_render(args.format, plan, result, show_unchanged=args.show_unchanged))
    _write_reports(args.report, plan, result)
    if result.failed:
        raise PartialFailure(f"{len(result.failed)} of {len(result.outcomes)} changes failed; "
                             "the rest were applied (see the report)")
    return EXIT_OK


def cmd_simulator(args) -> int:
    from migrator.simulator import serve

    serve(port=args.port, version=args.xpipe_version, api_key_file=args.api_key_file, auth_file=args.auth_file,
          state_dir=args.state_dir, latency_ms=args.latency_ms)
    return EXIT_OK


def cmd_demo(args) -> int:
    from migrator.demo import run_demo

    return run_demo(samples=args.samples, version=args.xpipe_version, fmt=args.format,
                    progress=not args.no_progress)


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


__all__ = ["main", "build_parser", "EMBEDDED"]
