"""Reports: documents (``document``, ``migrator.audit``) and one renderer per format over them."""

from __future__ import annotations

import importlib
from pathlib import Path

from migrator.errors import ConfigError
from migrator.report.base import Renderer

#: Every output format, by the name ``--format`` and ``--report FORMAT=FILE`` use, and its renderer
#: (imported when used: a run renders one or two formats).
RENDERERS: dict[str, str] = {
    "table": "migrator.report.table:TableRenderer",
    "json": "migrator.report.jsondoc:JsonRenderer",
    "markdown": "migrator.report.markdown:MarkdownRenderer",
    "html": "migrator.report.html:HtmlRenderer",
}
FORMAT_NAMES = tuple(RENDERERS)


def renderer_class(fmt: str) -> type[Renderer]:
    try:
        module, _, name = RENDERERS[fmt].partition(":")
    except KeyError:
        raise ConfigError(f"unknown report format {fmt!r}; use one of {', '.join(RENDERERS)}") from None
    return getattr(importlib.import_module(module), name)


def render(doc: dict, fmt: str, **options) -> str:
    """The document in format ``fmt``; ``options`` (verbose, colour, ...) are the table renderer's."""
    cls = renderer_class(fmt)
    return (cls(**options) if fmt == "table" else cls()).render(doc)


def write_report(path: str | Path, doc: dict, fmt: str) -> Path:
    text = render(doc, fmt)
    target = Path(path)
    target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return target
