"""The Remmina source on files the generator writes with Remmina's real algorithms (tests/helpers/remmina.py)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from helpers.remmina import encrypt, gen_secret, keyfile_value, profile_text, ssh_profile, write_pref, write_profile
from hypothesis import given
from hypothesis import strategies as st

from migrator.errors import ConfigError
from migrator.sources import detect_format
from migrator.sources.remmina.crypto import decrypt, glib_base64_decode, parse_secret
from migrator.sources.remmina.keyfile import KeyFileError, parse_keyfile, string_value
from migrator.sources.remmina.settings import BadServer, load_settings, parse_server, remmina_int
from migrator.sources.remmina.source import RemminaSource
from migrator.sources.secrets import WrongSourceSecret

PASSWORD_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\0") | st.sampled_from(" %'\"\\\t"),
    min_size=1,
    max_size=40,
)


def folder_with(tmp_path: Path, profiles: dict[str, dict], secret: str | None = None) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    if secret is not None:
        write_pref(folder, secret)
    for file_name, settings in profiles.items():
        write_profile(folder, file_name, settings)
    return folder


def read(location, **options):
    return RemminaSource(location, **options).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def codes(result):
    return {(d.code, d.entry) for d in result.diagnostics}


# ---- GKeyFile ------------------------------------------------------------------------------------


def test_keyfile_reads_like_glib():
    data = (
        b"# comment\n  [remmina]  \t\nname = spaced key \r\n  server=host \nname2=a\\sb\\tc\\nd\\\\e\n"
        b"[other]\nx=1\n[remmina]\nserver=later\nname[de]=lokal\n"
    )
    kf = parse_keyfile(data)
    group = kf.group("remmina")
    assert string_value(group["name"]) == "spaced key "  # the value's trailing blank stays, like GLib
    assert string_value(group["server"]) == "later"  # a repeated group merges, the last value wins
    assert string_value(group["name2"]) == "a b\tc\nd\\e"
    assert "name[de]" in group and kf.group("other")["x"].line == 7


@pytest.mark.parametrize(
    "data, line",
    [
        (b"name=x\n[remmina]\n", 1),  # a key before the first group
        (b"[remmina]\njust text\n", 2),
        (b"[remmina]\n=value\n", 2),
        (b"[rem[mina]\n", 1),
        (b"[remmina]\n key =x\n[g]\n k[=]=1\n", 4),
        (b"[first]\nEncoding=latin1\n", 2),
        (b"", None),
    ],
)
def test_keyfile_refuses_what_glib_refuses(data, line):
    with pytest.raises(KeyFileError) as err:
        parse_keyfile(data)
    assert err.value.line == line


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=60))
def test_values_written_by_g_key_file_set_string_read_back_exactly(text):
    group = parse_keyfile(profile_text({"name": "n", "value": text}).encode("utf-8")).group("remmina")
    assert string_value(group["value"]) == text


# ---- crypto ----------------------------------------------------------------------------------------


@given(PASSWORD_TEXT)
def test_every_password_the_generator_encrypts_decrypts_exactly(password):
    secret = gen_secret()
    result = decrypt(encrypt(password, secret), parse_secret(secret))
    assert result.kind == "ok" and result.text == password


@pytest.mark.parametrize("length", range(1, 18))
def test_padding_at_every_length(length):
    secret = gen_secret()
    password = "x" * length
    stored = encrypt(password, secret)
    assert len(base64.b64decode(stored)) == length + (8 - length % 8)
    assert decrypt(stored, parse_secret(secret)).text == password


def test_the_3des_layout_matches_openssl(tmp_path):
    """Key = secret[0:24], IV = secret[24:32], 3DES-CBC: the same bytes as OpenSSL's des-ede3-cbc."""
    secret = gen_secret()
    raw = base64.b64decode(secret)
    plain = "Sesame öffne dich".encode() + b"\0" * (8 - len("Sesame öffne dich".encode()) % 8)
    proc = subprocess.run(
        ["openssl", "enc", "-des-ede3-cbc", "-K", raw[:24].hex(), "-iv", raw[24:32].hex(), "-nopad"],
        input=plain,
        capture_output=True,
        check=True,
    )
    assert base64.b64encode(proc.stdout).decode() == encrypt("Sesame öffne dich", secret)


