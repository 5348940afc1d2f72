"""Reports: documents (``document``, ``migrator.audit``) and one renderer per format over them."""

from __future__ import annotations

from pathlib import Path

from migrator.errors import ConfigError
from migrator.report.base import Renderer
from migrator.report.html import HtmlRenderer
from migrator.report.jsondoc import JsonRenderer
from migrator.report.markdown import MarkdownRenderer
from migrator.report.table import TableRenderer

#: Every output format, by the name ``--format`` and ``--report FORMAT=FILE`` use.
RENDERERS: dict[str, type[Renderer]] = {
    cls.name: cls for cls in (TableRenderer, JsonRenderer, MarkdownRenderer, HtmlRenderer)
}
FORMAT_NAMES = tuple(RENDERERS)


def render(doc: dict, fmt: str, **options) -> str:
    try:
        cls = RENDERERS[fmt]
    except KeyError:
        raise ConfigError(f"unknown report format {fmt!r}; use one of {', '.join(RENDERERS)}") from None
    return (cls(**options) if cls is TableRenderer else cls()).render(doc)


def write_report(path: str | Path, doc: dict, fmt: str) -> Path:
    text = render(doc, fmt)
    target = Path(path)
    target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return target
