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
    _refs: tuple[dict, dict] | None = field(default=None, init=False, repr=False, compare=False)

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
        return self._index()[0].get(uuid, [])

    def identity_users(self, uuid: str) -> list[LiveEntry]:
        """Entries that reference ``uuid`` as their identity: removing it would make their identity null."""
        return self._index()[1].get(uuid, [])

    def _index(self) -> tuple[dict, dict]:
        """gateway -> entries, identity -> entries: built once (the vault is read once per plan)."""
        if self._refs is None:
            gateways: dict[str, list[LiveEntry]] = defaultdict(list)
            identities: dict[str, list[LiveEntry]] = defaultdict(list)
            for e in self.entries.values():
                gateway = e.ref("gateway")
                if isinstance(gateway, str):
                    gateways[gateway].append(e)
                identity = e.raw.get("identity")
                ref = identity.get("ref") if isinstance(identity, dict) and identity.get("type") == "ref" else None
                ref = ref.get("storeId") if isinstance(ref, dict) else ref
                if isinstance(ref, str):
                    identities[ref].append(e)
            self._refs = (dict(gateways), dict(identities))
        return self._refs


_PLAIN = (str, int, float, type(None))


def address_key(data: dict):
    """Host and port, as a key: a tuple when both are plain values, else their canonical JSON."""
    host, port = data.get("host"), data.get("port")
    if isinstance(host, _PLAIN) and isinstance(port, _PLAIN):
        return (type(host).__name__, host, type(port).__name__, port)  # 22 and "22" stay apart
    return canonical_json([host, port])


def is_encrypted_node(value) -> bool:
    return isinstance(value, dict) and (
        ("secret" in value and isinstance(value["secret"], dict))
        or (value.get("type") in ("vault", "locked", "default") and "encryptedValue" in value)
    )


class SecretReader:
    """Decrypts live EncryptedValue nodes through XPipe, once per distinct node.

    With a ledger's ``known`` nodes (digest(node) -> digest(strategy), "Secret nodes" in
    ``migrator.sync.ledger``) and ``digest`` (the ledger's keyed digest), a node that the ledger
    knows to hold exactly the strategy the caller ``expect``s is answered without a request.
    ``matched`` collects, for the ledger, the nodes found to hold an expected strategy.
    """

    def __init__(self, client: XPipeClient, known: dict[str, str] | None = None, digest=None):
        self.client = client
        self.known = dict(known or {})
        self.digest = digest
        self.matched: dict[str, str] = {}
        self._cache: dict[str, dict | None] = {}

    def strategy(self, node: dict, expect: dict | None = None) -> dict | None:
        """The strategy a node holds, or None when XPipe cannot decrypt it (another vault's key).

        ``expect`` (nulls stripped) is what the caller hopes the node holds: a known node answers
        it without decrypting when the digests agree; any other case decrypts."""
        key = canonical_json(node)
        value = self._cache.get(key, _UNSET)
        check = expect is not None and self.digest is not None
        node_digest = self.digest(node) if check else None
        want_digest = self.digest(expect) if check else None
        if value is _UNSET:
            if check and node_digest in self.known and self.known[node_digest] == want_digest:
                value = expect
            else:
                value = self._decrypt(node)
            self._cache[key] = value
        if check and value is not None and strip_nulls(value) == expect:
            self.matched[node_digest] = want_digest
        return value

    def _decrypt(self, node: dict) -> dict | None:
        text = self.client.decrypt(node)
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = None
        return value if isinstance(value, dict) else None


_UNSET = object()


def strip_nulls(value):
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value
