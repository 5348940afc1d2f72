"""An ``ssh`` command line read the way OpenSSH reads it, without running anything.

Followed from ``ssh.c`` ``main()`` of OpenSSH 9.2p1 (openssh/openssh-portable tag V_9_2_P1,
180f26288108) and checked against the real ``ssh -G`` (tests/conformance/test_openssh_args_oracle.py):

- options are found with POSIX ``getopt`` over ``1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:
  PQ:R:S:TVw:W:XYy``: flags combine (``-4A``), an argument is attached (``-p2222``) or the next word;
  the first word that is not an option is the destination, and getopt then starts again after it,
  so options may follow the destination (``ssh host -p 2222``) until the next plain word or ``--``;
  what remains is the remote command;
- the destination is ``ssh://[user@]host[:port]`` (``parse_ssh_uri``) or ``[user@]host`` split at
  the last ``@``; ``-l``, ``-p``, ``-o User``/``Port`` and the destination's user/port: the first one
  set wins (``if (options.user == NULL)``), as every ``-o`` keyword does, while the switches ``-4``/``-6``/
  ``-A``/``-a``/``-X``/``-x``/``-Y``/``-C``/``-g``/``-K``/``-k`` set their option outright, before any
  ``-o`` is looked at (the last switch wins, and beats ``-o``);
- ``-J`` may appear once, and not after a ``ProxyCommand``; ``-i`` collects identity files (ssh
  skips those missing on the machine it runs on: that check belongs to the user's machine, so
  every one is kept).

What ssh would refuse (an unknown option, a missing argument, a bad port, a second ``-J``, a
``-o`` line it cannot parse) raises ``SshCommandError``; its message names the option, never its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.sources.ssh_config.jump import JumpSetting, parse_jump, parse_ssh_uri
from migrator.sources.ssh_config.keywords import KEYWORDS
from migrator.sources.ssh_config.lexer import QuoteError, a2port, argv_split, ascii_lower, strdelim
from migrator.sources.ssh_config.reader import ConfigReader
from migrator.sources.ssh_config.tree import Directive

OPTSTRING = "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:PQ:R:S:TVw:W:XYy"
_TAKES_ARG = {c for i, c in enumerate(OPTSTRING) if i + 1 < len(OPTSTRING) and OPTSTRING[i + 1] == ":"}
_FLAGS = set(OPTSTRING.replace(":", "")) - _TAKES_ARG

#: Switches that set one option outright (ssh.c assigns ``options.x = v``): the last one wins.
_SWITCHES = {
    "4": [("AddressFamily", "inet")],
    "6": [("AddressFamily", "inet6")],
    "A": [("ForwardAgent", "yes")],
    "a": [("ForwardAgent", "no")],
    "X": [("ForwardX11", "yes")],
    "x": [("ForwardX11", "no")],
    "Y": [("ForwardX11", "yes"), ("ForwardX11Trusted", "yes")],
    "C": [("Compression", "yes")],
    "g": [("GatewayPorts", "yes")],
    "K": [("GSSAPIAuthentication", "yes"), ("GSSAPIDelegateCredentials", "yes")],
    "k": [("GSSAPIDelegateCredentials", "no")],
    "M": [("ControlMaster", "yes")],
}
#: Options with an argument that set one option outright (``free(); xstrdup(optarg)``).
_VALUED = {
    "b": "BindAddress",
    "B": "BindInterface",
    "c": "Ciphers",
    "m": "MACs",
    "e": "EscapeChar",
    "S": "ControlPath",
    "I": "PKCS11Provider",
    "w": "TunnelDevice",
}
#: What the rest do, for the note that says they are not carried into a connection entry.
_NOT_CARRIED = {
    "2": None,
    "P": None,
    "n": "-n (stdin from /dev/null)",
    "f": "-f (go to the background)",
    "N": "-N (no remote command: a tunnel only)",
    "s": "-s (a subsystem instead of a shell)",
    "T": "-T (no terminal)",
    "t": "-t (force a terminal)",
    "q": "-q (quiet)",
    "v": "-v (verbose)",
    "y": "-y (log to syslog)",
    "E": "-E (a log file)",
    "F": "-F (an ssh config file, which is not read)",
    "W": "-W (stdio forwarding)",
    "L": "-L (a local port forward: set it up as an XPipe tunnel)",
    "R": "-R (a remote port forward)",
    "D": "-D (a SOCKS forward: set it up as an XPipe tunnel)",
}
#: Options that make ssh do something else than open a session.
NOT_A_SESSION = {
    "G": "-G (print the configuration)",
    "V": "-V (print the version)",
    "Q": "-Q (query)",
    "O": "-O (a multiplexing command)",
}
#: ``-o`` keywords that belong to the machine running ssh or to a run, not to a connection entry.
_NOT_CARRIED_KEYWORDS = {
    "LocalForward": "a port forward: set it up as an XPipe tunnel",
    "RemoteForward": "a port forward",
    "DynamicForward": "a SOCKS forward: set it up as an XPipe tunnel",
    "LocalCommand": "runs a local command",
    "PermitLocalCommand": "allows a local command",
    "RemoteCommand": "a remote command instead of a shell",
    "KnownHostsCommand": "runs a local command",
    "SessionType": "not a shell session",
    "ForkAfterAuthentication": "goes to the background",
    "StdinNull": "stdin from /dev/null",
    "LogLevel": "logging",
    "SyslogFacility": "logging",
    "LogVerbose": "logging",
}
_MULTI = {"localforward", "remoteforward", "dynamicforward", "sendenv", "setenv", "certificatefile", "identityfile"}
_ROUTE = {"proxyjump", "proxycommand"}


class SshCommandError(ValueError):
    """ssh would refuse this command line; the message names the option, never a value."""


@dataclass
class SshCommand:
    """What an ``ssh`` command line asks for, in the terms of the host model."""

    host: str | None = None
    user: str | None = None
    port: int | None = None
    hostname: str | None = None
    identity_files: list[str] = field(default_factory=list)
    jump: JumpSetting | None = None
    proxy_command: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    remote_command: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    not_a_session: list[str] = field(default_factory=list)
    _slots: dict[str, int] = field(default_factory=dict, repr=False)
    _switched: set[str] = field(default_factory=set, repr=False)

    @property
    def address(self) -> str | None:
        """Where ssh connects: ``-o HostName`` (``%h`` is the destination), else the destination."""
        if self.hostname is not None and self.host is not None:
            return self.hostname.replace("%%", "\0").replace("%h", self.host).replace("\0", "%")
        return self.host

    # ---- option slots ---------------------------------------------------------------------------

    def switch(self, keyword: str, value: str) -> None:
        """A command-line switch: overwrites, and a later ``-o`` of the same keyword is ignored."""
        low = ascii_lower(keyword)
        self._switched.add(low)
        if low in self._slots:
            self.options[self._slots[low]] = (keyword, value)
        else:
            self._slots[low] = len(self.options)
            self.options.append((keyword, value))

    def first(self, keyword: str, value: str) -> None:
        """An ``-o`` value: the first one of a keyword wins, as in ssh_config."""
        low = ascii_lower(keyword)
        if low in _MULTI:
            self.options.append((keyword, value))
        elif low not in self._slots:
            self._slots[low] = len(self.options)
            self.options.append((keyword, value))


def _getopt(argv: list[str], start: int, out: SshCommand) -> int:
    """One BSD ``getopt`` pass from ``argv[start]``; returns the index of the first word not read."""
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return i + 1
        if not word.startswith("-") or word == "-":
            return i
        i += 1
        k = 1
        while k < len(word):
            letter = word[k]
            k += 1
            if letter in _FLAGS:
                _flag(letter, out)
                continue
            if letter not in _TAKES_ARG:
                raise SshCommandError(f"ssh does not know the option -{letter!s:.1}")
            if k < len(word):
                arg = word[k:]
            elif i < len(argv):
                arg = argv[i]
                i += 1
            else:
                raise SshCommandError(f"-{letter} needs an argument")
            _with_arg(letter, arg, out)
            break
    return i


def _flag(letter: str, out: SshCommand) -> None:
    if letter == "1":
        raise SshCommandError("-1 (SSH protocol 1) is refused by OpenSSH")
    if letter in _SWITCHES:
        for keyword, value in _SWITCHES[letter]:
            out.switch(keyword, value)
    elif letter in NOT_A_SESSION:
        out.not_a_session.append(NOT_A_SESSION[letter])
    elif _NOT_CARRIED.get(letter):
        out.not_carried.append(_NOT_CARRIED[letter])


def _with_arg(letter: str, arg: str, out: SshCommand) -> None:
    if letter == "p":
        if out.port is None:  # ssh.c checks -p only while no port is set
            port = a2port(arg)
            if port <= 0:
                raise SshCommandError("-p is not a port ssh accepts")
            out.port = port
    elif letter == "l":
        out.user = out.user if out.user is not None else arg
    elif letter == "i":
        out.identity_files.append(arg)
    elif letter == "J":
        if out.jump is not None:
            raise SshCommandError("ssh permits a single -J (use commas for several hops)")
        if out.proxy_command is not None:
            raise SshCommandError("ssh refuses -J together with a ProxyCommand")
        jump = parse_jump(arg)
        if jump is None:
            raise SshCommandError("-J is not a jump host list ssh accepts")
        out.jump = jump
        out.proxy_command = "none"
    elif letter == "o":
        _option_line(arg, out)
    elif letter in _VALUED:
        out.switch(_VALUED[letter], arg)
    elif letter in NOT_A_SESSION:
        out.not_a_session.append(NOT_A_SESSION[letter])
    elif _NOT_CARRIED.get(letter):
        out.not_carried.append(_NOT_CARRIED[letter])


def _option_line(line: str, out: SshCommand) -> None:
    """``-o`` is one ssh_config line (``process_config_line``): ``Keyword value`` or ``Keyword=value``."""
    keyword, pos = strdelim(line, 0)
    if keyword == "":
        keyword, pos = strdelim(line, pos)
    if not keyword:
        raise SshCommandError("-o has no keyword")
    spec = KEYWORDS.get(ascii_lower(keyword))
    if spec is None or spec.kind in ("host", "match", "include"):
        raise SshCommandError("-o names a keyword ssh does not accept on the command line")
    rest = (line[pos:] if pos is not None else "").lstrip(" \t\r\n")
    try:
        args = argv_split(rest)
    except QuoteError:
        raise SshCommandError(f"-o {spec.name} has unbalanced quotes") from None
    if spec.kind in ("deprecated", "unsupported", "ignore"):
        out.not_carried.append(f"-o {spec.name} (obsolete in OpenSSH)")
        return
    if not args or args[0] == "":
        raise SshCommandError(f"-o {spec.name} has no value")
    if spec.kind not in ("jump", "command") and ConfigReader._check_args(
        None, Directive("", 0, keyword, spec, args, rest)
    ):
        raise SshCommandError(f"-o {spec.name} has a value ssh refuses")
    low = ascii_lower(spec.option)
    if spec.option in _NOT_CARRIED_KEYWORDS:
        out.not_carried.append(f"-o {spec.name} ({_NOT_CARRIED_KEYWORDS[spec.option]})")
        return
    if low in out._switched:
        return
    value = rest.rstrip(" \t\r\n")
    if low == "user":
        out.user = out.user if out.user is not None else args[0]
    elif low == "port":
        port = a2port(args[0])
        if port <= 0:
            raise SshCommandError("-o Port is not a port ssh accepts")
        out.port = out.port if out.port is not None else port
    elif low == "hostname":
        out.hostname = out.hostname if out.hostname is not None else args[0]
    elif low == "identityfile":
        out.identity_files.append(args[0])
    elif low == "proxyjump":
        jump = parse_jump(rest)
        if jump is None:
            raise SshCommandError("-o ProxyJump is not a jump host list ssh accepts")
        if out.jump is None and out.proxy_command is None:
            out.jump = jump
            if not jump.none:
                out.proxy_command = "none"
    elif low == "proxycommand":
        if out.proxy_command is None:
            out.proxy_command = rest
    else:
        out.first(spec.option, value)


def parse_destination(word: str, out: SshCommand) -> None:
    """``ssh://[user@]host[:port]`` or ``[user@]host``; the user and port only fill what is still unset."""
    uri = parse_ssh_uri(word)
    if uri is None or (uri is not False and not _valid_domain(uri.host)):
        raise SshCommandError("the destination is an ssh:// address ssh refuses")
    if uri is not False:
        out.host = uri.host
        if out.user is None:
            out.user = uri.user
        if out.port is None and uri.port is not None:
            out.port = uri.port
        return
    at = word.rfind("@")
    if at == 0:
        raise SshCommandError("the destination starts with '@'")
    if at > 0:
        if out.user is None:
            out.user = word[:at]
        out.host = word[at + 1 :]
    else:
        out.host = word


def _valid_domain(name: str) -> bool:
    """misc.c ``valid_domain``, which ``parse_uri`` applies to an ssh:// host."""
    if not name or not (name[0].isascii() and name[0].isalnum()):
        return False
    if ".." in name:
        return False
    return all(c in ".-_" or (c.isascii() and c.isalnum()) for c in name)


def parse_ssh_command(args: list[str]) -> SshCommand:
    """Read ssh's arguments (without the program name); ``SshCommandError`` if ssh refuses them."""
    out = SshCommand()
    i = _getopt(args, 0, out)
    terminated = i > 0 and args[i - 1] == "--"
    if i >= len(args):
        raise SshCommandError("no destination host")
    parse_destination(args[i], out)
    i += 1
    if i < len(args) and not terminated:
        i = _getopt(args, i, out)
    out.remote_command = args[i:]
    return out
