"""References to identities the user chose by name (``identity = "name"``): found in XPipe or an error.

An entry may name an identity that already exists in XPipe instead of the credentials the mapper
turns into one (``EXISTING_IDENTITY`` keys). The planner resolves each name once against the live
vault: exactly one identity of that name is the one; none or several is an error on every entry
that names it (it becomes a conflict, never a guess).
"""

from __future__ import annotations

from migrator.mapper.desired import EXISTING_IDENTITY, DesiredState, EntryRef, iter_placeholders
from migrator.model import Diagnostic
from migrator.plan.model import IDENTITY_TYPES, Plan


class ExternalIdentities:
    """Mixed into the Planner: uses its ``_chosen``, ``_resolved`` and ``_named``."""

    @staticmethod
    def _chosen_identities(state: DesiredState) -> dict[str, list[str]]:
        """Per entry key, the references to identities the user chose by name (``EXISTING_IDENTITY``)."""
        return {
            e.key: [
                p.key
                for p in iter_placeholders(e.data)
                if isinstance(p, EntryRef) and p.key.startswith(EXISTING_IDENTITY)
            ]
            for e in state.entries
        }

    def _external(self, plan: Plan) -> None:
        """Resolve references to identities the user chose by name; a missing one is an error."""
        wanted = {key for keys in self._chosen.values() for key in keys}
        for key in sorted(wanted):
            name = key[len(EXISTING_IDENTITY) :]
            found = [e for e in self._named(name) if e.type in IDENTITY_TYPES]
            if len(found) == 1:
                plan.external[key] = self._resolved[key] = found[0].uuid
            else:
                self._resolved[key] = None
                plan.diagnostics.append(
                    Diagnostic(
                        level="error",
                        code="identity-not-found",
                        entry=name,
                        field="identity",
                        message=f"identity '{name}' "
                        + (
                            "does not exist in XPipe"
                            if not found
                            else f"is ambiguous ({len(found)} identities have that name)"
                        ),
                    )
                )
