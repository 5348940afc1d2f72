"""The simulated XPipe vault: entries, categories, the add algorithm, queries and persistence.

Inspecting it from tests (``sim.vault``); take ``vault.lock`` when reading while requests may run:

* ``vault.entries``: ``dict[uuid, Entry]`` in creation order. :class:`Entry` has ``uuid``, ``name``
  (original case), ``category`` (UUID), ``store`` (:class:`~migrator.simulator.values.Obj`, ``None``
  if it failed to load), ``type_id``, ``state``, ``last_used``, ``last_modified``.
* ``vault.categories``: ``dict[uuid, Category]``; :class:`Category` has ``uuid``, ``name``, ``parent``.
* ``vault.raw_data(uuid)``: the entry's rawData as ``/connection/info`` shows it.
* ``vault.decrypt(node)``: plaintext of an encrypted wrapper or bare secret value (None if unreadable).
* ``vault.entry_path(uuid)`` / ``vault.category_path(uuid)``: the lower-cased paths the API uses.
* ``vault.validity(uuid)``: ``"COMPLETE"``, ``"INCOMPLETE"`` or ``"LOAD_FAILED"``.
* ``vault.entries_named(name)``: UUIDs of entries whose name equals ``name`` ignoring case.

Every public mutating method is what one storage endpoint does and runs under ``vault.lock``.
"""

from __future__ import annotations

import threading
import uuid as uuidlib
from collections.abc import Callable, Iterable
from typing import Any

from migrator.simulator import stores
from migrator.simulator.crypto import VaultCipher
from migrator.simulator.errors import BadRequest, ServerFailure
from migrator.simulator.globs import compile_glob
from migrator.simulator.java import equals_ignore_case, fold_case, java_blank, java_strip, lower_path_name
from migrator.simulator.records import (
    BUILTIN_CATEGORIES,
    LOCAL_MACHINE_NAME,
    ROOT_CATEGORIES,
    SYNCED_CATEGORY,
    UNDELETABLE_CATEGORIES,
    Category,
    Entry,
    iso,
    now,
)
from migrator.simulator.values import CheckContext, Incomplete, Obj, ParseContext
from migrator.simulator.vault_state import VaultState
from migrator.xpipe import constants as C


