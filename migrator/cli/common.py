"""What several commands share: argument groups, the ``Run`` built from flags, output and exit codes.

Every default shown here is read from the options model that owns it (``TargetOptions``,
``MapperOptions``, the source formats' options), so the CLI, the job file and the code cannot drift.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from migrator.cli.argtypes import count, seconds
from migrator.errors import ConfigError, PartialFailure, PlanRefused
from migrator.manager import Outcome, Run, SourceInput
from migrator.mapper.ssh_store import MapperOptions
from migrator.report import FORMAT_NAMES, render, write_report
from migrator.report.document import plan_document
from migrator.sources import FORMATS
from migrator.sources.tabular.rejects import write_rejects as write_rejected_rows
from migrator.xpipe.target import TargetOptions, checked_target_options

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def root_category(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split("/") if p.strip())
    if parts and parts[0].lower() == "all connections":
        parts = parts[1:]
    if not parts:
        raise argparse.ArgumentTypeError("the root category needs at least one name below All connections")
    return parts


def add_source_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("sources", nargs="+" if required else "*", metavar="SOURCE",
                   help=f"input file, folder or URL; FORMAT:LOCATION names the format ({', '.join(FORMATS)}), "
                        "otherwise a local file's format is detected")
    p.add_argument("--mapping", help="column-mapping profile for CSV/Excel (bundled name or a .toml path)")
    p.add_argument("--sheet", help="Excel sheet to read (default: every visible sheet)")
    p.add_argument("--source-option", action="append", default=[], metavar="KEY=VALUE",
                   help="format option, e.g. codepage=cp1252, include_sftp=true, profile_dir=C:\\Users\\me "
                        "(repeatable; unknown options are errors; see README)")


def add_target_args(p: argparse.ArgumentParser) -> None:
    t, m = TargetOptions, MapperOptions
    g = p.add_argument_group("XPipe target")
    g.add_argument("--target", metavar="URL",
                   help="XPipe API URL (default: discovery on 127.0.0.1), or 'embedded' for the built-in simulator")
    g.add_argument("--auth-file", metavar="FILE", help="XPipe's beacon-auth file (Local authentication)")
    g.add_argument("--api-key-file", metavar="FILE",
                   help="file holding the API key (or set XPIPE_API_KEY); keys are never taken from the command line")
    g.add_argument("--ptb", action="store_true", help="talk to XPipe PTB (port 21722, xpipe-ptb auth file)")
    g.add_argument("--api-dialect", choices=("23", "24"), help="override the API dialect chosen from the version")
    g.add_argument("--timeout", type=seconds, default=t.timeout, help=f"seconds per request (default {t.timeout:g})")
    g.add_argument("--first-timeout", type=seconds, default=t.first_timeout,
                   help=f"seconds for the first request, while XPipe may still be starting "
                        f"(default {t.first_timeout:g})")
    g.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an HTTPS proxy in front of XPipe")
    g.add_argument("--proxy", metavar="URL", help="HTTP proxy to reach XPipe through")
    g.add_argument("--embedded-version", default=t.embedded_version,
                   help=f"XPipe version the embedded simulator speaks (default {t.embedded_version})")
    g.add_argument("--embedded-state", metavar="DIR", help="keep the embedded simulator's vault in DIR")
    g.add_argument("--root-category", type=root_category, default=m.root_category, metavar="PATH",
                   help=f"category below All connections that receives the import "
                        f"(default: {'/'.join(m.root_category)})")
    g.add_argument("--password-policy", choices=("source", "prompt", "none"), default=m.password_policy,
                   help="source: import passwords; prompt: XPipe asks at connect time; none: no passwords "
                        f"(default {m.password_policy})")
    g.add_argument("--identity", metavar="NAME",
                   help="every connection uses this identity, which must already exist in XPipe")
    g.add_argument("--identities", choices=("auto", "inplace", "shared"), default=m.identities,
                   help="share equal credentials as reusable identities (auto: from --identity-threshold hosts; "
                        f"default {m.identities})")
    g.add_argument("--identity-threshold", type=count, default=m.identity_threshold, metavar="N",
                   help=f"hosts sharing a credential before it becomes an identity (default {m.identity_threshold})")
    g.add_argument("--name-clash", choices=("refuse", "rename"), default=m.name_clash,
                   help="a name used by an entry that is not ours: conflict, or import under another name "
                        f"(default {m.name_clash})")


def add_job_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="overwrite fields changed in XPipe (drift) and pass the prune percentage guard")
    p.add_argument("--prune", dest="prune", action="store_true", default=None,
                   help="remove owned entries that are gone from the sources (guarded; see README)")
    p.add_argument("--no-prune", dest="prune", action="store_false", help="never prune, whatever the job says")
    p.add_argument("--adopt", action="store_true",
                   help="take over same-named entries in the root category that this job did not create")


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMAT_NAMES, default="table", help="report format on stdout (default table)")
    p.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE",
                   help="also write a report, e.g. --report markdown=plan.md (repeatable)")
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged entries in the table")
    p.add_argument("--rejects", metavar="FILE", help="write rejected CSV/Excel rows to FILE, in the input's format")


def target_options(args) -> TargetOptions:
    return checked_target_options(
        target=args.target, auth_file=args.auth_file, api_key_file=args.api_key_file, ptb=args.ptb,
        api_dialect=args.api_dialect, timeout=args.timeout, first_timeout=args.first_timeout,
        ca_bundle=args.ca_bundle, proxy=args.proxy, embedded_version=args.embedded_version,
        embedded_state=args.embedded_state,
    )


def source_options(args) -> dict:
    """The raw options of ``--mapping``, ``--sheet`` and ``--source-option``; each format's model checks them."""
    options: dict = {k: v for k, v in (("mapping", args.mapping), ("sheet", args.sheet)) if v}
    for item in args.source_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--source-option {item!r}: use KEY=VALUE")
        options[key.strip()] = value
    return options


