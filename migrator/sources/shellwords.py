"""Words of a command line as ``shlex.split`` (POSIX mode) splits them, in linear time.

``shlex`` grows each token one character at a time (``self.token = self.token + c``), so a word of
800 KB (an Ásbrú ``ip`` or ``options`` field a crafted file fills) took 12 seconds and a 64 MiB one
would take days. This is the same state machine over a list of characters: words split at
`` \\t\\r\\n``, ``'...'`` literal, ``"..."`` with ``\\`` escaping only ``\\`` and ``"``, a ``\\`` outside
quotes escaping any character, ``#`` starting a comment to the end of the line when ``comments``
(only where a word may start or end, as shlex does). ``ValueError`` for an unclosed quote or a
trailing ``\\``, with shlex's messages. The tests check it against ``shlex.split`` itself.
"""

from __future__ import annotations

_SPACE = " \t\r\n"
_QUOTES = "'\""


def shell_split(text: str, *, comments: bool = False) -> list[str]:
    """``shlex.split(text, comments=comments)``."""
    words: list[str] = []
    token: list[str] = []
    quoted = False
    state = " "  # " " between words, "a" in a word, a quote character, or "\\" after an escape
    escaped_from = "a"
    i, n = 0, len(text)
    while True:
        ch = text[i] if i < n else ""
        i += 1
        if state in _QUOTES:
            quoted = True
            if not ch:
                raise ValueError("No closing quotation")
            if ch == state:
                state = "a"
            elif ch == "\\" and state == '"':
                escaped_from, state = state, "\\"
            else:
                token.append(ch)
        elif state == "\\":
            if not ch:
                raise ValueError("No escaped character")
            if escaped_from in _QUOTES and ch != "\\" and ch != escaped_from:
                token.append("\\")
            token.append(ch)
            state = escaped_from
        else:  # between words (" ") or in one ("a")
            if not ch or ch in _SPACE or (comments and ch == "#"):
                if token or quoted:
                    words.append("".join(token))
                    token, quoted = [], False
                if not ch:
                    return words
                state = " "
                if ch == "#":
                    end = text.find("\n", i)
                    i = n if end == -1 else end + 1
            elif ch in _QUOTES:
                state = ch
            elif ch == "\\":
                escaped_from, state = "a", "\\"
            else:
                token.append(ch)
                state = "a"