def test_a_wrong_secret_gives_garbage_never_text():
    right, wrong = gen_secret(), gen_secret()
    results = [decrypt(encrypt(f"password-{i}", right), parse_secret(wrong)).kind for i in range(200)]
    assert set(results) == {"garbage"}


def test_glib_base64_skips_foreign_characters_and_partial_groups():
    assert glib_base64_decode("aGVs\nbG8h") == b"hello!"
    assert glib_base64_decode("aGVsbA==") == b"hell"
    assert glib_base64_decode("aGVsbG8") == b"hel"  # a trailing partial group gives nothing
    assert glib_base64_decode(".") == b""


def test_a_clear_text_password_is_used_as_written():
    """remmina_crypt_decrypt returns the stored text when its base64 length is not a multiple of 8."""
    assert decrypt("hunter2", parse_secret(gen_secret())).text == "hunter2"


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="31 bytes"):
        parse_secret(base64.b64encode(os.urandom(31)).decode())


# ---- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("host", ("host", 22)),
        ("host:2222", ("host", 2222)),
        ("[2001:db8::1]:2200", ("2001:db8::1", 2200)),
        ("[2001:db8::1]", ("2001:db8::1", 22)),
        ("2001:db8::1", ("2001:db8::1", 22)),
        ("10.0.0.1:0", ("10.0.0.1", 0)),
    ],
)
def test_server_splits_like_g_network_address_parse(text, expected):
    assert parse_server(text, 22) == expected


@pytest.mark.parametrize("text", ["[::1", "[::1]x", "host:", "host:ssh", "host:65536", "host:22x", "host:-1"])
def test_bad_servers_are_refused(text):
    with pytest.raises(BadServer):
        parse_server(text, 22)


def test_remmina_int_is_atoi():
    assert [remmina_int(v, 7) for v in (None, "", "true", "1", " 12abc", "x", "-3")] == [7, 7, 1, 1, 12, 0, -3]


def test_pre_14_ssh_keys_are_upgraded():
    group = parse_keyfile(
        profile_text(
            {
                "name": "old",
                "protocol": "SSH",
                "server": "h",
                "ssh_enabled": "1",
                "ssh_username": "olduser",
                "ssh_server": "gw.example.net",
                "ssh_auth": "1",
            }
        ).encode()
    ).group("remmina")
    s = load_settings(group)
    assert s.get("username") == "olduser" and s.get("ssh_tunnel_username") == "olduser"
    assert s.get("ssh_tunnel_server") == "gw.example.net" and s.get("ssh_tunnel_enabled") == "1"
    assert s.get("ssh_auth") == "1" and s.get("ssh_tunnel_auth") == "1"


# ---- the source -------------------------------------------------------------------------------------


def test_every_field_of_an_ssh_profile(tmp_path):
    secret = gen_secret()
    folder = folder_with(
        tmp_path,
        {
            "a.remmina": ssh_profile(
                "web",
                "[2001:db8::5]:2200",
                secret=secret,
                password="pw 'ü' %s \"x\"",
                group="Prod/Web",
                ssh_forward_x11="1",
                ssh_compression="1",
                ssh_kex_algorithms="curve25519-sha256",
                ssh_proxycommand="nc -X 5 %h %p",
                notes_text="Line%201%0Aline%202",
            ),
            "b.remmina": ssh_profile(
                "keyed", "k.example.net", secret=secret, auth=1, ssh_privatekey="/k/id", ssh_certfile="/k/id-cert.pub"
            )
            | {"ssh_passphrase": encrypt("kp secret", secret)},
        },
        secret,
    )
    result = read(folder)
    hosts = by_name(result)
    web = hosts["web"]
    assert (web.address, web.port, web.user, web.category) == ("2001:db8::5", 2200, "deploy", ["Prod", "Web"])
    assert web.credentials.password.get_secret_value() == "pw 'ü' %s \"x\""
    assert web.ssh_options == [("ForwardX11", "yes"), ("Compression", "yes"), ("KexAlgorithms", "curve25519-sha256")]
    assert web.proxy_command == "nc -X 5 %h %p" and web.description == "Line 1\nline 2"
    keyed = hosts["keyed"].credentials
    assert keyed.key_files == ["/k/id"] and keyed.certificate_files == ["/k/id-cert.pub"]
    assert keyed.key_passphrase.get_secret_value() == "kp secret" and keyed.password is None
    assert not result.errors and not result.held


