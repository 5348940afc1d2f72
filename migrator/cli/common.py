"""What several commands share: argument groups, the ``Run`` built from flags, output and exit codes.

Every default shown here is read from the options model that owns it (``TargetOptions``,
``MapperOptions``, the source formats' options), so the CLI, the job file and the code cannot drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from migrator.cli.argtypes import count, seconds, wait_seconds
from migrator.errors import ConfigError
from migrator.manager import Run, SourceInput
from migrator.report import FORMAT_NAMES
from migrator.sources import FORMATS, formats_where, parse_source_spec, source_class
from migrator.userpath import expand_home

# The target and mapper options belong to commands that talk to XPipe: imported where they are used,
# so ``inspect`` starts without the XPipe client (``benchmarks/bench_inspect.py``).
if TYPE_CHECKING:
    from migrator.mapper.ssh_store import MapperOptions
    from migrator.xpipe.target import TargetOptions

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


def progress_enabled(args) -> bool:
    """A progress bar only for a person watching: stderr is a terminal, and neither --no-progress nor -q."""
    quiet = getattr(args, "no_progress", False) or getattr(args, "quiet", False)
    return not quiet and sys.stderr.isatty()


def color_enabled(args) -> bool:
    """Colour only on a terminal, never with -q, and never when NO_COLOR is set to anything (no-color.org)."""
    return not getattr(args, "quiet", False) and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def table_options(args) -> dict:
    """What the table renderer takes from the global flags and the terminal."""
    return {"verbose": bool(getattr(args, "verbose", False)), "color": color_enabled(args)}


def root_category(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split("/") if p.strip())
    if parts and parts[0].lower() == "all connections":
        parts = parts[1:]
    if not parts:
        raise argparse.ArgumentTypeError("the root category needs at least one name below All connections")
    return parts


def add_source_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument(
        "sources",
        nargs="+" if required else "*",
        metavar="SOURCE",
        help=f"input file, folder or URL; FORMAT:LOCATION names the format ({', '.join(FORMATS)}, "
        "or a plugin's: 'xpipe-migrate formats' lists them), otherwise a local file's format is detected",
    )
    p.add_argument("--mapping", help="column-mapping profile for CSV/Excel (bundled name or a .toml path)")
    p.add_argument("--sheet", help="Excel sheet to read (default: every visible sheet)")
    p.add_argument(
        "--source-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="format option, e.g. codepage=cp1252, include_sftp=true, profile_dir=C:\\Users\\me "
        "(repeatable; unknown options are errors; see README)",
    )


def add_target_args(p: argparse.ArgumentParser) -> None:
    from migrator.mapper.ssh_store import MapperOptions
    from migrator.xpipe.target import TargetOptions

    t, m = TargetOptions, MapperOptions
    g = p.add_argument_group("XPipe target")
    g.add_argument(
        "--target",
        metavar="URL",
        help="XPipe API URL (default: discovery on 127.0.0.1), or 'embedded' for the built-in simulator",
    )
    g.add_argument("--auth-file", metavar="FILE", help="XPipe's beacon-auth file (Local authentication)")
    g.add_argument(
        "--api-key-file",
        metavar="FILE",
        help="file holding the API key (or set XPIPE_API_KEY); keys are never taken from the command line",
    )
    g.add_argument("--ptb", action="store_true", help="talk to XPipe PTB (port 21722, xpipe-ptb auth file)")
    g.add_argument("--api-dialect", choices=("23", "24"), help="override the API dialect chosen from the version")
    g.add_argument(
        "--timeout", type=seconds, default=t.timeout, help=f"seconds for each whole answer (default {t.timeout:g})"
    )
    g.add_argument(
        "--first-timeout",
        type=seconds,
        default=t.first_timeout,
        help=f"seconds for the first request, while XPipe may still be starting (default {t.first_timeout:g})",
    )
    g.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an HTTPS proxy in front of XPipe")
    g.add_argument("--proxy", metavar="URL", help="HTTP proxy to reach XPipe through")
    g.add_argument(
        "--embedded-version",
        default=t.embedded_version,
        help=f"XPipe version the embedded simulator speaks (default {t.embedded_version})",
    )
    g.add_argument("--embedded-state", metavar="DIR", help="keep the embedded simulator's vault in DIR")
    g.add_argument(
        "--root-category",
        type=root_category,
        default=m.root_category,
        metavar="PATH",
        help=f"category below All connections that receives the import (default: {'/'.join(m.root_category)})",
    )
    g.add_argument(
        "--password-policy",
        choices=("source", "prompt", "none"),
        default=m.password_policy,
        help="source: import passwords; prompt: XPipe asks at connect time; none: no passwords "
        f"(default {m.password_policy})",
    )
    g.add_argument(
        "--identity", metavar="NAME", help="every connection uses this identity, which must already exist in XPipe"
    )
    g.add_argument(
        "--identities",
        choices=("auto", "inplace", "shared"),
        default=m.identities,
        help="share equal credentials as reusable identities (auto: from --identity-threshold hosts; "
        f"default {m.identities})",
    )
    g.add_argument(
        "--identity-threshold",
        type=count,
        default=m.identity_threshold,
        metavar="N",
        help=f"hosts sharing a credential before it becomes an identity (default {m.identity_threshold})",
    )
    g.add_argument(
        "--name-clash",
        choices=("refuse", "rename"),
        default=m.name_clash,
        help="a name used by an entry that is not ours: conflict, or import under another name "
        f"(default {m.name_clash})",
    )


def add_job_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite fields changed in XPipe (drift) and pass the prune percentage guard",
    )
    p.add_argument(
        "--prune",
        dest="prune",
        action="store_true",
        default=None,
        help="remove owned entries that are gone from the sources (guarded; see README; "
        "default: what the job's [prune] says, off without a job)",
    )
    p.add_argument(
        "--no-prune",
        dest="prune",
        action="store_false",
        help="never prune, whatever the job says (default: what the job's [prune] says)",
    )
    p.add_argument(
        "--adopt",
        action="store_true",
        help="take over same-named entries in the root category that the ledger does not own",
    )


def add_lock_arg(p: argparse.ArgumentParser) -> None:
    """``--lock-wait``: commands that write take the ledger's run lock (``migrator.sync.lock``)."""
    p.add_argument(
        "--lock-wait",
        type=wait_seconds,
        default=Run.lock_wait,
        metavar="SECONDS",
        help="while another apply or sync writes with the same ledger, wait this long, then stop with "
        f"exit 1 naming it (0: do not wait; default {Run.lock_wait:g})",
    )


