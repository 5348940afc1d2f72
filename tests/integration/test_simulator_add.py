"""``/connection/add`` (``/store/add``) and store parsing in the simulator (docs/xpipe-api.md §1.6, §2.4, §3)."""

from __future__ import annotations

import pytest
from helpers.simulator import VERSIONS, Api, identity_ref, local_identity, ssh, unknown_entry

from migrator.simulator import Simulator
from migrator.xpipe import constants as C

UNKNOWN = "6d1f0e2a-3b4c-4d5e-8f90-a1b2c3d4e5f6"


def make_api(version: str, **options) -> Api:
    sim = Simulator(version, **options).start()
    client = Api(sim)
    client.login_key()
    return client


@pytest.fixture(params=VERSIONS)
def api(request):
    client = make_api(request.param)
    yield client
    client.sim.stop()


def server_error(response) -> str:
    assert response.status_code == 500, response.text
    body = response.json()
    assert set(body) == {"error", "documentationLink"} and body["documentationLink"] is None
    assert set(body["error"]) == {"cause", "localizedMessage", "message", "stackTrace", "suppressed"}
    return body["error"]["message"]


def client_error(response) -> str:
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"message"}
    return response.json()["message"]


# ------------------------------------------------------------------------------------- create


def test_create_returns_a_new_uuid_and_stores_the_entry(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    created = api.add("Web01", ssh("10.0.0.1", forwardX11=True), category=prod)
    assert created in api.query()
    info = api.one(created)
    assert (info["name"], info["category"], info["type"], info["usageCategory"]) == (
        ["web01"],
        ["prod"],
        "ssh",
        "shell",
    )
    raw = info["rawData"]
    assert "type" not in raw
    assert (raw["host"], raw["port"], raw["gateway"]) == ("10.0.0.1", 22, C.LOCAL_MACHINE)
    assert raw["forwardX11"] is True
    assert raw["identity"]["type"] == "inPlace"
    assert raw["identity"]["identityStore"]["type"] == "localIdentity"
    assert set(info["state"]) == {"osType", "osName", "shellDialect", "ttyState", "running"}
    assert api.sim.vault.entries[created].name == "Web01"


def test_response_key_depends_on_the_version(api):
    response = api.add_response("key-web", ssh("10.0.0.9"))
    assert set(response.json()) == {"store" if api.v24 else "connection"}


def test_names_are_stripped_on_create(api):
    created = api.add("  web02 \t", ssh("10.0.0.2"))
    assert api.sim.vault.entries[created].name == "web02"
    assert api.one(created)["name"] == ["web02"]


def test_without_category_the_selected_category_is_used(api):
    created = api.add("nocat-web", ssh("10.0.0.3"), category=None)
    assert api.one(created)["category"] == ["default"]


def test_empty_string_uuids_are_null(api):
    created = api.add("empty-category", ssh("10.0.0.5"), category="")
    assert api.one(created)["category"] == ["default"]
    response = api.post("/category/add", {"name": "x", "parent": ""})
    assert client_error(response).endswith("field parent is missing from object")


def test_selected_category_option():
    api = make_api("23.8", selected_category=C.LOCAL_IDENTITIES)
    try:
        created = api.add("gui-selected", ssh("10.0.0.4"), category=None)
        assert api.one(created)["category"] == ["local"]
    finally:
        api.sim.stop()


# ------------------------------------------------------------------------------------- step 2: equal store


def test_equal_store_returns_the_existing_entry_and_changes_nothing(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    first = api.add("web01", ssh("10.0.0.1"), category=prod)
    before = api.one(first)
    again = api.add("completely-different-name", ssh("10.0.0.1"), category=C.DEFAULT_CATEGORY, validate=True)
    assert again == first
    after = api.one(first)
    assert (after["name"], after["category"], after["lastModified"]) == (
        before["name"],
        before["category"],
        before["lastModified"],
    )
    assert api.sim.vault.entries_named("completely-different-name") == []


def test_equal_store_wins_even_with_an_unknown_category(api):
    first = api.add("web01", ssh("10.0.0.1"))
    assert api.add("web01", ssh("10.0.0.1"), category=UNKNOWN) == first


def test_local_store_data_resolves_to_the_local_machine(api):
    assert api.add("my local", {"type": "local"}) == C.LOCAL_MACHINE
    assert api.sim.vault.entries_named("my local") == []


# ------------------------------------------------------------------------------------- step 3: same name


def test_same_name_replaces_the_whole_store_in_place(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    original = ssh("10.0.0.1", forwardX11=True, additionalOptions="Compression yes")
    first = api.add("Web01", original, category=prod)
    updated = api.add(
        "WEB01",
        {
            "type": "ssh",
            "host": "10.0.0.99",
            "port": 2222,
            "gateway": C.LOCAL_MACHINE,
            "identity": ssh("x")["identity"],
        },
        category=C.DEFAULT_CATEGORY,
    )
    assert updated == first
    info = api.one(first)
    raw = info["rawData"]
    assert (raw["host"], raw["port"]) == ("10.0.0.99", 2222)
    assert raw["forwardX11"] is False and raw["additionalOptions"] is None
    assert info["category"] == ["prod"]
    assert api.sim.vault.entries[first].name == "Web01"
    assert len(api.sim.vault.entries) == 2


def test_same_name_update_skips_completeness_checks(api):
    first = api.add("web01", ssh("10.0.0.1"))
    assert api.add("web01", ssh("", port=0)) == first
    assert first not in api.query()
    assert api.one(first)["rawData"]["host"] == ""


def test_same_name_update_ignores_an_unknown_category(api):
    first = api.add("web01", ssh("10.0.0.1"))
    assert api.add("web01", ssh("10.0.0.2"), category=UNKNOWN) == first


def test_same_name_with_another_type_creates_a_second_entry(api):
    identity = api.add("shared-name", local_identity("deploy"), category=C.LOCAL_IDENTITIES)
    host = api.add("shared-name", ssh("10.0.0.1"))
    assert host != identity
    assert len(api.sim.vault.entries_named("SHARED-NAME")) == 2


def test_unstripped_name_defeats_the_name_match(api):
    first = api.add("web01", ssh("10.0.0.1"))
    second = api.add(" web01", ssh("10.0.0.2"))
    assert second != first
    assert [api.sim.vault.entries[u].name for u in api.sim.vault.entries_named("web01")] == ["web01", "web01"]


# ------------------------------------------------------------------------------------- steps 4-6


def test_unknown_category_is_rejected_only_for_new_entries(api):
    response = api.add_response("new-web", ssh("10.0.0.7"), category=UNKNOWN)
    assert client_error(response) == f"Category with id {UNKNOWN} does not exist"
    assert api.sim.vault.entries_named("new-web") == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_blank_name_is_a_server_error(api, name):
    before = len(api.sim.vault.entries)
    assert server_error(api.add_response(name, ssh("10.0.0.8")))
    assert len(api.sim.vault.entries) == before


@pytest.mark.parametrize(
    "data",
    [
        ssh(""),
        ssh("   "),
        ssh("10.0.0.1", port=0),
        ssh("10.0.0.1", port=70000),
        ssh("10.0.0.1", gateway=None),
        ssh("10.0.0.1", gateway=UNKNOWN),
        ssh("10.0.0.1", identity={"type": "inPlace", "identityStore": {**local_identity(), "type": "syncedIdentity"}}),
        ssh("10.0.0.1", identity=identity_ref(UNKNOWN)),
        {"type": "ssh", "host": "10.0.0.1", "gateway": C.LOCAL_MACHINE, "identity": ssh("x")["identity"]},
    ],
)
@pytest.mark.parametrize("validate", [False, True])
def test_incomplete_stores_are_refused_and_not_stored(api, data, validate):
    before = dict(api.sim.vault.entries)
    assert server_error(api.add_response("incomplete-web", data, validate=validate))
    assert api.sim.vault.entries == before


@pytest.mark.parametrize("identity", [None, {"type": "inplace", "identityStore": {"type": "localIdentity"}}])
def test_ssh_without_identity_is_accepted(api, identity):
    """XPipe's docs: ``"identity": None`` works; an unknown identity type parses to null likewise."""
    created = api.add("no-identity-web", ssh("10.0.0.1", identity=identity))
    assert api.one(created)["rawData"]["identity"] is None
    assert created in api.query()


def test_lenient_ssh_accepts_missing_gateway_and_identity():
    api = make_api("23.8", lenient_ssh=True)
    try:
        created = api.add("lenient-web", ssh("10.0.0.1", gateway=None, identity=None))
        raw = api.one(created)["rawData"]
        assert raw["gateway"] is None and raw["identity"] is None
        assert created in api.query()
    finally:
        api.sim.stop()


def test_validate_true_succeeds_for_complete_stores(api):
    created = api.add("validated-web", ssh("10.0.0.1"), validate=True)
    assert created in api.query()
    assert api.refresh_response(created).status_code == 200


# ------------------------------------------------------------------------------------- parsing rules


@pytest.mark.parametrize(
    "data",
    [
        {"type": "SSH", "host": "x", "port": 22},
        {"type": "sshConfigHost", "host": "x"},
        {"host": "x", "port": 22},
        "ssh",
        ["ssh"],
    ],
)
def test_unknown_or_missing_top_level_type_is_400(api, data):
    response = api.post(api.path("add"), {"name": "bad-web", "data": data, "validate": False})
    assert client_error(response) == "Unable to parse store data into valid store"


def test_unknown_properties_are_dropped(api):
    created = api.add(
        "extra-web",
        ssh(
            "10.0.0.1",
            user="root",
            proxy=C.LOCAL_MACHINE,
            identity={"type": "inPlace", "identityStore": {**local_identity(), "comment": "x"}, "note": 1},
        ),
    )
    raw = api.one(created)["rawData"]
    assert set(raw) == {
        "host",
        "port",
        "gateway",
        "identity",
        "jumpServer",
        "dontInteractWithSystem",
        "forwardX11",
        "additionalOptions",
    }
    assert set(raw["identity"]) == {"type", "identityStore"}
    assert set(raw["identity"]["identityStore"]) == {"type", "username", "password", "sshIdentity"}


def test_scalars_are_coerced_like_jackson(api):
    created = api.add("coerced-web", ssh(2130706433, port="2222", jumpServer="true"))
    raw = api.one(created)["rawData"]
    assert (raw["host"], raw["port"], raw["jumpServer"]) == ("2130706433", 2222, True)


@pytest.mark.parametrize(
    "data",
    [
        ssh("10.0.0.1", port="twenty-two"),
        ssh({"value": "10.0.0.1"}),
        ssh("10.0.0.1", gateway="not-a-uuid"),
        ssh("10.0.0.1", port=True),
    ],
)
def test_impossible_coercions_are_400(api, data):
    assert client_error(api.add_response("bad-web", data))


def test_references_accept_store_id_objects(api):
    bastion = api.add("bastion", ssh("10.0.0.1"))
    identity = api.add("id:deploy", local_identity(), category=C.LOCAL_IDENTITIES)
    created = api.add(
        "via-objects",
        ssh("10.0.0.2", gateway={"storeId": bastion}, identity={"type": "ref", "ref": {"storeId": identity.upper()}}),
    )
    raw = api.one(created)["rawData"]
    assert raw["gateway"] == bastion
    assert raw["identity"] == {"type": "ref", "ref": identity}


def test_unknown_references_become_null():
    api = make_api("24.0", lenient_ssh=True)
    try:
        created = api.add("dangling", ssh("10.0.0.1", gateway=UNKNOWN))
        assert api.one(created)["rawData"]["gateway"] is None
    finally:
        api.sim.stop()


def test_inplace_identity_must_be_a_local_identity(api):
    """Shown through a name update (which skips checkComplete): the synced store parses to null."""
    created = api.add("synced-inplace", ssh("10.0.0.1"))
    synced = {"type": "inPlace", "identityStore": {**local_identity(), "type": "syncedIdentity"}}
    assert api.add("synced-inplace", ssh("10.0.0.2", identity=synced)) == created
    assert api.one(created)["rawData"]["identity"] == {"type": "inPlace", "identityStore": None}
    assert created not in api.query()


def test_identity_reference_must_point_to_an_identity(api):
    host = api.add("not-an-identity", ssh("10.0.0.1"))
    response = api.add_response("bad-ref", ssh("10.0.0.2", identity=identity_ref(host)))
    assert server_error(response)


def test_identity_types(api):
    cat = C.LOCAL_IDENTITIES
    first = api.add("id:a", local_identity("a"), category=cat)
    second = api.add("id:b", local_identity("b"), category=cat)
    multi = api.add(
        "id:multi",
        {"type": "multiIdentity", "identities": [first, {"storeId": second}], "perUser": False},
        category=cat,
    )
    assert api.one(multi)["rawData"] == {"identities": [first, second], "perUser": False}
    manager = api.add(
        "id:pm",
        {
            "type": "passwordManagerIdentity",
            "key": "vault/item",
            "sshKey": {"type": "passwordManagerAgent", "identifier": "k"},
        },
        category=cat,
    )
    assert api.one(manager)["rawData"]["sshKey"] == {"type": "passwordManagerAgent", "identifier": "k"}
    assert api.one(manager)["usageCategory"] == "identity"
    assert server_error(api.add_response("id:empty-multi", {"type": "multiIdentity", "identities": []}, category=cat))
    assert server_error(api.add_response("id:pm-nokey", {"type": "passwordManagerIdentity"}, category=cat))
    synced = api.add_response("id:synced", {"type": "syncedIdentity", "username": "u"}, category=cat)
    assert synced.status_code == 200
    unsynced = {
        "type": "syncedIdentity",
        "username": "u2",
        "sshIdentity": {"type": "file", "file": "~/.ssh/id", "password": {"type": "none"}},
    }
    assert server_error(api.add_response("id:synced-key", unsynced, category=cat)) == "Key file is not synced"


# ------------------------------------------------------------------------------------- display children


def test_gateway_children_path_and_category(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    bastion = api.add("Bastion", ssh("10.0.0.1"), category=prod)
    inner = api.add("Inner", ssh("10.1.0.1", gateway=bastion, jumpServer=True), category=None)
    info = api.one(inner)
    assert info["name"] == ["bastion", "inner"]
    assert info["category"] == ["prod"]
    explicit = api.add("Inner2", ssh("10.1.0.2", gateway=bastion), category=C.DEFAULT_CATEGORY)
    assert api.one(explicit)["category"] == ["default"]


def test_gateway_children_can_be_turned_off():
    api = make_api("23.8", gateway_children=False)
    try:
        bastion = api.add("bastion", ssh("10.0.0.1"))
        inner = api.add("inner", ssh("10.1.0.1", gateway=bastion))
        assert api.one(inner)["name"] == ["inner"]
    finally:
        api.sim.stop()


# ------------------------------------------------------------------------------------- remove / refresh


def test_remove_resolves_all_uuids_first(api):
    web = api.add("web01", ssh("10.0.0.1"))
    response = api.remove_response([web, UNKNOWN])
    assert client_error(response) == unknown_entry(api, UNKNOWN)
    assert web in api.sim.vault.entries


def test_remove_takes_display_children_and_skips_the_local_machine(api):
    bastion = api.add("bastion", ssh("10.0.0.1"))
    inner = api.add("inner", ssh("10.1.0.1", gateway=bastion))
    deeper = api.add("deeper", ssh("10.2.0.1", gateway=inner))
    other = api.add("other", ssh("10.0.0.2"))
    response = api.remove_response([bastion, C.LOCAL_MACHINE])
    assert (response.status_code, response.content) == (200, b"")
    assert set(api.sim.vault.entries) == {C.LOCAL_MACHINE, other}
    assert client_error(api.remove_response([inner])) == unknown_entry(api, inner)
    assert deeper not in api.sim.vault.entries


def test_references_to_removed_entries_become_null(api):
    identity = api.add("id:deploy", local_identity(), category=C.LOCAL_IDENTITIES)
    host = api.add("web01", ssh("10.0.0.1", identity=identity_ref(identity)))
    assert host in api.query()
    assert api.remove_response([identity]).status_code == 200
    assert host not in api.query()
    assert api.one(host)["rawData"]["identity"] == {"type": "ref", "ref": None}
    assert api.sim.vault.validity(host) == "INCOMPLETE"
    assert api.add("WEB01", ssh("10.0.0.1")) == host
    assert host in api.query()


def test_removed_gateway_is_nulled_when_children_are_not_displayed_under_it():
    api = make_api("24.0", gateway_children=False)
    try:
        bastion = api.add("bastion", ssh("10.0.0.1"))
        inner = api.add("inner", ssh("10.1.0.1", gateway=bastion))
        api.remove_response([bastion])
        assert api.one(inner)["rawData"]["gateway"] is None
        assert inner not in api.query()
    finally:
        api.sim.stop()


def test_refresh(api):
    web = api.add("web01", ssh("10.0.0.1"))
    response = api.refresh_response(web)
    assert (response.status_code, response.content) == (200, b"")
    assert client_error(api.refresh_response(UNKNOWN)) == unknown_entry(api, UNKNOWN)
    api.add("web01", ssh(""))
    assert server_error(api.refresh_response(web))


# ------------------------------------------------------------------------------------- categories


def test_category_add_is_idempotent_on_parent_and_exact_name(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    assert api.add_category("prod", C.ALL_CONNECTIONS) == prod
    assert api.add_category("Prod", C.ALL_CONNECTIONS) != prod
    assert api.add_category("prod ", C.ALL_CONNECTIONS) != prod
    assert api.add_category("prod", C.DEFAULT_CATEGORY) != prod
    info = api.ok("/category/info", {"categories": [prod]})["infos"][0]
    assert (info["name"], info["parentCategory"]) == (["all connections", "prod"], C.ALL_CONNECTIONS)
    response = api.post("/category/add", {"name": "x", "parent": UNKNOWN})
    assert client_error(response) == f"Parent category with id {UNKNOWN} does not exist"


@pytest.mark.parametrize(
    "category",
    [C.ALL_CONNECTIONS, C.DEFAULT_CATEGORY, C.LOCAL_IDENTITIES, C.ALL_IDENTITIES, C.CUSTOM_SCRIPTS, C.SCRIPT_SOURCES],
)
def test_builtin_categories_cannot_be_removed(api, category):
    response = api.post(
        "/category/remove", {"categories": [category], "removeChildrenCategories": True, "removeContents": True}
    )
    assert client_error(response).startswith("Cannot delete category: ")
    assert category in api.sim.vault.categories


def test_category_remove_moves_or_deletes_contents(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    web = api.add_category("web", prod)
    db = api.add_category("db", prod)
    in_web = api.add("web01", ssh("10.0.0.1"), category=web)
    in_db = api.add("db01", ssh("10.0.0.2"), category=db)
    in_prod = api.add("lb01", ssh("10.0.0.3"), category=prod)

    moved = api.post(
        "/category/remove", {"categories": [web], "removeChildrenCategories": False, "removeContents": False}
    )
    assert (moved.status_code, moved.content) == (200, b"")
    assert api.one(in_web)["category"] == ["prod"]

    deleted = api.post(
        "/category/remove", {"categories": [prod], "removeChildrenCategories": True, "removeContents": True}
    )
    assert deleted.status_code == 200
    assert in_db not in api.sim.vault.entries and in_prod not in api.sim.vault.entries
    assert in_web not in api.sim.vault.entries
    assert api.category_query("all connections/*") == [C.DEFAULT_CATEGORY]


def test_category_remove_of_a_first_level_category_moves_entries_to_default(api):
    prod = api.add_category("prod", C.ALL_CONNECTIONS)
    child = api.add_category("child", prod)
    web = api.add("web01", ssh("10.0.0.1"), category=prod)
    api.post("/category/remove", {"categories": [prod], "removeChildrenCategories": False, "removeContents": False})
    assert api.one(web)["category"] == ["default"]
    child_info = api.ok("/category/info", {"categories": [child]})["infos"][0]
    assert child_info["name"] == ["all connections", "child"]
