"""mRemoteNG confCons.xml: files the test generator writes in every version style, read back field by field;
then inheritance, keys, tree shape and detection rule by rule (tunnels and SSHOptions: test_mremoteng_fields.py;
crypto and hostile input: test_mremoteng_crypto.py)."""

from __future__ import annotations

import pytest
from helpers.mremoteng import Node, Style, folder, read, summary, write

from migrator.sources import limits
from migrator.sources.mremoteng.source import MremotengSource

PW_WEB = "pä ss\"w'ord %20 &amp; <tag> \\ \u00e9\u4e2d\U0001f600"
PW_PROD = "prod-Passwort-ß"
PW_BASTION = " leading and trailing spaces "
PW_DB = "line1\nline2"
IDS = {
    name: f"00000000-0000-4000-8000-{i:012d}" for i, name in enumerate(("web01", "web02", "behind", "bastion", "db"))
}


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv("XPIPE_MIGRATE_SOURCE_PASSWORD", raising=False)


def codes(result) -> set[tuple[str, str, str | None]]:
    return {(d.level, d.code, d.entry) for d in result.diagnostics}


def inventory() -> list[Node]:
    """Folders three deep with an inheritance chain, stale values, a tunnel, an SSH1 and non-SSH entries."""
    return [
        Node("bastion", protocol="RDP", hostname="rdp-namesake.example.net", port=3389),
        folder(
            "Prod",
            folder(
                "Web",
                Node(
                    "web01",
                    id=IDS["web01"],
                    hostname="  web01.example.net ",
                    username=" deploy ",
                    password=PW_WEB,
                    port=2222,
                    descr="first line\nsecond line",
                ),
                Node(
                    "web02",
                    id=IDS["web02"],
                    hostname="web02.example.net",
                    username="stale-user",
                    port=9999,
                    password="stale-password",
                    inherit={"Username", "Password", "Port", "Description"},
                ),
                Node("behind", id=IDS["behind"], hostname="10.0.0.5", username="app", tunnel="bastion"),
                username="stale-web-user",
                port=2200,
                descr="web servers",
                inherit={"Username", "Password"},
            ),
            folder("Windows", Node("rdp-inherits", hostname="win.example.net", inherit={"Protocol"}), protocol="RDP"),
            username="prod-admin",
            password=PW_PROD,
            inherit={"Port"},  # top-level: no effect
        ),
        Node("bastion", id=IDS["bastion"], hostname="bastion.example.net", username="jump", password=PW_BASTION),
        Node("db", id=IDS["db"], hostname="db.example.net", protocol="SSH1", password=PW_DB, port="22"),
        Node("telnet-box", hostname="switch.example.net", protocol="Telnet", port=23),
    ]


def expected(style: Style) -> dict[str, dict]:
    ids = style.ids
    tunnels = style.number >= 2.7
    web = {"category": ["Prod", "Web"], "key_files": [], "ssh_options": []}
    out = {
        "web01": dict(
            web,
            key=IDS["web01"] if ids else "web01",
            address="web01.example.net",
            port=2222,
            user="deploy",
            password=PW_WEB,
            jump=[],
            description="first line\nsecond line",
        ),
        "web02": dict(
            web,
            key=IDS["web02"] if ids else "web02",
            address="web02.example.net",
            port=2200,
            user="prod-admin",
            password=PW_PROD,
            jump=[],
            description="web servers",
        ),
        "behind": dict(
            web,
            key=IDS["behind"] if ids else "behind",
            address="10.0.0.5",
            port=22,
            user="app",
            password=None,
            jump=[("bastion.example.net", 22, "jump", "bastion", IDS["bastion"] if ids else "bastion#2")]
            if tunnels
            else [],
            description=None,
        ),
        "bastion": {
            "key": IDS["bastion"] if ids else "bastion#2",
            "address": "bastion.example.net",
            "port": 22,
            "user": "jump",
            "category": [],
            "password": PW_BASTION,
            "key_files": [],
            "jump": [],
            "ssh_options": [],
            "description": None,
        },
        "db": {
            "key": IDS["db"] if ids else "db",
            "address": "db.example.net",
            "port": 22,
            "user": None,
            "category": [],
            "password": PW_DB,
            "key_files": [],
            "jump": [],
            "ssh_options": [],
            "description": None,
        },
    }
    return out


