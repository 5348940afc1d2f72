"""Devolutions RDM exports from the generator (real fixed-key 3DES), read back with every field exact."""

from __future__ import annotations

import pytest
from helpers import rdm as gen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.sources import detect_format
from migrator.sources.rdm import crypto
from migrator.sources.rdm.source import RdmSource


def read(tmp_path, data: bytes, name="export.rdm"):
    path = tmp_path / name
    path.write_bytes(data)
    return RdmSource(path).read()


def pw(host):
    return host.credentials.password.get_secret_value() if host.credentials.password else None


@pytest.mark.parametrize("block, value, plain", gen.VECTORS)
def test_the_real_exports_vectors_decrypt(block, value, plain):
    assert crypto.decrypt(block, value) == plain


@pytest.mark.parametrize("value", gen.HISTORY_VALUES)
def test_password_history_values_are_not_under_the_terminal_key(value):
    with pytest.raises(crypto.NotFixedKey):
        crypto.decrypt("Terminal", value)


@given(st.text(max_size=120), st.sampled_from(sorted(gen.KEYS)))
def test_any_password_round_trips_through_the_generator(plain, block):
    assert crypto.decrypt(block, gen.safe_password(plain, block)) == plain


def test_ecb_repeats_equal_blocks_like_the_real_files():
    value = gen.safe_password("abcdefghabcdefgh")
    import base64

    raw = base64.b64decode(value)
    assert raw[:8] == raw[8:16]


@pytest.mark.parametrize("value", ["", "!!!", "QUJD", "QUJDREVGR0g=" * 10000])
def test_values_that_are_not_fixed_key_ciphertext(value):
    with pytest.raises(crypto.NotFixedKey):
        crypto.decrypt("Terminal", value)


def realistic() -> list[gen.Entry]:
    return [
        gen.Entry("Group", "Prod", values={"Group": "Prod"}),
        gen.Entry("Group", "Linux", values={"Group": "Prod\\Linux"}),
        gen.ssh(
            "web-01",
            "web01.example.net",
            port=2222,
            user="deploy",
            password='p@ss "wörd" %1 ',
            group="Prod\\Linux",
            description="front end",
            PrivateKeyPromptForPassPhrase=False,
        ),
        gen.ssh("key-host", "10.0.0.7", user="root", group="Prod", PrivateKeyFileName="C:\\keys\\id_rsa"),
        gen.ssh("colon", "c.example.net:2200", HostPort=0),
        gen.Entry(
            "RDPConfigured",
            "win",
            values={"Url": "win.example.net:3389", "RDP": {"SafePassword": gen.safe_password("x", "RDP")}},
        ),
        gen.Entry("Telnet", "sw", values={"Terminal": {"Host": "sw", "SafePassword": gen.safe_password("t")}}),
        gen.Entry("Credential", "shared"),
        gen.Entry("WebBrowser", "site"),
    ]


@pytest.mark.parametrize("root", ["ArrayOfConnection", "RDMExport"])
@pytest.mark.parametrize("bom", [True, False])
def test_every_field_of_a_realistic_export_arrives_exact(tmp_path, root, bom):
    entries = realistic()
    result = read(tmp_path, gen.export(entries, root=root, bom=bom))
    hosts = {h.name: h for h in result.hosts}
    assert list(hosts) == ["web-01", "key-host", "colon"]
    web = hosts["web-01"]
    assert (web.address, web.port, web.user, pw(web)) == ("web01.example.net", 2222, "deploy", 'p@ss "wörd" %1 ')
    assert web.category == ["Prod", "Linux"] and web.description == "front end"
    assert web.key == f"rdm:{tmp_path / 'export.rdm'}#{entries[2].id}"
    key = hosts["key-host"]
    assert (key.port, key.credentials.key_files, key.category, pw(key)) == (22, ["C:\\keys\\id_rsa"], ["Prod"], None)
    assert (hosts["colon"].address, hosts["colon"].port) == ("c.example.net", 2200)
    levels = [(d.level, d.code) for d in result.diagnostics]
    assert levels == [("warning", "not-ssh"), ("warning", "not-ssh"), ("info", "not-ssh"), ("warning", "not-ssh")]
    assert not result.held and not result.partial


def test_password_history_is_never_the_password(tmp_path):
    entry = gen.ssh("h", "h.example.net", user="u")
    entry.values["MetaInformation"] = {"PasswordHistory": {"PasswordHistory": {"SafePassword": gen.HISTORY_VALUES[0]}}}
    (host,) = read(tmp_path, gen.export([entry])).hosts
    assert host.credentials.password is None


def test_an_export_whose_passwords_none_decrypt_is_refused_as_master_key_secured(tmp_path):
    entries = [gen.ssh("a", "a.example.net"), gen.ssh("b", "b.example.net")]
    for e in entries:
        e.values["Terminal"]["SafePassword"] = "q83vEjRWeJA="  # 8 bytes, not under the fixed key
    with pytest.raises(InputError, match="master key") as err:
        read(tmp_path, gen.export(entries))
    assert "\n" not in str(err.value)


