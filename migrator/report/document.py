"""The report documents: one plain-JSON dictionary per kind (plan, inventory; audit in ``migrator.audit``).

Every renderer (table, JSON, Markdown, HTML) works from these dictionaries only, so the formats
cannot disagree, and none of them can show a secret: changes carry only redacted placeholders and
digests, credentials only ``<redacted>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from migrator.model import Diagnostic, Host
from migrator.redact import COMMAND_OPTIONS, show_command

if TYPE_CHECKING:  # inspect renders inventories without loading the planner and the loader
    from migrator.apply.loader import ApplyResult
    from migrator.plan.plan import Change, Plan

PLAN_SCHEMA = "xpipe-migrate/plan"
PLAN_SCHEMA_VERSION = 1
INSPECT_SCHEMA = "xpipe-migrate/inventory"

#: The one table of action symbols every format shows.
ACTION_SYMBOLS = {
    "create": "+",
    "update": "~",
    "recreate": "±",
    "unchanged": "=",
    "conflict": "!",
    "quarantine": "⊘",
    "delete": "-",
}
UNKNOWN_SYMBOL = "•"


def diagnostic_dict(d: Diagnostic) -> dict:
    return {
        "level": d.level,
        "code": d.code,
        "message": d.message,
        "file": d.file,
        "line": d.line,
        "field": d.field,
        "entry": d.entry,
    }


def _value(v):
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


def change_dict(c: Change) -> dict:
    return {
        "action": c.action,
        "kind": c.kind,
        "name": c.name,
        "category": c.category,
        "key": c.key,
        "uuid": c.uuid,
        "source": c.source,
        "reason": c.reason,
        "fields": [
            {"path": f.path, "old": _value(f.old), "new": _value(f.new), "drift": f.drift, "kept": f.kept}
            for f in c.fields
        ],
    }


def not_imported(diagnostics) -> int:
    """Source entries an error kept out of the vault (each counted once, whatever the number of errors)."""
    return len({(d.file, d.entry or d.line) for d in diagnostics if d.level == "error"})


def plan_document(plan: Plan, result: ApplyResult | None = None) -> dict:
    counts = plan.counts()
    diagnostics = list(dict.fromkeys(plan.diagnostics))
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
            "diagnostics": len(diagnostics),
            "not_imported": not_imported(diagnostics),
            "owned": plan.owned,
            "plan_requests": plan.requests,
            "plan_seconds": round(plan.seconds, 3),
        },
        "fingerprints": dict(plan.fingerprints),
        "identities": dict(plan.identities),
        "changes": [change_dict(c) for c in plan.changes],
        "held": [dict(h) for h in plan.held],
        "diagnostics": [diagnostic_dict(d) for d in diagnostics],
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
            "failures": [
                {"name": o.change.name, "kind": o.change.kind, "error": o.error}
                for o in result.outcomes
                if o.status == "failed"
            ],
            "problems": list(result.problems),
        }
    return doc


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
        "ssh_options": [[k, show_command(v) if k.lower() in COMMAND_OPTIONS else v] for k, v in h.ssh_options],
        "proxy_command": show_command(h.proxy_command) if h.proxy_command else None,
        "tags": list(h.tags),
        "description": h.description,
        "source": {
            "format": h.source.format,
            "file": h.source.file,
            "line": h.source.line,
            "section": h.source.section,
        },
    }


def inventory_document(hosts: Iterable[Host], diagnostics: Iterable[Diagnostic], *, lazy: bool = False) -> dict:
    """The ``inspect`` document. ``lazy``: hosts and diagnostics are iterators that build each entry as it
    is read, for the streaming JSON writer (``jsondoc.write``), which never holds them all."""
    host_dicts = map(host_dict, hosts)
    diagnostic_dicts = map(diagnostic_dict, dict.fromkeys(diagnostics))
    return {
        "schema": INSPECT_SCHEMA,
        "version": 1,
        "hosts": host_dicts if lazy else list(host_dicts),
        "diagnostics": diagnostic_dicts if lazy else list(diagnostic_dicts),
    }
