"""Lean validated records: slotted dataclasses that check their fields the way pydantic models do.

A source builds one ``Host`` (with its ``Credentials``, ``Provenance`` and ``JumpHop``\\ s) per entry
and a ``Diagnostic`` per finding, 100,000 of them for a large inventory. As pydantic models they
cost about 30 us and 3 KiB each; as slotted dataclasses a few us and a few hundred bytes. The
behaviour sources rely on stays the same: keyword-only construction, and a value of the wrong type
or one a field check refuses raises pydantic's ``ValidationError`` with the same ``loc``, ``type``
and ``msg`` (``Value error, ...``) as before, every bad field in one error.

Each field's type hint is checked exactly (``type(v) is str``), which is what sources pass. Any other
value goes through pydantic's own lax validation for that hint (``TypeAdapter``), so ``port="22"``
is still 22 and ``name=None`` still fails with pydantic's message; a nested record also accepts a
dict of its fields. Lists are copied, as pydantic copies them. Field checks (``@check("name")``)
run on the typed value and may return a normalised one. Records are compared, hashed (``frozen``)
and copied (``dataclasses.replace``, which checks again) as dataclasses.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

_NONE = type(None)
_CHECKS = "__record_checks__"


def check(*names: str):
    """Mark a function ``(value) -> value`` as the check of the named fields; ``ValueError`` refuses."""

    def mark(fn):
        fn.__record_check__ = names
        return staticmethod(fn)

    return mark


def _exact(hint) -> Callable[[Any], bool]:
    """A fast test that ``v`` already is what ``hint`` describes, with no conversion needed."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        tests = [_exact(a) for a in get_args(hint) if a is not _NONE]
        if len(tests) == 1:
            (only,) = tests
            return lambda v: v is None or only(v)
        return lambda v: v is None or any(t(v) for t in tests)
    if origin is Literal:
        allowed = frozenset(get_args(hint))
        return lambda v: type(v) is str and v in allowed
    if origin is list:
        (item,) = get_args(hint)
        if isinstance(item, type) and get_origin(item) is None:
            return lambda v: type(v) is list and all(type(e) is item for e in v)
        test = _exact(item)
        return lambda v: type(v) is list and all(map(test, v))
    if origin is tuple:
        items = get_args(hint)
        if all(a is str for a in items):
            n = len(items)
            return lambda v: type(v) is tuple and len(v) == n and all(type(e) is str for e in v)
        tests = [_exact(a) for a in items]
        return lambda v: type(v) is tuple and len(v) == len(tests) and all(t(e) for t, e in zip(tests, v, strict=True))
    return lambda v: type(v) is hint


@cache
def _adapter(hint) -> TypeAdapter:
    return TypeAdapter(hint)


def _is_record(hint) -> bool:
    return isinstance(hint, type) and hasattr(hint, _CHECKS)


def _errors(exc: ValidationError, loc: tuple) -> list[dict]:
    return [
        {"type": e["type"], "loc": (*loc, *e["loc"]), "input": e["input"], **({"ctx": e["ctx"]} if "ctx" in e else {})}
        for e in exc.errors(include_url=False)
    ]


def _coerce(hint, value, loc: tuple):
    """``value`` converted to ``hint`` as pydantic's lax mode would; ``ValidationError`` with ``loc`` if not."""
    origin = get_origin(hint)
    if _is_record(hint):
        if isinstance(value, hint):
            return value
        if isinstance(value, dict):
            try:
                return hint(**value)
            except ValidationError as exc:
                raise ValidationError.from_exception_data(exc.title, _errors(exc, loc)) from None
        raise ValidationError.from_exception_data(
            hint.__name__,
            [{"type": "model_type", "loc": loc, "input": value, "ctx": {"class_name": hint.__name__}}],
        )
    if origin is list and _is_record(get_args(hint)[0]):
        if not isinstance(value, (list, tuple)):
            raise ValidationError.from_exception_data("list", [{"type": "list_type", "loc": loc, "input": value}])
        out, problems = [], []
        for i, v in enumerate(value):
            try:
                out.append(_coerce(get_args(hint)[0], v, (*loc, i)))
            except ValidationError as exc:
                problems += _errors(exc, ())
        if problems:
            raise ValidationError.from_exception_data("list", problems)
        return out
    try:
        return _adapter(hint).validate_python(value)
    except ValidationError as exc:
        raise ValidationError.from_exception_data(exc.title, _errors(exc, loc)) from None


def _plain(hint) -> frozenset:
    """The classes whose instances ``hint`` takes as they are (``str``, ``int | None``); empty otherwise."""
    if isinstance(hint, type) and get_origin(hint) is None:
        return frozenset((hint,))
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = get_args(hint)
        if all(isinstance(a, type) and get_origin(a) is None for a in args):
            return frozenset(args)
    return frozenset()


class _Field:
    __slots__ = ("name", "hint", "plain", "exact", "copy", "checks")

    def __init__(self, name: str, hint, checks: list):
        self.name, self.hint, self.checks = name, hint, tuple(checks)
        self.plain = _plain(hint)
        self.exact = _exact(hint)
        self.copy = get_origin(hint) is list


def _validate(self) -> None:
    """``__post_init__`` of every record: type each field, run its checks, raise all problems at once."""
    problems = None
    setter = object.__setattr__
    for f in getattr(type(self), _CHECKS):
        value = getattr(self, f.name)
        if type(value) in f.plain:
            if not f.checks:
                continue
        elif f.exact(value):
            if f.copy:
                value = list(value)
                setter(self, f.name, value)
        else:
            try:
                value = _coerce(f.hint, value, (f.name,))
            except ValidationError as exc:
                problems = (problems or []) + _errors(exc, ())
                continue
            setter(self, f.name, value)
        for fn in f.checks:
            try:
                checked = fn(value)
            except ValueError as exc:
                problem = {"type": "value_error", "loc": (f.name,), "input": value, "ctx": {"error": exc}}
                problems = (problems or []) + [problem]
                break
            if checked is not value:
                value = checked
                setter(self, f.name, value)
    if problems:
        raise ValidationError.from_exception_data(type(self).__name__, problems)


def record(cls=None, *, frozen: bool = False):
    """Make ``cls`` a keyword-only slotted dataclass whose fields are checked on construction."""

    def wrap(cls):
        checks: dict[str, list] = {}
        for value in list(vars(cls).values()):
            fn = getattr(value, "__func__", None)
            for name in getattr(fn, "__record_check__", ()):
                checks.setdefault(name, []).append(fn)
        cls.__post_init__ = _validate
        out = dataclasses.dataclass(cls, frozen=frozen, slots=True, kw_only=True)
        hints = typing.get_type_hints(out, globalns=vars(sys.modules[out.__module__]))
        fields = [_Field(f.name, hints[f.name], checks.pop(f.name, [])) for f in dataclasses.fields(out)]
        if checks:
            raise TypeError(f"{cls.__name__}: checks for unknown fields {sorted(checks)}")
        setattr(out, _CHECKS, tuple(fields))
        return out

    return wrap if cls is None else wrap(cls)


__all__ = ["check", "record"]
