"""SecureCRT's password schemes and the pure-Python Blowfish and bcrypt_pbkdf behind them.

The public vectors (HyperSine's, see ``helpers.securecrt.PUBLIC_VECTORS``) decrypt to their
documented plaintexts; Blowfish matches Eric Young's vectors and ``cryptography``'s Blowfish; the
pure bcrypt_pbkdf matches ``bcrypt.kdf`` wherever that accepts the input (a property test).
"""

from __future__ import annotations

import hashlib
import os
import warnings

import bcrypt
import pytest
from helpers.securecrt import PUBLIC_VECTORS, SHARED_SALT, encrypt_legacy, encrypt_v2
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources.securecrt import bcrypt_pbkdf
from migrator.sources.securecrt.blowfish import Blowfish, blowfish_cbc, pi_words
from migrator.sources.securecrt.crypto import ChecksumMismatch, CorruptValue, decrypt_legacy, decrypt_v2

PASSWORDS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def bcrypt_kdf(password: bytes, salt: bytes, length: int, rounds: int) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bcrypt.kdf(password=password, salt=salt, desired_key_bytes=length, rounds=rounds)


@pytest.mark.parametrize("value, passphrase, plain", PUBLIC_VECTORS, ids=["legacy", "legacy-2", "02", "03"])
def test_the_public_vectors_decrypt_to_their_documented_plaintext(value, passphrase, plain):
    if passphrase is None:
        assert decrypt_legacy(value) == plain
    else:
        assert decrypt_v2(value, passphrase) == plain


def test_the_03_vector_with_the_empty_passphrase_takes_the_pure_python_kdf():
    value = PUBLIC_VECTORS[3][0]
    assert bytes.fromhex(value[3:35]) == SHARED_SALT
    with pytest.raises(ValueError, match="must not be empty"):
        bcrypt.kdf(password=b"", salt=SHARED_SALT, desired_key_bytes=48, rounds=16)
    assert decrypt_v2(value, "") == "Hypersine"


def test_the_pi_table_is_blowfishs():
    words = pi_words()
    assert len(words) == 18 + 4 * 256
    assert words[:4] == (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344)
    assert words[18] == 0xD1310BA6 and words[18 + 256] == 0x4B7A70E9 and words[-1] == 0x3AC372E6


