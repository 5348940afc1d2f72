"""The document's tree: ``ParentID`` -> ``ID`` (rJSON: nesting and ``Path``), the Trash, folder paths.

``RoyalDocument`` is the root (what sits under it is at the top level) and a container like a
folder: it holds credential and gateway settings that connections inherit. Objects below the
``RoyalTrash`` are deleted. Every walk up the tree is memoised per object, so a hostile document of
thousands of nested folders costs linear time, and a ``ParentID`` cycle is found instead of followed.
Folder paths stop at ``MAX_FOLDER_DEPTH``: each folder keeps its path, so a chain of 100,000 folders
would otherwise need gigabytes; an object deeper than that is not imported (``too_deep``).
"""

from __future__ import annotations

from collections.abc import Callable

from migrator.names import name_key
from migrator.sources.limits import MAX_FOLDER_DEPTH
from migrator.sources.royalts import objects as o
from migrator.sources.royalts.objects import RoyalObject

_CYCLE = object()
_TOO_DEEP = object()


class Tree:
    def __init__(self, objects: list[RoyalObject]):
        self.objects = objects
        self.by_oid: dict[str, RoyalObject] = {}
        #: external ID (normalised) -> the first object with it
        self.by_id: dict[str, RoyalObject] = {}
        #: (object, the earlier object with the same ID)
        self.repeated_ids: list[tuple[RoyalObject, RoyalObject]] = []
        for index, obj in enumerate(objects):
            ext = obj.ref("ID")
            if ext is not None and ext in self.by_id:
                self.repeated_ids.append((obj, self.by_id[ext]))
            elif ext is not None:
                self.by_id[ext] = obj
            if not obj.oid:
                obj.oid = ext if ext is not None and self.by_id.get(ext) is obj else f"\0{index}"
            self.by_oid[obj.oid] = obj
        self.document = next((x for x in objects if x.type == o.DOCUMENT), None)
        self._parent: dict[str, RoyalObject | None] = {}
        self.dangling: set[str] = set()  # oids whose ParentID names no object of the file
        self._path: dict[str, list[str] | object] = {}
        self._trashed: dict[str, bool] = {}
        self._credentials: dict[str, dict[str, list[RoyalObject]]] | None = None

    def parent(self, obj: RoyalObject) -> RoyalObject | None:
        if obj.oid in self._parent:
            return self._parent[obj.oid]
        if obj.plain:
            parent = self.by_oid.get(obj.parent_oid) if obj.parent_oid else None
        else:
            pid = obj.ref("ParentID")
            parent = self.by_id.get(pid) if pid is not None else None
            if pid is not None and parent is None:
                self.dangling.add(obj.oid)
        self._parent[obj.oid] = parent
        return parent

    def _walk(self, obj: RoyalObject, memo: dict, leaf: Callable, step: Callable):
        """Memoised value of ``obj`` from its ancestors: ``leaf(x)`` at the top, ``step(x, parent_value)``."""
        chain: list[RoyalObject] = []
        seen: set[str] = set()
        node: RoyalObject | None = obj
        while node is not None and node.oid not in memo:
            if node.oid in seen:
                for x in chain:
                    memo[x.oid] = _CYCLE
                return _CYCLE
            seen.add(node.oid)
            chain.append(node)
            node = self.parent(node)
        value = memo[node.oid] if node is not None else None
        for x in reversed(chain):
            value = _CYCLE if value is _CYCLE else (step(x, value) if value is not None else leaf(x))
            memo[x.oid] = value
        return value

    def in_cycle(self, obj: RoyalObject) -> bool:
        return self._folders(obj) is _CYCLE

    def too_deep(self, obj: RoyalObject) -> bool:
        """Whether ``obj`` sits in more than ``MAX_FOLDER_DEPTH`` nested folders."""
        return self._folders(obj) is _TOO_DEEP

    def folder_path(self, obj: RoyalObject) -> list[str] | None:
        """Names of the folders above ``obj``, top first; None for a ``ParentID`` cycle or too deep a path."""
        value = self._folders(obj)
        return None if value is _CYCLE or value is _TOO_DEEP else list(value)

    def _folders(self, obj: RoyalObject):
        parent = self.parent(obj)
        if parent is None:
            return []
        return self._walk(parent, self._path, lambda x: _own(x, []), _own)

    def trashed(self, obj: RoyalObject) -> bool:
        value = self._walk(obj, self._trashed, lambda x: x.type == o.TRASH, lambda x, above: above or x.type == o.TRASH)
        return value is True

    def ancestors(self, obj: RoyalObject):
        """The containers above ``obj``, nearest first, ending with the document (cycle-safe)."""
        seen = {obj.oid}
        node = self.parent(obj)
        while node is not None and node.oid not in seen:
            seen.add(node.oid)
            yield node
            node = self.parent(node)

    def describe(self, obj: RoyalObject) -> str:
        """``Folder/Sub/Name`` for messages (the object's own name last)."""
        path = self.folder_path(obj) or []
        return "/".join([*path, obj.name or f"(unnamed {obj.type})"])

    def credentials_named(self, name: str) -> tuple[list[RoyalObject], list[RoyalObject]]:
        """Live credential objects with exactly this name, and those equal to it ignoring case."""
        if self._credentials is None:
            exact: dict[str, list[RoyalObject]] = {}
            folded: dict[str, list[RoyalObject]] = {}
            for x in self.objects:
                if x.type in (o.CREDENTIAL, o.DYNAMIC_CREDENTIAL) and not self.trashed(x):
                    exact.setdefault(x.name, []).append(x)
                    folded.setdefault(name_key(x.name), []).append(x)
            self._credentials = {"exact": exact, "folded": folded}
        return self._credentials["exact"].get(name, []), self._credentials["folded"].get(name_key(name), [])


def _own(obj: RoyalObject, above):
    if above is _TOO_DEEP or obj.type not in o.CONTAINERS:
        return above
    if len(above) >= MAX_FOLDER_DEPTH:
        return _TOO_DEEP
    return [*above, obj.name or "(unnamed folder)"]
