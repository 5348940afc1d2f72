"""rJSON documents (Royal TS dynamic-folder JSON): nesting, Path, IDs, credentials, gateways."""

from __future__ import annotations

import json

import pytest
from helpers import royalts as gen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import ConfigError, InputError
from migrator.sources import detect_format
from migrator.sources.royalts.source import RoyalTsSource
from migrator.sources.secrets import PASSWORD_ENV


@pytest.fixture(autouse=True)
def _no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def read(tmp_path, data: bytes, name="doc.rjson", **opts):
    path = tmp_path / name
    path.write_bytes(data)
    return RoyalTsSource(path, **opts).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def pw(host):
    return host.credentials.password.get_secret_value() if host.credentials.password else None


DOCS_SAMPLE = [  # the structure of royalapplications/docs rjson/object-references-and-inheritance.md
    {
        "Type": "Folder",
        "Name": "Shared",
        "Objects": [
            {
                "Type": "Credential",
                "Name": "Domain Admin",
                "Username": "administrator",
                "Password": "@he38q!",
                "ID": "00001",
            },
            {
                "Type": "SecureGateway",
                "Name": "Gateway 01",
                "ComputerName": "gateway01",
                "CredentialID": "00001",
                "ID": "00002",
            },
        ],
    },
    {
        "Type": "Folder",
        "Name": "Connections",
        "CredentialID": "00001",
        "SecureGatewayID": "00002",
        "Objects": [
            {
                "Type": "RemoteDesktopConnection",
                "Name": "Hyper-V VM 01",
                "ComputerName": "hyper-v-vm-01",
                "CredentialsFromParent": True,
                "SecureGatewayFromParent": True,
            },
            {
                "Type": "TerminalConnection",
                "TerminalConnectionType": "SSH",
                "Name": "MailServer 01",
                "ComputerName": "mail-server-01",
                "Username": "root",
                "Password": "@(h8e3r12!",
                "SecureGatewayFromParent": True,
            },
            {
                "Type": "TerminalConnection",
                "Name": "Inherits",
                "ComputerName": "inherits.example.net",
                "Port": 2022,
                "CredentialsFromParent": True,
                "SecureGatewayFromParent": True,
                "Description": "via folder",
            },
        ],
    },
]


def test_the_documented_structure_reads_with_references_and_inheritance(tmp_path):
    result = read(tmp_path, gen.rjson(DOCS_SAMPLE, name="Sample"))
    hosts = by_name(result)
    assert set(hosts) == {"Gateway 01", "MailServer 01", "Inherits"}
    gw, mail, inh = hosts["Gateway 01"], hosts["MailServer 01"], hosts["Inherits"]
    assert (gw.address, gw.user, pw(gw), gw.category, gw.key.endswith("#00002")) == (
        "gateway01",
        "administrator",
        "@he38q!",
        ["Shared"],
        True,
    )
    assert (mail.user, pw(mail), mail.category) == ("root", "@(h8e3r12!", ["Connections"])
    assert [j.ref_key for j in mail.jump] == [gw.key]
    assert (inh.user, pw(inh), inh.port, inh.description) == ("administrator", "@he38q!", 2022, "via folder")
    assert [d.code for d in result.diagnostics] == ["not-ssh"]


def test_trailing_commas_like_the_official_samples_and_case_insensitive_names(tmp_path):
    objects = [{"type": "terminalconnection", "NAME": "a", "computername": "a.example.net", "username": "u"}]
    result = read(tmp_path, gen.rjson(objects, trailing_commas=True))
    assert [(h.name, h.address, h.user) for h in result.hosts] == [("a", "a.example.net", "u")]


