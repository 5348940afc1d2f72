"""Hostile and careless input against the native-format readers, as classes over every format.

Each test takes one class of bad value (a number of thousands of digits, an XML declaration naming
an encoding that cannot be used, a value the YAML reader refuses, a host name of megabytes) and puts
it into every field of the bundled samples, or of every format that has the surface. The promise
is the same everywhere: diagnostics or one ``InputError`` line, never another exception, never the
bad value echoed in full. ``test_native_attack_cli.py`` drives the same classes through the CLI.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from hypothesis import given
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.model import validate_address
from migrator.sources import source_class
from migrator.sources.numbers import SATURATED, whole_number
from migrator.sources.secrets import PASSWORD_ENV

SAMPLES = REPO_ROOT / "samples"
HUGE = "9" * 5000

#: (format, sample path under samples/, the secret that opens it or None).
NATIVE_SAMPLES = [
    ("mremoteng", "mremoteng/confCons.xml", None),
    ("mremoteng", "mremoteng/confCons-v2.5.xml", None),
    ("securecrt", "securecrt/vandyke-config", "securecrt/config-passphrase.txt"),
    ("securecrt", "securecrt/export.xml", "securecrt/config-passphrase.txt"),
    ("winscp", "winscp/WinSCP.ini", None),
    ("royalts", "royalts/lab.rtsz", None),
    ("royalts", "royalts/dynamic.rjson", None),
    ("rdm", "rdm/export.rdm", None),
    ("asbru", "asbru/asbru.yml", None),
    ("remmina", "remmina", None),
    ("tabby", "tabby/config.yaml", None),
    ("windows_terminal", "windows_terminal/settings.json", None),
]


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def _copy(tmp_path: Path, rel: str) -> Path:
    source = SAMPLES / rel
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    return target


def _secret(monkeypatch, secret_file: str | None) -> None:
    if secret_file is not None:
        text = (SAMPLES / secret_file).read_text(encoding="utf-8").rstrip("\r\n")
        monkeypatch.setenv(PASSWORD_ENV, text)


def _data_files(location: Path) -> list[Path]:
    files = sorted(p for p in location.rglob("*") if p.is_file()) if location.is_dir() else [location]
    return [f for f in files if f.suffix not in (".md", ".txt")]


def read_or_one_line(fmt: str, location: Path, *, forbidden: tuple[str, ...] = ()):
    """The result, or None after an ``InputError`` of one line; anything else fails the test."""
    try:
        result = source_class(fmt)(location).read()
    except InputError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, message
        assert len(message) < 1000, message[:200]
        assert not any(f in message for f in forbidden), message[:200]
        return None
    for d in result.diagnostics:
        assert d.file and d.message and "\n" not in d.message, d
        assert len(d.message) < 1000, d.message[:200]
        assert not any(f in d.message for f in forbidden), d.message[:200]
    keys = [h.key for h in result.hosts]
    assert len(set(keys)) == len(keys)
    return result


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
    _secret(monkeypatch, secret)
    location = _copy(tmp_path, rel)
    for target in _data_files(location):
        original = target.read_bytes()
        for start, end in _digit_runs(original, 24):
            target.write_bytes(original[:start] + HUGE.encode() + original[end:])
            read_or_one_line(fmt, location, forbidden=(HUGE[:200],))
        target.write_bytes(original)


# ---- the XML declaration's encoding -------------------------------------------------------------

XML_FORMATS = [
    ("mremoteng", "mremoteng/confCons.xml"),
    ("securecrt", "securecrt/export.xml"),
    ("royalts", "royalts/lab.rtsz"),
    ("rdm", "rdm/export.rdm"),
]
#: unknown, not a text codec, multi-byte (expat takes only single-byte codecs), a codec that fails.
BAD_ENCODINGS = ["utf-999", "rot13", "base64", "hex", "utf-7", "utf-32", "idna", "undefined", "x" * 300]


@pytest.mark.parametrize("encoding", BAD_ENCODINGS)
@pytest.mark.parametrize(("fmt", "rel"), XML_FORMATS)
def test_an_xml_declaration_naming_an_unusable_encoding_is_one_line(fmt, rel, encoding, tmp_path, monkeypatch):
    """expat asks Python's codecs for an encoding it does not know: LookupError, ValueError or
    UnicodeError came through as an internal error. Now one line, and the name is not echoed."""
    _secret(monkeypatch, "securecrt/config-passphrase.txt" if fmt == "securecrt" else None)
    location = _copy(tmp_path, rel)
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
    _secret(monkeypatch, secret)
    location = _copy(tmp_path, rel)
    names = (b"example.net", b"example.com", b"10.20.0.11", b"example.org")
    for target in _data_files(location):
        data = target.read_bytes()
        hit = next((n for n in names if n in data), None)
        if hit is None:
            continue
        target.write_bytes(data.replace(hit, b"a." * 500_000 + hit, 1))
        read_or_one_line(fmt, location, forbidden=("a." * 100,))
        target.write_bytes(data)
