"""The plan (and apply result) as one self-contained HTML page, built from ``plan_document``.

The page fetches nothing and runs no script: styles are inline, a Content-Security-Policy forbids
everything else, and the per-action row filter is pure CSS (checkboxes before the table), so it works
in a mail client or an archived CI artefact alike. Every value from the document is escaped, since
names, folders and messages come from the user's files. Keys the renderer does not know (new actions,
new summary counts, new top-level sections such as ``identities``) are rendered generically instead
of being dropped, so a richer document shows up without a change here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html import escape

from migrator.report.base import Renderer
from migrator.report.document import ACTION_SYMBOLS as SYMBOLS
from migrator.report.document import UNKNOWN_SYMBOL as _UNKNOWN_SYMBOL

_LEVEL_ORDER = ("error", "warning", "info")
_LEVEL_TITLES = {"error": "Errors", "warning": "Warnings", "info": "Notes"}
#: summary keys that describe the run rather than count changes
_RUN_KEYS = ("hosts_read", "entries", "diagnostics", "plan_requests", "plan_seconds")
_LABELS = {"recreate": "re-create", "xpipe_version": "XPipe version", "root_category": "root category"}
_SUMMARY_LABELS = {
    "hosts_read": "hosts read",
    "entries": "entries planned",
    "plan_requests": "API requests (plan)",
    "plan_seconds": "planning time (s)",
}
_APPLY_LABELS = {
    "requests": "API requests",
    "write_requests": "write requests",
    "encrypt_requests": "encrypt requests",
    "seconds": "apply time (s)",
    "entries_per_second": "entries per second",
}
_HEADER_KEYS = ("schema", "version", "target", "xpipe_version", "dialect", "root_category")
_SECTION_KEYS = ("summary", "changes", "diagnostics", "apply", "probe")
_CHANGE_KEYS = ("action", "kind", "name", "category", "key", "uuid", "source", "reason", "fields")
_PROBE_COLUMNS = (
    "name",
    "host",
    "port",
    "status",
    "banner",
    "host_key_type",
    "host_key_fingerprint",
    "seconds",
    "message",
)
_GOOD_STATUS = {"ok", "open", "reachable", "up", "success", "matched", "match"}
_BAD_STATUS = {
    "failed",
    "fail",
    "error",
    "refused",
    "timeout",
    "unreachable",
    "closed",
    "mismatch",
    "changed",
    "unknown-host",
    "dns",
}

_CSS = """
:root { color-scheme: light; --fg: #1d232a; --muted: #5f6b76; --line: #d8dee4; --head: #f3f5f7;
  --create: #1a7f37; --update: #9a6700; --recreate: #8250df; --unchanged: #6e7781; --conflict: #cf222e;
  --delete: #cf222e; --quarantine: #bc4c00; --other: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1400px; }
h1 { font-size: 1.45rem; margin: 0 0 .3rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta { color: var(--muted); margin: 0; }
.meta span + span::before { content: " · "; }
.badges { margin: .8rem 0 0; display: flex; flex-wrap: wrap; gap: .4rem; }
.badge { border: 1px solid currentColor; border-radius: 999px; padding: .05rem .6rem; font-weight: 600; }
.badge.zero { opacity: .45; font-weight: 400; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv { width: auto; min-width: 22rem; }
table.kv th { width: 14rem; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; }
.act { white-space: nowrap; font-weight: 600; color: var(--other); }
.sym { display: inline-block; width: 1.2em; text-align: center; }
.act-create { color: var(--create); } .act-update { color: var(--update); }
.act-recreate { color: var(--recreate); } .act-unchanged { color: var(--unchanged); }
.act-conflict { color: var(--conflict); } .act-delete { color: var(--delete); }
.act-quarantine { color: var(--quarantine); }
tr.row-conflict, tr.row-delete { background: #fff5f5; }
ul.fields, td ul { margin: .2rem 0 0; padding-left: 1.1rem; }
.old { color: #a40e26; } .new { color: #116329; } .arrow { color: var(--muted); padding: 0 .3em; }
.drift { color: #bc4c00; font-weight: 600; font-size: .85em; margin-left: .3em; }
.muted, .none { color: var(--muted); }
.reason { margin: 0; }
.filters { margin-right: .4rem; }
#changes > label { cursor: pointer; margin: 0 .9rem 0 .15rem; }
#changes > input { margin: 0; vertical-align: -1px; }
.level-error { color: var(--conflict); } .level-warning { color: var(--update); }
.level-info { color: var(--other); }
.status-good { color: var(--create); font-weight: 600; } .status-bad { color: var(--conflict); font-weight: 600; }
.status-other { color: var(--update); font-weight: 600; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85em; }
@media print { .filters, #changes > input, #changes > label { display: none; } tr { display: table-row !important; } }
"""


class HtmlRenderer(Renderer):
    name = "html"

    def render(self, doc: dict) -> str:
        return render_html_document(doc)


def render_html_document(doc: dict) -> str:
    """Any report document (plan, apply, audit...) as a complete HTML5 page."""
    kind = _kind(doc)
    body = [_header(doc, kind)]
    if isinstance(doc.get("summary"), dict):
        body.append(_summary_section(doc["summary"]))
    if isinstance(doc.get("changes"), list):
        body.append(_changes_section(doc["changes"]))
    if isinstance(doc.get("diagnostics"), list):
        body.append(_diagnostics_section(doc["diagnostics"]))
    if isinstance(doc.get("apply"), dict):
        body.append(_apply_section(doc["apply"]))
    if isinstance(doc.get("probe"), list):
        body.append(_probe_section(doc["probe"]))
    for key, value in doc.items():
        if key in _HEADER_KEYS or (key in _SECTION_KEYS and _is_rendered_section(key, value)):
            continue
        if value is None or value == [] or value == {}:
            continue
        title = _label(key)
        body.append(_section(_slug("extra-" + key), title[:1].upper() + title[1:], _generic(value)))
    schema = doc.get("schema")
    version = doc.get("version")
    footer = "Generated by xpipe-migrate"
    if schema:
        footer += f" · document schema {_text(schema)}" + (f" version {_text(version)}" if version else "")
    body.append(f"<footer>{footer}</footer>")
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="xpipe-migrate">',
            f"<title>{_text(_title(doc, kind))}</title>",
            f"<style>{_CSS}{_filter_css(doc)}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


# -- page parts -------------------------------------------------------------------------------


def _kind(doc: dict) -> str:
    schema = doc.get("schema")
    kind = str(schema).rsplit("/", 1)[-1] if schema else "report"
    if kind == "plan" and isinstance(doc.get("apply"), dict):
        return "apply"
    return kind


def _count_items(summary: dict) -> list[tuple[str, object]]:
    return [(k, v) for k, v in summary.items() if k not in _RUN_KEYS and isinstance(v, int) and not isinstance(v, bool)]


def _title(doc: dict, kind: str) -> str:
    target = doc.get("target") or "(no target)"
    summary = doc.get("summary") if isinstance(doc.get("summary"), dict) else {}
    counts = [f"{v} {_label(k)}" for k, v in _count_items(summary) if v]
    if isinstance(doc.get("apply"), dict) and doc["apply"].get("failed"):
        counts.append(f"{doc['apply']['failed']} failed")
    tail = ", ".join(counts) if counts else ("no changes" if summary else "")
    return f"xpipe-migrate {kind}: {target}" + (f" — {tail}" if tail else "")


def _header(doc: dict, kind: str) -> str:
    meta = []
    for key in ("target", "xpipe_version", "dialect", "root_category"):
        if doc.get(key) not in (None, ""):
            value = doc[key]
            cell = f"<code>{_text(value)}</code>" if key == "target" else _text(value)
            meta.append(f"<span>{_text(_label(key))}: {cell}</span>")
    out = [f"<header><h1>xpipe-migrate {_text(kind)}</h1>"]
    if meta:
        out.append(f'<p class="meta">{"".join(meta)}</p>')
    summary = doc.get("summary")
    if isinstance(summary, dict):
        badges = [
            f'<span class="badge act act-{_slug(k)}{"" if v else " zero"}">{_text(v)} {_text(_label(k))}</span>'
            for k, v in _count_items(summary)
        ]
        if badges:
            out.append(f'<div class="badges">{"".join(badges)}</div>')
    out.append("</header>")
    return "\n".join(out)


def _summary_section(summary: dict) -> str:
    rows = []
    for key, value in summary.items():
        label = _text(_SUMMARY_LABELS.get(key) or _label(key))
        if key in SYMBOLS:
            label = f'<span class="act act-{_slug(key)}"><span class="sym">{_text(SYMBOLS[key])}</span>{label}</span>'
        rows.append(f"<tr><th>{label}</th>{_cell(value)}</tr>")
    return _section("summary", "Summary", f'<table class="kv">{"".join(rows)}</table>')


def _changes_section(changes: list) -> str:
    changes = [c for c in changes if isinstance(c, dict)]
    if not changes:
        return _section("changes", "Changes", '<p class="none">No entries: nothing was planned.</p>')
    by_slug: dict[str, list[dict]] = {}
    for c in changes:
        by_slug.setdefault(_slug(c.get("action")), []).append(c)
    actions = [str(group[0].get("action")) for group in by_slug.values()]
    hidden_by_default = {"unchanged"} if set(actions) != {"unchanged"} else set()
    filters = []
    for action in actions:
        n = len(by_slug[_slug(action)])
        checked = "" if action in hidden_by_default else " checked"
        fid = f"show-{_slug(action)}"
        filters.append(
            f'<input type="checkbox" id="{fid}"{checked}>'
            f'<label for="{fid}" class="act act-{_slug(action)}">{_text(action)} ({n})</label>'
        )
    note = ""
    if not any(str(c.get("action")) != "unchanged" for c in changes):
        note = '<p class="none">No changes: the vault already matches the sources.</p>'
    rows = []
    for c in changes:
        action = str(c.get("action"))
        slug = _slug(action)
        ids = "; ".join(f"{k} {c[k]}" for k in ("key", "uuid") if c.get(k))
        name_attr = f' title="{_attr(ids)}"' if ids else ""
        rows.append(
            f'<tr class="row-{slug}">'
            f'<td class="act act-{slug}"><span class="sym">{_text(SYMBOLS.get(action, _UNKNOWN_SYMBOL))}</span>'
            f"{_text(action)}</td>"
            f"<td>{_text(c.get('kind'))}</td>"
            f"<td{name_attr}>{_text(c.get('name'))}</td>"
            f"<td>{_text(c.get('category'))}</td>"
            f"<td>{_change_details(c)}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>action</th><th>kind</th><th>name</th><th>category</th><th>details</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    # the checkboxes must be siblings that precede the table for the CSS filter to reach its rows
    filter_row = '<span class="filters muted">show:</span>' + "".join(filters) if len(actions) > 1 else ""
    return _section("changes", f"Changes ({len(changes)})", f"{note}{filter_row}{table}")


def _change_details(c: dict) -> str:
    parts = []
    if c.get("reason"):
        parts.append(f'<p class="reason">{_text(c["reason"])}</p>')
    fields = [f for f in c.get("fields") or [] if isinstance(f, dict)]
    if fields:
        items = []
        for f in fields:
            drift = ' <span class="drift">drift</span>' if f.get("drift") else ""
            extra = {k: v for k, v in f.items() if k not in ("path", "old", "new", "drift")}
            extra_text = "".join(f' <span class="muted">{_text(k)}: {_inline(v)}</span>' for k, v in extra.items())
            items.append(
                f'<li><code>{_text(f.get("path"))}</code>: <span class="old">{_inline(f.get("old"))}</span>'
                f'<span class="arrow">→</span><span class="new">{_inline(f.get("new"))}</span>'
                f"{drift}{extra_text}</li>"
            )
        parts.append(f'<ul class="fields">{"".join(items)}</ul>')
    muted = []
    if c.get("source"):
        muted.append(f"from {_text(c['source'])}")
    for key, value in c.items():
        if key not in _CHANGE_KEYS and value not in (None, "", [], {}):
            muted.append(f"{_text(key)}: {_inline(value)}")
    if muted:
        parts.append(f'<div class="muted">{"; ".join(muted)}</div>')
    return "".join(parts)


def _diagnostics_section(diagnostics: list) -> str:
    diagnostics = [d for d in diagnostics if isinstance(d, dict)]
    if not diagnostics:
        return _section("diagnostics", "Diagnostics", '<p class="none">No diagnostics.</p>')
    levels = [lv for lv in _LEVEL_ORDER if any(d.get("level") == lv for d in diagnostics)]
    levels += _ordered(str(d.get("level")) for d in diagnostics if d.get("level") not in _LEVEL_ORDER)
    groups = []
    for level in levels:
        group = [d for d in diagnostics if str(d.get("level")) == level]
        rows = "".join(
            f"<tr><td>{_location(d)}</td><td><code>{_text(d.get('code'))}</code></td>"
            f"<td>{_text(d.get('message'))}</td></tr>"
            for d in group
        )
        title = _LEVEL_TITLES.get(level, level)
        groups.append(
            f'<h3 class="level-{_slug(level)}">{_text(title)} ({len(group)})</h3>'
            "<table><thead><tr><th>where</th><th>code</th><th>message</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return _section("diagnostics", f"Diagnostics ({len(diagnostics)})", "".join(groups))


def _location(d: dict) -> str:
    parts = []
    if d.get("file"):
        where = str(d["file"]) + (f":{d['line']}" if d.get("line") is not None else "")
        parts.append(f"<code>{_text(where)}</code>")
    elif d.get("line") is not None:
        parts.append(f"line {_text(d['line'])}")
    if d.get("entry"):
        parts.append(f"[{_text(d['entry'])}]")
    if d.get("field"):
        parts.append(f"field <code>{_text(d['field'])}</code>")
    return " ".join(parts) or '<span class="none">—</span>'


def _apply_section(apply: dict) -> str:
    counts = {k: v for k, v in apply.items() if k not in ("failures", "problems")}
    rows = "".join(f"<tr><th>{_text(_APPLY_LABELS.get(k) or _label(k))}</th>{_cell(v)}</tr>" for k, v in counts.items())
    parts = [f'<table class="kv">{rows}</table>']
    failures = [f for f in apply.get("failures") or [] if isinstance(f, dict)]
    if failures:
        parts.append(f'<h3 class="level-error">Failures ({len(failures)})</h3>')
        parts.append(_records_table(failures, ("name", "kind", "error")))
    problems = apply.get("problems") or []
    if problems:
        parts.append(f'<h3 class="level-warning">Problems ({len(problems)})</h3>')
        parts.append("<ul>" + "".join(f"<li>{_inline(p)}</li>" for p in problems) + "</ul>")
    if not failures and not problems:
        parts.append('<p class="none">No failures.</p>')
    return _section("apply", "Apply result", "".join(parts))


def _probe_section(probe: list) -> str:
    records = [p for p in probe if isinstance(p, dict)]
    if not records:
        return _section("probe", "Probe", '<p class="none">Nothing was probed.</p>')
    statuses = {}
    for p in records:
        statuses[str(p.get("status"))] = statuses.get(str(p.get("status")), 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in statuses.items())
    body = f'<p class="muted">{_text(tally)}</p>' + _records_table(records, _PROBE_COLUMNS, status_key="status")
    return _section("probe", f"Probe ({len(records)})", body)


# -- generic building blocks ------------------------------------------------------------------


def _section(ident: str, title: str, body: str) -> str:
    return f'<section id="{_attr(ident)}"><h2>{_text(title)}</h2>{body}</section>'


def _is_rendered_section(key: str, value) -> bool:
    return isinstance(value, dict) if key in ("summary", "apply") else isinstance(value, list)


def _records_table(records: list[dict], preferred: Iterable[str] = (), *, status_key: str | None = None) -> str:
    preferred = list(preferred)
    present = [k for k in preferred if any(k in r for r in records)]
    columns = present + _ordered(k for r in records for k in r if k not in preferred)
    head = "".join(
        ('<th class="num">' if _numeric_column(records, k) else "<th>") + f"{_text(_label(k))}</th>" for k in columns
    )
    rows = []
    for r in records:
        cells = []
        for k in columns:
            if k == status_key and r.get(k) is not None:
                cells.append(f'<td class="{_status_class(r[k])}">{_text(r[k])}</td>')
            elif k not in r:
                cells.append("<td></td>")
            else:
                cells.append(_cell(r[k]))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _numeric_column(records: list[dict], key: str) -> bool:
    values = [r.get(key) for r in records if r.get(key) is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _status_class(status) -> str:
    s = str(status).lower()
    if s in _GOOD_STATUS:
        return "status-good"
    if s in _BAD_STATUS:
        return "status-bad"
    return "status-other"


def _generic(value) -> str:
    """Any JSON value as HTML: objects as key/value tables, lists of objects as tables."""
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{_text(_label(k))}</th><td>{_nested(v)}</td></tr>" for k, v in value.items())
        return f'<table class="kv">{rows}</table>'
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return _records_table(value)
        return "<ul>" + "".join(f"<li>{_nested(v)}</li>" for v in value) + "</ul>"
    return f"<p>{_inline(value)}</p>"


def _nested(value) -> str:
    return _generic(value) if isinstance(value, (dict, list)) and value else _inline(value)


def _cell(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{_text(value)}</td>'
    return f"<td>{_nested(value)}</td>"


def _inline(value) -> str:
    if value is None:
        return '<span class="none">none</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return f"<code>{_text(json.dumps(value, ensure_ascii=False, sort_keys=True))}</code>"
    return _text(value)


def _filter_css(doc: dict) -> str:
    """One rule per action present: an unchecked box hides that action's rows (no script needed)."""
    changes = doc.get("changes") if isinstance(doc.get("changes"), list) else []
    actions = _ordered(_slug(str(c.get("action"))) for c in changes if isinstance(c, dict))
    return "".join(f"\n#show-{a}:not(:checked) ~ table tr.row-{a} {{ display: none; }}" for a in actions)


def _ordered(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _label(key) -> str:
    return _LABELS.get(key, str(key).replace("_", " "))


def _slug(text: str) -> str:
    """A class/id fragment: document values never reach an attribute unescaped or a selector raw."""
    return re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-") or "x"


def _text(value) -> str:
    return "" if value is None else escape(str(value), quote=False)


def _attr(value) -> str:
    return escape(str(value), quote=True)
