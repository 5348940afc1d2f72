"""The simulated endpoints: request parsing like XPipe's Jackson setup, handlers, and the two dialects.

XPipe 20-23 speaks ``/connection/*``; XPipe 24 renamed those to ``/store/*`` with renamed body fields
and keeps ``/connection/*`` as path aliases that take the 24 bodies (docs/xpipe-api.md §6). Everything else is
the same in both.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from migrator.simulator.crypto import is_secret_value
from migrator.simulator.errors import BadRequest, ServerFailure
from migrator.simulator.java import java_strip, mismatch, parse_request_uuid
from migrator.simulator.stores import BoolKind, StringKind
from migrator.simulator.values import ParseContext

if TYPE_CHECKING:
    from migrator.simulator.server import Simulator

Handler = Callable[["Simulator", dict, "Endpoint"], Any]


@dataclass(frozen=True)
class Endpoint:
    """One HTTP context: its path, request shape and pipeline flags (docs/xpipe-api.md §1.2, §1.5)."""

    path: str
    request_class: str
    """The Java request class as it appears in rewritten Jackson messages."""
    fields: tuple[str, ...]
    """Required (``@NonNull``) request fields, in declaration order."""
    handler: Handler
    requires_enabled_api: bool = True
    requires_auth: bool = True
    requires_startup: bool = True
    storage: bool = False
    """Runs under the vault lock, like XPipe's ``getSynchronizationObject() == DataStorage.get()``."""
    writes: bool = False
    """Changes the vault (add, remove): what ``--fail-writes`` may fail (``simulator.faults``)."""


# ---------------------------------------------------------------------------------------------------
# Request bodies


_TRAILING_COMMA = re.compile(r",\s*(?=[\]}])")


def loads_lenient(raw: bytes) -> Any:
    """Parse a request body like Jackson does: comments and trailing commas allowed, trailing
    content after the first value ignored, NaN/Infinity refused."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"Invalid UTF-8 in request body: {error.reason}") from None
    if "/" in text:
        text = _drop_comments(text)
    if _TRAILING_COMMA.search(text):
        text = _drop_trailing_commas(text)
    text = text.lstrip()

    def refuse_constant(name: str) -> Any:
        raise BadRequest(f"Non-standard token '{name}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS`")

    decoder = json.JSONDecoder(parse_constant=refuse_constant)
    try:
        value, _ = decoder.raw_decode(text)
    except json.JSONDecodeError as error:
        where = f"[line: {error.lineno}, column: {error.colno}]"
        raise BadRequest(f"Unexpected character: {error.msg} at {where}") from None
    return value


def _scan(text: str, on_code: Callable[[str, int, list[str]], int]) -> str:
    """Walk ``text`` copying JSON strings verbatim; ``on_code`` handles every other position."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        else:
            i = on_code(text, i, out)
    return "".join(out)


def _drop_comments(text: str) -> str:
    def on_code(src: str, i: int, out: list[str]) -> int:
        if src.startswith("//", i):
            end = src.find("\n", i)
            return len(src) if end < 0 else end
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise BadRequest("Unexpected end-of-input in a comment")
            out.append(" ")
            return end + 2
        out.append(src[i])
        return i + 1

    return _scan(text, on_code)


def _drop_trailing_commas(text: str) -> str:
    def on_code(src: str, i: int, out: list[str]) -> int:
        match = _TRAILING_COMMA.match(src, i)
        if match:
            return match.end()
        out.append(src[i])
        return i + 1

    return _scan(text, on_code)


def parse_request(endpoint: Endpoint, raw: bytes, major: int) -> dict:
    """The request object the handler receives, or the failure XPipe answers instead."""
    if not endpoint.fields:
        if not raw.strip():
            return {}
        body = loads_lenient(raw)
        return body if isinstance(body, dict) else {}
    if not raw.strip():
        if major >= 24:
            raise BadRequest("Request body must not be empty")
        raise _null_request(endpoint)
    body = loads_lenient(raw)
    if body is None:
        raise _null_request(endpoint)
    if not isinstance(body, dict):
        raise mismatch(endpoint.request_class, body, endpoint.request_class)
    return body


def _null_request(endpoint: Endpoint) -> ServerFailure:
    first = endpoint.fields[0]
    return ServerFailure(
        f'Cannot invoke "{endpoint.request_class}.get{first[:1].upper()}{first[1:]}()" because "msg" is null',
        java_class="java.lang.NullPointerException",
    )


def missing_field(request_class: str, name: str) -> BadRequest:
    """Jackson's ``... is marked non-null but is null`` after XPipe's rewriting (docs/xpipe-api.md §1.5)."""
    return BadRequest(f"Cannot construct instance of `{request_class}`, problem: field {name} is missing from object")


def require_fields(endpoint: Endpoint, body: dict) -> None:
    for name in endpoint.fields:
        if body.get(name) is None:
            raise missing_field(endpoint.request_class, name)


_TEXT = StringKind()
_FLAG = BoolKind()
_NO_CONTEXT = ParseContext(cipher=None, entry_exists=lambda _: False)  # type: ignore[arg-type]


