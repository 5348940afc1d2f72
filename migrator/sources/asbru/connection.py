"""One Ásbrú SSH environment as the ``ssh`` command line Ásbrú would run for it.

``lib/asbru_conn`` (asbru-cm/asbru-cm a8be1add3f01) builds one shell command from the fields and runs
it: ``ssh [-p PORT] [-i "KEY" [-o "PreferredAuthentications=publickey"]] OPTIONS [-l USER] IP``,
with ``PORT > 0``, ``KEY`` the ``public key`` of a ``publickey`` connection, whose login user is then
``passphrase user`` (``user`` otherwise), and ``OPTIONS`` the ``options`` text as the SSH tab writes
it (`` -x -C -o "ForwardAgent=yes"``, ``lib/method/PACMethod_ssh.pm``). Through a jump server it runs
``ssh -F TMP.conf OPTIONS -J jumpserver server`` with a generated config whose ``Host server`` has
the connection's host, user, port and key and ``Host jumpserver`` the jump fields (``_setProxy``).
This module builds that same command line and reads it with OpenSSH's own rules
(``migrator.sources.openssh_args``), so what wins between a field and an option is what ssh decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from migrator.escape import clipped
from migrator.sources.asbru.tree import perl_true
from migrator.sources.numbers import whole_number
from migrator.sources.openssh_args import SshCommand, parse_ssh_command
from migrator.sources.shellwords import shell_split
from migrator.sources.ssh_config.jump import parse_hop

#: ``_cfgSanityCheck``: an ``-o "IdentityFile ..."`` in the options of an old (PAC) file is moved
#: to ``public key`` and the connection becomes ``publickey``.
#: A match starts where a run of blanks does (``(?<!\s)``): retrying from inside the run was quadratic in it.
_OLD_IDENTITY = re.compile(r'(?<!\s)\s+-o\s+"IdentityFile(\s+|\s*=\s*)(.+)"', re.IGNORECASE)
_SHELL_EXPANSION = re.compile(r"[$`]")
_INT = re.compile(r"\s*([-+]?[0-9]+)")

ASK_PASS = "<<ASK_PASS>>"


class CommandError(ValueError):
    """The command line Ásbrú would run cannot be read (the message names the field, never a value)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Login:
    """The resolved fields one command line is built from."""

    ip: str
    port: int
    user: str
    auth: str
    key: str
    fallback: bool
    options: str


@dataclass
class JumpServer:
    host: str
    port: int
    user: str
    key: str


@dataclass
class Route:
    """What ssh would do: the parsed command, and the jump hops as ``(host, port, user)``."""

    command: SshCommand
    hops: list[tuple[str, int | None, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def perl_int(value) -> int:
    """A Perl number from a string: the leading integer, 0 when there is none (``'abc' == 0``)."""
    m = _INT.match(str(value if value is not None else ""))
    return whole_number(m.group(1)) if m else 0


def migrate_identity_option(env: Mapping) -> tuple[str, str | None]:
    """The options without an old ``-o "IdentityFile ..."``, and that key file if there was one."""
    options = env.get("options")
    options = options if isinstance(options, str) else ""
    matches = list(_OLD_IDENTITY.finditer(options))
    if not matches:
        return options, None
    return _OLD_IDENTITY.sub("", options), matches[-1].group(2)


def split_options(options: str) -> list[str]:
    """The words of ``options`` as ``/bin/sh`` splits them (Expect spawns the command through a shell)."""
    try:
        return shell_split(options)
    except ValueError:
        raise CommandError(
            "not imported: the options have an unclosed quote, so ssh would not start", "options"
        ) from None


def shell_expansion(options: str) -> bool:
    """True when the shell would expand ``$...`` or backquotes in the options (never done here)."""
    return _SHELL_EXPANSION.search(options) is not None


def _auth_words(login: Login) -> list[str]:
    if login.auth == "publickey":
        words = ["-i", login.key] if perl_true(login.key) else []
        return words + ([] if login.fallback else ["-o", "PreferredAuthentications=publickey"])
    if not login.fallback:
        return ["-o", "PreferredAuthentications=password,keyboard-interactive"]
    return []


def direct_route(login: Login) -> Route:
    """``ssh [-p PORT] KEY OPTIONS [-l USER] IP`` read like ssh reads it."""
    words = (["-p", str(login.port)] if login.port > 0 else []) + _auth_words(login)
    words += split_options(login.options)
    words += (["-l", login.user] if perl_true(login.user) else []) + _split_ip(login.ip)
    return Route(_parse(words, "options"))


def jump_route(login: Login, jump: JumpServer) -> Route:
    """``ssh -F conf OPTIONS -J jumpserver server``, the two aliases filled from the generated config."""
    words = ["-F", "TMP.conf", *split_options(login.options), "-J", "jumpserver", "server"]
    cmd = _parse(words, "options")
    cmd.not_carried.remove("-F (an ssh config file, which is not read)")
    if cmd.host != "server" or cmd.jump is None or cmd.jump.last is None or cmd.jump.last.host != "jumpserver":
        raise CommandError("not imported: the options change the destination of the jump command", "options")
    if cmd.remote_command:
        raise CommandError("not imported: the options end the ssh options early (a '--' or a plain word)", "options")
    cmd.host = login.ip
    cmd.user = cmd.user if cmd.user is not None else (login.user or None)
    cmd.port = cmd.port if cmd.port is not None else (login.port if login.port > 0 else None)
    if login.auth == "publickey" and perl_true(login.key):
        cmd.identity_files.append(login.key)
    hop_user = cmd.jump.last.user or jump.user or None
    hop_port = cmd.jump.last.port or (jump.port if jump.port > 0 else None)
    route = Route(cmd, [(jump.host, hop_port, hop_user)])
    if perl_true(jump.key):
        route.notes.append(
            f"the jump server logs in with key file {clipped(jump.key, 200)}; give that key to the jump host in XPipe"
        )
    return route


def command_hops(cmd: SshCommand) -> list[tuple[str, int | None, str | None]]:
    """The hops of a ``-J``/``-o ProxyJump`` in the options, first hop first."""
    if cmd.jump is None or cmd.jump.none or cmd.jump.last is None:
        return []
    hops = []
    for text in cmd.jump.extra.split(",") if cmd.jump.extra is not None else []:
        spec = parse_hop(text)
        if spec is None:
            raise CommandError("not imported: a jump host in the options is not one ssh accepts", "options")
        hops.append((spec.host, spec.port, spec.user))
    last = cmd.jump.last
    return [*hops, (last.host, last.port, last.user)]


def _split_ip(ip: str) -> list[str]:
    """The host field lands unquoted in a shell command, so spaces split it into more words."""
    try:
        return shell_split(ip) or [""]
    except ValueError:
        raise CommandError("not imported: the host (ip) has an unclosed quote, so ssh would not start", "ip") from None


def _parse(words: list[str], fld: str) -> SshCommand:
    from migrator.sources.openssh_args import SshCommandError

    try:
        return parse_ssh_command(words)
    except SshCommandError as exc:
        raise CommandError(f"not imported: ssh would refuse the command Ásbrú runs: {exc}", fld) from None
