"""Opening the XPipe a command talks to: a real daemon (URL or discovery) or the embedded simulator."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrator.xpipe.auth import LocalAuth, resolve_auth
from migrator.xpipe.client import XPipeClient, discover

EMBEDDED = "embedded"


@dataclass
class TargetOptions:
    target: str | None = None
    auth_file: str | None = None
    api_key_file: str | None = None
    ptb: bool = False
    api_dialect: str | None = None
    timeout: float = 30.0
    first_timeout: float = 300.0
    ca_bundle: str | None = None
    proxy: str | None = None
    embedded_version: str = "23.8"
    embedded_state: str | None = None


@contextmanager
def open_client(opts: TargetOptions, observer=None, auth=None):
    """Yield a connected XPipeClient; with ``target == "embedded"`` a simulator runs for the duration."""
    if opts.target == EMBEDDED:
        from migrator.simulator import Simulator

        with tempfile.TemporaryDirectory(prefix="xpipe-migrate-") as tmp:
            auth_file = Path(tmp) / "beacon-auth"
            with Simulator(version=opts.embedded_version, auth_file=auth_file,
                           state_dir=opts.embedded_state) as sim:
                client = XPipeClient(sim.url, LocalAuth(auth_file), timeout=opts.timeout,
                                     first_timeout=opts.first_timeout, dialect=opts.api_dialect,
                                     observer=observer)
                try:
                    yield client.connect()
                finally:
                    client.close()
        return
    url = opts.target or discover(ptb=opts.ptb)
    auth = auth or resolve_auth(auth_file=opts.auth_file, api_key_file=opts.api_key_file, ptb=opts.ptb)
    client = XPipeClient(
        url, auth, timeout=opts.timeout, first_timeout=opts.first_timeout, dialect=opts.api_dialect,
        verify=opts.ca_bundle or True, proxies={"http": opts.proxy, "https": opts.proxy} if opts.proxy else None,
        observer=observer,
    )
    try:
        yield client.connect()
    finally:
        client.close()
