"""OpenSSH client configuration (``~/.ssh/config``) as an inventory source.

OpenSSH's reading of the file is reproduced in memory, offline, the way ``ssh -G -F FILE ALIAS``
resolves an alias (OpenSSH 9.x): first value wins except for the accumulating keywords,
``argv_split`` quoting, trailing comments, ``Include`` with its path rules and conditional blocks,
``Match`` and the second ("final") pass, ``ProxyJump`` chains resolved hop by hop.
paramiko's ``SSHConfig`` is deliberately not used: it skips ``Include``, treats unknown ``Match``
criteria as matching, and would run ``Match exec`` commands. Nothing in the file is ever executed:
a ``Match exec`` block counts as not matching and is reported; a ``ProxyCommand`` is recorded.

``SshConfig`` is the resolver (usable on its own, e.g. by tests comparing it with ``ssh -G``);
``SshConfigSource`` turns its result into ``Host`` objects and diagnostics.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import socket
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult, validate_address
from migrator.sources.base import Source

WHITESPACE = " \t\r\n"
MAX_INCLUDE_DEPTH = 16  # READCONF_MAX_DEPTH
MAX_IDENTITY_FILES = 100  # SSH_MAX_IDENTITY_FILES (also the CertificateFile limit)
MAX_INCLUDED_FILES = 5000  # not OpenSSH's: stops an Include fan-out from exhausting memory
MAX_LINE_ERRORS = 50  # per file; the rest are summed up in one diagnostic
MAX_JUMP_DEPTH = 32
MAX_FILE_BYTES = 16 * 1024 * 1024  # not OpenSSH's: a config is never this big; /dev/zero would be

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    """C ``tolower`` in OpenSSH: ASCII only."""
    return s.translate(_ASCII_LOWER)


# ---------------------------------------------------------------------------------------------
# keywords

_FLAG = ("yes", "no", "true", "false")


@dataclass(frozen=True)
class Keyword:
    """One ssh_config keyword: canonical spelling, how its arguments parse, and which option it sets.

    ``slot`` is the option an alias keyword writes to (``IdentityFile2`` sets ``IdentityFile``), so
    first-value-wins works across spellings, as in OpenSSH where they share one struct field.
    """

    name: str
    kind: str
    min_args: int = 1
    max_args: int | None = 1
    choices: tuple[str, ...] = ()
    slot: str | None = None

    @property
    def option(self) -> str:
        return self.slot or self.name


def _keywords() -> dict[str, Keyword]:
    table: list[Keyword] = []

    def add(name, kind="string", min_args=1, max_args=1, choices=(), slot=None):
        table.append(Keyword(name, kind, min_args, max_args, tuple(choices), slot))

    flags = (
        "BatchMode CanonicalizeFallbackLocal CheckHostIP ClearAllForwardings Compression "
        "EnableEscapeCommandline EnableSSHKeysign ExitOnForwardFailure ForkAfterAuthentication "
        "ForwardX11 ForwardX11Trusted GSSAPIAuthentication GSSAPIDelegateCredentials GSSAPIKeyExchange "
        "GSSAPIRenewalForcesRekey GSSAPITrustDns GatewayPorts HashKnownHosts HostbasedAuthentication "
        "IdentitiesOnly KbdInteractiveAuthentication NoHostAuthenticationForLocalhost "
        "PasswordAuthentication PermitLocalCommand ProxyUseFdpass StdinNull StreamLocalBindUnlink "
        "TCPKeepAlive VisualHostKey"
    )
    for name in flags.split():
        add(name, "choice", choices=_FLAG)
    add("AddressFamily", "choice", choices=("inet", "inet6", "any"))
    add("CanonicalizeHostname", "choice", choices=_FLAG + ("always",))
    add("ControlMaster", "choice", choices=_FLAG + ("ask", "auto", "autoask"))
    add("PubkeyAuthentication", "choice", choices=_FLAG + ("unbound", "host-bound"))
    add("RequestTTY", "choice", choices=_FLAG + ("force", "auto"))
    add("SessionType", "choice", choices=("none", "subsystem", "default"))
    add("StrictHostKeyChecking", "choice", choices=_FLAG + ("ask", "off", "accept-new"))
    add("Tunnel", "choice", choices=_FLAG + ("ethernet", "point-to-point"))
    add("UpdateHostKeys", "choice", choices=_FLAG + ("ask",))
    add("VerifyHostKeyDNS", "choice", choices=_FLAG + ("ask",))
    add("FingerprintHash", "choice", choices=("md5", "sha1", "sha256", "sha384", "sha512"))
    add("LogLevel", "choice",
        choices=("quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"))
    add("SyslogFacility", "choice",
        choices=("daemon", "user", "auth", "authpriv") + tuple(f"local{i}" for i in range(8)))
    for name in "CanonicalizeMaxDots ConnectionAttempts NumberOfPasswordPrompts RequiredRSASize " \
                "ServerAliveCountMax".split():
        add(name, "int")
    for name in "ConnectTimeout ForwardX11Timeout ServerAliveInterval".split():
        add(name, "time")
    add("ProtocolKeepAlives", "time", slot="ServerAliveInterval")  # Debian alias
    add("SetupTimeOut", "time", slot="ServerAliveInterval")  # Debian alias
    add("ControlPersist", "controlpersist")
    add("AddKeysToAgent", "addkeys", max_args=2)
    add("ForwardAgent", "forwardagent")
    add("EscapeChar", "escape")
    add("StreamLocalBindMask", "mask")
    add("RekeyLimit", "string", max_args=2)
    add("IPQoS", "string", max_args=2)
    strings = (
        "BindAddress BindInterface CASignatureAlgorithms Ciphers ControlPath GSSAPIClientIdentity "
        "GSSAPIKexAlgorithms GSSAPIServerIdentity HostKeyAlgorithms HostKeyAlias HostName "
        "HostbasedAcceptedAlgorithms IgnoreUnknown KbdInteractiveDevices KexAlgorithms MACs "
        "PKCS11Provider PreferredAuthentications PubkeyAcceptedAlgorithms RevokedHostKeys "
        "SecurityKeyProvider TunnelDevice User XAuthLocation"
    )
    for name in strings.split():
        add(name)
    add("IdentityAgent", "agentpath")
    add("SmartcardDevice", slot="PKCS11Provider")
    add("HostbasedKeyTypes", slot="HostbasedAcceptedAlgorithms")
    add("PubkeyAcceptedKeyTypes", slot="PubkeyAcceptedAlgorithms")
    add("ChallengeResponseAuthentication", "choice", choices=_FLAG, slot="KbdInteractiveAuthentication")
    add("SKeyAuthentication", "choice", choices=_FLAG, slot="KbdInteractiveAuthentication")
    add("TISAuthentication", "choice", choices=_FLAG, slot="KbdInteractiveAuthentication")
    add("DSAAuthentication", "choice", choices=_FLAG, slot="PubkeyAuthentication")
    add("KeepAlive", "choice", choices=_FLAG, slot="TCPKeepAlive")
    for name in "GlobalKnownHostsFile UserKnownHostsFile CanonicalDomains CanonicalizePermittedCNAMEs " \
                "LogVerbose PermitRemoteOpen".split():
        add(name, "multi", max_args=None)
    add("SetEnv", "setenv", max_args=None)
    add("SendEnv", "sendenv", max_args=None)
    add("IdentityFile", "accum")
    add("IdentityFile2", "accum", slot="IdentityFile")
    add("CertificateFile", "accum")
    add("DynamicForward", "accum")
    add("LocalForward", "accum", min_args=2, max_args=2)
    add("RemoteForward", "accum", max_args=2)
    for name in "ProxyCommand LocalCommand RemoteCommand KnownHostsCommand".split():
        add(name, "command", max_args=None)
    add("ProxyJump", "jump", max_args=None)
    add("Port", "port")
    add("Host", "host", max_args=None)
    add("Match", "match", max_args=None)
    add("Include", "include", max_args=None)
    add("Protocol", "ignore", max_args=None)
    for name in "Cipher FallBackToRsh GlobalKnownHostsFile2 RhostsAuthentication UseBlacklistedKeys " \
                "UsePrivilegedPort UserKnownHostsFile2 UseRoaming UseRsh".split():
        add(name, "deprecated", max_args=None)
    for name in "AFSTokenPassing CompressionLevel KerberosAuthentication KerberosTGTPassing " \
                "RhostsRSAAuthentication RSAAuthentication".split():
        add(name, "unsupported", max_args=None)
    return {_lower(k.name): k for k in table}


KEYWORDS: dict[str, Keyword] = _keywords()

# Keywords that ``Host`` carries in its own fields; every other one goes to ``ssh_options``.
MODEL_KEYWORDS = frozenset(
    "HostName Port User IdentityFile CertificateFile IdentitiesOnly IdentityAgent ProxyJump "
    "ProxyCommand".split()
)
# Match criteria newer than OpenSSH 9.2: valid for a newer ssh, not decidable offline.
_NEWER_MATCH_CRITERIA = {"localnetwork": "9.4", "tagged": "9.4", "version": "10.0", "command": "10.0",
                         "sessiontype": "10.0"}
_MATCH_CRITERIA = {"all", "canonical", "final", "exec", "host", "originalhost", "user", "localuser"}


# ---------------------------------------------------------------------------------------------
# lexical layer (readconf.c / misc.c)

def strdelim(s: str, pos: int | None) -> tuple[str | None, int | None]:
    """OpenSSH ``strdelim``: next token from ``s[pos:]`` split at whitespace or one ``=``.

    Returns ``(token, next_pos)``; ``next_pos`` is None when nothing follows. A ``"`` starts a quoted
    token; an unclosed one gives ``(None, None)``.
    """
    if pos is None:
        return None, None
    n = len(s)
    i = pos
    while i < n and s[i] not in ' \t\r\n"=':
        i += 1
    if i >= n:
        return s[pos:], None
    if s[i] == '"':
        j = s.find('"', i + 1)
        if j < 0:
            return None, None
        token = s[pos:i] + s[i + 1:j]
        k = j + 1
        while k < n and s[k] in WHITESPACE:
            k += 1
        return token, k
    wspace = s[i] == "="
    token = s[pos:i]
    k = i + 1
    while k < n and s[k] in WHITESPACE:
        k += 1
    if k < n and s[k] == "=" and not wspace:
        k += 1
        while k < n and s[k] in WHITESPACE:
            k += 1
    return token, k


class QuoteError(ValueError):
    pass


def argv_split(s: str) -> list[str]:
    """OpenSSH ``argv_split(..., terminate_on_comment=1)``: shell-like words, ``#`` ends the line."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            break
        quote = ""
        arg: list[str] = []
        while i < n:
            c = s[i]
            if c == "\\":
                nxt = s[i + 1] if i + 1 < n else ""
                if (nxt and nxt in "'\"\\") or (not quote and nxt == " "):
                    i += 1
                    arg.append(nxt)
                else:
                    arg.append(c)
            elif not quote and c in " \t":
                break
            elif not quote and c in "\"'":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                arg.append(c)
            i += 1
        if i >= n and quote:
            raise QuoteError("unclosed quote")
        out.append("".join(arg))
    return out