def test_keys_are_names_with_repeats_in_file_order_never_the_folder(tmp_path):
    folder = folder_with(
        tmp_path,
        {
            "b_ssh_web.remmina": ssh_profile("web", "b.example.net", group="B"),
            "a_ssh_web.remmina": ssh_profile("web", "a.example.net", group="A"),
        },
    )
    keys = {h.address: h.key.removeprefix(f"remmina:{folder.as_posix()}#") for h in read(folder).hosts}
    assert keys == {"a.example.net": "web", "b.example.net": "web#2"}


def test_other_protocols_are_reported_and_sftp_is_an_option(tmp_path):
    folder = folder_with(
        tmp_path,
        {
            "r.remmina": ssh_profile("desk", "d.example.net", protocol="RDP"),
            "f.remmina": ssh_profile("files", "f.example.net", protocol="SFTP"),
            "x.remmina": ssh_profile("odd", "o.example.net", protocol="ssh"),
        },
    )
    result = read(folder)
    assert not result.hosts and not result.held
    levels = {d.entry: d.level for d in result.diagnostics if d.code == "not-ssh"}
    assert levels == {"desk": "info", "files": "info", "odd": "warning"}
    assert [h.name for h in read(folder, include_sftp=True).hosts] == ["files"]


def test_an_ssh_tunnel_is_a_jump_host_referring_to_the_folders_profile(tmp_path):
    secret = gen_secret()
    folder = folder_with(
        tmp_path,
        {
            "1.remmina": ssh_profile("gw", "gw.example.net:2022", user="ops"),
            "2.remmina": ssh_profile(
                "inner",
                "10.0.0.5",
                ssh_tunnel_enabled="1",
                ssh_tunnel_server="gw.example.net:2022",
                ssh_tunnel_username="ops",
            ),
            "3.remmina": ssh_profile(
                "other",
                "10.0.0.6",
                secret=secret,
                ssh_tunnel_enabled="1",
                ssh_tunnel_server="elsewhere.example.net",
                ssh_tunnel_password=encrypt("tunnel pw", secret),
            ),
            "4.remmina": ssh_profile("self", "self.example.net:2200", ssh_tunnel_enabled="1", ssh_tunnel_loopback="1"),
        },
        secret,
    )
    result = read(folder)
    hosts = by_name(result)
    hop = hosts["inner"].jump[0]
    assert (hop.host, hop.port, hop.user, hop.ref, hop.ref_key) == (
        "gw.example.net",
        2022,
        "ops",
        "gw",
        hosts["gw"].key,
    )
    other = hosts["other"].jump[0]
    assert (other.host, other.port, other.ref_key) == ("elsewhere.example.net", 22, None)
    assert ("tunnel-credentials", "other") in codes(result)
    loop = hosts["self"]
    assert (loop.address, loop.port, loop.jump[0].host, loop.jump[0].port) == (
        "127.0.0.1",
        2200,
        "self.example.net",
        22,
    )


def test_keyring_values_are_reported_and_asked_for(tmp_path):
    folder = folder_with(tmp_path, {"k.remmina": ssh_profile("k", "k.example.net", password=".")})
    result = read(folder)
    assert ("keyring-password", "k") in codes(result)
    assert result.hosts[0].credentials.password_prompt and result.hosts[0].credentials.password is None


