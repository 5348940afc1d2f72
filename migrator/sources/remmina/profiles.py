"""One Remmina SSH (or SFTP) profile -> a ``Host``.

Verified in FreeRDP/Remmina at bb33690d870e:

* ``src/remmina_ssh_plugin.c``: the SSH plugin's settings are ``server``, ``ssh_auth`` (0 password,
  1 SSH identity file, 2 SSH agent, 3 public key (automatic), 4 Kerberos (GSSAPI), 5 keyboard
  interactive), ``username``, ``password``, ``ssh_privatekey``, ``ssh_certfile``,
  ``ssh_passphrase``, ``ssh_proxycommand``, ``ssh_kex_algorithms``, ``ssh_ciphers``,
  ``ssh_hostkeytypes``, ``ssh_forward_x11``, ``ssh_compression``, ``disablepasswordstoring``; the
  SFTP plugin (``src/remmina_sftp_plugin.c``) has the same connection settings.
* ``src/remmina_ssh.c`` ``remmina_ssh_init_from_file``/``remmina_ssh_auth_gui``: the password of
  auth 0 and 5 is ``password``, the key passphrase of auth 1-3 is ``ssh_passphrase``; an empty
  ``server`` means localhost; the tunnel reads the same settings with ``ssh_tunnel_`` in front.
* ``remmina_plugin_ssh_main_thread`` calls ``protocol_plugin_start_direct_tunnel``
  (``src/remmina_protocol_widget.c``): with ``ssh_tunnel_enabled`` the SSH connection itself goes
  through an SSH tunnel to ``ssh_tunnel_server`` (port 22 by default; empty: the profile's own host
  at port 22), which forwards to ``server``, or to 127.0.0.1 on the tunnel host with
  ``ssh_tunnel_loopback``. That is a jump host.
* ``src/remmina_file_manager.c`` ``remmina_file_manager_add_group``: ``group`` is a folder path
  separated by ``/``. ``src/remmina_main.c``: ``notes_text`` is URI-escaped.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from migrator.model import Credentials, Host, JumpHop, validate_address
from migrator.sources.remmina.settings import BadServer, Settings, parse_server, setting_value

AUTH_PASSWORD, AUTH_KEY, AUTH_AGENT, AUTH_AUTO, AUTH_GSSAPI, AUTH_KBD = range(6)
AUTH_NAMES = {
    AUTH_PASSWORD: "password",
    AUTH_KEY: "SSH identity file",
    AUTH_AGENT: "SSH agent",
    AUTH_AUTO: "public key (automatic)",
    AUTH_GSSAPI: "Kerberos (GSSAPI)",
    AUTH_KBD: "keyboard interactive",
}
#: (setting, ssh_config keyword) carried as ssh options when set
_TEXT_OPTIONS = (
    ("ssh_kex_algorithms", "KexAlgorithms"),
    ("ssh_ciphers", "Ciphers"),
    ("ssh_hostkeytypes", "HostKeyAlgorithms"),
)


@dataclass
class Profile:
    """A profile file that Remmina would list (it has ``name`` in ``[remmina]``)."""

    file: Path
    shown: str
    settings: Settings
    name: str
    key: str
    category: list[str]
    protocol: str
    pref: Path | None = None
    #: settings whose stored value was decrypted: setting -> password
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def entry(self) -> str:
        return "/".join([*self.category, self.name])


def secret_setting(settings: Settings, *, tunnel: bool = False) -> str | None:
    """The encrypted setting the chosen authentication reads (``remmina_ssh_auth_gui``)."""
    prefix = "ssh_tunnel_" if tunnel else ""
    auth = settings.get_int(f"{prefix}auth" if tunnel else "ssh_auth", 0)
    if auth in (AUTH_PASSWORD, AUTH_KBD):
        return "ssh_tunnel_password" if tunnel else "password"
    if auth == AUTH_KEY:
        return "ssh_tunnel_passphrase" if tunnel else "ssh_passphrase"
    return None


def category_of(group: str | None) -> list[str]:
    return [part for part in (group or "").split("/") if part.strip()]


class ProfileMapper:
    """Builds the ``Host`` of one profile; every problem is a diagnostic on ``diags``."""

    def __init__(self, diag, provenance):
        self._diag = diag
        self._provenance = provenance

    def diag(self, p: Profile, level: str, code: str, message: str, setting: str | None = None) -> None:
        line = p.settings.line(setting) if setting else p.settings.line("name")
        self._diag(level, code, message, line=line, field=setting, entry=p.entry, file=p.shown)

    def host(self, p: Profile, hops: list[JumpHop] | None) -> Host | None:
        s = p.settings
        target = s.get("server")
        if target is None:
            self.diag(
                p,
                "error",
                "no-host",
                "not imported: the server is empty (Remmina would connect to localhost)",
                "server",
            )
            return None
        try:
            address, port = parse_server(target, 22)
        except BadServer as exc:
            self.diag(p, "error", "invalid-server", f"not imported: the server cannot be read: {exc}", "server")
            return None
        if port == 0:
            self.diag(p, "error", "invalid-port", "not imported: the server's port is 0", "server")
            return None
        if hops and s.get_int("ssh_tunnel_loopback", 0):
            address = "127.0.0.1"
            self.diag(
                p,
                "info",
                "tunnel-loopback",
                "the tunnel forwards to 127.0.0.1 on the tunnel host (ssh_tunnel_loopback): imported as "
                "127.0.0.1 through the jump host",
                "ssh_tunnel_loopback",
            )
        creds = self.credentials(p)
        if creds is None:
            return None
        options: list[tuple[str, str]] = []
        if s.get_int("ssh_forward_x11", 0):
            options.append(("ForwardX11", "yes"))
        if s.get_int("ssh_compression", 0) == 1:
            options.append(("Compression", "yes"))
        for setting, keyword in _TEXT_OPTIONS:
            if s.get(setting):
                options.append((keyword, s.get(setting)))
        for setting in ("exec", "run_line"):
            if s.get(setting):
                self.diag(
                    p, "info", "command-not-carried", "a command Remmina runs is not carried (never run)", setting
                )
        if p.protocol == "SFTP":
            self.diag(p, "info", "sftp-as-ssh", "SFTP profile imported as an SSH host (include_sftp)", "protocol")
        try:
            return Host(
                key=p.key,
                name=p.name,
                address=address,
                port=port,
                user=s.get("username"),
                category=p.category,
                credentials=creds,
                jump=hops or [],
                ssh_options=options,
                proxy_command=s.get("ssh_proxycommand"),
                description=self.notes(p),
                source=self._provenance(line=s.line("name"), file=p.shown),
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = str(err["loc"][0]) if err["loc"] else ""
            names = {"address": "server", "port": "server", "user": "username", "name": "name"}
            message = err["msg"].removeprefix("Value error, ")
            self.diag(p, "error", "invalid-value", f"not imported: {message}", names.get(loc, loc) or None)
            return None

    def notes(self, p: Profile) -> str | None:
        raw = p.settings.get("notes_text")
        if raw is None:
            return None
        try:
            text = urllib.parse.unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            self.diag(p, "warning", "bad-notes", "the notes are not UTF-8 once unescaped; left out", "notes_text")
            return None
        return text.strip() or None

    def credentials(self, p: Profile) -> Credentials | None:
        s = p.settings
        auth = s.get_int("ssh_auth", 0)
        if auth not in AUTH_NAMES:
            self.diag(
                p,
                "error",
                "invalid-auth",
                f"not imported: ssh_auth {auth} is not a Remmina SSH authentication",
                "ssh_auth",
            )
            return None
        kw: dict = {}
        secret = secret_setting(s)
        if auth == AUTH_KEY:
            key = s.get("ssh_privatekey")
            if key:
                kw["key_files"] = [key]
            else:
                self.diag(
                    p,
                    "info",
                    "default-identity",
                    "no identity file is set: Remmina uses the first default key in ~/.ssh, XPipe uses ssh's defaults",
                    "ssh_privatekey",
                )
            if s.get("ssh_certfile"):
                kw["certificate_files"] = [s.get("ssh_certfile")]
        elif auth == AUTH_AGENT:
            kw["agent"] = "openssh"
        elif auth == AUTH_AUTO:
            self.diag(
                p,
                "info",
                "auto-public-key",
                "public key (automatic): XPipe uses ssh's default keys and agent",
                "ssh_auth",
            )
        elif auth == AUTH_GSSAPI:
            self.diag(
                p,
                "warning",
                "gssapi",
                "Kerberos (GSSAPI) authentication is not carried; XPipe uses ssh's defaults",
                "ssh_auth",
            )
        if secret is not None:
            asks = auth in (AUTH_PASSWORD, AUTH_KBD)
            state, _ = setting_value(s, secret)
            if state == "keyring":
                self.diag(
                    p,
                    "warning",
                    "keyring-password",
                    f"the {_what(secret)} is kept in the desktop keyring (libsecret schema org.remmina.Password, "
                    f"key {secret}), not in the file; it is not read: XPipe will ask for it",
                    secret,
                )
                kw["password_prompt"] = asks
            elif state == "unset":
                kw["password_prompt"] = asks
            elif secret in p.secrets:
                kw["key_passphrase" if auth == AUTH_KEY else "password"] = p.secrets[secret]
        return Credentials(**kw)

    def tunnel_hop(self, p: Profile, imported: dict[tuple[str, int, str | None], Profile]) -> JumpHop | None | bool:
        """The jump hop of an enabled SSH tunnel; None when there is none, False when unusable."""
        s = p.settings
        if not s.get_int("ssh_tunnel_enabled", 0):
            return None
        raw = s.get("ssh_tunnel_server")
        try:
            if raw:
                host, port = parse_server(raw, 22)
            else:
                host, _ = parse_server(s.get("server") or "localhost", 22)
                port = 22
            host = validate_address(host)
        except (BadServer, ValueError) as exc:
            self.diag(
                p,
                "error",
                "invalid-tunnel",
                f"not imported: the SSH tunnel server cannot be read: {exc}",
                "ssh_tunnel_server",
            )
            return False
        if not 1 <= port <= 65535:
            self.diag(
                p, "error", "invalid-tunnel", "not imported: the SSH tunnel server's port is 0", "ssh_tunnel_server"
            )
            return False
        user = s.get("ssh_tunnel_username")
        match = imported.get((host.lower(), port, user)) or (
            imported.get((host.lower(), port, None)) if user is None else None
        )
        if match is not None and match.key != p.key:
            return JumpHop(host=host, port=port, user=user, ref=match.name, ref_key=match.key)
        carried = []
        secret = secret_setting(s, tunnel=True)
        if secret and setting_value(s, secret)[0] != "unset":
            carried.append(_what(secret))
        if s.get_int("ssh_tunnel_auth", 0) == AUTH_KEY and s.get("ssh_tunnel_privatekey"):
            carried.append("identity file")
        if carried:
            self.diag(
                p,
                "warning",
                "tunnel-credentials",
                f"the SSH tunnel's {' and '.join(carried)} cannot be carried (no SSH profile in this folder is that "
                "tunnel host): XPipe reaches the jump host with ssh's defaults; add it as its own SSH profile to "
                "carry them",
                "ssh_tunnel_auth",
            )
        if s.get("ssh_tunnel_proxycommand"):
            self.diag(
                p,
                "warning",
                "tunnel-proxy-command",
                "the tunnel's proxy command is not carried",
                "ssh_tunnel_proxycommand",
            )
        return JumpHop(host=host, port=port, user=user)


def _what(setting: str) -> str:
    return "key passphrase" if setting.endswith("passphrase") else "password"
