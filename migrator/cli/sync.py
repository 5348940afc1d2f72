"""``sync JOB``: a job file's three-way plan against its ledger, then apply (``--dry-run``: plan only)."""

from __future__ import annotations

import sys
from pathlib import Path

from migrator.cli.common import (
    add_job_run_args,
    add_lock_arg,
    check_output_args,
    progress_enabled,
    refuse,
    run_options,
)
from migrator.cli.output import check_outputs, exit_code, job_reports, show_outcome
from migrator.errors import ConfigError
from migrator.manager import Manager
from migrator.plan.saved import write_saved_plan
from migrator.report import FORMAT_NAMES
from migrator.sync.job import load_job


def register(sub) -> None:
    p = sub.add_parser("sync", help="run a job file: three-way plan against its ledger, then apply")
    p.add_argument("job", metavar="JOB.toml")
    p.add_argument("--dry-run", action="store_true", help="plan only (exit 2 when changes are pending)")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when changes were applied")
    p.add_argument("--out", metavar="PLAN.json", help="with --dry-run: save the plan for 'apply PLAN.json'")
    add_job_run_args(p)
    add_lock_arg(p)
    p.add_argument("--format", choices=FORMAT_NAMES, default="table", help="report format on stdout (default table)")
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged entries in the table")
    p.set_defaults(func=run)


def run(args) -> int:
    check_outputs(args)
    check_output_args(args)
    if args.out and not args.dry_run:
        raise ConfigError("--out saves a plan: use it with --dry-run")
    if args.dry_run:
        refuse(args, ("detailed_exitcode",), "with --dry-run (a dry run exits 2 whenever changes are pending)")
        refuse(args, ("lock_wait",), "with --dry-run (a dry run writes nothing, so it takes no lock)")
    job = load_job(args.job)
    check_outputs(args, job)
    run_ = job.to_run(
        prune=args.prune, force=args.force, adopt=args.adopt, progress=progress_enabled(args), lock_wait=args.lock_wait
    )
    outcome = Manager(run_).execute(apply=not args.dry_run)
    doc = show_outcome(args, outcome)
    job_reports(job, outcome)
    if args.out:
        write_saved_plan(args.out, job.job_file or Path(args.job), outcome.plan, doc, run_options(args))
        print(f"plan saved to {args.out}", file=sys.stderr)
    return exit_code(args, outcome, applied=not args.dry_run)
