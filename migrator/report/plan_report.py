"""Renderings of one Plan (and the result of applying it): terminal table, JSON, Markdown.

Every rendering is built from the same dictionaries (``plan_document``), so they cannot disagree,
and none of them can show a secret: changes carry only redacted placeholders and digests.
"""

from __future__ import annotations

import json

from migrator.apply.loader import ApplyResult
from migrator.model import Diagnostic, Host
from migrator.plan.plan import Change, Plan

PLAN_SCHEMA = "xpipe-migrate/plan"
PLAN_SCHEMA_VERSION = 1
INSPECT_SCHEMA = "xpipe-migrate/inventory"

_SYMBOL = {"create": "+", "update": "~", "recreate": "±", "unchanged": "=", "conflict": "!", "quarantine": "⊘",
           "delete": "-"}


def diagnostic_dict(d: Diagnostic) -> dict:
    return {"level": d.level, "code": d.code, "message": d.message, "file": d.file, "line": d.line,
            "field": d.field, "entry": d.entry}


def _value(v):
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


def change_dict(c: Change) -> dict:
    return {
        "action": c.action, "kind": c.kind, "name": c.name, "category": c.category, "key": c.key,
        "uuid": c.uuid, "source": c.source, "reason": c.reason,
        "fields": [{"path": f.path, "old": _value(f.old), "new": _value(f.new), "drift": f.drift, "kept": f.kept}
                   for f in c.fields],
    }


def plan_document(plan: Plan, result: ApplyResult | None = None) -> dict:
    counts = plan.counts()
    doc = {
        "schema": PLAN_SCHEMA,
        "version": PLAN_SCHEMA_VERSION,
        "target": plan.target,
        "xpipe_version": plan.xpipe_version,
        "dialect": plan.dialect,
        "root_category": plan.root_category,
        "summary": {
            **counts,
            "hosts_read": plan.hosts_read,
            "entries": len(plan.entries()),
            "diagnostics": len(plan.diagnostics),
            "owned": plan.owned,
            "plan_requests": plan.requests,
            "plan_seconds": round(plan.seconds, 3),
        },
        "fingerprints": dict(plan.fingerprints),
        "identities": dict(plan.identities),
        "changes": [change_dict(c) for c in plan.changes],
        "diagnostics": [diagnostic_dict(d) for d in plan.diagnostics],
        "held": [dict(h) for h in plan.held],
        "apply": None,
    }
    if result is not None:
        written = sum(1 for o in result.outcomes if o.change.kind != "category")
        doc["apply"] = {
            **result.counts(),
            "requests": result.requests,
            "write_requests": result.writes,
            "encrypt_requests": result.encrypted,
            "seconds": round(result.seconds, 3),
            "entries_per_second": round(written / result.seconds, 1) if result.seconds else None,
            "failures": [{"name": o.change.name, "kind": o.change.kind, "error": o.error}
                         for o in result.outcomes if o.status == "failed"],
            "problems": list(result.problems),
        }
    return doc


def render_json(plan: Plan, result: ApplyResult | None = None) -> str:
    return json.dumps(plan_document(plan, result), indent=2, ensure_ascii=False)


def _field_text(f: dict) -> str:
    text = f"{f['path']}: {f['old']} -> {f['new']}"
    if f.get("drift"):
        text = (f"{f['path']}: changed in XPipe to {f['old']}, source says {f['new']} (drift, kept)" if f.get("kept")
                else f"{f['path']}: changed in XPipe to {f['old']}, reset to {f['new']} (drift, --force)")
    return text


def _detail(c: dict) -> str:
    parts = [_field_text(f) for f in c["fields"]]
    if c["reason"]:
        parts.insert(0, c["reason"])
    return "; ".join(parts)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    widths[-1] = min(widths[-1], 100)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    for r in rows:
        lines.append(fmt.format(*[str(x) for x in r]).rstrip())
    return "\n".join(lines)


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    line = (f"plan: {s['create']} to create, {s['update']} to update, {s['recreate']} to re-create, "
            f"{s['unchanged']} unchanged, {s['conflict']} conflicts")
    if s.get("quarantine") or s.get("delete"):
        line += f", {s['quarantine']} to quarantine, {s['delete']} to delete"
    if s.get("drift"):
        line += f", {s['drift']} with drift"
    line += f" ({s['plan_requests']} requests, {s['plan_seconds']:.2f} s)"
    ids = doc.get("identities") or {}
    if ids.get("shared"):
        line += (f"\nidentities: {ids['shared']} shared identities used by {ids['refs']} connections "
                 f"({ids['secrets_saved']} in-place credentials saved), {ids['inplace']} in-place, "
                 f"{ids['existing']} referencing existing XPipe identities")
    a = doc["apply"]
    if a:
        rate = f", {a['entries_per_second']} entries/s" if a["entries_per_second"] else ""
        pruned = f"{a['quarantined']} quarantined, {a['deleted']} deleted, " if a["quarantined"] or a["deleted"] else ""
        line += (f"\napplied: {a['created']} created, {a['updated']} updated, {a['recreated']} re-created, {pruned}"
                 f"{a['unchanged']} unchanged, {a['skipped']} skipped, {a['failed']} failed "
                 f"({a['requests']} requests, {a['write_requests']} writes, {a['encrypt_requests']} encrypted, "
                 f"{a['seconds']:.2f} s{rate})")
    return line


