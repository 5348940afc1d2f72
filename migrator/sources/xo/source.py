"""The ``xo`` source: the VMs of a Xen Orchestra, read over its REST API.

The work is in :func:`read_xo` (URL + :class:`XoOptions` -> ``SourceResult`` + fingerprint), so a
later source contract (a location string, options as a model) can call it directly; ``XoSource``
only adapts it to today's ``Source`` class. The token is read from ``XO_TOKEN`` or ``token_file``
and nowhere else: command lines and job files end up in shell history, logs and repositories.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from migrator.errors import ConfigError, InputError
from migrator.model import SourceResult
from migrator.sources.base import Source, SourceOptions
from migrator.sources.limits import read_source_bytes
from migrator.userpath import expand_home

TOKEN_ENV = "XO_TOKEN"
_TOKEN_REFUSED = (
    "xo: a token is never taken from the command line or a job file (they end up in shell "
    f"history and repositories): set {TOKEN_ENV} or pass token_file=PATH"
)


class XoOptions(SourceOptions):
    """What ``--source-option KEY=VALUE`` (or a job's ``options``) may set for an ``xo`` source."""

    #: file holding the token (default: the XO_TOKEN variable)
    token_file: Path | None = None
    #: CA certificate(s) to trust for https:// (default: the system CAs)
    ca_bundle: Path | None = None
    #: false skips certificate verification (with a warning)
    verify: bool = True
    #: XO filter expression, sent as is (default: all VMs)
    filter: str | None = None
    #: main (XO's mainIpAddress), ipv4, ipv6, or a network such as 10.0.0.0/8
    address: str = "main"
    #: false skips halted VMs
    include_halted: bool = True
    #: SSH port of every imported VM
    port: int = Field(default=22, ge=1, le=65535)
    #: SSH user of every imported VM
    user: str | None = None
    #: seconds for each whole answer, not each read
    timeout: float = Field(default=60.0, gt=0, le=3600, allow_inf_nan=False)
    #: read at most N VMs (sent to XO)
    limit: int | None = Field(default=None, ge=1)
    #: refuse an answer larger than this many MiB
    max_mb: int = Field(default=256, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _no_token(cls, data):
        if isinstance(data, dict) and any(str(k).lower() in ("token", "xo_token", "authenticationtoken") for k in data):
            raise ValueError(_TOKEN_REFUSED)
        return data

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        v = v.strip().lower()
        if v in ("main", "ipv4", "ipv6"):
            return v
        try:
            return str(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise ValueError("use main, ipv4, ipv6 or a network such as 10.0.0.0/8") from None

    @field_validator("filter", "user")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if any(ord(c) < 32 for c in v):
            raise ValueError("must not contain control characters")
        return v.strip() or None

    @model_validator(mode="after")
    def _tls(self) -> XoOptions:
        if self.ca_bundle is not None and not self.verify:
            raise ValueError("ca_bundle and verify=false contradict each other; give one of them")
        return self


def load_token(options: XoOptions, env=None) -> tuple[str, str]:
    """The token and where it came from (``token_file`` wins over ``XO_TOKEN``). Never shown."""
    if options.token_file is not None:
        path = expand_home(options.token_file)
        try:  # a FIFO or device is refused at once instead of blocking; a token is small
            return read_source_bytes(path, f"xo: token_file {path}", limit=64 * 1024).decode("utf-8-sig"), (
                f"token_file {path}"
            )
        except InputError as exc:
            raise ConfigError(str(exc)) from None
        except UnicodeDecodeError:
            raise ConfigError(f"xo: token_file {path}: not a text file") from None
    env = os.environ if env is None else env
    token = env.get(TOKEN_ENV)
    if token is None:
        raise ConfigError(
            f"xo: no token: set {TOKEN_ENV} or pass --source-option token_file=PATH "
            "(create one in XO under User > Authentication tokens)"
        )
    return token, TOKEN_ENV


def _verify(options: XoOptions) -> bool | str:
    if options.ca_bundle is None:
        return options.verify
    path = expand_home(options.ca_bundle)
    if not path.is_file():
        raise ConfigError(f"xo: ca_bundle {path}: no such file")
    return str(path)


def fingerprint_of(vms: list, pools: list, options: XoOptions) -> str:
    """sha256 of the normalised answer: VM and pool objects sorted by id, plus what shapes the mapping."""

    def by_id(items: list) -> list:
        return sorted(items, key=lambda o: str(o.get("id")) if isinstance(o, dict) else json.dumps(o))

    doc = {
        "vms": by_id(vms),
        "pools": by_id(pools),
        "mapping": options.model_dump(
            mode="json", include={"address", "include_halted", "port", "user", "filter", "limit"}
        ),
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(("xpipe-migrate-xo/1\n" + text).encode("utf-8")).hexdigest()


@dataclass
class XoRead:
    result: SourceResult
    fingerprint: str
    flavour: str


def read_xo(url: str, options: XoOptions, env=None) -> XoRead:
    """Read pools and VMs from XO at ``url`` (normalised) and map them to hosts."""
    from migrator.sources.xo.mapping import POOL_FIELDS, VM_FIELDS, MapOptions, Origin, VmMapper, pool_names

    origin = Origin(url)
    token, token_origin = load_token(options, env)
    verify = _verify(options)
    result = SourceResult()
    host = urlsplit(url).hostname or ""
    if not options.verify:
        result.diagnostics.append(
            origin.diag(
                "warning",
                "xo-tls-unverified",
                "TLS certificate verification is off (verify=false): a machine in "
                "between could read the token; prefer ca_bundle=PATH",
            )
        )
    if url.startswith("http://") and host not in ("localhost", "127.0.0.1", "::1"):
        result.diagnostics.append(
            origin.diag("warning", "xo-cleartext", "the token is sent unencrypted over http://; use https://")
        )
    params: dict[str, str] = {"fields": ",".join(VM_FIELDS)}
    if options.filter:
        params["filter"] = options.filter
    if options.limit is not None:
        params["limit"] = str(options.limit)
    from migrator.sources.xo.client import XoClient  # requests: only when an XO is read

    with XoClient(
        url, token, token_origin=token_origin, verify=verify, timeout=options.timeout, max_bytes=options.max_mb * 2**20
    ) as client:
        flavour = client.probe()
        pools = list(client.stream("pools", {"fields": ",".join(POOL_FIELDS)}))
        mapper = VmMapper(
            origin,
            pool_names(pools),
            MapOptions(
                address=options.address, include_halted=options.include_halted, port=options.port, user=options.user
            ),
        )
        vms = []
        for i, vm in enumerate(client.stream("vms", params), 1):
            vms.append(vm)
            mapper.add(i, vm)
    mapped = mapper.finish()
    result.hosts.extend(mapped.hosts)
    result.diagnostics.extend(mapped.diagnostics)
    result.held |= mapped.held
    result.partial = mapped.partial
    if options.limit is not None and len(vms) >= options.limit:
        result.partial = True  # XO stopped at the limit: the VMs after it are unknown, not gone
        result.diagnostics.append(
            origin.diag("info", "xo-limit", f"limit={options.limit}: XO may have more VMs than were read")
        )
    result.diagnostics.append(
        origin.diag(
            "info",
            "xo-read",
            f"read {len(vms)} VM(s) in {len(pools)} pool(s) from Xen Orchestra "
            f"({flavour} REST API){' with filter ' + repr(options.filter) if options.filter else ''}",
        )
    )
    return XoRead(result, fingerprint_of(vms, pools, options), flavour)


class XoSource(Source):
    """``xo:URL``: Xen Orchestra's VMs. The location is a URL, not a file."""

    format = "xo"
    summary = "Xen Orchestra's VMs, read over its REST API (xo:https://xo.example.org)"
    Options = XoOptions
    remote = True

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(self.check_location(str(location)), options, key_location=key_location, **raw)
        self.url = self.location
        self._fingerprint: str | None = None
        self.flavour: str | None = None

    @classmethod
    def check_location(cls, location: str) -> str:
        from migrator.sources.xo.client import normalize_url

        return normalize_url(location)

    def read(self) -> SourceResult:
        out = read_xo(self.url, self.options)
        self._fingerprint, self.flavour = out.fingerprint, out.flavour
        return out.result

    def fingerprint(self) -> str:
        """Of the data the last ``read`` fetched (a saved plan compares it to detect changes in XO)."""
        if self._fingerprint is None:
            self.read()
        return self._fingerprint


__all__ = ["XoOptions", "XoSource", "read_xo", "load_token", "fingerprint_of"]
