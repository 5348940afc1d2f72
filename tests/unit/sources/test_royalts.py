"""Royal TS documents from the generator (real encryption), read back with every field exact."""

from __future__ import annotations

import pytest
from helpers import royalts as gen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.sources.royalts.source import RoyalTsSource
from migrator.sources.secrets import PASSWORD_ENV, WrongSourceSecret


@pytest.fixture(autouse=True)
def _no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def read(tmp_path, doc: gen.RoyalDoc | bytes, name="doc.rtsz", password: str | None = None, **xml):
    path = tmp_path / name
    path.write_bytes(doc if isinstance(doc, bytes) else doc.xml(**xml))
    opts = {}
    if password is not None:
        secret = tmp_path / "pw.txt"
        secret.write_text(password + "\n", encoding="utf-8")
        opts["password_file"] = str(secret)
    return RoyalTsSource(path, **opts).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def pw(host):
    return host.credentials.password.get_secret_value() if host.credentials.password else None


def codes(result, level=None):
    return [d.code for d in result.diagnostics if level is None or d.level == level]


def inventory(password: str = "") -> tuple[gen.RoyalDoc, dict[str, str]]:
    doc = gen.RoyalDoc(password=password, name="Ops")
    ids: dict[str, str] = {}
    ids["cred"] = doc.credential(
        "Deploy key",
        UserName="deploy",
        Password=doc.enc("cr€d pass"),
        PrivateKeyMode=0,
        PrivateKeyPath="/home/ops/.ssh/id_deploy",
        Passphrase=doc.enc("key phrase"),
    )
    ids["prod"] = doc.folder("Prod", CredentialMode=2, CredentialUsername="root", CredentialPassword=doc.enc("r00t"))
    ids["web"] = doc.folder("Web", parent=ids["prod"], CredentialMode=1, CredentialFromParent=True)
    ids["gwdir"] = doc.folder("Gateways")
    ids["outer"] = doc.gateway(
        "outer",
        "outer.example.net",
        parent=ids["gwdir"],
        SecureGatewayPort=2200,
        SecureGatewayCredentialMode=1,
        SecureGatewayUsername="jump",
        SecureGatewayPassword=doc.enc("gw-outer"),
    )
    ids["inner"] = doc.gateway(
        "inner",
        "10.9.0.1",
        parent=ids["gwdir"],
        DependsOnSecureGatewayID=ids["outer"],
        SecureGatewayCredentialMode=2,
        SecureGatewayCredentialID=ids["cred"],
    )
    ids["web1"] = doc.ssh(
        "web-01",
        "web01.example.net",
        parent=ids["web"],
        Port=2222,
        CredentialMode=1,
        Description="front end",
        SecureGatewayUsageMode=1,
        SecureGatewayID=ids["inner"],
    )
    ids["db"] = doc.ssh("db-01", "10.0.0.5", parent=ids["prod"], CredentialMode=3, CredentialId=ids["cred"])
    ids["named"] = doc.ssh("named", "named.example.net", CredentialMode=4, CredentialName="deploy KEY")
    ids["own"] = doc.ssh(
        "own",
        "own.example.net",
        CredentialMode=2,
        CredentialUsername="me",
        CredentialPassword=doc.enc(" q\"uo'te %s "),
        CredentialKeyMode=0,
        CredentialKeyFile="C:\\Keys\\me.ppk",
        SSHAuthAgent=2,
    )
    ids["rdp"] = doc.add("RoyalRDSConnection", Name="win", URI="win.example.net")
    ids["gone"] = doc.ssh("gone", "gone.example.net", parent=doc.trash)
    return doc, ids