STYLES = [
    pytest.param(Style(version="2.5", ids=False), id="2.5-cbc-TrueFalse-all-inherit"),
    pytest.param(Style(version="2.5", ids=False, master="Geheim ü"), id="2.5-custom-master"),
    pytest.param(Style(version="2.5", ids=False, legacy_full_file=True), id="2.5-legacy-whole-file"),
    pytest.param(Style(version="2.5", ids=False, legacy_full_file=True, master="x"), id="2.5-whole-file-custom"),
    pytest.param(Style(version="2.6", kdf=1000, ids=False, title_booleans=True), id="2.6-fixture-style"),
    pytest.param(Style(version="2.6", kdf=1000), id="2.6-unprefixed"),
    pytest.param(Style(version="2.6", kdf=1000, prefixed=True), id="2.6-mrng-prefixed"),
    pytest.param(Style(version="2.6", kdf=5000, full_file=True), id="2.6-full-file"),
    pytest.param(Style(version="2.6", kdf=1000, master="Password"), id="2.6-custom-master"),
    pytest.param(Style(version="2,7", kdf=1000), id="2.7-comma-version-1000"),
    pytest.param(Style(version="2.7", kdf=5000), id="2.7-5000"),
    pytest.param(Style(version="2.7", kdf=10000, master="Très secret"), id="2.7-10000-custom"),
    pytest.param(Style(version="2.7", kdf=20000, full_file=True), id="2.7-20000-full-file"),
    pytest.param(Style(version="2.8", kdf=1000), id="2.8-1000"),
    pytest.param(Style(version="2.8", kdf=5000, prefixed=False), id="2.8-5000-unprefixed"),
    pytest.param(Style(version="2.8", kdf=10000), id="2.8-10000"),
    pytest.param(Style(version="2.8", kdf=20000, master="s3cr3t!", full_file=True), id="2.8-20000-custom-full"),
    pytest.param(Style(version="2.8", kdf=10000, mode="CCM"), id="2.8-ccm"),
    pytest.param(Style(version="2.8", kdf=10000, legacy_full_file=True), id="2.8-inside-legacy-blob"),
    pytest.param(Style(version="2.8", kdf=10000, newline="\n", ids=False), id="2.8-lf-no-ids"),
]


@pytest.mark.parametrize("style", STYLES)
def test_every_version_style_reads_back_every_field(tmp_path, style):
    path = write(tmp_path / "confCons.xml", inventory(), style)
    result = read(path, style.master)
    assert summary(result) == expected(style)
    assert not result.held and not result.partial
    assert [d for d in result.diagnostics if d.level == "error"] == []
    found = codes(result)
    assert ("warning", "not-ssh", "Prod/Windows/rdp-inherits") in found
    assert ("warning", "not-ssh", "telnet-box") in found
    assert ("warning", "not-ssh", "bastion") in found  # the RDP namesake
    assert ("warning", "ssh1", "db") in found
    assert ("info", "top-level-inherit", "Prod") in found
    assert ("info", "stale-inherited", "Prod/Web/web02") in found
    rdp = next(d for d in result.diagnostics if d.entry == "Prod/Windows/rdp-inherits")
    assert "RDP" in rdp.message and "inherited from folder 'Prod/Windows'" in rdp.message


