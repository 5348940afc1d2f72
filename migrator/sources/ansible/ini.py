"""Ansible INI inventories, read line by line the way ansible-core's ``ini`` plugin reads them.

Host lines are split like a shell (``shlex``, ``#`` comments); each ``key=value`` after the host
pattern, and each value in a ``[group:vars]`` section, is a Python literal when it parses as one
(``ansible_port=2222`` is an int, ``x="[1, 2]"`` a list) and text otherwise. Literals go through
``ast.literal_eval`` only, which builds constants and never runs code; oversized or deeply nested
values are kept as text instead. Where Ansible would reject the whole file, this reader reports
the line and goes on with the next one.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

from migrator.sources.ansible.inventory import UNGROUPED, Inventory
from migrator.sources.ansible.patterns import PatternError, expand_hostpattern
from migrator.sources.ansible.sshargs import split_words

MAX_LITERAL = 10000
_SECTION = re.compile(r"\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?")
_GROUP_NAME = re.compile(r"([^:\]\s]+)\s*(?:#.*)?")
_STATES = ("hosts", "children", "vars")
#: Names and dotted names (no brackets, commas or quotes) and dotted numbers: no literal is written so.
_NEVER_LITERAL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*|[0-9]+(?:\.[0-9]+){2,}")
_NAMED_CONSTANTS = frozenset({"True", "False", "None"})


def _coerce(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_coerce(v) for v in value]
    if isinstance(value, dict):
        return {_coerce(k): _coerce(v) for k, v in value.items()}
    if value is ...:
        return "..."
    if isinstance(value, complex):
        return str(value)
    return value


def parse_value(text: str) -> Any:
    """A Python literal if ``text`` is one, else the text itself (Ansible's INI value rule).

    The usual values are settled without compiling them: a plain word or dotted name (``deploy``,
    ``web01.example.net``) or an address of dotted numbers is never a literal, except ``True``,
    ``False`` and ``None``; digits without a leading zero are an int. ``literal_value`` does the rest.
    """
    if _NEVER_LITERAL.fullmatch(text) and text not in _NAMED_CONSTANTS:
        return text
    if text.isascii() and text.isdigit() and (text[0] != "0" or len(text) == 1):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts; literal_eval refuses them too
            return text
    return literal_value(text)


def literal_value(text: str) -> Any:
    """``ast.literal_eval`` of ``text`` with Ansible's fallback to the text, for any value."""
    if len(text) > MAX_LITERAL or _nesting(text) > 32:
        return text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, OverflowError):
        return text
    return _coerce(value)


def _nesting(text: str) -> int:
    depth = top = 0
    for c in text:
        if c in "([{":
            depth += 1
            top = max(top, depth)
        elif c in ")]}":
            depth -= 1
    return top


def read_ini(inv: Inventory, lines: list[tuple[int, str]]) -> None:
    """Fill ``inv`` from ``(line number, text)`` pairs; problems go to ``inv.problems``."""
    pending: dict[str, dict] = {}
    group, state = UNGROUPED, "hosts"
    for lineno, raw in lines:
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        m = _SECTION.fullmatch(line)
        if m:
            group, state = m.group(1), m.group(2) or "hosts"
            if state not in _STATES:
                inv.problem(
                    "error",
                    "ini-section",
                    f"section type {state!r} is not hosts, children or vars; the lines of this section are not read",
                    line=lineno,
                    entry=group,
                )
                state = "skip"
                continue
            if group not in inv.groups:
                if state == "vars" and group not in pending:
                    pending[group] = {"line": lineno, "state": "vars", "parents": []}
                if not inv.add_group(group, lineno):
                    state = "skip"
                    continue
            if group in pending and state != "vars":
                if pending[group]["state"] == "children":
                    _resolve_pending(inv, group, pending)
                else:
                    del pending[group]
            continue
        if line.startswith("[") and line.endswith("]"):
            inv.problem(
                "error",
                "ini-section",
                "not a valid section header (no spaces allowed in [group] "
                "or [group:type]); the lines of this section are not read",
                line=lineno,
            )
            state = "skip"
            continue
        if state == "hosts":
            _host_line(inv, group, lineno, line)
        elif state == "vars":
            key, sep, value = line.partition("=")
            if not sep:
                inv.problem(
                    "error",
                    "ini-syntax",
                    "expected key=value in a [group:vars] section; line not read",
                    line=lineno,
                    entry=group,
                )
                continue
            inv.set_group_var(group, key.strip(), parse_value(value.strip()), lineno)
        elif state == "children":
            cm = _GROUP_NAME.fullmatch(line)
            if not cm:
                inv.problem(
                    "error",
                    "ini-syntax",
                    "expected a group name in a [group:children] section; line not read",
                    line=lineno,
                    entry=group,
                )
                continue
            child = cm.group(1)
            if child not in inv.groups:
                decl = pending.setdefault(child, {"line": lineno, "state": "children", "parents": []})
                decl["parents"].append(group)
            else:
                inv.add_child(group, child, lineno)
    for name, decl in pending.items():
        if decl["state"] == "vars":
            inv.problem(
                "warning",
                "undefined-group",
                "[group:vars] for a group that is never defined",
                line=decl["line"],
                entry=name,
            )
        else:
            inv.problem(
                "error",
                "undefined-group",
                f"[{decl['parents'][-1]}:children] names a group that is never defined; it is left out",
                line=decl["line"],
                entry=name,
            )


def _resolve_pending(inv: Inventory, group: str, pending: dict[str, dict]) -> None:
    stack = [group]
    while stack:
        g = stack.pop()
        decl = pending.pop(g, None)
        if decl is None:
            continue
        for parent in decl["parents"]:
            if parent not in inv.groups:
                continue
            inv.add_child(parent, g, decl["line"])
            if parent in pending and pending[parent]["state"] == "children":
                stack.append(parent)


def _host_line(inv: Inventory, group: str, lineno: int, line: str) -> None:
    try:
        tokens = split_words(line, comments=True)
    except ValueError:
        inv.problem("error", "ini-syntax", "unbalanced quotes on this host line; line not read", line=lineno)
        return
    if not tokens:
        return
    try:
        names, port = expand_hostpattern(tokens[0])
    except PatternError as exc:
        column = line.find(tokens[0]) + 1 or 1
        inv.problem("error", "host-pattern", f"column {column}: {exc}; line not read", line=lineno)
        return
    variables: dict[str, Any] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if not sep:
            inv.problem(
                "error",
                "ini-syntax",
                "expected key=value after the host name; line not read",
                line=lineno,
                entry=names[0] if len(names) == 1 else tokens[0],
            )
            return
        variables[key] = parse_value(value)
    for name in names:
        if not name:
            inv.problem("error", "host-pattern", "empty host name; line not read", line=lineno)
            return
        host = inv.add_host(name, group, port, lineno)
        for key, value in variables.items():
            inv.set_host_var(host, key, value, lineno)