def test_every_field_of_a_realistic_document_arrives_exact(tmp_path):
    doc, ids = inventory()
    result = read(tmp_path, doc)
    hosts = by_name(result)
    assert set(hosts) == {"outer", "inner", "web-01", "db-01", "named", "own"}
    assert not result.errors and not result.held and not result.partial
    web = hosts["web-01"]
    assert (web.address, web.port, web.user, pw(web)) == ("web01.example.net", 2222, "root", "r00t")
    assert web.category == ["Prod", "Web"] and web.description == "front end"
    assert web.key == f"royalts:{tmp_path / 'doc.rtsz'}#{ids['web1']}"
    assert [(j.host, j.ref, j.ref_key) for j in web.jump] == [("10.9.0.1", "inner", hosts["inner"].key)]
    inner, outer = hosts["inner"], hosts["outer"]
    assert inner.category == ["Gateways"] and inner.user == "deploy" and pw(inner) == "cr€d pass"
    assert inner.credentials.key_files == ["/home/ops/.ssh/id_deploy"]
    assert inner.credentials.key_passphrase.get_secret_value() == "key phrase"
    assert [(j.host, j.port, j.user, j.ref_key) for j in inner.jump] == [("outer.example.net", 2200, "jump", outer.key)]
    assert (outer.port, outer.user, pw(outer), outer.jump) == (2200, "jump", "gw-outer", [])
    db = hosts["db-01"]
    assert (db.user, pw(db), db.credentials.key_files, db.category) == (
        "deploy",
        "cr€d pass",
        ["/home/ops/.ssh/id_deploy"],
        ["Prod"],
    )
    assert hosts["named"].user == "deploy"
    own = hosts["own"]
    assert (own.user, pw(own), own.credentials.key_files, own.credentials.agent) == (
        "me",
        " q\"uo'te %s ",
        ["C:\\Keys\\me.ppk"],
        "pageant",
    )
    assert "not-ssh" in codes(result, "warning") and "in-trash" in codes(result, "info")
    assert "credential-name-case" in codes(result, "info")
    assert [h.name for h in result.hosts] == ["outer", "inner", "web-01", "db-01", "named", "own"]


@pytest.mark.parametrize("password", ["", "royal_pass", "päss wörd", " spaced ", '"%q'])
def test_document_passwords_decrypt_every_secret(tmp_path, password):
    doc, _ = inventory(password)
    result = read(tmp_path, doc, password=password if password else None)
    assert pw(by_name(result)["web-01"]) == "r00t" and not result.errors


def test_the_password_can_come_from_the_environment(tmp_path, monkeypatch):
    doc, _ = inventory("from-env")
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert pw(by_name(read(tmp_path, doc))["own"]) == " q\"uo'te %s "


def test_a_wrong_document_password_is_one_line_and_nothing_is_imported(tmp_path):
    doc, _ = inventory("Rightpw-71x")
    with pytest.raises(WrongSourceSecret) as err:
        read(tmp_path, doc, password="Wrongpw-92q")
    message = str(err.value)
    assert "document password" in message and "password_file" in message and "\n" not in message
    assert "Wrongpw-92q" not in message and "Rightpw-71x" not in message


def test_a_protected_document_without_a_password_says_how_to_give_it(tmp_path):
    doc, _ = inventory("right")
    with pytest.raises(WrongSourceSecret, match="protected by a document password.*password_file"):
        read(tmp_path, doc)


def test_the_public_vectors_inside_a_document(tmp_path):
    doc = gen.RoyalDoc()
    doc.ssh(
        "v1", "v1.example.net", CredentialMode=2, CredentialUsername="root", CredentialPassword=gen.VECTOR_NO_PASSWORD
    )
    assert pw(read(tmp_path, doc).hosts[0]) == gen.VECTOR_PLAINTEXT
    doc = gen.RoyalDoc()
    doc.ssh("v2", "v2.example.net", CredentialMode=2, CredentialPassword=gen.VECTOR_ROYAL_PASS)
    assert pw(read(tmp_path, doc, password=gen.VECTOR_PASSWORD).hosts[0]) == gen.VECTOR_PLAINTEXT


def test_one_damaged_value_holds_its_entry_only(tmp_path):
    doc = gen.RoyalDoc(password="pw")
    doc.ssh("good", "good.example.net", CredentialMode=2, CredentialPassword=doc.enc("fine"))
    bad = doc.ssh("bad", "bad.example.net", CredentialMode=2, CredentialPassword=doc.enc("x")[:-12])
    other = doc.ssh("other-key", "o.example.net", CredentialMode=2, CredentialPassword=gen.encrypt("y", "else"))
    result = read(tmp_path, doc, password="pw")
    assert [h.name for h in result.hosts] == ["good"]
    assert result.held == {RoyalTsSource(tmp_path / "doc.rtsz").key(i) for i in (bad, other)}
    assert codes(result, "error") == ["undecryptable", "undecryptable"]
    assert all(d.field == "CredentialPassword" and d.line for d in result.errors)


