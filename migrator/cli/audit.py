"""``audit``: a read-only report of drift, owned entries gone from the sources, vault health and reachability."""

from __future__ import annotations

import sys

from migrator import heap
from migrator.cli.argtypes import count, seconds
from migrator.cli.common import (
    EXIT_CHANGES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    SOURCE_DESTS,
    TARGET_DESTS,
    add_source_args,
    add_state_arg,
    add_target_args,
    adhoc_run,
    progress_enabled,
    refuse,
)
from migrator.cli.output import check_outputs, report_specs
from migrator.errors import ConfigError
from migrator.manager import Manager
from migrator.report import FORMAT_NAMES, render, write_report
from migrator.sync.job import load_job
from migrator.userpath import expand_home


def register(sub) -> None:
    p = sub.add_parser("audit", help="read-only report: drift, missing entries, vault health, reachability")
    add_source_args(p, required=False)
    add_target_args(p)
    p.add_argument("--job", metavar="JOB.toml", help="audit a sync job (its sources, target and ledger)")
    p.add_argument("--probe", action="store_true", help="check TCP and the SSH banner/host key of each host")
    p.add_argument("--probe-timeout", type=seconds, default=5.0, help="seconds per probe (default 5)")
    p.add_argument("--probe-concurrency", type=count, default=16, help="probes at once (default 16)")
    p.add_argument("--format", choices=FORMAT_NAMES, default="table", help="output format (default table)")
    p.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write the audit, e.g. --report html=audit.html (repeatable)",
    )
    add_state_arg(p)
    p.set_defaults(func=run)


@heap.one_run()  # the sources, vault and ledger live to the end: ``migrator.heap``
def run(args) -> int:
    check_outputs(args)
    from migrator.audit.findings import audit_document, has_findings, probe_targets

    reports = report_specs(args.report)
    if not args.probe:
        refuse(args, ("probe_timeout", "probe_concurrency"), "without --probe")
    if args.job:
        if args.sources:
            raise ConfigError("give either --job or SOURCEs, not both")
        refuse(args, (*SOURCE_DESTS, *TARGET_DESTS, "state"), "with --job (the job file sets them)")
        run_ = load_job(args.job).to_run(prune=False, progress=False)  # an audit reports, it never prunes
        if not run_.state_path.exists():
            run_.state_path = None  # an audit never creates a ledger
    else:
        if not args.sources:
            raise ConfigError("audit needs SOURCEs or --job")
        if args.state and not expand_home(args.state).is_file():
            raise ConfigError(f"--state {args.state}: no ledger there (an audit never creates one)")
        run_ = adhoc_run(args, progress=False, create_state=False)  # an audit never creates a ledger
    manager = Manager(run_)
    inventory = manager.read()
    with manager.session() as session:
        plan = session.plan(inventory, known_nodes=False)  # vault health: every secret decrypted
        probes = None
        if args.probe:
            from migrator.audit.probe import probe_hosts

            targets = probe_targets(plan)
            progress = ProbeProgress(len(targets), args)
            try:
                probes = probe_hosts(
                    targets, concurrency=args.probe_concurrency, timeout=args.probe_timeout, progress=progress.done
                )
            except KeyboardInterrupt:
                progress.close()
                print(render(audit_document(plan, plan.live, session.ledger, progress.results), args.format))
                print(
                    f"xpipe-migrate: audit interrupted after probing {len(progress.results)} of {len(targets)} "
                    "hosts (their results are above; no report was written, the audit changes nothing). "
                    "Run the same command again to probe every host; --probe-timeout and --probe-concurrency "
                    "make it quicker.",
                    file=sys.stderr,
                )
                return EXIT_INTERRUPTED
            progress.close()
        doc = audit_document(plan, plan.live, session.ledger, probes)
    print(render(doc, args.format))
    for fmt, path in reports:
        write_report(path, doc, fmt)
    return EXIT_CHANGES if has_findings(doc) else EXIT_OK


class ProbeProgress:
    """How far ``--probe`` has got, on stderr: a bar on a terminal, else a line every tenth of the hosts.

    Probing hundreds of hosts can take a minute; without this the command looks hung. ``-q`` and
    ``--no-progress`` silence it. The results gathered so far are kept for an interrupted run.
    """

    def __init__(self, total: int, args):
        self.total = total
        self.results: list = []
        self.quiet = getattr(args, "quiet", False) or getattr(args, "no_progress", False)
        self.step = max(1, total // 10)
        self.bar = None
        if progress_enabled(args):
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="host", desc="probe", file=sys.stderr)
        elif not self.quiet and total:
            print(
                f"probing {total} hosts ({args.probe_concurrency} at once, up to {args.probe_timeout:g} s each)",
                file=sys.stderr,
                flush=True,
            )

    def done(self, result) -> None:
        self.results.append(result)
        if self.bar is not None:
            self.bar.update(1)
        elif not self.quiet and (len(self.results) % self.step == 0 or len(self.results) == self.total):
            print(f"probed {len(self.results)}/{self.total} hosts", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
