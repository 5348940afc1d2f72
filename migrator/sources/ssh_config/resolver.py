"""Resolving an alias like ``ssh -G -F FILE ALIAS``: Host/Match evaluation in two passes, first
value wins except for the accumulating keywords; ``Include``d files share the enclosing block.

``SshConfig`` is the resolver (usable on its own, e.g. by tests comparing it with ``ssh -G``).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

from migrator.model import Diagnostic, JumpHop
from migrator.redact import show_command
from migrator.sources.limits import Budget
from migrator.sources.ssh_config import jump as _jump
from migrator.sources.ssh_config.jump import JumpSetting
from migrator.sources.ssh_config.keywords import _NEWER_MATCH_CRITERIA, MODEL_KEYWORDS, _unknown_message
from migrator.sources.ssh_config.lexer import ascii_lower, match_pattern, match_pattern_list, quote_arg
from migrator.sources.ssh_config.reader import MAX_LINE_ERRORS, ConfigReader
from migrator.sources.ssh_config.tokens import TokenError, default_local_user, percent_expand
from migrator.sources.ssh_config.tree import Directive, Resolution

MAX_IDENTITY_FILES = 100  # SSH_MAX_IDENTITY_FILES (also the CertificateFile limit)


class _State:
    """The option values being collected for one alias (OpenSSH's ``Options``)."""

    def __init__(self, user: str | None, port: int | None, jump_given: bool):
        self.user = user
        self.port = port
        self.hostname: str | None = None
        self.jump: JumpSetting | None = None
        self.proxy_command: str | None = None
        if jump_given:  # -J on a child ssh's command line: the hop's own ProxyJump/ProxyCommand lose
            self.jump = JumpSetting(none=True)
            self.proxy_command = "none"
        self.identity_files: list[str] = []
        self.certificate_files: list[str] = []
        self.ignore_unknown: str | None = None
        self.values: dict[str, str] = {}  # option -> value (first wins)
        self.accumulated: dict[str, list[str]] = {}
        self.order: list[str] = []
        self.want_final = False
        self.declared = False


class SshConfig(ConfigReader):
    """A parsed ssh_config with its Includes, able to resolve any alias like OpenSSH does.

    ``home`` is ``~`` (relative Includes resolve against ``home/.ssh``); ``local_user`` is the
    login name ``Match user``/``localuser`` and ``%u`` see. With ``include_fallback``, a relative
    Include that matches nothing under ``home/.ssh`` is looked up next to the main file instead
    (OpenSSH would read nothing; a warning says so): this is how a copied config finds its conf.d.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        home: str | Path | None = None,
        local_user: str | None = None,
        include_dir: str | Path | None = None,
        display_path: str | None = None,
        include_fallback: bool = False,
        max_line_errors: int = MAX_LINE_ERRORS,
    ):
        self.path = Path(path)
        self.max_line_errors = max_line_errors
        self.include_fallback = include_fallback
        self.display_path = display_path or self.path.as_posix()
        self.home = Path(home) if home is not None else Path.home()
        self.include_dir = Path(include_dir) if include_dir is not None else self.home / ".ssh"
        self.local_user = local_user or default_local_user()
        self.diagnostics: list[Diagnostic] = []
        self._files_read = 0
        self.files: dict[str, Path] = {}  # every file opened (for the fingerprint), main file first
        self.partial = False  # an Include was not read: hosts it holds are unknown
        self._budget = Budget(self.display_path)
        self._error_count: dict[str, int] = {}
        self._seen_diags: set[tuple] = set()
        self.directives = self._read_file(self.path, self.display_path, 0, (), main=True)
        self._cache: dict[tuple, Resolution] = {}
        self._programs: dict[int, _Program] = {}
        self._eval_problems: dict[tuple[str, int, str], tuple[str, str, str, set[str]]] = {}
        self._aliases: list[tuple[str, Directive]] | None = None
        self._alias_names: frozenset[str] | None = None
        self._lines_by_name: dict[str, list[Directive]] | None = None
        everything = self.all_directives()
        # IgnoreUnknown makes an unknown keyword's fate depend on the alias; without one it is always fatal.
        self.has_ignore_unknown = any(d.spec and d.spec.name == "IgnoreUnknown" for d in everything)
        for d in everything:
            if d.kind == "unknown" and d.error is None and not self.has_ignore_unknown:
                self._line_error(d.file, d.line, "", _unknown_message(d.keyword))
            elif d.kind in ("deprecated", "unsupported", "ignore") and d.error is None:
                self._diag(
                    "info",
                    "ssh-obsolete-keyword",
                    f"{d.spec.name} is obsolete in OpenSSH and has no effect; it is not imported",
                    file=d.file,
                    line=d.line,
                    field_=d.spec.name,
                )

    # ----- reading

    # ----- enumerating

    def host_lines(self) -> list[Directive]:
        out: list[Directive] = []

        def walk(ds: list[Directive]) -> None:
            for d in ds:
                if d.kind == "host":
                    out.append(d)
                elif d.kind == "include":
                    for f in d.includes:
                        walk(f.directives)

        walk(self.directives)
        return out

    def all_directives(self) -> list[Directive]:
        out: list[Directive] = []

        def walk(ds: list[Directive]) -> None:
            for d in ds:
                out.append(d)
                if d.kind == "include":
                    for f in d.includes:
                        walk(f.directives)

        walk(self.directives)
        return out

    def aliases(self) -> list[tuple[str, Directive]]:
        """Every concrete, non-negated Host pattern with the first Host line naming it, in file order."""
        if self._aliases is None:
            seen: dict[str, Directive] = {}
            for d in self.host_lines():
                for p in d.args:
                    if p and not p.startswith("!") and "*" not in p and "?" not in p and p not in seen:
                        seen[p] = d
            self._aliases = list(seen.items())
        return self._aliases

    def host_lines_naming(self, alias: str) -> list[Directive]:
        """The Host lines that list ``alias`` literally (an index built once, not a scan per alias)."""
        if self._lines_by_name is None:
            index: dict[str, list[Directive]] = {}
            for d in self.host_lines():
                for p in dict.fromkeys(d.args):
                    index.setdefault(p, []).append(d)
            self._lines_by_name = index
        return self._lines_by_name.get(alias, [])

    def alias_names(self) -> frozenset[str]:
        """The declared aliases as a set, built once: jump chains look every hop up in it."""
        if self._alias_names is None:
            self._alias_names = frozenset(a for a, _ in self.aliases())
        return self._alias_names

    def rejected_line_summary(self) -> list[Diagnostic]:
        """One diagnostic per file whose rejected lines were too many to list one by one."""
        return [
            Diagnostic(
                level="error",
                code="ssh-rejected-line",
                file=file,
                message=f"{count - self.max_line_errors} more lines were rejected (not listed one by one)",
            )
            for file, count in self._error_count.items()
            if count > self.max_line_errors
        ]

    # ----- resolving

    def resolve(
        self, alias: str, *, user: str | None = None, port: int | None = None, jump_given: bool = False
    ) -> Resolution:
        """Resolve ``alias`` as ``ssh [-l user] [-p port] [-J ...] alias`` would see it (``ssh -G``)."""
        key = (alias, user, port, jump_given)
        if key not in self._cache:
            self._cache[key] = self._resolve(alias, user, port, jump_given)
        return self._cache[key]

    def _resolve(self, alias: str, user: str | None, port: int | None, jump_given: bool) -> Resolution:
        st = _State(user, port, jump_given)
        self._run(self.directives, st, alias, alias, False, True, False)
        hostname_error = None
        host = alias
        if st.hostname is not None:
            try:
                host = percent_expand(st.hostname, {"h": alias})
            except TokenError as exc:
                hostname_error = f"HostName {st.hostname!r}: {exc}"
                host = st.hostname
        host = _canonical_host(host, st.values.get("AddressFamily"))
        canonicalize = ascii_lower(st.values.get("CanonicalizeHostname", "no")) in ("yes", "true", "always")
        final = st.want_final or canonicalize
        if final:
            st.hostname = host
            self._run(self.directives, st, host, alias, True, True, False)
        jump = None if (jump_given or st.jump is None or st.jump.none) else st.jump
        proxy_command = st.proxy_command if st.proxy_command and st.proxy_command != "none" else None
        options: list[tuple[str, str]] = []
        for opt in st.order:
            if opt in MODEL_KEYWORDS:
                continue
            if opt in st.accumulated:
                options.extend((opt, v) for v in st.accumulated[opt])
            else:
                options.append((opt, st.values[opt]))
        identities_only = st.values.get("IdentitiesOnly")
        return Resolution(
            alias=alias,
            hostname=host,
            port=st.port or 22,
            user=st.user,
            identity_files=list(st.identity_files),
            certificate_files=list(st.certificate_files),
            identities_only=None if identities_only is None else ascii_lower(identities_only) in ("yes", "true"),
            identity_agent=st.values.get("IdentityAgent"),
            jump=jump,
            proxy_command=proxy_command,
            options=options,
            declared=st.declared,
            hostname_error=hostname_error,
            final_pass=final,
        )

    def jump_loops_on_itself(self, res: Resolution) -> bool:
        """ssh.c's own check, made before connecting (``ssh -G`` too): "jumphost loop via HOST"."""
        return _jump.loops_on_itself(res, self.local_user)

    def jump_chain(self, res: Resolution) -> list[JumpHop] | str:
        """The hops of ``res``, nearest first, or why there is no usable chain (see ``jump.jump_chain``)."""
        return _jump.jump_chain(self, res)

    def _program(self, directives: list[Directive]) -> _Program:
        prog = self._programs.get(id(directives))
        if prog is None:
            prog = self._programs[id(directives)] = _Program(directives, self.has_ignore_unknown)
        return prog

    def _run(
        self,
        directives: list[Directive],
        st: _State,
        host: str,
        alias: str,
        final: bool,
        active: bool,
        nevermatch: bool,
    ) -> None:
        """Walk one file like readconf.c, visiting only the blocks that can concern ``host``."""
        prog = self._program(directives)
        previous = -1
        for index in prog.relevant(host):
            if index > previous + 1:
                active = False  # a skipped block starts with a Host line that does not name ``host``
            previous = index
            block = prog.blocks[index]
            d = block.header
            if d is not None:
                kind = d.kind
                if kind == "host":
                    active = False if nevermatch else self._host_matches(d, host, alias, st, final)
                elif kind == "match":
                    result = self._match(d, st, host, alias, final)
                    active = False if nevermatch else result
                else:  # include: its files start in, and then give back, the enclosing block's state
                    for f in d.includes:
                        self._run(f.directives, st, host, alias, final, active, nevermatch or not active)
            for d in block.options:
                if d.error is not None:
                    continue
                if d.spec is None:
                    self._unknown(d, st, active, alias)
                elif active:
                    self._apply(d, st)

    def _host_matches(self, d: Directive, host: str, alias: str, st: _State, final: bool) -> bool:
        matched = False
        for p in d.args:
            if not p:
                continue
            negated = p.startswith("!")
            if match_pattern(host, p[1:] if negated else p):
                if negated:
                    return False
                matched = True
        if matched and not final and alias in d.args:
            st.declared = True
        return matched

    def _match(self, d: Directive, st: _State, host: str, alias: str, final: bool) -> bool:
        if d.error is not None:
            return False
        if final:
            target = host
        elif st.hostname is not None:
            try:
                target = percent_expand(st.hostname, {"h": alias})
            except TokenError:
                target = st.hostname
        else:
            target = alias
        ruser = st.user if st.user is not None else self.local_user
        result = True
        for c in d.criteria:
            if c.name == "all":
                if result:
                    result = not c.negate
                break
            if c.name in ("canonical", "final"):
                if c.name == "final":
                    st.want_final = True
                if final == c.negate:
                    result = False
                continue
            if c.name == "exec":
                if result:
                    self._problem(
                        d,
                        "warning",
                        "ssh-match-exec",
                        f"Match exec {show_command(c.arg)!r} was not run (this import never runs "
                        "commands); its "
                        "block is treated as not matching",
                        alias,
                    )
                    result = False
                continue
            if c.name in _NEWER_MATCH_CRITERIA:
                if result:
                    self._problem(
                        d,
                        "warning",
                        "ssh-match-unsupported",
                        f"Match {c.name} (OpenSSH {_NEWER_MATCH_CRITERIA[c.name]}+) cannot be "
                        "decided offline; its block is treated as not matching",
                        alias,
                    )
                    result = False
                continue
            assert c.arg is not None
            if c.name == "host":
                r = match_pattern_list(ascii_lower(target), c.arg, True) == 1
            elif c.name == "originalhost":
                r = match_pattern_list(ascii_lower(alias), c.arg, True) == 1
            elif c.name == "user":
                r = match_pattern_list(ruser, c.arg, False) == 1
            else:  # localuser
                r = match_pattern_list(self.local_user, c.arg, False) == 1
            if r == c.negate:
                result = False
        return result

    def _problem(self, d: Directive, level: str, code: str, message: str, alias: str) -> None:
        key = (d.file, d.line, code)
        if key not in self._eval_problems:
            self._eval_problems[key] = (level, code, message, set())
        self._eval_problems[key][3].add(alias)

    def evaluation_diagnostics(self) -> list[Diagnostic]:
        """Problems found while resolving (Match exec, unknown keywords...), with the aliases affected."""
        out = []
        for (file, line, _), (level, code, message, aliases) in sorted(
            self._eval_problems.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])
        ):
            names = sorted(aliases)
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            out.append(
                Diagnostic(level=level, code=code, message=f"{message} (affects: {shown})", file=file, line=line)
            )
        return out

    def _unknown(self, d: Directive, st: _State, active: bool, alias: str) -> None:
        kw = ascii_lower(d.keyword)
        if st.ignore_unknown is not None and match_pattern_list(kw, st.ignore_unknown, True) == 1:
            if active and d.keyword not in st.values:
                st.values[d.keyword] = " ".join(quote_arg(a) for a in d.args)
                st.order.append(d.keyword)
            return
        if not self.has_ignore_unknown:
            return  # already reported once, while reading
        self._problem(
            d,
            "error",
            "ssh-unknown-keyword",
            f"{_unknown_message(d.keyword)} (OpenSSH refuses the whole file unless an earlier "
            "IgnoreUnknown lists it); the line is ignored here",
            alias,
        )

    def _apply(self, d: Directive, st: _State) -> None:
        spec = d.spec
        assert spec is not None
        kind, opt = spec.kind, spec.option
        if kind in ("deprecated", "unsupported", "ignore"):
            return
        if kind == "port":
            if st.port is None:
                st.port = d.port
                st.order.append("Port")
            return
        if opt == "User":
            if st.user is None:
                st.user = d.args[0]
                st.order.append("User")
            return
        if opt == "HostName":
            if st.hostname is None:
                st.hostname = d.args[0]
                st.order.append("HostName")
            return
        if kind == "jump":
            if st.jump is None and st.proxy_command is None:
                st.jump = d.jump
                st.order.append("ProxyJump")
            return
        if opt == "ProxyCommand":
            # an earlier ProxyJump wins, except "ProxyJump none" (it only blocks later ProxyJumps)
            if (st.jump is None or st.jump.none) and st.proxy_command is None:
                st.proxy_command = d.command()
                st.order.append("ProxyCommand")
            return
        if opt in ("IdentityFile", "CertificateFile"):
            target = st.identity_files if opt == "IdentityFile" else st.certificate_files
            if d.args[0] not in target and len(target) < MAX_IDENTITY_FILES:
                target.append(d.args[0])
            if opt not in st.order:
                st.order.append(opt)
            return
        if opt == "IgnoreUnknown" and st.ignore_unknown is None:
            st.ignore_unknown = d.args[0]
        if kind == "command":
            value = d.command()
        else:
            value = " ".join(quote_arg(a) for a in d.args)
        if kind == "accum" or kind == "sendenv":
            values = st.accumulated.setdefault(opt, [])
            if opt not in st.order:
                st.order.append(opt)
            if kind == "sendenv":
                for a in d.args:
                    if a.startswith("-"):
                        values[:] = [v for v in values if not match_pattern(v, a[1:])]
                    elif a not in values:
                        values.append(a)
            elif value not in values:
                values.append(value)
            return
        if opt not in st.values:
            st.values[opt] = value
            st.order.append(opt)


