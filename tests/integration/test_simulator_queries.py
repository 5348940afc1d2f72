"""Globs, queries and info responses of the simulator (docs/xpipe-api.md §2.2, §2.3, §2.8, §2.9, §4)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from helpers.simulator import VERSIONS, Api, local_identity, ssh, unknown_entry

from migrator.simulator import Simulator
from migrator.simulator.globs import glob_matches, glob_to_regex
from migrator.xpipe import constants as C


@pytest.fixture(params=VERSIONS)
def api(request):
    with Simulator(request.param) as sim:
        client = Api(sim)
        client.login_key()
        yield client


# ------------------------------------------------------------------------------------- glob translation


@pytest.mark.parametrize(
    "glob,regex",
    [
        ("**", ".*"),
        ("*", "[^/]*"),
        ("all connections/*", "all connections/[^/]*"),
        ("**/web01", ".*/web01"),
        ("{web01,**/web01}", "(web01|.*/web01)"),
        ("web0?", "web0."),
        ("[!ab]x", "[^ab]x"),
        ("a.b(c)+d|e^f$g@h%i", r"a\.b\(c\)\+d\|e\^f\$g\@h\%i"),
        ("x,y", "x,y"),
        (r"web\[1]", r"web\[1]"),
        (r"a\,b", "a,b"),
        ("***", ".*[^/]*"),
    ],
)
def test_glob_to_regex(glob, regex):
    assert glob_to_regex(glob) == regex


@pytest.mark.parametrize(
    "glob,subject,expected",
    [
        ("**", "all connections/prod/web", True),
        ("*", "all connections/prod", False),
        ("*", "all connections", True),
        ("all connections/*", "all connections/prod", True),
        ("all connections/*", "all connections/prod/web", False),
        ("{web01,**/web01}", "web01", True),
        ("{web01,**/web01}", "bastion/web01", True),
        ("{web01,**/web01}", "web010", False),
        ("WEB0?", "web01", True),
        ("web[0-1]2", "web12", True),
        ("web[!0-1]2", "web12", False),
        (r"web\[1]", "web[1]", True),
        ("web[1]", "web[1]", False),
        (r"a\*b", "a*b", True),
        (r"a\*b", "axb", False),
        ("a.b", "axb", False),
        ("default", "all connections/default", False),
    ],
)
def test_glob_matching(glob, subject, expected):
    assert glob_matches(glob, subject) is expected


# ------------------------------------------------------------------------------------- built-in vault


def test_builtin_categories_and_paths(api):
    found = api.category_query("**")
    builtin = {
        C.ALL_CONNECTIONS,
        C.DEFAULT_CATEGORY,
        C.ALL_IDENTITIES,
        C.LOCAL_IDENTITIES,
        C.ALL_SCRIPTS,
        C.CUSTOM_SCRIPTS,
        C.SCRIPT_SOURCES,
        C.ALL_MACROS,
    }
    assert builtin <= set(found)
    assert C.SYNCED_IDENTITIES not in found
    infos = {info["category"]: info for info in api.ok("/category/info", {"categories": found})["infos"]}
    assert infos[C.DEFAULT_CATEGORY]["name"] == ["all connections", "default"]
    assert infos[C.DEFAULT_CATEGORY]["parentCategory"] == C.ALL_CONNECTIONS
    assert infos[C.LOCAL_IDENTITIES]["name"] == ["all identities", "local"]
    assert infos[C.ALL_CONNECTIONS]["parentCategory"] is None
    assert infos[C.CUSTOM_SCRIPTS]["name"] == ["all scripts", "custom"]
    assert set(infos[C.DEFAULT_CATEGORY]["config"]) == {
        "color",
        "dontAllowScripts",
        "confirmAllModifications",
        "sync",
        "freezeConfigurations",
        "defaultIdentityStore",
        "defaultGatewayStore",
    }
    for info in infos.values():
        datetime.fromisoformat(info["lastModified"].replace("Z", "+00:00"))


def test_synced_identities_category_is_optional():
    with Simulator("23.8", synced_identities=True) as sim:
        api = Api(sim)
        api.login_key()
        assert api.category_query("all identities/synced") == [C.SYNCED_IDENTITIES]


def test_local_machine_entry(api):
    info = api.one(C.LOCAL_MACHINE)
    assert info[api.id_key] == C.LOCAL_MACHINE
    assert (info["name"], info["category"], info["type"]) == (["local machine"], ["default"], "local")
    assert info["rawData"] == {} and info["usageCategory"] == "shell" and info["cache"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", info["lastUsed"])
    assert api.query("all connections/default", "local machine", "local") == [C.LOCAL_MACHINE]


def test_unknown_uuids_fail_the_whole_info_request(api):
    missing = "0b3c2f7e-8d4a-4f55-9d6e-1a2b3c4d5e6f"
    response = api.info_response([C.LOCAL_MACHINE, missing])
    assert (response.status_code, response.json()) == (400, {"message": unknown_entry(api, missing)})
    categories = api.post("/category/info", {"categories": [C.DEFAULT_CATEGORY, missing]})
    assert (categories.status_code, categories.json()) == (400, {"message": f"Unknown category: {missing}"})


# ------------------------------------------------------------------------------------- a populated vault


@pytest.fixture
def vault(api):
    prod = api.add_category("Prod", C.ALL_CONNECTIONS)
    web = api.add_category("Web", prod)
    ids = {
        "prod": prod,
        "web": web,
        "web01": api.add("Web01", ssh("10.0.0.1"), category=web),
        "db01": api.add("db01", ssh("10.0.0.2"), category=prod),
        "bastion": api.add("Bastion", ssh("10.0.0.3"), category=prod),
        "slashed": api.add("team/a", ssh("10.0.0.4"), category=prod),
        "bracket": api.add("web[1]", ssh("10.0.0.5"), category=prod),
        "identity": api.add("id:deploy", local_identity("deploy"), category=C.LOCAL_IDENTITIES),
    }
    ids["inner"] = api.add("Inner", ssh("10.1.0.1", gateway=ids["bastion"]), category=prod)
    return ids


def test_query_everything_returns_all_complete_entries(api, vault):
    found = api.query()
    assert set(found) == {
        C.LOCAL_MACHINE,
        *[vault[k] for k in ("web01", "db01", "bastion", "slashed", "bracket", "identity", "inner")],
    }


def test_single_star_matches_one_path_segment(api, vault):
    top_level = api.query(name="*")
    assert vault["bastion"] in top_level and vault["inner"] not in top_level
    assert api.query(name="bastion/*") == [vault["inner"]]
    assert api.query(name="{inner,**/inner}") == [vault["inner"]]


def test_info_names_are_lower_cased_display_paths(api, vault):
    inner = api.one(vault["inner"])
    assert inner["name"] == ["bastion", "inner"]
    assert inner["category"] == ["prod"]
    assert api.one(vault["web01"])["category"] == ["prod", "web"]
    assert api.one(vault["slashed"])["name"] == ["team_a"]


def test_category_filters_use_the_full_path_including_root(api, vault):
    assert set(api.query(category="all connections/*")) == {
        C.LOCAL_MACHINE,
        vault["db01"],
        vault["bastion"],
        vault["slashed"],
        vault["bracket"],
        vault["inner"],
    }
    assert api.query(category="all connections/prod/web") == [vault["web01"]]
    assert api.query(category="*") == []
    assert api.query(category="default") == []
    assert api.query(category="Default/**") == []
    assert api.query(category="all identities/**") == [vault["identity"]]


def test_name_and_type_filters_are_case_insensitive(api, vault):
    assert api.query(name="WEB01") == [vault["web01"]]
    assert api.query(type_filter="localIdentity") == [vault["identity"]]
    assert set(api.query(type_filter="SSH")) == {
        vault[k] for k in ("web01", "db01", "bastion", "slashed", "bracket", "inner")
    }


def test_slashes_in_names_become_underscores_and_brackets_need_escapes(api, vault):
    assert api.query(name="team_a") == [vault["slashed"]]
    assert api.query(name="team/a") == []
    assert api.query(name=r"web\[1]") == [vault["bracket"]]
    assert api.query(name="web[1]") == []
    assert api.query(name="web0?") == [vault["web01"]]
    assert api.query(name="{db01,web01}", category="**") == [vault["web01"], vault["db01"]]


def test_category_query_globs(api, vault):
    assert set(api.category_query("all connections/*")) == {C.DEFAULT_CATEGORY, vault["prod"]}
    assert api.category_query("**/web") == [vault["web"]]
    assert set(api.category_query("*")) == {C.ALL_CONNECTIONS, C.ALL_IDENTITIES, C.ALL_SCRIPTS, C.ALL_MACROS}
    assert api.category_query("ALL CONNECTIONS/PROD") == [vault["prod"]]


def test_invalid_glob_is_a_server_error(api):
    response = api.post("/category/query", {"filter": "{unclosed"})
    assert response.status_code == 500
    assert response.json()["error"]["message"]