def render_table(plan: Plan, result: ApplyResult | None = None, *, show_unchanged: bool = False) -> str:
    doc = plan_document(plan, result)
    rows = [
        [_SYMBOL[c["action"]] + " " + c["action"], c["kind"], c["name"], c["category"], _detail(c)]
        for c in doc["changes"]
        if show_unchanged or c["action"] != "unchanged" or any(f.get("drift") for f in c["fields"])
    ]
    out = []
    if rows:
        out.append(_table(rows, ["action", "kind", "name", "category", "details"]))
    else:
        out.append("No changes: the vault already matches the sources.")
    if doc["diagnostics"]:
        out.append("")
        out.append(f"{len(doc['diagnostics'])} diagnostics:")
        out.extend("  " + str(d) for d in plan.diagnostics)
    if doc["apply"] and doc["apply"]["failures"]:
        out.append("")
        out.append("failures:")
        out.extend(f"  {f['name']} ({f['kind']}): {f['error']}" for f in doc["apply"]["failures"])
    out.append("")
    out.append(summary_line(doc))
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan, result: ApplyResult | None = None) -> str:
    doc = plan_document(plan, result)
    s = doc["summary"]
    lines = [
        f"### xpipe-migrate plan for XPipe {doc['xpipe_version']} ({doc['target']})",
        "",
        "| create | update | re-create | quarantine | delete | unchanged | conflicts | drift | diagnostics |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['create']} | {s['update']} | {s['recreate']} | {s['quarantine']} | {s['delete']} | {s['unchanged']} "
        f"| {s['conflict']} | {s['drift']} | {s['diagnostics']} |",
        "",
    ]
    changed = [c for c in doc["changes"] if c["action"] != "unchanged" or any(f.get("drift") for f in c["fields"])]
    if changed:
        lines += ["| | action | kind | name | category | details |", "|---|---|---|---|---|---|"]
        for c in changed:
            lines.append(f"| {_SYMBOL[c['action']]} | {c['action']} | {c['kind']} | {_md_escape(c['name'])} | "
                         f"{_md_escape(c['category'])} | {_md_escape(_detail(c))} |")
    else:
        lines.append("No changes: the vault already matches the sources.")
    if doc["diagnostics"]:
        lines += ["", "<details><summary>" + f"{len(doc['diagnostics'])} diagnostics</summary>", ""]
        lines += ["| level | where | message |", "|---|---|---|"]
        for d in plan.diagnostics:
            lines.append(f"| {d.level} | {_md_escape(d.location())} | {_md_escape(d.message)} |")
        lines += ["", "</details>"]
    if doc["apply"]:
        lines += ["", summary_line(doc).splitlines()[-1]]
    return "\n".join(lines) + "\n"


def render_html(plan: Plan, result: ApplyResult | None = None) -> str:
    from migrator.report.html import render_html as html

    return html(plan, result)


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown, "html": render_html}


# -- inventory (inspect) ---------------------------------------------------------------------


def host_dict(h: Host) -> dict:
    c = h.credentials
    return {
        "key": h.key,
        "name": h.name,
        "host": h.address,
        "port": h.port,
        "user": h.user,
        "category": list(h.category),
        "identity_files": list(c.key_files),
        "certificate_files": list(c.certificate_files),
        "proxy_jump": [{"host": j.host, "port": j.port, "user": j.user, "ref": j.ref} for j in h.jump],
        "auth": {
            "password": "<redacted>" if c.password is not None else None,
            "password_prompt": c.password_prompt,
            "password_manager_ref": c.password_manager_ref,
            "key_passphrase": "<redacted>" if c.key_passphrase is not None else None,
            "identities_only": c.identities_only,
            "identity_agent": c.identity_agent,
            "agent": c.agent,
        },
        "ssh_options": [[k, v] for k, v in h.ssh_options],
        "proxy_command": h.proxy_command,
        "tags": list(h.tags),
        "description": h.description,
        "source": {"format": h.source.format, "file": h.source.file, "line": h.source.line,
                   "section": h.source.section},
    }


def inventory_document(hosts: list[Host], diagnostics: list[Diagnostic]) -> dict:
    return {"schema": INSPECT_SCHEMA, "version": 1, "hosts": [host_dict(h) for h in hosts],
            "diagnostics": [diagnostic_dict(d) for d in diagnostics]}


def render_inventory_table(hosts: list[Host], diagnostics: list[Diagnostic]) -> str:
    rows = []
    for h in hosts:
        jump = " > ".join(j.ref or j.label() for j in h.jump)
        auth = []
        if h.credentials.password is not None:
            auth.append("password")
        if h.credentials.key_files:
            auth.append("key")
        if h.credentials.agent:
            auth.append(h.credentials.agent)
        rows.append([h.name, h.address, h.port, h.user or "", "/".join(h.category), jump, ",".join(auth),
                     str(h.source)])
    out = [_table(rows, ["name", "host", "port", "user", "category", "jump", "auth", "source"])
           if rows else "No hosts."]
    if diagnostics:
        out += ["", f"{len(diagnostics)} diagnostics:"] + ["  " + str(d) for d in diagnostics]
    out += ["", f"{len(hosts)} hosts, {sum(1 for d in diagnostics if d.level == 'error')} errors, "
                f"{sum(1 for d in diagnostics if d.level == 'warning')} warnings"]
    return "\n".join(out)

