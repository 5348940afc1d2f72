"""The WinSCP source on ``WinSCP.ini`` files written by ``helpers.winscp`` with WinSCP's algorithms."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers.winscp import METASPLOIT_VECTOR, encrypt_password, encrypt_with_master, ini_text, munge, site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import ConfigError
from migrator.sources import detect_format, open_source
from migrator.sources.secrets import PASSWORD_ENV, WrongSourceSecret
from migrator.sources.winscp import crypto
from migrator.sources.winscp.ini import unmunge
from migrator.sources.winscp.source import WinScpSource

PASSWORD = "pä ss 'q\" %41 \\x;y=z"
MASTER = "mäster pw"
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30)


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def write(tmp_path, text: str, name: str = "WinSCP.ini"):
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    return path


def read(path, master: str | None = None, **options):
    if master is not None:
        secret = path.parent / "master.txt"
        secret.write_text(master + "\n", encoding="utf-8")
        options["password_file"] = str(secret)
    return open_source(f"winscp:{path.as_posix()}", options=options).read()


def by_name(result) -> dict:
    return {h.name: h for h in result.hosts}


def password(host) -> str | None:
    return host.credentials.password.get_secret_value() if host.credentials.password else None


def sites(secret, field: str = "Password") -> dict:
    return {
        "Infra/bastion": site(
            "bastion.example.net",
            UserName="jump",
            PortNumber=2222,
            **{field: secret("jump-pw", "jumpbastion.example.net")},
        ),
        "Prod/Web/web01": site(
            "web01.example.net",
            UserName="deploy",
            **{field: secret(PASSWORD, "deployweb01.example.net")},
            PublicKeyFile="C:\\Users\\me\\.ssh\\web.ppk",
            Note="front end, rack 3",
            Tunnel=1,
            TunnelHostName="bastion.example.net",
            TunnelPortNumber=2222,
            TunnelUserName="jump",
            AgentFwd=1,
        ),
        "Prod/files": site("files.example.net", UserName="ftp", FSProtocol=5),
        "café": site("root@cafe.example.net", FSProtocol=0, TryAgent=0),
    }


def test_the_public_vector_decodes_to_its_documented_plaintext(tmp_path):
    user, host, value, plain = METASPLOIT_VECTOR
    assert crypto.decrypt_simple(value, user + host) == plain
    path = write(tmp_path, ini_text({f"{user}@{host}": site(host, UserName=user, Password=value)}))
    assert password(read(path).hosts[0]) == plain


@pytest.mark.parametrize("scheme", ["obfuscated", "plain", "master"])
def test_sites_read_field_by_field(tmp_path, scheme):
    def secret(pw, key):
        if scheme == "master":
            return encrypt_with_master(pw, MASTER)
        return pw if scheme == "plain" else encrypt_password(pw, key)

    values = sites(secret, "PasswordPlain" if scheme == "plain" else "Password")
    path = write(tmp_path, ini_text(values, master=MASTER if scheme == "master" else None))
    result = read(path, MASTER if scheme == "master" else None)
    hosts = by_name(result)
    assert sorted(hosts) == ["bastion", "café", "web01"]
    assert not result.errors and not result.held and not result.partial
    web, bastion, cafe = hosts["web01"], hosts["bastion"], hosts["café"]
    assert (web.address, web.port, web.user, web.category) == ("web01.example.net", 22, "deploy", ["Prod", "Web"])
    assert password(web) == PASSWORD and password(bastion) == "jump-pw" and password(cafe) is None
    assert web.credentials.key_files == ["C:\\Users\\me\\.ssh\\web.ppk"] and web.credentials.agent == "pageant"
    assert web.description == "front end, rack 3" and web.ssh_options == [("ForwardAgent", "yes")]
    assert [(j.host, j.port, j.user, j.ref_key) for j in web.jump] == [
        ("bastion.example.net", 2222, "jump", bastion.key)
    ]
    assert (cafe.address, cafe.user, cafe.credentials.agent, cafe.category) == ("cafe.example.net", "root", None, [])
    assert web.key == f"winscp:{path.as_posix()}#web01"
    assert ("not-ssh", "Prod/files") in {(d.code, d.entry) for d in result.diagnostics}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pw=TEXT,
    user=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="@"), max_size=20),
    long=st.booleans(),
)
def test_obfuscated_passwords_round_trip_byte_exact(tmp_path, pw, user, long):
    pw = pw * 20 if long else pw  # more than 255 bytes takes the two-byte length
    value = encrypt_password(pw, user + "h.example.net", random.Random(len(pw)))
    path = write(tmp_path, ini_text({"s": site("h.example.net", UserName=user, Password=value)}))
    (host,) = read(path).hosts
    assert password(host) == (pw or None) and host.user == (user.strip() or None)


@settings(max_examples=15, deadline=None)
@given(pw=TEXT)
def test_master_password_values_round_trip_and_refuse_another_master(pw):
    value = encrypt_with_master(pw, MASTER)
    assert crypto.decrypt_master(value, MASTER) == pw
    with pytest.raises(crypto.MacMismatch):
        crypto.decrypt_master(value, MASTER + "x")


def test_a_password_saved_for_another_user_or_host_is_ignored_as_winscp_does(tmp_path):
    value = encrypt_password("pw", "olduserold.example.net")
    path = write(tmp_path, ini_text({"s": site("new.example.net", UserName="newuser", Password=value)}))
    result = read(path)
    assert password(result.hosts[0]) is None and not result.held
    assert [d.code for d in result.diagnostics if d.entry == "s"] == ["password-key"]


def test_user_at_host_overrides_the_user_and_keys_the_password(tmp_path):
    value = encrypt_password("pw", "realh.example.net")
    path = write(tmp_path, ini_text({"s": site("real@h.example.net", UserName="ignored", Password=value)}))
    (host,) = read(path).hosts
    assert (host.user, host.address, password(host)) == ("real", "h.example.net", "pw")


def test_an_old_value_without_the_flag_carries_no_key(tmp_path):
    data = bytes([3, 0]) + b"abc" + bytes(40)
    value = "".join(f"{(~b ^ 0xA3) & 0xFF:02X}" for b in data)
    assert crypto.decrypt_simple(value, "anything") == "abc"


@pytest.mark.parametrize("given", [None, "Wr0ng-Master-77"], ids=["none-given", "wrong-given"])
@pytest.mark.parametrize("verifier", [True, False], ids=["verifier", "no-verifier"])
def test_a_wrong_master_password_stops_the_read_with_one_line(tmp_path, given, verifier):
    text = ini_text(sites(lambda pw, key: encrypt_with_master(pw, MASTER)), master=MASTER if verifier else None)
    path = write(tmp_path, text)
    with pytest.raises(WrongSourceSecret) as err:
        read(path, given)
    message = str(err.value)
    assert "\n" not in message and "master password" in message and "nothing was imported" in message
    assert MASTER not in message and "Wr0ng-Master-77" not in message


def test_one_damaged_master_value_among_good_ones_holds_only_its_site(tmp_path):
    values = sites(lambda pw, key: encrypt_with_master(pw, MASTER))
    good = encrypt_with_master("other", MASTER)
    values["damaged"] = site("d.example.net", Password=good[:-1] + ("0" if good[-1] != "0" else "1"))
    values["short"] = site("s.example.net", Password="A35D00")
    values["nothex"] = site("n.example.net", Password="A35CZZ")
    values["cut"] = site("c.example.net", Password=encrypt_password("pw", "c.example.net")[:20])
    path = write(tmp_path, ini_text(values, master=MASTER))
    result = read(path, MASTER)
    assert sorted(by_name(result)) == ["bastion", "café", "web01"]
    assert {d.entry for d in result.errors} == {"damaged", "short", "nothex", "cut"}
    assert all(d.code == "undecryptable" and d.field == "Password" and d.line for d in result.errors)
    assert len(result.held) == 4
    assert not any(good[4:40] in str(d) for d in result.diagnostics)


def test_the_master_password_from_the_environment_works(tmp_path, monkeypatch):
    path = write(tmp_path, ini_text(sites(lambda pw, key: encrypt_with_master(pw, MASTER)), master=MASTER))
    monkeypatch.setenv(PASSWORD_ENV, MASTER)
    assert password(by_name(read(path))["web01"]) == PASSWORD


def test_a_password_file_for_a_file_without_a_master_password_is_an_error(tmp_path):
    path = write(tmp_path, ini_text(sites(encrypt_password)))
    with pytest.raises(ConfigError, match="password_file does not apply"):
        read(path, "whatever")


def test_a_tunnel_to_a_host_that_is_not_a_site_is_a_hop_whose_credentials_are_reported(tmp_path):
    values = {
        "s": site(
            "inner.example.net",
            Tunnel=1,
            TunnelHostName="gw@outer.example.net",
            TunnelPassword=encrypt_password("tpw", "gwouter.example.net"),
            TunnelPublicKeyFile="C:\\k.ppk",
        )
    }
    result = read(write(tmp_path, ini_text(values)))
    (host,) = result.hosts
    assert [(j.host, j.port, j.user, j.ref) for j in host.jump] == [("outer.example.net", 22, "gw", None)]
    (diag,) = [d for d in result.diagnostics if d.code == "tunnel-credentials"]
    assert diag.level == "warning" and "TunnelPassword" in diag.message and "tpw" not in diag.message


@pytest.mark.parametrize(
    "values, field",
    [
        ({"PortNumber": 0}, "PortNumber"),
        ({"PortNumber": 70000}, "PortNumber"),
        ({"FSProtocol": 9}, "FSProtocol"),
        ({"HostName": "%SERVER%"}, "HostName"),
        ({"HostName": "bad host!"}, "HostName"),
        ({"Tunnel": 1, "TunnelHostName": "bad host!"}, "TunnelHostName"),
        ({"Tunnel": 1, "TunnelHostName": "gw.example.net", "TunnelPortNumber": 0}, "TunnelHostName"),
    ],
)
def test_a_site_that_cannot_be_imported_is_held_with_its_field(tmp_path, values, field):
    path = write(tmp_path, ini_text({"bad": {"HostName": "h.example.net", **values}, "ok": site("ok.example.net")}))
    result = read(path)
    assert sorted(by_name(result)) == ["ok"]
    assert [(d.entry, d.field) for d in result.errors] == [("bad", field)]
    assert result.held == {f"winscp:{path.as_posix()}#bad"}


def test_templates_workspaces_hidden_sites_and_other_protocols_are_reported_not_held(tmp_path):
    values = {
        "ws/0000": site("a.example.net", IsWorkspace=1),
        "_!_hidden": site("b.example.net"),
        "dav": site("dav.example.net", FSProtocol=6),
        "s3": site("s3.amazonaws.com", FSProtocol=7),
        "nohost": {"UserName": "x"},
        "ssh": site("ssh.example.net"),
    }
    result = read(write(tmp_path, ini_text(values, default_settings={"UserName": "root", "PortNumber": 2200})))
    (host,) = result.hosts
    assert (host.name, host.user, host.port) == ("ssh", None, 22)  # Default Settings is not applied
    assert not result.held and not result.errors
    codes = {d.code for d in result.diagnostics}
    assert {"template", "workspace", "hidden", "not-ssh", "no-host"} <= codes


def test_names_values_and_folders_are_unescaped(tmp_path):
    name = "Kunden/Müller & Söhne/web 1.prod"
    values = {name: site("h.example.net", UserName="ütf user", Note="50% off *now*?")}
    text = ini_text(values)
    assert "[Sessions\\Kunden/%EF%BB%BFM" not in text and "%EF%BB%BF" in text
    (host,) = read(write(tmp_path, text)).hosts
    assert (host.name, host.category) == ("web 1.prod", ["Kunden", "Müller & Söhne"])
    assert (host.user, host.description) == ("ütf user", "50% off *now*?")


def test_values_without_the_utf8_marker_are_in_the_code_page(tmp_path):
    path = write(tmp_path, "[Sessions\\s]\r\nHostName=h.example.net\r\nUserName=M%FCller\r\n")
    assert read(path).hosts[0].user == "Müller"
    assert read(path, codepage="cp1250").hosts[0].user == "Müller"
    assert read(path, codepage="cp1251").hosts[0].user == "Mьller"


@settings(max_examples=80, deadline=None)
@given(text=TEXT)
def test_munged_text_unmunges_to_itself(text):
    assert unmunge(munge(text), "cp1252") == text


def test_keys_are_the_name_without_its_folder(tmp_path):
    path = write(tmp_path, ini_text({"A/web": site("a.example.net"), "B/web": site("b.example.net")}))
    assert [h.key.split("#", 1)[1] for h in read(path).hosts] == ["web", "web#2"]


def test_repeats_and_bad_lines_are_reported_and_the_first_value_wins(tmp_path):
    text = (
        "garbage line secret-hunter2\r\n[Sessions\\s]\r\nHostName=first.example.net\r\nHostName=second.example.net\r\n"
        "no equals here\r\n[Sessions\\s]\r\nUserName=later\r\n"
    )
    result = read(write(tmp_path, text))
    (host,) = result.hosts
    assert (host.address, host.user) == ("first.example.net", None)
    codes = [d.code for d in result.diagnostics]
    assert codes.count("repeated") == 3 and codes.count("ini-syntax") == 1
    assert not any("hunter2" in str(d) for d in result.diagnostics)


def test_proxies_and_numbers_it_cannot_read_are_reported(tmp_path):
    values = {"s": site("h.example.net", ProxyMethod="socks5", ProxyHost="p.example.net", PortNumber=("raw", "twenty"))}
    result = read(write(tmp_path, ini_text(values)))
    (host,) = result.hosts
    assert host.port == 22 and host.jump == []
    assert {d.code for d in result.diagnostics} >= {"unsupported-proxy", "invalid-value"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_never_break_the_read(tmp_path, data):
    path = tmp_path / "WinSCP.ini"
    path.write_bytes(b"[Sessions\\fuzz]\r\n" + data)
    result = WinScpSource(path).read()
    assert all(d.message and d.file for d in result.diagnostics)


def test_detection(tmp_path):
    path = write(tmp_path, ini_text({"s": site("h.example.net")}), name="portable.ini")
    assert detect_format(path) == "winscp"
    named = write(tmp_path, "[Configuration\\Interface]\r\n", name="WinSCP.ini")
    assert WinScpSource.detect(named, named.read_bytes()) == 95
    other = write(tmp_path, "[Bookmarks]\r\nSubRep=\r\n", name="other.ini")
    assert WinScpSource.detect(other, other.read_bytes()) == 0


def test_the_example_is_a_small_valid_file(tmp_path):
    result = read(Path(WinScpSource.example(tmp_path)))
    assert [h.name for h in result.hosts] == ["web01"] and not result.errors
