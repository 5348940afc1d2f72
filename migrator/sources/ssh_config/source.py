"""OpenSSH client configuration (``~/.ssh/config``) as an inventory source.

OpenSSH's reading of the file is reproduced in memory, offline, the way ``ssh -G -F FILE ALIAS``
resolves an alias (OpenSSH 9.x): first value wins except for the accumulating keywords,
``argv_split`` quoting, trailing comments, ``Include`` with its path rules and conditional blocks,
``Match`` and the second ("final") pass, ``ProxyJump`` chains resolved hop by hop.
paramiko's ``SSHConfig`` is deliberately not used: it skips ``Include``, treats unknown ``Match``
criteria as matching, and would run ``Match exec`` commands. Nothing in the file is ever executed:
a ``Match exec`` block counts as not matching and is reported; a ``ProxyCommand`` is recorded.

The package: ``lexer`` (words, quoting, patterns), ``keywords`` (the keyword table), ``tokens``
(``%``/``${}`` expansion), ``jump`` (ProxyJump), ``tree`` (parsed lines), ``reader`` (files and
Includes), ``resolver`` (``SshConfig``: Host/Match evaluation); this module turns its result into
``Host`` objects and diagnostics.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Host, JumpHop, SourceResult, validate_address
from migrator.redact import show_command
from migrator.sources.base import FileSource, SourceOptions

if TYPE_CHECKING:  # the readers are imported by a read, not by detection
    from migrator.sources.ssh_config.resolver import SshConfig
    from migrator.sources.ssh_config.tree import Directive, Resolution

_UNUSABLE_ALIAS = re.compile(r"[\s'`\"$\\;&<>|(){}\x00-\x1f\x7f@,]")


class SshConfigOptions(SourceOptions):
    #: what '~' means (default: the importing account's home)
    home: Path | None = None
    #: the login 'Match user' and 'Match localuser' compare with (default: the current user)
    local_user: str | None = None
    #: put hosts from an Included file into a folder named after that file
    category_from_include: bool = False
    #: resolve a relative Include that OpenSSH cannot find against the including file's folder
    include_fallback: bool = True


class SshConfigSource(FileSource):
    """``~/.ssh/config`` and every file it Includes: one Host per concrete alias.

    Options: ``home`` (``~``; default: the importing account's home; relative Includes resolve
    against ``home/.ssh``, or against the folder of the file when that folder is called ``.ssh``),
    ``local_user`` (the login ``Match user``/``localuser`` compare with), ``category_from_include``
    (put hosts from an Included file into a folder named after that file), ``include_fallback``
    (default on: see ``SshConfig``).
    """

    format: ClassVar[str] = "ssh_config"
    summary: ClassVar[str] = "OpenSSH client configuration, read as OpenSSH does (Include, Match, tokens)"
    Options = SshConfigOptions

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(location, options, key_location=key_location, **raw)
        self.home = Path(self.options.home) if self.options.home else None
        self.local_user = self.options.local_user or None
        self.category_from_include = self.options.category_from_include
        self.include_fallback = self.options.include_fallback

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "config"
        path.write_text("Host web-01\n    HostName 192.0.2.11\n    User deploy\n    Port 2222\n", encoding="utf-8")
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        name = path.name.lower()
        if path.suffix.lower() in (
            ".csv",
            ".reg",
            ".xlsx",
            ".xls",
            ".xlsm",
            ".mxtsessions",
            ".ini",
            ".json",
            ".yaml",
            ".yml",
            ".toml",
            ".xml",
        ):
            return 0
        if path.is_dir():
            return 60 if (path / "config").is_file() else 0
        from migrator.sources.ssh_config.keywords import KEYWORDS  # only for a file no other format's suffix names
        from migrator.sources.ssh_config.lexer import ascii_lower

        named = name in ("config", "ssh_config") or name.endswith((".ssh_config", ".conf"))
        codec = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
        text = head.decode(codec, errors="replace").lstrip("\ufeff")
        known = unknown = 0
        structural = False
        for line in text.splitlines()[:200]:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            word = ascii_lower(re.split(r"[\s=]", stripped, maxsplit=1)[0])
            if word in KEYWORDS:
                known += 1
                structural = structural or word in ("host", "match", "include")
            else:
                unknown += 1
        if known == 0:
            return 30 if named and unknown == 0 else (10 if named else 0)
        if known < 4 * unknown:  # e.g. a PuTTY session file: "HostName=..." then PuTTY's own keys
            return 5 if named else 0
        if structural:
            return 95 if named else 85
        return 90 if named else 70

    def _config_file(self) -> Path:
        if self.path.is_dir():
            candidate = self.path / "config"
            if candidate.is_file():
                return candidate
            raise InputError(f"{self.display_path}: is a folder without a 'config' file")
        if not self.path.exists():
            raise InputError(f"{self.display_path}: no such file")
        return self.path

    def read(self) -> SourceResult:
        result = SourceResult()
        config_file = self._config_file()
        home = self.home or Path.home()
        if (
            self.home is None
            and config_file.parent.name == ".ssh"
            and config_file.parent.resolve() != (Path.home() / ".ssh").resolve()
        ):
            home = config_file.parent.parent
            result.diagnostics.append(
                self.diag(
                    "info",
                    "ssh-include-base",
                    f"'~' and relative Include paths are resolved against {home.as_posix()} (the account this "
                    "copied .ssh folder belongs to) rather than the importing account's home",
                )
            )
        shown = self.display_path if config_file == self.path else config_file.as_posix()
        from migrator.sources.ssh_config.resolver import SshConfig

        cfg = SshConfig(
            config_file,
            home=home,
            local_user=self.local_user,
            display_path=shown,
            include_fallback=self.include_fallback,
        )
        result.diagnostics.extend(cfg.diagnostics)
        result.partial = cfg.partial
        self.inputs.extend(cfg.files.values())
        self._pattern_diagnostics(cfg, result)
        candidates = cfg.aliases()
        imported: dict[str, str] = {}
        usable: list[tuple[str, Directive, Resolution]] = []
        for alias, d in candidates:
            reason = _unusable_reason(alias)
            if reason:
                result.diagnostics.append(
                    self.diag(
                        "warning",
                        "ssh-alias-unusable",
                        f"alias {alias!r} is not imported: {reason}",
                        file=d.file,
                        line=d.line,
                        entry=alias,
                    )
                )
                continue
            res = cfg.resolve(alias)
            if not res.declared:
                result.diagnostics.append(
                    self.diag(
                        "warning",
                        "ssh-dead-alias",
                        f"alias {alias!r} is not imported: {_dead_reason(cfg, alias)}",
                        file=d.file,
                        line=d.line,
                        entry=alias,
                    )
                )
                continue
            usable.append((alias, d, res))
            imported[alias] = self.key(alias)
        for alias, d, res in usable:
            host = self._host(cfg, alias, d, res, imported, result)
            if host is not None:
                result.hosts.append(host)
        built = {h.key for h in result.hosts}
        for i, host in enumerate(result.hosts):  # a hop's alias that was not imported after all
            if any(hop.ref_key and hop.ref_key not in built for hop in host.jump):
                hops = [replace(hop, ref_key=None) if hop.ref_key not in built else hop for hop in host.jump]
                result.hosts[i] = replace(host, jump=hops)
        result.diagnostics.extend(cfg.evaluation_diagnostics())
        result.diagnostics.extend(cfg.rejected_line_summary())
        return result

    def _pattern_diagnostics(self, cfg: SshConfig, result: SourceResult) -> None:
        positive = {a for a, _ in cfg.aliases()}
        for d in cfg.host_lines():
            for p in d.args:
                if p.startswith("!"):
                    if p[1:] in positive:
                        msg = (
                            f"{p!r} keeps this block's settings away from {p[1:]!r}, an alias declared on "
                            "another Host line (it is imported without them)"
                        )
                        result.diagnostics.append(
                            self.diag("info", "ssh-alias-ambiguous", msg, file=d.file, line=d.line, entry=p[1:])
                        )
                    else:
                        result.diagnostics.append(
                            self.diag(
                                "info",
                                "ssh-negated-pattern",
                                f"negated pattern {p!r} only excludes hosts from this block; it is not a server",
                                file=d.file,
                                line=d.line,
                            )
                        )
                elif "*" in p or "?" in p:
                    result.diagnostics.append(
                        self.diag(
                            "info",
                            "ssh-default-pattern",
                            f"Host pattern {p!r} holds defaults for the hosts it matches; it is not a server",
                            file=d.file,
                            line=d.line,
                        )
                    )

    def _host(
        self, cfg: SshConfig, alias: str, d: Directive, res: Resolution, imported: dict[str, str], result: SourceResult
    ) -> Host | None:
        def skip(code: str, message: str, field_: str | None = None) -> None:
            result.held.add(self.key(alias))
            result.diagnostics.append(
                self.diag(
                    "error",
                    code,
                    f"alias {alias!r} is not imported: {message}",
                    file=d.file,
                    line=d.line,
                    entry=alias,
                    field=field_,
                )
            )

        if res.hostname_error:
            skip("ssh-token", f"{res.hostname_error} (OpenSSH stops with an error too)", "HostName")
            return None
        try:
            address = validate_address(res.hostname)
        except ValueError as exc:
            skip("ssh-bad-address", str(exc), "HostName")
            return None
        jump: list[JumpHop] = []
        if res.jump is not None:
            chain = cfg.jump_chain(res)
            if isinstance(chain, str):
                skip("ssh-jump", chain, "ProxyJump")
                return None
            jump = [replace(h, ref_key=imported.get(h.ref)) if h.ref else h for h in chain]
        if res.proxy_command is not None:
            result.diagnostics.append(
                self.diag(
                    "warning",
                    "ssh-proxy-command",
                    f"ProxyCommand {show_command(res.proxy_command)!r} is kept as written but never run by this "
                    "import; the "
                    "target may not support it",
                    file=d.file,
                    line=d.line,
                    entry=alias,
                    field="ProxyCommand",
                )
            )
        if any(k == "CanonicalDomains" for k, _ in res.options) and res.final_pass:
            result.diagnostics.append(
                self.diag(
                    "warning",
                    "ssh-canonicalize",
                    "CanonicalizeHostname with CanonicalDomains needs DNS lookups, which this import does not "
                    "do; the host name is used as written",
                    file=d.file,
                    line=d.line,
                    entry=alias,
                )
            )
        category = []
        if self.category_from_include and d.file != self.display_path:
            category = [Path(d.file).stem]
        try:
            host = Host(
                key=self.key(alias),
                name=alias,
                address=address,
                port=res.port,
                user=res.user,
                category=category,
                credentials=Credentials(
                    key_files=res.identity_files,
                    certificate_files=res.certificate_files,
                    identities_only=res.identities_only,
                    identity_agent=res.identity_agent,
                ),
                jump=jump,
                ssh_options=res.options,
                proxy_command=res.proxy_command,
                description=d.description,
                source=self.provenance(line=d.line, file=d.file),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            skip("ssh-invalid-entry", f"{first.get('loc', ('?',))[0]}: {first.get('msg', 'invalid value')}")
            return None
        return self._expand_key_files(cfg, host, d, result)

    def _expand_key_files(self, cfg: SshConfig, host: Host, d: Directive, result: SourceResult) -> Host:
        """Key paths with ``%`` tokens or ``${VAR}`` (``~/.ssh/id_%h``) are expanded for this host, as
        ssh does when it connects, so the Host carries a real path; a plain path stays as written."""
        paths = host.credentials.key_files
        if not any("%" in p or "${" in p for p in paths):
            return host
        from migrator.sources.ssh_config.tokens import TokenError, expand_path

        expanded = []
        for path in paths:
            if "%" not in path and "${" not in path:
                expanded.append(path)
                continue
            try:
                real = expand_path(path, host, home=cfg.home, local_user=cfg.local_user)
            except TokenError as exc:
                result.diagnostics.append(
                    self.diag(
                        "warning",
                        "key-path-token",
                        f"key path {path} cannot be expanded ({exc}); kept as written",
                        file=d.file,
                        line=d.line,
                        entry=host.name,
                        field="IdentityFile",
                    )
                )
                expanded.append(path)
                continue
            result.diagnostics.append(
                self.diag(
                    "info",
                    "key-path-expanded",
                    f"key path {path} is {real} for this host (tokens expanded)",
                    file=d.file,
                    line=d.line,
                    entry=host.name,
                    field="IdentityFile",
                )
            )
            expanded.append(real)
        return replace(host, credentials=replace(host.credentials, key_files=expanded))


def _unusable_reason(alias: str) -> str | None:
    if alias.startswith("-"):
        return "ssh would read a name starting with '-' as an option"
    if alias.startswith("ssh://"):
        return "ssh reads it as an ssh:// URI, not as this alias"
    m = _UNUSABLE_ALIAS.search(alias)
    if m:
        if m.group(0) == "@":
            return "ssh reads 'user@host' in a destination, so this alias can never be typed as it is"
        return f"ssh refuses a destination containing {m.group(0)!r} ('hostname contains invalid characters')"
    return None


def _dead_reason(cfg: SshConfig, alias: str) -> str:
    from migrator.sources.ssh_config.lexer import match_pattern

    lines = cfg.host_lines_naming(alias)
    if any(
        ("!" + alias) in d.args or any(p.startswith("!") and match_pattern(alias, p[1:]) for p in d.args) for d in lines
    ):
        return "every Host line naming it also excludes it with a negated pattern, so nothing applies to it"
    return (
        "its Host line is in a file Included from inside a Host/Match block that does not apply to this "
        "alias, so OpenSSH never uses that block for it"
    )
