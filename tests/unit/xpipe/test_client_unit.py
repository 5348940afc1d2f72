"""Unit tests of the client's HTTP handling with ``responses`` (the only place mocks are used).

Behaviour against a real server is tested in test_client_http.py, against the simulator.
"""

from __future__ import annotations

import json

import pytest
import requests
import responses

from migrator.errors import (
    ApiDisabled,
    AuthenticationFailed,
    BadRequest,
    DaemonUnreachable,
    ProtocolError,
    ServerError,
    UnsupportedEndpoint,
    UnsupportedVersion,
    XPipeTimeout,
)
from migrator.xpipe.auth import ApiKeyAuth, LocalAuth, default_auth_file, resolve_auth
from migrator.xpipe.client import XPipeClient, discover
from migrator.xpipe.dialect import DIALECT_23, DIALECT_24, dialect_for, parse_major

URL = "http://127.0.0.1:21721"


U1, U2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
A, B, C, GONE = (f"{n}" * 8 + "-0000-4000-8000-" + "0" * 12 for n in "abc9")


def _info(id_key: str, uuid: str) -> dict:
    """An info item of the shape XPipe answers (docs/xpipe-api.md §2.3)."""
    return {id_key: uuid, "category": ["default"], "name": ["a"], "type": "ssh", "rawData": {}}


def _handshake(rsps, token="tok-1"):
    rsps.add(responses.POST, URL + "/handshake", json={"sessionToken": token})


def _version(rsps, version="23.8"):
    rsps.add(
        responses.POST,
        URL + "/daemon/version",
        json={"version": version, "canonicalVersion": version, "buildVersion": "b", "jvmVersion": "j", "plan": "x"},
    )


@pytest.fixture
def client():
    c = XPipeClient(URL, ApiKeyAuth("k"), retries=2, backoff=0)
    yield c
    c.close()


@responses.activate
def test_connect_negotiates_23_and_sends_bearer(client):
    _handshake(responses)
    _version(responses, "23.8-3")
    client.connect()
    assert client.dialect is DIALECT_23
    assert responses.calls[1].request.headers["Authorization"] == "Bearer tok-1"
    hs = json.loads(responses.calls[0].request.body)
    assert hs == {"auth": {"type": "ApiKey", "key": "k"}, "client": {"type": "Api", "name": "xpipe-migrate"}}


@responses.activate
def test_24_uses_store_paths_and_renamed_fields(client):
    _handshake(responses)
    _version(responses, "24.0")
    responses.add(responses.POST, URL + "/store/query", json={"found": [U1]})
    responses.add(responses.POST, URL + "/store/info", json={"infos": [_info("store", U1)]})
    responses.add(responses.POST, URL + "/store/add", json={"store": U2})
    client.connect()
    assert client.dialect is DIALECT_24
    assert client.query_stores() == [U1]
    assert json.loads(responses.calls[2].request.body)["storeFilter"] == "**"
    infos, missing = client.store_info([U1])
    assert infos[0]["uuid"] == U1 and missing == []
    assert json.loads(responses.calls[3].request.body) == {"stores": [U1]}
    assert client.add_store("n", {"type": "ssh"}, category="c") == U2


@responses.activate
def test_unknown_token_rehandshakes_once_and_retries(client):
    _handshake(responses, "old")
    _version(responses)
    client.connect()
    responses.add(responses.POST, URL + "/connection/query", status=403, json={"message": "Unknown token"})
    _handshake(responses, "new")
    responses.add(responses.POST, URL + "/connection/query", json={"found": []})
    assert client.query_stores() == []
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer new"


@responses.activate
def test_local_auth_file_is_reread_at_every_handshake(tmp_path):
    auth_file = tmp_path / "beacon-auth"
    auth_file.write_text("first")
    c = XPipeClient(URL, LocalAuth(auth_file))
    _handshake(responses)
    _handshake(responses)
    c.handshake()
    auth_file.write_text("second\n")
    c.handshake()
    bodies = [json.loads(call.request.body)["auth"] for call in responses.calls]
    assert bodies == [{"type": "Local", "authFileContent": "first"}, {"type": "Local", "authFileContent": "second"}]


@responses.activate
def test_403_without_unknown_token_means_api_disabled(client):
    _handshake(responses)
    responses.add(
        responses.POST,
        URL + "/daemon/version",
        status=403,
        json={"message": "HTTP API is not enabled in the settings menu", "stackTrace": []},
    )
    with pytest.raises(ApiDisabled, match="Settings > HTTP API"):
        client.connect()


@responses.activate
def test_handshake_authentication_failed(client):
    responses.add(responses.POST, URL + "/handshake", status=400, json={"message": "Authentication failed"})
    with pytest.raises(AuthenticationFailed, match="API key") as info:
        client.connect()
    assert "k" not in str(info.value).split()


@responses.activate
def test_303_is_unsupported_endpoint_and_not_followed(client):
    _handshake(responses)
    _version(responses)
    client.connect()
    responses.add(
        responses.POST, URL + "/connection/query", status=303, headers={"Location": "https://docs.xpipe.io/api"}
    )
    with pytest.raises(UnsupportedEndpoint):
        client.query_stores()
    assert all("docs.xpipe.io" not in c.request.url for c in responses.calls)


