"""Saved plans: ``plan --job J --out plan.json`` now, ``apply plan.json`` after review.

A saved plan carries fingerprints of the sources, the job, the ledger and the live vault, and no
data: applying one re-reads everything, refuses (exit 3) when any fingerprint changed, and otherwise
applies the identical plan it recomputes.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from migrator.errors import InputError
from migrator.plan.plan import Plan

SAVED_PLAN_SCHEMA = "xpipe-migrate/saved-plan"
SAVED_PLAN_VERSION = 1
_FINGERPRINTS = ("sources", "job", "ledger", "vault")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _SavedChange(_Loose):
    action: StrictStr
    kind: StrictStr
    key: StrictStr


class _SavedDocument(_Loose):
    changes: list[_SavedChange] = Field(default_factory=list)


class _SavedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prune: StrictBool | None = None
    force: StrictBool = False
    adopt: StrictBool = False


class SavedPlan(_Loose):
    """What ``apply`` relies on in a saved plan; a damaged file fails here, once, with the field named."""

    job: StrictStr
    options: _SavedOptions = Field(default_factory=_SavedOptions)
    fingerprints: dict[StrictStr, StrictStr]
    plan: _SavedDocument


def write_saved_plan(path: str | Path, job_file: Path, plan: Plan, document: dict, options: dict | None = None) -> None:
    """``options``: the run flags (prune, force, adopt) the plan was made with, reused when it is applied."""
    doc = {
        "schema": SAVED_PLAN_SCHEMA,
        "version": SAVED_PLAN_VERSION,
        "job": str(Path(job_file).resolve()),
        "options": dict(options or {}),
        "fingerprints": dict(plan.fingerprints),
        "plan": document,
    }
    Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_saved_plan(path: str | Path) -> dict | None:
    """The saved plan at ``path``, or None when the file is not one (then it is a source)."""
    p = Path(path)
    if p.suffix.lower() != ".json" or not p.is_file():
        return None
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SAVED_PLAN_SCHEMA:
        return None
    if doc.get("version") != SAVED_PLAN_VERSION:
        raise InputError(f"{p}: saved plan version {doc.get('version')!r} is not supported")
    try:
        SavedPlan.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "the document"
        raise InputError(
            f"{p}: not a valid saved plan ({where}: {err['msg'].lower()}); make a new plan with "
            "'plan --job JOB --out FILE'"
        ) from None
    return doc


def stale_reason(saved: dict, plan: Plan) -> str | None:
    """Why a saved plan may no longer be applied, or None when it still describes this plan exactly."""
    before = saved.get("fingerprints") or {}
    changed = [name for name in _FINGERPRINTS if before.get(name) != plan.fingerprints.get(name)]
    if changed:
        return f"the saved plan is stale: {', '.join(changed)} changed since it was made; make a new plan"
    want = [(c.get("action"), c.get("kind"), c.get("key")) for c in (saved.get("plan") or {}).get("changes", [])]
    have = [(c.action, c.kind, c.key) for c in plan.changes]
    if want != have:
        return "the saved plan does not match what would be applied now; make a new plan"
    return None
