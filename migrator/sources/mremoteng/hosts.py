"""One mRemoteNG connection to one ``Host``: what PuTTY would be started with, field by field.

mRemoteNG starts ``putty -load SESSION -ssh -1|-2 -l USER -pwfile PIPE -P PORT HOSTNAME SSHOPTIONS``
[code: mRemoteNG ``Connection/Protocol/PuttyBase.cs``]: the values come from the resolved (inherited)
properties, ``SSHOptions`` can override them, and PuTTY itself splits a ``user@`` off the host name
and refuses port 0 ("Invalid Port Number") [code: PuTTY ``windows/window.c``]. Every entry that is
SSH but cannot be imported is held (its key is in ``SourceResult.held``); other protocols are
reported and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr, ValidationError

from migrator.model import Credentials, Host
from migrator.sources.mremoteng.crypto import DecryptError, ValueCipher, WorkExhausted
from migrator.sources.mremoteng.document import net_enum, net_int
from migrator.sources.mremoteng.sshoptions import PuttyArgs, parse_putty_args
from migrator.sources.mremoteng.tree import (
    ADDRESS_PROVIDERS,
    CONTAINER,
    CREDENTIAL_PROVIDERS,
    DEFAULT_PUTTY_SESSION,
    PROPERTIES,
    PROTOCOL_NAMES,
    SSH1,
    SSH2,
    Resolver,
    TreeNode,
)
from migrator.sources.putty.sessions import prepare_host
from migrator.sources.putty.source import ppk_message

#: Properties whose Inherit flag matters for an SSH connection (reported on top-level nodes).
SSH_PROPERTIES = (
    "Username",
    "Password",
    "Port",
    "Protocol",
    "PuttySession",
    "SSHOptions",
    "SSHTunnelConnectionName",
    "Description",
    "OpeningCommand",
    "ExternalCredentialProvider",
    "UserViaAPI",
)
_SINCE_27 = ("SSHOptions", "SSHTunnelConnectionName", "OpeningCommand")
_STALE_CHECKED = ("Username", "Port", "Protocol", "PuttySession", "SSHOptions", "SSHTunnelConnectionName")
_PROVIDER_NAMES = {1: "Delinea Secret Server", 2: "Clickstudios Passwordstate"}
_WORD = re.compile(r"[A-Za-z0-9_.+-]{1,40}")
_HOST_FIELDS = {"address": "Hostname", "port": "Port", "user": "Username", "name": "Name"}

Report = Callable[..., None]


@dataclass
class Built:
    """A connection that is SSH: its host (None when held) and the tunnel it names."""

    node: TreeNode
    key: str
    host: Host | None
    tunnel: str = ""
    tunnel_from: TreeNode | None = None


def inherited(node: TreeNode, source: TreeNode) -> str:
    return "" if source is node else f" (inherited from folder '{source.path}')"


def protocol_text(number: int | None, text: str | None) -> str:
    if number is not None:
        return PROTOCOL_NAMES[number]
    if text is None or not text.strip():
        return "no Protocol (mRemoteNG loads it as RDP)"
    shown = f"'{text.strip()}'" if _WORD.fullmatch(text.strip()) else "(not shown)"
    return f"Protocol {shown}, which mRemoteNG does not know (it loads it as RDP)"


class HostBuilder:
    """Builds hosts for one file; ``report(level, code, message, node, field=None)`` records diagnostics."""

    def __init__(self, resolver: Resolver, cipher: ValueCipher, report: Report, provenance):
        self.r = resolver
        self.cipher = cipher
        self.report = report
        self.provenance = provenance
        self._failed = False

    def _error(self, node: TreeNode, code: str, message: str, field: str | None) -> None:
        self._failed = True
        self.report("error", code, f"not imported: {message}", node, field)

    def is_ssh(self, node: TreeNode) -> bool:
        return self.r.protocol(node)[0] in (SSH1, SSH2)

    def build(self, node: TreeNode, key: str) -> Built | None:
        """The host of an SSH connection (``Built.host`` None: held), or None when it is not SSH."""
        number, text, psource = self.r.protocol(node)
        if number not in (SSH1, SSH2):
            target = (node.attr("Hostname") or "").strip()
            to = f" to '{target}'" if target and _WORD.fullmatch(target) else ""
            self.report(
                "warning",
                "not-ssh",
                f"not imported: {protocol_text(number, text)}{inherited(node, psource)}{to}",
                node,
                "Protocol",
            )
            return None
        args, options_from = self._ssh_options(node)
        if args.other_protocol:
            self.report(
                "warning",
                "not-ssh",
                f"not imported: SSHOptions{inherited(node, options_from)} switches PuTTY to {args.other_protocol}",
                node,
                "SSHOptions",
            )
            return None
        self._failed = False
        self._notes(node, number, psource)
        self._providers(node)
        host, at_user = self._address(node)
        port = self._port(node, args)
        user = self._user(node, args, at_user)
        creds = self._credentials(node, args)
        tunnel, tunnel_from = self.r.value(node, "SSHTunnelConnectionName")
        description, _ = self.r.value(node, "Description")
        if self._failed:
            return Built(node, key, None, tunnel.strip(), tunnel_from)
        name = node.name
        if not name.strip():
            name = host
            self.report("warning", "no-name", "the connection has no Name; its host name is used", node, "Name")
        try:
            built = Host(
                key=key,
                name=name,
                address=host,
                port=port,
                user=user or None,
                category=list(node.folder),
                credentials=creds,
                ssh_options=list(args.options),
                description=description or None,
                source=self.provenance(node),
            )
        except ValidationError as exc:
            err = exc.errors()[0] if exc.errors() else {"loc": ("",), "msg": str(exc)}
            loc = str(err["loc"][0]) if err["loc"] else ""
            self._error(node, "invalid-value", err["msg"].removeprefix("Value error, "), _HOST_FIELDS.get(loc, loc))
            return Built(node, key, None, tunnel.strip(), tunnel_from)
        return Built(node, key, built, tunnel.strip(), tunnel_from)

    # ---- the fields -----------------------------------------------------------------------------

    def _ssh_options(self, node: TreeNode) -> tuple[PuttyArgs, TreeNode]:
        text, source = self.r.value(node, "SSHOptions")
        if not text.strip():
            return PuttyArgs(), source
        args = parse_putty_args(text)
        for note in args.notes:
            self.report(
                note.level, note.code, f"SSHOptions{inherited(node, source)}: {note.message}", node, "SSHOptions"
            )
        if args.agent:
            self.report("info", "ssh-options", "SSHOptions -agent: Pageant is used", node, "SSHOptions")
        return args, source

    def _notes(self, node: TreeNode, number: int, psource: TreeNode) -> None:
        r = self.r
        unread = [a for a in _SINCE_27 if not r.readable(a) and (node.attr(a) or "").strip()]
        if unread:
            self.report(
                "warning",
                "not-read",
                f"{', '.join(unread)} {'is' if len(unread) == 1 else 'are'} read by mRemoteNG only from "
                f"ConfVersion 2.7 (this file is {r.version:g}); ignored",
                node,
                unread[0],
            )
        if node.parent is None:
            self.top_level_flags(node)
        stale = []
        for prop in _STALE_CHECKED:
            attribute = PROPERTIES[prop][0]
            value, source = r.value(node, prop)
            own = node.attr(attribute)
            if source is not node and r.readable(prop) and own and own.strip() and own != value:
                stale.append(attribute)
        _, source = r.value(node, "Password")
        if source is not node and (node.attr("Password") or "").strip():
            stale.append("Password")
        if stale:
            self.report(
                "info",
                "stale-inherited",
                f"its own {', '.join(stale)} {'is' if len(stale) == 1 else 'are'} ignored: inherited from its "
                "folder, as mRemoteNG does",
                node,
                stale[0],
            )
        if number == SSH1:
            self.report(
                "warning",
                "ssh1",
                f"SSH1 connection{inherited(node, psource)}: OpenSSH no longer speaks SSH-1; imported as SSH-2",
                node,
                "Protocol",
            )
        session, source = r.value(node, "PuttySession")
        if session.strip() and session.strip().lower() != DEFAULT_PUTTY_SESSION.lower():
            self.report(
                "warning",
                "putty-session",
                f"uses the PuTTY saved session '{session.strip()}'{inherited(node, source)}: its key file, proxy "
                "and other settings live in the PuTTY registry of the Windows machine and are not imported "
                "(read them with the putty source from a .reg export, or set them in XPipe)",
                node,
                "PuttySession",
            )
        command, source = r.value(node, "OpeningCommand")
        if command.strip():
            self.report(
                "warning",
                "opening-command",
                f"OpeningCommand{inherited(node, source)} (typed after login) is not imported: XPipe has no such "
                "field (not shown)",
                node,
                "OpeningCommand",
            )
        domain, source = r.value(node, "Domain")
        if domain.strip():
            self.report(
                "info", "domain", "Domain is not used by SSH connections (mRemoteNG ignores it too)", node, "Domain"
            )

    def top_level_flags(self, node: TreeNode) -> None:
        """Inherit flags on a node directly under the root do nothing in 1.77 (1.76 took the root's defaults)."""
        flags = [self.r.flag_text(node, p)[0] for p in SSH_PROPERTIES if self.r.flag(node, p)]
        if flags:
            what = "folder" if node.kind == CONTAINER else "connection"
            self.report(
                "info",
                "top-level-inherit",
                f"{', '.join(dict.fromkeys(flags))} on a top-level {what} has no effect: mRemoteNG 1.77 inherits "
                "only from folders, so its own values are used",
                node,
                flags[0],
            )

    def _providers(self, node: TreeNode) -> None:
        if self.r.version >= 2.7:
            address = net_enum(node.attr("ExternalAddressProvider"), ADDRESS_PROVIDERS) or 0
            if address == ADDRESS_PROVIDERS["AmazonWebServices"]:
                instance = (node.attr("EC2InstanceId") or "").strip()
                region = (node.attr("EC2Region") or "").strip()
                shown = ", ".join(
                    f"{k} '{v}'" for k, v in (("instance", instance), ("region", region)) if _WORD.fullmatch(v)
                )
                self._error(
                    node,
                    "external-address",
                    f"its address is looked up in AWS EC2 when it connects ({shown or 'no instance given'}); "
                    "set the address in XPipe",
                    "ExternalAddressProvider",
                )
        text, source = self.r.value(node, "ExternalCredentialProvider")
        provider = net_enum(text, CREDENTIAL_PROVIDERS) or 0
        if provider in _PROVIDER_NAMES:
            self._error(
                node,
                "external-credentials",
                f"its user and password come from {_PROVIDER_NAMES[provider]}{inherited(node, source)} when it "
                "connects; set the credentials in XPipe",
                "ExternalCredentialProvider",
            )

    def _address(self, node: TreeNode) -> tuple[str, str | None]:
        raw = (node.attr("Hostname") or "").strip() if self.r.version >= 0.2 else ""
        host, at_user, dropped = prepare_host(raw)
        if not host:
            self._error(node, "no-host", "the connection has no Hostname", "Hostname")
            return "", None
        if dropped:
            self.report(
                "warning",
                "host-suffix",
                "Hostname ends in a ':' suffix, which PuTTY discards (it is not the port)",
                node,
                "Hostname",
            )
        if at_user is not None:
            self.report("info", "host-user", "Hostname holds user@host: PuTTY logs in as that user", node, "Hostname")
        return host, at_user

    def _port(self, node: TreeNode, args: PuttyArgs) -> int:
        if args.port_invalid:
            self._error(node, "invalid-port", "SSHOptions -P is not a port number 1-65535", "SSHOptions")
            return 0
        if args.port is not None:
            return args.port
        text, source = self.r.value(node, "Port")
        number = net_int(text)
        where = inherited(node, source)
        if number is None and text.strip():
            self._error(
                node,
                "invalid-port",
                f"Port{where} is not a number (mRemoteNG reads it as 0, and PuTTY refuses port 0)",
                "Port",
            )
        elif not number:
            self._error(node, "invalid-port", f"Port{where} is 0 or missing: PuTTY refuses port 0", "Port")
        elif not 1 <= number <= 65535:
            self._error(node, "invalid-port", f"Port {number}{where} is outside 1-65535", "Port")
        else:
            return number
        return 0

    def _user(self, node: TreeNode, args: PuttyArgs, at_user: str | None) -> str:
        if at_user is not None:
            return at_user
        if args.user is not None:
            return args.user
        text, _ = self.r.value(node, "Username")
        return text.strip()

    def _credentials(self, node: TreeNode, args: PuttyArgs) -> Credentials:
        creds = Credentials()
        if args.password is not None:
            creds.password = SecretStr(args.password) if args.password else None
        else:
            text, source = self.r.value(node, "Password")
            try:
                plain = self.cipher.decrypt(text)
            except DecryptError as exc:
                code = "kdf-budget" if isinstance(exc, WorkExhausted) else "undecryptable"
                self._error(node, code, f"its Password{inherited(node, source)} {exc}", "Password")
                plain = ""
            creds.password = SecretStr(plain) if plain else None
        if args.key_file:
            creds.key_files.append(args.key_file)
            if args.key_file.casefold().endswith(".ppk"):
                self.report("warning", "ppk-key", ppk_message(args.key_file), node, "SSHOptions")
        if args.certificate:
            creds.certificate_files.append(args.certificate)
        if args.agent:
            creds.agent = "pageant"
        return creds
