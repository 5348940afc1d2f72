"""Lean validated records: slotted dataclasses that check their fields the way pydantic models do.

A source builds one ``Host`` (with its ``Credentials``, ``Provenance`` and ``JumpHop``\\ s) per entry
and a ``Diagnostic`` per finding, 100,000 of them for a large inventory. As pydantic models they
cost about 30 us and 3 KiB each; as slotted dataclasses a few us and a few hundred bytes. The
behaviour sources rely on stays the same: keyword-only construction, and a value of the wrong type
or one a field check refuses raises pydantic's ``ValidationError`` with the same ``loc``, ``type``
and ``msg`` (``Value error, ...``) as before, every bad field in one error.

Each field's type hint is checked exactly (``type(v) is str``), which is what sources pass, by a
``__post_init__`` written out per class. Any other value goes through pydantic's own lax
validation for that hint (``TypeAdapter``), so ``port="22"`` is still 22 and ``name=None`` still
fails with pydantic's message; a nested record also accepts a dict of its fields. Lists are
copied, as pydantic copies them. Field checks (``@check("name")``) run on the typed value and may
return a normalised one. Records are compared, hashed (``frozen``) and copied
(``dataclasses.replace``, which checks again) as dataclasses. Unlike a pydantic model, an unknown
keyword is a ``TypeError``, not silently dropped.
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


def _checked(self, f: _Field, value, problems: list | None) -> list | None:
    """Run the checks of field ``f`` on its typed ``value``; a refusal is added to ``problems``."""
    for fn in f.checks:
        try:
            checked = fn(value)
        except ValueError as exc:
            problem = {"type": "value_error", "loc": (f.name,), "input": value, "ctx": {"error": exc}}
            return (problems or []) + [problem]
        if checked is not value:
            value = checked
            object.__setattr__(self, f.name, value)
    return problems


def _slow(self, f: _Field, problems: list | None) -> list | None:
    """A value that is not exactly of its field's type: pydantic's lax conversion, then the checks."""
    try:
        value = _coerce(f.hint, getattr(self, f.name), (f.name,))
    except ValidationError as exc:
        return (problems or []) + _errors(exc, ())
    object.__setattr__(self, f.name, value)
    return _checked(self, f, value, problems)


def _raise(self, problems: list) -> None:
    raise ValidationError.from_exception_data(type(self).__name__, problems)


def _post_init(fields: tuple[_Field, ...]):
    """``__post_init__`` for these fields, written out like dataclasses writes ``__init__``: each field's
    exact-type test and checks inline, the general path (``_slow``) only for other values."""
    env: dict = {"_slow": _slow, "_checked": _checked, "_raise": _raise, "_set": object.__setattr__}
    lines = ["def __post_init__(self):", "    problems = None"]
    for i, f in enumerate(fields):
        env[f"_F{i}"] = f
        origin, args = get_origin(f.hint), get_args(f.hint)
        if len(f.plain) == 1:
            (env[f"_T{i}"],) = f.plain
            test = f"type(v) is _T{i}"
        elif f.plain:
            env[f"_P{i}"] = f.plain
            test = f"type(v) in _P{i}"
        elif origin is list and isinstance(args[0], type) and get_origin(args[0]) is None:
            env[f"_T{i}"] = args[0]
            test = f"type(v) is list and all(type(e) is _T{i} for e in v)"
        else:
            env[f"_E{i}"] = f.exact
            test = f"_E{i}(v)"
        body = ["        v = list(v)", f"        _set(self, {f.name!r}, v)"] if f.copy else []
        if len(f.checks) == 1:
            env[f"_C{i}"] = f.checks[0]
            body += [
                "        try:",
                f"            c = _C{i}(v)",
                "        except ValueError:",
                f"            problems = _checked(self, _F{i}, v, problems)",
                "        else:",
                "            if c is not v:",
                f"                _set(self, {f.name!r}, c)",
            ]
        elif f.checks:
            body.append(f"        problems = _checked(self, _F{i}, v, problems)")
        lines += [f"    v = self.{f.name}", f"    if {test}:", *(body or ["        pass"])]
        lines += ["    else:", f"        problems = _slow(self, _F{i}, problems)"]
    lines += ["    if problems:", "        _raise(self, problems)"]
    exec("\n".join(lines), env)  # the text is made here from field names only
    return env["__post_init__"]


def record(cls=None, *, frozen: bool = False):
    """Make ``cls`` a keyword-only slotted dataclass whose fields are checked on construction."""

    def wrap(cls):
        checks: dict[str, list] = {}
        for value in list(vars(cls).values()):
            fn = getattr(value, "__func__", None)
            for name in getattr(fn, "__record_check__", ()):
                checks.setdefault(name, []).append(fn)
        cls.__post_init__ = None  # so the generated __init__ calls it; replaced once the hints resolve
        out = dataclasses.dataclass(cls, frozen=frozen, slots=True, kw_only=True)
        hints = typing.get_type_hints(out, globalns=vars(sys.modules[out.__module__]))
        fields = tuple(_Field(f.name, hints[f.name], checks.pop(f.name, [])) for f in dataclasses.fields(out))
        if checks:
            raise TypeError(f"{cls.__name__}: checks for unknown fields {sorted(checks)}")
        setattr(out, _CHECKS, fields)
        out.__post_init__ = _post_init(fields)
        return out

    return wrap if cls is None else wrap(cls)


__all__ = ["check", "record"]
