"""The examples at the top of each command's ``--help`` epilog: the common ways a command is run."""

from __future__ import annotations

#: Command (as typed after ``xpipe-migrate``) -> example lines, indented like argparse's own sections.
EXAMPLES = {
    "inspect": """\
  xpipe-migrate inspect servers.csv                  the hosts as a table
  xpipe-migrate inspect ~/.ssh/config --format json  as JSON, e.g. for jq
  xpipe-migrate inspect -v servers.csv               every diagnostic, not the grouped summary""",
    "plan": """\
  xpipe-migrate plan servers.csv                     what apply would change (exit 2 if anything)
  xpipe-migrate plan --job job.toml --out plan.json  save a reviewed plan for 'apply plan.json'
  xpipe-migrate plan servers.csv --report html=plan.html""",
    "apply": """\
  xpipe-migrate apply servers.csv                    show the plan, ask, then write
  xpipe-migrate apply servers.csv --yes -q           unattended; prints only errors
  xpipe-migrate apply plan.json --yes                apply a saved plan (refused if XPipe changed)""",
    "sync": """\
  xpipe-migrate sync job.toml                        plan and apply a job against its ledger
  xpipe-migrate sync job.toml --dry-run              plan only (exit 2 when changes are pending)
  xpipe-migrate sync job.toml -q                     from cron: silent unless something failed""",
    "audit": """\
  xpipe-migrate audit --job job.toml                 drift, missing entries, vault health
  xpipe-migrate audit servers.csv --probe            also check that each host answers SSH
  xpipe-migrate audit --job job.toml --report html=audit.html""",
    "mapping": """\
  xpipe-migrate mapping check servers.csv            how the columns map to host fields""",
    "mapping check": """\
  xpipe-migrate mapping check servers.csv
  xpipe-migrate mapping check servers.csv --mapping rdm""",
    "formats": """\
  xpipe-migrate formats                              every source format, its options and defaults
  xpipe-migrate formats mremoteng --format json      one format, for scripts""",
    "simulator": """\
  xpipe-migrate simulator                            XPipe's API on 127.0.0.1:21721
  xpipe-migrate simulator --port 21800 --state-dir vault --api-key-file key.txt""",
    "demo": """\
  xpipe-migrate demo                                 the bundled samples into a simulator, twice
  xpipe-migrate demo -v                              every diagnostic of the samples""",
    "samples": """\
  xpipe-migrate samples                              copy the samples to ./samples
  xpipe-migrate samples /tmp/xpipe-samples""",
}
