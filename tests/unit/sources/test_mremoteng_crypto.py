"""mRemoteNG crypto and hostile input: public test vectors, every scheme and iteration count, the master
password (default, custom, wrong, missing), and truncated, huge, mistyped and malicious files."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from helpers.mremoteng import Node, Style, aead_encrypt, cbc_encrypt, folder, render, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import ConfigError, InputError
from migrator.sources.mremoteng import crypto
from migrator.sources.mremoteng.crypto import GCM, LEGACY, DecryptError, Scheme, ValueCipher
from migrator.sources.mremoteng.source import MremotengSource
from migrator.sources.secrets import PASSWORD_ENV, WrongSourceSecret

# Public test vectors. Origin: mRemoteNG/mRemoteNG ``mRemoteNGTests/Resources/confCons_v2_6.xml``,
# ``confCons_v2_6_passwordis_Password.xml``, ``confCons_v2_6_5k-iterations.xml`` and ``confCons_v2_5.xml``
# at commit 2e7579ca (GPL-2.0; attribute values copied, documented in native-formats-windows.md section 1.5),
# and the Protected value of a third-party mRemoteNG 1.77 template (KdfIterations 10000) quoted there.
V26_PROTECTED = "8LmIO3+MWBY0zTmfjfOEdCGxhTAwnlohb1veTGNZFt6lAYvY2UOzWyjVzkx6V93smpbP0ZOuexN15u7rvwJEjawC"
V26_CONNECTION_1_1_PASSWORD = "fdZPNiJlK9u/uRr22ViSGc8w69qHSDjWw4oeqJWCqFS+kT03rMOOdCczpCtvs6sX59iIcxetSA=="
V26_CUSTOM_PROTECTED = "e/T6ajrPtNNlHreSeD4QBqToTuiqtNACKiPJv7vU+l6TWCu9JNsmL+Y8lJ4aTl5YVcstXpQjxsZ9i8+YV4Gs"
V26_5K_PROTECTED = "Z1IOT8h7neJ5V7es5Iv63A2WsDG6QWl10F/Rb9ljKxvCseEITty1BfMNgiaVPfm7w61uabQKqu2waDCXUpLo1OZW"
V25_PROTECTED = "95syzRuZ4mRxpNkZQzoyX8SDpQXLyMq3GncO8o4SyTBoYvn3TAWgn05ZEU2DrjkM"
V25_CONNECTION_1_1_PASSWORD = "u1cFYiN+39rnIjT9JOVgqzF0LwDD08ON/32tXV6aMw8="
V177_PROTECTED = "+rESUBQUT6aqqB0Im/8gxpL5gK7uG4bneapzDC+v3t/i0TWEqVBgVdVV1U3CoBd8B7ulXKr2J6hsNnqV694CH6PM"


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def read(path: Path, master: str | None = None):
    options = {}
    if master is not None:
        secret = path.parent / "master.txt"
        secret.write_bytes(master.encode("utf-8") + b"\n")
        options["password_file"] = str(secret)
    return MremotengSource(path, **options).read()


SSH = [folder("F", Node("web", id="w", hostname="web.example.net", username="u", password="pw-1"))]


# ---- public vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "master", "value", "plain"),
    [
        (Scheme(GCM, 1000), "mR3m", V26_PROTECTED, "ThisIsNotProtected"),
        (Scheme(GCM, 1000), "mR3m", V26_CONNECTION_1_1_PASSWORD, "folder1"),
        (Scheme(GCM, 1000), "Password", V26_CUSTOM_PROTECTED, "ThisIsProtected"),
        (Scheme(GCM, 5000), "mR3m", V26_5K_PROTECTED, "ThisIsNotProtected"),
        (Scheme(GCM, 10000), "mR3m", V177_PROTECTED, "ThisIsNotProtected"),
        (Scheme(LEGACY), "mR3m", V25_PROTECTED, "ThisIsNotProtected"),
        (Scheme(LEGACY), "mR3m", V25_CONNECTION_1_1_PASSWORD, "folder1"),
    ],
)
def test_public_vectors_decrypt_to_their_documented_values(scheme, master, value, plain):
    assert ValueCipher(scheme, master).decrypt(value) == plain


def test_public_vectors_fail_with_the_wrong_password_or_iterations():
    with pytest.raises(DecryptError):
        ValueCipher(Scheme(GCM, 1000), "mR3m").decrypt(V26_CUSTOM_PROTECTED)
    with pytest.raises(DecryptError):
        ValueCipher(Scheme(GCM, 1000), "mR3m").decrypt(V26_5K_PROTECTED)
    assert crypto.unlock([Scheme(GCM, 1000)], V26_CUSTOM_PROTECTED, ["wrong", "mR3m"]) is None
    opened = crypto.unlock([Scheme(GCM, 1000)], V26_CUSTOM_PROTECTED, ["mR3m", "Password"])
    assert opened.master_index == 1 and opened.check == "ThisIsProtected"


@pytest.mark.parametrize("version", ["2.6", "2.5"])
def test_a_file_built_around_the_public_vectors_reads_the_documented_password(tmp_path, version):
    protected, password = (
        (V26_PROTECTED, V26_CONNECTION_1_1_PASSWORD)
        if version == "2.6"
        else (V25_PROTECTED, V25_CONNECTION_1_1_PASSWORD)
    )
    crypto_attrs = (
        'EncryptionEngine="AES" BlockCipherMode="GCM" KdfIterations="1000" FullFileEncryption="False" '
        if version == "2.6"
        else ""
    )
    path = tmp_path / "confCons.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        f'<Connections Name="Connections" Export="False" {crypto_attrs}Protected="{protected}" '
        f'ConfVersion="{version}">\r\n'
        f'    <Node Name="Connection1.1" Type="Connection" Username="u" Password="{password}" Hostname="h.example.net"'
        ' Protocol="SSH2" Port="22" />\r\n'
        "</Connections>",
        encoding="utf-8",
    )
    (host,) = read(path).hosts
    assert host.credentials.password.get_secret_value() == "folder1"


# ---- schemes and iteration counts -----------------------------------------------------------------


@pytest.mark.parametrize("iterations", [1000, 5000, 10000, 20000])
@pytest.mark.parametrize("mode", ["GCM", "CCM"])
def test_every_iteration_count_and_aead_mode(tmp_path, iterations, mode):
    result = read(write(tmp_path / "c.xml", SSH, Style(version="2.8", kdf=iterations, mode=mode)))
    assert result.hosts[0].credentials.password.get_secret_value() == "pw-1"
    assert f"{iterations:,} PBKDF2 iterations" in next(d.message for d in result.diagnostics if d.code == "encryption")


@pytest.mark.parametrize("iterations", ["999", "0", "-5", "1000001"])
def test_iteration_counts_out_of_range_are_refused_in_one_line(tmp_path, iterations):
    path = write(tmp_path / "c.xml", SSH, Style(version="2.8", root_extra={"KdfIterations": iterations}))
    with pytest.raises(InputError, match=r"KdfIterations .* is outside 1,000-1,000,000") as err:
        read(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["", "many", "10 000"])
def test_missing_or_unreadable_iterations_fall_back_to_legacy_cbc(tmp_path, value):
    style = Style(version="2.6", root_extra={"KdfIterations": value})
    text = render([Node("x", hostname="x.example.net", raw_password=cbc_encrypt("cbc-pw", "mR3m"))], style)
    text = text.replace(text.split('Protected="')[1].split('"')[0], cbc_encrypt("ThisIsNotProtected", "mR3m"))
    path = tmp_path / "c.xml"
    path.write_text(text, encoding="utf-8")
    result = read(path)
    assert result.hosts[0].credentials.password.get_secret_value() == "cbc-pw"
    assert any(d.code == "legacy-crypto" for d in result.diagnostics)


@pytest.mark.parametrize(("engine", "mode"), [("Twofish", "GCM"), ("Serpent", "CCM"), ("AES", "EAX"), ("7", "GCM")])
def test_engines_and_modes_cryptography_lacks_are_one_clear_line(tmp_path, engine, mode):
    path = write(
        tmp_path / "c.xml", SSH, Style(version="2.8", root_extra={"EncryptionEngine": engine, "BlockCipherMode": mode})
    )
    with pytest.raises(InputError, match="is not supported .*AES / GCM") as err:
        read(path)
    assert "\n" not in str(err.value)


def test_pbkdf2_keys_are_cached_per_salt_and_prefetched():
    cipher = ValueCipher(Scheme(GCM, 10000), "mR3m")
    values = [aead_encrypt(f"pw-{i}", "mR3m", 10000) for i in range(12)]
    cipher.prefetch(values)
    assert len(cipher._keys) == 12
    assert [cipher.decrypt(v) for v in values] == [f"pw-{i}" for i in range(12)]
    assert len(cipher._keys) == 12


# ---- the master password --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "style",
    [
        Style(version="2.8", master="custom-1"),
        Style(version="2.5", master="custom-1"),
        Style(version="2.8", master="custom-1", full_file=True),
        Style(version="2.5", master="custom-1", legacy_full_file=True),
    ],
)
def test_a_custom_master_password_is_needed_and_wrong_ones_stop_with_one_line(tmp_path, style, monkeypatch):
    path = write(tmp_path / "c.xml", SSH, style)
    with pytest.raises(WrongSourceSecret) as missing:
        read(path)
    assert "protected by a master password" in str(missing.value) and PASSWORD_ENV in str(missing.value)
    with pytest.raises(WrongSourceSecret) as wrong:
        read(path, "custom-2")
    assert "does not unlock" in str(wrong.value) and "custom-2" not in str(wrong.value)
    assert isinstance(wrong.value, ConfigError) and "\n" not in str(wrong.value)
    assert read(path, "custom-1").hosts[0].credentials.password.get_secret_value() == "pw-1"
    monkeypatch.setenv(PASSWORD_ENV, "custom-1")
    assert read(path).hosts[0].credentials.password.get_secret_value() == "pw-1"


def test_a_secret_for_an_unprotected_file_is_not_needed(tmp_path):
    result = read(write(tmp_path / "c.xml", SSH, Style(version="2.8")), "not-needed")
    assert result.hosts and any(
        d.code == "secret-not-needed" and "not-needed" not in d.message for d in result.diagnostics
    )


def test_master_passwords_are_latin1_for_aead_and_utf8_for_legacy(tmp_path):
    assert read(write(tmp_path / "a.xml", SSH, Style(version="2.8", master="Straße Ü")), "Straße Ü").hosts
    assert read(write(tmp_path / "b.xml", SSH, Style(version="2.5", master="Пароль")), "Пароль").hosts
    with pytest.raises(WrongSourceSecret):  # above U+00FF: mRemoteNG could never have used it for AEAD
        read(write(tmp_path / "c.xml", SSH, Style(version="2.8", master="Straße")), "Пароль")


def test_protected_missing_or_damaged_is_refused_not_a_wrong_password(tmp_path):
    for value, message in [("", "no Protected value"), ("%%%", "not base64"), ("AAAA", "too short")]:
        path = write(tmp_path / "c.xml", SSH, Style(version="2.8", root_extra={"Protected": value}))
        with pytest.raises(InputError, match=message):
            read(path)


def test_an_undecryptable_password_holds_only_that_entry(tmp_path):
    nodes = [
        Node("bad", id="b", hostname="b.example.net", raw_password=base64.b64encode(os.urandom(60)).decode()),
        Node("plain", id="p", hostname="p.example.net", raw_password="not*base64"),
        Node("good", id="g", hostname="g.example.net", password="ok"),
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert [h.name for h in result.hosts] == ["good"] and {k.split("#", 1)[1] for k in result.held} == {"b", "p"}
    assert {d.code for d in result.errors} == {"undecryptable"} and all(d.field == "Password" for d in result.errors)


def test_an_inherited_undecryptable_password_names_the_folder(tmp_path):
    nodes = [
        folder("F", folder("G", Node("x", id="x", hostname="x.example.net", inherit={"Password"}), raw_password="AAAA"))
    ]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8")))
    assert "inherited from folder 'F/G'" in result.errors[0].message


def test_full_file_content_damaged_or_mixed_is_refused(tmp_path):
    path = write(tmp_path / "c.xml", SSH, Style(version="2.8", full_file=True))
    text = path.read_text(encoding="utf-8")
    blob = text.split(">", 2)[2].split("</")[0]
    damaged = blob[:40] + ("A" if blob[40] != "A" else "B") + blob[41:]
    path.write_text(text.replace(blob, damaged), encoding="utf-8")
    with pytest.raises(InputError, match="encrypted content does not decrypt"):
        read(path)
    path.write_text(text.replace("</mrng:Connections>", '<Node Name="n"/></mrng:Connections>'), encoding="utf-8")
    with pytest.raises(InputError, match="Node elements besides"):
        read(path)


# ---- versions and the root ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "message"), [("2.9", "newer than 2.8"), ("3,0", "newer than 2.8"), ("x", "not a version number")]
)
def test_versions_mremoteng_cannot_read_are_refused_in_one_line(tmp_path, version, message):
    with pytest.raises(InputError, match=message) as err:
        read(write(tmp_path / "c.xml", SSH, Style(version="2.8", root_extra={"ConfVersion": version})))
    assert "\n" not in str(err.value)


def test_root_without_confversion_or_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text('<Connections Name="x"><Node Name="a"/></Connections>', encoding="utf-8")
    with pytest.raises(InputError, match="no ConfVersion"):
        read(path)
    path.write_text('<RDMExport ConfVersion="2.8"/>', encoding="utf-8")
    with pytest.raises(InputError, match="not <Connections>"):
        read(path)


# ---- hostile and damaged files --------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>\n'
    '<Connections ConfVersion="2.8" Protected="x"><Node Name="&lol2;"/></Connections>'
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<Connections ConfVersion="2.8"><Node Name="&xxe;"/></Connections>'
)


@pytest.mark.parametrize("text", [LAUGHS, EXTERNAL])
def test_doctype_and_entities_are_refused(tmp_path, text):
    path = tmp_path / "c.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="DOCTYPE") as err:
        read(path)
    assert "root:" not in str(err.value) and "lol" not in str(err.value)


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01\x02garbage", "é".encode("latin-1") * 10, b"<<<>>>", b"QUJD"])
def test_not_a_connection_file_is_one_input_error(tmp_path, data):
    path = tmp_path / "confCons.xml"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read(path)
    assert "\n" not in str(err.value) and not isinstance(err.value, WrongSourceSecret)


def test_every_truncation_is_partial_or_refused_never_a_crash(tmp_path):
    nodes = [
        folder("F", *[Node(f"h{i}", id=f"id-{i}", hostname=f"h{i}.example.net", password=f"p{i}") for i in range(6)])
    ]
    data = write(tmp_path / "full.xml", nodes, Style(version="2.8", kdf=1000)).read_bytes()
    complete = {h.key.split("#", 1)[1] for h in read(tmp_path / "full.xml").hosts}
    cut = tmp_path / "cut.xml"
    for end in range(0, len(data) - 1, 37):
        cut.write_bytes(data[:end])
        try:
            result = read(cut)
        except InputError as exc:
            assert "\n" not in str(exc)
            continue
        keys = {h.key.split("#", 1)[1] for h in result.hosts}
        assert keys <= complete
        assert result.partial, end
        assert any(d.code == "truncated" for d in result.errors)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    port=st.text(max_size=8),
    protocol=st.text(max_size=8),
    flag=st.text(max_size=6),
    options=st.text(max_size=40),
    name=st.text(max_size=10),
)
def test_arbitrary_attribute_values_never_crash(tmp_path, port, protocol, flag, options, name):
    clean = {
        k: "".join(c for c in v if c >= " " or c in "\t\n")
        for k, v in {"p": port, "r": protocol, "f": flag, "o": options, "n": name}.items()
    }
    nodes = [
        folder(
            "F",
            Node(
                clean["n"],
                hostname="h.example.net",
                port=clean["p"],
                protocol=clean["r"],
                ssh_options=clean["o"],
                extra={"InheritUsername": clean["f"]},
            ),
        )
    ]
    path = write(tmp_path / "c.xml", nodes, Style(version="2.8", kdf=1000))
    result = read(path)
    assert len(result.hosts) + len(result.held) <= 1
    for d in result.diagnostics:
        assert "\n" not in str(d)


def test_a_large_value_and_many_nodes_read_linearly(tmp_path):
    nodes = [Node(f"n{i}", hostname=f"n{i}.example.net", descr="d" * 2000, password="") for i in range(2000)]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8", kdf=1000)))
    assert len(result.hosts) == 2000