def quote_arg(arg: str) -> str:
    """Write one argument so that ``argv_split`` reads it back unchanged."""
    if arg and not re.search(r"[\s\"'\\#]", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[bytes]:
    parts = []
    for ch in pattern.encode("utf-8", "surrogateescape"):
        b = bytes([ch])
        parts.append(b".*" if b == b"*" else b"." if b == b"?" else re.escape(b))
    return re.compile(b"".join(parts), re.DOTALL)


def match_pattern(s: str, pattern: str) -> bool:
    """OpenSSH ``match_pattern``: ``*`` and ``?`` only, byte-wise, case-sensitive."""
    return _pattern_regex(pattern).fullmatch(s.encode("utf-8", "surrogateescape")) is not None


def match_pattern_list(s: str, patterns: str, dolower: bool) -> int:
    """OpenSSH ``match_pattern_list``: 1 positive match, -1 negated match, 0 none."""
    got_positive = 0
    for sub in patterns.split(",") if patterns else []:
        negated = sub.startswith("!")
        if negated:
            sub = sub[1:]
        if len(sub.encode("utf-8", "surrogateescape")) >= 1023:
            return 0
        if dolower:
            sub = _lower(sub)
        if match_pattern(s, sub):
            if negated:
                return -1
            got_positive = 1
    return got_positive


def _strtonum(s: str, lo: int, hi: int) -> int | None:
    m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", s)
    if not m:
        return None
    value = int(m.group(1))
    return value if lo <= value <= hi else None


_SERVICE_FALLBACK = {"ssh": 22}


def a2port(s: str) -> int:
    """OpenSSH ``a2port``: a number 0-65535 or a TCP service name; -1 when neither."""
    value = _strtonum(s, 0, 65535)
    if value is not None:
        return value
    if not s:
        return -1
    try:
        return socket.getservbyname(s, "tcp")
    except (OSError, UnicodeError):
        return _SERVICE_FALLBACK.get(s, -1)


def convtime(s: str) -> int:
    """OpenSSH ``convtime``: ``90``, ``1h30m``, ... in seconds; -1 when malformed."""
    if not s or not re.fullmatch(r"(?:[0-9]+[sSmMhHdDwW]?)+", s):
        return -1
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total = sum(int(n) * scale[u.lower()] for n, u in re.findall(r"([0-9]+)([sSmMhHdDwW]?)", s))
    return total if total <= 2**31 - 1 else -1


class TokenError(ValueError):
    pass


def percent_expand(s: str, tokens: dict[str, str]) -> str:
    """OpenSSH ``percent_expand``: ``%x`` from ``tokens``; ``%%`` is ``%``; anything else is an error."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(s):
            raise TokenError("'%' at the end of the value")
        t = s[i + 1]
        if t == "%":
            out.append("%")
        elif t in tokens:
            out.append(tokens[t])
        else:
            raise TokenError(f"unknown token %{t}")
        i += 2
    return "".join(out)


def dollar_expand(s: str, env: dict[str, str] | None = None) -> str:
    """OpenSSH ``dollar_expand``: ``${NAME}`` from the environment; an unset name is an error."""
    env = os.environ if env is None else env

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in env:
            raise TokenError(f"environment variable ${{{m.group(1)}}} is not set")
        return env[m.group(1)]

    if "${" in s and not re.fullmatch(r"(?:[^$]|\$(?!\{)|\$\{[A-Za-z_][A-Za-z0-9_]*\})*", s):
        raise TokenError("malformed ${...} reference")
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, s)


# ---------------------------------------------------------------------------------------------
# ProxyJump grammar (readconf.c parse_jump, misc.c parse_user_host_port / parse_ssh_uri)

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
    return s[:i], s[i], s[i + 1:]


def _clean_host(h: str) -> str:
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


def parse_user_host_port(s: str) -> HopSpec | None:
    user = None
    rest = s
    at = s.rfind("@")
    if at >= 0:
        user, rest = s[:at], s[at + 1:]
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
            h = raw[i + 1:i + 3]
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
    rest = s[len("ssh://"):]
    user = None
    at = rest.find("@")
    if at >= 0:
        user = _urldecode(rest[:at])
        if user is None or not user:
            return None
        rest = rest[at + 1:]
    parts = _hpdelim2(rest)
    if parts is None or not parts[0]:
        return None
    host, delim, tail = parts
    port = None
    if delim == ":":
        m = re.match(r"[^/]*", tail or "")
        port_s = m.group(0) if m else ""
        tail = (tail or "")[len(port_s):]
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
        out = (f"{self.extra}," if self.extra is not None else "") + (
            f"{self.last.user}@" if self.last.user else ""
        ) + host
        return out + (f":{self.last.port}" if self.last.port else "")

    def hop_strings(self) -> list[str]:
        return (self.extra.split(",") if self.extra is not None else []) + ["LAST"]


def parse_jump(raw: str) -> JumpSetting | None:
    """readconf.c ``parse_jump``: None when OpenSSH rejects the value."""
    if _lower(raw) == "none":
        return JumpSetting(none=True)
    cut = raw.split("#", 1)[0]
    # OpenSSH's rtrim() (9.2 as patched by Debian up to 10.x) blanks every whitespace character
    # after the first one, not only trailing ones: "gw1 # note" and "gw1 gw2" both leave "gw1".
    space = re.search(r"[ \t\n\v\f\r]", cut[1:])
    if space:
        cut = cut[:space.start() + 1]
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


# ---------------------------------------------------------------------------------------------
# the parsed file tree

@dataclass
class Criterion:
    negate: bool
    name: str
    arg: str | None = None


@dataclass
class Directive:
    """One non-comment line: keyword, arguments and what it means."""

    file: str
    line: int
    keyword: str  # as written
    spec: Keyword | None  # None: not an OpenSSH keyword
    args: list[str]
    raw: str  # the rest of the line after the keyword, leading whitespace removed
    error: str | None = None
    criteria: list[Criterion] = field(default_factory=list)
    jump: JumpSetting | None = None
    port: int | None = None
    includes: list[IncludedFile] = field(default_factory=list)
    description: str | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind if self.spec else "unknown"

    def command(self) -> str:
        return self.raw.lstrip(WHITESPACE + "=")


@dataclass
class IncludedFile:
    path: str
    directives: list[Directive]


@dataclass
class Resolution:
    """An alias resolved like ``ssh -G``; ``user`` is None when the file sets none."""

    alias: str
    hostname: str
    port: int
    user: str | None
    identity_files: list[str]
    certificate_files: list[str]
    identities_only: bool | None
    identity_agent: str | None
    jump: JumpSetting | None  # None: no ProxyJump (or ProxyJump none)
    proxy_command: str | None
    options: list[tuple[str, str]]  # every other keyword set, canonical spelling, in order
    declared: bool  # a Host line naming the alias applied to it in the first pass
    hostname_error: str | None = None
    final_pass: bool = False

    @property
    def proxy_jump(self) -> str | None:
        return self.jump.ssh_g() if self.jump else None


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


class SshConfig:
    """A parsed ssh_config with its Includes, able to resolve any alias like OpenSSH does.

    ``home`` is ``~`` (relative Includes resolve against ``home/.ssh``); ``local_user`` is the
    login name ``Match user``/``localuser`` and ``%u`` see. With ``include_fallback``, a relative
    Include that matches nothing under ``home/.ssh`` is looked up next to the main file instead
    (OpenSSH would read nothing; a warning says so): this is how a copied config finds its conf.d.
    """

    def __init__(self, path: str | Path, *, home: str | Path | None = None, local_user: str | None = None,
                 include_dir: str | Path | None = None, display_path: str | None = None,
                 include_fallback: bool = False, max_line_errors: int = MAX_LINE_ERRORS):
        self.path = Path(path)
        self.max_line_errors = max_line_errors
        self.include_fallback = include_fallback
        self.display_path = display_path or self.path.as_posix()
        self.home = Path(home) if home is not None else Path.home()
        self.include_dir = Path(include_dir) if include_dir is not None else self.home / ".ssh"
        self.local_user = local_user or default_local_user()
        self.diagnostics: list[Diagnostic] = []
        self._files_read = 0
        self._error_count: dict[str, int] = {}
        self._seen_diags: set[tuple] = set()
        self.directives = self._read_file(self.path, self.display_path, 0, (), main=True)
        self._cache: dict[tuple, Resolution] = {}
        self._programs: dict[int, _Program] = {}
        self._eval_problems: dict[tuple[str, int, str], tuple[str, str, str, set[str]]] = {}
        self._aliases: list[tuple[str, Directive]] | None = None
        everything = self.all_directives()
        # IgnoreUnknown makes an unknown keyword's fate depend on the alias; without one it is always fatal.
        self.has_ignore_unknown = any(d.spec and d.spec.name == "IgnoreUnknown" for d in everything)
        for d in everything:
            if d.kind == "unknown" and d.error is None and not self.has_ignore_unknown:
                self._line_error(d.file, d.line, d.keyword, _unknown_message(d.keyword))
            elif d.kind in ("deprecated", "unsupported", "ignore") and d.error is None:
                self._diag("info", "ssh-obsolete-keyword",
                           f"{d.spec.name} is obsolete in OpenSSH and has no effect; it is not imported",
                           file=d.file, line=d.line, field_=d.spec.name)

    # ----- reading

    def _diag(self, level: str, code: str, message: str, *, file: str | None = None, line: int | None = None,
              field_: str | None = None, entry: str | None = None) -> None:
        key = (code, file, line, entry, message)
        if key in self._seen_diags:
            return
        self._seen_diags.add(key)
        self.diagnostics.append(Diagnostic(
            level=level, code=code, message=message, file=file or self.display_path, line=line, field=field_,
            entry=entry))

    def _line_error(self, file: str, line: int, keyword: str, message: str) -> None:
        count = self._error_count.get(file, 0) + 1
        self._error_count[file] = count
        if count <= self.max_line_errors:
            self._diag("error", "ssh-rejected-line",
                       f"{message}; OpenSSH refuses the whole file because of this line; it is ignored here",
                       file=file, line=line, field_=keyword or None)

    def _read_file(self, path: Path, display: str, depth: int, stack: tuple[str, ...], main: bool = False,
                   include_at: tuple[str, int] | None = None) -> list[Directive]:
        self._files_read += 1
        self._error_count[display] = 0
        try:
            if not main and not stat.S_ISREG(path.stat().st_mode):
                raise OSError("not a regular file")
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise OSError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        except OSError as exc:
            if main:
                raise InputError(f"{display}: cannot read: {exc.strerror or exc}") from None
            file, line = include_at or (None, None)
            self._diag("error", "ssh-include-unreadable",
                       f"included file {display} is not read ({exc.strerror or exc})", file=file, line=line)
            return []
        text = self._decode(data, display)
        return self._parse_text(text, display, depth, stack + (_real(path),))

    def _decode(self, data: bytes, display: str) -> str:
        if data.startswith(b"\xef\xbb\xbf"):
            self._diag("warning", "ssh-bom",
                       "the file starts with a UTF-8 byte-order mark, which makes OpenSSH reject it; it is "
                       "ignored here", file=display, line=1)
            data = data[3:]
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
            codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-16-le"
            self._diag("warning", "ssh-encoding",
                       "the file is UTF-16, which OpenSSH cannot read; it was decoded as UTF-16 anyway",
                       file=display)
            return data.decode(codec, errors="replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            self._diag("warning", "ssh-encoding",
                       "the file is not valid UTF-8; it was read as Latin-1 (check names with accents)",
                       file=display, line=line)
            return data.decode("latin-1")

    def _parse_text(self, text: str, display: str, depth: int, stack: tuple[str, ...]) -> list[Directive]:
        directives: list[Directive] = []
        comments: list[str] = []
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            if "\0" in line:
                self._diag("warning", "ssh-nul-byte",
                           "the line contains a NUL byte; OpenSSH ignores the rest of the line, and so does "
                           "this import", file=display, line=number)
                line = line.split("\0", 1)[0]
            d = self._parse_line(line, display, number)
            if d is None:
                stripped = line.strip(WHITESPACE + "\f")
                if stripped.startswith("#"):
                    comments.append(stripped.lstrip("#").strip())
                else:
                    comments = []
                continue
            if d.kind == "host":
                d.description = _description(comments)
            comments = []
            if d.kind == "include" and d.error is None:
                d.includes = self._include(d, depth, stack)
            directives.append(d)
        return directives

    def _parse_line(self, line: str, display: str, number: int) -> Directive | None:
        end = len(line)
        while end > 1 and line[end - 1] in WHITESPACE + "\f":
            end -= 1
        line = line[:end]
        if not line:
            return None
        keyword, pos = strdelim(line, 0)
        if keyword == "":
            keyword, pos = strdelim(line, pos)
        if keyword is None or keyword == "" or keyword.startswith(("\n", "#")):
            return None
        rest = line[pos:] if pos is not None else ""
        rest = rest.lstrip(WHITESPACE)
        spec = KEYWORDS.get(_lower(keyword))
        d = Directive(display, number, keyword, spec, [], rest)
        if not rest:
            d.error = f"no argument after keyword {keyword!r}"
            self._line_error(display, number, keyword, d.error)
            return d
        try:
            d.args = argv_split(rest)
        except QuoteError:
            d.error = "unbalanced quotes"
            self._line_error(display, number, keyword, d.error)
            return d
        if spec is None:
            return d
        d.error = self._check_args(d)
        if d.error:
            self._line_error(display, number, spec.name, d.error)
        return d

    def _check_args(self, d: Directive) -> str | None:
        spec = d.spec
        assert spec is not None
        kind, args = spec.kind, d.args
        if kind in ("command", "deprecated", "unsupported", "ignore"):
            return None
        if kind == "jump":
            d.jump = parse_jump(d.command())
            return None if d.jump else f"invalid ProxyJump {d.command()!r}"
        if kind == "match":
            d.criteria, error = _parse_match(d.raw)
            return error
        if kind in ("host", "include", "multi", "setenv", "sendenv"):
            # OpenSSH 9.2 accepts these with no argument at all ("Host # note" selects nothing)
            if any(a == "" for a in args):
                return "empty argument"
            if kind == "setenv" and any("=" not in a for a in args):
                return "SetEnv needs NAME=VALUE"
            if kind == "sendenv" and any("=" in a for a in args):
                return "invalid environment name in SendEnv"
            if spec.name == "CanonicalizePermittedCNAMEs" and any(
                    not re.fullmatch(r"[^:]+:[^:]+", a) for a in args):
                return "invalid permitted CNAME (expected source:target)"
            if spec.name == "PermitRemoteOpen" and any(
                    _lower(a) not in ("any", "none") and _permit_open_port(a) is None for a in args):
                return "bad port number in PermitRemoteOpen"
            return None
        if not args or args[0] == "":
            return "missing argument"
        if len(args) < spec.min_args:
            return "missing argument"
        if spec.max_args is not None and len(args) > spec.max_args:
            return "extra arguments at end of line"
        value = args[0]
        if kind == "port":
            d.port = a2port(value)
            return None if d.port > 0 else f"bad port {value!r}"
        if kind == "choice" and _lower(value) not in spec.choices:
            return f"unsupported value {value!r} (expected one of: {', '.join(spec.choices)})"
        if kind == "int" and _strtonum(value, 0, 2**31 - 1) is None:
            return f"bad number {value!r}"
        if kind == "time" and convtime(value) < 0:
            return f"bad time value {value!r}"
        if kind == "controlpersist" and _lower(value) not in _FLAG and convtime(value) < 0:
            return f"bad ControlPersist value {value!r}"
        if kind == "addkeys":
            choice = _lower(value)
            if len(args) == 2 and (choice != "confirm" or convtime(args[1]) < 0):
                return "unsupported AddKeysToAgent value"
            if len(args) == 1 and choice not in _FLAG + ("ask", "confirm") and convtime(value) < 0:
                return "unsupported AddKeysToAgent value"
        if kind == "escape" and not (value == "none" or len(value) == 1 or (
                len(value) == 2 and value[0] == "^" and 64 <= ord(value[1]) < 128)):
            return f"bad escape character {value!r}"
        if kind == "mask" and (not re.fullmatch(r"[0-7]+", value) or int(value, 8) > 0o777):
            return f"bad mask {value!r}"
        if kind in ("agentpath", "forwardagent"):
            if kind == "forwardagent" and _lower(value) in _FLAG:
                return None
            try:
                dollar_expand(value, {})
            except TokenError as exc:
                if "malformed" in str(exc):
                    return "invalid environment expansion"
            if value.startswith("$") and not value.startswith("${") and not re.fullmatch(
                    r"[A-Za-z_][A-Za-z0-9_]*", value[1:]):
                return f"invalid environment name {value!r}"
        return None

    def _include(self, d: Directive, depth: int, stack: tuple[str, ...]) -> list[IncludedFile]:
        out: list[IncludedFile] = []
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self._diag("error", "ssh-include-depth",
                       f"Include nesting deeper than {MAX_INCLUDE_DEPTH} files; OpenSSH stops with 'Too many "
                       "recursive configuration includes'; the include is ignored here",
                       file=d.file, line=d.line, field_="Include")
            return out
        for arg in d.args:
            pattern = self._include_path(arg)
            matches = _glob(pattern)
            fallback_dir = self.path.parent
            if not matches and self.include_fallback and not arg.startswith(("/", "~")) and (
                    _real(fallback_dir) != _real(self.include_dir)):
                pattern = (fallback_dir / arg).as_posix()
                matches = _glob(pattern)
                if matches:
                    self._diag("warning", "ssh-include-fallback",
                               f"Include {arg!r} matches nothing in {self.include_dir.as_posix()} (where "
                               f"OpenSSH looks); the files next to this config ({pattern}) were read instead",
                               file=d.file, line=d.line, field_="Include")
            if not matches:
                self._diag("info", "ssh-include-missing",
                           f"Include {arg!r} ({pattern}) matches no file; OpenSSH ignores it silently",
                           file=d.file, line=d.line, field_="Include")
                continue
            for match in matches:
                p = Path(match)
                if p.is_dir():
                    continue
                if _real(p) in stack:
                    self._diag("error", "ssh-include-cycle",
                               f"Include of {match} loops back to a file that is already being read; OpenSSH "
                               "stops with 'Too many recursive configuration includes'; the loop is cut here",
                               file=d.file, line=d.line, field_="Include")
                    continue
                if self._files_read >= MAX_INCLUDED_FILES:
                    self._diag("error", "ssh-include-depth",
                               f"more than {MAX_INCLUDED_FILES} included files; the rest are not read",
                               file=d.file, line=d.line, field_="Include")
                    return out
                self._check_permissions(p, match, d)
                out.append(IncludedFile(match, self._read_file(p, match, depth + 1, stack,
                                                               include_at=(d.file, d.line))))
        return out

    def _include_path(self, arg: str) -> str:
        if not arg.startswith(("/", "~")):
            return (self.include_dir / arg).as_posix()
        if arg == "~" or arg.startswith("~/"):
            return self.home.as_posix() + arg[1:]
        return os.path.expanduser(arg)

    def _check_permissions(self, p: Path, shown: str, d: Directive) -> None:
        try:
            st = p.stat()
        except OSError:
            return
        uid = getattr(os, "getuid", lambda: None)()
        if uid is None or not stat.S_ISREG(st.st_mode):
            return
        if (st.st_uid not in (0, uid)) or (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            self._diag("warning", "ssh-include-permissions",
                       f"{shown} is writable by others or owned by another user; OpenSSH refuses it ('Bad "
                       "owner or permissions') but it is read here",
                       file=d.file, line=d.line, field_="Include")

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

    def rejected_line_summary(self) -> list[Diagnostic]:
        """One diagnostic per file whose rejected lines were too many to list one by one."""
        return [
            Diagnostic(level="error", code="ssh-rejected-line", file=file,
                       message=f"{count - self.max_line_errors} more lines were rejected (not listed one by one)")
            for file, count in self._error_count.items() if count > self.max_line_errors
        ]

    # ----- resolving

    def resolve(self, alias: str, *, user: str | None = None, port: int | None = None,
                jump_given: bool = False) -> Resolution:
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
        canonicalize = _lower(st.values.get("CanonicalizeHostname", "no")) in ("yes", "true", "always")
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
            alias=alias, hostname=host, port=st.port or 22, user=st.user,
            identity_files=list(st.identity_files), certificate_files=list(st.certificate_files),
            identities_only=None if identities_only is None else _lower(identities_only) in ("yes", "true"),
            identity_agent=st.values.get("IdentityAgent"), jump=jump, proxy_command=proxy_command,
            options=options, declared=st.declared, hostname_error=hostname_error, final_pass=final,
        )

    def jump_loops_on_itself(self, res: Resolution) -> bool:
        """ssh.c's own check, made before connecting (``ssh -G`` too): "jumphost loop via HOST"."""
        if res.jump is None or res.jump.last is None:
            return False
        last = res.jump.last
        user = res.user or self.local_user
        return last.host == res.hostname and res.port == (last.port or 22) and (last.user or user) == user

    def jump_chain(self, res: Resolution, _path: tuple = ()) -> list[JumpHop] | str:
        """The hops of ``res``, nearest first, or why there is no usable chain.

        This is how ssh runs ProxyJump ``a,b``: ``ssh -J a -W target b``, so ``b``'s own ProxyJump
        is overridden while ``a`` is reached with its own configuration: the chain is ``a``'s
        chain followed by ``a`` and ``b``, each resolved through this config (``user@``/``:port``
        in the value win over the hop's own User/Port). ``ref`` names the hop's alias when the
        config declares it. ``_path`` holds the (alias, user, port) being resolved, to catch the
        loops ssh would recurse into forever.
        """
        assert res.jump is not None and res.jump.last is not None
        path = _path or ((res.alias, None, None),)
        if self.jump_loops_on_itself(res):
            return f"ProxyJump {res.jump.ssh_g()!r} points at the host itself; OpenSSH stops with 'jumphost loop'"
        if len(path) > MAX_JUMP_DEPTH:
            return "ProxyJump chain is too long"
        tokens = {"h": res.hostname, "n": res.alias, "p": str(res.port), "r": res.user or self.local_user}
        specs: list[HopSpec] = []
        try:
            for text in res.jump.hop_strings():
                if text == "LAST":
                    last = res.jump.last
                    spec: HopSpec | None = HopSpec(percent_expand(last.host, tokens),
                                                   percent_expand(last.user, tokens) if last.user else None,
                                                   last.port)
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
        first_res = self.resolve(first.host, user=first.user, port=first.port)
        hops: list[JumpHop] = []
        if first_res.jump is not None:
            sub = self.jump_chain(first_res, path + (first_key,))
            if isinstance(sub, str):
                return sub
            hops.extend(sub)
        elif first_res.proxy_command is not None:
            return (f"jump host {first.host!r} is reached through ProxyCommand {first_res.proxy_command!r}, "
                    "which cannot be represented as a jump chain")
        aliases = {a for a, _ in self.aliases()}
        for i, spec in enumerate(specs):
            hop_res = first_res if i == 0 else self.resolve(spec.host, user=spec.user, port=spec.port,
                                                             jump_given=True)
            if hop_res.hostname_error:
                return f"jump host {spec.host!r}: {hop_res.hostname_error}"
            try:
                address = validate_address(hop_res.hostname)
            except ValueError as exc:
                return f"jump host {spec.host!r}: {exc}"
            hops.append(JumpHop(host=address, port=hop_res.port, user=hop_res.user,
                                ref=spec.host if spec.host in aliases else None))
        return hops

    def _program(self, directives: list[Directive]) -> _Program:
        prog = self._programs.get(id(directives))
        if prog is None:
            prog = self._programs[id(directives)] = _Program(directives, self.has_ignore_unknown)
        return prog

    def _run(self, directives: list[Directive], st: _State, host: str, alias: str, final: bool,
             active: bool, nevermatch: bool) -> None:
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
                    self._problem(d, "warning", "ssh-match-exec",
                                  f"Match exec {c.arg!r} was not run (this import never runs commands); its "
                                  "block is treated as not matching", alias)
                    result = False
                continue
            if c.name in _NEWER_MATCH_CRITERIA:
                if result:
                    self._problem(d, "warning", "ssh-match-unsupported",
                                  f"Match {c.name} (OpenSSH {_NEWER_MATCH_CRITERIA[c.name]}+) cannot be "
                                  "decided offline; its block is treated as not matching", alias)
                    result = False
                continue
            assert c.arg is not None
            if c.name == "host":
                r = match_pattern_list(_lower(target), c.arg, True) == 1
            elif c.name == "originalhost":
                r = match_pattern_list(_lower(alias), c.arg, True) == 1
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
                self._eval_problems.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
            names = sorted(aliases)
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            out.append(Diagnostic(level=level, code=code, message=f"{message} (affects: {shown})", file=file,
                                  line=line))
        return out

    def _unknown(self, d: Directive, st: _State, active: bool, alias: str) -> None:
        kw = _lower(d.keyword)
        if st.ignore_unknown is not None and match_pattern_list(kw, st.ignore_unknown, True) == 1:
            if active and d.keyword not in st.values:
                st.values[d.keyword] = " ".join(quote_arg(a) for a in d.args)
                st.order.append(d.keyword)
            return
        if not self.has_ignore_unknown:
            return  # already reported once, while reading
        self._problem(d, "error", "ssh-unknown-keyword",
                      f"{_unknown_message(d.keyword)} (OpenSSH refuses the whole file unless an earlier "
                      "IgnoreUnknown lists it); the line is ignored here", alias)

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


def _parse_match(raw: str) -> tuple[list[Criterion], str | None]:
    """readconf.c ``match_cfg_line`` syntax: criteria split by ``strdelim`` (``"`` quotes, ``=``)."""
    criteria: list[Criterion] = []
    pos: int | None = 0
    attributes = 0
    while True:
        attrib, pos = strdelim(raw, pos)
        if attrib is None or attrib == "":
            break
        if attrib.startswith("#"):
            break
        negate = attrib.startswith("!")
        name = _lower(attrib[1:] if negate else attrib)
        if name == "all":
            nxt, _ = strdelim(raw, pos)
            if attributes > 1 or (nxt is not None and nxt != "" and not nxt.startswith("#")):
                return criteria, f"'{attrib}' cannot be combined with other Match attributes"
            criteria.append(Criterion(negate, "all"))
            return criteria, None
        attributes += 1
        if name in ("canonical", "final"):
            criteria.append(Criterion(negate, name))
            continue
        arg, pos = strdelim(raw, pos)
        if arg is None or arg == "" or arg.startswith("#"):
            return criteria, f"missing Match criteria for {attrib!r}"
        if name not in _MATCH_CRITERIA and name not in _NEWER_MATCH_CRITERIA:
            return criteria, f"unsupported Match attribute {attrib!r}"
        criteria.append(Criterion(negate, name, arg))
    if attributes == 0:
        return criteria, "one or more attributes required for Match"
    return criteria, None


def _unknown_message(keyword: str) -> str:
    if _lower(keyword) == "usekeychain":
        return f"{keyword!r} is known only to Apple's build of OpenSSH"
    return f"{keyword!r} is not an OpenSSH keyword"


def _real(path: Path) -> str:
    """The resolved path (symlinks followed), or the absolute one when it cannot be resolved."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return os.path.abspath(path)


def _glob(pattern: str) -> list[str]:
    """glob(3) as OpenSSH calls it: sorted byte-wise; a plain path only when it exists."""
    if glob.has_magic(pattern):
        return sorted(glob.glob(pattern), key=os.fsencode)
    return [pattern] if os.path.lexists(pattern) else []


def _permit_open_port(arg: str) -> int | None:
    parts = _hpdelim2(arg)
    if parts is None or parts[1] != ":" or not parts[0]:
        return None
    return 0 if parts[2] == "*" else (a2port(parts[2] or "") if a2port(parts[2] or "") > 0 else None)


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 4:
        return False
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    return odd_nuls > len(sample) // 4 and even_nuls < odd_nuls // 8


_DIRECTIVE_COMMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(\s*=\s*|\s+)\S+")


def _description(comments: list[str]) -> str | None:
    """A comment block directly above a Host line, without commented-out settings or rulers."""
    kept = []
    for c in comments:
        if not re.search(r"[A-Za-z0-9]", c):
            continue
        words = c.split()
        first = _lower(re.split(r"[\s=]", c)[0])
        if _DIRECTIVE_COMMENT.fullmatch(c) and len(words) <= 2 and first in KEYWORDS:
            continue
        if first in ("host", "match", "include") and len(words) <= 3 and not c.endswith("."):
            continue
        kept.append(c)
    return " ".join(kept) or None


def _canonical_host(host: str, address_family: str | None) -> str:
    """ssh.c after HostName substitution: numeric addresses canonicalised, names lowercased."""
    families = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}
    family = families.get(_lower(address_family or ""), socket.AF_UNSPEC)
    try:
        info = socket.getaddrinfo(host, "22", family, socket.SOCK_STREAM, 0,
                                  socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
        addr = socket.getnameinfo(info[0][4], socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)[0]
    except (OSError, UnicodeError, ValueError, IndexError):
        # ssh.c is_addr_fast: something that looks like an address is left alone, even when invalid
        if "%" in host or ":" in host or not host.strip("0123456789."):
            return host
        return _lower(host)
    return host if _lower(addr) == _lower(host) else addr


def default_local_user() -> str:
    """The login name OpenSSH uses for ``Match user``/``localuser`` and ``%u`` (from the password file)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name at all: any placeholder works for matching
            return "user"


# ---------------------------------------------------------------------------------------------
# path tokens, for the mapper

def expand_path(value: str, host: Host, *, home: str | Path | None = None, local_user: str | None = None,
                env: dict[str, str] | None = None) -> str:
    """Expand ``~``, ``${VAR}`` and ``%`` tokens of an IdentityFile/CertificateFile/IdentityAgent value.

    ``Host.credentials.key_files`` keeps the paths as written in the config (as ``ssh -G`` prints
    them); a consumer that needs a real path calls this, the way ssh does just before connecting.
    Raises ``TokenError`` for a token or variable OpenSSH would refuse.
    """
    home_s = str(home if home is not None else Path.home())
    local = local_user or default_local_user()
    if value == "~" or value.startswith("~/"):
        value = home_s + value[1:]
    value = dollar_expand(value, env)
    local_host = socket.gethostname()
    user = host.user or local
    port = str(host.port)
    key_alias = next((v for k, v in host.ssh_options if k == "HostKeyAlias"), host.name)
    conn_hash = hashlib.sha1((local_host + host.address + port + user).encode()).hexdigest()
    uid = str(os.getuid()) if hasattr(os, "getuid") else "0"
    return percent_expand(value, {
        "C": conn_hash, "d": home_s, "h": host.address, "i": uid, "k": key_alias,
        "L": local_host.split(".")[0], "l": local_host, "n": host.name, "p": port, "r": user, "u": local,
    })


# ---------------------------------------------------------------------------------------------
# the source

_UNUSABLE_ALIAS = re.compile(r"[\s'`\"$\\;&<>|(){}\x00-\x1f\x7f@,]")


class SshConfigSource(Source):
    """``~/.ssh/config`` and every file it Includes: one Host per concrete alias.

    Options: ``home`` (``~``; default: the importing account's home; relative Includes resolve
    against ``home/.ssh``, or against the folder of the file when that folder is called ``.ssh``),
    ``local_user`` (the login ``Match user``/``localuser`` compare with), ``category_from_include``
    (put hosts from an Included file into a folder named after that file), ``include_fallback``
    (default on: see ``SshConfig``).
    """

    format: ClassVar[str] = "ssh_config"

    def __init__(self, path: str | Path, **options):
        super().__init__(path, **options)
        self.home = Path(options["home"]) if options.get("home") else None
        self.local_user = options.get("local_user") or None
        self.category_from_include = bool(options.get("category_from_include", False))
        self.include_fallback = bool(options.get("include_fallback", True))

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        name = path.name.lower()
        if path.suffix.lower() in (".csv", ".reg", ".xlsx", ".xls", ".xlsm", ".mxtsessions", ".ini", ".json",
                                   ".yaml", ".yml", ".toml", ".xml"):
            return 0
        if path.is_dir():
            return 60 if (path / "config").is_file() else 0
        named = name in ("config", "ssh_config") or name.endswith((".ssh_config", ".conf"))
        codec = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
        text = head.decode(codec, errors="replace").lstrip("\ufeff")
        known = unknown = 0
        structural = False
        for line in text.splitlines()[:200]:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            word = _lower(re.split(r"[\s=]", stripped, maxsplit=1)[0])
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
        if self.home is None and config_file.parent.name == ".ssh" and config_file.parent.resolve() != (
                Path.home() / ".ssh").resolve():
            home = config_file.parent.parent
            result.diagnostics.append(self.diag(
                "info", "ssh-include-base",
                f"'~' and relative Include paths are resolved against {home.as_posix()} (the account this "
                "copied .ssh folder belongs to) rather than the importing account's home"))
        shown = self.display_path if config_file == self.path else config_file.as_posix()
        cfg = SshConfig(config_file, home=home, local_user=self.local_user, display_path=shown,
                        include_fallback=self.include_fallback)
        result.diagnostics.extend(cfg.diagnostics)
        self._pattern_diagnostics(cfg, result)
        candidates = cfg.aliases()
        imported: dict[str, str] = {}
        usable: list[tuple[str, Directive, Resolution]] = []
        for alias, d in candidates:
            reason = _unusable_reason(alias)
            if reason:
                result.diagnostics.append(self.diag(
                    "warning", "ssh-alias-unusable", f"alias {alias!r} is not imported: {reason}",
                    file=d.file, line=d.line, entry=alias))
                continue
            res = cfg.resolve(alias)
            if not res.declared:
                result.diagnostics.append(self.diag(
                    "warning", "ssh-dead-alias",
                    f"alias {alias!r} is not imported: {_dead_reason(cfg, alias)}",
                    file=d.file, line=d.line, entry=alias))
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
                hops = [hop.model_copy(update={"ref_key": None}) if hop.ref_key not in built else hop
                        for hop in host.jump]
                result.hosts[i] = host.model_copy(update={"jump": hops})
        result.diagnostics.extend(cfg.evaluation_diagnostics())
        result.diagnostics.extend(cfg.rejected_line_summary())
        return result

    def _pattern_diagnostics(self, cfg: SshConfig, result: SourceResult) -> None:
        positive = {a for a, _ in cfg.aliases()}
        for d in cfg.host_lines():
            for p in d.args:
                if p.startswith("!"):
                    if p[1:] in positive:
                        msg = (f"{p!r} keeps this block's settings away from {p[1:]!r}, an alias declared on "
                               "another Host line (it is imported without them)")
                        result.diagnostics.append(self.diag("info", "ssh-alias-ambiguous", msg, file=d.file,
                                                            line=d.line, entry=p[1:]))
                    else:
                        result.diagnostics.append(self.diag(
                            "info", "ssh-negated-pattern",
                            f"negated pattern {p!r} only excludes hosts from this block; it is not a server",
                            file=d.file, line=d.line))
                elif "*" in p or "?" in p:
                    result.diagnostics.append(self.diag(
                        "info", "ssh-default-pattern",
                        f"Host pattern {p!r} holds defaults for the hosts it matches; it is not a server",
                        file=d.file, line=d.line))

    def _host(self, cfg: SshConfig, alias: str, d: Directive, res: Resolution, imported: dict[str, str],
              result: SourceResult) -> Host | None:
        def skip(code: str, message: str, field_: str | None = None) -> None:
            result.held.add(self.key(alias))
            result.diagnostics.append(self.diag("error", code, f"alias {alias!r} is not imported: {message}",
                                                file=d.file, line=d.line, entry=alias, field=field_))

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
            jump = [h.model_copy(update={"ref_key": imported.get(h.ref)}) if h.ref else h for h in chain]
        if res.proxy_command is not None:
            result.diagnostics.append(self.diag(
                "warning", "ssh-proxy-command",
                f"ProxyCommand {res.proxy_command!r} is kept as written but never run by this import; the "
                "target may not support it", file=d.file, line=d.line, entry=alias, field="ProxyCommand"))
        if any(k == "CanonicalDomains" for k, _ in res.options) and res.final_pass:
            result.diagnostics.append(self.diag(
                "warning", "ssh-canonicalize",
                "CanonicalizeHostname with CanonicalDomains needs DNS lookups, which this import does not "
                "do; the host name is used as written", file=d.file, line=d.line, entry=alias))
        category = []
        if self.category_from_include and d.file != self.display_path:
            category = [Path(d.file).stem]
        try:
            return Host(
                key=self.key(alias), name=alias, address=address, port=res.port, user=res.user,
                category=category,
                credentials=Credentials(
                    key_files=res.identity_files, certificate_files=res.certificate_files,
                    identities_only=res.identities_only, identity_agent=res.identity_agent,
                ),
                jump=jump, ssh_options=res.options, proxy_command=res.proxy_command,
                description=d.description, source=self.provenance(line=d.line, file=d.file),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            skip("ssh-invalid-entry", f"{first.get('loc', ('?',))[0]}: {first.get('msg', 'invalid value')}")
            return None

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
    lines = [d for d in cfg.host_lines() if alias in d.args]
    if any(("!" + alias) in d.args or any(p.startswith("!") and match_pattern(alias, p[1:]) for p in d.args)
           for d in lines):
        return "every Host line naming it also excludes it with a negated pattern, so nothing applies to it"
    return ("its Host line is in a file Included from inside a Host/Match block that does not apply to this "
            "alias, so OpenSSH never uses that block for it")
