"""The terminal table: what a person reads after ``plan``, ``apply``, ``sync``, ``audit`` and ``inspect``."""

from __future__ import annotations

from collections import Counter

from migrator.escape import console, console_strings
from migrator.model import Diagnostic
from migrator.report.base import Renderer, diagnostics_of
from migrator.report.document import ACTION_SYMBOLS, UNKNOWN_SYMBOL

_DETAIL_WIDTH = 100
#: How many diagnostics of one code the grouped summary shows before "and N more".
SHOWN_PER_CODE = 3
_LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}
_ANSI = {
    "create": "32",
    "update": "33",
    "recreate": "35",
    "conflict": "31",
    "delete": "31",
    "quarantine": "33",
    "error": "31",
    "warning": "33",
    "info": "36",
}


def paint(text: str, key: str, color: bool) -> str:
    """``text`` in the colour for ``key`` (an action or a level) when colour is on."""
    code = _ANSI.get(key)
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def diagnostics_block(diagnostics: list[Diagnostic], *, verbose: bool = False, color: bool = False) -> list[str]:
    """Errors first; grouped by level and code with the first few of each, or every one with ``verbose``."""
    if not diagnostics:
        return []
    ordered = sorted(diagnostics, key=lambda d: (_LEVEL_ORDER.get(d.level, 3), d.code))
    levels = Counter(d.level for d in diagnostics)
    head = ", ".join(
        paint(f"{levels[lv]} {lv}{'s' if levels[lv] != 1 else ''}", lv, color)
        for lv in sorted(levels, key=lambda lv: _LEVEL_ORDER.get(lv, 3))
    )
    out = ["", f"{len(diagnostics)} diagnostics ({head}):"]
    if verbose:
        return out + ["  " + paint(str(d), d.level, color) for d in ordered]
    by_code: dict[tuple[str, str], list[Diagnostic]] = {}
    for d in ordered:
        by_code.setdefault((d.level, d.code), []).append(d)
    for (level, code), items in by_code.items():
        out.append(f"  {paint(level, level, color)} {console(code)} ({len(items)}):")
        out += ["    " + _short(d) for d in items[:SHOWN_PER_CODE]]
        if len(items) > SHOWN_PER_CODE:
            out.append(
                f"    ... and {len(items) - SHOWN_PER_CODE} more (-v shows all; so do the JSON and HTML reports)"
            )
    return out


#: The grouped summary keeps each line to this width; -v and the reports show the whole message.
SUMMARY_LINE_WIDTH = 150


def _short(d: Diagnostic) -> str:
    loc = d.location()
    text = console(f"{loc + ': ' if loc else ''}{d.message}")
    return text if len(text) <= SUMMARY_LINE_WIDTH else text[: SUMMARY_LINE_WIDTH - 1] + "…"


def field_text(f: dict) -> str:
    text = f"{f['path']}: {f['old']} -> {f['new']}"
    if f.get("drift"):
        text = (
            f"{f['path']}: changed in XPipe to {f['old']}, source says {f['new']} (drift, kept)"
            if f.get("kept")
            else f"{f['path']}: changed in XPipe to {f['old']}, reset to {f['new']} (drift, --force)"
        )
    return text


def change_detail(c: dict) -> str:
    parts = [field_text(f) for f in c["fields"]]
    if c["reason"]:
        parts.insert(0, c["reason"])
    return "; ".join(parts)


def shown_changes(doc: dict, show_unchanged: bool = False) -> list[dict]:
    return [
        c
        for c in doc["changes"]
        if show_unchanged or c["action"] != "unchanged" or any(f.get("drift") for f in c["fields"])
    ]


def text_table(rows: list[list[str]], header: list[str]) -> str:
    rows = [[console(x) for x in r] for r in rows]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    widths[-1] = min(widths[-1], _DETAIL_WIDTH)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    for r in rows:
        lines.append(fmt.format(*[str(x) for x in r]).rstrip())
    return "\n".join(lines)


def summary_line(doc: dict) -> str:
    doc = console_strings(doc)
    s = doc["summary"]
    line = (
        f"plan: {s['create']} to create, {s['update']} to update, {s['recreate']} to re-create, "
        f"{s['unchanged']} unchanged, {s['conflict']} conflicts"
    )
    if s.get("quarantine") or s.get("delete"):
        line += f", {s['quarantine']} to quarantine, {s['delete']} to delete"
    if s.get("drift"):
        line += f", {s['drift']} with drift"
    if s.get("not_imported"):
        line += f", {s['not_imported']} source entries not imported (errors above)"
    line += f" ({s['plan_requests']} requests, {s['plan_seconds']:.2f} s)"
    ids = doc.get("identities") or {}
    if ids.get("shared"):
        line += (
            f"\nidentities: {ids['shared']} shared identities used by {ids['refs']} connections "
            f"({ids['secrets_saved']} in-place credentials saved), {ids['inplace']} in-place, "
            f"{ids['existing']} referencing existing XPipe identities"
        )
    a = doc["apply"]
    if a:
        rate = f", {a['entries_per_second']} entries/s" if a["entries_per_second"] else ""
        pruned = f"{a['quarantined']} quarantined, {a['deleted']} deleted, " if a["quarantined"] or a["deleted"] else ""
        line += (
            f"\napplied: {a['created']} created, {a['updated']} updated, {a['recreated']} re-created, {pruned}"
            f"{a['unchanged']} unchanged, {a['skipped']} skipped, {a['failed']} failed "
            f"({a['requests']} requests, {a['write_requests']} writes, {a['encrypt_requests']} encrypted, "
            f"{a['seconds']:.2f} s{rate})"
        )
    return line