def text(body: dict, name: str, endpoint: Endpoint) -> str:
    return _TEXT.parse(body.get(name), _NO_CONTEXT, f'{endpoint.request_class}["{name}"]')


def flag(body: dict, name: str, endpoint: Endpoint) -> bool:
    return _FLAG.parse(body.get(name), _NO_CONTEXT, f'{endpoint.request_class}["{name}"]')


def uuid_value(body: dict, name: str, endpoint: Endpoint) -> str | None:
    """A UUID field; Jackson reads an empty string as null."""
    value = body.get(name)
    if value is None or value == "":
        return None
    return parse_request_uuid(value, f'{endpoint.request_class}["{name}"]')


def required_uuid(body: dict, name: str, endpoint: Endpoint) -> str:
    value = uuid_value(body, name, endpoint)
    if value is None:
        raise missing_field(endpoint.request_class, name)
    return value


def uuid_list(body: dict, name: str, endpoint: Endpoint) -> list[str]:
    where = f'{endpoint.request_class}["{name}"]'
    value = body.get(name)
    if not isinstance(value, list):
        raise mismatch("java.util.ArrayList<java.util.UUID>", value, where)
    return [parse_request_uuid(item, f"{where}[{i}]") for i, item in enumerate(value)]


# ---------------------------------------------------------------------------------------------------
# Handshake and daemon


