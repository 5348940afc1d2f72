"""Contract test: every request body the client sends in the 23.x dialect validates against XPipe's
published OpenAPI schemas (vendored in tests/data, see its README for the origin)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
import yaml
from helpers.paths import TEST_DATA
from openapi_schema_validator import OAS30Validator
from pydantic import SecretStr
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from migrator.apply.loader import Loader
from migrator.manager import plan_inventory
from migrator.model import Credentials, Host, JumpHop, Provenance, SourceResult
from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

SPEC_PATH = TEST_DATA / "xpipe-openapi.yaml"
SPEC_SHA256 = "eab40cbf25ee3e0e0130b12c0f6e9738250f5d0e9045f20b65f45b2609f8fcc7"
SPEC_URI = "urn:xpipe-openapi"


@pytest.fixture(scope="module")
def spec():
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == SPEC_SHA256, "the vendored spec was edited"
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def validator_for(spec, path):
    op = spec["paths"][path]["post"]
    body = op.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    ref = schema["$ref"].replace("#", SPEC_URI + "#", 1)
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4))
    return OAS30Validator({"$ref": ref}, registry=registry)


def inventory():
    def host(name, jump=(), password=None, keys=()):
        return Host(
            key=f"t#{name}",
            name=name,
            address=f"{name}.example.net",
            user="ops",
            category=["Prod"],
            jump=[JumpHop(host=f"{j}.example.net", ref=j, ref_key=f"t#{j}") for j in jump],
            credentials=Credentials(
                password=SecretStr(password) if password else None,
                key_files=list(keys),
                key_passphrase=SecretStr("kp") if keys else None,
            ),
            source=Provenance(format="test", file="t", line=1),
        )

    return SourceResult(
        hosts=[
            host("gw", password="p1"),
            host("app", jump=["gw"], keys=["~/.ssh/id"]),
            host("db", jump=["gw", "app"], password="p2"),
        ]
    )


def test_every_23x_request_body_matches_the_published_schema(spec, tmp_path):
    sent: list[tuple[str, dict | None]] = []
    with Simulator(version="23.8", auth_file=tmp_path / "auth") as sim:
        client = XPipeClient(sim.url, LocalAuth(tmp_path / "auth"), observer=lambda p, b: sent.append((p, b)))
        client.connect()
        plan = plan_inventory(client, inventory())
        result = Loader(client, progress=False).apply(plan)
        assert not result.failed
        inv = inventory()
        inv.hosts[0] = replace(inv.hosts[0], category=["Edge"], port=2222)
        Loader(client, progress=False).apply(plan_inventory(client, inv))
        node = client.encrypt("x")  # a second client: the first remembers what it encrypted
        XPipeClient(sim.url, LocalAuth(tmp_path / "auth"), observer=lambda p, b: sent.append((p, b))).decrypt(node)
        uuid = client.query_stores("all connections/imported/**", "**", "ssh")[0]
        client.refresh_store(uuid)
        client.remove_stores([uuid])
        cat = client.add_category("Scratch", client.query_categories("all connections")[0])
        client.remove_categories([cat], children=True, contents=True)
    paths = {p for p, _ in sent}
    assert paths >= {
        "/handshake",
        "/daemon/version",
        "/connection/query",
        "/connection/info",
        "/connection/add",
        "/connection/remove",
        "/connection/refresh",
        "/category/query",
        "/category/info",
        "/category/add",
        "/category/remove",
        "/secret/encrypt",
        "/secret/decrypt",
    }
    problems = []
    for path, body in sent:
        assert path in spec["paths"], f"{path} is not in the published 23.x API"
        validator = validator_for(spec, path)
        if validator is None:
            assert body in ({}, None), f"{path} takes no body"
            continue
        problems += [f"{path}: {e.message}" for e in validator.iter_errors(body)]
    assert problems == []


def test_the_validator_catches_a_wrong_body(spec):
    v = validator_for(spec, "/connection/add")
    assert [e.message for e in v.iter_errors({"name": "x", "data": {}})] == ["'validate' is a required property"]
    v = validator_for(spec, "/connection/query")
    assert list(v.iter_errors({"categoryFilter": "**", "storeFilter": "**", "typeFilter": "*"}))
