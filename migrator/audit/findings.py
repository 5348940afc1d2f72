"""``xpipe-migrate audit``: a read-only report for the dry runs before and after a migration.

It plans (never applies) and adds what a plan does not show: owned entries the sources no longer
have, the vault's health (references that read null, names XPipe's upsert would confuse, owned
entries XPipe hides from queries as incomplete) and, with ``--probe``, whether each host answers.
"""

from __future__ import annotations

import json
from collections import defaultdict

from migrator.plan.live import LiveVault
from migrator.plan.plan import Plan
from migrator.report.plan_report import change_dict, diagnostic_dict
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
        if identity is None or (isinstance(identity, dict) and identity.get("type") == "ref"
                                and not identity.get("ref")):
            null_refs.append({"name": e.name, "uuid": e.uuid, "category": "/".join(e.category), "field": "identity"})
    groups: dict[str, list] = defaultdict(list)
    for e in live.entries.values():
        groups[e.name].append(e)
    duplicates = []
    for name, entries in sorted(groups.items()):
        if len(entries) > 1:
            types = sorted({e.type for e in entries})
            duplicates.append({
                "name": name, "count": len(entries), "types": types,
                "risk": "XPipe's add would update an arbitrary one of them" if len(types) < len(entries)
                else "XPipe's add matches names across types and may create duplicates",
                "entries": [{"uuid": e.uuid, "type": e.type, "category": "/".join(e.category)} for e in entries],
            })
    hidden = []
    if ledger is not None:
        for row in sorted(ledger.entries().values(), key=lambda r: r.name):
            if row.uuid not in live.entries:
                hidden.append({"name": row.name, "uuid": row.uuid, "type": row.type, "category": row.category,
                               "reason": "owned by this job but not returned by XPipe's query: deleted, or hidden "
                                         "because it is incomplete (e.g. its gateway or identity was removed)"})
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
                missing.append({"name": row.name, "type": row.type, "category": row.category, "uuid": row.uuid,
                                "quarantined_at": row.quarantined_at, "in_vault": row.uuid in live.entries})
    else:
        root = tuple(s.lower() for s in plan.root_category.split("/"))
        desired_names = {c.name.lower() for c in plan.entries()}
        for e in sorted(live.entries.values(), key=lambda e: e.name):
            if e.type == "ssh" and e.category[:len(root)] == root and e.name not in desired_names:
                missing.append({"name": e.name, "type": e.type, "category": "/".join(e.category), "uuid": e.uuid,
                                "quarantined_at": None, "in_vault": True})
    drift = [change_dict(c) for c in plan.changes if c.drift]
    pending = [change_dict(c) for c in plan.changes if c.writes and c.kind != "category"]
    health = vault_health(live, ledger)
    probes = [dict(vars(r)) for r in probe_results] if probe_results is not None else None
    unreachable = sum(1 for r in probe_results or [] if r.status not in ("ok", "skipped"))
    summary = {
        "hosts_read": plan.hosts_read, "entries": len(plan.entries()), "pending_changes": len(pending),
        "drift": len(drift), "missing_from_sources": len(missing),
        "null_references": len(health["null_references"]), "duplicate_names": len(health["duplicate_names"]),
        "hidden_owned": len(health["hidden_owned"]), "conflicts": sum(1 for c in plan.changes
                                                                      if c.action == "conflict"),
        "probed": len(probes) if probes is not None else None, "unreachable": unreachable,
    }
    return {
        "schema": AUDIT_SCHEMA, "version": 1, "target": plan.target, "xpipe_version": plan.xpipe_version,
        "root_category": plan.root_category, "summary": summary, "pending": pending, "drift": drift,
        "missing_from_sources": missing, "health": health, "probe": probes,
        "diagnostics": [diagnostic_dict(d) for d in plan.diagnostics],
    }


def has_findings(doc: dict) -> bool:
    s = doc["summary"]
    return any(s[k] for k in ("pending_changes", "drift", "missing_from_sources", "null_references",
                              "duplicate_names", "hidden_owned", "conflicts", "unreachable"))


def render_audit_table(doc: dict) -> str:
    s = doc["summary"]
    out = [f"audit of {doc['target']} (XPipe {doc['xpipe_version']}), root category '{doc['root_category']}'"]
    out.append("  " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in s.items() if v is not None))
    for title, rows, fmt in (
        ("pending changes", doc["pending"], lambda c: f"{c['action']} {c['kind']} {c['name']}"),
        ("drift (changed in XPipe since the last sync)", doc["drift"],
         lambda c: f"{c['name']}: " + ", ".join(f["path"] for f in c["fields"] if f.get("drift"))),
        ("owned entries missing from the sources", doc["missing_from_sources"],
         lambda m: f"{m['name']} ({m['category']})" + ("" if m["in_vault"] else " [gone from XPipe]")),
        ("references that read null", doc["health"]["null_references"],
         lambda r: f"{r['name']} ({r['category']}): {r['field']} is null"),
        ("names XPipe's upsert would confuse", doc["health"]["duplicate_names"],
         lambda d: f"{d['name']}: {d['count']} entries ({', '.join(d['types'])}); {d['risk']}"),
        ("owned entries hidden from queries", doc["health"]["hidden_owned"], lambda h: f"{h['name']}: {h['reason']}"),
    ):
        if rows:
            out += ["", f"{title} ({len(rows)}):"] + ["  " + fmt(r) for r in rows]
    if doc["probe"] is not None:
        out += ["", f"reachability ({len(doc['probe'])} hosts):"]
        for r in doc["probe"]:
            detail = " ".join(str(x) for x in (r.get("banner"), r.get("host_key_type"),
                                               r.get("host_key_fingerprint")) if x)
            out.append(f"  {r['status']:<9} {r['name']} {r['host']}:{r['port']} {detail or r.get('message') or ''}")
    if doc["diagnostics"]:
        out += ["", f"{len(doc['diagnostics'])} diagnostics (see --format json)"]
    return "\n".join(out)


def render_audit_markdown(doc: dict) -> str:
    s = doc["summary"]
    lines = [f"### xpipe-migrate audit of XPipe {doc['xpipe_version']} ({doc['target']})", "",
             "| " + " | ".join(k.replace("_", " ") for k in s) + " |", "|" + "---:|" * len(s),
             "| " + " | ".join("-" if v is None else str(v) for v in s.values()) + " |"]
    table = render_audit_table(doc).splitlines()[2:]
    if table:
        lines += ["", "```", *table, "```"]
    return "\n".join(lines) + "\n"


def render_audit(doc: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return render_audit_markdown(doc)
    if fmt == "html":
        from migrator.report.html import render_html_document

        return render_html_document(doc)
    return render_audit_table(doc)
