"""The order of an apply: dependency levels, and what each change touches (its footprint).

Writes of one level may be in flight together (``migrator.apply.window``), so a level holds only
changes none of which needs another of the same level: categories by depth (a category needs its
parent), then entries by the length of their longest chain of references to other entries of the
plan (identities and gateways first, then the hosts that use them, then hosts behind those). A
level starts only when the one before it has finished.

Inside a level, two changes that touch one thing must not overlap: the same name (XPipe's add
upserts by name, ``equalsIgnoreCase``; ``shown_key`` is a coarser key, so it never misses a pair),
the same entry (an update, a remove, and every entry a remove takes with it: its display children),
or the same ledger key (a row that changes hands). Those tokens are the change's footprint.
"""

from __future__ import annotations

from collections import defaultdict

from migrator.names import shown_key
from migrator.plan.live import LiveVault
from migrator.plan.model import Change


def category_levels(changes: list[Change]) -> list[list[Change]]:
    """Category changes grouped by depth, shallow first, each group in plan order."""
    depth: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        if change.kind == "category":
            depth[len(change.path)].append(change)
    return [depth[d] for d in sorted(depth)]


def entry_levels(changes: list[Change]) -> list[list[Change]]:
    """Entry changes (not prunes) by dependency level, each level in plan order.

    An entry's level is one more than the highest level of the plan's entries it depends on; a
    dependency outside the plan (an existing identity) or a cycle (the mapper reports cycles and
    imports none of their hosts) adds nothing, and the loader fails such an entry as before.
    """
    entries = [c for c in changes if c.kind != "category" and c.action not in ("quarantine", "delete")]
    by_key = {c.key: c for c in entries}
    level: dict[str, int] = {}
    for change in entries:
        _level(change.key, by_key, level)
    grouped: dict[int, list[Change]] = defaultdict(list)
    for change in entries:
        grouped[level[change.key]].append(change)
    return [grouped[n] for n in sorted(grouped)]


def _level(key: str, by_key: dict[str, Change], level: dict[str, int]) -> int:
    """Depth-first without recursion (gateway chains can be long); a key on the current path is a cycle."""
    if key in level:
        return level[key]
    stack = [(key, iter(_depends(by_key[key], by_key)))]
    on_path = {key}
    best: dict[str, int] = {key: 0}
    while stack:
        current, deps = stack[-1]
        dep = next(deps, None)
        if dep is None:
            stack.pop()
            on_path.discard(current)
            level[current] = best[current]
            if stack:
                parent = stack[-1][0]
                best[parent] = max(best[parent], level[current] + 1)
            continue
        if dep in level:
            best[current] = max(best[current], level[dep] + 1)
        elif dep not in on_path:
            on_path.add(dep)
            best[dep] = 0
            stack.append((dep, iter(_depends(by_key[dep], by_key))))
    return level[key]


def _depends(change: Change, by_key: dict[str, Change]) -> list[str]:
    entry = change.entry
    if entry is None:
        return []
    return [d for d in entry.depends if d in by_key and d != change.key]


class Footprints:
    """Footprints of the changes of one plan, against the vault the plan read."""

    def __init__(self, live: LiveVault | None):
        self._live = live
        self._children: dict[str, list[str]] | None = None

    def of(self, change: Change) -> frozenset:
        if change.kind == "category":
            return frozenset({("category", tuple(s.lower() for s in change.path))})
        tokens = {("key", change.key), ("name", shown_key(change.name))}
        if change.entry is not None:
            tokens.add(("name", shown_key(change.entry.name)))
        if change.rekey:
            tokens.add(("key", change.rekey))
        if change.live is not None:
            tokens.add(("name", shown_key(change.live.name)))
        if change.uuid:
            tokens.add(("uuid", change.uuid))
            if change.action in ("recreate", "delete"):
                tokens.update(("uuid", u) for u in self.descendants(change.uuid))
        return frozenset(tokens)

    def descendants(self, uuid: str) -> list[str]:
        """Every live entry a remove of ``uuid`` takes with it: its display children (the entries
        whose gateway it is, as the simulator assumes XPipe shows them), and theirs."""
        if self._live is None:
            return []
        if self._children is None:
            self._children = defaultdict(list)
            for entry in self._live.entries.values():
                gateway = entry.ref("gateway")
                if isinstance(gateway, str):
                    self._children[gateway].append(entry.uuid)
        out, todo, seen = [], [uuid], {uuid}
        while todo:
            for child in self._children.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    out.append(child)
                    todo.append(child)
        return out