def test_path_wins_over_nesting_and_merges_with_existing_folders(tmp_path):
    objects = [
        {
            "Type": "Folder",
            "Name": "Client A",
            "Objects": [
                {
                    "Type": "Folder",
                    "Name": "Connections",
                    "Username": "folder-user",
                    "Objects": [
                        {
                            "Type": "TerminalConnection",
                            "Name": "nested",
                            "ComputerName": "n.example.net",
                            "CredentialsFromParent": True,
                        },
                        {
                            "Type": "TerminalConnection",
                            "Name": "moved",
                            "ComputerName": "m.example.net",
                            "Path": "\\Client B/Linux",
                        },
                    ],
                },
            ],
        },
        {
            "Type": "TerminalConnection",
            "Name": "placed",
            "ComputerName": "p.example.net",
            "Path": "/Client A/Connections",
            "CredentialsFromParent": True,
        },
    ]
    hosts = by_name(read(tmp_path, gen.rjson(objects)))
    assert hosts["nested"].category == ["Client A", "Connections"] and hosts["nested"].user == "folder-user"
    assert hosts["moved"].category == ["Client B", "Linux"]
    assert hosts["placed"].category == ["Client A", "Connections"] and hosts["placed"].user == "folder-user"


def test_ids_of_any_string_and_name_keys_for_objects_without_one(tmp_path):
    objects = [
        {"Type": "TerminalConnection", "Name": "web", "ComputerName": "a.example.net", "ID": "ext-42"},
        {"Type": "TerminalConnection", "Name": "web", "ComputerName": "b.example.net"},
        {"Type": "TerminalConnection", "Name": "web", "ComputerName": "c.example.net"},
        {
            "Type": "TerminalConnection",
            "Name": "g",
            "ComputerName": "d.example.net",
            "ID": "041471CD-1202-40A6-84E3-83F3CEB57A99",
        },
    ]
    keys = [h.key.partition("rjson#")[2] for h in read(tmp_path, gen.rjson(objects)).hosts]
    assert keys == ["ext-42", "web", "web#2", "041471cd-1202-40a6-84e3-83f3ceb57a99"]


def test_terminal_kinds_other_than_ssh_and_other_types_are_reported(tmp_path):
    objects = [
        {"Type": "TerminalConnection", "TerminalConnectionType": "Telnet", "Name": "t", "ComputerName": "t"},
        {"Type": "TerminalConnection", "TerminalConnectionType": "SerialPort", "Name": "s"},
        {"Type": "VNCConnection", "Name": "v", "ComputerName": "v.example.net"},
        {"Type": "ToDo", "Name": "later"},
        {"Type": "TerminalConnection", "Name": "ok", "ComputerName": "ok.example.net"},
    ]
    result = read(tmp_path, gen.rjson(objects))
    assert [h.name for h in result.hosts] == ["ok"]
    assert [d.code for d in result.diagnostics] == ["not-ssh", "not-ssh", "not-ssh"]


def test_embedded_key_content_is_held_and_key_paths_are_carried(tmp_path):
    objects = [
        {
            "Type": "TerminalConnection",
            "Name": "embedded",
            "ComputerName": "e.example.net",
            "KeyFileContent": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
        },
        {
            "Type": "TerminalConnection",
            "Name": "file",
            "ComputerName": "f.example.net",
            "Username": "k",
            "KeyFilePath": "~/.ssh/id_ed25519",
            "KeyFilePassphrase": "p phrase",
        },
    ]
    result = read(tmp_path, gen.rjson(objects))
    (host,) = result.hosts
    assert host.credentials.key_files == ["~/.ssh/id_ed25519"]
    assert host.credentials.key_passphrase.get_secret_value() == "p phrase"
    assert [d.code for d in result.errors] == ["embedded-key"] and len(result.held) == 1
    assert "BEGIN" not in " ".join(str(d) for d in result.diagnostics)