class _Program:
    """One file's directives cut into blocks (a Host/Match/Include line and the options after it).

    A block headed by a Host line that lists only literal names can only apply to those names, so
    resolving an alias visits just the blocks naming it plus the ones that always need a look
    (wildcards, negations, Match, Include): linear in the aliases, not quadratic.
    """

    def __init__(self, directives: list[Directive], has_ignore_unknown: bool):
        self.blocks: list[_Block] = [_Block(None, [])]
        for d in directives:
            if d.kind in ("host", "match", "include"):
                self.blocks.append(_Block(d, []))
            else:
                self.blocks[-1].options.append(d)
        self.literal: dict[str, list[int]] = {}
        self.always: list[int] = []
        for index, block in enumerate(self.blocks):
            d = block.header
            names = [p for p in d.args if p] if d is not None and d.kind == "host" else None
            literal = names is not None and not any(p.startswith("!") or "*" in p or "?" in p for p in names)
            unknown = has_ignore_unknown and any(o.spec is None for o in block.options)
            if literal and not unknown:
                for name in dict.fromkeys(names):
                    self.literal.setdefault(name, []).append(index)
            else:
                self.always.append(index)

    def relevant(self, host: str) -> list[int]:
        named = self.literal.get(host)
        return sorted(self.always + named) if named else self.always


