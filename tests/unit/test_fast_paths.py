"""Every shortcut taken for speed gives exactly what the general code gives, for any input.

Each fast path (a plain-word split, a literal pattern, a value that cannot be a literal, the JSON
encoder, the console escape) is compared with the general implementation it stands in for, on
generated inputs built from the characters that matter to it.
"""

from __future__ import annotations

import json
import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.escape import hostile, json_console
from migrator.report.jsondoc import dumps, write
from migrator.sources.ansible.ini import literal_value, parse_value
from migrator.sources.ansible.sshargs import split_words
from migrator.sources.putty.sessions import unescape_session_name
from migrator.sources.ssh_config.lexer import _pattern_regex, argv_split, match_pattern
from migrator.sources.ssh_config.resolver import _canonical_host, canonical_address

MANY = settings(max_examples=1000)


@MANY
@given(text=st.text(alphabet=" \t\r\n\x0b\x0cab=#'\"\\\xa0\x85", max_size=14), comments=st.booleans())
def test_split_words_is_shlex_split(text, comments):
    def run(fn):
        try:
            return fn(text, comments=comments)
        except ValueError:
            return "unbalanced"

    assert run(split_words) == run(shlex.split)


@MANY
@given(
    text=st.one_of(
        st.text(alphabet="aZ_09.-+jeE x,()[]'\"Tru\\", max_size=10),
        st.sampled_from(["True", "None", "False", "00", "007", "0", "1_0", "1.2.3", "1.2", "-1", "9" * 5000]),
    )
)
def test_ini_values_settled_early_are_what_literal_eval_gives(text):
    fast, general = parse_value(text), literal_value(text)
    assert fast == general and type(fast) is type(general)


@MANY
@given(subject=st.text(alphabet="ab.*?-\xe9", max_size=6), pattern=st.text(alphabet="ab.-\xe9", max_size=6))
def test_a_pattern_without_wildcards_matches_as_its_regex_does(subject, pattern):
    regex = _pattern_regex(pattern).fullmatch(subject.encode("utf-8", "surrogateescape")) is not None
    assert match_pattern(subject, pattern) == regex


@MANY
@given(text=st.text(alphabet=" \tab=,\r\x0c\xe9", max_size=14))
def test_argv_split_of_plain_words_is_the_character_loop(text):
    # with an empty quoted word appended the whole line goes through the character loop
    assert argv_split(text + ' ""') == [*argv_split(text), ""]


@MANY
@given(
    name=st.text(alphabet="abAB -_./\xe9", max_size=10),
    codepage=st.sampled_from(["cp1252", "cp1250", "cp932", "utf-8", "iso2022_jp", "utf-16-le", "cp037"]),
)
def test_plain_session_names_unescape_as_the_loop_does(name, codepage):
    # a trailing "%41" (an escaped "A") forces the general loop; it only appends an "A"
    fast = unescape_session_name(name, codepage)
    general, clean = unescape_session_name(name + "%41", codepage)
    if codepage in ("utf-16-le", "cp037"):  # "%41" is not "A" there; only compare the cleanliness rule
        return
    assert (fast[0] + "A", fast[1]) == (general, clean)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(alphabet='ab\n\t\x00\x7f\x85\u200e\u2028\ufeff\U0001f600é"\\', max_size=6),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.booleans(), st.none()), inner, max_size=3),
    ),
    max_leaves=12,
)


def by_character(text: str) -> str:
    """``json_console`` as it was: every character looked at."""
    out = []
    for ch in text:
        if ch != "\n" and hostile(ch):
            code = ord(ch)
            if code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(ch)
    return "".join(out)


def old_renderer(doc) -> str:
    """The JSON output as it was: the standard library's indented text, escaped character by character."""
    return by_character(json.dumps(doc, indent=2, ensure_ascii=False))


@MANY
@given(doc=json_values)
def test_the_json_encoder_writes_what_json_dumps_wrote(doc):
    assert dumps(doc) == old_renderer(doc)
    pieces: list[str] = []
    write({"items": iter([doc, doc]), "empty": iter([])}, pieces.append)
    assert "".join(pieces) == old_renderer({"items": [doc, doc], "empty": []}) + "\n"


@MANY
@given(text=st.text(alphabet="a \n\t\x00\x1f\x7f\x80\x9f\xa0\u200e\u202e\u2028\ufeff\U0001f600\udc80", max_size=12))
def test_json_console_changes_what_the_character_loop_changed(text):
    assert json_console(text) == by_character(text)


@MANY
@given(host=st.text(alphabet="abfgxyzAFGX019._-:% ", min_size=1, max_size=10))
def test_a_plain_host_name_is_canonical_without_the_numeric_parse(host):
    assert _canonical_host(host, None) == canonical_address(host, None)