@pytest.mark.parametrize(
    "variant",
    [
        {"bom": True},
        {"newline": "\n"},
        {"declaration": False},
        {"bom": True, "newline": "\n"},
    ],
)
def test_encoding_and_layout_variants_read_the_same(tmp_path, variant):
    doc, _ = inventory("v")
    base = [(h.key, h.name, h.address, pw(h)) for h in read(tmp_path, doc, password="v").hosts]
    assert [(h.key, h.name, h.address, pw(h)) for h in read(tmp_path, doc, password="v", **variant).hosts] == base


def test_rtsx_and_a_zip_container_read_the_same(tmp_path):
    doc, _ = inventory()
    base = [(h.name, pw(h)) for h in read(tmp_path, doc).hosts]
    assert [(h.name, pw(h)) for h in read(tmp_path, doc, name="old.rtsx").hosts] == base
    packed = gen.zipped(doc.xml(), extra={"readme.txt": b"not it"})
    assert [(h.name, pw(h)) for h in read(tmp_path, packed, name="zipped.rtsz").hosts] == base


def test_older_documents_without_credential_mode(tmp_path):
    doc = gen.RoyalDoc()
    folder = doc.folder("Old", CredentialUsername="admin", CredentialPassword=doc.enc("old-pw"))
    doc.ssh("inherits", "a.example.net", parent=folder, CredentialFromParent=True)
    doc.ssh("own", "b.example.net", parent=folder, CredentialUsername="me")
    doc.ssh("none", "c.example.net", parent=folder)
    hosts = by_name(read(tmp_path, doc))
    assert (hosts["inherits"].user, pw(hosts["inherits"])) == ("admin", "old-pw")
    assert (hosts["own"].user, pw(hosts["own"])) == ("me", None)
    assert (hosts["none"].user, pw(hosts["none"])) == (None, None)


def test_inheritance_walks_past_folders_that_define_nothing(tmp_path):
    doc = gen.RoyalDoc()
    doc.objects[0][1].update({"CredentialMode": "2", "CredentialUsername": "docuser"})
    top = doc.folder("Top", CredentialMode=3, CredentialId=doc.credential("C", UserName="cuser"))
    mid = doc.folder("Mid", parent=top)
    low = doc.folder("Low", parent=mid, CredentialMode=1)
    doc.ssh("deep", "deep.example.net", parent=low, CredentialMode=1)
    doc.ssh("root-level", "r.example.net", CredentialMode=1)
    hosts = by_name(read(tmp_path, doc))
    assert hosts["deep"].user == "cuser" and hosts["deep"].category == ["Top", "Mid", "Low"]
    assert hosts["root-level"].user == "docuser" and hosts["root-level"].category == []


def test_gateways_from_parent_and_usage_modes(tmp_path):
    doc = gen.RoyalDoc()
    gw = doc.gateway("gw", "gw.example.net")
    folder = doc.folder("F", SecureGatewayUsageMode=2, SecureGatewayID=gw)
    sub = doc.folder("S", parent=folder, SecureGatewayFromParent=True)
    doc.ssh("via-parent", "a.example.net", parent=sub, SecureGatewayFromParent=True)
    doc.ssh("never", "b.example.net", parent=folder, SecureGatewayID=gw)
    doc.ssh("direct", "c.example.net", parent=folder)
    result = read(tmp_path, doc)
    hosts = by_name(result)
    assert [j.ref for j in hosts["via-parent"].jump] == ["gw"]
    assert hosts["never"].jump == [] and hosts["direct"].jump == []
    assert {"gateway-on-demand", "gateway-never"} <= set(codes(result, "info"))