def _handshake(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    auth = body.get("auth")
    auth_type = auth.get("type") if isinstance(auth, dict) else None
    if auth_type == "Local":
        if auth.get("authFileContent") is None:
            raise missing_field("io.xpipe.beacon.BeaconAuthMethod$Local", "authFileContent")
        secret = _TEXT.parse(auth["authFileContent"], _NO_CONTEXT, "auth.authFileContent")
        expected = sim.auth_content
    elif auth_type == "ApiKey":
        if auth.get("key") is None:
            raise missing_field("io.xpipe.beacon.BeaconAuthMethod$ApiKey", "key")
        secret = _TEXT.parse(auth["key"], _NO_CONTEXT, "auth.key")
        expected = sim.api_key
    else:
        raise missing_field(endpoint.request_class, "auth")

    client = body.get("client")
    client_type = client.get("type") if isinstance(client, dict) else None
    if client_type == "Api":
        if client.get("name") is None:
            raise missing_field("io.xpipe.beacon.BeaconClientInformation$Api", "name")
    elif client_type not in ("Cli", "Daemon"):
        raise missing_field(endpoint.request_class, "client")

    if expected is None or java_strip(secret) != java_strip(expected):
        raise BadRequest("Authentication failed")
    return {"sessionToken": sim.open_session()}


def _daemon_version(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    return {
        "version": sim.version,
        "canonicalVersion": sim.version.split("-", 1)[0],
        "buildVersion": f"{sim.version}-simulator",
        "jvmVersion": "xpipe-migrate simulator (CPython)",
        "plan": sim.plan,
    }


def _daemon_status(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    return {"mode": "gui"}


# ---------------------------------------------------------------------------------------------------
# Secrets


def _secret_encrypt(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    return {"encrypted": sim.vault.cipher.encrypt(text(body, "value", endpoint))}


def _secret_decrypt(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    node = body["encrypted"]
    if isinstance(node, dict) and "secret" in node and is_secret_value(node["secret"]):
        plain = sim.vault.cipher.decrypt_wrapper(node)
    elif is_secret_value(node):
        plain = sim.vault.cipher.decrypt_value(node)
    else:
        raise BadRequest("Unable to parse secret")
    return {"decrypted": plain if plain is not None else ""}


# ---------------------------------------------------------------------------------------------------
# Stores (connections)


def _glob_failure(error: re.error) -> ServerFailure:
    return ServerFailure(str(error), java_class="java.util.regex.PatternSyntaxException")


def _store_query(entry_filter_field: str) -> Handler:
    def handle(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
        names = ("categoryFilter", entry_filter_field, "typeFilter")
        filters = [text(body, name, endpoint) for name in names]
        try:
            return {"found": sim.vault.query_entries(*filters)}
        except re.error as error:
            raise _glob_failure(error) from None

    return handle


def _store_info(list_field: str, id_key: str) -> Handler:
    def handle(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
        entries = sim.vault.require_entries(uuid_list(body, list_field, endpoint))
        return {"infos": [sim.vault.entry_info(entry.uuid, id_key) for entry in entries]}

    return handle


def _store_add(response_key: str) -> Handler:
    def handle(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
        name = text(body, "name", endpoint)
        validate = flag(body, "validate", endpoint)
        category = uuid_value(body, "category", endpoint)
        return {response_key: sim.vault.add_entry(name, body["data"], validate, category)}

    return handle


def _store_remove(list_field: str) -> Handler:
    def handle(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
        sim.vault.remove_entries(uuid_list(body, list_field, endpoint))
        return None

    return handle


def _store_refresh(field: str) -> Handler:
    def handle(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
        sim.vault.refresh_entry(required_uuid(body, field, endpoint))
        return None

    return handle


# ---------------------------------------------------------------------------------------------------
# Categories


def _category_add(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    name = text(body, "name", endpoint)
    parent = required_uuid(body, "parent", endpoint)
    return {"category": sim.vault.add_category(name, parent)}


def _category_query(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    try:
        return {"found": sim.vault.query_categories(text(body, "filter", endpoint))}
    except re.error as error:
        raise _glob_failure(error) from None


def _category_info(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    categories = sim.vault.require_categories(uuid_list(body, "categories", endpoint))
    return {"infos": [sim.vault.category_info(cat.uuid) for cat in categories]}


def _category_remove(sim: Simulator, body: dict, endpoint: Endpoint) -> Any:
    uuids = uuid_list(body, "categories", endpoint)
    sim.vault.remove_categories(
        uuids, flag(body, "removeChildrenCategories", endpoint), flag(body, "removeContents", endpoint)
    )
    return None


# ---------------------------------------------------------------------------------------------------
# Dialects


def endpoints_for(major: int) -> dict[str, Endpoint]:
    """Path → endpoint for an XPipe of this major version (aliases included)."""
    if major >= 24:
        api = "io.xpipe.app.beacon.api."
    else:
        api = "io.xpipe.beacon.api."
    table: list[Endpoint] = [
        Endpoint(
            "/handshake",
            api + "Handshake",
            ("auth", "client"),
            _handshake,
            requires_enabled_api=False,
            requires_auth=False,
            requires_startup=False,
        ),
        Endpoint(
            "/daemon/version",
            api + "DaemonVersion",
            (),
            _daemon_version,
            requires_enabled_api=False,
            requires_startup=False,
        ),
        Endpoint(
            "/daemon/status",
            api + "DaemonStatus",
            (),
            _daemon_status,
            requires_enabled_api=False,
            requires_startup=False,
        ),
        Endpoint("/secret/encrypt", api + "SecretEncrypt", ("value",), _secret_encrypt),
        Endpoint("/secret/decrypt", api + "SecretDecrypt", ("encrypted",), _secret_decrypt),
        Endpoint("/category/add", api + "CategoryAdd", ("name", "parent"), _category_add, storage=True, writes=True),
        Endpoint("/category/query", api + "CategoryQuery", ("filter",), _category_query, storage=True),
        Endpoint("/category/info", api + "CategoryInfo", ("categories",), _category_info, storage=True),
        Endpoint(
            "/category/remove",
            api + "CategoryRemove",
            ("categories", "removeChildrenCategories", "removeContents"),
            _category_remove,
            storage=True,
            writes=True,
        ),
    ]
    if major >= 24:
        stores = [
            Endpoint(
                "/store/query",
                api + "StoreQuery",
                ("categoryFilter", "storeFilter", "typeFilter"),
                _store_query("storeFilter"),
                storage=True,
            ),
            Endpoint("/store/info", api + "StoreInfo", ("stores",), _store_info("stores", "store"), storage=True),
            Endpoint(
                "/store/add",
                api + "StoreAdd",
                ("name", "data", "validate"),
                _store_add("store"),
                storage=True,
                writes=True,
            ),
            Endpoint(
                "/store/remove", api + "StoreRemove", ("stores",), _store_remove("stores"), storage=True, writes=True
            ),
            Endpoint("/store/refresh", api + "StoreRefresh", ("store",), _store_refresh("store"), storage=True),
        ]
        aliases = [_alias(endpoint, "/connection/" + endpoint.path.rsplit("/", 1)[1]) for endpoint in stores]
        table += stores + aliases
    else:
        table += [
            Endpoint(
                "/connection/query",
                api + "ConnectionQuery",
                ("categoryFilter", "connectionFilter", "typeFilter"),
                _store_query("connectionFilter"),
                storage=True,
            ),
            Endpoint(
                "/connection/info",
                api + "ConnectionInfo",
                ("connections",),
                _store_info("connections", "connection"),
                storage=True,
            ),
            Endpoint(
                "/connection/add",
                api + "ConnectionAdd",
                ("name", "data", "validate"),
                _store_add("connection"),
                storage=True,
                writes=True,
            ),
            Endpoint(
                "/connection/remove",
                api + "ConnectionRemove",
                ("connections",),
                _store_remove("connections"),
                storage=True,
                writes=True,
            ),
            Endpoint(
                "/connection/refresh",
                api + "ConnectionRefresh",
                ("connection",),
                _store_refresh("connection"),
                storage=True,
            ),
        ]
    return {endpoint.path: endpoint for endpoint in table}


def _alias(endpoint: Endpoint, path: str) -> Endpoint:
    return Endpoint(
        path,
        endpoint.request_class,
        endpoint.fields,
        endpoint.handler,
        endpoint.requires_enabled_api,
        endpoint.requires_auth,
        endpoint.requires_startup,
        endpoint.storage,
        endpoint.writes,
    )


def route(table: dict[str, Endpoint], path: str) -> Endpoint | None:
    """JDK HttpServer context matching: the longest context path that prefixes ``path``."""
    best: Endpoint | None = None
    for context, endpoint in table.items():
        if path.startswith(context) and (best is None or len(context) > len(best.path)):
            best = endpoint
    return best


def new_token() -> str:
    return str(uuidlib.uuid4())