def add_state_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state",
        metavar="FILE",
        help="ledger of a run without a job (default: one per XPipe vault and root category in the "
        "user's state folder; see README)",
    )


#: Options that only mean something for SOURCEs on the command line (a job file has its own).
SOURCE_DESTS = ("mapping", "sheet", "source_option")
#: The "XPipe target" group: a job file sets all of these in [target] and [import].
TARGET_DESTS = (
    "target",
    "auth_file",
    "api_key_file",
    "ptb",
    "api_dialect",
    "timeout",
    "first_timeout",
    "ca_bundle",
    "proxy",
    "embedded_version",
    "embedded_state",
    "root_category",
    "password_policy",
    "identity",
    "identities",
    "identity_threshold",
    "name_clash",
)
RUN_DESTS = ("force", "prune", "adopt")


def given(args, *dests: str) -> list[str]:
    """The options among ``dests`` that were typed on the command line (as typed, e.g. ``--no-prune``)."""
    typed = getattr(args, "given_options", {})
    return [typed[d] for d in dests if d in typed]


def refuse(args, dests, why: str) -> None:
    """A flag that cannot apply here is an error, never silently ignored."""
    opts = given(args, *dests)
    if opts:
        raise ConfigError(f"{', '.join(opts)} cannot be used {why}")


def check_target_args(args) -> None:
    """Target and import flags that contradict each other, so one of them would be ignored."""
    from migrator.xpipe.target import EMBEDDED

    embedded = (args.target or "").strip().casefold() == EMBEDDED
    if embedded:
        refuse(
            args,
            ("auth_file", "api_key_file", "ptb", "ca_bundle", "proxy"),
            "with --target embedded (the simulator runs in-process)",
        )
    else:
        refuse(args, ("embedded_version", "embedded_state"), "without --target embedded")
        if args.target and (args.auth_file or args.api_key_file):
            refuse(args, ("ptb",), "with --target and an auth or key file (--ptb only picks the port and auth file)")
    if args.ca_bundle and not any((u or "").startswith("https://") for u in (args.target, args.proxy)):
        refuse(args, ("ca_bundle",), "without an https:// --target or --proxy (nothing else uses TLS)")
    if args.identity:
        refuse(
            args,
            ("identities", "identity_threshold", "password_policy"),
            "with --identity (every connection then uses that identity's credentials)",
        )
    elif args.identities != "auto":
        refuse(args, ("identity_threshold",), f"with --identities {args.identities} (the threshold is for auto)")


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMAT_NAMES, default="table", help="report format on stdout (default table)")
    p.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write a report, e.g. --report markdown=plan.md (repeatable)",
    )
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged entries in the table")
    p.add_argument("--rejects", metavar="FILE", help="write rejected CSV/Excel rows to FILE, in the input's format")