@pytest.mark.parametrize(
    "props, code, field",
    [
        ({"CredentialMode": 3, "CredentialId": gen.guid()}, "broken-reference", "CredentialId"),
        ({"CredentialMode": 4, "CredentialName": "nobody"}, "broken-reference", "CredentialName"),
        ({"CredentialMode": 4, "CredentialName": "TWIN"}, "ambiguous-reference", "CredentialName"),
        ({"CredentialMode": 4, "CredentialName": "Same"}, "ambiguous-reference", "CredentialName"),
        ({"CredentialMode": 7}, "invalid-value", "CredentialMode"),
        ({"CredentialMode": "two"}, "invalid-value", "CredentialMode"),
        ({"Port": "22x"}, "invalid-value", "Port"),
        ({"Port": 70000}, "invalid-value", "Port"),
        ({"URI": ""}, "no-host", "URI"),
        ({"URI": "bad host!"}, "invalid-value", "URI"),
        ({"SecureGatewayUsageMode": 1, "SecureGatewayID": gen.guid()}, "broken-reference", "SecureGatewayID"),
        ({"SecureGatewayUsageMode": 9}, "invalid-value", "SecureGatewayUsageMode"),
        (
            {"CredentialMode": 2, "CredentialKeyMode": 1, "CredentialKeyContent": "LS0tLS1CRUdJTg=="},
            "embedded-key",
            "CredentialKeyContent",
        ),
    ],
)
def test_unusable_ssh_entries_are_held_with_file_line_entry_and_field(tmp_path, props, code, field):
    doc = gen.RoyalDoc()
    doc.credential("Twin", UserName="a")
    doc.credential("twin", UserName="b")
    doc.credential("Same", UserName="c")
    doc.credential("Same", UserName="d")
    folder = doc.folder("Dir")
    oid = doc.ssh("entry", props.pop("URI", "e.example.net"), parent=folder, **props)
    result = read(tmp_path, doc)
    assert not result.hosts
    assert result.held == {RoyalTsSource(tmp_path / "doc.rtsz").key(oid)}
    (err,) = result.errors
    assert (err.code, err.field, err.entry) == (code, field, "Dir/entry")
    assert err.file == (tmp_path / "doc.rtsz").as_posix() and err.line > 1
    for value in ("22x", "two", "LS0tLS1CRUdJTg"):
        assert value not in err.message


def test_trashed_gateways_credentials_and_royal_servers_are_not_used(tmp_path):
    doc = gen.RoyalDoc()
    gw = doc.gateway("old-gw", "gw.example.net", parent=doc.trash)
    cred = doc.credential("old-cred", parent=doc.trash, UserName="x")
    server = doc.add("RoyalManagementEndpoint", Name="RS")
    a = doc.ssh("a", "a.example.net", SecureGatewayUsageMode=1, SecureGatewayID=gw)
    b = doc.ssh("b", "b.example.net", CredentialMode=3, CredentialId=cred)
    c = doc.ssh("c", "c.example.net", SecureGatewayUsageMode=1, SecureGatewayID=server)
    result = read(tmp_path, doc)
    key = RoyalTsSource(tmp_path / "doc.rtsz").key
    assert result.held == {key(a), key(b), key(c)} and not result.hosts
    assert sorted(codes(result, "error")) == ["broken-reference", "broken-reference", "unsupported-gateway"]


def test_gateway_loops_and_broken_gateways_hold_everyone_using_them(tmp_path):
    doc = gen.RoyalDoc()
    g1, g2 = gen.guid(), gen.guid()
    doc.gateway("g1", "g1.example.net", id=g1, DependsOnSecureGatewayID=g2)
    doc.gateway("g2", "g2.example.net", id=g2, DependsOnSecureGatewayID=g1)
    bad = doc.gateway("bad", "", SecureGatewayPort=22)
    self_loop = doc.gateway("self", "s.example.net")
    doc.objects[-1][1]["DependsOnSecureGatewayID"] = self_loop
    users = [
        doc.ssh(f"via-{n}", f"{n}.example.org", SecureGatewayUsageMode=1, SecureGatewayID=g)
        for n, g in (("g1", g1), ("bad", bad), ("self", self_loop))
    ]
    result = read(tmp_path, doc)
    key = RoyalTsSource(tmp_path / "doc.rtsz").key
    assert not result.hosts
    assert result.held == {key(x) for x in (g1, g2, bad, self_loop, *users)}
    assert codes(result, "error").count("jump-cycle") == 3


