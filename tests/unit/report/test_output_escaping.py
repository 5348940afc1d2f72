"""Text from the inputs cannot drive the terminal, forge lines, or break out of a Markdown cell.

The hostile characters are generated from Unicode's own classes (every control, every bidi
embedding/override/isolate and mark, the line and paragraph separators), not picked by hand.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.cli import main
from migrator.escape import code_fence, console, json_console, markdown_cell

_BIDI_FORMATTING = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
HOSTILE = [
    chr(cp)
    for cp in range(sys.maxunicode + 1)
    if unicodedata.category(chr(cp)) in ("Cc", "Zl", "Zp")
    or unicodedata.bidirectional(chr(cp)) in _BIDI_FORMATTING
    or (unicodedata.category(chr(cp)) == "Cf" and unicodedata.bidirectional(chr(cp)) in ("L", "R", "AL"))
]
HOSTILE_SET = set(HOSTILE)
SETTINGS = settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_the_generated_class_holds_the_known_troublemakers():
    for ch in "\x1b\r\n\x7f\x9b\u202e\u2066\u200f\u2028":
        assert ch in HOSTILE_SET
    assert len(HOSTILE) > 70


@pytest.mark.parametrize("ch", HOSTILE, ids=[f"U+{ord(c):04X}" for c in HOSTILE])
def test_every_hostile_character_becomes_a_visible_escape(ch):
    text = f"web{ch}01"
    for out in (console(text), markdown_cell(text)):
        assert not HOSTILE_SET & set(out)
        assert "\\" in out and out.startswith("web") and out.endswith("01")
    dumped = json_console(json.dumps({"name": text}, indent=2, ensure_ascii=False))
    assert json.loads(dumped) == {"name": text}
    assert not HOSTILE_SET & set(dumped.replace("\n", ""))


def _write_csv(path, names):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "host", "user"])
        for i, name in enumerate(names):
            w.writerow([name, f"h{i}.example.net", "ops"])


def _run(capsys, *args) -> str:
    main(["--no-progress", *args])
    out = capsys.readouterr()
    return out.out + out.err


@SETTINGS
@given(ch=st.sampled_from(HOSTILE), where=st.sampled_from(["start", "middle", "end"]))
def test_no_hostile_character_from_a_name_reaches_the_terminal(tmp_path, capsys, ch, where):
    name = {"start": ch + "web", "middle": "we" + ch + "b", "end": "web" + ch}[where]
    path = tmp_path / "hosts.csv"
    _write_csv(path, [name, "plain"])
    (tmp_path / "ssh_config").write_text(f"Host al{ch}ias\n    HostName h.example.net\n", encoding="utf-8")
    outputs = [
        _run(capsys, "inspect", str(path), str(tmp_path / "ssh_config")),
        _run(capsys, "plan", str(path), str(tmp_path / "ssh_config"), "--target", "embedded", "--format", "table"),
        _run(capsys, "plan", str(path), "--target", "embedded", "--format", "json"),
        _run(capsys, "mapping", "check", str(path)),
    ]
    for text in outputs:
        assert not HOSTILE_SET & set(text.replace("\n", ""))


def test_a_name_with_a_newline_cannot_forge_a_diagnostic_line(tmp_path, capsys):
    path = tmp_path / "hosts.csv"
    _write_csv(path, ["web\nerror: hosts.csv:9: forged (bad-thing)", "ok"])
    for args in (["inspect", str(path)], ["plan", str(path), "--target", "embedded"]):
        text = _run(capsys, *args)
        assert not any(line.lstrip().startswith("error: hosts.csv:9") for line in text.splitlines())
        assert "forged" in text


_MARKDOWN_PIECES = [*"|\\`*_[]<>&\r\n/!#~", "</details>", "<img src=x>", "a", "b"]
_MARKDOWN_HOSTILE = st.lists(st.sampled_from(_MARKDOWN_PIECES), min_size=1, max_size=8).map("".join)


@SETTINGS
@given(name=_MARKDOWN_HOSTILE)
def test_markdown_rows_keep_their_cells_and_carry_no_html(tmp_path, capsys, name):
    path = tmp_path / "hosts.csv"
    _write_csv(path, ["md-" + name.replace("\r", "").replace("\n", "")])
    text = _run(capsys, "plan", str(path), "--target", "embedded", "--format", "markdown")
    rows = [line for line in text.splitlines() if line.startswith("| + | create | host |")]
    assert len(rows) == 1
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 7  # six cells
    assert "<" not in rows[0] and ">" not in rows[0]
    assert text.count("</details>") == text.count("<details>") <= 1


@SETTINGS
@given(lines=st.lists(st.text(alphabet="`ab\n", max_size=10), min_size=1, max_size=4))
def test_a_code_fence_cannot_be_closed_from_inside(lines):
    fence = code_fence(lines)
    assert all(fence not in line for line in lines)
    assert len(fence) >= 3 and set(fence) == {"`"}


def test_markdown_cell_escapes_html_and_table_syntax():
    cell = markdown_cell("a|b</details><img src=x onerror=alert(1)>\r\n`x`")
    assert "<" not in cell and ">" not in cell and "\r" not in cell and "\n" not in cell
    assert "\\|" in cell and "\\`" in cell