def test_a_wrong_pref_stops_with_one_line_naming_it(tmp_path):
    right = gen_secret()
    folder = folder_with(
        tmp_path,
        {f"{i}.remmina": ssh_profile(f"h{i}", f"h{i}.example.net", secret=right, password=f"pw-{i}") for i in range(3)},
    )
    wrong = write_pref(tmp_path / "elsewhere", gen_secret())
    with pytest.raises(WrongSourceSecret) as err:
        read(folder, pref=wrong)
    message = str(err.value)
    assert "\n" not in message and wrong.as_posix() in message and "nothing was imported" in message
    assert "pw-" not in message


def test_a_missing_pref_is_an_error_only_when_a_password_needs_it(tmp_path):
    secret = gen_secret()
    folder = folder_with(tmp_path, {"a.remmina": ssh_profile("a", "a.example.net", secret=secret, password="pw")})
    with pytest.raises(ConfigError, match="remmina.pref, which was not found"):
        read(folder)
    plain = folder_with(tmp_path / "p", {"b.remmina": ssh_profile("b", "b.example.net", auth=2)})
    assert [h.name for h in read(plain).hosts] == ["b"]


def test_a_password_saved_with_another_secret_holds_only_that_profile(tmp_path):
    secret, foreign = gen_secret(), gen_secret()
    profiles = {
        f"{i}.remmina": ssh_profile(f"h{i}", f"h{i}.example.net", secret=secret, password=f"pw{i}") for i in range(3)
    }
    profiles["x.remmina"] = ssh_profile("moved", "m.example.net", secret=foreign, password="foreign")
    result = read(folder_with(tmp_path, profiles, secret))
    assert sorted(by_name(result)) == ["h0", "h1", "h2"]
    assert result.held == {RemminaSource(tmp_path / "profiles").key("moved")}
    assert [d.code for d in result.errors] == ["undecryptable"]


@pytest.mark.parametrize("secret", ["", "c2hvcnQ=", None])
def test_a_damaged_pref_secret_is_one_line(tmp_path, secret):
    good = gen_secret()
    folder = folder_with(tmp_path, {"a.remmina": ssh_profile("a", "a.example.net", secret=good, password="pw")})
    write_pref(folder, secret)
    with pytest.raises(WrongSourceSecret, match="remmina.pref") as err:
        read(folder)
    assert "\n" not in str(err.value)


def test_pref_is_found_from_the_home_layouts_and_never_the_real_home(tmp_path, monkeypatch):
    secret = gen_secret()
    home = tmp_path / "home"
    for data, name in (
        (".local/share/remmina", "from-local"),
        (".var/app/org.remmina.Remmina/data/remmina", "from-app"),
    ):
        (home / data).mkdir(parents=True)
        write_profile(
            home / data, f"{name}.remmina", ssh_profile(name, "h.example.net", secret=secret, password="pw-home")
        )
    write_pref(home / ".config/remmina", secret)
    write_pref(home / ".var/app/org.remmina.Remmina/config/remmina", secret)
    monkeypatch.setenv("HOME", str(tmp_path / "nobody"))
    names = {h.name for h in read(home).hosts}  # a home folder: both installations, each with its pref
    assert names == {"from-local", "from-app"}
    xdg = read(home / ".local/share/remmina")  # the data folder alone finds ../../.config/remmina
    assert xdg.hosts[0].credentials.password.get_secret_value() == "pw-home"
    lone = tmp_path / "lone"
    lone.mkdir()
    write_profile(lone, "a.remmina", ssh_profile("a", "a.example.net", secret=secret, password="pw"))
    with pytest.raises(ConfigError):
        read(lone)  # the importer's own home is not searched
    assert read(lone, home=home).hosts[0].credentials.password.get_secret_value() == "pw"


@pytest.mark.parametrize(
    "extra, code",
    [
        ({"server": ""}, "no-host"),
        ({"server": "host:ssh"}, "invalid-server"),
        ({"server": "host:0"}, "invalid-port"),
        ({"server": "bad host!"}, "invalid-value"),
        ({"ssh_auth": "9"}, "invalid-auth"),
        ({"ssh_tunnel_enabled": "1", "ssh_tunnel_server": "[::1"}, "invalid-tunnel"),
    ],
)
def test_an_ssh_profile_that_cannot_be_imported_is_held_with_its_field(tmp_path, extra, code):
    folder = folder_with(tmp_path, {"a.remmina": ssh_profile("a", "a.example.net") | extra})
    result = read(folder)
    assert not result.hosts and result.held == {RemminaSource(folder).key("a")}
    (error,) = result.errors
    assert error.code == code and error.entry == "a" and error.line is not None


