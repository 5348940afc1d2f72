"""Stable names and ledger keys for shared identities.

A shared identity is what it holds (a user and a credential), not where it first appears. Naming
groups by their order in the inventory made an edit that reorders two groups of one user swap
``ops (password) #1`` and ``#2``: each identity was asked to take the other's data, and as XPipe
keeps one entry per identical data, both became conflicts on every later run. So an identity the
job already owns keeps its ledger key and its name, and only a new one gets a name:

1. **Same credential.** A group whose identity data (user, password, key) has exactly the digests
   a previous identity was last applied with (or sent with, by a write whose answer was lost) is
   that identity: same key, same name, nothing to write.
2. **Changed credential.** A group left without one takes over a previous identity of the same base
   name (the template without ``#n``) that is no longer claimed and that its connections used:
   a password change on the hosts that shared it is an update of that identity in place, so the
   hosts keep their reference. With several candidates the one most of the group's connections
   used wins.
3. **New.** The base name, or ``base #n`` with the smallest ``n`` no name in use (a host, an identity
   the job owns, one being kept) has; several new groups of one base name start at ``#1``.

The name follows the template: a kept name whose base no longer matches (the template changed, or
its ``{n}`` count did) is replaced by a new one, under the same key. Names compare as Java's
``equalsIgnoreCase`` (``name_key``). A new identity's key is ``identity:`` + its first name, kept
for its lifetime; the names of all previous keys stay reserved, so keys never repeat. Ledgers
written before this change used the same keys, so they are read as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator.names import name_key

KEY_PREFIX = "identity:"
#: The leaves that say what an identity is; its type and category may change without making it another one.
CONTENT_PATHS = ("username", "password", "sshIdentity")


@dataclass(frozen=True)
class PreviousIdentity:
    """An identity the ledger owns, or one an open journal row may have written."""

    key: str
    name: str
    #: field digests as last applied, and as sent by an open write (either may be what XPipe holds)
    contents: tuple[dict[str, str], ...] = ()
    #: source keys of the entries that referenced it when they were last applied
    members: frozenset[str] = frozenset()
    #: other names it may have in XPipe: an open write's (a rename whose answer was lost)
    aliases: tuple[str, ...] = ()


@dataclass
class IdentityHistory:
    """What earlier runs left: the identities, and how to digest desired data like the ledger does."""

    previous: list[PreviousIdentity] = field(default_factory=list)
    content: Callable[[dict], dict[str, str]] = lambda data: {}


@dataclass
class IdentityGroup:
    """Connections that share one credential; ``key`` and ``name`` are filled in by ``settle_names``."""

    members: list[str]
    base: str
    data: dict
    key: str = ""
    name: str = ""
    previous: PreviousIdentity | None = None


def family_number(name_k: str, base_k: str) -> int | None:
    """0 for the base name itself, ``n`` for ``base #n``, None for any other name (all as ``name_key``)."""
    if name_k == base_k:
        return 0
    prefix = base_k + " #"
    rest = name_k[len(prefix) :] if name_k.startswith(prefix) else ""
    if rest.isascii() and rest.isdigit() and not rest.startswith("0"):
        return int(rest)
    return None


def _series(keys: set[str]) -> dict[str, set[int]]:
    """Base -> the numbers of ``keys`` in its series (0: the base itself), in one pass over ``keys``."""
    out: dict[str, set[int]] = {}
    for key in keys:
        out.setdefault(key, set()).add(0)
        stem, sep, number = key.rpartition(" #")
        if sep and family_number(key, stem):
            out.setdefault(stem, set()).add(int(number))
    return out


def _content(digests: dict[str, str]) -> tuple | None:
    if any(p not in digests for p in CONTENT_PATHS):
        return None
    return tuple(digests[p] for p in CONTENT_PATHS)


def settle_names(groups: list[IdentityGroup], taken: set[str], history: IdentityHistory | None = None) -> None:
    """Give every group (in first-appearance order) its key and name; ``taken`` holds the ``name_key``
    of every other desired name (the hosts) and receives the identities' names."""
    previous = list(history.previous) if history else []
    by_content: dict[tuple, list[PreviousIdentity]] = {}
    for prev in previous:
        for content in {_content(digests) for digests in prev.contents} - {None}:
            by_content.setdefault(content, []).append(prev)
    claimed: set[str] = set()

    # 1. the same credential: the identity that holds it
    for group in groups if previous else []:
        content = _content(history.content(group.data))
        candidates = [p for p in by_content.get(content, []) if p.key not in claimed] if content else []
        if candidates:
            base_k, members = name_key(group.base), set(group.members)
            candidates.sort(
                key=lambda p: (family_number(name_key(p.name), base_k) is None, -len(p.members & members), p.key)
            )
            group.previous = candidates[0]
            claimed.add(group.previous.key)

    # 2. a changed credential: the unclaimed identity of that base name its connections used
    used_by = {member: prev for prev in previous for member in prev.members}  # one identity per entry
    pairs = []
    for index, group in enumerate(groups):
        if group.previous is not None:
            continue
        base_k = name_key(group.base)
        overlaps = Counter(used_by[m].key for m in group.members if m in used_by)
        for prev in {used_by[m].key: used_by[m] for m in group.members if m in used_by}.values():
            if prev.key not in claimed and family_number(name_key(prev.name), base_k) is not None:
                pairs.append((-overlaps[prev.key], index, prev.key, prev))
    for _, index, _, prev in sorted(pairs, key=lambda p: p[:3]):
        group = groups[index]
        if group.previous is None and prev.key not in claimed:
            group.previous = prev
            claimed.add(prev.key)

    # names in use: the hosts, every previous identity (still in XPipe until pruned) and every key's name
    reserved = set(taken)
    for prev in previous:
        reserved |= {name_key(n) for n in (prev.name, *prev.aliases)}
        if prev.key.startswith(KEY_PREFIX):
            reserved.add(name_key(prev.key[len(KEY_PREFIX) :]))
    kept: set[str] = set()
    for group in groups:
        prev = group.previous
        if prev is None:
            continue
        group.key = prev.key
        for name in (prev.name, *prev.aliases):  # an alias: the name a rename whose answer was lost sent
            name_k = name_key(name)
            if family_number(name_k, name_key(group.base)) is not None and name_k not in taken and name_k not in kept:
                group.name = name
                kept.add(name_k)
                break

    # 3. new names: the base, else the smallest free "#n"
    fresh: dict[str, list[IdentityGroup]] = {}
    for group in groups:
        if not group.name:
            fresh.setdefault(name_key(group.base), []).append(group)
    series = _series(reserved | kept)
    for base_k, members in fresh.items():
        used = series.setdefault(base_k, set())
        n = 0 if not used and len(members) == 1 else 2 if 0 in used else 1
        for group in members:
            while n in used:
                n += 1
            group.name = group.base if n == 0 else f"{group.base} #{n}"
            for base_of, number in _series({name_key(group.name)}).items():
                series.setdefault(base_of, set()).update(number)
            if not group.key:
                group.key = KEY_PREFIX + group.name
    taken |= {name_key(g.name) for g in groups}
