"""Desired state vs the live vault -> a ``Plan`` of ``Change``s that every report renders.

The planner reads the vault once, compares every desired entry with the entry XPipe's add would
touch (same name case-insensitively, same type, anywhere in the vault) and decides: create, update
(with a per-field diff), unchanged, recreate (the folder changed: XPipe cannot move entries) or
conflict (the add would hit something that is not ours). Secrets are compared decrypted, so an
unchanged vault plans as unchanged although every encryption gives new ciphertext.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from migrator.desired import DesiredEntry, DesiredState, EntryRef, Secret, iter_placeholders
from migrator.errors import ConfigError
from migrator.model import Diagnostic
from migrator.vault import LiveEntry, LiveVault, SecretReader, is_encrypted_node, own_name
from migrator.xpipe.client import XPipeClient

ACTIONS = ("create", "update", "recreate", "unchanged", "conflict")
IDENTITY_TYPES = {"localIdentity", "syncedIdentity", "passwordManagerIdentity", "multiIdentity"}


@dataclass
class FieldChange:
    path: str
    old: object
    new: object


@dataclass
class Change:
    action: str
    kind: str  # "category", "host", "hop", "identity"
    key: str
    name: str
    category: str
    uuid: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str | None = None
    source: str | None = None
    entry: DesiredEntry | None = field(default=None, repr=False)
    live: LiveEntry | None = field(default=None, repr=False)
    path: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "recreate")


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    target: str = ""
    xpipe_version: str = ""
    dialect: str = ""
    root_category: str = ""
    hosts_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    identities: dict = field(default_factory=dict)
    external: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        for c in self.changes:
            out[c.action] += 1
        return out

    @property
    def has_changes(self) -> bool:
        return any(c.writes for c in self.changes)

    def entries(self) -> list[Change]:
        return [c for c in self.changes if c.kind != "category"]


def strip_nulls(value):
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def subset_equal(desired, live) -> bool:
    """Every field the migrator sets has the same value live; fields it does not set are ignored."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(subset_equal(v, live.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(desired) == len(live) and all(
            subset_equal(a, b) for a, b in zip(desired, live, strict=True))
    return desired == live


def redacted(secret: Secret | None, live_kind: str | None = None) -> str:
    if secret is not None:
        if secret.kind in ("none", "prompt", "otherExternal", "sshAgent", "pageant"):
            return f"<{secret.kind}>"
        return f"<redacted {secret.kind} sha:{secret.digest}>"
    return f"<redacted {live_kind}>" if live_kind else "<unset>"


