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
from migrator.apply.loader import Loader
from migrator.errors import ConfigError, MigratorError, PartialFailure
from migrator.manager import plan_inventory, read_inventory
from migrator.mapper.ssh_store import MapperOptions, SshStoreMapper
from migrator.plan.plan import Planner
from migrator.report.plan_report import (
    RENDERERS,
    inventory_document,
    render_inventory_table,
    render_table,
)
from migrator.sync.job import load_job
from migrator.sync.ledger import Ledger
from migrator.sync.runner import (
    SyncOptions,
    SyncRunner,
    load_saved_plan,
    read_job_sources,
    refuse,
    write_job_reports,
    write_saved_plan,
)
from migrator.xpipe.target import EMBEDDED, TargetOptions, open_client

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
COMMAND_MODULES = ("migrator.cli.mapping_check",)

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
    g.add_argument("--identity", metavar="NAME",
                   help="every connection uses this identity, which must already exist in XPipe")
    g.add_argument("--identities", choices=("auto", "inplace", "shared"), default="auto",
                   help="share equal credentials as reusable identities (auto: from --identity-threshold hosts)")
    g.add_argument("--identity-threshold", type=int, default=2, metavar="N")
    g.add_argument("--name-clash", choices=("refuse", "rename"), default="refuse",
                   help="a name used by an entry that is not ours: conflict, or import under another name")


def _add_job_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="overwrite fields changed in XPipe (drift) and pass the prune percentage guard")
    p.add_argument("--prune", dest="prune", action="store_true", default=None,
                   help="remove owned entries that are gone from the sources (guarded; see README)")
    p.add_argument("--no-prune", dest="prune", action="store_false", help="never prune, whatever the job says")
    p.add_argument("--adopt", action="store_true",
                   help="take over same-named entries in the root category that this job did not create")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=sorted(RENDERERS), default="table", help="report format on stdout")
    p.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE",
                   help="also write a report, e.g. --report markdown=plan.md (repeatable)")
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged entries in the table")
    p.add_argument("--rejects", metavar="FILE", help="write rejected CSV/Excel rows to FILE, in the input's format")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xpipe-migrate",
        description="Move server inventories into XPipe through its HTTP API, and keep them in step.")
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
    p.add_argument("--job", metavar="JOB.toml", help="plan a sync job (its ledger, three-way) instead of SOURCEs")
    _add_job_run_args(p)
    p.add_argument("--out", metavar="PLAN.json", help="save the plan (with fingerprints) for 'apply PLAN.json'")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("apply", help="plan, confirm, and write the changes into XPipe (or apply a saved plan)")
    _add_source_args(p)
    _add_target_args(p)
    _add_output_args(p)
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when changes were applied")
    _add_job_run_args(p)
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("sync", help="run a job file: three-way plan against its ledger, then apply")
    p.add_argument("job", metavar="JOB.toml")
    p.add_argument("--dry-run", action="store_true", help="plan only (exit 2 when changes are pending)")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when changes were applied")
    p.add_argument("--out", metavar="PLAN.json", help="with --dry-run: save the plan for 'apply PLAN.json'")
    _add_job_run_args(p)
    p.add_argument("--format", choices=sorted(RENDERERS), default="table")
    p.add_argument("--show-unchanged", action="store_true")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("audit", help="read-only report: drift, missing entries, vault health, reachability")
    _add_source_args(p, required=False)
    _add_target_args(p)
    p.add_argument("--job", metavar="JOB.toml", help="audit a sync job (its sources, target and ledger)")
    p.add_argument("--probe", action="store_true", help="check TCP and the SSH banner/host key of each host")
    p.add_argument("--probe-timeout", type=float, default=5.0)
    p.add_argument("--probe-concurrency", type=int, default=16)
    p.add_argument("--format", choices=("table", "json", "markdown", "html"), default="table")
    p.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE")
    p.set_defaults(func=cmd_audit)

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


def _mapper_options(args) -> MapperOptions:
    if args.identity_threshold < 1:
        raise ConfigError("--identity-threshold must be 1 or more")
    return MapperOptions(root_category=args.root_category, password_policy=args.password_policy,
                         use_identity=args.identity, identities=args.identities,
                         identity_threshold=args.identity_threshold, name_clash=args.name_clash)


def _write_rejects(args, inventory) -> None:
    if getattr(args, "rejects", None) and inventory is not None and inventory.rejects:
        from migrator.sources.tabular.table import write_rejects

        for path in write_rejects(inventory.rejects, args.rejects):
            print(f"rejected rows written to {path}", file=sys.stderr)


def _sync_options(args, dry_run: bool) -> SyncOptions:
    return SyncOptions(dry_run=dry_run, force=args.force, prune=args.prune, adopt=args.adopt,
                       progress=not args.no_progress)


def _check_held(plan, failed: int = 0) -> None:
    """Entries that exist in a source but could not be imported fail the run (exit 4), even though
    everything else was applied: their XPipe entries were left untouched, and the input needs fixing."""
    if plan.held or failed:
        parts = [f"{failed} change(s) failed"] if failed else []
        if plan.held:
            parts.append(f"{len(plan.held)} source entr{'y' if len(plan.held) == 1 else 'ies'} could not be "
                         "imported and their XPipe entries were left untouched")
        raise PartialFailure("; ".join(parts) + "; the rest was applied (see the errors and the report)")


