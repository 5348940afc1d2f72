"""Royal TS secret encryption: the public vectors, round trips through the generator, every edge."""

from __future__ import annotations

import base64
import os

import pytest
from helpers import royalts as gen
from hypothesis import given
from hypothesis import strategies as st

from migrator.sources.royalts import crypto


def test_the_public_vectors_decrypt_to_their_documented_plaintext():
    assert crypto.decrypt(gen.VECTOR_NO_PASSWORD, "") == gen.VECTOR_PLAINTEXT
    assert crypto.decrypt(gen.VECTOR_ROYAL_PASS, gen.VECTOR_PASSWORD) == gen.VECTOR_PLAINTEXT


def test_a_wrong_password_shows_in_the_header():
    with pytest.raises(crypto.WrongPassword):
        crypto.decrypt(gen.VECTOR_ROYAL_PASS, "")
    with pytest.raises(crypto.WrongPassword):
        crypto.decrypt(gen.VECTOR_NO_PASSWORD, "royal_pass")
    with pytest.raises(crypto.WrongPassword):
        crypto.decrypt(gen.VECTOR_ROYAL_PASS, "Royal_pass")


@pytest.mark.parametrize("length", [*range(0, 101), 127, 128, 129, 0xFFFF, 0x10000, 0x10001, 0x10010, 0x20000 + 3])
def test_round_trip_of_every_length_around_the_block_and_unit_sizes(length):
    plain = bytes((i * 7 + 1) % 94 + 33 for i in range(length)).decode("ascii")
    assert crypto.decrypt(gen.encrypt(plain, "pw"), "pw") == plain


@pytest.mark.parametrize("length", [16, 17, 31, 33, 47, 100, 0x10000 + 16, 0x10000 + 17])
def test_ciphertext_stealing_variant_decrypts_too(length):
    plain = "s" * length
    assert crypto.decrypt(gen.encrypt(plain, stealing=True), "") == plain


@pytest.mark.parametrize("length", [1, 15, 0x10000 + 5])
def test_a_final_unit_under_16_bytes_without_padding_is_damaged_not_a_crash(length):
    salt = os.urandom(48)
    key = gen._key("", salt)
    header = gen._xts(key, gen.HEADER_TWEAK, b"XTS1" + length.to_bytes(8, "little") + (0x10000).to_bytes(4, "little"))
    with pytest.raises(crypto.DamagedValue):  # XTS cannot hold a unit under 16 bytes: no writer makes one
        crypto.decrypt(_b64(salt + header + os.urandom(length)), "")


@pytest.mark.parametrize("unit", [16, 32, 4096])
def test_other_data_unit_sizes_are_honoured(unit):
    plain = "unit-" * 300
    assert crypto.decrypt(gen.encrypt(plain, "x", unit=unit), "x") == plain


@given(st.text(max_size=200), st.text(max_size=40))
def test_any_text_and_document_password_round_trip(plain, password):
    assert crypto.decrypt(gen.encrypt(plain, password), password) == plain


def test_unicode_quotes_percent_spaces_and_newlines_arrive_byte_exact():
    for plain in ["päss wörd ✓", ' "quoted" ', "100%", "line1\nline2\r\n", "\t", "ж" * 40, "🔑"]:
        assert crypto.decrypt(gen.encrypt(plain, "døc"), "døc") == plain


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64 at all!",
        _b64(b"x" * 10),
        _b64(os.urandom(63)),
        gen.encrypt("abc")[:-8],  # cut short
    ],
)
def test_damaged_values_are_named_damaged(value):
    with pytest.raises((crypto.DamagedValue, crypto.WrongPassword)) as err:
        crypto.decrypt(value, "")
    if value[:8] != gen.encrypt("abc")[:8]:
        assert err.type is crypto.DamagedValue


def test_a_body_longer_or_shorter_than_the_header_says_is_damaged():
    with pytest.raises(crypto.DamagedValue):
        crypto.decrypt(gen.encrypt("a" * 40, length=10), "")
    with pytest.raises(crypto.DamagedValue):
        crypto.decrypt(gen.encrypt("a" * 10, length=40), "")


@pytest.mark.parametrize("unit", [0, 8, 17, crypto.MAX_UNIT + 16])
def test_impossible_unit_sizes_are_damaged(unit):
    with pytest.raises(crypto.DamagedValue):
        crypto.decrypt(_forged(unit), "")


def _forged(unit: int) -> str:
    salt = os.urandom(48)
    key = gen._key("", salt)
    header = gen._xts(key, gen.HEADER_TWEAK, b"XTS1" + (6).to_bytes(8, "little") + unit.to_bytes(4, "little"))
    return _b64(salt + header + gen._xts(key, b"\0" * 16, b"abcdef" + b"\0" * 10))


def test_a_huge_claimed_length_is_damaged_without_allocating_it():
    with pytest.raises(crypto.DamagedValue):
        crypto.decrypt(gen.encrypt("abc", length=1 << 62), "")


def test_plaintext_that_is_not_utf8_is_damaged():
    with pytest.raises(crypto.DamagedValue):
        crypto.decrypt(gen.encrypt(b"\xff\xfe\xfd"), "")


def test_equal_key_halves_are_damaged_or_decrypted_never_a_crash():
    try:  # cryptography refuses equal halves when encrypting; whatever it does decrypting is handled
        assert len(crypto._xts(b"k" * 32, b"\0" * 16, b"x" * 16)) == 16
    except crypto.DamagedValue:
        pass


def test_whitespace_inside_the_base64_is_ignored():
    value = gen.encrypt("wrapped")
    assert crypto.decrypt(value[:20] + "\r\n  " + value[20:], "") == "wrapped"
