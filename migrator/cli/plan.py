"""``plan``: what ``apply`` would change (exit 2 when changes are pending); with ``--job --out``, a saved plan."""

from __future__ import annotations

import sys
from pathlib import Path

from migrator.cli.common import (
    SOURCE_DESTS,
    TARGET_DESTS,
    add_job_run_args,
    add_output_args,
    add_source_args,
    add_state_arg,
    add_target_args,
    adhoc_run,
    check_output_args,
    check_rejects,
    progress_enabled,
    refuse,
    run_options,
)
from migrator.cli.output import check_outputs, exit_code, job_reports, show_outcome
from migrator.errors import ConfigError
from migrator.manager import Manager


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="show what apply would change (exit 2 when changes are pending, "
        "4 when conflicts would leave the vault short)",
    )
    add_source_args(p, required=False)
    add_target_args(p)
    add_output_args(p)
    p.add_argument("--job", metavar="JOB.toml", help="plan a sync job (its ledger, three-way) instead of SOURCEs")
    add_job_run_args(p)
    add_state_arg(p)
    p.add_argument(
        "--out", metavar="PLAN.json", help="with --job: save the plan (with fingerprints) for 'apply PLAN.json'"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    check_outputs(args)
    check_output_args(args)
    if args.job:
        if args.sources:
            raise ConfigError("give either --job or SOURCEs, not both")
        refuse(args, (*SOURCE_DESTS, *TARGET_DESTS, "state"), "with --job (the job file sets them)")
        from migrator.plan.saved import write_saved_plan
        from migrator.sync.job import load_job

        job = load_job(args.job)
        check_outputs(args, job)
        run_ = job.to_run(prune=args.prune, force=args.force, adopt=args.adopt, progress=progress_enabled(args))
        check_rejects(args, run_.sources)
        outcome = Manager(run_).execute(apply=False)
        doc = show_outcome(args, outcome)
        job_reports(job, outcome)
        if args.out:
            write_saved_plan(args.out, job.job_file or Path(args.job), outcome.plan, doc, run_options(args))
            print(f"plan saved to {args.out}", file=sys.stderr)
        return exit_code(args, outcome, applied=False)
    if not args.sources:
        raise ConfigError("plan needs SOURCEs or --job")
    refuse(args, ("out",), "without --job: a saved plan is applied against a job's ledger")
    outcome = Manager(adhoc_run(args, progress=progress_enabled(args))).execute(apply=False)
    show_outcome(args, outcome)
    return exit_code(args, outcome, applied=False)