@pytest.mark.parametrize(
    "key, plain, cipher",
    [  # Eric Young's test vectors (schneier.com/code/vectors.txt)
        ("0000000000000000", "0000000000000000", "4EF997456198DD78"),
        ("FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "51866FD5B85ECB8A"),
        ("3000000000000000", "1000000000000001", "7D856F9A613063F2"),
        ("0123456789ABCDEF", "1111111111111111", "61F9C3802281B096"),
        ("FEDCBA9876543210", "0123456789ABCDEF", "0ACEAB0FC6A0A28D"),
    ],
)
def test_the_blowfish_core_matches_the_published_vectors(key, plain, cipher):
    bf = Blowfish(bytes.fromhex(key))
    assert bf.encrypt_cbc(bytes.fromhex(plain)).hex().upper() == cipher
    assert bf.decrypt_cbc(bytes.fromhex(cipher)).hex().upper() == plain


@settings(max_examples=40, deadline=None)
@given(key=st.binary(min_size=4, max_size=56), blocks=st.integers(1, 6), data=st.data())
def test_the_blowfish_core_agrees_with_cryptography(key, blocks, data):
    plain = data.draw(st.binary(min_size=8 * blocks, max_size=8 * blocks))
    ours = Blowfish(key)
    theirs = blowfish_cbc(key, plain, decrypt=False)
    assert ours.encrypt_cbc(plain) == theirs
    assert ours.decrypt_cbc(theirs) == plain


def test_without_cryptographys_blowfish_the_core_is_used(monkeypatch):
    from migrator.sources.securecrt import blowfish

    monkeypatch.setattr(blowfish, "_openssl_blowfish", lambda key: None)
    assert decrypt_legacy(PUBLIC_VECTORS[0][0]) == "DoubleLabyrinth"


@settings(max_examples=6, deadline=None)
@given(
    password=st.binary(min_size=1, max_size=80),
    salt=st.binary(min_size=1, max_size=40),
    length=st.integers(1, 72),
    rounds=st.integers(1, 2),
)
def test_the_pure_bcrypt_pbkdf_equals_bcrypt_kdf(password, salt, length, rounds):
    assert bcrypt_pbkdf.pure_bcrypt_pbkdf(password, salt, length, rounds) == bcrypt_kdf(password, salt, length, rounds)


def test_derive_uses_bcrypt_kdf_when_it_can_and_the_pure_code_only_for_the_empty_password(monkeypatch):
    calls = []
    monkeypatch.setattr(bcrypt_pbkdf, "pure_bcrypt_pbkdf", lambda *a: calls.append(a) or b"\0" * a[2])
    bcrypt_pbkdf.derive.cache_clear()
    try:
        salt = os.urandom(16)
        assert bcrypt_pbkdf.derive(b"secret", salt, 48, 16) == bcrypt_kdf(b"secret", salt, 48, 16)
        assert calls == []
        before = bcrypt_pbkdf.pure_derivations
        bcrypt_pbkdf.derive(b"", salt, 48, 16)
        bcrypt_pbkdf.derive(b"", salt, 48, 16)  # cached per (passphrase, salt)
        assert calls == [(b"", salt, 48, 16)] and bcrypt_pbkdf.pure_derivations == before + 1
    finally:
        bcrypt_pbkdf.derive.cache_clear()


@pytest.mark.parametrize("bad", [dict(rounds=0), dict(length=0), dict(length=1025), dict(salt=b"")])
def test_the_pure_kdf_refuses_what_bcrypt_pbkdf_refuses(bad):
    args = {"password": b"", "salt": b"s", "length": 32, "rounds": 1} | bad
    with pytest.raises(ValueError):
        bcrypt_pbkdf.pure_bcrypt_pbkdf(args["password"], args["salt"], args["length"], args["rounds"])


@settings(max_examples=60, deadline=None)
@given(password=PASSWORDS, prefix=st.sampled_from(["02", "03"]), passphrase=st.sampled_from(["pass", "pässwörd 1"]))
def test_v2_values_round_trip_byte_exact(password, prefix, passphrase):
    value = encrypt_v2(password, passphrase, prefix, salt=SHARED_SALT)
    assert decrypt_v2(value, passphrase) == password
    with pytest.raises(ChecksumMismatch):
        decrypt_v2(value, passphrase + "x")


@settings(max_examples=60, deadline=None)
@given(password=PASSWORDS.filter(lambda p: "\0" not in p), upper=st.booleans())
def test_legacy_values_round_trip(password, upper):
    assert decrypt_legacy(encrypt_legacy(password, upper)) == password


def test_an_empty_passphrase_02_value_uses_sha256_of_nothing():
    value = encrypt_v2("x", "", "02")
    assert decrypt_v2(value, "") == "x"
    assert hashlib.sha256(b"").hexdigest().startswith("e3b0c442")


@pytest.mark.parametrize(
    "value, error",
    [
        ("02:zz", CorruptValue),
        ("02:0011", CorruptValue),  # not a whole AES block
        ("03:" + "00" * 16, CorruptValue),  # salt only
        ("04:" + "00" * 32, CorruptValue),  # unknown version
        ("nohex", CorruptValue),
        ("02:" + "00" * 64, ChecksumMismatch),  # decrypts to garbage
        ("02:" + "ab" * 40_000, CorruptValue),  # far larger than a password
    ],
)
def test_malformed_v2_values_are_told_apart_from_checksum_failures(value, error):
    with pytest.raises(error):
        decrypt_v2(value, "pass")


@settings(max_examples=80, deadline=None)
@given(data=st.text(alphabet="0123456789abcdefu", max_size=120))
def test_arbitrary_legacy_text_is_a_value_or_a_corrupt_value(data):
    try:
        decrypt_legacy(data)
    except CorruptValue as exc:
        assert len(data) < 12 or data not in str(exc)  # the value is never echoed
