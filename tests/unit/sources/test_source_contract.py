"""The source contract: typed options per format, one registry, locations and fingerprints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from migrator.errors import ConfigError, InputError
from migrator.manager import SourceInput, read_inventory
from migrator.sources import FORMATS, open_source, source_class
from migrator.sources.base import FileSource, Source, SourceOptions


def test_every_registered_format_has_an_options_model_and_a_summary():
    for fmt in FORMATS:
        cls = source_class(fmt)
        assert cls.format == fmt
        assert issubclass(cls, Source)
        assert issubclass(cls.Options, SourceOptions)
        assert cls.summary


def test_a_misspelt_option_names_itself_and_suggests_the_right_one(tmp_path):
    reg = tmp_path / "s.reg"
    reg.write_text("Windows Registry Editor Version 5.00\r\n", encoding="utf-16")
    with pytest.raises(ConfigError, match=r"unknown option 'codepag' for putty sources \(did you mean 'codepage'\?\)"):
        open_source(f"putty:{reg}", options={"codepag": "cp1250"})


def test_an_option_of_the_wrong_type_is_refused_without_echoing_it(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    with pytest.raises(ConfigError) as err:
        open_source(str(csv), options={"encoding": 5})
    assert "option 'encoding'" in str(err.value) and "an integer" in str(err.value)


def test_a_flag_that_does_not_apply_to_the_format_is_an_error(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    with pytest.raises(ConfigError, match=r"--sheet \(sheet\) does not apply to csv sources; only excel take it"):
        open_source(str(csv), options={"sheet": "x"})


def test_boolean_options_from_the_command_line_are_parsed_by_the_model(tmp_path):
    cls = source_class("mobaxterm")
    assert cls.parse_options({"include_sftp": "yes"}).include_sftp is True
    with pytest.raises(ConfigError, match="include_sftp"):
        cls.parse_options({"include_sftp": "maybe"})


def test_file_sources_fingerprint_their_bytes(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    source = open_source(str(csv))
    assert isinstance(source, FileSource)
    before = source.fingerprint()
    csv.write_text("host\nweb2\n")
    assert source.fingerprint() != before


def test_duplicate_keys_are_reported_not_dropped_silently(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    inv = read_inventory([SourceInput(str(csv)), SourceInput(str(csv))])
    assert len(inv.hosts) == 1
    assert [d.code for d in inv.diagnostics if d.level == "error"] == ["duplicate-key"]


def test_missing_location_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_source(f"csv:{tmp_path / 'nope.csv'}")


def test_cli_refuses_an_unknown_source_option(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("host\nweb\n")
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", "inspect", str(csv), "--source-option", "encodng=utf-8"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "unknown option 'encodng' for csv sources (did you mean 'encoding'?)" in proc.stderr
    assert "internal error" not in proc.stderr
