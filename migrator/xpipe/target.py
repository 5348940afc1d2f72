"""Opening the XPipe a command talks to: a real daemon (URL or discovery) or the embedded simulator."""

from __future__ import annotations

import math
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic.dataclasses import dataclass

from migrator.errors import ConfigError
from migrator.userpath import expand_home
from migrator.xpipe.auth import LocalAuth, resolve_auth
from migrator.xpipe.client import XPipeClient, discover

EMBEDDED = "embedded"
#: How a TargetOptions field is named on the command line, for error messages.
FLAGS = {
    "target": "--target",
    "timeout": "--timeout",
    "first_timeout": "--first-timeout",
    "ca_bundle": "--ca-bundle",
    "proxy": "--proxy",
    "embedded_version": "--embedded-version",
    "api_dialect": "--api-dialect",
    "auth_file": "--auth-file",
    "api_key_file": "--api-key-file",
    "embedded_state": "--embedded-state",
    "ptb": "--ptb",
}
#: The longest wait a timeout may ask for (a day); larger values overflow the socket layer.
MAX_SECONDS = 86400.0


def check_state_dir(value: str) -> str:
    """A folder, or a path that can become one: checked before the simulator or anything else runs."""
    path = expand_home(value)
    if path.is_symlink() and not path.exists():
        raise ValueError(f"{value}: is a link to nothing")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{value}: is not a folder")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ValueError(f"{value}: {parent} is not a folder")
    return value


def check_url(value: str, what: str) -> str:
    """An http(s) URL with a host and a valid port, and no user name or password in it."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} is not a valid URL (the port must be 1-65535)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:21721")
    if port == 0:
        raise ValueError(f"{what} is not a valid URL (the port must be 1-65535)")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not contain a user name or password")
    return value.strip()


@dataclass
class TargetOptions:
    """Which XPipe to talk to and how; the defaults here are the only defaults (CLI and job files read them)."""

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

    @field_validator("target")
    @classmethod
    def _target(cls, v: str | None) -> str | None:
        if v is None or v.strip().casefold() == EMBEDDED:
            return None if v is None else EMBEDDED
        return check_url(v, "the target")

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, v: str | None) -> str | None:
        return None if v is None else check_url(v, "the proxy")

    @field_validator("timeout", "first_timeout")
    @classmethod
    def _seconds(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0 or v > MAX_SECONDS:
            raise ValueError(f"must be a number of seconds above 0 and at most {MAX_SECONDS:g}")
        return v

    @field_validator("embedded_state")
    @classmethod
    def _embedded_state(cls, v: str | None) -> str | None:
        return None if v is None else check_state_dir(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None) -> str | None:
        if v is not None and not Path(v).is_file():
            raise ValueError(f"{v}: no such file")
        return v


def checked_target_options(**values) -> TargetOptions:
    """``TargetOptions(**values)``, with a problem reported as one line naming the flag."""
    try:
        return TargetOptions(**values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "target"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{FLAGS.get(name, name)}: {msg[:1].lower() + msg[1:]}")
        raise ConfigError("\n".join(lines)) from None


@contextmanager
def open_client(opts: TargetOptions, observer=None, auth=None):
    """Yield a connected XPipeClient; with ``target == "embedded"`` a simulator runs for the duration."""
    if opts.target == EMBEDDED:
        from migrator.simulator import Simulator

        with tempfile.TemporaryDirectory(prefix="xpipe-migrate-") as tmp:
            auth_file = Path(tmp) / "beacon-auth"
            with Simulator(version=opts.embedded_version, auth_file=auth_file, state_dir=opts.embedded_state) as sim:
                client = XPipeClient(
                    sim.url,
                    LocalAuth(auth_file),
                    timeout=opts.timeout,
                    first_timeout=opts.first_timeout,
                    dialect=opts.api_dialect,
                    observer=observer,
                )
                try:
                    yield client.connect()
                finally:
                    client.close()
        return
    url = opts.target or discover(ptb=opts.ptb)
    auth = auth or resolve_auth(auth_file=opts.auth_file, api_key_file=opts.api_key_file, ptb=opts.ptb)
    client = XPipeClient(
        url,
        auth,
        timeout=opts.timeout,
        first_timeout=opts.first_timeout,
        dialect=opts.api_dialect,
        verify=opts.ca_bundle or True,
        proxies={"http": opts.proxy, "https": opts.proxy} if opts.proxy else None,
        observer=observer,
    )
    try:
        yield client.connect()
    finally:
        client.close()
