"""Secret encryption endpoints and encrypted identity fields in the simulator.

See docs/xpipe-api.md §2.10, §2.11, §3.6-3.9.
"""

from __future__ import annotations

import json

import pytest
from helpers.simulator import VERSIONS, Api, inplace_password, local_identity, ssh

from migrator.simulator import Simulator
from migrator.xpipe import constants as C
from migrator.xpipe.inplace import b64d, encode_inplace


@pytest.fixture(params=VERSIONS)
def api(request):
    with Simulator(request.param) as sim:
        client = Api(sim)
        client.login_key()
        yield client


def add_identity(api: Api, name: str, **fields) -> str:
    return api.add(name, local_identity(**fields), category=C.LOCAL_IDENTITIES)


def decrypted_json(api: Api, node: dict) -> dict:
    return json.loads(api.decrypt(node))


# ------------------------------------------------------------------------------------- /secret/*


def test_encrypt_shape_and_round_trip(api):
    encrypted = api.encrypt("pässwörd 🔑")
    assert set(encrypted) == {"secret", "encryptedToken"}
    assert encrypted["secret"]["type"] == "vault"
    raw = b64d(encrypted["secret"]["encryptedValue"])
    assert len(raw) == 12 + len("pässwörd 🔑".encode()) + 16
    assert set(encrypted["encryptedToken"]) == {"token"}
    assert api.decrypt(encrypted) == "pässwörd 🔑"
    assert api.decrypt(api.encrypt("")) == ""


def test_encrypt_is_not_deterministic(api):
    first, second = api.encrypt("same"), api.encrypt("same")
    assert first["secret"]["encryptedValue"] != second["secret"]["encryptedValue"]
    assert first["encryptedToken"] != second["encryptedToken"]
    assert api.decrypt(first) == api.decrypt(second) == "same"


def test_decrypt_accepts_bare_legacy_values(api):
    assert api.decrypt(api.encrypt("bare")["secret"]) == "bare"
    assert (
        api.decrypt({"type": "default", "encryptedValue": "H6ev4ZzuTwMzJdIUKXg6VTi0OFuEUrxCIb_d9iUsmnFYGoO5"})
        == "passw0rd"
    )
    assert api.decrypt(encode_inplace("hunter2")) == "hunter2"
    assert api.decrypt({"secret": api.encrypt("no token")["secret"]}) == "no token"


def test_ciphertext_of_another_vault_decrypts_to_empty(api):
    with Simulator("23.8") as other_sim:
        other = Api(other_sim)
        other.login_key()
        foreign = other.encrypt("elsewhere")
    assert api.decrypt(foreign) == ""
    assert api.decrypt(foreign["secret"]) == ""
    assert api.decrypt({"type": "vault", "encryptedValue": "AAAA"}) == ""
    assert api.decrypt({"type": "default", "encryptedValue": "not base64!"}) == ""


@pytest.mark.parametrize(
    "node", ["plain text", 5, [], {"foo": 1}, {"secret": "x"}, {"type": "other", "encryptedValue": "x"}]
)
def test_unparsable_secret_nodes_are_400(api, node):
    response = api.post("/secret/decrypt", {"encrypted": node})
    assert (response.status_code, response.json()) == (400, {"message": "Unable to parse secret"})


# ------------------------------------------------------------------------------------- identity secrets


def test_wrapper_is_decrypted_and_returned_verbatim(api):
    strategy = inplace_password("s3cret")
    wrapper = api.encrypt(json.dumps(strategy))
    created = add_identity(api, "id:wrapped", password=wrapper)
    raw = api.one(created)["rawData"]
    assert raw["password"] == wrapper
    assert decrypted_json(api, raw["password"]) == strategy
    # the wrapper was parsed: the same strategy sent raw is an equal store
    assert add_identity(api, "id:raw-twin", password=strategy) == created


def test_raw_strategy_is_encrypted_by_the_vault(api):
    strategy = inplace_password("s3cret")
    created = add_identity(
        api,
        "id:raw",
        password=strategy,
        key={"type": "file", "file": "C:\\keys\\id_ed25519", "password": {"type": "none"}, "comment": "dropped"},
    )
    raw = api.one(created)["rawData"]
    assert set(raw["password"]) == {"secret", "encryptedToken"}
    assert raw["password"] != strategy
    assert decrypted_json(api, raw["password"]) == strategy
    assert decrypted_json(api, raw["sshIdentity"]) == {
        "type": "file",
        "file": "C:/keys/id_ed25519",
        "password": {"type": "none"},
        "publicKey": None,
    }


def test_equality_compares_decrypted_values_not_ciphertext(api):
    first = add_identity(api, "id:one", password=inplace_password("same"))
    assert add_identity(api, "id:two", password=inplace_password("same")) == first
    wrapped = api.encrypt(json.dumps(inplace_password("same")))
    assert add_identity(api, "id:three", password=wrapped) == first
    assert add_identity(api, "id:four", password=inplace_password("different")) != first


