"""The windows_terminal source: Windows argument splitting, WT's GUIDs, both profile layouts, the
JsonCpp dialect (comments, trailing commas, BOM, repeated keys), what is skipped and what is held."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from helpers.windows_terminal import command_line, quote_windows_arg, settings_json
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.sources import detect_format
from migrator.sources.windows_terminal.cmdline import command_line_to_argv
from migrator.sources.windows_terminal.jsonc import JsonError, parse
from migrator.sources.windows_terminal.source import WindowsTerminalSource, profile_guid, v5_guid

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def read(tmp_path: Path, profiles, **kw):
    path = tmp_path / "settings.json"
    path.write_bytes(settings_json(profiles, **kw))
    return WindowsTerminalSource(path).read()


# Microsoft's documented examples for the C runtime / CommandLineToArgvW ("Parsing C command-line
# arguments", learn.microsoft.com): input -> argv[1:].
MS_EXAMPLES = [
    ('"a b c" d e', ["a b c", "d", "e"]),
    ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
    ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
    ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
    ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
    ('a"b"" c d', ['ab" c d']),
]


@pytest.mark.parametrize("line,expected", MS_EXAMPLES)
def test_windows_splitting_follows_the_documented_examples(line, expected):
    assert command_line_to_argv("prog " + line)[1:] == expected


def test_program_name_rules():
    assert command_line_to_argv('"C:\\Program Files\\OpenSSH\\ssh.exe"host -p 1') == [
        "C:\\Program Files\\OpenSSH\\ssh.exe",
        "host",
        "-p",
        "1",
    ]
    assert command_line_to_argv('C:\\a\\"b c') == ['C:\\a\\"b', "c"]


@given(st.lists(st.text(alphabet=st.sampled_from('ab \\"\t%x'), max_size=8), max_size=6))
@settings(max_examples=300, deadline=None)
def test_quoted_arguments_split_back_exactly(args):
    assert command_line_to_argv(command_line("ssh.exe", args))[1:] == args


def test_guids_are_windows_terminals():
    # src/types/ut_types/UuidTests.cpp TestV5UuidU16String (microsoft/terminal)
    ns = uuid.UUID("ad56de9e-5167-41b6-80eb-fb19f7927d1a")
    assert str(v5_guid(ns, "testing")) == "e04fb1f7-739d-5d63-bb18-e0ea00b19ee8"
    assert profile_guid("x", None) != profile_guid("x", "Windows.Terminal.Wsl")


def test_jsonc_dialect():
    assert parse('\ufeff// c\n{ /* x */ "a": [1, 2,], "a": {"b": "\\u00e9",},\n} trailing text') == {"a": {"b": "é"}}
    for bad in ("{'a': 1}", '{"a": NaN}', '{"a": 1', "/* open", '{"a" 1}', "[" * 300):
        with pytest.raises(JsonError):
            parse(bad)


@pytest.mark.parametrize("layout", ["object", "list"])
@pytest.mark.parametrize("bom", [False, True])
def test_ssh_profiles_in_both_layouts(tmp_path, layout, bom):
    profiles = [
        {"guid": "{61C54BBD-C2C6-5271-96E7-009A87FF44BF}", "name": "PowerShell", "commandline": "powershell.exe"},
        {
            "guid": "{11111111-2222-3333-4444-555555555555}",
            "name": "web",
            "commandline": "ssh.exe -l u -p2222 web.example",
        },
        {"name": "no guid", "commandline": command_line("C:\\Program Files\\OpenSSH\\ssh.exe", ["-J", "a@j:2", "t@h"])},
    ]
    result = read(tmp_path, profiles, layout=layout, bom=bom)
    by = {h.name: h for h in result.hosts}
    assert (by["web"].address, by["web"].port, by["web"].user) == ("web.example", 2222, "u")
    assert by["web"].key.endswith("#{11111111-2222-3333-4444-555555555555}")
    assert by["no guid"].key.endswith("#" + profile_guid("no guid", None))
    assert [(j.host, j.port, j.user) for j in by["no guid"].jump] == [("j", 2, "a")]
    (count,) = [d for d in result.diagnostics if d.code == "not-ssh"]
    assert "1 profile(s)" in count.message and count.level == "info"


def test_defaults_give_the_commandline_and_hidden(tmp_path):
    profiles = [{"guid": "{11111111-2222-3333-4444-555555555555}", "name": "a"}, {"name": "b", "commandline": "cmd"}]
    result = read(tmp_path, profiles, defaults={"commandline": "ssh a.example", "hidden": True})
    assert [h.name for h in result.hosts] == ["a"] and "hidden" in {d.code for d in result.diagnostics}


def test_what_is_reported_and_what_is_held(tmp_path):
    g = "{%08d-0000-4000-8000-000000000000}"
    profiles = [
        {"guid": g % 1, "name": "gen", "source": "Windows.Terminal.SSH"},
        {"guid": g % 2, "name": "wsl", "commandline": "wsl ssh h"},
        {"guid": g % 3, "name": "unquoted", "commandline": "C:\\Program Files\\OpenSSH\\ssh.exe h"},
        {"guid": g % 4, "name": "bad option", "commandline": "ssh -Z h"},
        {"guid": g % 5, "name": "env host", "commandline": "ssh %TARGET%"},
        {"guid": g % 6, "name": "print", "commandline": "ssh -G h"},
        {"guid": g % 6, "name": "duplicate", "commandline": "ssh d"},
        {"guid": g % 7, "name": "cmd", "commandline": "ssh h uptime -p 2"},
    ]
    result = read(tmp_path, profiles)
    codes = {d.code for d in result.diagnostics}
    assert {"generated-profile", "ssh-through-program", "unquoted-path", "ssh-refuses"} <= codes
    assert {"environment-variable", "not-a-session", "duplicate-guid", "remote-command"} <= codes
    held = {k.rsplit("#", 1)[1] for k in result.held}
    assert held == {g % 3, g % 4, g % 5}
    assert [(h.name, h.port) for h in result.hosts] == [("cmd", 22)]


@given(st.integers(min_value=0, max_value=1500))
@settings(max_examples=60, deadline=None)
def test_truncated_settings_are_one_line_errors(tmp_path_factory, cut):
    path = tmp_path_factory.mktemp("t") / "settings.json"
    path.write_bytes((SAMPLES / "windows_terminal" / "settings.json").read_bytes()[:cut])
    try:
        WindowsTerminalSource(path).read()
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(path.as_posix())


def test_detection():
    sample = SAMPLES / "windows_terminal" / "settings.json"
    assert detect_format(sample) == "windows_terminal"
    for other in SAMPLES.rglob("*"):
        if other.is_file() and "windows_terminal" not in other.parts:
            assert WindowsTerminalSource.detect(other, other.read_bytes()[:8192]) == 0, other


def test_quote_helper_leaves_plain_words():
    assert quote_windows_arg("abc") == "abc" and quote_windows_arg("") == '""'
