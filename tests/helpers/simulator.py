"""Raw-HTTP helpers for the simulator tests (no project client: plain ``requests``, no redirects)."""

from __future__ import annotations

import json
from typing import Any

import requests

from migrator.xpipe.constants import DEFAULT_CATEGORY, LOCAL_IDENTITIES, LOCAL_MACHINE
from migrator.xpipe.inplace import encode_inplace

VERSIONS = ["23.8", "24.0"]
TIMEOUT = 10


class Api:
    """Speaks one XPipe dialect over HTTP to a running simulator."""

    def __init__(self, sim: Any, token: str | None = None):
        self.sim = sim
        self.http = requests.Session()
        self.token = token
        self.v24 = sim.major >= 24

    # ---------------------------------------------------------------- raw access

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict | None = None,
        auth: bool = True,
        method: str = "POST",
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if auth and self.token is not None and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (None if body is None else _json_bytes(body))
        return self.http.request(
            method, self.sim.url + path, data=data, headers=all_headers, allow_redirects=False, timeout=TIMEOUT
        )

    def ok(self, path: str, body: Any = None) -> Any:
        response = self.post(path, body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def login_key(self) -> str:
        response = self.post("/handshake", handshake_key(self.sim.api_key), auth=False)
        assert response.status_code == 200, response.text
        self.token = response.json()["sessionToken"]
        return self.token

    # ---------------------------------------------------------------- dialect-aware helpers

    def path(self, action: str) -> str:
        return ("/store/" if self.v24 else "/connection/") + action

    @property
    def id_key(self) -> str:
        return "store" if self.v24 else "connection"

    def add_response(
        self, name: str, data: dict, *, validate: bool = False, category: str | None = DEFAULT_CATEGORY
    ) -> requests.Response:
        body: dict[str, Any] = {"name": name, "data": data, "validate": validate}
        if category is not None:
            body["category"] = category
        return self.post(self.path("add"), body)

    def add(self, name: str, data: dict, *, validate: bool = False, category: str | None = DEFAULT_CATEGORY) -> str:
        response = self.add_response(name, data, validate=validate, category=category)
        assert response.status_code == 200, response.text
        return response.json()[self.id_key]

    def query(self, category: str = "**", name: str = "**", type_filter: str = "*") -> list[str]:
        key = "storeFilter" if self.v24 else "connectionFilter"
        body = {"categoryFilter": category, key: name, "typeFilter": type_filter}
        return self.ok(self.path("query"), body)["found"]

    def info_response(self, uuids: list[str]) -> requests.Response:
        return self.post(self.path("info"), {("stores" if self.v24 else "connections"): uuids})

    def info(self, uuids: list[str]) -> list[dict]:
        response = self.info_response(uuids)
        assert response.status_code == 200, response.text
        return response.json()["infos"]

    def one(self, uuid: str) -> dict:
        return self.info([uuid])[0]

    def remove_response(self, uuids: list[str]) -> requests.Response:
        return self.post(self.path("remove"), {("stores" if self.v24 else "connections"): uuids})

    def refresh_response(self, uuid: str) -> requests.Response:
        return self.post(self.path("refresh"), {("store" if self.v24 else "connection"): uuid})

    def add_category(self, name: str, parent: str) -> str:
        return self.ok("/category/add", {"name": name, "parent": parent})["category"]

    def category_query(self, glob: str) -> list[str]:
        return self.ok("/category/query", {"filter": glob})["found"]

    def encrypt(self, value: str) -> dict:
        return self.ok("/secret/encrypt", {"value": value})["encrypted"]

    def decrypt(self, node: Any) -> str:
        return self.ok("/secret/decrypt", {"encrypted": node})["decrypted"]


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")


def handshake_local(content: str) -> dict:
    return {"auth": {"type": "Local", "authFileContent": content}, "client": {"type": "Api", "name": "tests"}}


def handshake_key(key: str) -> dict:
    return {"auth": {"type": "ApiKey", "key": key}, "client": {"type": "Api", "name": "tests"}}


def local_identity(username: str | None = "deploy", *, password: Any = None, key: Any = None) -> dict:
    return {
        "type": "localIdentity",
        "username": username,
        "password": password if password is not None else {"type": "none"},
        "sshIdentity": key if key is not None else {"type": "none"},
    }


def inplace_password(plain: str) -> dict:
    return {"type": "inPlace", "value": encode_inplace(plain)}


def ssh(
    host: str, *, port: int = 22, gateway: str | None = LOCAL_MACHINE, identity: Any = "default", **extra: Any
) -> dict:
    if identity == "default":
        identity = {"type": "inPlace", "identityStore": local_identity()}
    data = {
        "type": "ssh",
        "host": host,
        "port": port,
        "gateway": gateway,
        "identity": identity,
        "jumpServer": False,
        "dontInteractWithSystem": False,
        "forwardX11": False,
        "additionalOptions": None,
    }
    data.update(extra)
    return data


def identity_ref(uuid: str) -> dict:
    return {"type": "ref", "ref": uuid}


IDENTITY_CATEGORY = LOCAL_IDENTITIES


def unknown_entry(api: Api, uuid: str) -> str:
    """XPipe's 400 message for an unknown entry: 23.x ``Unknown connection: <uuid>``, 24 writes
    ``Unknown  store: <uuid>`` (two spaces)."""
    return ("Unknown  store: " if api.sim.major >= 24 else "Unknown connection: ") + uuid