def _finish_sync(args, job, outcome, *, saved_out: str | None = None) -> int:
    print(_render(args.format, outcome.plan, outcome.result, show_unchanged=args.show_unchanged))
    write_job_reports(job, outcome)
    _write_reports(getattr(args, "report", []), outcome.plan, outcome.result)
    _write_rejects(args, outcome.inventory)
    refuse(outcome)
    if saved_out:
        write_saved_plan(saved_out, job.job_file or Path(args.job), outcome.plan)
        print(f"plan saved to {saved_out}", file=sys.stderr)
    if outcome.result is None:
        return EXIT_CHANGES if outcome.plan.has_changes else EXIT_OK
    _check_held(outcome.plan, len(outcome.result.failed))
    return EXIT_CHANGES if args.detailed_exitcode and outcome.plan.has_changes else EXIT_OK


def cmd_sync(args) -> int:
    job = load_job(args.job)
    if args.out and not args.dry_run:
        raise ConfigError("--out saves a plan: use it with --dry-run")
    outcome = SyncRunner(job, _sync_options(args, args.dry_run)).run()
    return _finish_sync(args, job, outcome, saved_out=args.out)


def cmd_plan(args) -> int:
    if args.job:
        if args.sources:
            raise ConfigError("give either --job or SOURCEs, not both")
        job = load_job(args.job)
        outcome = SyncRunner(job, _sync_options(args, True)).run()
        return _finish_sync(args, job, outcome, saved_out=args.out)
    if not args.sources:
        raise ConfigError("plan needs SOURCEs or --job")
    if args.out:
        raise ConfigError("--out needs --job: a saved plan is applied against the job's ledger")
    inventory = read_inventory(args.sources, **_source_options(args))
    with open_client(_target(args)) as client:
        plan = plan_inventory(client, inventory, _mapper_options(args))
    print(_render(args.format, plan, show_unchanged=args.show_unchanged))
    _write_reports(args.report, plan)
    _write_rejects(args, inventory)
    return EXIT_CHANGES if plan.has_changes else EXIT_OK


def _confirm(plan) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("apply needs --yes when it cannot ask (standard input is not a terminal)")
    answer = input(f"Apply {sum(1 for c in plan.changes if c.writes)} changes to {plan.target}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_apply(args) -> int:
    saved = load_saved_plan(args.sources[0]) if len(args.sources) == 1 else None
    if saved is not None:
        job = load_job(saved["job"])
        outcome = SyncRunner(job, _sync_options(args, False)).run(saved=saved)
        return _finish_sync(args, job, outcome)
    if not args.sources:
        raise ConfigError("apply needs SOURCEs or a saved plan")
    inventory = read_inventory(args.sources, **_source_options(args))
    with open_client(_target(args)) as client:
        plan = plan_inventory(client, inventory, _mapper_options(args))
        if not plan.has_changes:
            print(_render(args.format, plan, show_unchanged=args.show_unchanged))
            _write_reports(args.report, plan)
            _write_rejects(args, inventory)
            _check_held(plan)
            return EXIT_OK
        if args.format == "table" and not args.yes:
            print(render_table(plan))
        if not args.yes and not _confirm(plan):
            print("Nothing applied.")
            return EXIT_CHANGES
        result = Loader(client, progress=not args.no_progress).apply(plan)
    print(_render(args.format, plan, result, show_unchanged=args.show_unchanged))
    _write_reports(args.report, plan, result)
    _write_rejects(args, inventory)
    _check_held(plan, len(result.failed))
    return EXIT_CHANGES if args.detailed_exitcode else EXIT_OK


def cmd_audit(args) -> int:
    from migrator.audit.findings import audit_document, has_findings, probe_targets, render_audit

    ledger = None
    if args.job:
        if args.sources:
            raise ConfigError("give either --job or SOURCEs, not both")
        job = load_job(args.job)
        inventory, _ = read_job_sources(job)
        options = job.import_.to_mapper_options()
        target = job.target.to_options()
        auth = None if target.target == EMBEDDED else job.target.resolve_auth()
        if job.state_path.exists():
            ledger = Ledger(job.state_path)
    else:
        if not args.sources:
            raise ConfigError("audit needs SOURCEs or --job")
        inventory = read_inventory(args.sources, **_source_options(args))
        options, target, auth = _mapper_options(args), _target(args), None
    try:
        with open_client(target, auth=auth) as client:
            mapped = SshStoreMapper(options).map(inventory.hosts)
            mapped.state.held |= inventory.held
            plan = Planner(client, root_category=options.root_category, name_clash=options.name_clash,
                           ledger=ledger).plan(mapped.state, inventory.diagnostics + mapped.diagnostics)
            plan.hosts_read = len(inventory.hosts)
        probes = None
        if args.probe:
            from migrator.audit.probe import probe_hosts

            probes = probe_hosts(probe_targets(plan), concurrency=args.probe_concurrency, timeout=args.probe_timeout)
        doc = audit_document(plan, plan.live, ledger, probes)
    finally:
        if ledger is not None:
            ledger.close()
    print(render_audit(doc, args.format))
    for spec in args.report:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in ("table", "json", "markdown", "html"):
            raise ConfigError(f"--report {spec!r}: use FORMAT=FILE with FORMAT table, json, markdown or html")
        Path(path).write_text(render_audit(doc, fmt) + "\n", encoding="utf-8")
    return EXIT_CHANGES if has_findings(doc) else EXIT_OK


def cmd_simulator(args) -> int:
    from migrator.simulator import serve

    serve(port=args.port, version=args.xpipe_version, api_key_file=args.api_key_file, auth_file=args.auth_file,
          state_dir=args.state_dir, latency_ms=args.latency_ms)
    return EXIT_OK


def cmd_demo(args) -> int:
    from migrator.cli.demo import run_demo

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
