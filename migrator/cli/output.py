"""What commands write: reports, rejects, the plan on stdout, and the exit code that sums it up.

Every file a command will write is checked before anything is read or written to XPipe, and an
output may never name one of the run's inputs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.cli.common import EXIT_CHANGES, EXIT_OK, table_options
from migrator.errors import ConfigError, PartialFailure, PlanRefused
from migrator.report import FORMAT_NAMES, render, write_report
from migrator.report.document import plan_document
from migrator.sources import parse_source_spec, source_class
from migrator.sources.tabular.rejects import write_rejects as write_rejected_rows

if TYPE_CHECKING:
    from migrator.manager import Outcome


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


def check_outputs(args, job=None, inputs: dict[str, str | Path] | None = None) -> None:
    """Every file a command will write is checked before anything is read or written to XPipe.

    No output may be a file the run reads (a source, the job file, a mapping profile, the ledger, a
    saved plan, an auth file) or another output: ``--rejects s.csv`` would replace the source with
    its own rejected rows. Called again with the ``job`` once it is loaded, for the job's inputs.
    """
    outputs = [("--report", path) for _, path in report_specs(getattr(args, "report", []) or [])]
    for flag in ("rejects", "out"):
        value = getattr(args, flag, None)
        if value:
            outputs.append((f"--{flag}", output_path(value, f"--{flag}")))
    read = dict(inputs or {})
    read.update(_flag_inputs(args))
    if job is not None:
        read.update(job.inputs())
        outputs += [(f"[reports] {kind}", path) for kind, path in job.reports.outputs().items()]
    if not outputs:
        return
    from migrator.sync.job import same_file

    for i, (flag, path) in enumerate(outputs):
        for what, used in read.items():
            if same_file(path, used):
                raise ConfigError(
                    f"{flag} {path}: is {what}, which this run reads; it would be overwritten (name another file)"
                )
        for other, other_path in outputs[:i]:
            if same_file(path, other_path):
                raise ConfigError(f"{flag} {path}: {other} writes the same file")


def _flag_inputs(args) -> dict[str, str]:
    """The local files the command line names for reading (sources, mapping, ledger, auth files)."""
    out = {}
    for spec in getattr(args, "sources", None) or []:
        fmt, location = parse_source_spec(spec)
        if not (fmt is not None and source_class(fmt).remote) and location != "-":
            out[f"the source {spec}"] = location
    for dest, what in (
        ("mapping", "the mapping"),
        ("state", "the ledger"),
        ("auth_file", "the auth file"),
        ("api_key_file", "the API key file"),
    ):
        value = getattr(args, dest, None)
        if isinstance(value, str) and (dest != "mapping" or value.lower().endswith(".toml")):
            out[f"{what} {value}"] = value
    return out


def report_specs(specs: list[str]) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in FORMAT_NAMES or not path:
            raise ConfigError(f"--report {spec!r}: use FORMAT=FILE with FORMAT one of {', '.join(FORMAT_NAMES)}")
        out.append((fmt, output_path(path, "--report")))
    return out


def write_reports(specs: list[str], doc: dict) -> None:
    for fmt, path in report_specs(specs):
        write_report(path, doc, fmt)


def write_rejects(path: str | None, inventory) -> None:
    if path and inventory is not None and inventory.rejects:
        for written in write_rejected_rows(inventory.rejects, path):
            print(f"rejected rows written to {written}", file=sys.stderr)


def is_noop(doc: dict) -> bool:
    """Nothing was or would be written, nothing failed, and nothing needs the reader's attention."""
    s, a = doc["summary"], doc["apply"]
    pending = sum(s.get(k) or 0 for k in ("create", "update", "recreate", "conflict", "quarantine", "delete", "drift"))
    failed = a and (a["failed"] or a["failures"])
    errors = any(d.get("level") == "error" for d in doc.get("diagnostics") or [])
    return not pending and not failed and not errors and not s.get("not_imported")


def noop_line(doc: dict) -> str:
    """The one line a run that changes nothing prints (``-v`` prints the whole table instead)."""
    s = doc["summary"]
    notes = doc.get("diagnostics") or []
    counts = {lv: sum(1 for d in notes if d.get("level") == lv) for lv in ("warning", "info")}
    extra = ", ".join(f"{n} {lv}{'s' if n != 1 else ''}" for lv, n in counts.items() if n)
    return f"no changes: {s['unchanged']} entries match the sources{f' ({extra}; -v shows them)' if extra else ''}"


def show_outcome(args, outcome: Outcome) -> dict:
    """Print the plan (and apply result) in ``--format`` and write ``--report``/``--rejects``; the document.

    In the table, a run that changes nothing is one line (none with ``-q``) so a cron job stays silent
    unless something happened; ``-q`` otherwise drops warnings and notes, keeping changes and errors.
    """
    doc = plan_document(outcome.plan, outcome.result)
    if args.format != "table":
        print(render(doc, args.format))
    elif is_noop(doc) and not getattr(args, "verbose", False) and not args.show_unchanged:
        if not getattr(args, "quiet", False):
            print(noop_line(doc))
    else:
        shown = doc
        if getattr(args, "quiet", False):
            shown = {**doc, "diagnostics": [d for d in doc.get("diagnostics") or [] if d.get("level") == "error"]}
        print(render(shown, "table", show_unchanged=args.show_unchanged, **table_options(args)))
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
    """The README's exit codes for a finished plan or apply.

    A conflict (an entry that would be written but is not ours) leaves the vault short of the source:
    apply exits 4 like any partial failure, and plan exits 4 too, saying what apply would leave undone.
    """
    if outcome.refused:
        raise PlanRefused(outcome.refused)
    raise_unreadable(outcome.inventory)
    conflicts = sum(1 for c in outcome.plan.changes if c.action == "conflict")
    held = len(outcome.plan.held)
    short = []
    if conflicts:
        short.append(
            f"{conflicts} conflict(s) {'left' if applied else 'would leave'} the vault short of the "
            "source (entries that are not ours are never written; see the report)"
        )
    if held:
        short.append(
            f"{held} source entr{'y' if held == 1 else 'ies'} could not be imported and "
            f"{'their XPipe entries were' if applied else 'their XPipe entries are'} left untouched "
            "(fix the errors above)"
        )
    failed = outcome.result.failed if applied and outcome.result is not None else []
    if failed:
        raise PartialFailure(
            f"{len(failed)} of {len(outcome.result.outcomes)} changes failed; the rest were "
            "applied (see the report)" + "".join(f"; {s}" for s in short)
        )
    if short:
        raise PartialFailure("; ".join(short))
    if not applied or outcome.result is None:
        return EXIT_CHANGES if outcome.plan.has_changes else EXIT_OK
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