class TableRenderer(Renderer):
    name = "table"

    def __init__(self, *, show_unchanged: bool = False, verbose: bool = False, color: bool = False):
        self.show_unchanged = show_unchanged
        self.verbose = verbose
        self.color = color

    def plan(self, doc: dict) -> str:
        changes = shown_changes(doc, self.show_unchanged)
        rows = [
            [
                ACTION_SYMBOLS.get(c["action"], UNKNOWN_SYMBOL) + " " + c["action"],
                c["kind"],
                c["name"],
                c["category"],
                change_detail(c),
            ]
            for c in changes
        ]
        table = text_table(rows, ["action", "kind", "name", "category", "details"]) if rows else ""
        if table and self.color:
            lines = table.split("\n")
            painted = [paint(line, c["action"], True) for line, c in zip(lines[2:], changes, strict=False)]
            table = "\n".join(lines[:2] + painted)
        out = [table or "No changes: the vault already matches the sources."]
        out += diagnostics_block(diagnostics_of(doc), verbose=self.verbose, color=self.color)
        if doc["apply"] and doc["apply"]["failures"]:
            out += ["", "failures:"]
            out.extend(console(f"  {f['name']} ({f['kind']}): {f['error']}") for f in doc["apply"]["failures"])
        out += ["", summary_line(doc)]
        return "\n".join(out)

    def audit(self, doc: dict) -> str:
        doc = console_strings(doc)
        s = doc["summary"]
        out = [f"audit of {doc['target']} (XPipe {doc['xpipe_version']}), root category '{doc['root_category']}'"]
        out.append("  " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in s.items() if v is not None))
        out += audit_findings(doc)
        if doc["diagnostics"]:
            out += ["", f"{len(doc['diagnostics'])} diagnostics (see --format json)"]
        return "\n".join(out)

    def inventory(self, doc: dict) -> str:
        rows = []
        for h in doc["hosts"]:
            jump = " > ".join(j["ref"] or _hop_label(j) for j in h["proxy_jump"])
            auth = h["auth"]
            methods = (
                (["password"] if auth["password"] is not None else [])
                + (["key"] if h["identity_files"] else [])
                + ([auth["agent"]] if auth["agent"] else [])
            )
            src = h["source"]
            where = (
                src["file"]
                + (f":{src['line']}" if src["line"] is not None else "")
                + (f" [{src['section']}]" if src["section"] else "")
            )
            rows.append(
                [
                    h["name"],
                    h["host"],
                    h["port"],
                    h["user"] or "",
                    "/".join(h["category"]),
                    jump,
                    ",".join(methods),
                    where,
                ]
            )
        out = [
            text_table(rows, ["name", "host", "port", "user", "category", "jump", "auth", "source"])
            if rows
            else "No hosts."
        ]
        diagnostics = diagnostics_of(doc)
        out += diagnostics_block(diagnostics, verbose=self.verbose, color=self.color)
        out += [
            "",
            f"{len(doc['hosts'])} hosts, {sum(1 for d in diagnostics if d.level == 'error')} errors, "
            f"{sum(1 for d in diagnostics if d.level == 'warning')} warnings",
        ]
        return "\n".join(out)


def _hop_label(j: dict) -> str:
    out = j["host"]
    if j["user"]:
        out = f"{j['user']}@{out}"
    if j["port"]:
        out += f":{j['port']}"
    return out


def audit_findings(doc: dict) -> list[str]:
    """The audit's finding lists as indented text, shared by the table and the Markdown report."""
    out: list[str] = []
    for title, rows, fmt in (
        ("pending changes", doc["pending"], lambda c: f"{c['action']} {c['kind']} {c['name']}"),
        (
            "drift (changed in XPipe since the last sync)",
            doc["drift"],
            lambda c: f"{c['name']}: " + ", ".join(f["path"] for f in c["fields"] if f.get("drift")),
        ),
        (
            "owned entries missing from the sources",
            doc["missing_from_sources"],
            lambda m: f"{m['name']} ({m['category']})" + ("" if m["in_vault"] else " [gone from XPipe]"),
        ),
        (
            "references that read null",
            doc["health"]["null_references"],
            lambda r: f"{r['name']} ({r['category']}): {r['field']} is null",
        ),
        (
            "names XPipe's upsert would confuse",
            doc["health"]["duplicate_names"],
            lambda d: f"{d['name']}: {d['count']} entries ({', '.join(d['types'])}); {d['risk']}",
        ),
        ("owned entries hidden from queries", doc["health"]["hidden_owned"], lambda h: f"{h['name']}: {h['reason']}"),
    ):
        if rows:
            out += ["", f"{title} ({len(rows)}):"] + ["  " + fmt(r) for r in rows]
    if doc["probe"] is not None:
        out += ["", f"reachability ({len(doc['probe'])} hosts):"]
        for r in doc["probe"]:
            detail = " ".join(
                str(x) for x in (r.get("banner"), r.get("host_key_type"), r.get("host_key_fingerprint")) if x
            )
            out.append(f"  {r['status']:<9} {r['name']} {r['host']}:{r['port']} {detail or r.get('message') or ''}")
    return out
