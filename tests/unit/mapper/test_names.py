"""Names compare like Java's ``String.equalsIgnoreCase``, checked against a JDK's own answers.

``tests/data/java_case_map.txt`` is generated (``tests/data/java/make_case_map.py``): every character
where Python's case mapping disagrees with Java's, with every code point Java finds equal to it, and
UTF-16 string pairs around surrogates with Java's verdict.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import pytest
from helpers.paths import TEST_DATA

from migrator.names import name_key, names_equal, shown_key

DATA = TEST_DATA / "java_case_map.txt"


def _units(hex_units: str) -> str:
    raw = b"".join(int(u, 16).to_bytes(2, "big") for u in hex_units.split(".") if u)
    return raw.decode("utf-16-be", "surrogatepass")


def _load():
    chars, pairs = [], []
    for line in DATA.read_text(encoding="ascii").splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "char":
            head, _, partners = rest.partition(" : ")
            cp, upper, lower, *_ = head.split()
            chars.append((int(cp, 16), int(upper, 16), int(lower, 16), {int(p, 16) for p in partners.split()}))
        elif kind == "pair":
            a, b, verdict = rest.split()
            pairs.append((_units(a), _units(b), verdict == "true"))
    return chars, pairs


CHARS, PAIRS = _load()


@pytest.fixture(scope="module")
def by_key():
    """Every code point grouped by its key: one pass over all of Unicode."""
    groups = defaultdict(set)
    for cp in range(sys.maxunicode + 1):
        groups[name_key(chr(cp))].add(cp)
    return groups


def test_the_data_covers_the_known_disagreements():
    listed = {c[0] for c in CHARS}
    assert {ord("ß"), ord("İ"), ord("ı"), ord("ς"), ord("ſ"), 0x1E9E} <= listed | {0x1E9E}
    assert len(CHARS) > 100 and len(PAIRS) > 1000


@pytest.mark.parametrize("cp,upper,lower,partners", CHARS, ids=[f"U+{c[0]:04X}" for c in CHARS])
def test_every_disagreeing_character_matches_exactly_what_java_matches(by_key, cp, upper, lower, partners):
    assert by_key[name_key(chr(cp))] - {cp} == partners
    assert names_equal(chr(cp), chr(upper)) and names_equal(chr(cp), chr(lower))
    for other in partners:
        assert names_equal("host-" + chr(cp), "HOST-" + chr(other))


def test_utf16_string_pairs_agree_with_java():
    wrong = [(a, b, v) for a, b, v in PAIRS if names_equal(a, b) != v]
    assert not wrong, [(ascii(a), ascii(b), v) for a, b, v in wrong[:5]]


def test_python_case_functions_would_get_these_wrong():
    """Why the table exists: lower() and casefold() disagree with Java on the generated characters."""
    lower_wrong = casefold_wrong = 0
    for cp, _, _, partners in CHARS:
        for other in partners:
            lower_wrong += chr(cp).lower() != chr(other).lower()
            casefold_wrong += chr(cp).casefold() != chr(other).casefold()
    assert lower_wrong and casefold_wrong
    assert not names_equal("ß", "ss") and "ß".casefold() == "ss"
    assert names_equal("ıx", "IX") and names_equal("İx", "ix")


def test_slash_and_underscore_are_different_names_with_the_same_shown_key():
    assert not names_equal("a/b", "a_b")
    assert shown_key("a/b") == shown_key("A_B") == shown_key("a_b")


@pytest.mark.parametrize("cp,upper,lower,partners", CHARS, ids=[f"U+{c[0]:04X}" for c in CHARS])
def test_a_shown_name_meets_the_real_name(cp, upper, lower, partners):
    """XPipe shows ``String.toLowerCase()`` of the name: that form has the real name's shown key."""
    for real in [cp, *partners]:
        shown = "srv_" + _java_string_lower(real)
        assert shown_key(shown) == shown_key("Srv/" + chr(real)) == shown_key("srv_" + chr(cp))


_JAVA_LOWER = {c[0]: c[2] for c in CHARS}


def _java_string_lower(cp: int) -> str:
    """``String.toLowerCase`` of one character: U+0130 gains a combining dot, the rest is the char mapping.

    Characters missing from the data lower-case alike in Python and Java (the data lists every other one).
    """
    if cp == 0x130:
        return "i\u0307"
    return chr(_JAVA_LOWER[cp]) if cp in _JAVA_LOWER else chr(cp).lower()


def test_the_ascii_shortcut_gives_what_the_table_gives():
    """``name_key`` lower-cases pure-ASCII names directly; the JDK table says the same for every ASCII
    character, alone and inside names that also hold other characters (which take the table)."""
    from migrator.names import _FOLD

    for cp in range(128):
        assert name_key(chr(cp)) == _FOLD.get(cp, chr(cp))
    ascii_name = "".join(chr(cp) for cp in range(32, 127))
    assert name_key(ascii_name) == "".join(_FOLD.get(ord(ch), ch) for ch in ascii_name)
    assert name_key(ascii_name + "\u212a") == name_key(ascii_name) + "k"  # KELVIN SIGN folds to k in Java
