"""Hostile and careless input against the native-format readers, as classes over every format.

Each test takes one class of bad value (a number of thousands of digits, an XML declaration naming
an encoding that cannot be used, a value the YAML reader refuses, a host name of megabytes) and puts
it into every field of the bundled samples, or of every format that has the surface. The promise
is the same everywhere: diagnostics or one ``InputError`` line, never another exception, never the
bad value echoed in full. ``test_native_attack_cli.py`` drives the same classes through the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.native_attack import (
    HUGE,
    NATIVE_SAMPLES,
    XML_FORMATS,
    copy_sample,
    data_files,
    read_or_one_line,
    use_secret,
)
from hypothesis import given
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.model import validate_address
from migrator.sources import source_class
from migrator.sources.numbers import SATURATED, whole_number
from migrator.sources.secrets import PASSWORD_ENV


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


# ---- numbers of any length ----------------------------------------------------------------------


@given(st.sampled_from(["", "+", "-"]), st.integers(0, 30), st.text("0123456789", min_size=1, max_size=120))
def test_whole_number_is_exact_to_128_bits_and_saturates_beyond(sign, zeros, digits):
    text = sign + "0" * zeros + digits
    significant = digits.lstrip("0") or "0"
    value = whole_number(text)
    if len(significant) <= 39:
        assert value == int(text)
    else:
        assert value == (-SATURATED if sign == "-" else SATURATED) and abs(int(text)) < SATURATED * 10**90


@pytest.mark.parametrize("text", ["", "+", "- 1", "1_000", "٢٢", "２２", "12a", "0x10", "1.5", "\u00b2"])
def test_whole_number_takes_only_ascii_digits(text):
    """``int()`` takes underscores and any Unicode digit; no connection manager does."""
    with pytest.raises(ValueError):
        whole_number(text)


def test_whole_number_other_bases():
    assert whole_number("ff", 16) == 255 and whole_number("-0777", 8) == -511
    assert whole_number("1" * 132, 2) == 2**132 - 1
    assert whole_number("f" * 34, 16) == SATURATED and whole_number("1" * 5000, 2) == SATURATED


def _digit_runs(data: bytes, limit: int) -> list[tuple[int, int]]:
    runs = [m.span() for m in re.finditer(rb"[0-9]+", data)]
    step = max(1, len(runs) // limit)
    return runs[::step][:limit]


@pytest.mark.parametrize(("fmt", "rel", "secret"), NATIVE_SAMPLES, ids=[rel for _, rel, _ in NATIVE_SAMPLES])
def test_a_number_of_thousands_of_digits_in_any_field_is_a_diagnostic(fmt, rel, secret, tmp_path, monkeypatch):
    """Ports, dwords, versions, iteration counts, ids, addresses: every run of digits of every sample
    file in turn becomes 5,000 nines (``int()`` refuses 4,300+ digits with a ValueError)."""
    use_secret(monkeypatch, secret)
    location = copy_sample(tmp_path, rel)
    for target in data_files(location):
        original = target.read_bytes()
        for start, end in _digit_runs(original, 24):
            target.write_bytes(original[:start] + HUGE.encode() + original[end:])
            read_or_one_line(fmt, location, forbidden=(HUGE[:250],))
        target.write_bytes(original)


# ---- the XML declaration's encoding -------------------------------------------------------------

#: unknown, not a text codec, multi-byte (expat takes only single-byte codecs), a codec that fails.
BAD_ENCODINGS = ["utf-999", "rot13", "base64", "hex", "utf-7", "utf-32", "idna", "undefined", "x" * 300]


@pytest.mark.parametrize("encoding", BAD_ENCODINGS)
@pytest.mark.parametrize(("fmt", "rel"), XML_FORMATS)
def test_an_xml_declaration_naming_an_unusable_encoding_is_one_line(fmt, rel, encoding, tmp_path, monkeypatch):
    """expat asks Python's codecs for an encoding it does not know: LookupError, ValueError or
    UnicodeError came through as an internal error. Now one line, and the name is not echoed."""
    use_secret(monkeypatch, "securecrt/config-passphrase.txt" if fmt == "securecrt" else None)
    location = copy_sample(tmp_path, rel)
    text = location.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    location.write_text(f'<?xml version="1.0" encoding="{encoding}"?>' + body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        source_class(fmt)(location).read()
    message = str(caught.value)
    assert "\n" not in message and "encoding that cannot be read" in message
    assert encoding not in message.removeprefix(location.as_posix())


# ---- a rejected address is never echoed at length ------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["a" * 100_000, "bad host " * 10_000, "u:secret@" + "h" * 10_000, "1.2.3." + "4" * 9000, "x\x1b[2J" * 1000],
)
def test_a_rejected_address_is_cut_in_its_message(address):
    with pytest.raises(ValueError) as caught:
        validate_address(address)
    message = str(caught.value)
    assert len(message) < 200 and "secret" not in message
    if len(address) > 60:
        assert f"({len(address.strip()):,} characters)" in message or "characters)" in message


@pytest.mark.parametrize(("fmt", "rel", "secret"), NATIVE_SAMPLES, ids=[rel for _, rel, _ in NATIVE_SAMPLES])
def test_a_host_name_of_a_megabyte_is_reported_briefly(fmt, rel, secret, tmp_path, monkeypatch):
    """Every sample's first host name becomes a megabyte of letters and dots: reported, not echoed."""
    use_secret(monkeypatch, secret)
    location = copy_sample(tmp_path, rel)
    names = (b"example.net", b"example.com", b"10.20.0.11", b"example.org")
    for target in data_files(location):
        data = target.read_bytes()
        hit = next((n for n in names if n in data), None)
        if hit is None:
            continue
        target.write_bytes(data.replace(hit, b"a." * 500_000 + hit, 1))
        read_or_one_line(fmt, location, forbidden=("a." * 100,))
        target.write_bytes(data)


