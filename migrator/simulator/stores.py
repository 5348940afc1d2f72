"""Store data as XPipe parses, compares, completes and serializes it (docs/xpipe-api.md §1.6, §3).

A store JSON object becomes an :class:`Obj` (type id + field values) by the rules of XPipe's Jackson
configuration:

* unknown properties are ignored, so only the declared fields below survive;
* an unknown or missing ``"type"`` on a polymorphic value, or a non-object where one is expected,
  yields ``None`` silently; at the top level the caller turns that into
  ``400 Unable to parse store data into valid store``;
* scalars are coerced like Jackson does (``"22"`` → 22, ``22`` → ``"22"``); impossible coercions
  (an object for a string, ``"abc"`` for a number) raise :class:`BadRequest`;
* entry references (``gateway``, identity ``ref``) are a UUID string or ``{"storeId": uuid}``; one
  that names no entry becomes ``None``;
* ``EncryptedValue`` fields accept the encrypted wrapper (decrypted with the vault key; the client's
  node is kept verbatim for rawData), a bare legacy secret value, or the raw strategy JSON (which the
  vault then encrypts itself); anything unreadable becomes ``None``.

Equality follows the Java classes: same type id and equal fields, where encrypted values compare by
their decrypted content and secret values by plaintext, never by ciphertext.

The ``ssh`` store is closed source in XPipe; its fields are the documented ones and its
``checkComplete`` is inferred (see the package docstring).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrator.simulator.crypto import is_secret_value
from migrator.simulator.errors import BadRequest
from migrator.simulator.java import compact_json, java_blank, mismatch, parse_ref_uuid
from migrator.simulator.values import CheckContext, Encrypted, EntryRef, Incomplete, Obj, ParseContext, SecretText
from migrator.xpipe.constants import LOCAL_MACHINE

# ---------------------------------------------------------------------------------------------------
# Field kinds


class Kind:
    """How one declared field is parsed from and written to JSON."""

    def missing(self) -> Any:
        return None

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        return value


class StringKind(Kind):
    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if node is None or isinstance(node, str):
            return node
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, (int, float)):
            return str(node)
        raise mismatch("java.lang.String", node, where)


class PathKind(StringKind):
    """A ``ContextualFileReference``: a string with ``/`` separators."""

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        text = super().parse(node, ctx, where)
        return text.replace("\\", "/") if text is not None else None


class IntKind(Kind):
    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if node is None:
            return None
        if isinstance(node, bool) or isinstance(node, (dict, list)):
            raise mismatch("java.lang.Integer", node, where)
        if isinstance(node, float):
            if not math.isfinite(node):
                raise mismatch("java.lang.Integer", node, where)
            node = int(node)
        if isinstance(node, str):
            text = node.strip()
            if not text:
                return None
            if not re.fullmatch(r"[+-]?\d+", text):
                raise BadRequest(
                    f'Cannot deserialize value of type `java.lang.Integer` from String "{node}": '
                    f"not a valid `java.lang.Integer` value (through reference chain: {where})"
                )
            node = int(text)
        if not -(2**31) <= node < 2**31:
            raise BadRequest(f"Numeric value ({node}) out of range of int (through reference chain: {where})")
        return node


class BoolKind(Kind):
    """A primitive ``boolean``: missing or null means false."""

    def missing(self) -> Any:
        return False

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if node is None:
            return False
        if isinstance(node, bool):
            return node
        if isinstance(node, int):
            return node != 0
        if isinstance(node, str) and node.strip().lower() in ("true", "false", ""):
            return node.strip().lower() == "true"
        raise mismatch("boolean", node, where)


class RefKind(Kind):
    """A ``DataStoreEntryRef``."""

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if isinstance(node, dict):
            node = node.get("storeId")
        if not isinstance(node, str) or java_blank(node):
            return None
        uuid = parse_ref_uuid(node)
        return EntryRef(uuid) if ctx.entry_exists(uuid) else None

    def dump(self, value: Any) -> Any:
        return value.uuid if value is not None else None


class RefListKind(Kind):
    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if node is None:
            return None
        if not isinstance(node, list):
            raise mismatch("java.util.ArrayList<io.xpipe.app.storage.DataStoreEntryRef>", node, where)
        return [_REF.parse(item, ctx, f"{where}[{i}]") for i, item in enumerate(node)]

    def dump(self, value: Any) -> Any:
        return [_REF.dump(item) for item in value] if value is not None else None


class PolyKind(Kind):
    """A polymorphic value of ``base``; ``allowed`` narrows it to a concrete declared class."""

    def __init__(self, base: str, allowed: tuple[str, ...] | None = None):
        self.base = base
        self.allowed = allowed

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        return parse_poly(node, self.base, ctx, where, self.allowed)

    def dump(self, value: Any) -> Any:
        return dump_obj(value) if value is not None else None


class EncryptedKind(Kind):
    """An ``EncryptedValue<T>`` of the polymorphic ``base`` (docs/xpipe-api.md §3.6)."""

    def __init__(self, base: str):
        self.base = base

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if not isinstance(node, dict):
            return None
        if is_secret_value(node):
            plain, original = ctx.cipher.decrypt_value(node), None
        elif "secret" in node:
            plain, original = ctx.cipher.decrypt_wrapper(node), node
        else:
            value = parse_poly(node, self.base, ctx, where)
            if value is None:
                return None
            return Encrypted(value, ctx.cipher.encrypt(compact_json(dump_obj(value))))
        if plain is None:
            return None
        try:
            decoded = json.loads(plain)
        except ValueError:
            raise BadRequest(
                f"Unable to parse the decrypted secret as JSON (through reference chain: {where})"
            ) from None
        value = parse_poly(decoded, self.base, ctx, where)
        if value is None:
            return None
        if original is None:
            original = ctx.cipher.encrypt(compact_json(dump_obj(value)))
        return Encrypted(value, original)

    def dump(self, value: Any) -> Any:
        return json.loads(json.dumps(value.node)) if value is not None else None


class SecretValueKind(Kind):
    """A bare ``SecretValue``; ``allowed`` are the accepted type ids (``default`` only for in-place)."""

    def __init__(self, allowed: tuple[str, ...]):
        self.allowed = allowed

    def parse(self, node: Any, ctx: ParseContext, where: str) -> Any:
        if not isinstance(node, dict) or node.get("type") not in self.allowed:
            return None
        encrypted_value = _STRING.parse(node.get("encryptedValue"), ctx, f"{where}.encryptedValue")
        return SecretText(node["type"], encrypted_value, ctx.cipher.decrypt_value(node))

    def dump(self, value: Any) -> Any:
        if value is None:
            return None
        return {"type": value.kind, "encryptedValue": value.encrypted_value}


_STRING = StringKind()
_PATH = PathKind()
_INT = IntKind()
_BOOL = BoolKind()
_REF = RefKind()

# ---------------------------------------------------------------------------------------------------
# Type registry


@dataclass
class TypeSpec:
    """One ``@JsonTypeName`` class: its base, declared fields and ``checkComplete``."""

    base: str
    id: str
    fields: list[tuple[str, Kind]]
    check: Callable[[Obj, CheckContext], None] | None = None
    usage_category: str | None = None


REGISTRY: dict[str, dict[str, TypeSpec]] = {}

STORE = "store"
SECRET_STRATEGY = "secretStrategy"
SSH_IDENTITY = "sshIdentity"
IDENTITY_VALUE = "identityValue"
CERT_IMPL = "shortLivedCertImpl"
SECURITY_KEY = "securityKey"

IDENTITY_STORE_TYPES = ("localIdentity", "syncedIdentity", "passwordManagerIdentity", "multiIdentity")
SHELL_STORE_TYPES = ("ssh", "local")


def register(
    base: str,
    type_id: str,
    fields: list[tuple[str, Kind]] | None = None,
    *,
    check: Callable[[Obj, CheckContext], None] | None = None,
    usage_category: str | None = None,
) -> None:
    REGISTRY.setdefault(base, {})[type_id] = TypeSpec(base, type_id, fields or [], check, usage_category)


def parse_poly(
    node: Any, base: str, ctx: ParseContext, where: str, allowed: tuple[str, ...] | None = None
) -> Obj | None:
    if not isinstance(node, dict):
        return None
    type_id = node.get("type")
    spec = REGISTRY[base].get(type_id) if isinstance(type_id, str) else None
    if spec is None or (allowed is not None and type_id not in allowed):
        return None
    values = {}
    for name, kind in spec.fields:
        values[name] = kind.parse(node[name], ctx, f"{where}.{name}") if name in node else kind.missing()
    return Obj(spec, values)


def dump_obj(obj: Obj) -> dict:
    out: dict[str, Any] = {"type": obj.type_id}
    for name, kind in obj.spec.fields:
        out[name] = kind.dump(obj.values[name])
    return out


def parse_store(data: Any, ctx: ParseContext) -> Obj:
    """The top-level ``data`` of an add request; 400 when it is no known store."""
    store = parse_poly(data, STORE, ctx, "data")
    if store is None:
        raise BadRequest("Unable to parse store data into valid store")
    return store


def raw_data(store: Obj) -> dict:
    """``rawData`` of an info response: the store JSON without its top-level ``type``."""
    out = dump_obj(store)
    del out["type"]
    return out


def check_complete(obj: Obj, ctx: CheckContext) -> None:
    """Raise :class:`Incomplete` when ``obj`` (or what it needs) is incomplete."""
    if obj.spec.check is not None:
        obj.spec.check(obj, ctx)


def referenced_entries(obj: Any) -> set[str]:
    """Every entry UUID referenced anywhere in ``obj``."""
    found: set[str] = set()
    _collect_refs(obj, found)
    return found


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, EntryRef):
        found.add(value.uuid)
    elif isinstance(value, Obj):
        for item in value.values.values():
            _collect_refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, found)


def without_refs(obj: Obj, removed: set[str]) -> Obj:
    """``obj`` with every reference to a ``removed`` entry replaced by ``None`` (same object if none).

    Encrypted strategies never hold entry references, so they are left as they are.
    """
    changed = False
    values = {}
    for name, value in obj.values.items():
        new = _strip_ref(value, removed)
        changed = changed or new is not value
        values[name] = new
    return Obj(obj.spec, values) if changed else obj


def _strip_ref(value: Any, removed: set[str]) -> Any:
    if isinstance(value, EntryRef):
        return None if value.uuid in removed else value
    if isinstance(value, Obj):
        return without_refs(value, removed)
    if isinstance(value, list):
        new = [_strip_ref(item, removed) for item in value]
        return new if any(a is not b for a, b in zip(new, value, strict=True)) else value
    return value


def display_parent(store: Obj) -> str | None:
    """The entry an ``ssh`` store is shown under: its gateway, unless that is the local machine."""
    if store.type_id != "ssh":
        return None
    gateway = store["gateway"]
    if gateway is None or gateway.uuid == LOCAL_MACHINE:
        return None
    return gateway.uuid


# ---------------------------------------------------------------------------------------------------
# checkComplete rules


def _require(value: Any, label: str) -> None:
    if value is None or (isinstance(value, str) and java_blank(value)):
        raise Incomplete(f"{label} must not be empty")


def _check_nested(value: Any, ctx: CheckContext) -> None:
    if isinstance(value, Encrypted):
        check_complete(value.value, ctx)
    elif isinstance(value, Obj):
        check_complete(value, ctx)


def _check_fields(*names: str) -> Callable[[Obj, CheckContext], None]:
    def check(obj: Obj, ctx: CheckContext) -> None:
        for name in names:
            _require(obj[name], name)
            _check_nested(obj[name], ctx)

    return check


def _check_ssh(obj: Obj, ctx: CheckContext) -> None:
    _require(obj["host"], "Host")
    port = obj["port"]
    if port is None or not 1 <= port <= 65535:
        raise Incomplete("Port must be between 1 and 65535")
    if not ctx.lenient_ssh:
        _require(obj["gateway"], "Gateway")
    if obj["identity"] is not None:
        check_complete(obj["identity"], ctx)


def _check_identity_store(obj: Obj, ctx: CheckContext) -> None:
    _check_nested(obj.get("password"), ctx)
    _check_nested(obj.get("sshIdentity"), ctx)


def _check_synced_identity(obj: Obj, ctx: CheckContext) -> None:
    _check_identity_store(obj, ctx)
    key = obj["sshIdentity"]
    if key is not None and key.value.type_id == "file":
        path = key.value["file"] or ""
        if not path.startswith("<DATA>/"):
            raise Incomplete("Key file is not synced")


def _check_password_manager_identity(obj: Obj, ctx: CheckContext) -> None:
    _require(obj["key"], "Key")
    _check_nested(obj["sshKey"], ctx)


def _check_multi_identity(obj: Obj, ctx: CheckContext) -> None:
    identities = obj["identities"]
    if not identities or any(ref is None for ref in identities):
        raise Incomplete("Identities must not be empty")


def _check_inplace_identity(obj: Obj, ctx: CheckContext) -> None:
    _require(obj["identityStore"], "Identity")


def _check_ref_identity(obj: Obj, ctx: CheckContext) -> None:
    ref = obj["ref"]
    _require(ref, "Identity")
    if ref.uuid in ctx.visiting:
        return
    target = ctx.resolve(ref.uuid)
    if target is None or target.type_id not in IDENTITY_STORE_TYPES:
        raise Incomplete("Identity must not be empty")
    ctx.visiting.add(ref.uuid)
    try:
        check_complete(target, ctx)
    finally:
        ctx.visiting.discard(ref.uuid)


# ---------------------------------------------------------------------------------------------------
# The supported types

_SECRET = PolyKind(SECRET_STRATEGY)
_INPLACE_VALUE = SecretValueKind(("default",))
_ANY_SECRET_VALUE = SecretValueKind(("default", "vault", "locked"))

register(SECRET_STRATEGY, "none")
register(SECRET_STRATEGY, "prompt")
register(SECRET_STRATEGY, "inPlace", [("value", _INPLACE_VALUE)], check=_check_fields("value"))
register(SECRET_STRATEGY, "passwordManager", [("key", _STRING)], check=_check_fields("key"))
register(SECRET_STRATEGY, "customCommand", [("command", _STRING)], check=_check_fields("command"))

register(CERT_IMPL, "openBao", [("role", _STRING)])
register(CERT_IMPL, "hashicorpVault", [("role", _STRING)])
register(CERT_IMPL, "custom", [("command", _STRING)])
register(SECURITY_KEY, "yubikeyPiv")
register(SECURITY_KEY, "openSc")
register(SECURITY_KEY, "macOsKeychain")
register(SECURITY_KEY, "customLibrary", [("file", _PATH)])

register(SSH_IDENTITY, "none")
register(SSH_IDENTITY, "otherExternal")
register(
    SSH_IDENTITY,
    "file",
    [("file", _PATH), ("password", _SECRET), ("publicKey", _STRING)],
    check=_check_fields("file", "password"),
)
register(
    SSH_IDENTITY,
    "inPlaceKey",
    [("key", _ANY_SECRET_VALUE), ("publicKey", _STRING), ("password", _SECRET)],
    check=_check_fields("key", "password"),
)
for _agent in ("sshAgent", "pageant", "customAgent", "gpgAgent"):
    register(SSH_IDENTITY, _agent, [("publicKey", _STRING)])
register(SSH_IDENTITY, "passwordManagerAgent", [("identifier", _STRING)], check=_check_fields("identifier"))
register(
    SSH_IDENTITY,
    "certificateFile",
    [("file", _PATH), ("password", _SECRET), ("certificate", _PATH), ("shortLivedCertImpl", PolyKind(CERT_IMPL))],
    check=_check_fields("file", "password", "certificate"),
)
register(
    SSH_IDENTITY,
    "hardwareSecurityKey",
    [("securityKey", PolyKind(SECURITY_KEY)), ("publicKey", _STRING)],
    check=_check_fields("securityKey"),
)

register(
    IDENTITY_VALUE, "inPlace", [("identityStore", PolyKind(STORE, ("localIdentity",)))], check=_check_inplace_identity
)
register(IDENTITY_VALUE, "ref", [("ref", _REF)], check=_check_ref_identity)

register(STORE, "local", usage_category="shell")
register(
    STORE,
    "ssh",
    [
        ("host", _STRING),
        ("port", _INT),
        ("gateway", _REF),
        ("identity", PolyKind(IDENTITY_VALUE)),
        ("jumpServer", _BOOL),
        ("dontInteractWithSystem", _BOOL),
        ("forwardX11", _BOOL),
        ("additionalOptions", _STRING),
    ],
    check=_check_ssh,
    usage_category="shell",
)
register(
    STORE,
    "localIdentity",
    [("username", _STRING), ("password", EncryptedKind(SECRET_STRATEGY)), ("sshIdentity", EncryptedKind(SSH_IDENTITY))],
    check=_check_identity_store,
    usage_category="identity",
)
register(
    STORE,
    "syncedIdentity",
    [
        ("username", _STRING),
        ("password", EncryptedKind(SECRET_STRATEGY)),
        ("sshIdentity", EncryptedKind(SSH_IDENTITY)),
        ("perUser", _BOOL),
    ],
    check=_check_synced_identity,
    usage_category="identity",
)
register(
    STORE,
    "passwordManagerIdentity",
    [("key", _STRING), ("sshKey", PolyKind(SSH_IDENTITY, ("passwordManagerAgent",))), ("perUser", _BOOL)],
    check=_check_password_manager_identity,
    usage_category="identity",
)
register(
    STORE,
    "multiIdentity",
    [("identities", RefListKind()), ("perUser", _BOOL)],
    check=_check_multi_identity,
    usage_category="identity",
)


def initial_state(store: Obj | None) -> dict:
    """The persistent state an entry starts with: ``ShellStoreState`` for shells, else empty."""
    if store is not None and store.type_id in SHELL_STORE_TYPES:
        return {"osType": None, "osName": None, "shellDialect": None, "ttyState": None, "running": False}
    return {}