class Planner:
    def __init__(self, client: XPipeClient, *, root_category: tuple[str, ...], name_clash: str = "refuse"):
        if name_clash not in ("refuse", "rename"):
            raise ConfigError(f"name clash rule {name_clash!r}: use refuse or rename")
        self.client = client
        self.root = root_category
        self.name_clash = name_clash
        self.reader = SecretReader(client)

    # -- comparison -----------------------------------------------------------------------

    def _live_strategy(self, value) -> dict | None:
        if is_encrypted_node(value):
            return self.reader.strategy(value)
        return value if isinstance(value, dict) else None

    def _diff(self, desired, live, path: str, out: list[FieldChange], names) -> None:
        if isinstance(desired, Secret):
            strategy = self._live_strategy(live)
            if strategy is None or not subset_equal(strip_nulls(desired.strategy), strip_nulls(strategy)):
                old_kind = strategy.get("type") if isinstance(strategy, dict) else None
                out.append(FieldChange(path, redacted(None, old_kind) if live is not None else None,
                                       redacted(desired)))
            return
        if isinstance(desired, EntryRef):
            want = self._resolved.get(desired.key)
            have = live.get("storeId") if isinstance(live, dict) else live
            if want is None or want != have:
                out.append(FieldChange(path, names(have), self._ref_label(desired.key)))
            return
        if isinstance(desired, dict):
            type_differs = path and "type" in desired and desired.get("type") != live.get("type") \
                if isinstance(live, dict) else True
            if not isinstance(live, dict) or type_differs:
                out.append(FieldChange(path, _summary(live), _summary(desired)))
                return
            for k, v in desired.items():
                if not path and k == "type":
                    continue
                if v is None and live.get(k) is None:
                    continue
                self._diff(v, live.get(k), f"{path}.{k}" if path else k, out, names)
            return
        if desired != live:
            out.append(FieldChange(path, live, desired))

    def _ref_label(self, key: str) -> str:
        entry = self._desired.get(key)
        name = entry.name if entry else key
        return f"'{name}'" if self._resolved.get(key) else f"'{name}' (new)"

    # -- planning --------------------------------------------------------------------------

    def plan(self, state: DesiredState, diagnostics: list[Diagnostic] | None = None) -> Plan:
        started = time.perf_counter()
        requests_before = self.client.requests_made
        live = LiveVault.read(self.client)
        plan = Plan(diagnostics=list(diagnostics or []), target=self.client.base_url,
                    xpipe_version=self.client.xpipe_version, dialect=self.client.dialect.name,
                    root_category="/".join(self.root))
        self._desired = state.by_key()
        self._resolved: dict[str, str | None] = {}
        names_by_uuid = {e.uuid: e.name for e in live.entries.values()}

        def names(uuid):
            if uuid is None:
                return None
            if uuid == "f0ec68aa-63f5-405c-b178-9a4454556d6b":
                return "'local machine'"
            return f"'{names_by_uuid[uuid]}'" if uuid in names_by_uuid else uuid

        cat_paths = live.category_by_path()
        for cat in state.categories:
            lower = tuple(s.lower() for s in cat.path)
            uuid = cat_paths.get(lower)
            plan.changes.append(Change(
                action="unchanged" if uuid else "create", kind="category", key="category:" + "/".join(cat.path),
                name=cat.path[-1], category="/".join(cat.path[:-1]), uuid=uuid, path=cat.path,
            ))

        self._by_name = live.by_name()
        self._root_lower = tuple(s.lower() for s in self.root)
        self._external(state, live, plan)
        desired_names = {own_name(e.name) for e in state.entries}
        removed: set[str] = set()
        seen_views: dict[str, str] = {}
        for entry in state.entries:
            change = self._match(entry, live, desired_names, removed, names, plan)
            if change.action == "create":
                self._check_duplicate(entry, change, live, seen_views, names)
            self._resolved[entry.key] = change.uuid if change.action in ("update", "unchanged") else None
            plan.changes.append(change)
        plan.requests = self.client.requests_made - requests_before
        plan.seconds = time.perf_counter() - started
        return plan

    def _owned_prefix(self, entry: DesiredEntry) -> tuple[str, ...]:
        """Live category prefix (lower-case, without the root) inside which an entry counts as ours."""
        if entry.kind == "identity":
            return tuple(s.lower() for s in entry.category[1:])
        return self._root_lower

    def _external(self, state: DesiredState, live: LiveVault, plan: Plan) -> None:
        """Resolve references to identities the user chose by name; a missing one is an error."""
        from migrator.mapper import EXISTING_IDENTITY

        wanted = {p.key for e in state.entries for p in iter_placeholders(e.data)
                  if isinstance(p, EntryRef) and p.key.startswith(EXISTING_IDENTITY)}
        for key in sorted(wanted):
            name = key[len(EXISTING_IDENTITY):]
            found = [e for e in self._by_name.get(own_name(name), []) if e.type in IDENTITY_TYPES]
            if len(found) == 1:
                plan.external[key] = found[0].uuid
                self._resolved[key] = found[0].uuid
            else:
                self._resolved[key] = None
                plan.diagnostics.append(Diagnostic(
                    level="error", code="identity-not-found", entry=name, field="identity",
                    message=f"identity '{name}' " + ("does not exist in XPipe" if not found else
                                                      f"is ambiguous ({len(found)} identities have that name)"),
                ))

    def _clash(self, entry: DesiredEntry, live: LiveVault) -> str | None:
        """Why adding ``entry`` under its name would touch something that is not ours, or None."""
        same = self._by_name.get(own_name(entry.name), [])
        others = [e for e in same if e.type.lower() != entry.type.lower()]
        mine = [e for e in same if e.type.lower() == entry.type.lower()]
        if len(mine) > 1:
            return (f"{len(mine)} entries of type {entry.type} are named '{entry.name}' in the vault; XPipe "
                    "would update an arbitrary one")
        if mine and mine[0].category[:len(self._owned_prefix(entry))] != self._owned_prefix(entry):
            where = "/".join(mine[0].category) or "(no category)"
            return (f"an entry named '{entry.name}' already exists in '{where}', outside the migrator's "
                    f"category '{'/'.join(self._owned_prefix(entry))}'; XPipe's add would overwrite it")
        if others:
            return (f"a {others[0].type} entry is also named '{entry.name}'; XPipe matches names across types "
                    "and could create a duplicate instead of updating")
        return None

    def _match(self, entry, live, desired_names, removed, names, plan) -> Change:
        change = Change(action="create", kind=entry.kind, key=entry.key, name=entry.name,
                        category="/".join(entry.category[1:] if entry.category[0] == "All connections"
                                          else entry.category),
                        entry=entry, source=str(entry.host.source) if entry.host else None)
        missing_refs = [p.key for p in iter_placeholders(entry.data)
                        if isinstance(p, EntryRef) and p.key in plan.external.keys() | self._unresolvable()]
        if any(self._resolved.get(k) is None for k in missing_refs):
            change.action, change.reason = "conflict", "the XPipe identity it names cannot be found"
            return change
        reason = self._clash(entry, live)
        if reason and self.name_clash == "rename":
            base = entry.name
            suffix = "/".join(entry.category[1:]) or entry.type
            candidate, n = f"{base} ({suffix})", 2
            while own_name(candidate) in self._by_name or own_name(candidate) in desired_names:
                candidate, n = f"{base} ({suffix}) #{n}", n + 1
            plan.diagnostics.append(Diagnostic(
                level="warning", code="name-clash-renamed", entry=base, field="name",
                file=entry.host.source.file if entry.host else None,
                line=entry.host.source.line if entry.host else None,
                message=f"{reason}; imported as '{candidate}' instead",
            ))
            entry.name = change.name = candidate
            desired_names.add(own_name(candidate))
            reason = self._clash(entry, live)
        if reason:
            change.action, change.reason = "conflict", reason
            return change
        candidates = [e for e in self._by_name.get(own_name(entry.name), [])
                      if e.type.lower() == entry.type.lower()]
        if not candidates:
            return change
        cur = candidates[0]
        change.uuid, change.live = cur.uuid, cur
        want_cat = tuple(s.lower() for s in entry.category[1:])
        if cur.category != want_cat or cur.ref("gateway") in removed:
            outsiders = [r.name for r in live.referrers(cur.uuid) if r.name not in desired_names]
            if outsiders:
                change.action = "conflict"
                change.reason = (f"moving it from '{'/'.join(cur.category)}' needs a remove and re-add, which would "
                                 f"also delete entries that use it as gateway: {', '.join(sorted(outsiders))}")
                return change
            change.action = "recreate"
            change.reason = (f"moves from '{'/'.join(cur.category)}': XPipe has no move, so it is removed and "
                             "added again (new id)" if cur.category != want_cat
                             else "its gateway is re-created, and XPipe removes an entry with its gateway")
            removed.add(cur.uuid)
        self._diff(entry.data, cur.raw, "", change.fields, names)
        if change.action != "recreate":
            change.action = "update" if change.fields else "unchanged"
        return change

    def _unresolvable(self) -> set[str]:
        from migrator.mapper import EXISTING_IDENTITY

        return {k for k in self._resolved if k.startswith(EXISTING_IDENTITY)}

    def _check_duplicate(self, entry: DesiredEntry, change: Change, live: LiveVault, seen: dict, names) -> None:
        """XPipe's add returns an existing entry whose data is equal instead of creating a new one."""
        view = repr(_view(entry.data, self._resolved))
        if view in seen:
            change.action = "conflict"
            change.reason = (f"same connection data as '{seen[view]}' in this inventory; XPipe keeps one entry "
                             "for identical data")
            return
        seen[view] = entry.name
        for other in live.entries.values():
            if other.type.lower() != entry.type.lower():
                continue
            if other.raw.get("host") != entry.data.get("host") or other.raw.get("port") != entry.data.get("port"):
                continue
            diffs: list[FieldChange] = []
            self._diff(entry.data, other.raw, "", diffs, names)
            if not diffs and all(other.raw.get(k) is not None or v is None for k, v in entry.data.items()
                                 if k != "type"):
                change.action = "conflict"
                change.uuid = other.uuid
                change.reason = (f"identical to the existing entry '{other.name}' in "
                                 f"'{'/'.join(other.category)}'; XPipe's add would return that entry "
                                 "and create nothing")
                return


def _view(value, resolved):
    if isinstance(value, Secret):
        return ("secret", value.cache_key)
    if isinstance(value, EntryRef):
        return ("ref", resolved.get(value.key) or value.key)
    if isinstance(value, dict):
        return tuple(sorted((k, _view(v, resolved)) for k, v in value.items() if v is not None))
    if isinstance(value, list):
        return tuple(_view(v, resolved) for v in value)
    return value


def _summary(value) -> object:
    if isinstance(value, dict):
        t = value.get("type")
        return f"<{t}>" if t else "<object>"
    return value
