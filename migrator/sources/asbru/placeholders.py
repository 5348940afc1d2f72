"""Ásbrú's ``<...>`` placeholders in connection fields, resolved only from the file itself.

Ásbrú substitutes them when it connects (``lib/asbru_conn`` ``subst`` calling ``lib/PACUtils.pm``
``_subst``, asbru-cm/asbru-cm a8be1add3f01), in this order: the connection's own values
(``<UUID>``, ``<NAME>``, ``<TITLE>``, ``<IP>``, ``<PORT>``, ``<USER>``; ``<PASS>`` and the clock
values ``<TIMESTAMP>``, ``<DATE_*>``, ``<TIME_*>``, ``<SOCKS5_PORT>`` are known only at run time),
global variables ``<GV:name>`` (a name not defined is left as written), the connection's variables
``<V:n>``, environment variables ``<ENV:name>``, then ``<ASK:...>`` (a prompt) and ``<CMD:...>`` (a
command whose output is used). The importer never reads its own environment, never prompts and
never runs a command: those stay unresolved and are reported. KeePass references are reported too:
``<field|entry>`` (``PACKeePass::isKeePassMask``, ``/<.\\w+\\|.+?>/``) and PAC Manager's
``<KPX_title:...>``/``<KPXRE_GET_..._WHERE_...==...==>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrator.sources.numbers import whole_number

_LOCAL = ("UUID", "NAME", "TITLE", "IP", "PORT", "USER")
_RUNTIME = re.compile(r"<(PASS|TIMESTAMP|DATE_[YMD]|TIME_[HMS]|SOCKS5_PORT)>")
_GV = re.compile(r"<GV:(.+?)>")
_V = re.compile(r"<V:([0-9]+?)>")
_ENV = re.compile(r"<ENV:(.+?)>")
_ASK = re.compile(r"<ASK:(.+?)>")
_CMD = re.compile(r"<CMD:(.+?)>")
#: KeePassXC references: ``<.title|entry>``, ``<KPX_title:entry>`` and ``<KPXRE_GET_f_WHERE_g==regex==>``
#: (field names are words without ``_``, which keeps the last pattern from trying every split).
_KEEPASS = (
    (re.compile(r"<.\w+\|.+?>|<KPX_(?:title|username|url):.+?>"), ">"),
    (re.compile(r"<KPXRE_GET_[A-Za-z0-9]+_WHERE_[A-Za-z0-9]+==.+?==>"), "==>"),
)
#: Global variables that name each other are substituted at most this often per field, and a
#: field never grows past ``MAX_TEXT`` characters (``<GV:a>`` = ``<GV:b><GV:b>`` ... doubles each time).
MAX_SUBSTITUTIONS = 256
MAX_TEXT = 64 * 1024


@dataclass
class Resolved:
    """A field's text after substitution, and what could not be resolved (kinds only, never values)."""

    text: str
    unresolved: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unresolved


@dataclass
class Context:
    """What a connection's placeholders can be resolved from: the file's own values."""

    local: dict[str, str]
    globals: dict[str, str]
    variables: list[str | None]  # None: a variable the file holds but that cannot be read


def find(pattern: re.Pattern, text: str, pos: int = 0, closing: str = ">") -> re.Match | None:
    """``pattern.search(text, pos)`` for a placeholder pattern, in time linear in ``text``.

    Every placeholder ends in ``closing`` on its own line (``.`` stops at a newline), so each line is
    searched only up to its last ``closing``: a start after it would scan to the end of the line and
    fail, and ``"<GV:" * 20000`` made that quadratic (a second per field of 40 KB).
    """
    while pos <= len(text):
        newline = text.find("\n", pos)
        line_end = len(text) if newline == -1 else newline
        last = text.rfind(closing, pos, line_end)
        if last != -1:
            m = pattern.search(text, pos, last + len(closing))
            if m is not None:
                return m
        if newline == -1:
            return None
        pos = newline + 1
    return None


def keepass_reference(text: str) -> bool:
    return any(find(pattern, text, closing=closing) for pattern, closing in _KEEPASS)


def substitute(text: str, ctx: Context) -> Resolved:
    """``text`` with every placeholder the file defines replaced, as Ásbrú's ``_subst`` does."""
    if "<" not in text:
        return Resolved(text)
    for name in _LOCAL:
        value = ctx.local.get(name)
        if value is not None:
            text = text.replace(f"<{name}>", value)
    text, gv_loop = _globals(text, ctx)
    text = _V.sub(lambda m: _variable(ctx, m), text)
    unresolved = []
    if gv_loop:
        unresolved.append("<GV:...> global variables that refer to each other without end")
    checks = (
        (_GV, "<GV:...> global variable the file does not define"),
        (_V, "<V:n> connection variable the connection does not define"),
        (_RUNTIME, "run-time value (<PASS>, a date, a time or a SOCKS port)"),
        (_ENV, "<ENV:...> environment variable of the machine Ásbrú runs on"),
        (_ASK, "<ASK:...> value Ásbrú asks for when connecting"),
        (_CMD, "<CMD:...> command Ásbrú runs when connecting (never run here)"),
    )
    for pattern, what in checks:
        if find(pattern, text):
            unresolved.append(what)
    if keepass_reference(text):
        unresolved.append("KeePass reference")
    return Resolved(text, unresolved)


def _variable(ctx: Context, m: re.Match) -> str:
    n = whole_number(m.group(1))
    value = ctx.variables[n] if n < len(ctx.variables) else None
    return m.group(0) if value is None else value


def _globals(text: str, ctx: Context) -> tuple[str, bool]:
    """Replace ``<GV:name>`` until none the file defines is left (a bounded number of times)."""
    pos = 0
    for _ in range(MAX_SUBSTITUTIONS):
        m = find(_GV, text, pos)
        if m is None:
            return text, False
        value = ctx.globals.get(m.group(1))
        if value is None:
            pos = m.end()
            continue
        text = text.replace(m.group(0), value)
        if len(text) > MAX_TEXT:
            return text[:MAX_TEXT], True
        pos = 0
    return text, find(_GV, text, pos) is not None
