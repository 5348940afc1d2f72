"""What ``ansible_ssh_common_args`` / ``_extra_args`` / ``_args`` say about the route and login.

The values are split like a shell and read as ssh's own command line: ``-J`` and ``-o ProxyJump``
give jump hops; a ``-o ProxyCommand`` of the old jump-host form ``ssh [-p P] [-l U] -W %h:%p
[U@]H`` (or ``... H nc %h %p``) becomes one hop too; ``-i``, ``-p``, ``-l`` and ``-o User/Port/
IdentityFile`` fill what the inventory variables left open. Like ssh, the first value of an option
wins. Nothing is ever run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from migrator.model import validate_address
from migrator.sources.shellwords import shell_split

# ssh flags that take an argument (ssh(1)); the others are single-letter switches.
_WITH_ARG = set("BbcDEeFIiJLlmOoPpQRSWw")
_PROXY_FLAGS_WITH_ARG = set("BbcDEeFIiLlmOoPpQRSw")


_SHELL_WORD = re.compile(r"[^ \t\r\n]+")  # shlex's whitespace is exactly these four


def split_words(text: str, *, comments: bool = False) -> list[str]:
    """``shlex.split(text, comments=comments)``; ``ValueError`` for unbalanced quotes.

    Text without quotes, backslashes (and ``#`` when it starts a comment) is split at whitespace
    directly, which is what shlex does with it; the rest goes through ``shellwords`` (shlex's own
    loop is quadratic in the length of a word).
    """
    if "'" in text or '"' in text or "\\" in text or (comments and "#" in text):
        return shell_split(text, comments=comments)
    return _SHELL_WORD.findall(text)


class SshArgsError(ValueError):
    """The arguments cannot be split or read; the message never quotes them."""


@dataclass
class Hop:
    host: str
    port: int | None = None
    user: str | None = None


@dataclass
class SshArgs:
    jump: list[Hop] | None = None
    proxy_command: str | None = None
    user: str | None = None
    port: int | None = None
    key_files: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _route_set: bool = False


def parse_hop(spec: str) -> Hop:
    """``[user@]host[:port]``, ``ssh://[user@]host[:port]`` or ``[user@][v6]:port``."""
    if spec.startswith("ssh://"):
        spec = spec[6:].rstrip("/")
    user, at, rest = spec.rpartition("@")
    if not at:
        user, rest = "", spec
    port = None
    if rest.startswith("["):
        host, close, tail = rest[1:].partition("]")
        if not close or (tail and not tail.startswith(":")):
            raise SshArgsError("a jump host in brackets is not closed")
        if tail:
            port = _port(tail[1:])
    elif rest.count(":") == 1:
        rest, _, port_text = rest.partition(":")
        host, port = rest, _port(port_text)
    else:
        host = rest
    try:
        host = validate_address(host)
    except ValueError:
        raise SshArgsError("a jump host is not a valid host name or address") from None
    return Hop(host=host, port=port, user=user or None)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or not 1 <= int(text) <= 65535:
        raise SshArgsError("a port is not a number from 1 to 65535")
    return int(text)


def parse_proxy_command(command: str) -> Hop | None:
    """The jump host of an ``ssh ... -W %h:%p host`` ProxyCommand, or None for any other command."""
    try:
        words = split_words(command)
    except ValueError:
        return None
    if not words or os.path.basename(words[0]) != "ssh":
        return None
    user = port = None
    target: str | None = None
    forwards = False
    i = 1
    rest: list[str] = []
    while i < len(words):
        w = words[i]
        if w.startswith("-") and len(w) > 1 and target is None:
            flag, attached = w[1], w[2:]
            if flag in _PROXY_FLAGS_WITH_ARG or flag == "W":
                value = attached or (words[i + 1] if i + 1 < len(words) else None)
                if value is None:
                    return None
                i += 1 if attached else 2
                if flag == "W":
                    if value not in ("%h:%p", "[%h]:%p"):
                        return None
                    forwards = True
                elif flag == "p":
                    port = value
                elif flag == "l":
                    user = value
                elif flag == "o":
                    k, _, v = value.replace("=", " ", 1).partition(" ")
                    if k.lower() == "user":
                        user = v.strip()
                    elif k.lower() == "port":
                        port = v.strip()
                continue
            i += 1
            continue
        if target is None:
            target = w
        else:
            rest.append(w)
        i += 1
    if target is None:
        return None
    if not forwards and rest != ["nc", "%h", "%p"]:
        return None
    if forwards and rest:
        return None
    try:
        hop = parse_hop(target)
        if port is not None:
            hop.port = _port(port)
    except SshArgsError:
        return None
    if user and not hop.user:
        hop.user = user
    return hop


def parse_ssh_args(text: str, into: SshArgs) -> None:
    """Read one argument string into ``into`` (values already there win, as ssh's first value does)."""
    try:
        words = split_words(text)
    except ValueError:
        raise SshArgsError("unbalanced quotes; the arguments are not read") from None
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if not w.startswith("-") or len(w) < 2:
            into.notes.append("an argument that is not an option is ignored")
            continue
        flag, value = w[1], w[2:]
        if flag not in _WITH_ARG:
            continue
        if not value:
            if i >= len(words):
                raise SshArgsError(f"-{flag} has no value")
            value = words[i]
            i += 1
        if flag == "o":
            key, _, val = value.replace("=", " ", 1).partition(" ")
            _option(into, key.strip(), val.strip())
        elif flag == "J":
            _option(into, "ProxyJump", value)
        elif flag == "i":
            into.key_files.append(value)
        elif flag == "p":
            _option(into, "Port", value)
        elif flag == "l":
            _option(into, "User", value)
        elif flag == "F":
            into.notes.append("-F names an ssh config file, which is not read")
        else:
            into.notes.append(f"-{flag} is not carried into XPipe")


def _option(into: SshArgs, key: str, value: str) -> None:
    low = key.lower()
    if low in ("proxyjump", "proxycommand"):
        if into._route_set:
            return
        into._route_set = True
        if low == "proxyjump":
            if value.lower() != "none":
                into.jump = [parse_hop(h) for h in value.split(",")]
            return
        if value.lower() == "none":
            return
        hop = parse_proxy_command(value)
        if hop is not None:
            into.jump = [hop]
        else:
            into.proxy_command = value
    elif low == "user":
        into.user = into.user or value
    elif low == "port":
        if into.port is None:
            into.port = _port(value)
    elif low == "identityfile":
        into.key_files.append(value)
    elif low and all(k != key for k, _ in into.options):
        into.options.append((key, value))
