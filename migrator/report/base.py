"""The renderer contract: one class per output format, each rendering every kind of document."""

from __future__ import annotations

from typing import ClassVar

from migrator.model import Diagnostic

PLAN_KIND, AUDIT_KIND, INVENTORY_KIND = "plan", "audit", "inventory"


def document_kind(doc: dict) -> str:
    schema = str(doc.get("schema") or "")
    if schema.endswith("/audit"):
        return AUDIT_KIND
    if schema.endswith("/inventory"):
        return INVENTORY_KIND
    return PLAN_KIND


def diagnostics_of(doc: dict) -> list[Diagnostic]:
    return [Diagnostic(**d) for d in doc.get("diagnostics") or []]


class Renderer:
    """Turns a report document into text; ``render`` picks the method for the document's kind."""

    name: ClassVar[str]

    def render(self, doc: dict) -> str:
        return getattr(self, document_kind(doc))(doc)

    def plan(self, doc: dict) -> str:
        raise NotImplementedError

    def audit(self, doc: dict) -> str:
        raise NotImplementedError

    def inventory(self, doc: dict) -> str:
        raise NotImplementedError