def test_one_undecryptable_password_holds_its_entry_only(tmp_path):
    good = gen.ssh("good", "g.example.net", password="fine")
    bad = gen.ssh("bad", "b.example.net")
    bad.values["Terminal"]["SafePassword"] = "q83vEjRWeJA="
    result = read(tmp_path, gen.export([good, bad]))
    assert [h.name for h in result.hosts] == ["good"]
    assert result.held == {RdmSource(tmp_path / "export.rdm").key(bad.id)}
    (err,) = result.errors
    assert (err.code, err.field, err.entry, err.line) == ("undecryptable", "Terminal/SafePassword", "bad", 12)


@pytest.mark.parametrize(
    "terminal, code, field",
    [
        ({"Host": ""}, "no-host", "Terminal/Host"),
        ({"Host": "h", "HostPort": "twenty"}, "invalid-value", "Terminal/HostPort"),
        ({"Host": "h", "HostPort": "99999"}, "invalid-value", "Terminal/HostPort"),
        ({"Host": "bad host"}, "invalid-value", "Terminal/Host"),
        (
            {"Host": "h", "PrivateKeyType": "Data", "PrivateKeyData": "c2VjcmV0a2V5"},
            "embedded-key",
            "Terminal/PrivateKeyData",
        ),
    ],
)
def test_unusable_ssh_entries_are_held(tmp_path, terminal, code, field):
    entry = gen.Entry("SSHShell", "x", values={"Group": "G", "Terminal": terminal})
    result = read(tmp_path, gen.export([entry]))
    assert not result.hosts and result.held == {RdmSource(tmp_path / "export.rdm").key(entry.id)}
    (err,) = result.errors
    assert (err.code, err.field, err.entry) == (code, field, "G/x")
    assert "twenty" not in err.message and "c2VjcmV0a2V5" not in err.message


def test_unread_settings_are_reported(tmp_path):
    entry = gen.ssh("p", "p.example.net", ProxyMode="Custom", SSHGatewayHost="gw", PrivateKeyPassPhrase="x")
    entry.values["CredentialConnectionID"] = "5b1c0a7e-0000-4000-8000-000000000001"
    result = read(tmp_path, gen.export([entry]))
    assert len(result.hosts) == 1
    assert sorted(d.code for d in result.diagnostics) == ["credential-entry", "not-carried", "proxy-not-carried"]


def test_keys_without_ids_use_names_and_repeated_ids_are_errors(tmp_path):
    a, b, c = gen.ssh("same", "a.example.net"), gen.ssh("same", "b.example.net"), gen.ssh("dup", "c.example.net")
    a.id = b.id = None
    c.id = "not-a-guid"
    d = gen.ssh("dup2", "d.example.net")
    d.id = "not-a-guid"
    result = read(tmp_path, gen.export([a, b, c, d]))
    assert [h.key.partition("rdm#")[2] for h in result.hosts] == ["same", "same#2", "not-a-guid"]
    assert [e.code for e in result.errors] == ["repeated-id"]


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"\x00\x17\x92encrypted-with-master-key", "master key"),
        (b"<Connections><Node/></Connections>", "not an RDM export"),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><ArrayOfConnection/>', "DOCTYPE"),
        (b"<ArrayOfConnection", "not a readable XML"),
        (b"<RDMExport><Entries/></RDMExport>", "without <Connections>"),
    ],
)
def test_unreadable_files_are_one_input_error(tmp_path, data, match):
    with pytest.raises(InputError, match=match) as err:
        read(tmp_path, data)
    assert "\n" not in str(err.value)


def test_every_cut_reads_what_is_before_it(tmp_path):
    data = gen.export(realistic())
    full = {h.key for h in read(tmp_path, data).hosts}
    for cut in range(40, len(data), 23):
        try:
            result = read(tmp_path, data[:cut])
        except InputError as exc:
            assert "\n" not in str(exc)
            continue
        assert result.partial and {h.key for h in result.hosts} <= full


def test_detection(tmp_path):
    (tmp_path / "a.rdm").write_bytes(gen.export(realistic()))
    (tmp_path / "b.xml").write_bytes(gen.export(realistic(), root="RDMExport"))
    assert detect_format(tmp_path / "a.rdm") == "rdm" and detect_format(tmp_path / "b.xml") == "rdm"


_FUZZ_XML = gen.export(realistic())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(_FUZZ_XML) - 1), st.binary(min_size=0, max_size=6)), max_size=4))
def test_mutated_exports_end_in_diagnostics_or_one_input_error(tmp_path, edits):
    data = bytearray(_FUZZ_XML)
    for pos, junk in edits:
        data[pos : pos + len(junk) or pos + 1] = junk
    try:
        result = read(tmp_path, bytes(data))
    except InputError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    for d in result.diagnostics:
        assert d.file and d.message and "\n" not in str(d)
