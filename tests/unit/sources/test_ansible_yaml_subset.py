"""The built-in YAML reader against PyYAML's SafeLoader (a test extra, the loader Ansible builds on):
on every generated document PyYAML accepts, ours must read the same values and report no error."""

from __future__ import annotations

import math
import random

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources.ansible.yaml_scalars import Unsafe, Vaulted
from migrator.sources.ansible.yaml_subset import parse_yaml

SCALARS = [
    "a",
    "yes",
    "0755",
    "'q''x'",
    '"d\\tq"',
    "1:20",
    "~",
    "",
    "[1, b]",
    "{a: 1, b: [x]}",
    "x y  z",
    "a#b",
    "a # c",
    "'multi\n  line'",
    '"dq\n\n  more"',
    "|\n  lit\n  eral\n",
    ">\n  fo\n  ld\n\n  p\n",
    "|-\n  x\n",
    ">+\n  k\n\n",
    "!unsafe 'u'",
    "!vault |\n  $ANSIBLE_VAULT;1.1\n  abc\n",
    "plain\n  cont",
    "- l1\n- l2",
    "- a: 1\n  b: 2\n- c",
    "2001-01-01",
    "1.0e+3",
    "-.inf",
    "+1",
    "a:b",
    "http://x:80/y",
    "[a, [b, [c]]]",
    "{a: {b: {c: d}}}",
    "''",
    "- - x\n  - y",
    "[]",
    "{}",
    "['a, b', \"c]d\"]",
    "{k: 'v: w'}",
    "[a: b]",
    "x\ty",
    "- x\n\n# c\n- y",
    "it's",
    "'it''s' # c",
    '"a\\\n  b"',
    "[1,\n  2]",
    "|2\n    two\n   one\n",
    ">\n  a\n    b\n  c\n",
    "0b101",
    "1_0",
    "6.8523015e+5",
    "190:20:30.15",
    "2001-12-14t21:59:43.10-05:00",
    "NULL",
    "Off",
    "0.",
    ".5",
    "'\\'",
    "1e3",
]
KEYS = ["k", "key two", "'quoted k'", '"dq"', "h:22", "1", "true", "web[01:03].example.net"]


class _Loader(yaml.SafeLoader):
    """SafeLoader plus the two Ansible tags, as markers."""


_Loader.add_constructor("!vault", lambda loader, node: "<vault>")
_Loader.add_constructor("!unsafe", lambda loader, node: ("unsafe", loader.construct_scalar(node)))


def _document(rng: random.Random, depth: int = 0) -> str:
    lines = []
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(KEYS) + str(rng.randint(0, 99))
        if depth < 3 and rng.random() < 0.35:
            lines.append(f"{key}:" + rng.choice(["", "  # c"]))
            indent = rng.choice(["  ", "    "])
            lines += [indent + line if line else line for line in _document(rng, depth + 1).split("\n")]
        else:
            first, *rest = rng.choice(SCALARS).split("\n")
            if first.startswith("- "):
                lines += [f"{key}:", *("  " + r if r else r for r in [first, *rest])]
            else:
                lines += [f"{key}: {first}", *("  " + r if r else r for r in rest)]
        lines += rng.choice([[], [], [""], ["# comment"]])
    return "\n".join(lines)


def _ours(value):
    if isinstance(value, dict):
        return {_ours(k): _ours(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ours(v) for v in value]
    if isinstance(value, Vaulted):
        return "<vault>"
    if isinstance(value, Unsafe):
        return ("unsafe", str(value))
    return "<nan>" if isinstance(value, float) and math.isnan(value) else value


def _theirs(value):
    if isinstance(value, dict):
        return {_theirs(k): _theirs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_theirs(v) for v in value]
    return "<nan>" if isinstance(value, float) and math.isnan(value) else value


@settings(derandomize=True, max_examples=400, deadline=None, database=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_generated_documents_read_like_pyyaml(seed):
    text = _document(random.Random(seed)) + "\n"
    try:
        expected = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError:
        return
    value, problems = parse_yaml(text)
    assert [p for p in problems if p.level == "error"] == [], text
    assert _ours(value) == _theirs(expected), text
