"""A Windows command line split into arguments the way ``CommandLineToArgvW`` splits it.

Windows Terminal hands a profile's ``commandline`` to ``CreateProcessW`` after
``ExpandEnvironmentStringsW`` (``src/cascadia/TerminalConnection/ConptyConnection.cpp``,
microsoft/terminal 20588130d8ef); the program then splits it itself. ``ssh.exe`` (Win32-OpenSSH)
gets its ``argv`` from the C runtime, which follows the same rules as ``CommandLineToArgvW`` for
these cases (inferred from Microsoft's documentation of both):

- the program name (argument 0) ends at the first space or tab, or, when it starts with ``"``, at the
  next ``"`` (no backslash rules there; text right after that quote starts the next argument);
- elsewhere ``2n`` backslashes before a ``"`` are ``n`` backslashes and the quote opens or closes
  quoting; ``2n+1`` backslashes before a ``"`` are ``n`` backslashes and a literal ``"``; backslashes
  not before a ``"`` are literal; inside quotes, ``""`` is a literal ``"`` (the counting of three
  quotes per literal quote that Windows uses since 2008, as Wine documents it);
- spaces and tabs outside quotes separate arguments.

``%NAME%`` is expanded by Windows Terminal before the split, from the Windows user's environment,
which the importer does not have: ``env_references`` finds them so the source can report them.
"""

from __future__ import annotations

import re

_ENV = re.compile(r"%[^%\s]+%")


def split_program(line: str) -> tuple[str, int]:
    """Argument 0 and the index where the remaining arguments start."""
    i, n = 0, len(line)
    if line.startswith('"'):
        end = line.find('"', 1)
        if end < 0:
            return line[1:], n
        program, i = line[1:end], end + 1
    else:
        while i < n and line[i] not in " \t":
            i += 1
        program = line[:i]
    while i < n and line[i] in " \t":
        i += 1
    return program, i


def split_arguments(line: str, start: int = 0) -> list[str]:
    """The arguments after argument 0 (``start`` from ``split_program``)."""
    args: list[str] = []
    i, n = start, len(line)
    current: list[str] = []
    in_arg = False
    quotes = 0  # 0 outside quotes, 1 inside; the "three quotes" counter of Wine's implementation
    backslashes = 0
    while i < n:
        c = line[i]
        if c in " \t" and quotes == 0:
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
            backslashes = 0
            i += 1
            continue
        in_arg = True
        if c == "\\":
            backslashes += 1
            current.append(c)
            i += 1
            continue
        if c == '"':
            if backslashes % 2 == 0:
                if backslashes:
                    del current[len(current) - backslashes // 2 :]
                quotes += 1
            else:
                del current[len(current) - backslashes // 2 - 1 :]
                current.append('"')
            backslashes = 0
            i += 1
            while i < n and line[i] == '"':
                quotes += 1
                if quotes == 3:
                    current.append('"')
                    quotes = 0
                i += 1
            if quotes == 2:
                quotes = 0
            continue
        backslashes = 0
        current.append(c)
        i += 1
    if in_arg:
        args.append("".join(current))
    return args


def command_line_to_argv(line: str) -> list[str]:
    """``CommandLineToArgvW``: argument 0 and the rest."""
    program, start = split_program(line)
    return [program, *split_arguments(line, start)]


def env_references(text: str) -> list[str]:
    """The ``%NAME%`` references ``ExpandEnvironmentStringsW`` would replace."""
    return _ENV.findall(text)


def program_name(program: str) -> str:
    """The file name of a program path, lower case (``C:\\x\\SSH.EXE`` -> ``ssh.exe``)."""
    return re.split(r"[\\/]", program)[-1].lower()


def is_ssh(program: str) -> bool:
    return program_name(program) in ("ssh", "ssh.exe")