def check_output_args(args) -> None:
    if getattr(args, "format", "table") != "table":
        refuse(args, ("show_unchanged",), f"with --format {args.format} (it lists unchanged entries in the table)")


def check_rejects(args, inputs: list[SourceInput]) -> None:
    """``--rejects`` writes rejected spreadsheet rows: with no tabular source it could only do nothing."""
    if getattr(args, "rejects", None) and not any(
        source_class(item.format or item.open().format).tabular for item in inputs
    ):
        tabular = ", ".join(formats_where(lambda cls: cls.tabular))
        raise ConfigError(f"--rejects writes rejected rows of tabular sources ({tabular}), and no source is one")


def run_options(args) -> dict:
    """The run flags a saved plan was made with; ``apply PLAN.json`` applies it with the same ones."""
    return {"prune": args.prune, "force": args.force, "adopt": args.adopt}


def target_options(args) -> TargetOptions:
    from migrator.xpipe.target import checked_target_options

    return checked_target_options(
        target=args.target,
        auth_file=args.auth_file,
        api_key_file=args.api_key_file,
        ptb=args.ptb,
        api_dialect=args.api_dialect,
        timeout=args.timeout,
        first_timeout=args.first_timeout,
        ca_bundle=args.ca_bundle,
        proxy=args.proxy,
        embedded_version=args.embedded_version,
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
    """The SOURCEs; a local file's source keys name its absolute path, so a ledger's ownership does not
    depend on the folder the command was run from."""
    options = source_options(args)
    out = []
    for spec in args.sources:
        _, location = parse_source_spec(spec)
        local = expand_home(location)
        key_location = local.resolve().as_posix() if local.exists() else None
        out.append(SourceInput(spec, options=dict(options), where=spec, key_location=key_location))
    return out


def mapper_options(args) -> MapperOptions:
    from migrator.mapper.ssh_store import MapperOptions

    if args.identity_threshold < 1:
        raise ConfigError("--identity-threshold must be 1 or more")
    return MapperOptions(
        root_category=args.root_category,
        password_policy=args.password_policy,
        use_identity=args.identity,
        identities=args.identities,
        identity_threshold=args.identity_threshold,
        name_clash=args.name_clash,
    )


def adhoc_run(args, *, progress: bool = True, create_state: bool = True) -> Run:
    """The ``Run`` of SOURCEs on the command line, with the ad-hoc ledger (``--state`` or the default).

    ``--force``, ``--adopt`` and ``--prune`` need a ledger; without a lasting vault there is none, and
    then they are errors instead of flags that do nothing.
    """
    from migrator.manager import Run
    from migrator.plan.plan import PruneOptions
    from migrator.sync.state import has_persistent_vault

    check_target_args(args)
    target = target_options(args)
    state = getattr(args, "state", None)
    if not state and not has_persistent_vault(target):
        flags = [f for f in given(args, *RUN_DESTS, "lock_wait") if f != "--no-prune"]
        if flags:
            raise ConfigError(
                f"{', '.join(flags)} needs a ledger, and --target embedded keeps no vault between "
                "runs: give --embedded-state DIR (or --state FILE)"
            )
    prune = bool(getattr(args, "prune", None))
    inputs = source_inputs(args)
    check_rejects(args, inputs)
    return Run(
        sources=inputs,
        target=target,
        mapper=mapper_options(args),
        state_path=expand_home(state) if state else None,
        adhoc_state=not state,
        create_state=create_state,
        prune=PruneOptions(enabled=prune),
        force=getattr(args, "force", False),
        adopt=getattr(args, "adopt", False),
        progress=progress,
        lock_wait=getattr(args, "lock_wait", Run.lock_wait),
    )
