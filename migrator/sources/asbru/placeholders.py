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

_LOCAL = ("UUID", "NAME", "TITLE", "IP", "PORT", "USER")
_RUNTIME = re.compile(r"<(PASS|TIMESTAMP|DATE_[YMD]|TIME_[HMS]|SOCKS5_PORT)>")
_GV = re.compile(r"<GV:(.+?)>")
_V = re.compile(r"<V:(\d+?)>")
_ENV = re.compile(r"<ENV:(.+?)>")
_ASK = re.compile(r"<ASK:(.+?)>")
_CMD = re.compile(r"<CMD:(.+?)>")
_KEEPASS = re.compile(r"<.\w+\|.+?>|<KPX_(?:title|username|url):.+?>|<KPXRE_GET_\w+?_WHERE_\w+?==.+?==>")
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
    variables: list[str]


def keepass_reference(text: str) -> bool:
    return _KEEPASS.search(text) is not None


def substitute(text: str, ctx: Context) -> Resolved:
    """``text`` with every placeholder the file defines replaced, as Ásbrú's ``_subst`` does."""
    if "<" not in text:
        return Resolved(text)
    for name in _LOCAL:
        value = ctx.local.get(name)
        if value is not None:
            text = text.replace(f"<{name}>", value)
    text, gv_loop = _globals(text, ctx)
    text = _V.sub(
        lambda m: ctx.variables[int(m.group(1))] if int(m.group(1)) < len(ctx.variables) else m.group(0), text
    )
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
        (_KEEPASS, "KeePass reference"),
    )
    for pattern, what in checks:
        if pattern.search(text):
            unresolved.append(what)
    return Resolved(text, unresolved)


def _globals(text: str, ctx: Context) -> tuple[str, bool]:
    """Replace ``<GV:name>`` until none the file defines is left (a bounded number of times)."""
    pos = 0
    for _ in range(MAX_SUBSTITUTIONS):
        m = _GV.search(text, pos)
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
    return text, _GV.search(text, pos) is not None