def test_gateway_usage_values_and_properties(tmp_path):
    objects = [
        {"Type": "SecureGateway", "Name": "gw", "ComputerName": "gw.example.net", "SecureGatewayPort": 2200, "ID": "g"},
        {
            "Type": "TerminalConnection",
            "Name": "never",
            "ComputerName": "a",
            "SecureGatewayID": "g",
            "SecureGatewayUsage": "Never",
        },
        {
            "Type": "TerminalConnection",
            "Name": "ondemand",
            "ComputerName": "b",
            "SecureGatewayID": "g",
            "SecureGatewayUsage": "OnDemand",
        },
        {"Type": "TerminalConnection", "Name": "raw", "ComputerName": "c", "Properties": {"Port": "2201"}},
    ]
    hosts = by_name(read(tmp_path, gen.rjson(objects)))
    assert hosts["never"].jump == [] and [j.port for j in hosts["ondemand"].jump] == [2200]
    assert hosts["raw"].port == 2201


def test_a_dynamic_credential_is_reported_not_resolved(tmp_path):
    objects = [
        {"Type": "DynamicCredential", "Name": "dyn", "ID": "d"},
        {"Type": "TerminalConnection", "Name": "x", "ComputerName": "x.example.net", "CredentialID": "d"},
    ]
    result = read(tmp_path, gen.rjson(objects))
    assert result.hosts[0].user is None and [d.code for d in result.diagnostics] == ["dynamic-credential"]


@pytest.mark.parametrize(
    "data, match",
    [
        (b"[1, 2]", "must be an object"),
        (b'{"Name": "x"}', "no 'Objects'"),
        (b'{"Objects": [', "not valid JSON"),
        (b"\xff\xfe\x00\xd8", "not UTF-8"),
        (b"{" * 5000 + b"}" * 5000, "nested too deeply|not valid JSON|no 'Objects'"),
    ],
)
def test_broken_rjson_is_one_input_error(tmp_path, data, match):
    with pytest.raises(InputError, match=match) as err:
        read(tmp_path, data)
    assert "\n" not in str(err.value)


def test_objects_without_type_make_the_read_partial_and_bad_items_are_named_by_line(tmp_path):
    text = json.dumps(
        {
            "Objects": [
                {"Type": "TerminalConnection", "Name": "a", "ComputerName": "a.example.net"},
                {"Name": "no type", "ComputerName": "x"},
                "not an object",
                {"Type": "TerminalConnection", "Name": "b", "ComputerName": ["list"]},
            ]
        },
        indent=2,
    ).encode()
    result = read(tmp_path, text)
    assert result.partial and [h.name for h in result.hosts] == ["a"]
    lines = {d.code: d.line for d in result.diagnostics}
    assert lines["rjson-no-type"] == 8 and "rjson-value" in lines and "no-host" in lines


def test_password_file_does_not_apply_to_rjson(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("x")
    with pytest.raises(ConfigError, match="does not apply"):
        read(tmp_path, gen.rjson([]), password_file=str(secret))


def test_detection_by_suffix_and_content(tmp_path):
    (tmp_path / "a.rjson").write_bytes(gen.rjson(DOCS_SAMPLE))
    (tmp_path / "b.json").write_bytes(gen.rjson(DOCS_SAMPLE))
    assert detect_format(tmp_path / "a.rjson") == "royalts"
    assert detect_format(tmp_path / "b.json") == "royalts"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "Type",
                        "Name",
                        "ID",
                        "Objects",
                        "Path",
                        "Port",
                        "ComputerName",
                        "CredentialID",
                        "SecureGatewayID",
                        "Properties",
                        "Username",
                    ]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_any_json_shape_ends_in_diagnostics_or_one_input_error(tmp_path, objects):
    try:
        result = read(tmp_path, json.dumps({"Objects": objects}).encode())
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for d in result.diagnostics:
        assert d.file and d.message and "\n" not in str(d)


def test_a_number_too_long_for_python_is_one_input_error(tmp_path):
    with pytest.raises(InputError, match="number too long"):
        read(tmp_path, b'{"Objects": [{"Type": "Folder", "Name": "x", "Port": ' + b"9" * 5000 + b"}]}")
