"""Parsed store values (:class:`Obj`, entry references, encrypted and secret values) and the
contexts parsing and ``checkComplete`` run in. Equality follows the Java classes (see
``migrator.simulator.stores``, which builds these from JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from migrator.simulator.crypto import VaultCipher

if TYPE_CHECKING:
    from migrator.simulator.stores import TypeSpec

# ---------------------------------------------------------------------------------------------------
# Parsed values


@dataclass(frozen=True)
class EntryRef:
    """A reference to another vault entry; serialized as its UUID string."""

    uuid: str


class Encrypted:
    """An ``EncryptedValue<T>``: the parsed strategy plus the node rawData shows for it."""

    __slots__ = ("value", "node")

    def __init__(self, value: Obj, node: dict):
        self.value = value
        self.node = node

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Encrypted) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Encrypted({self.value.type_id})"


class SecretText:
    """A bare ``SecretValue`` (``default``/``vault``/``locked``) with its plaintext when readable."""

    __slots__ = ("kind", "encrypted_value", "plain")

    def __init__(self, kind: str, encrypted_value: str | None, plain: str | None):
        self.kind = kind
        self.encrypted_value = encrypted_value
        self.plain = plain

    def canon(self) -> tuple:
        if self.plain is not None:
            return ("plain", self.plain)
        return ("cipher", self.kind, self.encrypted_value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and self.canon() == other.canon()

    def __hash__(self) -> int:
        return hash(self.canon())

    def __repr__(self) -> str:
        return f"SecretText({self.kind})"


class Obj:
    """A parsed polymorphic object: a store, strategy, identity value, ..."""

    __slots__ = ("spec", "values", "_canon")

    def __init__(self, spec: TypeSpec, values: dict[str, Any]):
        self.spec = spec
        self.values = values
        self._canon: tuple | None = None

    @property
    def type_id(self) -> str:
        return self.spec.id

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def canon(self) -> tuple:
        if self._canon is None:
            self._canon = (self.spec.base, self.spec.id) + tuple(
                _canon(self.values[name]) for name, _ in self.spec.fields
            )
        return self._canon

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Obj) and self.canon() == other.canon()

    def __hash__(self) -> int:
        return hash(self.canon())

    def __repr__(self) -> str:
        return f"Obj({self.spec.id})"


def _canon(value: Any) -> Any:
    if isinstance(value, Obj):
        return value.canon()
    if isinstance(value, Encrypted):
        return ("encrypted", value.value.canon())
    if isinstance(value, SecretText):
        return value.canon()
    if isinstance(value, EntryRef):
        return ("ref", value.uuid)
    if isinstance(value, list):
        return tuple(_canon(v) for v in value)
    return (type(value).__name__, value)


class Incomplete(Exception):
    """``checkComplete`` failed (XPipe's ValidationException)."""


# ---------------------------------------------------------------------------------------------------
# Contexts


@dataclass
class ParseContext:
    """What parsing needs from the vault: its cipher and which entry UUIDs can be referenced."""

    cipher: VaultCipher
    entry_exists: Callable[[str], bool]


@dataclass
class CheckContext:
    """What ``checkComplete`` needs: the stores of referenced entries and the ssh strictness."""

    resolve: Callable[[str], Obj | None]
    lenient_ssh: bool = False
    visiting: set[str] = field(default_factory=set)