@dataclass
class _Block:
    header: Directive | None
    options: list[Directive]


#: A host name of letters, digits, '.', '_' and '-' with a letter that is no hex digit and no 'x'
#: (``0x7f.1`` is a numeric address to inet_aton): the numeric parse would fail on it.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]*[g-wyzG-WYZ_-][A-Za-z0-9._-]*")


def _canonical_host(host: str, address_family: str | None) -> str:
    """ssh.c after HostName substitution: numeric addresses canonicalised, names lowercased."""
    if _PLAIN_NAME.fullmatch(host):  # letters no number can hold: not an address, skip the resolver call
        return ascii_lower(host)
    return canonical_address(host, address_family)


def canonical_address(host: str, address_family: str | None) -> str:
    """``_canonical_host`` for any text, through the resolver's numeric parse."""
    families = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}
    family = families.get(ascii_lower(address_family or ""), socket.AF_UNSPEC)
    try:
        info = socket.getaddrinfo(
            host, "22", family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        )
        addr = socket.getnameinfo(info[0][4], socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)[0]
    except (OSError, UnicodeError, ValueError, IndexError):
        # ssh.c is_addr_fast: something that looks like an address is left alone, even when invalid
        if "%" in host or ":" in host or not host.strip("0123456789."):
            return host
        return ascii_lower(host)
    return host if ascii_lower(addr) == ascii_lower(host) else addr
