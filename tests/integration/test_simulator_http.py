"""The simulator's transport, authentication and request pipeline, over real HTTP.

See docs/xpipe-api.md §1, §2.1, §6.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from helpers.simulator import VERSIONS, Api, handshake_key, handshake_local, ssh
from hypothesis import given
from hypothesis import strategies as st

from migrator.simulator import Simulator
from migrator.simulator.endpoints import loads_lenient
from migrator.xpipe.constants import ALL_CONNECTIONS, DEFAULT_CATEGORY, LOCAL_MACHINE

QUERY_ALL_23 = {"categoryFilter": "**", "connectionFilter": "**", "typeFilter": "*"}
QUERY_ALL_24 = {"categoryFilter": "**", "storeFilter": "**", "typeFilter": "*"}


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture
def auth_file(tmp_path):
    return tmp_path / "xpipe" / "tester" / "beacon-auth"


@pytest.fixture
def sim(version, auth_file):
    with Simulator(version, auth_file=auth_file) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    client = Api(sim)
    client.login_key()
    return client


def query_all(api: Api) -> dict:
    return QUERY_ALL_24 if api.v24 else QUERY_ALL_23


# ------------------------------------------------------------------------------------- handshake


def test_local_auth_file_is_a_fresh_private_uuid_and_authenticates(sim, auth_file):
    content = auth_file.read_text()
    assert str(uuid.UUID(content)) == content and not content.endswith("\n")
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    api = Api(sim)
    response = api.post("/handshake", handshake_local(content + "\n"), auth=False)
    assert response.status_code == 200
    token = response.json()["sessionToken"]
    assert str(uuid.UUID(token)) == token
    api.token = token
    assert api.ok("/daemon/version")["version"] == sim.version


def test_api_key_auth_accepts_the_configured_key(version):
    with Simulator(version, api_key="k-123") as sim:
        api = Api(sim)
        assert sim.api_key == "k-123"
        assert api.post("/handshake", handshake_key(" k-123 "), auth=False).status_code == 200
        wrong = api.post("/handshake", handshake_key("k-124"), auth=False)
        assert (wrong.status_code, wrong.json()) == (400, {"message": "Authentication failed"})


def test_api_key_file_is_created_once_and_reused(tmp_path, version):
    key_file = tmp_path / "keys" / "api-key"
    first = Simulator(version, api_key_file=key_file)
    assert key_file.read_text() == first.api_key and first.api_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = Simulator(version, api_key_file=key_file)
    assert second.api_key == first.api_key
    with second:
        assert Api(second).post("/handshake", handshake_key(first.api_key), auth=False).status_code == 200


def test_random_api_key_when_none_configured(version):
    first, second = Simulator(version), Simulator(version)
    assert first.api_key and first.api_key != second.api_key


def test_wrong_local_content_fails(sim):
    response = Api(sim).post("/handshake", handshake_local(str(uuid.uuid4())), auth=False)
    assert (response.status_code, response.json()) == (400, {"message": "Authentication failed"})


def test_local_auth_always_fails_without_auth_file(version):
    with Simulator(version) as sim:
        assert sim.auth_content is None
        for content in ("", "None", str(uuid.uuid4())):
            response = Api(sim).post("/handshake", handshake_local(content), auth=False)
            assert (response.status_code, response.json()["message"]) == (400, "Authentication failed")


@pytest.mark.parametrize(
    "auth",
    [
        {"type": "local", "authFileContent": "x"},
        {"type": "apiKey", "key": "x"},
        {"authFileContent": "x"},
        "Local",
    ],
)
def test_auth_type_ids_are_case_sensitive(sim, auth):
    response = Api(sim).post("/handshake", {"auth": auth, "client": {"type": "Api", "name": "t"}}, auth=False)
    assert response.status_code == 400
    assert response.json()["message"].endswith("field auth is missing from object")


def test_api_client_requires_a_name_but_cli_client_does_not(sim, auth_file):
    content = auth_file.read_text()
    api = Api(sim)
    nameless = api.post(
        "/handshake", {"auth": {"type": "Local", "authFileContent": content}, "client": {"type": "Api"}}, auth=False
    )
    assert nameless.status_code == 400
    assert "field name is missing from object" in nameless.json()["message"]
    cli = api.post(
        "/handshake", {"auth": {"type": "Local", "authFileContent": content}, "client": {"type": "Cli"}}, auth=False
    )
    assert cli.status_code == 200
    local_only = {"auth": {"type": "Local", "authFileContent": content}}
    missing_client = api.post("/handshake", local_only, auth=False)
    assert "field client is missing from object" in missing_client.json()["message"]


# ------------------------------------------------------------------------------------- tokens


def test_missing_authorization_header_is_401(sim):
    for path in ("/daemon/version", "/category/query"):
        response = Api(sim).post(path, {"filter": "**"})
        assert (response.status_code, response.json()) == (401, {"message": "Missing Authorization header"})


def test_unknown_token_is_403(sim):
    response = Api(sim, token=str(uuid.uuid4())).post("/category/query", {"filter": "**"})
    assert (response.status_code, response.json()) == (403, {"message": "Unknown token"})


def test_bearer_prefix_is_optional_and_case_sensitive(api):
    bare = api.post("/category/query", {"filter": "**"}, headers={"Authorization": api.token})
    assert bare.status_code == 200
    lower = api.post("/category/query", {"filter": "**"}, headers={"Authorization": f"bearer {api.token}"})
    assert (lower.status_code, lower.json()) == (403, {"message": "Unknown token"})


def test_restart_forgets_tokens_and_rotates_auth_file(sim, auth_file):
    api = Api(sim)
    old_content = auth_file.read_text()
    api.token = api.post("/handshake", handshake_local(old_content), auth=False).json()["sessionToken"]
    created = api.add("kept-web", ssh("10.9.9.9"))
    port = sim.port

    sim.restart()

    assert sim.port == port
    stale = api.post("/category/query", {"filter": "**"})
    assert (stale.status_code, stale.json()) == (403, {"message": "Unknown token"})
    new_content = auth_file.read_text()
    assert new_content != old_content
    assert api.post("/handshake", handshake_local(old_content), auth=False).status_code == 400
    renewed = api.post("/handshake", handshake_local(new_content), auth=False)
    assert renewed.status_code == 200
    api.token = renewed.json()["sessionToken"]
    assert created in api.query()


def test_stop_removes_the_auth_file_and_closes_the_port(version, auth_file):
    sim = Simulator(version, auth_file=auth_file).start()
    url = sim.url
    assert auth_file.exists()
    sim.stop()
    assert not auth_file.exists()
    with pytest.raises(requests.ConnectionError):
        requests.post(url + "/handshake", json={}, timeout=2)


# ------------------------------------------------------------------------------------- API disabled


def test_disabled_api_answers_403_with_a_throwable(api):
    api.sim.api_enabled = False
    for path, body in [
        ("/category/query", {"filter": "**"}),
        ("/secret/encrypt", {"value": "x"}),
        (api.path("query"), query_all(api)),
        (api.path("add"), {}),
    ]:
        response = api.post(path, body)
        assert response.status_code == 403, path
        error = response.json()
        assert error["message"] == "HTTP API is not enabled in the settings menu"
        assert error["localizedMessage"] == error["message"]
        assert error["cause"] is None and error["suppressed"] == [] and error["stackTrace"]
        assert "Access-Control-Allow-Origin" not in response.headers


def test_disabled_api_still_allows_handshake_version_and_status(api):
    api.sim.api_enabled = False
    assert api.post("/handshake", handshake_key(api.sim.api_key), auth=False).status_code == 200
    assert api.ok("/daemon/version")["version"] == api.sim.version
    assert "mode" in api.ok("/daemon/status")
    api.sim.api_enabled = True
    assert api.ok("/category/query", {"filter": "**"})["found"]


def test_disabled_check_comes_before_the_token_check(sim):
    sim.api_enabled = False
    response = Api(sim).post("/category/query", {"filter": "**"})
    assert response.status_code == 403 and "not enabled" in response.json()["message"]
    options = Api(sim).post("/category/query", method="OPTIONS")
    assert options.status_code == 403


def test_disabled_authentication_setting_skips_the_token_check(sim):
    sim.auth_disabled = True
    assert Api(sim).post("/category/query", {"filter": "all connections"}).json() == {"found": [ALL_CONNECTIONS]}
    assert Api(sim, token="stale").post("/daemon/version").status_code == 200


# ------------------------------------------------------------------------------------- routing and transport


def test_unknown_path_redirects_to_docs(api):
    response = api.post("/does/not/exist", {})
    assert response.status_code == 303
    assert response.headers["Location"] == "https://docs.xpipe.io/api"
    assert response.content == b""


def test_context_matching_is_prefix_based(api):
    response = api.post(
        api.path("addX"),
        {"name": "prefix-web", "data": ssh("10.1.1.1"), "validate": False, "category": DEFAULT_CATEGORY},
    )
    assert response.status_code == 200
    assert response.json()[api.id_key] in api.query()


def test_store_paths_exist_only_in_24(api):
    response = api.post("/store/query", QUERY_ALL_24)
    if api.v24:
        assert response.json()["found"] == [LOCAL_MACHINE]
    else:
        assert response.status_code == 303


def test_24_connection_aliases_take_24_bodies(version):
    with Simulator(version) as sim:
        api = Api(sim)
        api.login_key()
        old_style = api.post("/connection/info", {"connections": [LOCAL_MACHINE]})
        new_style = api.post("/connection/info", {"stores": [LOCAL_MACHINE]})
        if api.v24:
            assert old_style.status_code == 400
            assert "field stores is missing from object" in old_style.json()["message"]
            assert new_style.json()["infos"][0]["store"] == LOCAL_MACHINE
            body = {"name": "alias-web", "data": ssh("10.2.2.2"), "validate": False}
            added = api.post("/connection/add", body)
            assert set(added.json()) == {"store"}
        else:
            assert old_style.json()["infos"][0]["connection"] == LOCAL_MACHINE
            assert "field connections is missing from object" in new_style.json()["message"]


def test_responses_have_no_content_type_and_allow_cors(api):
    response = api.post("/category/query", {"filter": "**"})
    assert "Content-Type" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.text.startswith("{\n")


def test_options_is_answered_empty_and_get_works_like_post(api):
    options = api.post("/category/query", method="OPTIONS", auth=False)
    assert (options.status_code, options.content) == (200, b"")
    got = api.post("/category/query", {"filter": "all connections/default"}, method="GET")
    assert got.json() == {"found": [DEFAULT_CATEGORY]}


def test_empty_bodies(api):
    response = api.post("/category/query", raw=b"")
    if api.v24:
        assert (response.status_code, response.json()) == (400, {"message": "Request body must not be empty"})
    else:
        assert response.status_code == 500
        assert set(response.json()) == {"error", "documentationLink"}
        assert response.json()["error"]["message"]
    assert api.post("/daemon/version", raw=b"").status_code == 200


def test_malformed_json_is_400_but_comments_and_trailing_commas_are_accepted(api):
    broken = api.post("/category/query", raw=b'{"filter": ')
    assert broken.status_code == 400 and broken.json()["message"]
    lenient = api.post("/category/query", raw=b'{"filter": "all connections/default", // pick one\n}')
    assert lenient.json() == {"found": [DEFAULT_CATEGORY]}
    array = api.post("/category/query", raw=b"[1, 2]")
    assert array.status_code == 400


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('a/*,]}" \\\n{[')),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_lenient_parsing_never_changes_valid_json(value):
    """Comment and trailing-comma handling must leave strings such as "a//b" or ",]" alone."""
    assert loads_lenient(json.dumps(value).encode()) == value
    assert loads_lenient(json.dumps(value, indent=1).encode()) == value


def test_lenient_parsing_accepts_what_jackson_accepts():
    assert loads_lenient(b'{"a": [1, 2,], /* note */ "b": "x//y", // end\n} trailing') == {"a": [1, 2], "b": "x//y"}


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/category/query", {}, "filter"),
        ("/category/add", {"name": "x"}, "parent"),
        ("/category/info", {"categories": None}, "categories"),
        ("/secret/encrypt", {"valu": "x"}, "value"),
        ("/secret/decrypt", {}, "encrypted"),
    ],
)
def test_missing_required_fields_use_the_rewritten_jackson_message(api, path, body, field):
    response = api.post(path, body)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.endswith(f"field {field} is missing from object")
    assert "Exchange$Request" not in message


@pytest.mark.parametrize(
    "action,body_23,body_24,missing",
    [
        (
            "query",
            {"categoryFilter": "**", "typeFilter": "*"},
            {"categoryFilter": "**", "typeFilter": "*"},
            ("connectionFilter", "storeFilter"),
        ),
        ("info", {}, {}, ("connections", "stores")),
        ("remove", {}, {}, ("connections", "stores")),
        ("refresh", {}, {}, ("connection", "store")),
        (
            "add",
            {"name": "x", "data": {"type": "local"}},
            {"name": "x", "data": {"type": "local"}},
            ("validate", "validate"),
        ),
    ],
)
def test_store_endpoint_required_fields(api, action, body_23, body_24, missing):
    response = api.post(api.path(action), body_24 if api.v24 else body_23)
    assert response.status_code == 400
    assert response.json()["message"].endswith(f"field {missing[1 if api.v24 else 0]} is missing from object")


def test_chunked_request_bodies_are_read(api):
    def chunks():
        yield b'{"filter": '
        yield b'"all connections/default"}'

    response = api.http.post(
        api.sim.url + "/category/query",
        data=chunks(),
        timeout=10,
        headers={"Authorization": api.token},
        allow_redirects=False,
    )
    assert response.json() == {"found": [DEFAULT_CATEGORY]}


def test_malformed_uuid_in_request_is_400(api):
    response = api.info_response(["not-a-uuid"])
    assert response.status_code == 400 and "UUID" in response.json()["message"]


def test_daemon_version_fields_and_status(api):
    version = api.ok("/daemon/version", {})
    assert set(version) == {"version", "canonicalVersion", "buildVersion", "jvmVersion", "plan"}
    assert version["version"] == api.sim.version
    assert isinstance(version["plan"], str)
    assert isinstance(api.ok("/daemon/status")["mode"], str)


def test_request_counter_counts_every_path(api):
    api.sim.reset_counters()
    api.post("/category/query", {"filter": "**"})
    api.post("/category/query", {})
    api.post("/nowhere")
    api.post("/daemon/version", auth=False)
    assert api.sim.requests == {"/category/query": 2, "/nowhere": 1, "/daemon/version": 1}
    api.sim.reset_counters()
    assert sum(api.sim.requests.values()) == 0


def test_startup_delay_blocks_storage_endpoints_but_not_handshake(version):
    with Simulator(version, startup_delay=1.5) as sim:
        api = Api(sim)
        outcome: dict = {}

        def query_categories():
            outcome["response"] = api.post(
                "/category/query", {"filter": "**"}, headers={"Authorization": "Bearer " + outcome["token"]}
            )

        api.login_key()
        outcome["token"] = api.token
        assert api.ok("/daemon/version")["version"] == version
        worker = threading.Thread(target=query_categories)
        worker.start()
        time.sleep(0.3)
        assert worker.is_alive(), "a storage request must wait for startup to finish"
        assert api.post("/handshake", handshake_key(sim.api_key), auth=False).status_code == 200
        worker.join(timeout=10)
        assert outcome["response"].status_code == 200


def test_latency_is_added_to_every_request(version):
    with Simulator(version, latency_ms=300) as sim:
        started = time.monotonic()
        Api(sim).post("/handshake", handshake_key(sim.api_key), auth=False)
        assert time.monotonic() - started >= 0.3


def test_storage_requests_are_serialized(api):
    """Ten parallel adds under one name: the lock makes all but the first an in-place update."""
    results: list = []

    def add(i: int):
        results.append(Api(api.sim, api.token).add("race-web", ssh(f"10.3.0.{i}")))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert len(api.sim.vault.entries_named("race-web")) == 1


# ------------------------------------------------------------------------------------- serve()


def test_serve_prints_one_line_and_stops_on_sigterm(tmp_path):
    key_file, auth = tmp_path / "api-key", tmp_path / "auth" / "beacon-auth"
    code = (
        "from migrator.simulator import serve; "
        f"serve(0, '24.0', api_key_file={str(key_file)!r}, auth_file={str(auth)!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        line = process.stdout.readline()
        match = re.fullmatch(
            r"XPipe API simulator 24\.0 listening on (http://127\.0\.0\.1:\d+) "
            r"\(Local auth file: (.+); API key file: (.+)\)\n",
            line,
        )
        assert match, line
        assert match.group(2) == str(auth) and match.group(3) == str(key_file)
        key = key_file.read_text()
        assert key not in line and auth.read_text() not in line
        handshake = requests.post(
            match.group(1) + "/handshake", json=handshake_key(key), timeout=5, allow_redirects=False
        )
        assert handshake.status_code == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert out == "" and key not in err
    assert not auth.exists()
