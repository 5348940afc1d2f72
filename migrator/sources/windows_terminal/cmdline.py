"""A Windows command line split into arguments the way ``ssh.exe`` receives them.

Windows Terminal hands a profile's ``commandline`` to ``CreateProcessW`` after
``ExpandEnvironmentStringsW`` (``src/cascadia/TerminalConnection/ConptyConnection.cpp``,
microsoft/terminal 20588130d8ef); the program then splits it itself. ``ssh.exe`` (Win32-OpenSSH, a
``wmain`` program) gets its ``argv`` from the Microsoft C runtime, whose rules ("Parsing C++
command-line arguments", Microsoft Learn; the six documented examples are the tests) are those of
``CommandLineToArgvW`` except for ``""`` inside quotes:

- the program name (argument 0) ends at the first space or tab, or, when it starts with ``"``, at the
  next ``"`` (no backslash rules there; text right after that quote starts the next argument);
- elsewhere ``2n`` backslashes before a ``"`` are ``n`` backslashes and the quote opens or closes
  quoting; ``2n+1`` backslashes before a ``"`` are ``n`` backslashes and a literal ``"``; backslashes
  not before a ``"`` are literal; inside quotes, ``""`` is a literal ``"`` and quoting goes on (the
  C runtime since Visual C++ 2008; ``CommandLineToArgvW`` instead ends the quoting there);
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
    """The arguments after argument 0 (``start`` from ``split_program``), by the C runtime's rules."""
    args: list[str] = []
    i, n = start, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        in_quotes = False
        while True:
            slashes = 0
            while i < n and line[i] == "\\":
                slashes += 1
                i += 1
            copy = True
            if i < n and line[i] == '"':
                if slashes % 2 == 0:
                    if in_quotes and i + 1 < n and line[i + 1] == '"':
                        i += 1  # "" inside quotes: one literal quote, still inside
                    else:
                        copy = False
                        in_quotes = not in_quotes
                slashes //= 2
            current.append("\\" * slashes)
            if i >= n or (not in_quotes and line[i] in " \t"):
                break
            if copy:
                current.append(line[i])
            i += 1
        args.append("".join(current))


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