def test_parent_cycles_are_held_and_dangling_parents_go_to_the_top(tmp_path):
    doc = gen.RoyalDoc()
    f1, f2 = gen.guid(), gen.guid()
    doc.folder("F1", parent=f2, id=f1)
    doc.folder("F2", parent=f1, id=f2)
    looped = doc.ssh("looped", "l.example.net", parent=f1)
    doc.ssh("orphan", "o.example.net", parent=gen.guid())
    result = read(tmp_path, doc)
    assert [h.name for h in result.hosts] == ["orphan"] and result.hosts[0].category == []
    assert result.held == {RoyalTsSource(tmp_path / "doc.rtsz").key(looped)}
    assert "parent-cycle" in codes(result, "error") and "unknown-parent" in codes(result, "warning")


def test_connection_kinds_templates_proxies_and_dynamic_folders_are_reported(tmp_path):
    doc = gen.RoyalDoc()
    doc.ssh("telnet", "t.example.net", ConnectionType="telnet;Telnet")
    doc.ssh("serial", "", ConnectionType="", IsSerialPortConnection=True)
    doc.ssh("template", "tpl.example.net", IsConnectionTemplate=True)
    doc.ssh("proxied", "p.example.net", ProxyMode=3, ProxyServer="proxy.example.net")
    doc.ssh("no-type", "n.example.net", ConnectionType="")
    doc.add("RoyalVNCConnection", Name="vnc", URI="v.example.net")
    doc.add("RoyalDynamicFolder", Name="dyn")
    result = read(tmp_path, doc)
    assert [h.name for h in result.hosts] == ["proxied", "no-type"]
    assert codes(result, "warning").count("not-ssh") == 3
    assert {"proxy-not-carried", "dynamic-folder"} <= set(codes(result, "warning"))
    assert "template" in codes(result, "info") and not result.errors


def test_an_exact_name_wins_over_names_equal_ignoring_case(tmp_path):
    doc = gen.RoyalDoc()
    doc.credential("Twin", UserName="exact")
    doc.credential("twin", UserName="other")
    doc.ssh("x", "x.example.net", CredentialMode=4, CredentialName="Twin")
    result = read(tmp_path, doc)
    assert result.hosts[0].user == "exact" and not result.diagnostics


def test_keys_follow_the_id_through_renames_and_moves(tmp_path):
    doc = gen.RoyalDoc()
    oid = doc.ssh("before", "x.example.net")
    first = read(tmp_path, doc).hosts[0].key
    folder = doc.folder("Moved")
    doc.objects[2][1].update({"Name": "after", "ParentID": folder})
    moved = read(tmp_path, doc).hosts[0]
    assert moved.key == first and moved.name == "after" and moved.category == ["Moved"] and oid in first


def test_repeated_ids_are_errors(tmp_path):
    doc = gen.RoyalDoc()
    same = gen.guid()
    doc.ssh("a", "a.example.net", id=same)
    doc.ssh("b", "b.example.net", id=same)
    result = read(tmp_path, doc)
    assert [h.name for h in result.hosts] == ["a"] and codes(result, "error") == ["repeated-id"]


def test_element_names_and_booleans_in_any_case(tmp_path):
    doc = gen.RoyalDoc()
    folder = doc.folder("F", CredentialMode=2, CredentialUsername="u")
    doc.ssh("x", "x.example.net", parent=folder, CredentialMode=1)
    text = (
        doc.xml()
        .decode()
        .replace("<CredentialUsername>", "<credentialusername>")
        .replace("</CredentialUsername>", "</credentialusername>")
    )
    doc2 = gen.RoyalDoc()
    doc2.ssh("y", "y.example.net", CredentialFromParent="TRUE")
    assert by_name(read(tmp_path, text.encode()))["x"].user == "u"
    assert read(tmp_path, doc2).hosts[0].user is None


# ---- hostile and broken files -----------------------------------------------------------------


