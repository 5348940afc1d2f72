"""Host records as plain JSON data, for comparing a whole host (every field) in one assertion."""

from __future__ import annotations

import dataclasses
import json


def record_text(record) -> str:
    """A record and everything in it as JSON text; a ``SecretStr`` shows as ``**********``."""
    return json.dumps(dataclasses.asdict(record), default=str, ensure_ascii=False)


def record_json(record) -> dict:
    """The JSON form of a record: tuples become lists, secrets ``**********``."""
    return json.loads(record_text(record))
