"""mRemoteNG connections field by field: SSH tunnels, SSHOptions, PuttySession, ports, external providers."""

from __future__ import annotations

import pytest
from helpers.mremoteng import Node, Style, folder, read, summary, write


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv("XPIPE_MIGRATE_SOURCE_PASSWORD", raising=False)


# ---- tunnels ----------------------------------------------------------------------------------------


def test_tunnel_is_the_first_ssh_connection_depth_first_skipping_folders_and_non_ssh(tmp_path):
    nodes = [
        folder("gw", Node("inside", hostname="i.example.net")),  # a folder named gw: never matched
        Node("gw", protocol="RDP", hostname="rdp.example.net"),
        folder("Deep", Node("gw", id="deep-gw", hostname="deep-gw.example.net", username="d")),
        Node("gw", id="late-gw", hostname="late-gw.example.net"),
        Node("target", id="t", hostname="t.example.net", tunnel=" gw "),  # the tunnel name is trimmed
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert summary(result)["target"]["jump"] == [("deep-gw.example.net", 22, "d", "gw", "deep-gw")]


def test_missing_tunnel_holds_the_entry_with_its_name(tmp_path):
    nodes = [Node("gw ", hostname="g.example.net"), Node("t", id="t", hostname="t.example.net", tunnel="gw")]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert [h.name for h in result.hosts] == ["gw"] and {k.split("#", 1)[1] for k in result.held} == {"t"}
    (err,) = result.errors
    assert err.code == "tunnel" and "'gw'" in err.message and err.field == "SSHTunnelConnectionName"


def test_tunnels_go_one_hop_only(tmp_path):
    nodes = [
        Node("outer", id="o", hostname="outer.example.net"),
        Node("inner", id="i", hostname="inner.example.net", username="iu", port=2022, tunnel="outer"),
        Node("target", id="t", hostname="t.example.net", tunnel="inner"),
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    got = summary(result)
    assert got["inner"]["jump"] == [("outer.example.net", 22, None, "outer", "o")]
    assert got["target"]["jump"] == [("inner.example.net", 2022, "iu", None, None)]  # direct, not via outer
    (note,) = [d for d in result.diagnostics if d.code == "tunnel-hop"]
    assert note.entry == "target" and "'outer'" in note.message


def test_a_tunnel_to_itself_or_to_a_held_entry_holds(tmp_path):
    nodes = [
        Node("self", id="s", hostname="s.example.net", tunnel="self"),
        Node("broken", id="b", hostname="", port=22),
        Node("via-broken", id="v", hostname="v.example.net", tunnel="broken"),
        Node("via-ok", id="k", hostname="k.example.net", tunnel="self"),  # self is held only for its tunnel
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert {h.key.split("#", 1)[1] for h in result.hosts} == {"k"}
    assert {k.split("#", 1)[1] for k in result.held} == {"s", "b", "v"}
    assert summary(result)["via-ok"]["jump"] == [("s.example.net", 22, None, None, None)]


def test_inherited_tunnel_for_a_whole_folder(tmp_path):
    nodes = [
        Node("gw", id="g", hostname="gw.example.net"),
        folder("Behind", Node("a", hostname="a.example.net", inherit={"SSHTunnelConnectionName"}), tunnel="gw"),
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.7")))
    assert summary(result)["a"]["jump"][0][3:] == ("gw", "g")


# ---- SSHOptions, PuttySession, ports, providers ---------------------------------------------------


def test_ssh_options_override_and_map_to_ssh_options(tmp_path):
    opts = (
        r'-P 2022 -l root -i "C:\Keys\my key.ppk" -A -X -C -L 8080:localhost:80 -R 9000:db:5432 -D 1080 -pw "s e\"cret"'
    )
    nodes = [Node("x", hostname="x.example.net", username="u", password="stored", port=22, ssh_options=opts)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    x = summary(result)["x"]
    assert (x["port"], x["user"], x["password"]) == (2022, "root", 's e"cret')
    assert x["key_files"] == [r"C:\Keys\my key.ppk"]
    assert x["ssh_options"] == [
        ("ForwardAgent", "yes"),
        ("ForwardX11", "yes"),
        ("Compression", "yes"),
        ("LocalForward", "8080 localhost:80"),
        ("RemoteForward", "9000 db:5432"),
        ("DynamicForward", "1080"),
    ]
    assert {"ppk-key", "ssh-options-password"} <= {d.code for d in result.diagnostics}
    assert not [d for d in result.diagnostics if 's e"cret' in d.message]


def test_unknown_ssh_options_are_reported_by_flag_only(tmp_path):
    opts = '-o "ProxyCommand=nc evil 22" secretword -proxycmd "plink -pw hunter2 x" -sshlog C:\\log.txt -N'
    nodes = [Node("x", hostname="x.example.net", ssh_options=opts)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert result.hosts and result.hosts[0].ssh_options == []
    text = " ".join(d.message for d in result.diagnostics)
    for hidden in ("evil", "secretword", "hunter2", "plink", "log.txt"):
        assert hidden not in text
    assert "-o is not a PuTTY option" in text and "-proxycmd is a command" in text and "-N opens no shell" in text


def test_ssh_options_switching_protocol_skip_the_entry(tmp_path):
    nodes = [Node("x", hostname="x.example.net", ssh_options="-telnet")]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert not result.hosts and not result.held and "Telnet" in result.diagnostics[-1].message


def test_putty_session_other_than_default_is_reported(tmp_path):
    nodes = [Node("x", hostname="x.example.net", putty_session="Jump via Pageant")]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    (d,) = [d for d in result.diagnostics if d.code == "putty-session"]
    assert "PuTTY registry" in d.message and result.hosts


@pytest.mark.parametrize(
    ("port", "ok"), [("0", False), ("", False), ("abc", False), ("70000", False), (" 2222 ", True), ("+22", True)]
)
def test_ports_as_int_tryparse_and_putty_refuses_zero(tmp_path, port, ok):
    nodes = [Node("x", id="x", hostname="x.example.net", port=port)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert bool(result.hosts) is ok and bool(result.held) is not ok
    if not ok:
        assert result.errors[0].field == "Port" and "abc" not in result.errors[0].message


def test_external_providers_hold_the_entry(tmp_path):
    nodes = [
        Node(
            "aws",
            id="a",
            hostname="",
            extra={"ExternalAddressProvider": "AmazonWebServices", "EC2InstanceId": "i-0abc", "EC2Region": "eu-west-1"},
        ),
        folder(
            "Vault",
            Node("dss", id="d", hostname="d.example.net", inherit={"ExternalCredentialProvider"}),
            extra={"ExternalCredentialProvider": "DelineaSecretServer"},
        ),
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert not result.hosts and {k.split("#", 1)[1] for k in result.held} == {"a", "d"}
    messages = {d.code: d.message for d in result.errors}
    assert "i-0abc" in messages["external-address"] and "Delinea" in messages["external-credentials"]


def test_user_at_host_and_colon_suffix_follow_putty(tmp_path):
    nodes = [Node("x", hostname="admin@x.example.net:2200", username="ignored", port=22)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    x = summary(result)["x"]
    assert (x["address"], x["user"], x["port"]) == ("x.example.net", "admin", 22)
    assert {"host-user", "host-suffix"} <= {d.code for d in result.diagnostics}
