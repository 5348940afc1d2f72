"""``xpipe-migrate audit``: a read-only report for the dry runs before and after a migration.

It plans (never applies) and adds what a plan does not show: owned entries the sources no longer
have, the vault's health (references that read null, names XPipe's upsert would confuse, owned
entries XPipe hides from queries as incomplete) and, with ``--probe``, whether each host answers.
"""

from __future__ import annotations

from collections import defaultdict

from migrator.names import name_key, shown_key
from migrator.plan.live import LiveVault
from migrator.plan.plan import Plan
from migrator.report.document import change_dict, diagnostic_dict
from migrator.sync.ledger import Ledger
from migrator.xpipe.constants import LOCAL_MACHINE

AUDIT_SCHEMA = "xpipe-migrate/audit"


def vault_health(live: LiveVault, ledger: Ledger | None) -> dict:
    null_refs = []
    for e in sorted(live.entries.values(), key=lambda e: (e.category, e.name)):
        if e.type != "ssh":
            continue
        if "gateway" in e.raw and e.raw.get("gateway") is None:
            null_refs.append({"name": e.name, "uuid": e.uuid, "category": "/".join(e.category), "field": "gateway"})
        identity = e.raw.get("identity")
        if identity is None or (
            isinstance(identity, dict) and identity.get("type") == "ref" and not identity.get("ref")
        ):
            null_refs.append({"name": e.name, "uuid": e.uuid, "category": "/".join(e.category), "field": "identity"})
    groups: dict[str, list] = defaultdict(list)
    for e in live.entries.values():
        groups[shown_key(e.name)].append(e)
    real = {r.uuid: r.name for r in ledger.entries().values()} if ledger is not None else {}
    duplicates = []
    for _, entries in sorted(groups.items()):
        known = [real[e.uuid] for e in entries if e.uuid in real]
        if len(known) == len(entries) and len({name_key(n) for n in known}) == len(known):
            continue  # shown alike ('a/b', 'a_b'), but the ledger knows the real names and XPipe tells them apart
        name = entries[0].name
        if len(entries) > 1:
            types = sorted({e.type for e in entries})
            duplicates.append(
                {
                    "name": name,
                    "count": len(entries),
                    "types": types,
                    "risk": "XPipe's add would update an arbitrary one of them"
                    if len(types) < len(entries)
                    else "XPipe's add matches names across types and may create duplicates",
                    "entries": [{"uuid": e.uuid, "type": e.type, "category": "/".join(e.category)} for e in entries],
                }
            )
    hidden = []
    if ledger is not None:
        for row in sorted(ledger.entries().values(), key=lambda r: r.name):
            if row.uuid not in live.entries:
                hidden.append(
                    {
                        "name": row.name,
                        "uuid": row.uuid,
                        "type": row.type,
                        "category": row.category,
                        "reason": "owned by this job but not returned by XPipe's query: deleted, or hidden "
                        "because it is incomplete (e.g. its gateway or identity was removed)",
                    }
                )
    return {"null_references": null_refs, "duplicate_names": duplicates, "hidden_owned": hidden}


def probe_targets(plan: Plan):
    from migrator.audit.probe import ProbeTarget

    names = {c.key: c.name for c in plan.entries()}
    targets = []
    for c in plan.entries():
        if c.kind not in ("host", "hop") or c.entry is None:
            continue
        gateway = c.entry.data.get("gateway")
        via = None if gateway == LOCAL_MACHINE else names.get(getattr(gateway, "key", None), "a gateway")
        targets.append(ProbeTarget(name=c.name, host=c.entry.data["host"], port=c.entry.data["port"], via=via))
    return targets


def audit_document(plan: Plan, live: LiveVault, ledger: Ledger | None, probe_results=None) -> dict:
    wanted = {c.key for c in plan.entries()} | {h["key"] for h in plan.held}  # held: present, not missing
    missing = []
    if ledger is not None:
        for row in sorted(ledger.entries().values(), key=lambda r: r.name):
            if row.key not in wanted:
                missing.append(
                    {
                        "name": row.name,
                        "type": row.type,
                        "category": row.category,
                        "uuid": row.uuid,
                        "quarantined_at": row.quarantined_at,
                        "in_vault": row.uuid in live.entries,
                    }
                )
    else:
        root = tuple(s.lower() for s in plan.root_category.split("/"))
        desired_names = {shown_key(c.name) for c in plan.entries()}
        for e in sorted(live.entries.values(), key=lambda e: e.name):
            if e.type == "ssh" and e.category[: len(root)] == root and shown_key(e.name) not in desired_names:
                missing.append(
                    {
                        "name": e.name,
                        "type": e.type,
                        "category": "/".join(e.category),
                        "uuid": e.uuid,
                        "quarantined_at": None,
                        "in_vault": True,
                    }
                )
    drift = [change_dict(c) for c in plan.changes if c.drift]
    pending = [change_dict(c) for c in plan.changes if c.writes and c.kind != "category"]
    health = vault_health(live, ledger)
    probes = [dict(vars(r)) for r in probe_results] if probe_results is not None else None
    unreachable = sum(1 for r in probe_results or [] if r.status not in ("ok", "skipped"))
    summary = {
        "hosts_read": plan.hosts_read,
        "entries": len(plan.entries()),
        "pending_changes": len(pending),
        "drift": len(drift),
        "missing_from_sources": len(missing),
        "null_references": len(health["null_references"]),
        "duplicate_names": len(health["duplicate_names"]),
        "hidden_owned": len(health["hidden_owned"]),
        "conflicts": sum(1 for c in plan.changes if c.action == "conflict"),
        "probed": len(probes) if probes is not None else None,
        "unreachable": unreachable,
    }
    return {
        "schema": AUDIT_SCHEMA,
        "version": 1,
        "target": plan.target,
        "xpipe_version": plan.xpipe_version,
        "root_category": plan.root_category,
        "summary": summary,
        "pending": pending,
        "drift": drift,
        "missing_from_sources": missing,
        "health": health,
        "probe": probes,
        "diagnostics": [diagnostic_dict(d) for d in plan.diagnostics],
    }


def has_findings(doc: dict) -> bool:
    s = doc["summary"]
    return any(
        s[k]
        for k in (
            "pending_changes",
            "drift",
            "missing_from_sources",
            "null_references",
            "duplicate_names",
            "hidden_owned",
            "conflicts",
            "unreachable",
        )
    )
