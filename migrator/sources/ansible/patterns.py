"""Host patterns as Ansible's file inventories read them: ``host:port``, ``[v6]:port`` and ranges.

``web[01:03].example.com`` is web01..web03, ``db-[a:c]`` is db-a..db-c, ``n[1:9:4]`` steps by 4.
A port is split off only when what is left is a valid name or address (Ansible's rule); an IPv6
address takes a port only inside brackets. Expansion is capped so a pattern cannot explode.
"""

from __future__ import annotations

import ipaddress
import re
import string

from migrator.sources.numbers import whole_number

MAX_EXPANSION = 65536

_RANGE = r"\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_RANGE_RE = re.compile(_RANGE)
_LABEL = re.compile(r"\w[\w-]*", re.UNICODE)
_HEX_RANGE = re.compile(r"\[[0-9a-fA-F]+:[0-9a-fA-F]+(?::[0-9]+)?\]")


class PatternError(ValueError):
    """A host pattern Ansible would refuse; the message names the rule, not the value."""


def _is_name(text: str) -> bool:
    """Ansible's host-name rule: dot-separated labels of word characters and ``-``, ranges allowed."""
    flat = _RANGE_RE.sub("0", text)
    if not flat:
        return False
    for label in flat.split("."):
        if not _LABEL.fullmatch(label) or label[-1] in "_-":
            return False
    return True


def _is_ipv6(text: str) -> bool:
    if ":" not in text:
        return False
    try:
        ipaddress.IPv6Address(_HEX_RANGE.sub("0", text))
        return True
    except ValueError:
        return False


def split_port(pattern: str) -> tuple[str, int | None]:
    """``(host pattern, port)`` as Ansible's ``parse_address``; an unparsable pattern is kept whole."""
    address, port = pattern, None
    m = re.fullmatch(r"\[(.+)\]:([0-9]+)", address)
    if m:
        address, port = m.group(1), whole_number(m.group(2))
    m = re.fullmatch(r"((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)", address)
    if m:
        address, port = m.group(1), whole_number(m.group(2))
    if _is_name(address) or _is_ipv6(address):
        return address, port
    return pattern, None


def _expand_one(pattern: str) -> list[str]:
    head, _, rest = pattern.partition("[")
    body, sep, tail = rest.partition("]")
    if not sep:
        raise PatternError("a host range has '[' without ']'")
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise PatternError("a host range must be [begin:end] or [begin:end:step]")
    beg, end = bounds[0] or "0", bounds[1]
    step_text = bounds[2] if len(bounds) == 3 else "1"
    if not end:
        raise PatternError("a host range must name its end")
    try:
        step = whole_number(step_text)
    except ValueError:
        raise PatternError("a host range step must be a number") from None
    if step < 1:
        raise PatternError("a host range step must be 1 or more")
    width = len(beg) if beg[0] == "0" and len(beg) > 1 else 0
    if width and width != len(end):
        raise PatternError("a host range with leading zeros needs begin and end of equal length")
    letters = string.ascii_letters
    if len(beg) == 1 and len(end) == 1 and beg in letters and end in letters:
        i, j = letters.index(beg), letters.index(end)
        if i > j:
            raise PatternError("a host range must have begin <= end")
        values = list(letters[i : j + 1 : step])
    else:
        try:
            lo, hi = whole_number(beg), whole_number(end)
        except ValueError:
            raise PatternError("a host range must be numbers or single letters") from None
        if (hi - lo) // step + 1 > MAX_EXPANSION:
            raise PatternError(f"a host range gives more than {MAX_EXPANSION} hosts")
        values = [str(v).zfill(width) if width else str(v) for v in range(lo, hi + 1, step)]
    return [f"{head}{v}{tail}" for v in values]


def expand(pattern: str) -> list[str]:
    """Every host name a pattern stands for (several ranges multiply), capped at MAX_EXPANSION."""
    done: list[str] = []
    todo = [pattern]
    while todo:
        item = todo.pop()
        if "[" not in item:
            done.append(item)
            continue
        todo.extend(reversed(_expand_one(item)))
        if len(done) + len(todo) > MAX_EXPANSION:
            raise PatternError(f"a host pattern gives more than {MAX_EXPANSION} hosts")
    return done


def expand_hostpattern(pattern: str) -> tuple[list[str], int | None]:
    """Host names and port of one pattern; raises PatternError the way Ansible would refuse it.

    A ',' or '=' in a name means a line was not split where it should be (a comma typed for a space,
    a CSV read as an inventory): the "name" then holds variables, passwords included, so it is refused
    and, like every PatternError, never quoted.
    """
    if "=" in pattern or "," in pattern:
        raise PatternError("not a host name: it holds ',' or '=' (a comma for a space, or not an inventory?)")
    if pattern.strip().endswith(":") and split_port(pattern)[1] is None:
        raise PatternError("a host pattern must not end in ':' (it is reserved for the port)")
    host, port = split_port(pattern)
    names = expand(host) if "[" in host else [host]
    if any(n.strip() == "---" for n in names):
        raise PatternError("'---' is not a host name (is this a YAML file?)")
    return names, port
