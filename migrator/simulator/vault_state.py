"""A simulated vault as a state document and as journal records (what ``persist`` writes).

A mixin of :class:`~migrator.simulator.vault.Vault`, which holds the entries, categories, cipher and
the marks of what changed; split from it to keep each module readable.
"""

from __future__ import annotations

import base64

from migrator.simulator import stores
from migrator.simulator.crypto import VaultCipher
from migrator.simulator.errors import BadRequest
from migrator.simulator.records import STATE_FORMAT, Category, Entry, empty_category_config, iso, parse_iso
from migrator.simulator.values import ParseContext
from migrator.xpipe import constants as C


class VaultState:
    """``to_json``/``load_json`` for snapshots, ``take_changes`` for the journal."""

    def _entry_json(self, entry: Entry) -> dict:
        data = stores.dump_obj(entry.store) if entry.store is not None else entry.failed_data
        return {
            "uuid": entry.uuid,
            "name": entry.name,
            "category": entry.category,
            "type": entry.type_id,
            "data": data,
            "state": entry.state,
            "lastUsed": iso(entry.last_used),
            "lastModified": iso(entry.last_modified),
        }

    @staticmethod
    def _category_json(cat: Category) -> dict:
        return {
            "uuid": cat.uuid,
            "name": cat.name,
            "parent": cat.parent,
            "config": cat.config,
            "lastUsed": iso(cat.last_used),
            "lastModified": iso(cat.last_modified),
        }

    def to_json(self) -> dict:
        """The whole vault as a state document (the snapshot the journal starts from)."""
        return {
            "format": STATE_FORMAT,
            "version": 1,
            "vaultKey": base64.b64encode(self.cipher.key).decode("ascii"),
            "categories": [self._category_json(c) for c in self.categories.values()],
            "entries": [self._entry_json(e) for e in self.entries.values()],
        }

    def has_changes(self) -> bool:
        return bool(self._dirty_entries or self._dirty_categories)

    def take_changes(self) -> list[dict]:
        """Journal records for everything changed since the last call, and forget those marks.

        A record carries an entry's or category's whole current JSON (``entry``/``category``) or
        its removal (``entryRemoved``/``categoryRemoved``), so its size is that of the change.
        """
        records: list[dict] = []
        for cat_uuid in self._dirty_categories:
            cat = self.categories.get(cat_uuid)
            records.append({"category": self._category_json(cat)} if cat else {"categoryRemoved": cat_uuid})
        for entry_uuid in self._dirty_entries:
            entry = self.entries.get(entry_uuid)
            records.append({"entry": self._entry_json(entry)} if entry else {"entryRemoved": entry_uuid})
        self._dirty_categories.clear()
        self._dirty_entries.clear()
        return records

    def load_json(self, state: dict) -> None:
        """Replace the vault's content by a saved state (its key, categories and entries)."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError("not a simulator vault state file")
        self.cipher = VaultCipher(base64.b64decode(state["vaultKey"]))
        self.entries.clear()
        self.categories.clear()
        self._by_store.clear()
        self._by_name.clear()
        for raw in state.get("categories", []):
            self.categories[raw["uuid"]] = Category(
                raw["uuid"],
                raw["name"],
                raw.get("parent"),
                parse_iso(raw.get("lastUsed")),
                parse_iso(raw.get("lastModified")),
                {**empty_category_config(), **(raw.get("config") or {})},
            )
        saved = state.get("entries", [])
        known = {raw["uuid"] for raw in saved}
        context = ParseContext(self.cipher, lambda entry_uuid: entry_uuid in known)
        for raw in saved:
            try:
                store = stores.parse_poly(raw.get("data"), stores.STORE, context, "data")
            except BadRequest:
                store = None
            data = raw.get("data")
            type_id = (
                store.type_id
                if store is not None
                else str(data.get("type") if isinstance(data, dict) and "type" in data else raw.get("type"))
            )
            self._insert(
                Entry(
                    raw["uuid"],
                    raw["name"],
                    raw.get("category") or C.DEFAULT_CATEGORY,
                    store,
                    type_id,
                    raw.get("state") or {},
                    parse_iso(raw.get("lastUsed")),
                    parse_iso(raw.get("lastModified")),
                    failed_data=None if store is not None else data,
                )
            )
        for entry in self.entries.values():
            if entry.category not in self.categories:
                entry.category = C.DEFAULT_CATEGORY
        self._ensure_builtins()
        self._dirty_entries.clear()
        self._dirty_categories.clear()
