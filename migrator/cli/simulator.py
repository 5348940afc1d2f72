"""``simulator``: run the XPipe API simulator on 127.0.0.1."""

from __future__ import annotations

from migrator.cli.argtypes import milliseconds, non_negative, port, share
from migrator.cli.common import EXIT_OK, refuse
from migrator.simulator.faults import MODE_CHOICES
from migrator.xpipe.target import TargetOptions


def register(sub) -> None:
    p = sub.add_parser("simulator", help="run the XPipe API simulator on 127.0.0.1")
    p.add_argument("--port", type=port, default=21721, help="port to listen on (default 21721, XPipe's)")
    p.add_argument(
        "--xpipe-version",
        default=TargetOptions.embedded_version,
        help=f"23.x speaks /connection/*, 24.0 /store/* (default {TargetOptions.embedded_version})",
    )
    p.add_argument("--api-key-file", metavar="FILE", help="API key file (created with a random key if missing)")
    p.add_argument("--auth-file", metavar="FILE", help="where to write the Local auth file")
    p.add_argument("--state-dir", metavar="DIR", help="persist the vault in DIR")
    p.add_argument(
        "--latency-ms",
        type=milliseconds,
        default=0,
        help="added time per request; storage calls hold the storage lock meanwhile (default 0)",
    )
    p.add_argument(
        "--ideal-transport",
        action="store_true",
        help="TCP_NODELAY and one write per response, instead of XPipe's JDK server behaviour "
        "(default: the JDK behaviour)",
    )
    g = p.add_argument_group("faults (a test aid: how a job copes with an XPipe that fails writes)")
    g.add_argument(
        "--fail-writes",
        type=share,
        metavar="RATE",
        help="fail this share of the vault writes (add, remove, category add), e.g. 0.2 or 20%% (default: none)",
    )
    g.add_argument(
        "--fail-mode",
        choices=MODE_CHOICES,
        default="mixed",
        help="before: a 500, nothing applied; after-500: applied, then a 500; after-reset / after-close: applied, "
        "then the connection is reset / closed without an answer; mixed: any of these (default mixed)",
    )
    g.add_argument(
        "--fail-seed", type=non_negative, default=0, metavar="N", help="seed of the draw of failing writes (default 0)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from migrator.simulator import serve
    from migrator.simulator.faults import FaultPlan

    if args.fail_writes is None:
        refuse(args, ("fail_mode", "fail_seed"), "without --fail-writes RATE")
    faults = FaultPlan(args.fail_writes, args.fail_mode, args.fail_seed) if args.fail_writes is not None else None

    serve(
        port=args.port,
        version=args.xpipe_version,
        api_key_file=args.api_key_file,
        auth_file=args.auth_file,
        state_dir=args.state_dir,
        latency_ms=args.latency_ms,
        transport="ideal" if args.ideal_transport else "jdk",
        faults=faults,
    )
    return EXIT_OK
