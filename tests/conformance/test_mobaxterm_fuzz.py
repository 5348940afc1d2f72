"""Damaged MobaXterm inputs (truncated, re-encoded, random bytes, noise) give diagnostics, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.fuzz import FUZZ, check_source, write
from helpers.paths import REPO_ROOT
from hypothesis import given
from hypothesis import strategies as st

from migrator.model import SourceResult
from migrator.sources.mobaxterm import MobaXtermSource

SAMPLES = REPO_ROOT / "samples"
MAIN = (SAMPLES / "mobaxterm.mxtsessions").read_bytes()
INI = (SAMPLES / "mobaxterm" / "MobaXterm.ini").read_bytes()


def check(path: Path, **options) -> SourceResult:
    return check_source(MobaXtermSource, path, **options)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(MAIN)))
def test_truncated_export(workdir, cut):
    result = check(write(workdir, "cut.mxtsessions", MAIN[:cut]), include_sftp=True, include_mosh=True)
    # Every complete session line before the cut is still read.
    complete = MAIN[:cut].count(b"\r\n")
    assert len(result.hosts) >= (2 if complete >= 5 else 0)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(INI)))
def test_truncated_ini(workdir, cut):
    check(write(workdir, "MobaXterm.ini", INI[:cut]))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32", "cp437", "latin-1", "cp1250"])
def test_main_sample_in_the_wrong_encoding(workdir, encoding):
    data = MAIN.decode("cp1252").encode(encoding, errors="replace")
    result = check(write(workdir, f"enc-{encoding}.mxtsessions", data))
    if encoding in ("cp437", "latin-1", "cp1250"):
        assert len(result.hosts) == 7  # only a few accented letters change


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(workdir, data):
    check(write(workdir, "random.mxtsessions", data))


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
    check(write(workdir, "flipped.mxtsessions", bytes(data)), include_sftp=True, include_mosh=True)


TOKENS = [
    "[Bookmarks]",
    "[Bookmarks_1]",
    "[Bookmarks_77]",
    "[Credentials]",
    "[Passwords]",
    "[SSH]",
    "SubRep=",
    "ImgNum=41",
    "DefaultLoginName=",
    "=",
    "#",
    "%",
    "\\",
    "\r\n",
    "\n",
    " ",
    "name",
    "x",
    "0",
    "1",
    "4",
    "7",
    "12",
    "22",
    "-1",
    "99999",
    "h.example.org",
    "<default>",
    "[cred]",
    "cred=user:enc",
    "__PIPE__",
    "__DIEZE__",
    "__PERCENT__",
    "__EQUAL__",
    "_CurrentDrive_",
    "_ProfileDir_",
    "_AppDataDir_",
    ":\\k.ppk",
    "\ufeff",
    "é",
    "東京",
]


@FUZZ
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=300), encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_ini_shaped_noise(workdir, parts, encoding):
    data = "".join(parts).encode(encoding, errors="replace")
    check(write(workdir, "noise.mxtsessions", data), include_sftp=True, include_mosh=True)


@FUZZ
@given(
    fields=st.lists(
        st.one_of(
            st.text(max_size=20).filter(lambda t: "#" not in t and "%" not in t),
            st.sampled_from(
                [
                    "0",
                    "7",
                    "12",
                    "-1",
                    "22",
                    "h.example.org",
                    "<default>",
                    "[c]",
                    "a__PIPE__b",
                    "__PIPE__",
                    "_CurrentDrive_:\\x",
                ]
            ),
        ),
        max_size=40,
    ),
    groups=st.integers(min_value=0, max_value=8),
)
def test_random_session_fields(workdir, fields, groups):
    g3 = "%".join(fields)
    value = "#".join([" ", "109", g3, "MobaFont%10", "0", " ", "-1"][: max(groups, 1)])
    text = f"[Bookmarks]\r\nSubRep=F\r\n[Credentials]\r\nc=u:x\r\n[Bookmarks_1]\r\nSubRep=G\r\ns={value}\r\n"
    check(write(workdir, "fields.mxtsessions", text.encode("utf-8")), include_sftp=True, include_mosh=True)
