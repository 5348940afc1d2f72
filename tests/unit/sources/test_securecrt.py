"""The SecureCRT source on configurations written by ``helpers.securecrt`` with SecureCRT's algorithms:
every layout and encoding, every password scheme, jumps, wrong passphrases, damage and hostile input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.securecrt import encrypt_legacy, encrypt_v2, export_xml, ini_bytes, session_settings, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import ConfigError, InputError
from migrator.sources import detect_format, open_source
from migrator.sources.secrets import PASSWORD_ENV, WrongSourceSecret
from migrator.sources.securecrt.source import SecureCrtSource

PASSWORD = "pä ss 'q\" %41 $x\\y"  # unicode, spaces, quotes, %, a backslash: must arrive byte-exact
PASSPHRASE = "config pässphrase"


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def read(location: Path, passphrase: str | None = None, tmp: Path | None = None, **options):
    if passphrase is not None:
        secret = (tmp or location.parent) / "passphrase.txt"
        secret.write_text(passphrase + "\n", encoding="utf-8")
        options["password_file"] = str(secret)
    return open_source(f"securecrt:{location.as_posix()}", options=options).read()


def by_name(result) -> dict:
    return {h.name: h for h in result.hosts}


def password(host) -> str | None:
    return host.credentials.password.get_secret_value() if host.credentials.password else None


def inventory(scheme: str, passphrase: str) -> dict[str, dict]:
    def secret(pw):
        if scheme == "legacy":
            return {"Password V2": "", "Password": encrypt_legacy(pw), "Session Password Saved": 1}
        return {"Password V2": encrypt_v2(pw, passphrase, scheme), "Session Password Saved": 1}

    return {
        "Infra/bastion": session_settings("bastion.example.net", user="jump", port=2222, extra=secret("jump-pw")),
        "Prod/Web/web01": session_settings(
            "web01.example.net",
            user="deploy",
            firewall="Session:Infra\\bastion",
            description=["front end", "  second line"],
            extra=secret(PASSWORD),
        ),
        "Prod/db01": session_settings("10.0.0.5", user="DOMAIN\\dba", key="C:\\Users\\me\\.ssh\\id_ed25519"),
        "console": session_settings("console.example.net", protocol="Telnet"),
    }


LAYOUTS = [
    ("utf-8-sig", "\r\n"),
    ("utf-8", "\n"),
    ("utf-16", "\r\n"),
    ("utf-8-sig", "\n"),
]
SCHEMES = [("legacy", ""), ("02", ""), ("02", PASSPHRASE), ("03", PASSPHRASE), ("03", "")]


@pytest.mark.parametrize("scheme, passphrase", SCHEMES, ids=[f"{s}-{'pass' if p else 'nopass'}" for s, p in SCHEMES])
@pytest.mark.parametrize("encoding, newline", LAYOUTS, ids=[f"{e}-{len(n)}" for e, n in LAYOUTS])
def test_a_session_folder_reads_field_by_field(tmp_path, scheme, passphrase, encoding, newline):
    config = write_config(tmp_path, inventory(scheme, passphrase), encoding=encoding, newline=newline)
    result = read(config, passphrase if passphrase else None, tmp_path)
    hosts = by_name(result)
    assert sorted(hosts) == ["bastion", "db01", "web01"]
    assert not result.errors and not result.held and not result.partial
    web, bastion, db = hosts["web01"], hosts["bastion"], hosts["db01"]
    assert (web.address, web.port, web.user, web.category) == ("web01.example.net", 22, "deploy", ["Prod", "Web"])
    assert password(web) == PASSWORD and password(bastion) == "jump-pw" and password(db) is None
    assert web.description == "front end\n  second line"
    assert web.key == f"securecrt:{config.as_posix()}#web01"
    assert [(h.host, h.port, h.user, h.ref, h.ref_key) for h in web.jump] == [
        ("bastion.example.net", 2222, "jump", "bastion", bastion.key)
    ]
    key = "C:\\Users\\me\\.ssh\\id_ed25519"
    assert (db.address, db.user, db.credentials.key_files) == ("10.0.0.5", "DOMAIN\\dba", [key])
    assert web.source.file.endswith("Sessions/Prod/Web/web01.ini") and web.source.format == "securecrt"
    codes = {(d.code, d.entry) for d in result.diagnostics}
    assert ("not-ssh", "console") in codes and ("template", "Default") in codes


def test_the_sessions_folder_and_the_config_folder_read_alike(tmp_path):
    config = write_config(tmp_path, inventory("02", ""))
    from_config, from_sessions = read(config), read(config / "Sessions")
    strip = lambda r: sorted((h.name, h.address, h.port, h.user, tuple(h.category), password(h)) for h in r.hosts)  # noqa: E731
    assert strip(from_config) == strip(from_sessions) and len(from_config.hosts) == 3


@pytest.mark.parametrize("scheme, passphrase", SCHEMES[:4], ids=["legacy", "02", "02-pass", "03-pass"])
def test_the_xml_export_reads_like_the_folder(tmp_path, scheme, passphrase):
    sessions = inventory(scheme, passphrase)
    xml = tmp_path / "export.xml"
    xml.write_bytes(export_xml(sessions))
    folder = read(write_config(tmp_path, sessions), passphrase or None, tmp_path)
    exported = read(xml, passphrase or None, tmp_path)
    flat = lambda r: sorted(  # noqa: E731
        (h.name, h.address, h.port, h.user, tuple(h.category), password(h), h.description, len(h.jump)) for h in r.hosts
    )
    assert flat(exported) == flat(folder)
    web = by_name(exported)["web01"]
    assert (
        web.source.file == xml.as_posix()
        and web.source.line == xml.read_text("utf-8-sig").splitlines().index('\t\t\t\t<key name="web01">') + 1
    )


def test_xml_sessions_are_keys_with_a_hostname_and_dwords_are_decimal(tmp_path):
    settings_ = session_settings("h.example.net", port=2022)
    del settings_["Is Session"]
    xml = tmp_path / "e.xml"
    xml.write_bytes(export_xml({"Folder/only-hostname": settings_}))
    (host,) = read(xml).hosts
    assert (host.name, host.port, host.category) == ("only-hostname", 2022, ["Folder"])


def test_the_passphrase_from_the_environment_works(tmp_path, monkeypatch):
    config = write_config(tmp_path, inventory("03", PASSPHRASE))
    monkeypatch.setenv(PASSWORD_ENV, PASSPHRASE)
    assert password(by_name(read(config))["web01"]) == PASSWORD


@pytest.mark.parametrize("check", [True, False], ids=["with-passphrase-check", "without"])
@pytest.mark.parametrize("given", [None, "Wr0ng-Secret-77"], ids=["none-given", "wrong-given"])
def test_a_wrong_passphrase_stops_the_read_with_one_line(tmp_path, check, given):
    config = write_config(
        tmp_path,
        inventory("03", PASSPHRASE),
        passphrase_check=encrypt_v2("", PASSPHRASE, "03") if check else None,
    )
    with pytest.raises(WrongSourceSecret) as err:
        read(config, given, tmp_path)
    message = str(err.value)
    assert "\n" not in message and "nothing was imported" in message and "configuration passphrase" in message
    assert PASSPHRASE not in message and "Wr0ng-Secret-77" not in message
    assert isinstance(err.value, ConfigError)


def test_the_configurations_passphrase_check_catches_a_wrong_passphrase_even_without_passwords(tmp_path):
    sessions = {"a": session_settings("a.example.net", password=encrypt_v2("pw", PASSPHRASE, "03"))}
    config = write_config(tmp_path, sessions, passphrase_check=encrypt_v2("", PASSPHRASE, "03"))
    assert password(read(config, PASSPHRASE, tmp_path).hosts[0]) == "pw"
    with pytest.raises(WrongSourceSecret):
        read(config, "other", tmp_path)


def test_one_damaged_value_among_good_ones_holds_only_its_entry(tmp_path):
    sessions = inventory("03", PASSPHRASE)
    good = encrypt_v2("other password", PASSPHRASE, "03")
    damaged = good[:-34] + ("0" if good[-34] != "0" else "1") + good[-33:]  # one hex digit of the last block
    sessions["Prod/damaged"] = session_settings("damaged.example.net", password=damaged)
    sessions["Prod/not-hex"] = session_settings("nothex.example.net", password="03:xyz")
    sessions["Prod/old-damaged"] = session_settings(
        "old.example.net", extra={"Password": "u00112233", "Session Password Saved": 1}
    )
    config = write_config(tmp_path, sessions)
    result = read(config, PASSPHRASE, tmp_path)
    assert sorted(by_name(result)) == ["bastion", "db01", "web01"]
    errors = {d.entry: d for d in result.errors}
    assert set(errors) == {"Prod/damaged", "Prod/not-hex", "Prod/old-damaged"}
    assert {d.field for d in errors.values()} == {"Password V2", "Password"}
    assert all(d.file.endswith(".ini") and d.line and d.code == "undecryptable" for d in errors.values())
    assert result.held == {f"securecrt:{config.as_posix()}#{n}" for n in ("damaged", "not-hex", "old-damaged")}
    assert not any(good in str(d) or PASSPHRASE in str(d) for d in result.diagnostics)


def test_a_password_that_is_not_saved_is_not_imported(tmp_path):
    sessions = {"a": session_settings("a.example.net", extra={"Password V2": encrypt_v2("pw", "", "02")})}
    sessions["a"]["Session Password Saved"] = 0
    result = read(write_config(tmp_path, sessions))
    assert password(result.hosts[0]) is None
    assert [d.code for d in result.diagnostics if d.entry == "a"] == ["password-not-saved"]


def test_jump_paths_take_either_separator_and_any_case(tmp_path):
    sessions = {
        "Jump Hosts/Edge/gw": session_settings("gw.example.net", user="j"),
        "a": session_settings("a.example.net", firewall="Session:Jump Hosts\\Edge\\gw"),
        "b": session_settings("b.example.net", firewall="Session:jump hosts/EDGE/GW"),
        "c": session_settings("c.example.net", firewall="session: Jump Hosts/Edge/gw "),
    }
    hosts = by_name(read(write_config(tmp_path, sessions)))
    gw = hosts["gw"].key
    assert [hosts[n].jump[0].ref_key for n in "abc"] == [gw, gw, gw]


def test_a_jump_chain_names_only_the_next_session_and_the_mapper_builds_the_rest(tmp_path):
    sessions = {
        "outer": session_settings("outer.example.net"),
        "inner": session_settings("inner.example.net", firewall="Session:outer"),
        "target": session_settings("target.example.net", firewall="Session:inner"),
    }
    hosts = by_name(read(write_config(tmp_path, sessions)))
    assert [h.ref for h in hosts["target"].jump] == ["inner"] and [h.ref for h in hosts["inner"].jump] == ["outer"]


@pytest.mark.parametrize(
    "sessions, held, code",
    [
        ({"a": dict(firewall="Session:missing")}, {"a"}, "jump-invalid"),
        ({"a": dict(firewall="Session:tel"), "tel": dict(protocol="Telnet")}, {"a"}, "jump-invalid"),
        ({"a": dict(firewall="Session:a")}, {"a"}, "jump-loop"),
        ({"a": dict(firewall="Session:b"), "b": dict(firewall="Session:a")}, {"a", "b"}, "jump-loop"),
        ({"a": dict(firewall="Session:b"), "b": dict(port=0)}, {"a", "b"}, None),
    ],
    ids=["missing", "not-ssh", "itself", "loop", "target-held"],
)
def test_a_jump_that_cannot_be_built_holds_the_entry(tmp_path, sessions, held, code):
    config = write_config(tmp_path, {n: session_settings(f"{n}.example.net", **kw) for n, kw in sessions.items()})
    result = read(config)
    assert result.held == {f"securecrt:{config.as_posix()}#{n}" for n in held}
    assert not set(by_name(result)) & held
    if code:
        assert code in {d.code for d in result.errors}


def test_another_firewall_is_reported_and_the_session_imported_without_it(tmp_path):
    sessions = {"a": session_settings("a.example.net", firewall="Corporate SOCKS")}
    result = read(write_config(tmp_path, sessions))
    assert result.hosts[0].jump == []
    assert [d.code for d in result.diagnostics if d.entry == "a"] == ["unsupported-proxy"]


def test_ssh1_is_imported_with_a_warning_and_other_protocols_are_reported_not_held(tmp_path):
    sessions = {
        "old": session_settings("old.example.net", protocol="SSH1", port=2201),
        **{p: session_settings(f"{i}.example.net", protocol=p) for i, p in enumerate(["RDP", "Serial", "Raw"])},
        "shell": session_settings("", protocol="Local Shell"),
    }
    result = read(write_config(tmp_path, sessions))
    assert [(h.name, h.port) for h in result.hosts] == [("old", 2201)]
    assert not result.held and not result.errors
    assert {d.entry for d in result.diagnostics if d.code == "not-ssh"} == {"RDP", "Serial", "Raw", "shell"}
    assert "ssh1" in {d.code for d in result.diagnostics}


def test_keys_are_the_session_name_never_the_folder(tmp_path):
    sessions = {"A/web": session_settings("a.example.net"), "B/web": session_settings("b.example.net")}
    config = write_config(tmp_path, sessions)
    keys = sorted(
        (h.key.rsplit("#", 1)[-1] if h.key.count("#") > 1 else h.key.rsplit("#", 1)[1], h.address)
        for h in read(config).hosts
    )
    assert keys == [("2", "b.example.net"), ("web", "a.example.net")]
    moved = write_config(tmp_path / "moved", {"C/web": session_settings("a.example.net")})
    assert read(moved).hosts[0].key.endswith("#web")


def test_identity_files_global_keys_and_variables(tmp_path):
    sessions = {
        "own": session_settings("own.example.net", key="${VDS_CONFIG_PATH}\\Keys\\id"),
        "global": session_settings("global.example.net", extra={"Use Global Public Key": 1}),
        "nokey": session_settings(
            "nokey.example.net", extra={"Use Global Public Key": 1, "SSH2 Authentications V2": "password"}
        ),
    }
    config = write_config(tmp_path, sessions, global_key="D:\\keys\\team_ed25519")
    hosts = by_name(read(config))
    assert hosts["own"].credentials.key_files == []
    assert hosts["global"].credentials.key_files == ["D:\\keys\\team_ed25519"]
    assert hosts["nokey"].credentials.key_files == []
    result = read(config / "Sessions")  # the global settings live in Config, above Sessions
    assert by_name(result)["global"].credentials.key_files == []
    assert "global-key" in {d.code for d in result.diagnostics}
    assert "unresolved-path" in {d.code for d in result.diagnostics if d.entry == "own"}


def test_a_bad_port_holds_the_entry_and_names_the_field(tmp_path):
    sessions = {"a": session_settings("a.example.net", port=70000), "b": session_settings("b.example.net")}
    config = write_config(tmp_path, sessions)
    (config / "Sessions" / "c.ini").write_text('S:"Protocol Name"=SSH2\nS:"Hostname"=c\nD:"[SSH2] Port"=zz\n')
    result = read(config)
    assert sorted(by_name(result)) == ["b"]
    assert {(d.entry, d.field) for d in result.errors} == {("a", "[SSH2] Port"), ("c", "[SSH2] Port")}
    assert len(result.held) == 2


def test_a_session_without_protocol_is_ssh2_and_one_without_host_is_reported(tmp_path):
    config = write_config(tmp_path, {})
    (config / "Sessions" / "min.ini").write_text('S:"Hostname"=min.example.net\n')
    (config / "Sessions" / "nohost.ini").write_text('S:"Protocol Name"=SSH2\nD:"Prompt For Hostname"=00000001\n')
    result = read(config)
    assert [(h.name, h.port) for h in result.hosts] == [("min", 22)]
    assert {(d.entry, d.code) for d in result.diagnostics} >= {("min", "default-protocol"), ("nohost", "no-host")}
    assert not result.held


def test_lines_it_cannot_use_are_reported_once_without_their_text(tmp_path):
    config = write_config(tmp_path, {})
    secret_line = "garbage line with hunter2 inside"
    (config / "Sessions" / "x.ini").write_bytes(
        ini_bytes(session_settings("x.example.net")) + (secret_line + "\r\n").encode() * 50
    )
    result = read(config)
    (diag,) = [d for d in result.diagnostics if d.code == "ini-syntax"]
    assert "49 more" in diag.message and "hunter2" not in str(diag)
    assert [h.name for h in result.hosts] == ["x"]


def test_lists_and_binaries_that_claim_more_than_they_hold_are_reported(tmp_path):
    config = write_config(tmp_path, {})
    (config / "Sessions" / "x.ini").write_text(
        'S:"Hostname"=x.example.net\nZ:"Description"=ffffffff\n one line\nB:"Font"=00000010\n 00 01\n'
        'D:"Huge"=123456789\n'
    )
    result = read(config)
    assert result.hosts[0].description == "one line"
    assert {d.field for d in result.diagnostics if d.entry == "x"} >= {"Description", "Font", "Huge"}


def test_the_walk_ignores_other_files_and_never_follows_links_out(tmp_path):
    config = write_config(tmp_path, {"a": session_settings("a.example.net")})
    sessions = config / "Sessions"
    (sessions / "notes.txt").write_text("x")
    outside = tmp_path / "outside.ini"
    outside.write_bytes(ini_bytes(session_settings("outside.example.net")))
    (sessions / "link.ini").symlink_to(outside)
    (sessions / "loop").symlink_to(sessions, target_is_directory=True)
    (sessions / "inside.ini").symlink_to(sessions / "a.ini")
    result = read(config)
    assert sorted(h.name for h in result.hosts) == ["a", "inside"]
    assert [d.code for d in result.diagnostics].count("symlink") == 2
    assert "not-a-session" in {d.code for d in result.diagnostics}


def test_the_file_count_cap_reads_part_and_marks_the_result_partial(tmp_path, monkeypatch):
    monkeypatch.setattr("migrator.sources.securecrt.folder.MAX_SESSION_FILES", 3)
    config = write_config(tmp_path, {f"s{i}": session_settings(f"s{i}.example.net") for i in range(6)})
    result = read(config)
    assert result.partial and len(result.hosts) <= 3 and "too-many-files" in {d.code for d in result.errors}


def test_a_truncated_export_keeps_what_it_read_holds_the_open_session_and_is_partial(tmp_path):
    data = export_xml({"a": session_settings("a.example.net"), "b": session_settings("b.example.net")})
    cut = data.index(b'<string name="Hostname">b.example.net') + 10
    xml = tmp_path / "cut.xml"
    xml.write_bytes(data[:cut])
    result = read(xml)
    assert [h.name for h in result.hosts] == ["a"] and result.partial
    assert result.held == {f"securecrt:{xml.as_posix()}#b"}
    assert {d.code for d in result.errors} == {"xml-syntax", "truncated"}


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        '<VanDyke version="3.0"><key name="Sessions"/></VanDyke>',
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><VanDyke/>',
        '<?xml version="1.0"?><VanDyke><key name="Sessions"><key name="a"><string name="Hostname">&ext;</string>'
        "</key></key></VanDyke>",
        "<Other/>",
        "",
        "not xml at all",
    ],
    ids=["billion-laughs", "external-dtd", "undefined-entity", "other-root", "empty", "text"],
)
def test_hostile_or_foreign_xml_is_refused_with_one_line_or_read_in_part(tmp_path, doc):
    xml = tmp_path / "e.xml"
    xml.write_text(doc, encoding="utf-8")
    try:
        result = read(xml)
    except InputError as exc:
        assert "\n" not in str(exc) and str(xml) in str(exc)
        return
    assert result.partial and not result.hosts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_as_a_session_file_never_break_the_read(tmp_path, data):
    config = tmp_path / "Config"
    (config / "Sessions").mkdir(parents=True, exist_ok=True)
    (config / "Sessions" / "fuzz.ini").write_bytes(data)
    result = SecureCrtSource(config).read()
    assert all(d.file and d.message for d in result.diagnostics)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10_000), flip=st.integers(0, 10_000))
def test_every_cut_and_flipped_byte_of_an_export_ends_in_diagnostics_or_one_error(tmp_path, cut, flip):
    data = bytearray(export_xml(inventory("02", "")))
    data[flip % len(data)] ^= 0x20
    xml = tmp_path / "fuzz.xml"
    xml.write_bytes(bytes(data[: cut % (len(data) + 1)]))
    try:
        result = SecureCrtSource(xml).read()
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for host in result.hosts:
        assert host.key.startswith("securecrt:")


def test_detection_takes_its_folders_and_exports_and_nothing_else(tmp_path):
    config = write_config(tmp_path, inventory("02", ""))
    xml = tmp_path / "export.xml"
    xml.write_bytes(export_xml(inventory("02", "")))
    assert detect_format(config) == detect_format(config / "Sessions") == detect_format(xml) == "securecrt"
    bare = tmp_path / "bare" / "Sessions" / "Lab"
    bare.mkdir(parents=True)
    (bare / "x.ini").write_bytes(ini_bytes(session_settings("x.example.net")))
    assert detect_format(bare.parent) == "securecrt"
    other = tmp_path / "other" / "Sessions"
    other.mkdir(parents=True)
    (other / "x.ini").write_text("[section]\nkey=value\n")
    with pytest.raises(InputError, match="cannot tell"):
        detect_format(other)
    assert SecureCrtSource.detect(tmp_path / "x.xml", b'<?xml version="1.0"?><confCons/>') == 0


def test_a_folder_that_is_not_a_configuration_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="not a SecureCRT configuration folder"):
        read(tmp_path)


def test_the_slow_derivation_is_reported_once(tmp_path, monkeypatch):
    from migrator.sources.securecrt import bcrypt_pbkdf

    # A stand-in for the pure-Python KDF (the real one is checked in test_securecrt_crypto.py), so the
    # values are written and read with the same derivation in a fraction of the time.
    monkeypatch.setattr(bcrypt_pbkdf, "pure_bcrypt_pbkdf", lambda p, s, n, r: (s * n)[:n])
    salt = os.urandom(16)
    sessions = {n: session_settings(f"{n}.example.net", password=encrypt_v2(n, "", "03", salt)) for n in ("a", "b")}
    config = write_config(tmp_path, sessions)
    bcrypt_pbkdf.derive.cache_clear()  # writing derived the key already
    result = read(config)
    assert sorted(password(h) for h in result.hosts) == ["a", "b"]
    (slow,) = [d for d in result.diagnostics if d.code == "slow-kdf"]
    assert slow.message.startswith("1 key derivation")
    bcrypt_pbkdf.derive.cache_clear()


def test_pure_derivations_stop_at_a_cap_and_hold_the_rest(tmp_path, monkeypatch):
    from migrator.sources.securecrt import bcrypt_pbkdf, passwords

    monkeypatch.setattr(bcrypt_pbkdf, "pure_bcrypt_pbkdf", lambda p, s, n, r: (s * n)[:n])
    monkeypatch.setattr(passwords, "MAX_PURE_SALTS", 2)
    sessions = {
        f"s{i}": session_settings(f"s{i}.example.net", password=encrypt_v2(f"pw{i}", "", "03", bytes([i]) * 16))
        for i in range(1, 5)
    }
    config = write_config(tmp_path, sessions)
    result = read(config)
    bcrypt_pbkdf.derive.cache_clear()
    assert sorted(password(h) for h in result.hosts) == ["pw1", "pw2"]
    assert {d.entry for d in result.errors} == {"s3", "s4"} and len(result.held) == 2
    assert all("slow key derivation" in d.message for d in result.errors)


def test_the_example_is_a_small_valid_configuration(tmp_path):
    location = SecureCrtSource.example(tmp_path)
    result = read(Path(location))
    assert [h.name for h in result.hosts] == ["web01"] and not result.errors
    assert os.path.isdir(location)
