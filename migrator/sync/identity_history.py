"""The shared identities a ledger knows, as the mapper needs them to keep their keys and names.

Read from the ledger only (no vault access, so plans, dry runs and audits see the same): every owned
identity with the digests of its fields as last applied, the source keys of the entries that
referenced it then (their ``identity.ref`` digest is the digest of its UUID), and every identity an
open journal row may have written, with what that write sent (issue 16: an add whose answer was lost
keeps its name and key, so the next run's reconcile finds it under them).
"""

from __future__ import annotations

from collections import defaultdict

from migrator.mapper.identity_names import CONTENT_PATHS, IdentityHistory, PreviousIdentity
from migrator.plan.compare import desired_leaves
from migrator.sync.ledger import Ledger, LedgerEntry

#: Store types of the identities the mapper makes (a journal row of an older schema names only its type).
MAPPED_IDENTITY_TYPES = ("localIdentity", "syncedIdentity")


def identity_history(ledger: Ledger, rows: dict[str, LedgerEntry] | None = None) -> IdentityHistory:
    """``rows``: ``ledger.entries()`` when the caller read them already (the planner reads them too)."""
    rows = ledger.entries() if rows is None else rows
    names: dict[str, str] = {}
    aliases: dict[str, set[str]] = defaultdict(set)
    contents: dict[str, list[dict]] = defaultdict(list)
    for key, row in rows.items():
        if row.kind == "identity":
            names[key] = row.name
            contents[key].append(row.fields)
    by_ref = {ledger.digest(rows[key].uuid): key for key in names}
    members: dict[str, set[str]] = defaultdict(set)
    for key, row in rows.items():
        holder = by_ref.get(row.fields.get("identity.ref")) if row.kind != "identity" else None
        if holder is not None:
            members[holder].add(key)
    for open_row in ledger.open_rows():
        record = (open_row.effect or {}).get("record") or {}
        is_identity = record.get("kind") == "identity" if record else open_row.type in MAPPED_IDENTITY_TYPES
        if open_row.op != "add" or not is_identity:
            continue
        if names.setdefault(open_row.key, open_row.name) != open_row.name:
            aliases[open_row.key].add(open_row.name)
        if record.get("fields"):
            contents[open_row.key].append(record["fields"])

    def content(data: dict) -> dict[str, str]:
        leaves = desired_leaves(data, lambda _key: None)
        return {path: ledger.digest(leaves[path]) for path in CONTENT_PATHS if path in leaves}

    previous = [
        PreviousIdentity(
            key, name, tuple(contents.get(key, ())), frozenset(members.get(key, ())), tuple(sorted(aliases[key]))
        )
        for key, name in sorted(names.items())
    ]
    return IdentityHistory(previous=previous, content=content)