def test_line_numbers_point_at_each_node(tmp_path):
    path = write(tmp_path / "confCons.xml", inventory(), Style(version="2.8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    result = read(path)
    for host in result.hosts:
        assert f'Name="{host.name}"' in lines[host.source.line - 1]
    telnet = next(d for d in result.diagnostics if d.entry == "telnet-box")
    assert 'Name="telnet-box"' in lines[telnet.line - 1]


def test_full_file_diagnostics_name_the_encrypted_line(tmp_path):
    path = write(tmp_path / "c.xml", inventory(), Style(version="2.8", full_file=True))
    result = read(path)
    telnet = next(d for d in result.diagnostics if d.entry == "telnet-box")
    assert telnet.line == 2 and "(the encrypted content, line 1)" in telnet.message
    assert result.hosts[0].source.section == "the encrypted content, line 1"


# ---- inheritance ------------------------------------------------------------------------------------


def test_top_level_nodes_never_inherit_and_say_so(tmp_path):
    nodes = [Node("alone", hostname="a.example.net", username="own", port=2022, inherit={"Username", "Port"})]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert summary(result)["alone"]["user"] == "own" and summary(result)["alone"]["port"] == 2022
    (note,) = [d for d in result.diagnostics if d.code == "top-level-inherit"]
    assert "InheritUsername, InheritPort" in note.message and note.entry == "alone"


def test_chains_resolve_through_folders_and_stop_at_the_top_level_folder(tmp_path):
    nodes = [
        folder(
            "A",
            folder(
                "B",
                folder(
                    "C",
                    Node("x", hostname="x.example.net", inherit={"Username", "Port", "SSHOptions"}),
                    inherit={"Username", "SSHOptions"},
                ),
                inherit={"Username", "Port"},
                username="b-user",
                port=2201,
            ),
            username="a-user",
            port=2200,
            ssh_options="-A",
            inherit={"Username"},  # A is top-level: its own value is the end of the chain
        )
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    x = summary(result)["x"]
    # Username: x <- C <- B <- A (top-level: its own); Port: x <- C (C's own); SSHOptions: x <- C <- B (own, empty)
    assert x["user"] == "a-user" and x["port"] == 22
    assert x["ssh_options"] == []  # B does not inherit SSHOptions, and B's own is empty


def test_inherited_empty_value_wins_over_the_own_value(tmp_path):
    # mRemoteNG writes Password="" for an inheriting node; a hand-made file may keep one: stale, ignored
    stale = Node(
        "x", hostname="x.example.net", username="mine", raw_password="c3RhbGU=", inherit={"Username", "Password"}
    )
    result = read(write(tmp_path / "c.xml", [folder("F", stale)], Style(version="2.8")))
    x = summary(result)["x"]
    assert x["user"] is None and x["password"] is None
    (stale,) = [d for d in result.diagnostics if d.code == "stale-inherited"]
    assert "Username" in stale.message and "Password" in stale.message and "mine" not in stale.message


def test_version_before_1_3_has_one_inherit_flag(tmp_path):
    path = tmp_path / "old.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Connections Name="Connections" ConfVersion="1.2">\n'
        '  <Node Name="F" Type="Container" Username="folder-user" Protocol="SSH2" Port="2200" Hostname="">\n'
        '    <Node Name="x" Type="Connection" Inherit="True" Username="own" Protocol="RDP" Port="1"'
        ' Hostname="x.example.net" />\n'
        "  </Node>\n"
        "</Connections>\n",
        encoding="utf-8",
    )
    result = read(path)
    assert summary(result)["x"]["user"] == "folder-user" and summary(result)["x"]["port"] == 2200


def test_attributes_of_2_7_are_not_read_from_older_files(tmp_path):
    nodes = [Node("x", hostname="x.example.net", extra={"SSHOptions": "-P 2200", "SSHTunnelConnectionName": "gw"})]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.6", kdf=1000)))
    assert summary(result)["x"]["port"] == 22 and summary(result)["x"]["jump"] == []
    (note,) = [d for d in result.diagnostics if d.code == "not-read"]
    assert "SSHOptions, SSHTunnelConnectionName" in note.message and "2.6" in note.message


@pytest.mark.parametrize(
    ("protocol", "imported"),
    [
        ("SSH2", True),
        ("ssh2", True),
        ("3", True),
        (" SSH2 ", True),
        ("SSH1", True),
        ("2", True),
        ("RDP", False),
        ("ICA", False),
        ("", False),
        ("99", False),
        ("VNC", False),
        ("PowerShell", False),
    ],
)
def test_protocols_parse_like_enum_tryparse_and_unknown_is_rdp(tmp_path, protocol, imported):
    nodes = [Node("x", hostname="x.example.net", protocol=protocol)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert bool(result.hosts) is imported and not result.held
    if not imported:
        (d,) = [d for d in result.diagnostics if d.code == "not-ssh"]
        assert d.field == "Protocol" and d.entry == "x"


def test_missing_protocol_is_rdp_not_ssh(tmp_path):
    nodes = [Node("x", hostname="x.example.net", omit={"Protocol"})]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert not result.hosts and "no Protocol" in result.diagnostics[-1].message


@pytest.mark.parametrize("text", ["true", "True", "TRUE", " true ", "tRuE"])
def test_booleans_are_case_insensitive(tmp_path, text):
    nodes = [folder("F", Node("x", hostname="x.example.net", extra={"InheritUsername": text}), username="from-folder")]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert summary(result)["x"]["user"] == "from-folder"


def test_hostname_and_username_are_trimmed_names_are_not(tmp_path):
    nodes = [Node("web", hostname=" \tw.example.net ", username="  u1 "), Node("web ", hostname="w2.example.net")]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8", ids=False)))
    keys = sorted(h.key.split("#", 1)[1] for h in result.hosts)
    assert keys == ["web", "web "] and result.hosts[0].address == "w.example.net" and result.hosts[0].user == "u1"


# ---- keys, tree shape, detection, the example -----------------------------------------------------


def test_keys_are_the_id_else_the_name_in_file_order(tmp_path):
    nodes = [
        Node("a", id=None, hostname="1.example.net"),
        folder("F", Node("a", id=None, hostname="2.example.net")),
        Node("a", id="g-1", hostname="3.example.net"),
        Node("b", id="g-1", hostname="4.example.net"),
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert [h.key.split("#", 1)[1] for h in result.hosts] == ["a", "a#2", "g-1", "g-1#2"]
    assert any(d.code == "duplicate-id" and d.entry == "b" for d in result.diagnostics)


def test_a_moved_node_keeps_its_key(tmp_path):
    one = read(write(tmp_path / "1.xml", [folder("A", Node("x", id="same", hostname="x.example.net"))]))
    two = read(write(tmp_path / "2.xml", [folder("B", Node("y", id="same", hostname="x.example.net"))]))
    assert one.hosts[0].key.split("#", 1)[1] == two.hosts[0].key.split("#", 1)[1] == "same"


def test_nodes_mremoteng_does_not_load_are_reported(tmp_path):
    nodes = [
        Node("conn", hostname="c.example.net", children=[Node("nested", hostname="n.example.net")]),
        Node(
            "weird",
            hostname="w.example.net",
            extra={"Type": "PuttySession"},
            children=[Node("lost", hostname="l.example.net")],
        ),
    ]
    path = write(tmp_path / "c.xml", nodes, Style(version="2.8"))
    path.write_text(path.read_text().replace("</mrng:Connections>", "<Other Name='x'/></mrng:Connections>"))
    result = read(path)
    assert [h.name for h in result.hosts] == ["conn"]
    skipped = {d.entry for d in result.diagnostics if d.code == "not-loaded"}
    assert skipped == {"conn/nested", "weird", "<Other>"}


def test_inheritance_through_folders_nested_to_the_cap(tmp_path):
    """Deeper folders are not read (test_mremoteng_attack); a chain to the cap resolves to its top."""
    depth = limits.MAX_FOLDER_DEPTH
    path = write(tmp_path / "c.xml", [Node("marker", hostname="m.example.net")], Style(version="2.8"))
    opening = "".join(
        f'<Node Name="f{i}" Type="Container" Username="u{i}" Protocol="SSH2" Port="22" InheritUsername="true">'
        for i in range(depth)
    )
    leaf = '<Node Name="leaf" Hostname="leaf.example.net" Protocol="SSH2" Port="22" InheritUsername="true" />'
    text = path.read_text(encoding="utf-8").replace(
        "</mrng:Connections>", opening + leaf + "</Node>" * depth + "</mrng:Connections>"
    )
    path.write_text(text, encoding="utf-8")
    result = read(path)
    leaf_host = next(h for h in result.hosts if h.name == "leaf")
    assert leaf_host.user == "u0" and len(leaf_host.category) == depth  # f0 is top-level: the chain ends there


def test_detection(tmp_path):
    path = write(tmp_path / "confCons.xml", [Node("x", hostname="x.example.net")])
    head = path.read_bytes()[:8192]
    assert MremotengSource.detect(path, head) == 95
    assert MremotengSource.detect(tmp_path / "export.backup", head) == 85
    blob = write(tmp_path / "confCons.xml.bak", [Node("x", hostname="x")], Style(version="2.5", legacy_full_file=True))
    assert MremotengSource.detect(blob, blob.read_bytes()[:8192]) == 60
    assert MremotengSource.detect(tmp_path / "other.xml", blob.read_bytes()[:8192]) == 0
    assert MremotengSource.detect(tmp_path / "a.xml", b'<?xml version="1.0"?><VanDyke><Connections/></VanDyke>') == 0
    assert MremotengSource.detect(tmp_path / "a.xml", b"<Connections Name='x'>") == 0


def test_other_formats_samples_are_not_detected_as_mremoteng_and_ours_are():
    from helpers.paths import SAMPLES

    from migrator.sources import detect_format
    from migrator.sources.limits import open_source_file

    for sample in sorted(p for p in SAMPLES.rglob("*") if p.is_file()):
        with open_source_file(sample) as fh:
            head = fh.read(8192)
        score = MremotengSource.detect(sample, head)
        if sample.parent.name == "mremoteng" and sample.suffix == ".xml":
            assert detect_format(sample) == "mremoteng", sample
        else:
            assert score == 0, sample


def test_the_example_reads_to_a_host(tmp_path):
    result = MremotengSource(MremotengSource.example(tmp_path)).read()
    assert [h.name for h in result.hosts] == ["web01"] and not result.errors
    assert result.hosts[0].credentials.password.get_secret_value() == "example-password"
