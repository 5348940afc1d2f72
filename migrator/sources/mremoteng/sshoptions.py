"""``SSHOptions``: extra PuTTY command-line arguments, read as PuTTY would read them, never run.

mRemoteNG appends the attribute raw to PuTTY's command line, after its own ``-load SESSION -ssh
-2 -l USER -pwfile PIPE -P PORT HOST`` [code: mRemoteNG ``Connection/Protocol/PuttyBase.cs``], so a
``-P``/``-l``/``-pw`` here overrides the connection's port, user and password (PuTTY keeps the last
value). The text is split like a Windows command line (``CommandLineToArgvW`` rules, which PuTTY's
own ``split_into_argv`` follows). Flags with an OpenSSH counterpart become ssh options; the rest are
reported by flag name only: an argument is never shown (it may be a password or a command).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: PuTTY flags that take an argument [doc: PuTTY manual 3.11.3, "Command-line options"].
_WITH_ARGUMENT = frozenset(
    "-P -l -i -pw -pwfile -load -proxycmd -L -R -D -m -hostkey -sercfg -sshlog -sshrawlog -sessionlog "
    "-cert -loghost -nc".split()
)
_FLAGS = {
    "-A": ("ForwardAgent", "yes"),
    "-a": ("ForwardAgent", "no"),
    "-X": ("ForwardX11", "yes"),
    "-x": ("ForwardX11", "no"),
    "-C": ("Compression", "yes"),
    "-4": ("AddressFamily", "inet"),
    "-6": ("AddressFamily", "inet6"),
}
_FORWARDS = {"-L": "LocalForward", "-R": "RemoteForward"}
_OTHER_PROTOCOLS = {
    "-telnet": "Telnet",
    "-rlogin": "rlogin",
    "-raw": "raw TCP",
    "-serial": "serial line",
    "-supdup": "SUPDUP",
    "-ssh-connection": "bare ssh-connection",
}
_NO_EFFECT = frozenset({"-ssh", "-2", "-v"})
_SESSION_SHAPE = {
    "-t": "asks for a terminal",
    "-T": "asks for no terminal",
    "-N": "opens no shell",
    "-nc": "opens a network connection instead of a shell",
    "-m": "runs a command file instead of a shell",
    "-s": "starts a subsystem instead of a shell",
}
_NO_COUNTERPART = frozenset(
    "-hostkey -sshlog -sshrawlog -sessionlog -logoverwrite -logappend -loghost -restrict-acl -batch -share "
    "-noshare -no-trivial-auth -legacy-stdio-prompts -sercfg -pgpfp -V -host-ca -noagent".split()
)
_SHOWN_FLAG = re.compile(r"-[A-Za-z0-9][A-Za-z0-9-]{0,30}")
_HOST = r"(?:\[[0-9A-Fa-f:.%\w]+\]|[A-Za-z0-9_.-]+)"
_FORWARD = re.compile(rf"(?:(?P<bind>{_HOST}|\*):)?(?P<port>[0-9]{{1,5}}):(?P<host>{_HOST}):(?P<hostport>[0-9]{{1,5}})")
_DYNAMIC = re.compile(rf"(?:(?P<bind>{_HOST}|\*):)?(?P<port>[0-9]{{1,5}})")


@dataclass
class Note:
    level: str
    code: str
    message: str


@dataclass
class PuttyArgs:
    """What the arguments change; ``password`` is a secret and is never put into a note."""

    port: int | None = None
    port_invalid: bool = False
    user: str | None = None
    key_file: str | None = None
    certificate: str | None = None
    password: str | None = None
    agent: bool = False
    other_protocol: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def note(self, level: str, code: str, message: str) -> None:
        self.notes.append(Note(level, code, message))


def split_windows_args(text: str) -> list[str]:
    """Split like ``CommandLineToArgvW``: blanks separate, quotes group, backslashes escape only quotes."""
    args: list[str] = []
    current: list[str] = []
    started = in_quotes = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t" and not in_quotes:
            if started:
                args.append("".join(current))
                current, started = [], False
            i += 1
        elif c == "\\":
            j = i
            while j < n and text[j] == "\\":
                j += 1
            count = j - i
            if j < n and text[j] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    j += 1
            else:
                current.append("\\" * count)
            started, i = True, j
        elif c == '"':
            if in_quotes and i + 1 < n and text[i + 1] == '"':
                current.append('"')
                i += 2
            else:
                in_quotes = not in_quotes
                i += 1
            started = True
        else:
            current.append(c)
            started = True
            i += 1
    if started:
        args.append("".join(current))
    return args


def _shown(flag: str) -> str:
    return flag if _SHOWN_FLAG.fullmatch(flag) else "an argument"


def _clean(value: str) -> bool:
    return bool(value) and not any(ord(c) < 32 or ord(c) == 127 for c in value)


def parse_putty_args(text: str) -> PuttyArgs:
    """The effect of ``SSHOptions`` on the connection, with a note for everything not carried over."""
    out = PuttyArgs()
    args = split_windows_args(text)
    i = 0
    while i < len(args):
        flag = args[i]
        i += 1
        if not flag.startswith("-") or flag == "-":
            out.note("warning", "ssh-options", "a word that is not a PuTTY option (not shown); ignored")
            continue
        value = None
        if flag in _WITH_ARGUMENT:
            if i >= len(args):
                out.note("warning", "ssh-options", f"{flag} without its argument; ignored")
                continue
            value = args[i]
            i += 1
        _apply(out, flag, value)
    return out


def _apply(out: PuttyArgs, flag: str, value: str | None) -> None:
    if flag == "-P":
        if re.fullmatch(r"[0-9]{1,5}", value) and 1 <= int(value) <= 65535:
            out.port, out.port_invalid = int(value), False
        else:
            out.port, out.port_invalid = None, True
    elif flag == "-l":
        out.user = value
    elif flag in ("-i", "-cert"):
        if not _clean(value):
            out.note("warning", "ssh-options", f"{flag} names an unusable path; ignored")
        elif flag == "-i":
            if out.key_file is not None:
                out.note("warning", "ssh-options", "-i is given more than once; PuTTY uses the last key file")
            out.key_file = value
        else:
            out.certificate = value
    elif flag == "-pw":
        out.password = value
        out.note("info", "ssh-options-password", "the password is taken from -pw in SSHOptions (not shown)")
    elif flag == "-pwfile":
        out.note("warning", "ssh-options", "-pwfile reads the password from a file on the Windows machine; not read")
    elif flag == "-load":
        out.note(
            "warning",
            "putty-session",
            "-load loads a PuTTY saved session whose settings live in the PuTTY registry; not imported",
        )
    elif flag == "-proxycmd":
        out.note("warning", "proxy-command", "-proxycmd is a command; it is never copied or run (recreate the route)")
    elif flag in _FORWARDS or flag == "-D":
        _forward(out, flag, value)
    elif flag in _FLAGS:
        out.options.append(_FLAGS[flag])
    elif flag == "-agent":
        out.agent = True
    elif flag == "-1":
        out.note("warning", "ssh1", "-1 asks for SSH-1, which OpenSSH no longer speaks; XPipe uses SSH-2")
    elif flag in _OTHER_PROTOCOLS:
        out.other_protocol = _OTHER_PROTOCOLS[flag]
    elif flag in _NO_EFFECT:
        return
    elif flag in _SESSION_SHAPE:
        out.note("warning", "ssh-options", f"{flag} {_SESSION_SHAPE[flag]}; not carried (XPipe opens its own shell)")
    elif flag in _NO_COUNTERPART:
        out.note("info", "ssh-options", f"{flag} has no counterpart in XPipe; ignored")
    else:
        out.note("warning", "ssh-options", f"{_shown(flag)} is not a PuTTY option this importer knows; ignored")


def _forward(out: PuttyArgs, flag: str, value: str) -> None:
    if flag == "-D":
        m = _DYNAMIC.fullmatch(value)
        if m and 1 <= int(m["port"]) <= 65535:
            bind = f"{m['bind']}:" if m["bind"] else ""
            out.options.append(("DynamicForward", f"{bind}{m['port']}"))
            return
    else:
        m = _FORWARD.fullmatch(value)
        if m and 1 <= int(m["port"]) <= 65535 and 1 <= int(m["hostport"]) <= 65535:
            bind = f"{m['bind']}:" if m["bind"] else ""
            out.options.append((_FORWARDS[flag], f"{bind}{m['port']} {m['host']}:{m['hostport']}"))
            return
    out.note("warning", "ssh-options", f"{flag} has a forwarding this importer cannot read (not shown); not carried")