def source_inputs(args) -> list[SourceInput]:
    options = source_options(args)
    return [SourceInput(spec, options=dict(options), where=spec) for spec in args.sources]


def mapper_options(args) -> MapperOptions:
    return MapperOptions(root_category=args.root_category, password_policy=args.password_policy,
                         use_identity=args.identity, identities=args.identities,
                         identity_threshold=args.identity_threshold, name_clash=args.name_clash)


def adhoc_run(args, *, progress: bool = True) -> Run:
    return Run(sources=source_inputs(args), target=target_options(args), mapper=mapper_options(args),
               progress=progress)


def output_path(path: str, flag: str) -> str:
    """A file the run will write: its folder must exist and it must not be a folder or a device."""
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{flag} {path}: is a folder; name a file")
    if target.exists() and not target.is_file():
        raise ConfigError(f"{flag} {path}: is not a regular file")
    if not target.parent.is_dir():
        raise ConfigError(f"{flag} {path}: the folder {target.parent} does not exist")
    return path


def report_specs(specs: list[str]) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in FORMAT_NAMES or not path:
            raise ConfigError(f"--report {spec!r}: use FORMAT=FILE with FORMAT one of {', '.join(FORMAT_NAMES)}")
        out.append((fmt, output_path(path, "--report")))
    return out


def check_outputs(args) -> None:
    """Every file a command will write is checked before anything is read or written to XPipe."""
    report_specs(getattr(args, "report", []) or [])
    for flag in ("rejects", "out"):
        value = getattr(args, flag, None)
        if value:
            output_path(value, f"--{flag}")


def write_reports(specs: list[str], doc: dict) -> None:
    for fmt, path in report_specs(specs):
        write_report(path, doc, fmt)


def write_rejects(path: str | None, inventory) -> None:
    if path and inventory is not None and inventory.rejects:
        for written in write_rejected_rows(inventory.rejects, path):
            print(f"rejected rows written to {written}", file=sys.stderr)


def show_outcome(args, outcome: Outcome) -> dict:
    """Print the plan (and apply result) in ``--format`` and write ``--report``/``--rejects``; the document."""
    doc = plan_document(outcome.plan, outcome.result)
    print(render(doc, args.format, **({"show_unchanged": args.show_unchanged} if args.format == "table" else {})))
    write_reports(getattr(args, "report", []), doc)
    write_rejects(getattr(args, "rejects", None), outcome.inventory)
    return doc


def raise_unreadable(inventory) -> None:
    """A source that could not be read fails the run (after the others were shown and applied)."""
    if inventory.failures:
        first = inventory.failures[0]
        text = f"{len(inventory.failures)} source(s) could not be read ({first}); the other sources were read"
        try:
            error = type(first)(text)
        except TypeError:
            error = first
        raise error


def exit_code(args, outcome: Outcome, *, applied: bool) -> int:
    """The README's exit codes for a finished plan or apply."""
    if outcome.refused:
        raise PlanRefused(outcome.refused)
    raise_unreadable(outcome.inventory)
    if not applied or outcome.result is None:
        return EXIT_CHANGES if outcome.plan.has_changes else EXIT_OK
    if outcome.result.failed:
        raise PartialFailure(f"{len(outcome.result.failed)} of {len(outcome.result.outcomes)} changes failed; "
                             "the rest were applied (see the report)")
    return EXIT_CHANGES if getattr(args, "detailed_exitcode", False) and outcome.plan.has_changes else EXIT_OK


def job_reports(job, outcome: Outcome) -> list[Path]:
    """The reports a job file asks for (``[reports]``), rejects included."""
    written = []
    doc = None
    for fmt, path in job.reports.outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "rejects":
            if outcome.inventory.rejects:
                        written.extend(write_rejected_rows(outcome.inventory.rejects, path))
            continue
        doc = doc or plan_document(outcome.plan, outcome.result)
        written.append(write_report(path, doc, fmt))
    return written
