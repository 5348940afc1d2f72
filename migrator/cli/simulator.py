"""``simulator``: run the XPipe API simulator on 127.0.0.1."""

from __future__ import annotations

from migrator.cli.argtypes import milliseconds, port
from migrator.cli.common import EXIT_OK
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
    p.set_defaults(func=run)


def run(args) -> int:
    from migrator.simulator import serve

    serve(
        port=args.port,
        version=args.xpipe_version,
        api_key_file=args.api_key_file,
        auth_file=args.auth_file,
        state_dir=args.state_dir,
        latency_ms=args.latency_ms,
        transport="ideal" if args.ideal_transport else "jdk",
    )
    return EXIT_OK
