"""``xpipe-migrate mapping check FILE``: show how a CSV or Excel file will be read before importing it.

It prints which column feeds which host field, which columns are not imported, which required
fields are missing, and the first rows as they will be imported (or why they will not be).
Secrets are never printed: a password or passphrase shows as ``<redacted>``.
Exit status: 0 when the file can be imported, 1 when a required field has no column or the file is
not imported without ``--mapping`` (a weak best guess, or two columns that both fit the host address).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from migrator.cli.argtypes import non_negative
from migrator.errors import ConfigError
from migrator.escape import console_strings
from migrator.sources import formats_where, open_source
from migrator.sources.tabular.headers import profiles_for
from migrator.sources.tabular.profiles import (
    FIELDS,
    SECRET_FIELDS,
    Profile,
    load_profile,
    match_header,
    normalise_header,
    rank_profiles,
)
from migrator.sources.tabular.table import Table, TableMapper, unsure_reason

REDACTED = "<redacted>"


def register(subparsers) -> None:
    mapping = subparsers.add_parser("mapping", help="inspect column-mapping profiles for CSV/Excel files")
    inner = mapping.add_subparsers(dest="mapping_command", metavar="COMMAND")
    inner.required = True
    p = inner.add_parser("check", help="show how FILE's columns map to host fields and preview the rows")
    p.add_argument("file", metavar="FILE", help="CSV or .xlsx file (FORMAT:PATH names the format)")
    p.add_argument("--mapping", help="profile name in mappings/ or a .toml path (default: auto-detect)")
    p.add_argument("--sheet", help="Excel sheet (default: every visible sheet)")
    p.add_argument("--rows", type=non_negative, default=5, metavar="N", help="rows to preview (default 5)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    p.set_defaults(func=run)


def run(args) -> int:
    options = {k: v for k, v in (("mapping", args.mapping), ("sheet", args.sheet)) if v}
    source = open_source(args.file, options=options)
    if not source.tabular:
        tabular = ", ".join(formats_where(lambda cls: cls.tabular))
        raise ConfigError(f"{args.file}: mapping check reads tabular sources ({tabular}), not {source.format}")
    report = check_report(source, max(args.rows, 0), args.mapping)
    out = json.dumps(report, indent=2) if args.format == "json" else render(report)
    sys.stdout.write(out + "\n")
    return 1 if report["missing_required"] or report["needs_mapping"] else 0


def check_report(source, rows: int = 5, mapping: str | None = None) -> dict:
    """The whole check of one CSV/Excel source (also shown when an import stops for ``--mapping``)."""
    tables, diags, facts = source.load()
    mapper = TableMapper(source, tables)
    result = mapper.run()
    return build_report(
        source, tables, facts, result, [*diags, *result.diagnostics], mapper.skipped_rows, rows, mapping
    )


# -- building the report --------------------------------------------------------------------------


def _describe_field(profile: Profile, fname: str) -> str:
    spec = profile.fields[fname]
    extra = []
    if spec.split:
        extra.append("user@host:port split")
    if spec.join:
        extra.append("all such columns joined")
    if spec.value_map:
        extra.append("values mapped")
    if spec.separators and FIELDS[fname] == "list":
        extra.append("split on " + " ".join(f'"{s}"' for s in spec.separators))
    return fname + (f" ({', '.join(extra)})" if extra else "")


def _table_report(table: Table) -> dict:
    match, det = table.match, table.detection
    col_field = match.column_field()
    columns = []
    for i, name in enumerate(match.names):
        if not name:
            continue
        fname = col_field.get(i)
        described = _describe_field(match.profile, fname) if fname else None
        entry = {"position": i + 1, "column": name, "field": described}
        if fname and fname in match.header_defaults:
            entry["default"] = "(set, not shown)" if fname in SECRET_FIELDS else match.header_defaults[fname]
        columns.append(entry)
    fixed = {}
    for fname, spec in match.profile.fields.items():
        if fname in SECRET_FIELDS and (spec.value is not None or spec.default is not None):
            fixed[fname] = "set in the profile (not shown)"
        elif spec.value is not None:
            fixed[fname] = f"always {spec.value!r}"
        elif spec.default is not None:
            fixed[fname] = f"{spec.default!r} when blank"
        elif spec.fallback:
            fixed[fname] = f"the {spec.fallback} when blank"
    return {
        "sheet": table.section,
        "header_line": table.header_line,
        "profile": match.profile.name,
        "profile_title": match.profile.title,
        "profile_origin": match.profile.origin,
        "chosen": "given with --mapping" if det.forced else ("detected" if det.confident else "best guess"),
        "score": match.score,
        "ranking": [{"profile": m.profile.name, "score": m.score} for m in det.ranking[:4]],
        "columns": columns,
        "unused": [match.names[i] for i in match.unused],
        "missing_required": match.missing_required,
        "defaults": fixed,
        "data_rows": len([r for r in table.rows if any(v.strip() for v in r.values)]),
    }


def _unmatched_report(facts: dict, mapping: str | None) -> list[dict]:
    """No header was found: show what the chosen (or closest) profile misses in the first row."""
    out = []
    for section, line, cells in facts.get("unmatched", []):
        if mapping:
            match = match_header(load_profile(mapping), cells)
        else:
            profiles, _ = profiles_for(None)
            ranked = rank_profiles(cells, profiles)
            match = max(ranked, key=lambda m: (sum(len(v) for v in m.columns.values()), m.score))
        fields = match.column_field()
        out.append(
            {
                "sheet": section,
                "first_row_line": line,
                "profile": match.profile.name,
                # the first row may be data (a password): only words a profile knows are quoted
                "columns": [
                    {
                        "position": i + 1,
                        "field": fields.get(i),
                        "column": n
                        if fields.get(i) or normalise_header(n) in match.profile.known
                        else "(not a known column name; not shown)",
                    }
                    for i, n in enumerate(match.names)
                    if n
                ],
                "missing_required": match.missing_required or ["host"],
            }
        )
    return out


def _host_row(host) -> dict:
    cred = host.credentials
    auth = []
    if cred.password is not None:
        auth.append(f"password {REDACTED}")
    for k in cred.key_files:
        auth.append(f"key {Path(k).name}")
    if cred.key_passphrase is not None:
        auth.append(f"passphrase {REDACTED}")
    return {
        "name": host.name,
        "host": host.address,
        "port": host.port,
        "user": host.user,
        "folder": "/".join(host.category),
        "jump": ", ".join(h.ref or h.label() for h in host.jump),
        "tags": ", ".join(host.tags),
        "auth": "; ".join(auth),
        "description": host.description,
        "key": host.key,
    }


def build_report(source, tables, facts, result, diagnostics, skipped, rows: int, mapping: str | None) -> dict:
    hosts = {(h.source.section, h.source.line): h for h in result.hosts}
    rejects = {(getattr(r, "section", None), r.line): r for r in result.rejects}
    preview = []
    for table in tables:
        for raw in table.rows:
            if len(preview) >= rows:
                break
            if not any(v.strip() for v in raw.values):
                continue
            key = (table.section, raw.line)
            item = {"sheet": table.section, "line": raw.line}
            if key in hosts:
                item.update(status="import", **_host_row(hosts[key]))
            elif key in rejects:
                item.update(status="rejected", reason=rejects[key].reason)
            elif key in skipped:
                item.update(status="skipped", reason=skipped[key])
            else:
                item.update(status="folder", reason="a folder row (its name becomes part of the folder path)")
            preview.append(item)
    table_reports = [_table_report(t) for t in tables]
    unmatched = _unmatched_report(facts, mapping)
    # a sheet without any host column (notes, a legend) does not make a workbook unusable
    missing = sorted({f for t in (table_reports or unmatched) for f in t["missing_required"]})
    if not tables and not unmatched:
        missing = ["host"]
    return {
        "file": source.display_path,
        "format": source.format,
        "file_facts": {k: v for k, v in facts.items() if k != "unmatched"},
        "tables": table_reports,
        "unmatched": unmatched,
        "missing_required": missing,
        "needs_mapping": [r for r in (unsure_reason(t) for t in tables) if r],
        "preview": preview,
        "summary": {
            "hosts": len(result.hosts),
            "rejected": len(result.rejects),
            "skipped": sum(1 for d in diagnostics if d.code in ("skipped", "hidden-row")),
        },
        "diagnostics": [{"level": d.level, "code": d.code, "text": str(d)} for d in diagnostics if d.level != "info"],
    }


# -- rendering ------------------------------------------------------------------------------------


def _grid(header: list[str], rows: list, indent: str = "  ") -> list[str]:
    """A plain text table; a row given as (first cell, text) spans the other columns."""
    full = [r for r in rows if isinstance(r, list)]
    widths = [min(max([len(h)] + [len(r[i]) for r in full]), 40) for i, h in enumerate(header)]
    widths[0] = max([widths[0]] + [len(r[0]) for r in rows if isinstance(r, tuple)])
    out = [indent + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r in rows:
        if isinstance(r, tuple):
            out.append(indent + r[0].ljust(widths[0]) + "  " + r[1])
            continue
        cells = [(c if len(c) <= w else c[: w - 1] + "~").ljust(w) for c, w in zip(r, widths, strict=True)]
        out.append(indent + "  ".join(cells).rstrip())
    return out


def _one_line(text) -> str:
    return " / ".join(str(text).split("\n")) if text is not None else ""


def render(report: dict) -> str:
    report = console_strings(report)
    facts = report["file_facts"]
    lines = []
    what = report["format"]
    if "delimiter" in facts:
        delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(facts.get("delimiter"), "?")
        what += f", {facts.get('encoding')}, {delim}-separated"
    elif facts.get("sheets"):
        what += f", sheets: {', '.join(facts['sheets'])}"
    lines.append(f"{report['file']} ({what})")
    for t in report["tables"]:
        where = f"sheet {t['sheet']!r}, " if t["sheet"] else ""
        others = ", ".join(f"{r['profile']} {r['score']:.2f}" for r in t["ranking"][1:3])
        lines.append("")
        lines.append(
            f"{where}header on line {t['header_line']}: profile {t['profile']!r} ({t['chosen']}, "
            f"score {t['score']:.2f}{'; others: ' + others if others else ''})"
        )
        lines.append(f"  {t['profile_title']}")
        lines.append("")
        rows = []
        for c in t["columns"]:
            if c["field"]:
                default = f" [default {c['default']!r}]" if c.get("default") else ""
                rows.append([str(c["position"]), c["column"], c["field"] + default])
        lines += _grid(["#", "column", "host field"], rows)
        lines.append("")
        lines.append("  missing required fields: " + (", ".join(t["missing_required"]) or "none"))
        if t["unused"]:
            lines.append(f"  columns not imported ({len(t['unused'])}): " + ", ".join(t["unused"]))
        if t["defaults"]:
            lines.append("  defaults: " + "; ".join(f"{k} = {v}" for k, v in t["defaults"].items()))
    for u in report["unmatched"]:
        where = f"sheet {u['sheet']!r}: " if u["sheet"] else ""
        lines.append("")
        lines.append(
            f"{where}no header row found; the first row (line {u['first_row_line']}) read with "
            f"profile {u['profile']!r}:"
        )
        rows = [[str(c["position"]), c["column"], c["field"] or "(not imported)"] for c in u["columns"]]
        lines += _grid(["#", "column", "host field"], rows)
        lines.append("  missing required fields: " + ", ".join(u["missing_required"]))
    if report["preview"]:
        lines.append("")
        lines.append(f"first {len(report['preview'])} rows as they will be imported:")
        rows = []
        for p in report["preview"]:
            line = f"{p['sheet']}:{p['line']}" if p["sheet"] else str(p["line"])
            if p["status"] == "import":
                rows.append(
                    [
                        line,
                        p["name"],
                        p["host"],
                        str(p["port"]),
                        p["user"] or "",
                        p["folder"],
                        p["jump"],
                        p["tags"],
                        p["auth"],
                        _one_line(p["description"]),
                    ]
                )
            else:
                rows.append((line, p["status"].upper() + ": " + _one_line(p["reason"])))
        header = ["line", "name", "host", "port", "user", "folder", "jump", "tags", "auth", "description"]
        lines += _grid(header, rows)
    for reason in report["needs_mapping"]:
        lines.append("")
        lines.append(f"not imported without --mapping: {reason}")
    s = report["summary"]
    lines.append("")
    lines.append(f"whole file: {s['hosts']} host(s) to import, {s['rejected']} rejected, {s['skipped']} skipped")
    if report["diagnostics"]:
        lines.append("")
        shown = report["diagnostics"][:20]
        lines += [f"  {d['text']}" for d in shown]
        if len(report["diagnostics"]) > len(shown):
            lines.append(f"  ... and {len(report['diagnostics']) - len(shown)} more")
    return "\n".join(lines)