def test_damaged_and_foreign_files_are_reported_and_make_the_read_partial(tmp_path):
    folder = folder_with(tmp_path, {"ok.remmina": ssh_profile("ok", "ok.example.net")})
    (folder / "bad.remmina").write_bytes(b"[remmina]\nname=x\nthis is not a key file line\n")
    (folder / "noname.remmina").write_text("[remmina]\nserver=x\n")
    (folder / "ignored.txt").write_text("[remmina]\nname=x\nprotocol=SSH\nserver=y\n")
    outside = tmp_path / "outside.remmina"
    outside.write_text(profile_text(ssh_profile("out", "out.example.net")))
    (folder / "link.remmina").symlink_to(outside)
    result = read(folder)
    assert [h.name for h in result.hosts] == ["ok"] and result.partial
    assert {(d.code, d.file.rsplit("/", 1)[-1]) for d in result.diagnostics} >= {
        ("damaged-profile", "bad.remmina"),
        ("not-a-profile", "noname.remmina"),
        ("outside-folder", "link.remmina"),
    }
    assert all("this is not" not in d.message for d in result.diagnostics)


@given(st.binary(max_size=300))
def test_any_bytes_as_a_profile_end_in_diagnostics(data):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.remmina"
        path.write_bytes(b"[remmina]\nname=n\nprotocol=SSH\n" + data)
        result = read(path)
        for d in result.diagnostics:
            assert d.message and "\n" not in str(d)


def test_detection(tmp_path):
    folder = folder_with(tmp_path, {"a.remmina": ssh_profile("a", "a.example.net")})
    assert detect_format(folder) == "remmina" and detect_format(folder / "a.remmina") == "remmina"
    assert RemminaSource.detect(folder / "remmina.pref", b"[remmina_pref]\nsecret=x\n") == 0


def test_keyfile_value_escapes_like_glib():
    assert keyfile_value("  a b\\c\n\t") == "\\s\\sa b\\\\c\\n\t"


def test_link_loops_and_dangling_links_are_reported(tmp_path):
    folder = folder_with(tmp_path, {"ok.remmina": ssh_profile("ok", "ok.example.net")})
    (folder / "loop.remmina").symlink_to(folder / "loop.remmina")
    (folder / "gone.remmina").symlink_to(folder / "missing-target")
    result = read(folder)
    assert [h.name for h in result.hosts] == ["ok"] and result.partial
    assert sorted(d.file.rsplit("/", 1)[-1] for d in result.errors) == ["gone.remmina", "loop.remmina"]


def test_the_fingerprint_covers_profiles_and_pref_but_not_the_rest_of_a_home(tmp_path):
    home = tmp_path / "home"
    data = home / ".local/share/remmina"
    data.mkdir(parents=True)
    secret = gen_secret()
    write_profile(data, "a.remmina", ssh_profile("a", "a.example.net", secret=secret, password="pw"))
    pref = write_pref(home / ".config/remmina", secret)
    (home / "unrelated.bin").write_bytes(b"x")
    source = RemminaSource(home)
    before = source.fingerprint()
    (home / "unrelated.bin").write_bytes(b"y")
    assert source.fingerprint() == before
    pref.write_text(pref.read_text() + "# edited\n")
    assert source.fingerprint() != before


def test_a_value_that_is_not_utf8_is_reported_and_treated_as_empty(tmp_path):
    folder = folder_with(tmp_path, {})
    (folder / "a.remmina").write_bytes(b"[remmina]\nname=a\nprotocol=SSH\nserver=a.example.net\nusername=caf\xe9\n")
    result = read(folder)
    assert result.hosts[0].user is None and [(d.code, d.field) for d in result.diagnostics] == [
        ("bad-value", "username")
    ]
