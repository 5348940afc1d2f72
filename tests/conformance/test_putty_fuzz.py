"""Damaged PuTTY inputs (truncated, re-encoded, random bytes, noise) give diagnostics, never a crash."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from helpers.fuzz import FUZZ, check_source, write
from helpers.paths import REPO_ROOT
from hypothesis import given
from hypothesis import strategies as st

from migrator.model import SourceResult
from migrator.sources.putty.source import PuttySource

SAMPLES = REPO_ROOT / "samples"
MAIN = (SAMPLES / "putty-sessions.reg").read_bytes()
KITTY = (SAMPLES / "putty" / "kitty-regedit4.reg").read_bytes()


def check(path: Path, **options) -> SourceResult:
    return check_source(PuttySource, path, **options)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(MAIN)))
def test_truncated_utf16_export(workdir, cut):
    check(write(workdir, "cut.reg", MAIN[:cut]))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(KITTY)))
def test_truncated_regedit4_export(workdir, cut):
    check(write(workdir, "cut4.reg", KITTY[:cut]))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-be", "utf-32", "cp1252", "cp437", "latin-1"])
def test_main_sample_in_the_wrong_encoding(workdir, encoding):
    text = MAIN[2:].decode("utf-16-le")
    data = text.encode(encoding, errors="replace")
    result = check(write(workdir, f"enc-{encoding}.reg", data))
    if encoding in ("utf-8", "cp1252", "latin-1", "cp437"):
        assert len(result.hosts) == 9  # ASCII content: same hosts, whatever the byte encoding


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_as_reg_file(workdir, data):
    check(write(workdir, "random.reg", data))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_behind_a_utf16_bom(workdir, data):
    check(write(workdir, "bom.reg", codecs.BOM_UTF16_LE + data))


@FUZZ
@given(
    data=st.binary(max_size=2000),
    name=st.text(min_size=1, max_size=20).filter(lambda n: "/" not in n and "\x00" not in n and n not in (".", "..")),
)
def test_random_bytes_as_unix_session_files(workdir, data, name):
    folder = workdir / "sessions"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    try:
        (folder / name).write_bytes(data)
    except (OSError, UnicodeEncodeError):
        return
    (folder / "ok").write_text("HostName=ok.example.org\nProtocol=ssh\n")
    result = check(folder)
    assert "ok" in [h.name for h in result.hosts]


@FUZZ
@given(
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(MAIN) - 1), st.integers(min_value=0, max_value=255)),
        max_size=40,
    )
)
def test_byte_flips_in_the_main_sample(workdir, flips):
    data = bytearray(MAIN)
    for index, value in flips:
        data[index] = value
    check(write(workdir, "flipped.reg", bytes(data)))


TOKENS = [
    "[",
    "]",
    "[-",
    '"',
    "=",
    "\\",
    "\\\\",
    "%",
    "%2",
    "%E9",
    "%20",
    "dword:",
    "hex:",
    "hex(2):",
    "hex(7):",
    "ffffffff",
    "00000016",
    "00,",
    "\r\n",
    "\n",
    " ",
    "@",
    "-",
    ";",
    "HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\",
    "HKEY_CURRENT_USER\\Software\\9bis.com\\KiTTY\\Sessions\\",
    "HostName",
    "Protocol",
    "ssh",
    "telnet",
    "PortNumber",
    "UserName",
    "ProxyMethod",
    "ProxyHost",
    "ProxyPort",
    "ProxyType",
    "ProxyExcludeList",
    "PublicKeyFile",
    "Folder",
    "PsmPath",
    "Default%20Settings",
    "a",
    "b",
    "user@",
    "host.example.org",
    ":22",
    "[::1]",
    "Windows Registry Editor Version 5.00",
    "REGEDIT4",
]


@FUZZ
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=300), wide=st.booleans())
def test_registry_shaped_noise(workdir, parts, wide):
    text = "".join(parts)
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le") if wide else text.encode("utf-8")
    check(write(workdir, "noise.reg", data))


@FUZZ
@given(
    values=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "HostName",
                    "Protocol",
                    "PortNumber",
                    "UserName",
                    "ProxyMethod",
                    "ProxyHost",
                    "ProxyPort",
                    "ProxyUsername",
                    "ProxyLocalhost",
                    "ProxyExcludeList",
                    "TryAgent",
                    "PublicKeyFile",
                ]
            ),
            st.one_of(
                st.integers(min_value=-(2**31), max_value=2**31 - 1),
                st.text(max_size=30),
                st.sampled_from(["a", "B", "Default Settings", "c\u00e9", "h.example.org", "6", "ssh"]),
            ),
        ),
        max_size=12,
    ),
    names=st.lists(st.sampled_from(["a", "b", "Default%20Settings", "c%E9"]), min_size=1, max_size=4),
)
def test_random_session_values_and_chains(workdir, values, names):
    lines = ["Windows Registry Editor Version 5.00", ""]
    for i, name in enumerate(names):
        lines.append(f"[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\{name}]")
        for key, value in values[i :: len(names)]:
            if isinstance(value, int):
                lines.append(f'"{key}"=dword:{value & 0xFFFFFFFF:08x}')
            else:
                escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
                lines.append(f'"{key}"="{escaped}"')
        lines.append("")
    data = codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le", errors="surrogatepass")
    check(write(workdir, "values.reg", data))