# ---- entities, document types and depth in every XML format --------------------------------------


def _doctypes(canary: Path) -> list[str]:
    lol = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    return [
        f"<!DOCTYPE x [{lol}]>",  # billion laughs
        f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{canary.as_posix()}">]>',  # an external entity
        f'<!DOCTYPE x [<!ENTITY % p SYSTEM "file://{canary.as_posix()}"> %p;]>',  # a parameter entity
        f'<!DOCTYPE x SYSTEM "file://{canary.as_posix()}">',  # an external DTD
        "<!DOCTYPE x>",
    ]


@pytest.mark.parametrize("variant", range(5))
@pytest.mark.parametrize(("fmt", "rel"), XML_FORMATS)
def test_every_xml_format_refuses_a_document_type_in_one_line(fmt, rel, variant, tmp_path, monkeypatch):
    use_secret(monkeypatch, "securecrt/config-passphrase.txt" if fmt == "securecrt" else None)
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-CONTENT-0451", encoding="utf-8")
    location = copy_sample(tmp_path, rel)
    text = location.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    declaration = re.match(r"\s*<\?xml[^>]*\?>", text)
    head = declaration.group(0) if declaration else ""
    body = text[len(head) :]
    body = body.replace(">", ">&i;", 1)  # an entity used in the root, as an attack would
    location.write_text(head + _doctypes(canary)[variant] + body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        source_class(fmt)(location).read()
    message = str(caught.value)
    assert "\n" not in message and "DOCTYPE" in message and "CANARY" not in message


def test_safexml_skips_elements_past_its_depth_and_keeps_only_the_attributes_asked_for():
    from migrator.sources import safexml

    depth = 100_000
    data = ('<r a="1" b="2">' + '<n k="v">' * depth + "</n>" * depth + "<tail/></r>").encode()
    doc = safexml.parse(data, "x.xml", attributes=lambda name: name == "a")
    assert doc.error is None and doc.too_deep == 1
    assert dict(doc.root.attrs) == {"a": "1"} and doc.root.children[-1].tag == "tail"
    node, levels = doc.root, 1
    while node.children and node.children[0].tag == "n":
        node, levels = node.children[0], levels + 1
        assert not node.attrs
    assert levels == safexml.MAX_DEPTH


def test_a_source_path_with_a_nul_is_one_input_error():
    from migrator.sources.limits import read_source_bytes

    with pytest.raises(InputError, match="contains a NUL character"):
        read_source_bytes("conf\x00Cons.xml")


@pytest.mark.parametrize("value", ["~no-such-user-0451/x", "~/x", "x/~y", "~"])
def test_home_folders_expand_as_a_shell_does(value):
    import os

    from migrator.userpath import expand_home

    assert str(expand_home(value)) == os.path.expanduser(value)


# ---- any bytes, anywhere -------------------------------------------------------------------------

HOSTILE_TOKENS = [b"\x00", b"\x1b[2J", b"\r\n", "\u202e".encode(), b"\xef\xbb\xbf", b"\xff\xfe", b"&", b"<", b"]]>"]
HOSTILE_TOKENS += [b'"', b"'", b"%", b"${x}", b"<V:0>", b"*a", b"!!x", b"9" * 50, b"-", b"\\"]


@st.composite
def _edits(draw):
    """A few overwrites, insertions of hostile tokens and deletions, at positions as fractions of the file."""
    kind = st.sampled_from(["set", "insert", "delete"])
    return draw(
        st.lists(
            st.tuples(kind, st.floats(0, 1), st.integers(0, 255), st.sampled_from(HOSTILE_TOKENS), st.integers(1, 64)),
            min_size=1,
            max_size=4,
        )
    )


def _apply(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, where, byte, token, length in edits:
        at = min(int(where * len(out)), max(len(out) - 1, 0))
        if kind == "set" and out:
            out[at] = byte
        elif kind == "insert":
            out[at:at] = token
        else:
            del out[at : at + length]
    return bytes(out)


@pytest.mark.parametrize(("fmt", "rel", "secret"), NATIVE_SAMPLES, ids=[rel for _, rel, _ in NATIVE_SAMPLES])
def test_bytes_changed_anywhere_end_in_diagnostics_or_one_line(fmt, rel, secret, tmp_path, monkeypatch):
    from helpers.fuzz import FUZZ
    from hypothesis import settings

    use_secret(monkeypatch, secret)
    location = copy_sample(tmp_path, rel)
    targets = data_files(location)
    originals = {t: t.read_bytes() for t in targets}

    @settings(FUZZ, max_examples=50)
    @given(st.sampled_from(targets), _edits())
    def run(target, edits):
        target.write_bytes(_apply(originals[target], edits))
        try:
            read_or_one_line(fmt, location)
        finally:
            target.write_bytes(originals[target])

    run()