@responses.activate
def test_400_and_500_carry_the_server_message(client):
    _handshake(responses)
    _version(responses)
    client.connect()
    responses.add(
        responses.POST, URL + "/connection/add", status=400, json={"message": "Category with id x does not exist"}
    )
    with pytest.raises(BadRequest) as info:
        client.add_store("n", {"type": "ssh"})
    assert info.value.server_message == "Category with id x does not exist"
    responses.add(
        responses.POST,
        URL + "/connection/add",
        status=500,
        json={"error": {"message": "Value must not be empty", "cause": None}, "documentationLink": None},
    )
    with pytest.raises(ServerError, match="Value must not be empty"):
        client.add_store("n", {"type": "ssh"})
    # a 500 is never retried blindly
    assert sum(1 for c in responses.calls if c.request.url.endswith("/connection/add")) == 2


@responses.activate
def test_info_splits_out_unknown_uuids(client):
    _handshake(responses)
    _version(responses)
    client.connect()

    def info(request):
        asked = json.loads(request.body)["connections"]
        if GONE in asked:
            return 400, {}, json.dumps({"message": "Unknown connection: " + GONE})
        return 200, {}, json.dumps({"infos": [_info("connection", u) for u in asked]})

    responses.add_callback(responses.POST, URL + "/connection/info", callback=info)
    infos, missing = client.store_info([A, GONE, B, C], batch=3)
    assert sorted(i["uuid"] for i in infos) == [A, B, C]
    assert missing == [GONE]


@responses.activate
def test_connection_errors_are_retried_then_reported(client):
    responses.add(responses.POST, URL + "/handshake", body=requests.ConnectionError("refused"))
    with pytest.raises(DaemonUnreachable):
        client.handshake()
    assert len(responses.calls) == 3  # first try + 2 retries


@responses.activate
def test_timeout_is_typed_and_not_retried(client):
    responses.add(responses.POST, URL + "/handshake", body=requests.ReadTimeout("slow"))
    with pytest.raises(XPipeTimeout):
        client.handshake()
    assert len(responses.calls) == 1


@responses.activate
def test_non_json_answer_is_a_protocol_error(client):
    responses.add(responses.POST, URL + "/handshake", body="<html>hello</html>", status=200)
    with pytest.raises(ProtocolError):
        client.handshake()


def test_version_gate_and_dialects():
    assert parse_major("23.8-3") == 23 and parse_major("dev") is None
    assert dialect_for("23.8") is DIALECT_23
    assert dialect_for("24.0-9") is DIALECT_24
    assert dialect_for("dev", "23") is DIALECT_23
    with pytest.raises(UnsupportedVersion):
        dialect_for("19.2")
    with pytest.raises(UnsupportedVersion):
        dialect_for("dev")


def test_default_auth_file_per_os():
    assert str(default_auth_file(platform="linux", env={"USER": "ann"})) == "/tmp/xpipe/ann/beacon-auth"
    assert str(default_auth_file(True, platform="linux", env={"USER": "ann"})) == "/tmp/xpipe-ptb/ann/beacon-auth"
    assert (
        str(default_auth_file(platform="darwin", env={"TMPDIR": "/var/folders/x/T"}))
        == "/var/folders/x/T/xpipe/beacon-auth"
    )
    win = default_auth_file(
        platform="win32",
        env={"TEMP": r"C:\Windows\Temp", "SystemRoot": r"C:\Windows", "LOCALAPPDATA": r"C:\Users\a\AppData\Local"},
    )
    assert "AppData" in str(win) and str(win).endswith("beacon-auth")


def test_api_key_never_from_argv_only_env_or_file(tmp_path):
    assert isinstance(resolve_auth(env={}), LocalAuth)
    auth = resolve_auth(env={"XPIPE_API_KEY": "s3cr3t-key"})
    assert isinstance(auth, ApiKeyAuth) and "s3cr3t-key" not in repr(auth) + auth.describe()
    f = tmp_path / "key"
    f.write_text("from-file\n")
    assert resolve_auth(api_key_file=str(f), env={"XPIPE_API_KEY": "x"}).handshake_auth()["key"] == "from-file"


@responses.activate
def test_discovery_probes_without_sending_credentials():
    responses.add(responses.POST, "http://127.0.0.1:21721/daemon/version", body=requests.ConnectionError())
    for port in range(21723, 21725):
        responses.add(
            responses.POST,
            f"http://127.0.0.1:{port}/daemon/version",
            body=requests.ConnectionError() if port == 21723 else "",
        )
    responses.add(
        responses.POST,
        "http://127.0.0.1:21725/daemon/version",
        status=401,
        json={"message": "Missing Authorization header"},
    )
    assert discover(env={}) == "http://127.0.0.1:21725"
    assert all("/handshake" not in c.request.url for c in responses.calls)


@responses.activate
def test_discovery_env_port_is_exact():
    responses.add(responses.POST, "http://127.0.0.1:30000/daemon/version", body=requests.ConnectionError())
    with pytest.raises(DaemonUnreachable, match="30000"):
        discover(env={"XPIPE_BEACON_PORT": "30000"})
    assert len(responses.calls) == 1
