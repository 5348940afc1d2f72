"""Markdown: for pull requests, wikis and CI summaries."""

from __future__ import annotations

from migrator.escape import code_fence, console_strings, markdown_cell
from migrator.report.base import Renderer, diagnostics_of
from migrator.report.document import ACTION_SYMBOLS, UNKNOWN_SYMBOL
from migrator.report.table import audit_findings, change_detail, shown_changes, summary_line

md_cell = markdown_cell


class MarkdownRenderer(Renderer):
    name = "markdown"

    def plan(self, doc: dict) -> str:
        s = doc["summary"]
        lines = [
            f"### xpipe-migrate plan for XPipe {md_cell(doc['xpipe_version'])} ({md_cell(doc['target'])})",
            "",
            "| create | update | re-create | quarantine | delete | unchanged | conflicts | drift | diagnostics |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {s['create']} | {s['update']} | {s['recreate']} | {s['quarantine']} | {s['delete']} "
            f"| {s['unchanged']} | {s['conflict']} | {s['drift']} | {s['diagnostics']} |",
            "",
        ]
        changed = shown_changes(doc)
        if changed:
            lines += ["| | action | kind | name | category | details |", "|---|---|---|---|---|---|"]
            for c in changed:
                lines.append(
                    f"| {ACTION_SYMBOLS.get(c['action'], UNKNOWN_SYMBOL)} | {c['action']} | {c['kind']} "
                    f"| {md_cell(c['name'])} | {md_cell(c['category'])} | {md_cell(change_detail(c))} |"
                )
        else:
            lines.append("No changes: the vault already matches the sources.")
        diagnostics = diagnostics_of(doc)
        if diagnostics:
            lines += ["", f"<details><summary>{len(diagnostics)} diagnostics</summary>", ""]
            lines += ["| level | where | message |", "|---|---|---|"]
            for d in diagnostics:
                lines.append(f"| {d.level} | {md_cell(d.location())} | {md_cell(d.message)} |")
            lines += ["", "</details>"]
        if doc["apply"]:
            lines += ["", summary_line(doc).splitlines()[-1]]
        return "\n".join(lines) + "\n"

    def audit(self, doc: dict) -> str:
        s = doc["summary"]
        lines = [
            f"### xpipe-migrate audit of XPipe {md_cell(doc['xpipe_version'])} ({md_cell(doc['target'])})",
            "",
            "| " + " | ".join(k.replace("_", " ") for k in s) + " |",
            "|" + "---:|" * len(s),
            "| " + " | ".join("-" if v is None else str(v) for v in s.values()) + " |",
        ]
        findings = audit_findings(console_strings(doc))
        if doc["diagnostics"]:
            findings += ["", f"{len(doc['diagnostics'])} diagnostics (see --format json)"]
        if findings:
            fence = code_fence(findings)
            lines += ["", fence, *findings, fence]
        return "\n".join(lines) + "\n"

    def inventory(self, doc: dict) -> str:
        lines = [
            f"### xpipe-migrate inventory: {len(doc['hosts'])} hosts",
            "",
            "| name | host | port | user | category | source |",
            "|---|---|---:|---|---|---|",
        ]
        for h in doc["hosts"]:
            lines.append(
                f"| {md_cell(h['name'])} | {md_cell(h['host'])} | {h['port']} | {md_cell(h['user'] or '')} "
                f"| {md_cell('/'.join(h['category']))} | {md_cell(h['source']['file'])} |"
            )
        return "\n".join(lines) + "\n"
