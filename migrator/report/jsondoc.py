"""JSON: the document itself, for scripts and CI."""

from __future__ import annotations

import json

from migrator.escape import json_console
from migrator.report.base import Renderer


class JsonRenderer(Renderer):
    name = "json"

    def render(self, doc: dict) -> str:
        return json_console(json.dumps(doc, indent=2, ensure_ascii=False))
