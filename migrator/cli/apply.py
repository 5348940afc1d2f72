"""``apply``: plan, confirm, and write the changes into XPipe; or apply a saved plan."""

from __future__ import annotations

import sys

from migrator.cli.common import (
    EXIT_CHANGES,
    RUN_DESTS,
    SOURCE_DESTS,
    TARGET_DESTS,
    add_job_run_args,
    add_lock_arg,
    add_output_args,
    add_source_args,
    add_state_arg,
    add_target_args,
    adhoc_run,
    check_output_args,
    check_rejects,
    given,
    progress_enabled,
    refuse,
)
from migrator.cli.output import check_outputs, exit_code, job_reports, show_outcome
from migrator.errors import ConfigError
from migrator.manager import Manager
from migrator.plan.saved import load_saved_plan
from migrator.report import render
from migrator.report.document import plan_document
from migrator.sync.job import load_job


def register(sub) -> None:
    p = sub.add_parser("apply", help="plan, confirm, and write the changes into XPipe (or apply a saved plan)")
    add_source_args(p)
    add_target_args(p)
    add_output_args(p)
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when changes were applied")
    add_job_run_args(p)
    add_state_arg(p)
    add_lock_arg(p)
    p.set_defaults(func=run)


def _confirm(args):
    def ask(plan) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise ConfigError("apply needs --yes when it cannot ask (standard input is not a terminal)")
        if args.format == "table":
            print(render(plan_document(plan), "table"))
        answer = input(f"Apply {sum(1 for c in plan.changes if c.writes)} changes to {plan.target}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask


def _saved_options(args, saved: dict) -> dict:
    """The flags the plan was made with; a flag given now that would change the plan is an error."""
    made = {"prune": None, "force": False, "adopt": False, **(saved.get("options") or {})}
    for dest in RUN_DESTS:
        typed = given(args, dest)
        if typed and getattr(args, dest) != made[dest]:
            how = (
                {None: "as the job says", True: "on", False: "off"}[made[dest]]
                if dest == "prune"
                else ("on" if made[dest] else "off")
            )
            raise ConfigError(
                f"{typed[0]} would change the saved plan (made with {dest} {how}); give the flag when making the plan"
            )
    return made


def run(args) -> int:
    check_outputs(args)
    check_output_args(args)
    saved = load_saved_plan(args.sources[0]) if len(args.sources) == 1 else None
    if saved is not None:
        refuse(
            args,
            (*SOURCE_DESTS, *TARGET_DESTS, "state"),
            "with a saved plan (it is applied with its job's sources, target and ledger)",
        )
        made = _saved_options(args, saved)
        job = load_job(saved["job"])
        check_outputs(args, job, {"the saved plan": args.sources[0]})
        run_ = job.to_run(
            prune=made["prune"],
            force=made["force"],
            adopt=made["adopt"],
            progress=progress_enabled(args),
            lock_wait=args.lock_wait,
        )
        check_rejects(args, run_.sources)
        outcome = Manager(run_).execute(apply=True, saved=saved)
        show_outcome(args, outcome)
        job_reports(job, outcome)
        return exit_code(args, outcome, applied=True)
    outcome = Manager(adhoc_run(args, progress=progress_enabled(args))).execute(apply=True, confirm=_confirm(args))
    if outcome.declined:
        print("Nothing applied.")
        return EXIT_CHANGES
    show_outcome(args, outcome)
    return exit_code(args, outcome, applied=True)
