"""WinSCP sites from a portable ``WinSCP.ini``.

Sites are the ``[Sessions\\<name>]`` sections; ``/`` in a name separates folders. SCP and SFTP sites
become SSH hosts; FTP, WebDAV and S3 sites are reported and skipped, and so are workspaces
(``IsWorkspace=1``), hidden sites and the ``Default Settings`` template. A tunnel (``Tunnel=1``)
becomes a jump hop: it refers to a saved SSH site with the same host, port and user when there is
one, otherwise it is a hop of its own whose password and key are reported as not carried.
Obfuscated passwords are decoded; master-password encrypted ones need the master password.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr, ValidationError

from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult, validate_address
from migrator.sources.base import FileSource, TextCodec
from migrator.sources.limits import read_source_bytes
from migrator.sources.secrets import SecretOptions, source_secret
from migrator.sources.winscp import decode_file

if TYPE_CHECKING:  # the readers are imported when a file is read, so detecting other formats stays cheap
    from migrator.sources.winscp.ini import Section
    from migrator.sources.winscp.passwords import Outcome
    from migrator.sources.winscp.sites import Site

DEFAULT_SETTINGS = "Default Settings"
HIDDEN_PREFIX = "_!_"
_SESSIONS = "sessions\\"
_FIELDS = {"address": "HostName", "port": "PortNumber", "user": "UserName", "name": "site name"}


class WinScpOptions(SecretOptions):
    #: Windows ANSI code page of values written without a UTF-8 marker (older WinSCP versions)
    codepage: TextCodec = "cp1252"


class WinScpSource(FileSource):
    """WinSCP sites from ``WinSCP.ini``.

    Options: ``codepage`` (the ANSI code page of values stored without WinSCP's UTF-8 marker, default
    ``cp1252``) and ``password_file`` (the WinSCP master password, only for files that use one).
    """

    format = "winscp"
    summary = "WinSCP sites from a portable WinSCP.ini"
    Options = WinScpOptions

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(location, options, key_location=key_location, **raw)
        self._diags: list[Diagnostic] = []

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 0
        text, _ = decode_file(head, "cp1252")
        has_sites = any(line.strip().casefold().startswith("[sessions\\") for line in text.splitlines()[:2000])
        if path.name.casefold() == "winscp.ini":
            return 95
        return 90 if has_sites else 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = folder / "WinSCP.ini"
        path.write_text(
            "[Sessions\\Servers/web01]\r\nHostName=web01.example.net\r\nUserName=deploy\r\nFSProtocol=2\r\n"
            "Note=web%20server\r\n\r\n[Configuration\\Interface]\r\nRandomSeedFile=%25APPDATA%25%5Cwinscp.rnd\r\n",
            encoding="ascii",
        )
        return path.as_posix()

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.winscp.ini import parse_sections

        self._diags = []
        codepage = self.options.codepage
        text, warning = decode_file(read_source_bytes(self.path, self.display_path), codepage)
        if warning:
            self._diag("warning", "encoding", warning + " (set the codepage option if names look wrong)")
        sections, bad = parse_sections(text)
        if bad:
            more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
            self._diag("warning", "ini-syntax", f"not a [section] or Name=Value line{more}; ignored", line=bad[0])
        for s in sections:
            for name, line in s.repeats:
                what = "the section appears again" if name == "[section]" else f"{name} appears again in its section"
                self._diag("warning", "repeated", f"{what}; WinSCP reads the first one, so this is ignored", line=line)
        sites = self._sites(sections, codepage)
        if not sites:
            self._diag("warning", "no-sessions", "no [Sessions\\...] sections: the file holds no sites")
        keys = self._keys(sites)
        held: set[str] = set()
        ssh: list[Site] = [s for s in sites if self._is_ssh_site(s, keys[id(s)], held)]
        passwords = self._passwords(ssh, keys, sections, held)
        hosts: dict[str, Host] = {}
        for site in ssh:
            key = keys[id(site)]
            if key in held:
                continue
            host = self._host(site, key, passwords)
            if host is None:
                held.add(key)
            else:
                hosts[key] = host
        self._tunnels(ssh, keys, hosts, held)
        for site in ssh:  # numbers WinSCP would read as their defaults, found while reading the site
            for fld, message, line in site.warnings:
                self._diag("warning", "invalid-value", message, line=line, field=fld, entry=site.name)
        return SourceResult(
            hosts=[h for k, h in hosts.items() if k not in held],
            diagnostics=list(dict.fromkeys(self._diags)),
            held=held,
        )

    def _sites(self, sections: list[Section], codepage: str) -> list[Site]:
        from migrator.sources.winscp.ini import unmunge
        from migrator.sources.winscp.sites import Site

        sites = []
        for s in sections:
            if not s.name.casefold().startswith(_SESSIONS):
                continue
            raw_name = s.name[len(_SESSIONS) :]
            if "\\" in raw_name or not raw_name:
                self._diag(
                    "info", "not-a-site", f"section [{s.name}] is below a site, not a site; ignored", line=s.line
                )
                continue
            name = unmunge(raw_name, codepage)
            if name == DEFAULT_SETTINGS:
                self._diag(
                    "info",
                    "template",
                    "Default Settings is WinSCP's template for new sites; WinSCP does not apply it to saved "
                    "sites, so it is not imported and not used",
                    line=s.line,
                    entry=name,
                )
                continue
            if name.startswith(HIDDEN_PREFIX):
                self._diag("info", "hidden", "a hidden site WinSCP keeps for itself; not imported", line=s.line)
                continue
            site = Site(s, name, codepage, [])
            sites.append(site)
        return sites

    def _keys(self, sites: list[Site]) -> dict[int, str]:
        """The site's name without its folder, ``#2``, ``#3`` for the same name in other folders, in file
        order: moving a site to another folder updates its entry instead of re-creating it."""
        counts: dict[str, int] = {}
        keys = {}
        for site in sites:
            n = counts[site.leaf] = counts.get(site.leaf, 0) + 1
            keys[id(site)] = self.key(site.leaf if n == 1 else f"{site.leaf}#{n}")
        return keys

    def _where(self, site: Site) -> str:
        return f" in folder {'/'.join(site.folder)!r}" if site.folder else ""

    def _is_ssh_site(self, site: Site, key: str, held: set[str]) -> bool:
        from migrator.sources.winscp.sites import FS_PROTOCOLS, SSH_PROTOCOLS

        if site.boolean("IsWorkspace", False):
            self._diag(
                "info",
                "workspace",
                "a site saved as part of a workspace (IsWorkspace=1), not a site of its own; not imported",
                line=site.section.line,
                field="IsWorkspace",
                entry=site.name,
            )
            return False
        protocol = site.fs_protocol
        if protocol not in FS_PROTOCOLS:
            held.add(key)
            self._diag(
                "error",
                "invalid-value",
                f"not imported: FSProtocol {protocol} is not a protocol WinSCP defines",
                line=site.line("FSProtocol"),
                field="FSProtocol",
                entry=site.name,
            )
            return False
        _, host = site.user_and_host("UserName", "HostName")
        if protocol not in SSH_PROTOCOLS:
            self._diag(
                "warning",
                "not-ssh",
                f"not imported: {FS_PROTOCOLS[protocol]} site{f' to {host!r}' if host else ''}{self._where(site)}",
                line=site.line("FSProtocol"),
                field="FSProtocol",
                entry=site.name,
            )
            return False
        if not host.strip():
            self._diag(
                "warning",
                "no-host",
                "not imported: the site has no HostName",
                line=site.section.line,
                field="HostName",
                entry=site.name,
            )
            return False
        return True

    # ---- passwords ----------------------------------------------------------------------------

    def _stored(self, site: Site, key: str, plain_name: str, name: str, user_key: tuple[str, str]):
        from migrator.sources.winscp.ini import unmunge
        from migrator.sources.winscp.passwords import StoredPassword

        encryption_key = "".join(site.user_and_host(*user_key))
        if site.has(plain_name):
            return StoredPassword(key, site.name, plain_name, site.line(plain_name), site.text(plain_name), True, "")
        raw = site.section.raw(name)
        if raw is None or not raw[0].strip():
            return None
        value = unmunge(raw[0], site.codepage).strip()
        return StoredPassword(key, site.name, name, raw[1], value, False, encryption_key)

    def _passwords(self, ssh: list[Site], keys, sections: list[Section], held: set[str]) -> dict:
        from migrator.sources.winscp.passwords import unlock

        values = []
        for site in ssh:
            key = keys[id(site)]
            main = self._stored(site, key, "PasswordPlain", "Password", ("UserName", "HostName"))
            if main is not None:
                values.append(main)
            if site.boolean("Tunnel", False):
                tunnel = self._stored(
                    site, key, "TunnelPasswordPlain", "TunnelPassword", ("TunnelUserName", "TunnelHostName")
                )
                if tunnel is not None:
                    values.append(tunnel)
        security = next((s for s in sections if s.name.casefold() == "configuration\\security"), None)
        verifier = security.raw("MasterPasswordVerifier") if security is not None else None
        secret = source_secret(self.options, self.display_path)
        explicit = getattr(self.options, "password_file", None) is not None
        outcomes = unlock(values, verifier[0] if verifier else None, secret, self.display_path, explicit)
        by_site: dict[tuple[str, str], Outcome] = {}
        for stored, outcome in outcomes.items():
            by_site[(stored.key, stored.field.removesuffix("Plain"))] = outcome
            if outcome.error:
                held.add(stored.key)
                self._diag(
                    "error",
                    "undecryptable",
                    f"not imported: {outcome.error}",
                    line=stored.line,
                    field=stored.field,
                    entry=stored.entry,
                )
            elif outcome.warning and stored.field.startswith("Password"):
                self._diag(
                    "warning", "password-key", outcome.warning, line=stored.line, field=stored.field, entry=stored.entry
                )
        return by_site

    # ---- hosts --------------------------------------------------------------------------------

    def _host(self, site: Site, key: str, passwords: dict) -> Host | None:
        user, host = site.user_and_host("UserName", "HostName")
        creds = Credentials()
        outcome = passwords.get((key, "Password"))
        if outcome is not None and outcome.password:
            creds.password = SecretStr(outcome.password)
        key_file = site.text("PublicKeyFile").strip()
        if key_file:
            creds.key_files.append(key_file)
        cert = site.text("DetachedCertificate").strip()
        if cert:
            creds.certificate_files.append(cert)
        if site.boolean("TryAgent", True):
            creds.agent = "pageant"
        proxy = site.proxy
        if proxy:
            self._diag(
                "warning",
                "unsupported-proxy",
                f"the site uses {proxy}, which cannot be expressed as a jump host; imported without it",
                line=site.line("ProxyMethod"),
                field="ProxyMethod",
                entry=site.name,
            )
        if "%" in host:
            self._diag(
                "error",
                "invalid-value",
                "not imported: HostName uses a Windows environment variable (%NAME%), which WinSCP expands on "
                "its own machine",
                line=site.line("HostName"),
                field="HostName",
                entry=site.name,
            )
            return None
        try:
            return Host(
                key=key,
                name=site.leaf,
                address=host,
                port=site.integer("PortNumber", 22),
                user=user or None,
                category=site.folder,
                credentials=creds,
                ssh_options=[("ForwardAgent", "yes")] if site.boolean("AgentFwd", False) else [],
                description=site.text("Note").strip() or None,
                source=self.provenance(line=site.section.line, section=site.section.name),
            )
        except ValidationError as exc:
            err = exc.errors()[0] if exc.errors() else {"loc": ("",), "msg": str(exc)}
            loc = str(err["loc"][0]) if err["loc"] else ""
            fld = _FIELDS.get(loc, loc)
            self._diag(
                "error",
                "invalid-value",
                f"not imported: {err['msg'].removeprefix('Value error, ')}",
                line=site.line(fld),
                field=fld,
                entry=site.name,
            )
            return None

    def _tunnels(self, ssh: list[Site], keys, hosts: dict[str, Host], held: set[str]) -> None:
        """``Tunnel=1``: one jump hop, referring to a saved site with the same host, port and user if one exists."""
        for site in ssh:
            key = keys[id(site)]
            if key not in hosts or not site.boolean("Tunnel", False):
                continue
            user, host = site.user_and_host("TunnelUserName", "TunnelHostName")
            port = site.integer("TunnelPortNumber", 22)
            line = site.line("TunnelHostName")
            try:
                address = validate_address(host)
                if not 1 <= port <= 65535:
                    raise ValueError(f"port {port} is outside 1-65535")
            except ValueError as exc:
                held.add(key)
                self._diag(
                    "error",
                    "bad-jump-host",
                    f"not imported: the tunnel host is invalid: {exc}",
                    line=line,
                    field="TunnelHostName",
                    entry=site.name,
                )
                continue
            match = next(
                (
                    (k, h)
                    for k, h in hosts.items()
                    if k != key
                    and h.address.casefold() == address.casefold()
                    and h.port == port
                    and (h.user or "") == user
                ),
                None,
            )
            carried = [n for n in ("TunnelPassword", "TunnelPublicKeyFile", "TunnelPassphrase") if site.has(n)]
            carried += ["TunnelPassword"] if site.has("TunnelPasswordPlain") and "TunnelPassword" not in carried else []
            if match is not None:
                hop = JumpHop(host=address, port=port, user=user or None, ref=match[1].name, ref_key=match[0])
                if carried:
                    self._diag(
                        "info",
                        "tunnel-credentials",
                        f"the tunnel goes through saved site {match[1].name!r}, which XPipe reaches with that site's "
                        f"credentials; the tunnel's own {', '.join(carried)} is not carried",
                        line=line,
                        field="TunnelHostName",
                        entry=site.name,
                    )
            else:
                hop = JumpHop(host=address, port=port, user=user or None)
                if carried:
                    self._diag(
                        "warning",
                        "tunnel-credentials",
                        f"the tunnel host {address} is not a saved site, and a jump hop carries no credentials of "
                        f"its own: its {', '.join(carried)} is not imported; set them on the hop entry in XPipe",
                        line=line,
                        field="TunnelHostName",
                        entry=site.name,
                    )
            hosts[key].jump = [hop]
