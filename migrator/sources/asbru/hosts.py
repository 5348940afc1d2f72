"""From one Ásbrú environment to a ``Host``: method, login, credentials, jump route and options.

Field names and defaults follow ``_cfgSanityCheck`` in ``lib/PACUtils.pm`` and their use in
``lib/asbru_conn`` (asbru-cm/asbru-cm a8be1add3f01): ``method`` defaults to ``SSH`` and is normalised
(any value containing ``ssh`` is SSH); ``port`` 0 means no ``-p``; ``auth type`` is ``userpass``
(``user`` + ``pass``), ``publickey`` (``passphrase user`` + ``public key`` + ``passphrase``) or
``manual`` (nothing sent); ``auth fallback`` 0 adds a ``PreferredAuthentications``; ``use proxy`` is
0 (the global setting ``defaults/proxy``: ``Jump`` or ``Proxy``), 1 (this connection's SOCKS
proxy), 2 (none) or 3 (this connection's ``jump ip``/``jump port``/``jump user``/``jump key``;
``pseudo jump`` logs in to the jump server and runs ssh there, the same route). ``pass``,
``passphrase`` and hidden variables are encrypted (``crypto``); ``jump pass`` is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr, ValidationError

from migrator.model import Credentials, Host, JumpHop, validate_address
from migrator.sources.ansible.yaml_scalars import Unsupported
from migrator.sources.asbru.connection import (
    ASK_PASS,
    CommandError,
    JumpServer,
    Login,
    Route,
    command_hops,
    direct_route,
    jump_route,
    migrate_identity_option,
    perl_int,
    shell_expansion,
)
from migrator.sources.asbru.crypto import NotDecryptable, reveal
from migrator.sources.asbru.placeholders import Context, keepass_reference, substitute
from migrator.sources.asbru.tree import perl_list, perl_scalar, perl_true

SSH, SFTP = "SSH", "SFTP"
#: ``_cfgSanityCheck``'s renames, applied in its order; each test is case-sensitive, as its regexes are.
_RENAMES = (
    (lambda m: "ssh" in m, SSH),
    (lambda m: "sftp" in m, SFTP),
    (lambda m: "telnet" in m, "Telnet"),
    (lambda m: "ftp" in m, "FTP"),
    (lambda m: m.endswith("cu"), "Serial (cu)"),
    (lambda m: "remote-tty" in m, "Serial (remote-tty)"),
    (lambda m: "3270" in m, "IBM 3270/5250"),
    (lambda m: m == "RDP (Windows)", "RDP (rdesktop)"),
    (lambda m: "vncviewer" in m, "VNC"),
    (lambda m: "generic" in m, "Generic Command"),
)


class EntryError(ValueError):
    """An SSH environment that cannot be imported: the message and the field, never a value."""

    def __init__(self, message: str, field: str | None = None, level: str = "error"):
        super().__init__(message)
        self.field = field
        self.level = level


@dataclass
class Note:
    level: str
    code: str
    message: str
    field: str | None = None


def method_of(env: Mapping) -> str:
    """``method`` as ``_cfgSanityCheck`` leaves it (``//= 'SSH'``, then the ``=~ /ssh/`` renames)."""
    method = env.get("method")
    method = method if isinstance(method, str) else SSH
    for test, name in _RENAMES:
        if test(method):
            method = name
    return method


def text(env: Mapping, key: str, default: str = "") -> str:
    value = env.get(key)
    if value is None:
        return default
    if isinstance(value, Unsupported):
        raise EntryError(f"not imported: '{key}' is a value the YAML reader does not take ({value.reason})", key)
    if isinstance(value, (dict, list)):
        raise EntryError(f"not imported: '{key}' is not a text value", key)
    return str(value)


class HostBuilder:
    """Builds hosts for one file: its global variables, jump settings and KeePass use."""

    def __init__(self, defaults: Mapping, globals_: dict[str, str], export: bool):
        self.defaults = defaults
        self.globals = globals_
        self.export = export
        keepass = defaults.get("keepass")
        self.keepass = isinstance(keepass, Mapping) and perl_true(keepass.get("use_keepass"))

    def build(self, uuid: str, env: Mapping, folder: list[str], key: str, provenance, notes: list[Note]) -> Host:
        name = text(env, "name").strip()
        if self.export and name.endswith(" - copy"):
            name = name[: -len(" - copy")]  # __dupNodes appends it to every exported node
        options, old_key = migrate_identity_option(env)
        auth = text(env, "auth type") or ("manual" if perl_true(env.get("manual")) else "userpass")
        if old_key is not None:
            auth = "publickey"
        ctx = Context(
            {"UUID": uuid, "NAME": name, "TITLE": text(env, "title", name)}, self.globals, self._variables(env)
        )
        ip = self._field(env, "ip", ctx, notes, required=True)
        ctx.local["IP"] = ip
        port_text = self._field(env, "port", ctx, notes, required=True, default="22")
        port = perl_int(port_text) if port_text.strip() else 0
        if not 0 <= port <= 65535 or (port_text.strip() and not port_text.strip().isdigit()):
            raise EntryError("not imported: the port is not a number from 0 to 65535", "port")
        ctx.local["PORT"] = str(port)
        user_field, secret_field = ("passphrase user", "passphrase") if auth == "publickey" else ("user", "pass")
        user = self._login_field(env, user_field, ctx, notes)
        ctx.local["USER"] = user
        creds = Credentials()
        if auth == "publickey":
            key_file = old_key if old_key is not None else text(env, "public key")
            if perl_true(key_file):
                creds.key_files.append(key_file)
            passphrase = self._secret(env, "passphrase", ctx, notes)
            if passphrase:
                creds.key_passphrase = SecretStr(passphrase)
        elif auth == "userpass":
            password = self._secret(env, "pass", ctx, notes)
            if password == ASK_PASS:
                creds.password_prompt = True
            elif password:
                creds.password = SecretStr(password)
        elif auth == "manual":
            notes.append(
                Note("info", "manual-login", "the login is typed by hand in Ásbrú (auth type manual)", "auth type")
            )
        else:
            raise EntryError("not imported: 'auth type' is not userpass, publickey or manual", "auth type")
        if shell_expansion(options):
            notes.append(
                Note(
                    "warning",
                    "shell-expansion",
                    "the options use $ or backquotes, which the shell would expand; kept as written",
                    "options",
                )
            )
        login = Login(ip, port, user, auth, key_file if auth == "publickey" else "", self._fallback(env), options)
        route = self._route(env, login, ctx, notes)
        cmd = route.command
        for item in cmd.not_carried:
            notes.append(
                Note("warning", "option-not-carried", f"{item} in the options is not carried into XPipe", "options")
            )
        if cmd.not_a_session:
            raise EntryError(
                f"not imported: its options make ssh do {cmd.not_a_session[0]} instead of connecting",
                "options",
                "warning",
            )
        if cmd.remote_command:
            notes.append(
                Note(
                    "warning", "remote-command", "the options end in a remote command, which is not imported", "options"
                )
            )
        if cmd.proxy_command not in (None, "none"):
            notes.append(
                Note(
                    "warning",
                    "proxy-command",
                    "a ProxyCommand in the options is not imported (it runs a command)",
                    "options",
                )
            )
        creds.key_files.extend(f for f in cmd.identity_files if f not in creds.key_files)
        try:
            jump = [JumpHop(host=validate_address(h), port=p, user=u) for h, p, u in route.hops]
        except (ValueError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) and exc.errors() else str(exc)
            raise EntryError(
                f"not imported: its jump host's {reason.removeprefix('Value error, ')}", "jump ip"
            ) from None
        for message in route.notes:
            notes.append(Note("warning", "jump-key", message, "jump key"))
        if not cmd.address:
            raise EntryError("not imported: the host (ip) is empty", "ip")
        description = text(env, "description")
        if description == f"Connection with '{text(env, 'name')}'":
            description = ""  # the default _cfgSanityCheck writes
        try:
            return Host(
                key=key,
                name=name,
                address=cmd.address,
                port=cmd.port or 22,
                user=cmd.user or None,
                category=folder,
                credentials=creds,
                jump=jump,
                ssh_options=[(k, v) for k, v in cmd.options if k.lower() not in ("user", "port", "hostname")],
                description=description.strip() or None,
                source=provenance,
            )
        except ValidationError as exc:
            err = exc.errors()[0] if exc.errors() else {"loc": ("",), "msg": "invalid"}
            loc = str(err["loc"][0]) if err["loc"] else ""
            fld = {"address": "ip", "port": "port", "user": user_field, "name": "name"}.get(loc, loc)
            raise EntryError(f"not imported: {err['msg'].removeprefix('Value error, ')}", fld) from None

    # ---- fields ---------------------------------------------------------------------------------

    @staticmethod
    def _variables(env: Mapping) -> list[str | None]:
        """``<V:n>`` values by index; None for one that cannot be read (its placeholder stays unresolved)."""
        out: list[str | None] = []
        for item in perl_list(env.get("variables")):
            if isinstance(item, Mapping):
                if not perl_scalar(item.get("txt")):
                    out.append(None)
                    continue
                value = "" if item.get("txt") is None else str(item.get("txt"))
                if perl_true(item.get("hide")):
                    try:
                        value = reveal(value)
                    except NotDecryptable:
                        value = ""
                out.append(value)
            else:
                out.append(("" if item is None else str(item)) if perl_scalar(item) else None)
        return out

    def _field(self, env, key, ctx, notes, *, required=False, default="") -> str:
        resolved = substitute(text(env, key, default), ctx)
        if not resolved.complete:
            raise EntryError(f"not imported: '{key}' uses a {resolved.unresolved[0]}", key)
        return resolved.text

    def _login_field(self, env, key, ctx, notes) -> str:
        """The login user: KeePass-resolved when KeePass is on (then never substituted), else substituted."""
        raw = text(env, key)
        if self.keepass and keepass_reference(raw):
            notes.append(Note("warning", "keepass", f"'{key}' is a KeePass reference; no user is set", key))
            return ""
        if self.keepass:
            return raw
        resolved = substitute(raw, ctx)
        if not resolved.complete:
            notes.append(Note("warning", "unresolved", f"'{key}' uses a {resolved.unresolved[0]}; no user is set", key))
            return ""
        return resolved.text

    def _secret(self, env, key, ctx, notes) -> str:
        try:
            raw = reveal(text(env, key))
        except NotDecryptable as exc:
            raise EntryError(f"not imported: '{key}' cannot be decrypted: {exc}", key) from None
        if raw in ("", ASK_PASS):
            return raw
        if keepass_reference(raw):
            notes.append(Note("warning", "keepass", f"'{key}' is a KeePass reference; it is not imported", key))
            return ""
        if self.keepass:
            return raw
        resolved = substitute(raw, ctx)
        if "<ASK:...> value Ásbrú asks for when connecting" in resolved.unresolved and len(resolved.unresolved) == 1:
            notes.append(Note("info", "asked", f"'{key}' is asked for when connecting; XPipe will ask too", key))
            return ASK_PASS
        if not resolved.complete:
            notes.append(
                Note("warning", "unresolved", f"'{key}' uses a {resolved.unresolved[0]}; it is not imported", key)
            )
            return ""
        return resolved.text

    @staticmethod
    def _fallback(env: Mapping) -> bool:
        value = env.get("auth fallback")
        return True if value is None else perl_true(value)

    def _route(self, env, login: Login, ctx: Context, notes: list[Note]) -> Route:
        use_proxy = perl_int(env.get("use proxy"))
        try:
            if use_proxy == 3:
                jump = self._jump(env, "this connection's", ctx, notes)
            elif use_proxy == 0 and text(self.defaults, "proxy") == "Jump":
                jump = self._jump(self.defaults, "the global", ctx, notes)
            else:
                jump = None
                if use_proxy == 1 or (use_proxy == 0 and text(self.defaults, "proxy") == "Proxy"):
                    which = "its own" if use_proxy == 1 else "the global"
                    notes.append(
                        Note(
                            "warning",
                            "socks-proxy",
                            f"connects through {which} SOCKS proxy, which is not imported",
                            "use proxy",
                        )
                    )
            if jump is None:
                route = direct_route(login)
                route.hops = command_hops(route.command)
                return route
            if perl_true(env.get("pseudo jump")):
                notes.append(
                    Note(
                        "info",
                        "pseudo-jump",
                        "a pseudo jump (ssh run on the jump server) is imported as a jump host",
                        "pseudo jump",
                    )
                )
                route = direct_route(login)
                if route.command.jump is not None:
                    raise CommandError("not imported: the options name a second jump route", "options")
                route.hops = [(jump.host, jump.port if jump.port > 0 else None, jump.user or None)]
                return route
            return jump_route(login, jump)
        except CommandError as exc:
            raise EntryError(str(exc), exc.field) from None
        except ValueError:
            raise EntryError("not imported: a jump host is not a valid host name or address", "jump ip") from None

    def _jump(self, source: Mapping, which: str, ctx: Context, notes: list[Note]) -> JumpServer:
        host = self._field(source, "jump ip", ctx, notes)
        if not host.strip():
            raise EntryError(f"not imported: it uses {which} jump server, which has no 'jump ip'", "jump ip")
        port = perl_int(self._field(source, "jump port", ctx, notes, default="22"))
        if not 0 <= port <= 65535:
            raise EntryError(f"not imported: {which} 'jump port' is not a port", "jump port")
        user = self._field(source, "jump user", ctx, notes)
        if text(source, "jump pass"):
            notes.append(
                Note(
                    "warning",
                    "jump-password",
                    f"{which} jump server password is not imported; set it on the jump host in XPipe",
                    "jump pass",
                )
            )
        return JumpServer(host.strip(), port, user.strip(), text(source, "jump key"))
