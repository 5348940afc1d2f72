"""Damaged and random Ansible inventories give well-formed hosts and located diagnostics, never a crash,
and never print a password or vault line that was in them."""

from __future__ import annotations

from pathlib import Path

from helpers.fuzz import FUZZ, check_source, write
from helpers.paths import REPO_ROOT
from helpers.records import record_text
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources.ansible import AnsibleSource

SAMPLES = REPO_ROOT / "samples" / "ansible"
YAML = (SAMPLES / "inventory.yml").read_bytes()
INI = (SAMPLES / "inventory.ini").read_bytes()
SECRETS = ("Sample-Db2-Password", "6134333665353966363534333632666535333761666131620a663537646436643839616531643561")
DERANDOMIZED = settings(FUZZ, derandomize=True)

# Pieces of real inventories, shuffled into files that are often broken in interesting ways.
FRAGMENTS = [
    "all:",
    "  hosts:",
    "    h1:",
    "  children:",
    "    web:",
    "      hosts:",
    "        w[1:3]:",
    "      vars:",
    "        ansible_user: ops",
    "        ansible_port: '2222'",
    "  vars:",
    "- item",
    "    ansible_password: !vault |",
    "      $ANSIBLE_VAULT;1.1;AES256",
    "\t tab: 1",
    "x: &a 1",
    "y: *a",
    "z: [1, {a: b",
    'q: "unclosed',
    "b: |+",
    "  keep",
    "[web]",
    "[web:vars]",
    "[prod:children]",
    "web",
    "h2:2222 ansible_host=10.0.0.2",
    "h3 ansible_ssh_pass=Sample-Db2-Password",
    "h[1:99999999]",
    "[bad section]",
    "k = {{ j }}",
    "---",
    "...",
    "  ? complex",
    "h4 a='b",
]


def check(path: Path):
    result = check_source(AnsibleSource, path)
    printed = "\n".join([*(str(d) for d in result.diagnostics), *(record_text(h) for h in result.hosts)])
    assert not [s for s in SECRETS if s in printed]
    return result


@DERANDOMIZED
@given(cut=st.integers(min_value=0, max_value=len(YAML)))
def test_truncated_yaml(workdir, cut):
    check(write(workdir, "cut.yml", YAML[:cut]))


@DERANDOMIZED
@given(cut=st.integers(min_value=0, max_value=len(INI)))
def test_truncated_ini(workdir, cut):
    check(write(workdir, "cut.ini", INI[:cut]))


@DERANDOMIZED
@given(picks=st.lists(st.sampled_from(FRAGMENTS), max_size=25), suffix=st.sampled_from([".yml", ".ini", ""]))
def test_shuffled_fragments(workdir, picks, suffix):
    check(write(workdir, "mix" + suffix, "\n".join(picks).encode()))


@DERANDOMIZED
@given(data=st.binary(max_size=400))
def test_random_bytes(workdir, data):
    check(write(workdir, "noise.yml", data))