class Vault(VaultState):
    """All entries and categories of one simulated XPipe, with XPipe's storage operations."""

    def __init__(
        self,
        *,
        cipher: VaultCipher | None = None,
        synced_identities: bool = False,
        gateway_children: bool = True,
        lenient_ssh: bool = False,
        selected_category: str = C.DEFAULT_CATEGORY,
    ):
        self.lock = threading.RLock()
        self.cipher = cipher or VaultCipher()
        self.synced_identities = synced_identities
        self.gateway_children = gateway_children
        self.lenient_ssh = lenient_ssh
        self.selected_category = selected_category
        self.unknown_entry = "Unknown connection: "
        """The 400 message prefix for an unknown entry UUID; XPipe 24 writes ``Unknown  store: ``."""
        self.entries: dict[str, Entry] = {}
        self.categories: dict[str, Category] = {}
        self.on_change: Callable[[], None] | None = None
        self._dirty_entries: dict[str, None] = {}
        self._dirty_categories: dict[str, None] = {}
        self._by_store: dict[tuple, list[str]] = {}
        self._by_name: dict[str, list[str]] = {}
        self._ensure_builtins()

    # ------------------------------------------------------------------ setup and indexes

    def _ensure_builtins(self) -> None:
        wanted = BUILTIN_CATEGORIES + ((SYNCED_CATEGORY,) if self.synced_identities else ())
        for cat_uuid, name, parent in wanted:
            if cat_uuid not in self.categories:
                self.categories[cat_uuid] = Category(cat_uuid, name, parent)
        for cat in self.categories.values():
            if cat.parent is not None and cat.parent not in self.categories:
                cat.parent = C.ALL_CONNECTIONS
            elif cat.parent is None and cat.uuid not in ROOT_CATEGORIES:
                cat.parent = C.ALL_CONNECTIONS
        if C.LOCAL_MACHINE not in self.entries:
            local = stores.parse_store({"type": "local"}, self.parse_context())
            self._insert(
                Entry(
                    C.LOCAL_MACHINE,
                    LOCAL_MACHINE_NAME,
                    C.DEFAULT_CATEGORY,
                    local,
                    "local",
                    {"osType": "linux", "osName": "Linux", "shellDialect": "bash", "ttyState": "none", "running": True},
                )
            )

    def _mark(self, entry_uuid: str) -> None:
        self._dirty_entries[entry_uuid] = None

    def _mark_category(self, category_uuid: str) -> None:
        self._dirty_categories[category_uuid] = None

    def _insert(self, entry: Entry) -> None:
        self._mark(entry.uuid)
        self.entries[entry.uuid] = entry
        self._by_name.setdefault(fold_case(entry.name), []).append(entry.uuid)
        self._index_store(entry)

    def _index_store(self, entry: Entry) -> None:
        if entry.store is not None:
            self._by_store.setdefault(entry.store.canon(), []).append(entry.uuid)

    def _unindex_store(self, entry: Entry) -> None:
        if entry.store is None:
            return
        key = entry.store.canon()
        bucket = self._by_store.get(key, [])
        if entry.uuid in bucket:
            bucket.remove(entry.uuid)
        if not bucket:
            self._by_store.pop(key, None)

    def _delete(self, entry: Entry) -> None:
        self._mark(entry.uuid)
        self._unindex_store(entry)
        bucket = self._by_name.get(fold_case(entry.name), [])
        if entry.uuid in bucket:
            bucket.remove(entry.uuid)
        if not bucket:
            self._by_name.pop(fold_case(entry.name), None)
        del self.entries[entry.uuid]

    def _set_store(self, entry: Entry, store: Obj) -> None:
        self._mark(entry.uuid)
        self._unindex_store(entry)
        entry.store = store
        entry.type_id = store.type_id
        self._index_store(entry)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def parse_context(self) -> ParseContext:
        return ParseContext(self.cipher, self._referenceable)

    def _referenceable(self, entry_uuid: str) -> bool:
        entry = self.entries.get(entry_uuid)
        return entry is not None and entry.store is not None

    def _check_context(self) -> CheckContext:
        return CheckContext(self._resolve_store, lenient_ssh=self.lenient_ssh)

    def _resolve_store(self, entry_uuid: str) -> Obj | None:
        entry = self.entries.get(entry_uuid)
        return entry.store if entry is not None else None

    # ------------------------------------------------------------------ read helpers

    def validity(self, entry_uuid: str) -> str:
        entry = self.entries[entry_uuid]
        if entry.store is None:
            return "LOAD_FAILED"
        try:
            stores.check_complete(entry.store, self._check_context())
        except Incomplete:
            return "INCOMPLETE"
        return "COMPLETE"

    def display_parent(self, entry: Entry) -> Entry | None:
        if not self.gateway_children or entry.store is None:
            return None
        parent_uuid = stores.display_parent(entry.store)
        return self.entries.get(parent_uuid) if parent_uuid else None

    def entry_path(self, entry_uuid: str) -> list[str]:
        """Names of the display-parent chain down to the entry, lower-cased, ``/`` → ``_``."""
        chain: list[Entry] = []
        current: Entry | None = self.entries[entry_uuid]
        while current is not None and current not in chain:
            chain.insert(0, current)
            current = self.display_parent(current)
        return [lower_path_name(e.name) for e in chain]

    def category_path(self, category_uuid: str) -> list[str]:
        """Names from the root down to the category, lower-cased, ``/`` → ``_``."""
        chain: list[Category] = []
        current = self.categories.get(category_uuid)
        while current is not None and current not in chain:
            chain.insert(0, current)
            current = self.categories.get(current.parent) if current.parent else None
        return [lower_path_name(c.name) for c in chain]

    def display_children(self, entry_uuid: str) -> list[str]:
        """All display descendants of an entry (children, their children, ...)."""
        return self._descendants([entry_uuid], self._children_map())[1:]

    def _children_map(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for entry in self.entries.values():
            parent = self.display_parent(entry)
            if parent is not None:
                children.setdefault(parent.uuid, []).append(entry.uuid)
        return children

    @staticmethod
    def _descendants(roots: list[str], children: dict[str, list[str]]) -> list[str]:
        """``roots`` followed by all their display descendants, each once, in discovery order."""
        seen: dict[str, None] = {}
        frontier = list(roots)
        while frontier:
            current = frontier.pop(0)
            if current in seen:
                continue
            seen[current] = None
            frontier.extend(children.get(current, []))
        return list(seen)

    def raw_data(self, entry_uuid: str) -> Any:
        entry = self.entries[entry_uuid]
        return stores.raw_data(entry.store) if entry.store is not None else None

    def decrypt(self, node: Any) -> str | None:
        if not isinstance(node, dict):
            return None
        if "secret" in node:
            return self.cipher.decrypt_wrapper(node)
        return self.cipher.decrypt_value(node)

    def entries_named(self, name: str) -> list[str]:
        candidates = self._by_name.get(fold_case(name), [])
        return [u for u in candidates if equals_ignore_case(self.entries[u].name, name)]

    # ------------------------------------------------------------------ queries and info

    def query_entries(self, category_filter: str, entry_filter: str, type_filter: str) -> list[str]:
        cat_glob = compile_glob(category_filter)
        entry_glob = compile_glob(entry_filter)
        type_glob = compile_glob(type_filter)
        found = []
        for entry in self.entries.values():
            if self.validity(entry.uuid) != "COMPLETE":
                continue
            if not entry_glob.fullmatch("/".join(self.entry_path(entry.uuid))):
                continue
            if entry.category not in self.categories:
                continue
            if not cat_glob.fullmatch("/".join(self.category_path(entry.category))):
                continue
            if not type_glob.fullmatch(entry.type_id.lower()):
                continue
            found.append(entry.uuid)
        return found

    def query_categories(self, category_filter: str) -> list[str]:
        glob = compile_glob(category_filter)
        return [c for c in self.categories if glob.fullmatch("/".join(self.category_path(c)))]

    def entry_info(self, entry_uuid: str, id_key: str) -> dict:
        entry = self.entries[entry_uuid]
        spec = entry.store.spec if entry.store is not None else None
        return {
            id_key: entry.uuid,
            "category": self.category_path(entry.category)[1:],
            "name": self.entry_path(entry.uuid),
            "type": entry.type_id,
            "rawData": self.raw_data(entry.uuid),
            "usageCategory": spec.usage_category if spec is not None else None,
            "lastUsed": iso(entry.last_used),
            "lastModified": iso(entry.last_modified),
            "state": _json_copy(entry.state),
            "cache": {},
        }

    def category_info(self, category_uuid: str) -> dict:
        cat = self.categories[category_uuid]
        return {
            "category": cat.uuid,
            "parentCategory": cat.parent,
            "name": self.category_path(cat.uuid),
            "lastUsed": iso(cat.last_used),
            "lastModified": iso(cat.last_modified),
            "config": dict(cat.config),
        }

    def require_entries(self, uuids: Iterable[str]) -> list[Entry]:
        out = []
        for entry_uuid in uuids:
            if entry_uuid not in self.entries:
                raise BadRequest(f"{self.unknown_entry}{entry_uuid}")
            out.append(self.entries[entry_uuid])
        return out

    def require_categories(self, uuids: Iterable[str]) -> list[Category]:
        out = []
        for cat_uuid in uuids:
            if cat_uuid not in self.categories:
                raise BadRequest(f"Unknown category: {cat_uuid}")
            out.append(self.categories[cat_uuid])
        return out

    # ------------------------------------------------------------------ /connection/add

    def add_entry(self, name: str, data: Any, validate: bool, category: str | None) -> str:
        """``ConnectionAddExchangeImpl.handle`` (docs/xpipe-api.md §2.4), steps 1-7. Returns the entry UUID."""
        store = stores.parse_store(data, self.parse_context())  # 1

        for existing_uuid in self._by_store.get(store.canon(), []):  # 2
            existing = self.entries[existing_uuid]
            if existing.store is not None and existing.store == store:
                return existing_uuid

        named = next(iter(self.entries_named(name)), None)  # 3
        if named is not None:
            entry = self.entries[named]
            if entry.store is not None and entry.store.type_id == store.type_id:
                self._set_store(entry, store)
                entry.last_modified = now()
                self._changed()
                return entry.uuid

        if category is not None and category not in self.categories:  # 4
            raise BadRequest(f"Category with id {category} does not exist")

        stripped = java_strip(name)  # 5
        if java_blank(stripped):
            raise ServerFailure("Name is empty", java_class="java.lang.IllegalArgumentException")

        try:  # 6; validate:true is a simulated connection attempt that always succeeds
            stores.check_complete(store, self._check_context())
        except Incomplete as incomplete:
            raise ServerFailure(str(incomplete), java_class="io.xpipe.app.util.ValidationException") from None

        entry = Entry(
            str(uuidlib.uuid4()), stripped, self._initial_category(), store, store.type_id, stores.initial_state(store)
        )
        parent = self.display_parent(entry)
        if parent is not None:
            entry.category = parent.category
        if category is not None:  # 7
            entry.category = category
        self._insert(entry)
        self._changed()
        return entry.uuid

    def _initial_category(self) -> str:
        return self.selected_category if self.selected_category in self.categories else C.DEFAULT_CATEGORY

    # ------------------------------------------------------------------ remove / refresh

    def remove_entries(self, uuids: Iterable[str]) -> None:
        """Resolve all first; remove each with its display children; the local machine stays."""
        targets = self.require_entries(uuids)
        self._delete_entries(self._with_children([entry.uuid for entry in targets]))
        self._changed()

    def _delete_entries(self, doomed: list[str]) -> None:
        if not doomed:
            return
        removed = set(doomed)
        for entry_uuid in doomed:
            self._delete(self.entries[entry_uuid])
        for entry in self.entries.values():
            if entry.store is None:
                continue
            stripped = stores.without_refs(entry.store, removed)
            if stripped is not entry.store:
                self._set_store(entry, stripped)

    def refresh_entry(self, entry_uuid: str) -> None:
        """``validateOrThrow``: checkComplete plus a simulated connection that succeeds."""
        entry = self.require_entries([entry_uuid])[0]
        if entry.store is None:
            raise ServerFailure("Entry failed to load", java_class="java.lang.IllegalStateException")
        try:
            stores.check_complete(entry.store, self._check_context())
        except Incomplete as incomplete:
            raise ServerFailure(str(incomplete), java_class="io.xpipe.app.util.ValidationException") from None

    # ------------------------------------------------------------------ categories

    def add_category(self, name: str, parent: str) -> str:
        if parent not in self.categories:
            raise BadRequest(f"Parent category with id {parent} does not exist")
        for cat in self.categories.values():
            if cat.parent == parent and cat.name == name:
                return cat.uuid
        cat = Category(str(uuidlib.uuid4()), name, parent)
        self.categories[cat.uuid] = cat
        self._mark_category(cat.uuid)
        self._changed()
        return cat.uuid

    def remove_categories(self, uuids: Iterable[str], remove_children: bool, remove_contents: bool) -> None:
        """``DataStorage.deleteStoreCategory`` for each category (docs/xpipe-api.md §2.9)."""
        targets = self.require_categories(uuids)
        for cat in targets:
            if cat.parent is None or cat.uuid in UNDELETABLE_CATEGORIES:
                raise BadRequest(f"Cannot delete category: {cat.name}")
        for cat in targets:
            if cat.uuid not in self.categories:
                continue
            doomed = [cat.uuid]
            if remove_children:
                doomed += [c for c in self.categories if c != cat.uuid and cat.uuid in self._ancestors(c)]
            fallback = self._fallback_category(cat)
            if remove_contents:
                members = [e.uuid for e in self.entries.values() if e.category in doomed]
                self._delete_entries(self._with_children(members))
            else:
                for entry in self.entries.values():
                    if entry.category in doomed:
                        entry.category = fallback
                        self._mark(entry.uuid)
            for cat_uuid in doomed:
                del self.categories[cat_uuid]
                self._mark_category(cat_uuid)
            for other in self.categories.values():
                if other.parent is not None and other.parent not in self.categories:
                    other.parent = C.ALL_CONNECTIONS
                    self._mark_category(other.uuid)
        self._changed()

    def _with_children(self, members: list[str]) -> list[str]:
        """``members`` and their display descendants, without the local machine (never deleted)."""
        everything = self._descendants(members, self._children_map())
        return [entry_uuid for entry_uuid in everything if entry_uuid != C.LOCAL_MACHINE]

    def _ancestors(self, category_uuid: str) -> list[str]:
        chain: list[str] = []
        current = self.categories[category_uuid].parent
        while current is not None and current in self.categories and current not in chain:
            chain.append(current)
            current = self.categories[current].parent
        return chain

    def _fallback_category(self, cat: Category) -> str:
        parent = cat.parent
        if parent is None or parent in ROOT_CATEGORIES or parent not in self.categories:
            return C.DEFAULT_CATEGORY
        return parent


def _json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (what ``json.loads(json.dumps(value))`` gives, without the text)."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value