def test_a_doctype_is_refused_with_one_line(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<RTSZDocument><RoyalSSHConnection><Name>&lol2;</Name><URI>a</URI></RoyalSSHConnection></RTSZDocument>"
    )
    with pytest.raises(InputError, match=r"doc\.rtsz:1: the file has a DOCTYPE") as err:
        read(tmp_path, bomb.encode())
    assert "\n" not in str(err.value)
    external = '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><RTSZDocument/>'
    with pytest.raises(InputError, match="DOCTYPE"):
        read(tmp_path, external.encode())


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"\x93\x8a\x11binary garbage \x00\x01", "Encrypt complete file"),
        (b"\xef\xbb\xbf\x01\x02\x03", "Encrypt complete file"),
        (b"<Other><RoyalSSHConnection/></Other>", "root element is not <RTSZDocument>"),
        (b"<<<", "not a readable XML document"),
        (b"PK\x03\x04broken zip", "not a readable one"),
        (gen.zipped(b"<x/>", member="other.xml"), "without a Royal TS document"),
    ],
)
def test_unreadable_files_are_one_input_error(tmp_path, data, match):
    with pytest.raises(InputError, match=match) as err:
        read(tmp_path, data)
    assert "\n" not in str(err.value)


def test_a_zip_bomb_stops_at_the_cap(tmp_path, monkeypatch):
    from migrator.sources.royalts import document

    monkeypatch.setattr(document, "MAX_FILE_BYTES", 1 << 20)
    doc, _ = inventory()
    packed = gen.zipped(doc.xml() + b"<!--" + b" " * (4 << 20) + b"-->")
    with pytest.raises(InputError, match="exceeds the limit"):
        read(tmp_path, packed)


def test_every_cut_of_a_document_reads_what_is_before_it_and_is_partial(tmp_path):
    doc, _ = inventory()
    data = doc.xml()
    full = {h.key for h in read(tmp_path, doc).hosts}
    for cut in range(60, len(data), max(1, len(data) // 97)):
        try:
            result = read(tmp_path, data[:cut])
        except InputError as exc:
            assert "\n" not in str(exc)
            continue
        assert result.partial and "xml-broken" in codes(result, "error")
        assert {h.key for h in result.hosts} <= full


def test_credentials_inherit_through_folders_nested_to_the_cap(tmp_path):
    """Deeper folders hold their entries (test_native_attack, with the linear-cost check)."""
    from migrator.sources.limits import MAX_FOLDER_DEPTH

    doc = gen.RoyalDoc()
    parent = doc.root
    for i in range(MAX_FOLDER_DEPTH):
        parent = doc.folder(
            f"f{i}", parent=parent, CredentialMode=1 if i else 2, CredentialUsername="top" if not i else None
        )
    for i in range(300):
        doc.ssh(f"h{i}", f"h{i}.example.net", parent=parent, CredentialMode=1)
    result = read(tmp_path, doc)
    assert len(result.hosts) == 300 and all(h.user == "top" for h in result.hosts)
    assert len(result.hosts[0].category) == MAX_FOLDER_DEPTH


def test_unparsed_values_are_never_echoed(tmp_path):
    doc = gen.RoyalDoc()
    doc.ssh("a", "a.example.net", Port="hunter2secret")
    doc.ssh("b", "b.example.net", CredentialMode=2, CredentialPassword="hunter3notbase64!")
    result = read(tmp_path, doc)
    text = " ".join(str(d) for d in result.diagnostics)
    assert "hunter2secret" not in text and "hunter3notbase64" not in text and len(result.held) == 2


_FUZZ_DOC, _ = inventory()
_FUZZ_XML = _FUZZ_DOC.xml()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(_FUZZ_XML) - 1), st.binary(min_size=0, max_size=6)), max_size=4))
def test_mutated_documents_end_in_diagnostics_or_one_input_error(tmp_path, edits):
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
    assert {h.key for h in result.hosts}.isdisjoint(result.held)


def test_huge_numbers_are_bad_values_not_a_crash(tmp_path):
    doc = gen.RoyalDoc()
    doc.ssh("a", "a.example.net", Port="9" * 5000)
    doc.ssh("b", "b.example.net", Port="0000000000000000000000022")
    result = read(tmp_path, doc)
    assert [h.port for h in result.hosts] == [22] and [d.field for d in result.errors] == ["Port"]
