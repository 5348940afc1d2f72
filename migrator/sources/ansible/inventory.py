"""Groups, hosts and variable precedence of an Ansible inventory, filled by the INI or YAML reader.

It follows ansible-core's ``InventoryData``: hosts are global (a host named in several groups is
one host, a ``host:port`` counts only where the host is first seen), every group without a parent
is a child of ``all``, a host in no group is in ``ungrouped``. A host's variables are, from weakest
to strongest: its groups sorted by (depth, ``ansible_group_priority``, name), then its own
variables, each later definition replacing the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL, UNGROUPED = "all", "ungrouped"
MAX_GROUPS = 20000
MAX_DEPTH = 100


@dataclass
class Problem:
    """Something the reader reports: located, and never carrying a value."""

    level: str
    code: str
    message: str
    line: int | None = None
    entry: str | None = None
    field: str | None = None


@dataclass
class Group:
    name: str
    line: int | None
    vars: dict[str, Any] = field(default_factory=dict)
    var_lines: dict[str, int | None] = field(default_factory=dict)
    children: dict[str, int | None] = field(default_factory=dict)
    """Child group -> line that linked it (an ordered set)."""
    parents: dict[str, None] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    priority: int = 1


@dataclass
class InventoryHost:
    name: str
    line: int | None
    vars: dict[str, Any] = field(default_factory=dict)
    var_lines: dict[str, int | None] = field(default_factory=dict)
    groups: dict[str, None] = field(default_factory=dict)
    """The groups the host is listed in, in file order (an ordered set)."""


class Inventory:
    def __init__(self):
        self.groups: dict[str, Group] = {}
        self.hosts: dict[str, InventoryHost] = {}
        self.problems: list[Problem] = []
        self.add_group(ALL, None)
        self.add_group(UNGROUPED, None)
        self._depth: dict[str, int] | None = None
        self._ancestors: dict[str, tuple[str, ...]] = {}

    def problem(self, level, code, message, *, line=None, entry=None, field=None) -> None:
        self.problems.append(Problem(level, code, message, line, entry, field))

    # ---- building --------------------------------------------------------------------------------

    def add_group(self, name: str, line: int | None) -> bool:
        if name in self.groups:
            return True
        if len(self.groups) >= MAX_GROUPS:
            self.problem(
                "error", "too-many-groups", f"more than {MAX_GROUPS} groups; group not read", line=line, entry=name
            )
            return False
        self.groups[name] = Group(name, line)
        return True

    def add_child(self, parent: str, child: str, line: int | None) -> None:
        """Link ``child`` under ``parent``; loops are found and cut once everything is read."""
        p = self.groups[parent]
        if child in p.children:
            return
        p.children[child] = line
        self.groups[child].parents[parent] = None

    def _unlink(self, parent: str, child: str, code: str, message: str) -> None:
        line = self.groups[parent].children.pop(child, None)
        self.groups[child].parents.pop(parent, None)
        self.problem("error", code, message, line=line, entry=child)

    def _cut_loops(self) -> None:
        """Drop every link that closes a loop (Ansible refuses such files), in one depth-first pass."""
        state: dict[str, int] = {}
        for root in list(self.groups):
            if root in state:
                continue
            state[root] = 1
            stack = [(root, iter(list(self.groups[root].children)))]
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    self._unlink(
                        node, child, "group-loop", f"group {child!r} under {node!r} makes a loop; this link is ignored"
                    )
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(list(self.groups[child].children))))

    def add_host(self, name: str, group: str | None, port: int | None, line: int | None) -> InventoryHost:
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = InventoryHost(name, line)
            if port is not None:
                self.set_host_var(host, "ansible_port", port, line)
        if group is not None and group not in host.groups:
            host.groups[group] = None
            self.groups[group].hosts.append(name)
        return host

    def set_host_var(self, host: InventoryHost, key: str, value: Any, line: int | None) -> None:
        host.vars[key] = value
        host.var_lines[key] = line

    def set_group_var(self, group: str, key: str, value: Any, line: int | None) -> None:
        g = self.groups[group]
        if key == "ansible_group_priority":
            try:
                g.priority = int(value)
            except (TypeError, ValueError, OverflowError):
                self.problem(
                    "warning",
                    "group-priority",
                    "ansible_group_priority is not a whole number; ignored",
                    line=line,
                    entry=group,
                    field=key,
                )
            return
        g.vars[key] = value
        g.var_lines[key] = line

    def reconcile(self) -> None:
        """Top-level groups under ``all``, group-less hosts under ``ungrouped`` (as Ansible does)."""
        self._cut_loops()
        for name, group in self.groups.items():
            if name != ALL and not group.parents:
                self.add_child(ALL, name, None)
        ungrouped = self.groups[UNGROUPED]
        left: set[str] = set()
        for host in self.hosts.values():
            if not any(g not in (ALL, UNGROUPED) for g in host.groups):
                if UNGROUPED not in host.groups:
                    host.groups[UNGROUPED] = None
                    ungrouped.hosts.append(host.name)
            elif UNGROUPED in host.groups:
                del host.groups[UNGROUPED]
                left.add(host.name)
        if left:
            ungrouped.hosts = [h for h in ungrouped.hosts if h not in left]
        self._depth = None
        self._ancestors = {}
        self._cap_depth()

    def _cap_depth(self) -> None:
        """Groups nested deeper than MAX_DEPTH are cut loose (and reported): it keeps every walk bounded."""
        too_deep = [g for g in self.groups if self.depth(g) > MAX_DEPTH]
        for name in too_deep:
            for parent in list(self.groups[name].parents):
                self._unlink(
                    parent,
                    name,
                    "group-depth",
                    f"groups nested deeper than {MAX_DEPTH} levels; this group is read as a top-level group",
                )
            self.add_child(ALL, name, None)
        if too_deep:
            self._depth = None

    # ---- reading back ----------------------------------------------------------------------------

    def depth(self, name: str) -> int:
        """Longest path from ``all``: Ansible's group depth, which orders group variables."""
        if self._depth is None:
            self._depth = {ALL: 0}
            seen, stack = set(), [ALL]
            while stack:  # topological walk: a group is placed once all of its parents are
                g = stack.pop()
                for child in self.groups[g].children:
                    if child not in seen and all(p in self._depth for p in self.groups[child].parents):
                        seen.add(child)
                        self._depth[child] = 1 + max(self._depth[p] for p in self.groups[child].parents)
                        stack.append(child)
        return self._depth.get(name, 1)

    def ancestors(self, name: str) -> tuple[str, ...]:
        """The group and every group above it."""
        if name not in self._ancestors:
            out, seen, stack = [], {name}, [name]
            while stack:
                g = stack.pop()
                out.append(g)
                for p in self.groups[g].parents:
                    if p not in seen:
                        seen.add(p)
                        stack.append(p)
            self._ancestors[name] = tuple(out)
        return self._ancestors[name]

    def host_groups(self, host: InventoryHost) -> list[str]:
        """Every group the host is in, directly or through a child group, ``all`` included."""
        out: dict[str, None] = {ALL: None}
        for g in host.groups:
            out.update(dict.fromkeys(self.ancestors(g)))
        return list(out)

    def effective_vars(self, host: InventoryHost) -> tuple[dict[str, Any], dict[str, tuple[str, int | None]]]:
        """The host's variables as Ansible resolves them, and where each came from (group or host, line)."""
        groups = sorted(
            (self.groups[g] for g in self.host_groups(host)), key=lambda g: (self.depth(g.name), g.priority, g.name)
        )
        values: dict[str, Any] = {}
        origin: dict[str, tuple[str, int | None]] = {}
        for g in groups:
            for key, value in g.vars.items():
                values[key] = value
                origin[key] = (g.name, g.var_lines.get(key))
        for key, value in host.vars.items():
            values[key] = value
            origin[key] = (host.name, host.var_lines.get(key))
        return values, origin

    def folder(self, host: InventoryHost) -> list[str]:
        """The first group the host was listed in, with its first parents up to ``all``."""
        g = next((g for g in host.groups if g not in (ALL, UNGROUPED)), None)
        if g is None:
            return []
        path, seen = [], set()
        while g not in (ALL, UNGROUPED) and g not in seen:
            seen.add(g)
            path.append(g)
            parents = self.groups[g].parents
            if not parents:
                break
            g = next(iter(parents))
        return list(reversed(path))
