"""Typed models of what each XPipe endpoint answers, and the check that every answer fits its model.

A server that answers ``{"found": 5}`` or an info with ``"name": 7`` is not XPipe (or a broken one);
without this check such an answer surfaced deep in the planner as a crash. The check raises
:class:`~migrator.errors.ProtocolError` with one line naming the endpoint and the field, never the
server's values: they may carry secrets. Models are strict (``7`` is not a string) and allow extra
keys, so a newer XPipe that adds fields still passes. Shapes: docs/xpipe-api.md §2.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from migrator.errors import ProtocolError

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, StringConstraints(pattern=_UUID)]


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Handshake(_Answer):
    sessionToken: Annotated[str, StringConstraints(min_length=1)] = Field(description="a non-empty string")


class DaemonVersion(_Answer):
    version: str = Field(description="a string")


class Found(_Answer):
    found: list[Uuid] = Field(description="a list of UUID strings")


class _StoreInfo(_Answer):
    category: list[str] = Field(description="a list of strings")
    name: list[str] = Field(description="a list of strings")
    type: str = Field(description="a string")
    rawData: dict[str, Any] = Field(description="an object")


class StoreInfo23(_StoreInfo):
    connection: Uuid = Field(description="a UUID string")


class StoreInfo24(_StoreInfo):
    store: Uuid = Field(description="a UUID string")


class StoreInfos23(_Answer):
    infos: list[StoreInfo23] = Field(description="a list of objects")


class StoreInfos24(_Answer):
    infos: list[StoreInfo24] = Field(description="a list of objects")


class Added23(_Answer):
    connection: Uuid = Field(description="a UUID string")


class Added24(_Answer):
    store: Uuid = Field(description="a UUID string")


class CategoryInfo(_Answer):
    category: Uuid = Field(description="a UUID string")
    name: list[str] = Field(description="a list of strings")
    parentCategory: Uuid | None = Field(default=None, description="a UUID string or null")


class CategoryInfos(_Answer):
    infos: list[CategoryInfo] = Field(description="a list of objects")


class CategoryAdded(_Answer):
    category: Uuid = Field(description="a UUID string")


class Encrypted(_Answer):
    encrypted: dict[str, Any] = Field(description="an object")


class Decrypted(_Answer):
    decrypted: str = Field(description="a string")


STORE_INFOS = {"connection": StoreInfos23, "store": StoreInfos24}
ADDED = {"connection": Added23, "store": Added24}


def check(model: type[_Answer], data: Any, endpoint: str) -> Any:
    """``data`` unchanged when it fits ``model``; otherwise a one-line :class:`ProtocolError`."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_explain(model, exc.errors()[0], endpoint), endpoint=endpoint) from None
    return data


def _explain(model: type[BaseModel], error: dict, endpoint: str) -> str:
    """The first mismatch as ``XPipe's <endpoint> answer: field <path>: expected <what>``.

    Built from the model and the error's location only: pydantic's own message may quote the input.
    """
    head = f"XPipe's {endpoint} answer"
    loc = error.get("loc") or ()
    path: list[str] = []
    what = "a JSON object"
    current: type[BaseModel] | None = model
    for i, part in enumerate(loc):
        if isinstance(part, int):
            if path and i + 1 < len(loc):  # name the item only when a field of it is at fault
                path[-1] += f"[{part}]"
            continue
        fields = current.model_fields if current is not None else {}
        if part not in fields:
            break
        path.append(part)
        what = fields[part].description or "another type"
        current = _inner_model(fields[part].annotation)
    if not path:
        return f"{head}: expected a JSON object"
    if error.get("type") == "missing":
        return f"{head}: field {'.'.join(path)} is missing (expected {what})"
    return f"{head}: field {'.'.join(path)}: expected {what}"


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[Model]`` (or ``Model`` itself), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
