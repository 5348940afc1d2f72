"""ProxyJump grammar (readconf.c ``parse_jump``, misc.c ``parse_user_host_port``/``parse_ssh_uri``)
and the resolution of a jump chain hop by hop, the way ssh runs it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrator.model import JumpHop, validate_address
from migrator.redact import show_command
from migrator.sources.limits import MAX_JUMP_HOPS
from migrator.sources.ssh_config.lexer import a2port, ascii_lower
from migrator.sources.ssh_config.tokens import TokenError, percent_expand

if TYPE_CHECKING:
    from migrator.sources.ssh_config.resolver import SshConfig
    from migrator.sources.ssh_config.tree import Resolution

MAX_JUMP_DEPTH = MAX_JUMP_HOPS


@dataclass(frozen=True)
class HopSpec:
    """One ``[user@]host[:port]`` of a ProxyJump value, as written (tokens not yet expanded)."""

    host: str
    user: str | None = None
    port: int | None = None


def _hpdelim2(s: str) -> tuple[str, str | None, str | None] | None:
    """Host part and (delimiter, rest); None when malformed (``[`` without ``]``)."""
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            return None
        i = end + 1
    else:
        m = re.search(r"[:/]", s)
        i = m.start() if m else len(s)
    if i >= len(s):
        return s, None, None
    if s[i] not in ":/":
        return None
    return s[:i], s[i], s[i + 1 :]


def _clean_host(h: str) -> str:
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


def parse_user_host_port(s: str) -> HopSpec | None:
    user = None
    rest = s
    at = s.rfind("@")
    if at >= 0:
        user, rest = s[:at], s[at + 1 :]
        if not user:
            return None
    parts = _hpdelim2(rest)
    if parts is None or not parts[0]:
        return None
    host, _, tail = parts
    port = None
    if tail:
        port = a2port(tail)
        if port <= 0:
            return None
    return HopSpec(_clean_host(host), user, port)


def _urldecode(s: str) -> str | None:
    out = bytearray()
    i = 0
    raw = s.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == ord("%"):
            h = raw[i + 1 : i + 3]
            if len(h) < 2 or not re.fullmatch(rb"[0-9A-Fa-f]{2}", h) or h == b"00":
                return None
            out.append(int(h, 16))
            i += 3
        elif c == ord("+"):
            out.append(ord(" "))
            i += 1
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_ssh_uri(s: str) -> HopSpec | None | bool:
    """``ssh://[user@]host[:port]``: a HopSpec, None when malformed, False when not a URI at all."""
    if not s.startswith("ssh://"):
        return False
    rest = s[len("ssh://") :]
    user = None
    at = rest.find("@")
    if at >= 0:
        user = _urldecode(rest[:at])
        if user is None or not user:
            return None
        rest = rest[at + 1 :]
    parts = _hpdelim2(rest)
    if parts is None or not parts[0]:
        return None
    host, delim, tail = parts
    port = None
    if delim == ":":
        m = re.match(r"[^/]*", tail or "")
        port_s = m.group(0) if m else ""
        tail = (tail or "")[len(port_s) :]
        port = a2port(port_s)
        if port <= 0:
            return None
        if tail:
            delim = "/"
            tail = tail[1:]
    if delim == "/" and tail:
        return None
    return HopSpec(_clean_host(host), user, port)


def parse_hop(s: str) -> HopSpec | None:
    uri = parse_ssh_uri(s)
    if uri is False:
        return parse_user_host_port(s)
    return uri  # HopSpec or None


@dataclass(frozen=True)
class JumpSetting:
    """What a ProxyJump line sets: ``none`` or a hop list (the last hop parsed like OpenSSH does)."""

    none: bool
    last: HopSpec | None = None
    extra: str | None = None  # every hop before the last, verbatim

    def ssh_g(self) -> str:
        """The value as ``ssh -G`` prints it."""
        if self.none:
            return "none"
        assert self.last is not None
        bracket = ":" in self.last.host or not self.last.host.strip("0123456789.")
        host = f"[{self.last.host}]" if bracket else self.last.host
        out = (
            (f"{self.extra}," if self.extra is not None else "")
            + (f"{self.last.user}@" if self.last.user else "")
            + host
        )
        return out + (f":{self.last.port}" if self.last.port else "")

    def hop_strings(self) -> list[str]:
        return (self.extra.split(",") if self.extra is not None else []) + ["LAST"]


