"""The Tabby source on configs the generator writes as js-yaml 4.1.0 and Tabby's vault do (tests/helpers/tabby.py),
checked against fixtures the real js-yaml and node's crypto produced (tests/data/tabby, see its README)."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from helpers.paths import REPO_ROOT
from helpers.tabby import (
    config_doc,
    encrypt_vault,
    encrypted_config,
    js_yaml_dump,
    passphrase_secret,
    password_secret,
    ssh_profile,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.sources import detect_format
from migrator.sources.secrets import PASSWORD_ENV, WrongSourceSecret
from migrator.sources.tabby.source import TabbySource
from migrator.sources.tabby.vault import WrongPassphrase, open_vault
from migrator.sources.tabby.yaml_js import parse_js_yaml, resolve_js_plain

DATA = REPO_ROOT / "tests" / "data" / "tabby"
PASS = "vault pass ✓ 'q'"


def write(tmp_path, doc, name="config.yaml"):
    path = tmp_path / name
    path.write_text(js_yaml_dump(doc), encoding="utf-8")
    return path


def read(path, passphrase=None, monkeypatch=None, **options):
    if passphrase is not None:
        secret = path.parent / "pass.txt"
        secret.write_text(passphrase + "\n", encoding="utf-8")
        options["password_file"] = secret
    return TabbySource(path, **options).read()


def hosts(result):
    return {h.name: h for h in result.hosts}


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


# ---- YAML as js-yaml writes and reads it --------------------------------------------------------------


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_the_dumper_reproduces_real_js_yaml_output_byte_for_byte():
    doc = json.loads((DATA / "js-yaml-input.json").read_text(encoding="utf-8"))
    assert js_yaml_dump(doc) == (DATA / "js-yaml-4.1.0-dump.yaml").read_text(encoding="utf-8")


def test_the_reader_loads_js_yaml_output_as_js_yaml_does():
    value, problems = parse_js_yaml((DATA / "js-yaml-4.1.0-dump.yaml").read_text(encoding="utf-8"))
    assert not problems
    assert _plain(value) == json.loads((DATA / "js-yaml-4.1.0-load.json").read_text(encoding="utf-8"))


JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | JSON_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT.filter(lambda k: k != "<<"), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300)
@given(st.dictionaries(JSON_TEXT.filter(lambda k: k != "<<"), JSON_VALUES, min_size=1, max_size=5))
def test_what_the_dumper_writes_reads_back_the_same_and_pyyaml_agrees(doc):
    text = js_yaml_dump(doc)
    value, problems = parse_js_yaml(text)
    assert not [p for p in problems if p.level == "error"], problems
    assert _plain(value) == doc
    assert yaml.safe_load(text) == doc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yes", "yes"),
        ("on", "on"),
        ("0755", 755),
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("1:20", "1:20"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("Null", None),
        ("1e3", 1000.0),
        ("22", 22),
        ("-7", -7),
        ("10.0.0.1", "10.0.0.1"),
        ("_1", "_1"),
        ("1_", "1_"),
    ],
)
def test_plain_scalars_are_typed_by_js_yamls_default_schema(text, expected):
    got = resolve_js_plain(text)
    assert got == expected and type(got) is type(expected)


def test_special_floats():
    assert math.isinf(resolve_js_plain("-.inf")) and math.isnan(resolve_js_plain(".NaN"))


# ---- the vault ----------------------------------------------------------------------------------------


def test_a_vault_node_encrypted_opens_with_its_passphrase_and_not_another():
    fixture = json.loads((DATA / "node-vault.json").read_text(encoding="utf-8"))
    vault = open_vault(fixture["stored"], fixture["passphrase"])
    assert vault.secrets == fixture["content"]["secrets"]
    for wrong in ("", "correct horse battery", fixture["passphrase"] + " "):
        with pytest.raises(WrongPassphrase):
            open_vault(fixture["stored"], wrong)


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
@settings(max_examples=10, deadline=None)
def test_the_generator_vault_round_trips_any_passphrase(passphrase):
    content = {"config": None, "secrets": [password_secret("u", "h", 22, "pw")]}
    assert open_vault(encrypt_vault(content, passphrase), passphrase).secrets == content["secrets"]


# ---- profiles -----------------------------------------------------------------------------------------


def base_profiles():
    return [
        ssh_profile("ssh:custom:gw:1", "gw", "gw.example.net", "g-infra", user="jump", port=2022),
        ssh_profile(
            "ssh:custom:web:2",
            "web",
            "10.0.0.5",
            "g-web",
            jumpHost="ssh:custom:gw:1",
            auth="password",
            agentForward=True,
        ),
        ssh_profile("ssh:custom:db:3", "db", "2001:db8::7", None, privateKeys=["/keys/%h-%r", "file:///keys/two"]),
        {"type": "local", "name": "shell", "id": "local:custom:1", "options": {}},
    ]


GROUPS = [{"id": "g-infra", "name": "Infra"}, {"id": "g-web", "name": "Web", "parentGroupId": "g-infra"}]


def test_every_field_of_a_plain_config(tmp_path):
    doc = config_doc(base_profiles(), GROUPS)
    doc["profiles"][2]["options"]["password"] = "inline pw ü"
    result = read(write(tmp_path, doc))
    h = hosts(result)
    gw, web, db = h["gw"], h["web"], h["db"]
    assert (gw.address, gw.port, gw.user, gw.category) == ("gw.example.net", 2022, "jump", ["Infra"])
    assert (web.user, web.category, web.ssh_options) == ("root", ["Infra", "Web"], [("ForwardAgent", "yes")])
    assert web.credentials.password_prompt and web.credentials.password is None
    hop = web.jump[0]
    assert (hop.host, hop.port, hop.user, hop.ref, hop.ref_key) == ("gw.example.net", 2022, "jump", "gw", gw.key)
    assert db.credentials.key_files == ["/keys/2001:db8::7-root", "/keys/two"]
    assert db.credentials.password.get_secret_value() == "inline pw ü"
    assert gw.key == f"tabby:{tmp_path / 'config.yaml'}#ssh:custom:gw:1"
    assert {(d.code, d.entry) for d in result.diagnostics} == {("not-ssh", "shell")}


def test_defaults_come_from_profile_defaults_and_the_group(tmp_path):
    groups = [{"id": "g1", "name": "G", "defaults": {"ssh": {"options": {"user": "groupuser", "port": 2200}}}}]
    doc = config_doc(
        [ssh_profile("ssh:a", "a", "a.example.net", "g1"), ssh_profile("ssh:b", "b", "b.example.net", port=23)],
        groups,
        profileDefaults={"ssh": {"options": {"user": "globaluser"}}},
    )
    h = hosts(read(write(tmp_path, doc)))
    assert (h["a"].user, h["a"].port) == ("groupuser", 2200)
    assert (h["b"].user, h["b"].port) == ("globaluser", 23)


def test_vault_passwords_and_key_passphrases_are_found_like_tabby(tmp_path):
    key = tmp_path / "id_test"
    key.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    profiles = [
        ssh_profile("ssh:1", "exact", "a.example.net", user="alice"),
        ssh_profile("ssh:2", "default", "b.example.net", user="bob"),
        ssh_profile("ssh:3", "keyed", "c.example.net", privateKeys=[str(key)], auth="publicKey"),
        ssh_profile("ssh:4", "agent", "d.example.net", auth="agent"),
    ]
    secrets = [
        password_secret("alice", "a.example.net", 22, "alice pw 'x'"),
        {"type": "ssh:password", "key": {"user": "bob", "host": None, "port": 22}, "value": "shared pw"},
        {
            "type": "ssh:password",
            "key": {"user": "alice", "host": "a.example.net", "port": "22"},
            "value": "no: port is text",
        },
        passphrase_secret(key.read_bytes(), "key passphrase ✓"),
    ]
    doc = config_doc(profiles, vault=encrypt_vault({"secrets": secrets}, PASS))
    h = hosts(read(write(tmp_path, doc), PASS))
    assert h["exact"].credentials.password.get_secret_value() == "alice pw 'x'"
    assert h["default"].credentials.password.get_secret_value() == "shared pw"
    assert h["keyed"].credentials.key_passphrase.get_secret_value() == "key passphrase ✓"
    assert h["keyed"].credentials.password is None and h["agent"].credentials.agent == "openssh"


def test_an_encrypted_config_opens_with_the_passphrase(tmp_path):
    config = config_doc(base_profiles(), GROUPS)
    path = write(tmp_path, encrypted_config(config, PASS, [password_secret("root", "10.0.0.5", 22, "web pw")]))
    h = hosts(read(path, PASS))
    assert sorted(h) == ["db", "gw", "web"] and h["web"].credentials.password.get_secret_value() == "web pw"
    assert h["web"].category == ["Infra", "Web"]


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_wrong_or_missing_passphrase_is_one_line_and_nothing_is_read(tmp_path, encrypted):
    config = config_doc(base_profiles(), GROUPS)
    doc = encrypted_config(config, PASS) if encrypted else dict(config, vault=encrypt_vault({"secrets": []}, PASS))
    path = write(tmp_path, doc)
    with pytest.raises(WrongSourceSecret) as err:
        read(path, "not it")
    assert "\n" not in str(err.value) and "does not unlock" in str(err.value) and "not it" not in str(err.value)
    with pytest.raises(WrongSourceSecret, match="vault passphrase"):
        read(path)


def test_the_environment_gives_the_passphrase(tmp_path, monkeypatch):
    path = write(tmp_path, encrypted_config(config_doc(base_profiles(), GROUPS), PASS))
    monkeypatch.setenv(PASSWORD_ENV, PASS)
    assert len(TabbySource(path).read().hosts) == 3


def test_jump_chains_loops_missing_and_builtin_ids_are_held(tmp_path):
    profiles = [
        ssh_profile("ssh:a", "a", "a.example.net", jumpHost="ssh:b"),
        ssh_profile("ssh:b", "b", "b.example.net", jumpHost="ssh:c"),
        ssh_profile("ssh:c", "c", "c.example.net"),
        ssh_profile("ssh:l1", "l1", "l1.example.net", jumpHost="ssh:l2"),
        ssh_profile("ssh:l2", "l2", "l2.example.net", jumpHost="ssh:l1"),
        ssh_profile("ssh:self", "self", "s.example.net", jumpHost="ssh:self"),
        ssh_profile("ssh:m", "missing", "m.example.net", jumpHost="ssh:nope"),
        ssh_profile("ssh:o", "builtin", "o.example.net", jumpHost="openssh-config:abc"),
        ssh_profile("ssh:t", "to-local", "t.example.net", jumpHost="local:1"),
        ssh_profile("ssh:d", "dependent", "d.example.net", jumpHost="ssh:m"),
        ssh_profile("ssh:p", "proxied", "p.example.net", jumpHost="ssh:nope", proxyCommand="ssh -W %h:%p gw"),
        {"type": "local", "name": "local", "id": "local:1", "options": {}},
    ]
    path = write(tmp_path, config_doc(profiles))
    result = read(path)
    h = hosts(result)
    assert sorted(h) == ["a", "b", "c", "proxied"]
    assert h["a"].jump[0].ref_key == h["b"].key and h["b"].jump[0].ref_key == h["c"].key
    assert h["proxied"].proxy_command == "ssh -W %h:%p gw" and not h["proxied"].jump
    source = TabbySource(path)
    assert result.held == {source.key(i) for i in ("ssh:l1", "ssh:l2", "ssh:self", "ssh:m", "ssh:o", "ssh:t", "ssh:d")}
    errors = {d.entry: d.message for d in result.errors}
    assert (
        "loops back" in errors["self"]
        and "ssh_config" in errors["builtin"]
        and "not an SSH profile" in errors["to-local"]
    )


def test_profiles_without_ids_and_pre_v3_connections_are_keyed_by_name(tmp_path):
    doc = {
        "version": 2,
        "ssh": {
            "connections": [
                {"name": "old", "host": "old.example.net", "user": "u", "jumpHost": "older"},
                {"name": "older", "host": "older.example.net"},
            ]
        },
        "profiles": [{"type": "ssh", "name": "noid", "options": {"host": "n.example.net"}}],
    }
    path = write(tmp_path, doc)
    h = hosts(read(path))
    source = TabbySource(path)
    assert {x.key for x in h.values()} == {source.key("noid"), source.key("old"), source.key("older")}
    assert h["old"].jump[0].ref_key == source.key("older")


def test_vault_keys_and_bad_values_hold_the_profile(tmp_path):
    profiles = [
        ssh_profile("ssh:v", "vaultkey", "v.example.net", privateKeys=["vault://abc"]),
        ssh_profile("ssh:p", "badport", "p.example.net", port="http"),
        ssh_profile("ssh:e", "nohost", ""),
        ssh_profile("ssh:a", "badauth", "a.example.net", auth="kerberos"),
        ssh_profile("ssh:s", "store", "s.example.net", privateKeys=["s3://bucket/key"]),
    ]
    path = write(tmp_path, config_doc(profiles, vault=encrypt_vault({"secrets": []}, PASS)))
    result = read(path, PASS)
    assert not result.hosts and len(result.held) == 5
    assert {d.entry: d.code for d in result.errors} == {
        "vaultkey": "vault-key",
        "badport": "invalid-port",
        "nohost": "no-host",
        "badauth": "invalid-auth",
        "store": "invalid-value",
    }


def test_proxies_are_reported(tmp_path):
    path = write(tmp_path, config_doc([ssh_profile("ssh:s", "socks", "s.example.net", socksProxyHost="127.0.0.1")]))
    result = read(path)
    assert [d.code for d in result.diagnostics] == ["proxy-not-carried"] and len(result.hosts) == 1


def test_a_hand_edited_config_is_typed_like_tabby_reads_it(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "profiles:\n- type: ssh\n  id: ssh:1\n  name: yes\n  options:\n    host: h.example.net\n    port: 0022\n"
        "    user: on\n",
        encoding="utf-8",
    )
    (host,) = read(path).hosts
    assert (host.name, host.port, host.user) == ("yes", 22, "on")


@pytest.mark.parametrize(
    "text, code",
    [
        ("profiles:\n  - type: ssh\n    name: [unclosed\n", "yaml"),
        ("profiles:\n\t- x\n", "yaml"),
        ("profiles:\n  - just text\n", "invalid-profile"),
    ],
)
def test_broken_yaml_is_reported_with_its_line_and_the_read_is_partial(tmp_path, text, code):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = read(path)
    assert result.partial and any(d.code == code and d.line for d in result.diagnostics)


def test_a_top_level_that_is_not_a_mapping_is_one_input_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a Tabby config"):
        read(path)


@given(st.binary(max_size=400))
@settings(max_examples=150)
def test_any_bytes_after_a_valid_start_end_in_diagnostics(data):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_bytes(b"profiles:\n  - type: ssh\n    id: x\n" + data)
        try:
            result = read(path)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        for d in result.diagnostics:
            assert d.message and "\n" not in str(d)


def test_detection(tmp_path):
    path = write(tmp_path, config_doc(base_profiles(), GROUPS))
    assert detect_format(path) == "tabby"
    locked = write(tmp_path, encrypted_config(config_doc([]), PASS), "other.yaml")
    assert detect_format(locked) == "tabby"


def test_a_bom_is_skipped_and_bad_utf8_is_a_warning_like_tabby_reads_it(tmp_path):
    path = tmp_path / "config.yaml"
    text = js_yaml_dump(config_doc([ssh_profile("ssh:1", "caf\u00e9", "h.example.net")]))
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert [h.name for h in read(path).hosts] == ["caf\u00e9"]
    path.write_bytes(
        text.replace("caf\u00e9", "caf\u00e9").encode("utf-8").replace("caf\xc3\xa9".encode("latin-1"), b"caf\xe9")
    )
    result = read(path)
    assert [h.name for h in result.hosts] == ["caf\ufffd"] and [d.code for d in result.diagnostics] == ["encoding"]


def test_a_pre_v5_group_name_is_the_folder(tmp_path):
    doc = {
        "version": 4,
        "profiles": [
            {"type": "ssh", "name": "a", "id": "ssh:a", "group": "Old Group", "options": {"host": "a.example.net"}}
        ],
    }
    (host,) = read(write(tmp_path, doc)).hosts
    assert host.category == ["Old Group"]
