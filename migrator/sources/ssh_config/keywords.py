"""The ssh_config keyword table: every OpenSSH 9.x keyword, how its arguments parse, and which
option it sets; plus the Match criteria this import understands."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from migrator.sources.ssh_config.lexer import ascii_lower

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
    add(
        "LogLevel",
        "choice",
        choices=("quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"),
    )
    add(
        "SyslogFacility",
        "choice",
        choices=("daemon", "user", "auth", "authpriv") + tuple(f"local{i}" for i in range(8)),
    )
    counts = "CanonicalizeMaxDots ConnectionAttempts NumberOfPasswordPrompts RequiredRSASize ServerAliveCountMax"
    for name in counts.split():
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
    for name in (
        "GlobalKnownHostsFile UserKnownHostsFile CanonicalDomains CanonicalizePermittedCNAMEs "
        "LogVerbose PermitRemoteOpen".split()
    ):
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
    for name in (
        "Cipher FallBackToRsh GlobalKnownHostsFile2 RhostsAuthentication UseBlacklistedKeys "
        "UsePrivilegedPort UserKnownHostsFile2 UseRoaming UseRsh".split()
    ):
        add(name, "deprecated", max_args=None)
    for name in (
        "AFSTokenPassing CompressionLevel KerberosAuthentication KerberosTGTPassing "
        "RhostsRSAAuthentication RSAAuthentication".split()
    ):
        add(name, "unsupported", max_args=None)
    return {ascii_lower(k.name): k for k in table}


KEYWORDS: dict[str, Keyword] = _keywords()

# Keywords that ``Host`` carries in its own fields; every other one goes to ``ssh_options``.
MODEL_KEYWORDS = frozenset(
    "HostName Port User IdentityFile CertificateFile IdentitiesOnly IdentityAgent ProxyJump ProxyCommand".split()
)
# Match criteria newer than OpenSSH 9.2: valid for a newer ssh, not decidable offline.
_NEWER_MATCH_CRITERIA = {
    "localnetwork": "9.4",
    "tagged": "9.4",
    "version": "10.0",
    "command": "10.0",
    "sessiontype": "10.0",
}
_MATCH_CRITERIA = {"all", "canonical", "final", "exec", "host", "originalhost", "user", "localuser"}


_KEYWORDS_LOWER = sorted(KEYWORDS)


def _unknown_message(keyword: str, alone: bool = False) -> str:
    """Names only keywords this module knows: an unknown word may be the content of a key or auth file."""
    if ascii_lower(keyword) == "usekeychain":
        return "UseKeychain is known only to Apple's build of OpenSSH"
    close = difflib.get_close_matches(ascii_lower(keyword), _KEYWORDS_LOWER, n=1, cutoff=0.85)
    hint = f"; did you mean {KEYWORDS[close[0]].name}?" if close else ""
    what = "the whole line is one word" if alone else "the line starts with a word"
    return f"{what} that is not an OpenSSH keyword ({len(keyword)} characters, not shown){hint}"