def parse_jump(raw: str) -> JumpSetting | None:
    """readconf.c ``parse_jump``: None when OpenSSH rejects the value."""
    if ascii_lower(raw) == "none":
        return JumpSetting(none=True)
    cut = raw.split("#", 1)[0]
    # OpenSSH's rtrim() (9.2 as patched by Debian up to 10.x) blanks every whitespace character
    # after the first one, not only trailing ones: "gw1 # note" and "gw1 gw2" both leave "gw1".
    space = re.search(r"[ \t\n\v\f\r]", cut[1:])
    if space:
        cut = cut[: space.start() + 1]
    hops = cut.split(",")
    last = parse_hop(hops[-1])
    if last is None:
        return None
    if any(parse_hop(h) is None for h in hops[:-1]):
        return None
    comma = cut.rfind(",")
    extra = cut[:comma] if comma > 0 else None
    if last.host == "none" and last.user is None and last.port is None and extra is None:
        return JumpSetting(none=False, last=last)  # "ProxyJump none # x": OpenSSH jumps via "none"
    return JumpSetting(none=False, last=last, extra=extra)


def loops_on_itself(res: Resolution, local_user: str) -> bool:
    """ssh.c's own check, made before connecting (``ssh -G`` too): "jumphost loop via HOST"."""
    if res.jump is None or res.jump.last is None:
        return False
    last = res.jump.last
    user = res.user or local_user
    return last.host == res.hostname and res.port == (last.port or 22) and (last.user or user) == user


def jump_chain(cfg: SshConfig, res: Resolution, _path: tuple = ()) -> list[JumpHop] | str:
    """The hops of ``res``, nearest first, or why there is no usable chain.

    This is how ssh runs ProxyJump ``a,b``: ``ssh -J a -W target b``, so ``b``'s own ProxyJump
    is overridden while ``a`` is reached with its own configuration: the chain is ``a``'s
    chain followed by ``a`` and ``b``, each resolved through this config (``user@``/``:port``
    in the value win over the hop's own User/Port). ``ref`` names the hop's alias when the
    config declares it (the alias set is built once per config, not per host). ``_path`` holds the
    (alias, user, port) being resolved, to catch the loops ssh would recurse into forever.
    """
    assert res.jump is not None and res.jump.last is not None
    path = _path or ((res.alias, None, None),)
    if loops_on_itself(res, cfg.local_user):
        return f"ProxyJump {res.jump.ssh_g()!r} points at the host itself; OpenSSH stops with 'jumphost loop'"
    if len(path) > MAX_JUMP_DEPTH:
        return "ProxyJump chain is too long"
    tokens = {"h": res.hostname, "n": res.alias, "p": str(res.port), "r": res.user or cfg.local_user}
    specs: list[HopSpec] = []
    try:
        for text in res.jump.hop_strings():
            if text == "LAST":
                last = res.jump.last
                spec: HopSpec | None = HopSpec(
                    percent_expand(last.host, tokens),
                    percent_expand(last.user, tokens) if last.user else None,
                    last.port,
                )
            else:
                spec = parse_hop(percent_expand(text, tokens))
            if spec is None:
                return f"ProxyJump hop {text!r} is not valid"
            specs.append(spec)
    except TokenError as exc:
        return f"ProxyJump {res.jump.ssh_g()!r}: {exc}"
    first = specs[0]
    first_key = (first.host, first.user, first.port)
    if first_key in path:
        names = " -> ".join(p[0] for p in path + (first_key,))
        return f"ProxyJump loop ({names}); OpenSSH would never connect"
    first_res = cfg.resolve(first.host, user=first.user, port=first.port)
    hops: list[JumpHop] = []
    if first_res.jump is not None:
        sub = jump_chain(cfg, first_res, path + (first_key,))
        if isinstance(sub, str):
            return sub
        hops.extend(sub)
    elif first_res.proxy_command is not None:
        return (
            f"jump host {first.host!r} is reached through ProxyCommand "
            f"{show_command(first_res.proxy_command)!r}, "
            "which cannot be represented as a jump chain"
        )
    aliases = cfg.alias_names()
    for i, spec in enumerate(specs):
        hop_res = first_res if i == 0 else cfg.resolve(spec.host, user=spec.user, port=spec.port, jump_given=True)
        if hop_res.hostname_error:
            return f"jump host {spec.host!r}: {hop_res.hostname_error}"
        try:
            address = validate_address(hop_res.hostname)
        except ValueError as exc:
            return f"jump host {spec.host!r}: {exc}"
        hops.append(
            JumpHop(host=address, port=hop_res.port, user=hop_res.user, ref=spec.host if spec.host in aliases else None)
        )
    return hops
