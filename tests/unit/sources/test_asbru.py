"""The asbru source: real Crypt::CBC vectors, YAML.pm's real output, files from our own generator
(tests/helpers/asbru.py, byte-exact with YAML.pm) read back field by field, and hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.asbru import SALT_64, SALT_LEGACY, AsbruFile, Blessed, Shared, encrypt_hex, yaml_pm_dump
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.sources import detect_format, open_source
from migrator.sources.asbru.crypto import NotDecryptable, decrypt_hex, reveal
from migrator.sources.asbru.perl_yaml import load
from migrator.sources.asbru.source import AsbruSource

DATA = Path(__file__).resolve().parents[2] / "data" / "asbru"
SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "asbru"


def read(path: Path, **options):
    return AsbruSource(path, **options).read()


def write(tmp_path: Path, text: str, name: str = "asbru.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(result) -> set[str]:
    return {d.code for d in result.diagnostics}


# ---- the algorithms against the real Perl modules ---------------------------------------------------


def test_every_crypt_cbc_vector_decrypts_to_its_plaintext():
    rows = [r.split("\t") for r in (DATA / "crypt_cbc_vectors.tsv").read_text("utf-8").splitlines() if r[:1] != "#"]
    assert {r[0] for r in rows} == {"asbru-6.4", "legacy", "random"} and len(rows) == 27
    for _, plain_hex, cipher in rows:
        assert reveal(cipher) == bytes.fromhex(plain_hex).decode("utf-8")


def test_our_encryption_equals_crypt_cbc_for_the_fixed_salts():
    rows = [r.split("\t") for r in (DATA / "crypt_cbc_vectors.tsv").read_text("utf-8").splitlines() if r[:1] != "#"]
    for variant, plain_hex, cipher in rows:
        if variant != "random":
            salt = SALT_64 if variant == "asbru-6.4" else SALT_LEGACY
            assert encrypt_hex(bytes.fromhex(plain_hex).decode("utf-8"), salt) == cipher


def test_yaml_pm_output_loads_as_yaml_pm_loads_it():
    value, problems = load((DATA / "yamlpm_dump.yml").read_text("utf-8"))
    assert problems == []
    assert value == json.loads((DATA / "yamlpm_dump.json").read_text("utf-8"))
    odd = value["environments"]["b2b7a1c4-0000-4000-8000-000000000002"]["odd"]
    assert odd["s0"] == "yes" and odd["s3"] == "012" and odd["s6"] == "null" and odd["s52"] is None


def test_our_generator_writes_what_yaml_pm_writes_byte_for_byte():
    data = json.loads((DATA / "yamlpm_dump.json").read_text("utf-8"))
    envs = data["environments"]
    a, b = "b2b7a1c4-0000-4000-8000-000000000002", "b2b7a1c4-0000-4000-8000-000000000003"
    shared = Shared(envs[a]["terminal options"])
    envs[a]["terminal options"] = envs[b]["terminal options"] = shared
    envs[b]["blessed"] = Blessed(envs[b]["blessed"], "PAC::Thing")
    assert yaml_pm_dump(data) == (DATA / "yamlpm_dump.yml").read_text("utf-8")


@given(st.text(max_size=60), st.sampled_from([SALT_64, SALT_LEGACY, None]))
@settings(max_examples=150, deadline=None)
def test_any_text_round_trips_through_crypt_cbc(plain, salt):
    assert reveal(encrypt_hex(plain, salt)) == plain


def test_damaged_ciphertext_is_refused_not_garbled():
    good = encrypt_hex("secret")
    bad = good[:-2] + ("00" if good[-2:] != "00" else "11")
    with pytest.raises(NotDecryptable):
        decrypt_hex(bad)
    assert reveal("53616c7465645f5f") == "53616c7465645f5f"  # too short to be Crypt::CBC's: plain text
    assert reveal("hunter2") == "hunter2"


# ---- a whole configuration ------------------------------------------------------------------------


def full_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    f = AsbruFile()
    prod = f.group("Prod")
    web = f.group("Web", parent=prod)
    ids = {
        "web01": f.connection("web01", web, ip="10.0.0.1", user="deploy", **{"pass": "pä ss 'q' \"%\" \n"}),
        "key": f.connection(
            "keyhost",
            prod,
            ip="key.example",
            port=2222,
            **{"auth type": "publickey", "public key": "/home/u/.ssh/id_ed25519", "passphrase user": "ops"},
            passphrase="kp-😀",
        ),
        "gv": f.connection("gvhost", ip="<GV:gwhost>", user="<GV:gwuser>", **{"pass": "<GV:token>"}),
        "env": f.connection("envhost", ip="env.example", user="<ENV:USER>", **{"pass": "<CMD:pass show x>"}),
        "ask": f.connection("askhost", ip="ask.example", **{"pass": "<ASK:password>"}),
        "jump": f.connection(
            "jumped",
            ip="inner.example",
            user="u",
            **{"use proxy": 3, "jump ip": "bastion.example", "jump port": 2200, "jump user": "hop", "jump pass": "jp"},
        ),
        "global": f.connection("global-jump", ip="g.example"),
        "optjump": f.connection("optjump", ip="o.example", options=' -x -o "ProxyJump=a@j1:2201,j2" -A'),
        "rdp": f.connection("desk", method="RDP (xfreerdp)", ip="desk.example"),
        "manual": f.connection("manual", ip="m.example", **{"auth type": "manual", "user": "root"}),
        "badport": f.connection("badport", ip="b.example", port="22x"),
    }
    f.environments[ids["global"]]["use proxy"] = 0
    f.defaults.update({"proxy": "", "jump ip": "", "jump port": 22, "jump user": "", "jump pass": "", "jump key": ""})
    f.global_variable("gwhost", "gw.example")
    f.global_variable("gwuser", "gwu")
    f.global_variable("token", "gv-sécret", hidden=True)
    return write(tmp_path, f.full()), ids


def test_full_file_reads_every_field(tmp_path):
    path, ids = full_file(tmp_path)
    result = read(path)
    by = {h.name: h for h in result.hosts}
    web = by["web01"]
    assert web.key == f"asbru:{path.as_posix()}#{ids['web01']}" and web.category == ["Prod", "Web"]
    assert (web.address, web.port, web.user) == ("10.0.0.1", 22, "deploy")
    assert web.credentials.password.get_secret_value() == "pä ss 'q' \"%\" \n"
    assert ("ForwardX11", "no") in web.ssh_options
    key = by["keyhost"]
    assert (key.port, key.user, key.credentials.key_files) == (2222, "ops", ["/home/u/.ssh/id_ed25519"])
    assert key.credentials.key_passphrase.get_secret_value() == "kp-😀" and key.credentials.password is None
    gv = by["gvhost"]
    assert (gv.address, gv.user, gv.credentials.password.get_secret_value()) == ("gw.example", "gwu", "gv-sécret")
    env = by["envhost"]
    assert env.user is None and env.credentials.password is None
    assert by["askhost"].credentials.password_prompt
    jumped = by["jumped"]
    assert [(j.host, j.port, j.user) for j in jumped.jump] == [("bastion.example", 2200, "hop")]
    assert by["global-jump"].jump == []
    opt = by["optjump"]
    assert [(j.host, j.port, j.user) for j in opt.jump] == [("j1", 2201, "a"), ("j2", None, None)]
    assert ("ForwardAgent", "yes") in opt.ssh_options
    assert "desk" not in by and "badport" not in by
    assert f"asbru:{path.as_posix()}#{ids['badport']}" in result.held
    assert by["manual"].user == "root" and by["manual"].credentials.is_empty()
    assert {"not-ssh", "unresolved", "jump-password", "manual-login", "asked", "invalid-entry"} <= codes(result)
    text = "\n".join(str(d) for d in result.diagnostics)
    for secret in ("pä ss", "gv-sécret", "kp-😀", "jp", "pass show"):
        assert secret not in text


def test_global_jump_server_applies_to_connections_that_follow_the_global_setting(tmp_path):
    f = AsbruFile()
    f.defaults.update({"proxy": "Jump", "jump ip": "gw.example", "jump port": 2222, "jump user": "g", "jump key": "/k"})
    f.connection("a", ip="a.example")
    f.connection("never", ip="n.example", **{"use proxy": 2})
    result = read(write(tmp_path, f.full()))
    by = {h.name: h for h in result.hosts}
    assert [(j.host, j.port, j.user) for j in by["a"].jump] == [("gw.example", 2222, "g")]
    assert by["never"].jump == []
    assert "jump-key" in codes(result)


def test_options_and_fields_win_as_ssh_decides(tmp_path):
    f = AsbruFile()
    # -l comes after the options in Ásbrú's command, so an -l or -o User in the options wins
    f.connection("a", ip="a.example", user="field", options=" -l opt -p 99")
    f.connection("b", ip="b.example", user="field", port=0, options=' -o "Port=2022" -o "User=ou"')
    f.connection("c", ip="c.example", **{"use proxy": 3, "jump ip": "j"}, options=" -J other")
    result = read(write(tmp_path, f.full()))
    by = {h.name: h for h in result.hosts}
    assert (by["a"].user, by["a"].port) == ("opt", 22)  # -p 22 (the field) comes first
    assert (by["b"].user, by["b"].port) == ("ou", 2022)
    assert "c" not in by and len(result.held) == 1


def test_export_files_strip_the_copy_suffix_and_read_plain_or_ciphered(tmp_path):
    f = AsbruFile()
    grp = f.group("Team")
    f.connection("db", grp, ip="db.example", user="u", **{"pass": "pw1"})
    for cipher in (True, False):
        result = read(write(tmp_path, f.export([grp], cipher=cipher), "asbru_export.yml"))
        (host,) = result.hosts
        assert (host.name, host.category) == ("db", ["Team"])
        assert host.credentials.password.get_secret_value() == "pw1"
        assert "export" in codes(result)


def test_pac_manager_style_identity_option_becomes_a_key(tmp_path):
    f = AsbruFile(salt=SALT_LEGACY)
    uuid = f.connection("old", ip="o.example", user="me", options=' -X -o "IdentityFile=/home/me/.ssh/id_rsa"')
    del f.environments[uuid]["auth type"]
    (host,) = read(write(tmp_path, f.full(), "pac.yml")).hosts
    assert host.credentials.key_files == ["/home/me/.ssh/id_rsa"] and host.user is None


def test_orphans_and_loops_are_reported_and_the_walk_ends(tmp_path):
    f = AsbruFile()
    a = f.group("A")
    b = f.group("B", parent=a)
    f.environments[b]["children"][a] = 1  # a loop A -> B -> A
    f.connection("inside", b, ip="i.example")
    f.connection("orphan", None, ip="o.example")
    result = read(write(tmp_path, f.full()))
    assert [h.name for h in result.hosts] == ["inside"] and result.hosts[0].category == ["A", "B"]
    assert {"not-in-tree", "listed-twice"} <= codes(result)


def test_unresolvable_host_is_held_with_its_field(tmp_path):
    f = AsbruFile()
    uuid = f.connection("x", ip="<ENV:TARGET>")
    result = read(write(tmp_path, f.full()))
    assert not result.hosts and result.held == {f"asbru:{(tmp_path / 'asbru.yml').as_posix()}#{uuid}"}
    (d,) = [d for d in result.diagnostics if d.level == "error"]
    assert d.field == "ip" and "ENV" in d.message


def test_damaged_password_holds_the_connection(tmp_path):
    f = AsbruFile()
    uuid = f.connection("x", ip="x.example", **{"pass": "pw"})
    text = f.full()
    good = encrypt_hex("pw")
    text = text.replace(good, good[:-4] + "0000")
    result = read(write(tmp_path, text))
    assert not result.hosts and any(k.endswith(uuid) for k in result.held)


# ---- hostile input --------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=4000))
@settings(max_examples=60, deadline=None)
def test_a_truncated_file_never_crashes(tmp_path_factory, cut):
    path, _ = full_file(tmp_path_factory.mktemp("t"))
    data = path.read_bytes()[:cut]
    path.write_bytes(data)
    try:
        result = read(path)
    except InputError as exc:
        assert str(exc).startswith(path.as_posix())
        return
    for d in result.diagnostics:
        assert "\n" not in str(d)


def test_deep_nesting_and_alias_bombs_are_bounded(tmp_path):
    deep = "---\nenvironments:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(300))
    read(write(tmp_path, deep))
    bomb = "---\nenvironments:\n  a: &1\n    x: 1\n" + "".join(f"  b{i}: *1\n" for i in range(1000))
    assert read(write(tmp_path, bomb)).hosts == []


def test_not_utf8_and_not_a_mapping_are_one_line_errors(tmp_path):
    bad = tmp_path / "x.yml"
    bad.write_bytes(b"---\n\xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read(bad)
    with pytest.raises(InputError, match="not an Ásbrú"):
        read(write(tmp_path, "---\n- a\n"))


# ---- detection ------------------------------------------------------------------------------------


def test_detection_picks_asbru_and_no_other_sample_detects_as_it(tmp_path):
    path, _ = full_file(tmp_path)
    assert detect_format(path) == "asbru"
    f = AsbruFile()
    g = f.group("G")
    f.connection("c", g, ip="c.example")
    assert detect_format(write(tmp_path, f.export([g]), "export.yml")) == "asbru"
    root = Path(__file__).resolve().parents[3] / "samples"
    for sample in root.rglob("*"):
        if sample.is_file() and "asbru" not in sample.parts and sample.suffix != ".toml":
            head = sample.read_bytes()[:8192]
            assert AsbruSource.detect(sample, head) == 0, sample


def test_samples_read_with_their_documented_content():
    result = open_source(f"asbru:{SAMPLES / 'asbru.yml'}").read()
    names = {h.name for h in result.hosts}
    assert {"web01", "db01", "bastion"} <= names
    assert "not-ssh" in codes(result)