def test_docs_recipe_with_an_encrypted_inplace_value_loses_the_password(api):
    """The docs put a /secret/encrypt result into an inPlace strategy's ``value``: it parses to null."""
    broken = {"type": "inPlace", "value": api.encrypt("passw0rd")}
    host = api.add(
        "recipe-web", ssh("10.0.0.1", identity={"type": "inPlace", "identityStore": local_identity(password=broken)})
    )
    stored = api.one(host)["rawData"]["identity"]["identityStore"]["password"]
    assert decrypted_json(api, stored) == {"type": "inPlace", "value": None}

    response = api.add_response("id:recipe", local_identity(password=broken), category=C.LOCAL_IDENTITIES)
    assert response.status_code == 500
    assert "must not be empty" in response.json()["error"]["message"]


def test_docs_recipe_inside_a_wrapper_is_hidden_in_raw_data_but_still_refused(api):
    broken_text = json.dumps({"type": "inPlace", "value": api.encrypt("passw0rd")})
    wrapper = api.encrypt(broken_text)
    response = api.add_response("id:recipe-wrapped", local_identity(password=wrapper), category=C.LOCAL_IDENTITIES)
    assert response.status_code == 500
    host = api.add(
        "recipe-wrapped-web",
        ssh("10.0.0.2", identity={"type": "inPlace", "identityStore": local_identity(password=wrapper)}),
    )
    stored = api.one(host)["rawData"]["identity"]["identityStore"]["password"]
    assert stored == wrapper


def test_vault_value_in_an_inplace_strategy_is_null_too(api):
    broken = {"type": "inPlace", "value": api.encrypt("passw0rd")["secret"]}
    host = api.add(
        "vault-value-web",
        ssh("10.0.0.3", identity={"type": "inPlace", "identityStore": local_identity(password=broken)}),
    )
    stored = api.one(host)["rawData"]["identity"]["identityStore"]["password"]
    assert decrypted_json(api, stored)["value"] is None


def test_foreign_wrapper_becomes_null(api):
    with Simulator("24.0") as other_sim:
        other = Api(other_sim)
        other.login_key()
        foreign = other.encrypt(json.dumps(inplace_password("x")))
    created = add_identity(api, "id:foreign", password=foreign)
    assert api.one(created)["rawData"]["password"] is None


def test_wrapper_of_a_bare_password_is_refused_without_echoing_it(api):
    response = api.add_response(
        "id:bare", local_identity(password=api.encrypt("passw0rd")), category=C.LOCAL_IDENTITIES
    )
    assert response.status_code == 400
    assert "passw0rd" not in response.text


def test_legacy_value_as_encrypted_field(api):
    strategy = {"type": "prompt"}
    legacy = encode_inplace(json.dumps(strategy))
    created = add_identity(api, "id:legacy", password=legacy)
    stored = api.one(created)["rawData"]["password"]
    assert set(stored) == {"secret", "encryptedToken"}
    assert decrypted_json(api, stored) == strategy


def test_inplace_key_accepts_any_secret_value(api):
    key_secret = api.encrypt("-----BEGIN OPENSSH PRIVATE KEY-----")["secret"]
    created = add_identity(api, "id:key", key={"type": "inPlaceKey", "key": key_secret, "password": {"type": "none"}})
    stored = decrypted_json(api, api.one(created)["rawData"]["sshIdentity"])
    assert stored == {"type": "inPlaceKey", "key": key_secret, "publicKey": None, "password": {"type": "none"}}
    assert api.decrypt(stored["key"]) == "-----BEGIN OPENSSH PRIVATE KEY-----"


@pytest.mark.parametrize("password", [{"type": "inplace", "value": encode_inplace("x")}, {"value": "x"}, "none"])
def test_unknown_strategy_types_become_null(api, password):
    created = add_identity(api, "id:unknown", password=password)
    assert api.one(created)["rawData"]["password"] is None


@pytest.mark.parametrize(
    "key,complete",
    [
        ({"type": "file", "file": "~/.ssh/id"}, False),
        ({"type": "file", "file": "~/.ssh/id", "password": {"type": "prompt"}}, True),
        ({"type": "inPlaceKey", "password": {"type": "none"}}, False),
        ({"type": "sshAgent", "publicKey": None}, True),
        ({"type": "otherExternal"}, True),
        ({"type": "passwordManagerAgent"}, False),
        ({"type": "certificateFile", "file": "a", "password": {"type": "none"}}, False),
        ({"type": "hardwareSecurityKey", "securityKey": {"type": "yubikeyPiv"}}, True),
    ],
)
def test_key_strategy_completeness(api, key, complete):
    response = api.add_response("id:key-check", local_identity(key=key), category=C.LOCAL_IDENTITIES)
    assert response.status_code == (200 if complete else 500), response.text


@pytest.mark.parametrize(
    "password,complete",
    [
        ({"type": "passwordManager", "key": "item"}, True),
        ({"type": "passwordManager"}, False),
        ({"type": "customCommand", "command": "pass show x"}, True),
        ({"type": "customCommand"}, False),
        ({"type": "inPlace"}, False),
    ],
)
def test_password_strategy_completeness(api, password, complete):
    response = api.add_response("id:pw-check", local_identity(password=password), category=C.LOCAL_IDENTITIES)
    assert response.status_code == (200 if complete else 500), response.text
