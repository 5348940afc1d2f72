"""A read-once snapshot of the live vault, and the reader that decrypts its secrets for comparison."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from migrator.mapper.desired import canonical_json
from migrator.names import shown_key
from migrator.xpipe.client import XPipeClient


@dataclass
class LiveCategory:
    uuid: str
    parent: str | None
    path: tuple[str, ...]  # lower-cased, including the root


@dataclass
class LiveEntry:
    uuid: str
    name: str  # own name, lower-cased as XPipe reports it
    display_path: tuple[str, ...]
    category: tuple[str, ...]  # lower-cased, without the root
    type: str
    raw: dict

    def ref(self, field_name: str):
        value = self.raw.get(field_name)
        if isinstance(value, dict) and "storeId" in value:
            return value["storeId"]
        return value


@dataclass
class LiveVault:
    categories: dict[str, LiveCategory] = field(default_factory=dict)
    entries: dict[str, LiveEntry] = field(default_factory=dict)
    vanished: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, client: XPipeClient) -> LiveVault:
        vault = cls()
        cat_infos, _ = client.category_info(client.query_categories("**"))
        for info in cat_infos:
            vault.categories[info["uuid"]] = LiveCategory(
                uuid=info["uuid"],
                parent=info.get("parentCategory"),
                path=tuple(str(n).lower() for n in info.get("name") or []),
            )
        infos, vault.vanished = client.store_info(client.query_stores("**", "**", "*"))
        for info in infos:
            names = [str(n) for n in info.get("name") or []]
            vault.entries[info["uuid"]] = LiveEntry(
                uuid=info["uuid"],
                name=names[-1] if names else "",
                display_path=tuple(names),
                category=tuple(str(c).lower() for c in info.get("category") or []),
                type=str(info.get("type")),
                raw=info.get("rawData") or {},
            )
        return vault

    def category_by_path(self) -> dict[tuple[str, ...], str]:
        out: dict[tuple[str, ...], str] = {}
        for cat in sorted(self.categories.values(), key=lambda c: c.uuid):
            out.setdefault(cat.path, cat.uuid)
        return out

    def by_name(self) -> dict[str, list[LiveEntry]]:
        """Entries by ``shown_key``: the ones a real name may denote (XPipe shows no real name)."""
        out: dict[str, list[LiveEntry]] = defaultdict(list)
        for e in self.entries.values():
            out[shown_key(e.name)].append(e)
        return out

    def by_address(self) -> dict[str, list[LiveEntry]]:
        """Entries by host and port: the only ones whose data can equal a desired entry's."""
        out: dict[str, list[LiveEntry]] = defaultdict(list)
        for e in self.entries.values():
            out[address_key(e.raw)].append(e)
        return out

    def referrers(self, uuid: str) -> list[LiveEntry]:
        """Entries whose gateway points at ``uuid`` (XPipe shows them as its children)."""
        return [e for e in self.entries.values() if e.ref("gateway") == uuid]

    def identity_users(self, uuid: str) -> list[LiveEntry]:
        """Entries that reference ``uuid`` as their identity: removing it would make their identity null."""
        out = []
        for e in self.entries.values():
            identity = e.raw.get("identity")
            ref = identity.get("ref") if isinstance(identity, dict) and identity.get("type") == "ref" else None
            if (ref.get("storeId") if isinstance(ref, dict) else ref) == uuid:
                out.append(e)
        return out


def address_key(data: dict) -> str:
    return canonical_json([data.get("host"), data.get("port")])


def is_encrypted_node(value) -> bool:
    return isinstance(value, dict) and (
        ("secret" in value and isinstance(value["secret"], dict))
        or (value.get("type") in ("vault", "locked", "default") and "encryptedValue" in value)
    )


class SecretReader:
    """Decrypts live EncryptedValue nodes through XPipe, once per distinct node."""

    def __init__(self, client: XPipeClient):
        self.client = client
        self._cache: dict[str, dict | None] = {}

    def strategy(self, node: dict) -> dict | None:
        """The strategy a node holds, or None when XPipe cannot decrypt it (another vault's key)."""
        key = canonical_json(node)
        if key not in self._cache:
            text = self.client.decrypt(node)
            try:
                value = json.loads(text) if text else None
            except ValueError:
                value = None
            self._cache[key] = value if isinstance(value, dict) else None
        return self._cache[key]
