"""Our INI and YAML readers against the real ``ansible-inventory --list`` on the same files.

Every host, every variable it ends up with (after group precedence) and every group's hosts and
children must agree. The files are the shipped samples, the fixtures in tests/data/ansible, and a
seeded, generated set that mixes nested groups, priorities, ranges, ``host:port`` forms, repeated
hosts and the value spellings that Ansible types differently in INI and YAML.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.ansible import compare_with_oracle
from helpers.paths import REPO_ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = REPO_ROOT
FILES = sorted([*(ROOT / "samples" / "ansible").iterdir(), *(ROOT / "tests" / "data" / "ansible").glob("valid-*")])
FILES_GENERATED = 6
MODELS_PER_FILE = 8

# Value spellings: (INI host-line token value, INI [vars] value, YAML value). Each is read by its own rules.
INI_HOST_VALUES = [
    "2222",
    "'a b'",
    '"[1, 2]"',
    "yes",
    "0755",
    "1e3",
    "True",
    "\"{'k': 1}\"",
    "none",
    "-1",
    "'{{ other }}'",
    "x#y",
    "'it''s'",
    "3.5",
    '"-o ProxyJump=bastion"',
    "None",
    "'%h:%p'",
]
INI_VAR_VALUES = [
    "2222",
    "'quoted'",
    "foo # not a comment",
    "True",
    "[1, 2]",
    '"x y"',
    "0o17",
    "plain text",
    "{{ templ }}",
    "'-o ProxyCommand=\"ssh -W %h:%p gw\"'",
    "1_000",
    "''",
]
YAML_VALUES = [
    "yes",
    "No",
    "0755",
    '"quoted"',
    "'single'",
    "1:20",
    "~",
    "[a, 1, 'b c']",
    "{k: v, n: 2}",
    "2001-12-14",
    "1.5",
    ".inf",
    "plain words here",
    '"esc\\tx"',
    "1e3",
    "0x1F",
    "off",
    "'0755'",
    "!unsafe '{{ x }}'",
    '"{{ y }}"',
    "-12",
    "''",
    "|\n{ind}  block\n{ind}  text",
    ">-\n{ind}  fold\n{ind}  ed",
]
NAMES = ["web", "db", "app", "edge", "prod", "stage", "eu", "us", "lb", "cache"]
HOSTS = ["alpha", "beta.example.com", "10.0.0.{n}", "gamma-{n}", "db{n}.internal", "h_{n}"]
VARS = [
    "ansible_host",
    "ansible_port",
    "ansible_user",
    "ansible_ssh_user",
    "color",
    "tier",
    "ansible_ssh_common_args",
    "x",
]


def _model(rng: random.Random, prefix: str) -> dict:
    """One random group tree; every name starts with ``prefix`` so several trees can share a file."""
    groups = [prefix + g for g in rng.sample(NAMES, rng.randint(1, 6))]
    model = {"groups": {}, "order": groups}
    for i, g in enumerate(groups):
        later = groups[i + 1 :]
        children = rng.sample(later, rng.randint(0, min(2, len(later)))) if later else []
        hosts = []
        for _ in range(rng.randint(0, 4)):
            name = prefix + rng.choice(HOSTS).format(n=rng.randint(1, 9))
            kind = rng.random()
            if kind < 0.15:
                name = name.split(".")[0] + "[1:3]" if "{" not in name else name
            elif kind < 0.2:
                name = prefix + "n[08:11]"
            elif kind < 0.25:
                name = prefix + "r[a:c]"
            elif kind < 0.3:
                name = f"{name}:{rng.randint(1, 65535)}"
            hosts.append((name, {k: rng.randrange(1000) for k in rng.sample(VARS, rng.randint(0, 3))}))
        gvars = {k: rng.randrange(1000) for k in rng.sample(VARS, rng.randint(0, 3))}
        if rng.random() < 0.3:
            gvars["ansible_group_priority"] = rng.randint(1, 5)
        model["groups"][g] = {"children": children, "hosts": hosts, "vars": gvars}
    model["ungrouped"] = [(prefix + rng.choice(["lone", "solo:2201", "h[1:2]"]), {}) for _ in range(rng.randint(0, 2))]
    model["all_vars"] = {k: rng.randrange(1000) for k in rng.sample(VARS, rng.randint(0, 2))}
    return model


def _ini(model: dict, rng: random.Random) -> str:
    def host_line(name, hv):
        parts = [name] + [f"{k}={INI_HOST_VALUES[v % len(INI_HOST_VALUES)]}" for k, v in hv.items()]
        return " ".join(parts) + (rng.choice(["", "  # trailing comment"]))

    out = ["# generated", *(host_line(n, hv) for n, hv in model["ungrouped"])]
    for g in model["order"]:
        data = model["groups"][g]
        out += ["", f"[{g}]", *(host_line(n, hv) for n, hv in data["hosts"])]
        if data["children"]:
            out += [f"[{g}:children]", *data["children"]]
        if data["vars"]:
            out += [f"[{g}:vars]", *(f"{k}{rng.choice(['=', ' = '])}{_ini_var(k, v)}" for k, v in data["vars"].items())]
    if model["all_vars"]:
        out += ["[all:vars]", *(f"{k}={_ini_var(k, v)}" for k, v in model["all_vars"].items())]
    return "\n".join(out) + "\n"


def _ini_var(key: str, v: int) -> str:
    return str(v % 5 + 1) if key == "ansible_group_priority" else INI_VAR_VALUES[v % len(INI_VAR_VALUES)]


def _yaml(model: dict, rng: random.Random) -> str:
    def yval(key, v, ind):
        if key == "ansible_group_priority":
            return str(v)
        return YAML_VALUES[v % len(YAML_VALUES)].replace("{ind}", ind)

    def mapping(d, ind):
        return [f"{ind}{k}: {yval(k, v, ind)}" for k, v in d.items()]

    def group(name, ind, seen):
        data = model["groups"][name]
        lines = [f"{ind}{name}:"]
        if data["vars"]:
            lines += [f"{ind}  vars:", *mapping(data["vars"], ind + "    ")]
        if data["hosts"]:
            lines.append(f"{ind}  hosts:")
            for host, hv in data["hosts"]:
                key = f'"{host}"' if host.startswith("[") else host
                lines.append(f"{ind}    {key}:" + ("" if hv else rng.choice(["", " # none"])))
                lines += mapping(hv, ind + "      ")
        if data["children"]:
            lines.append(f"{ind}  children:")
            for child in data["children"]:
                if child in seen:
                    lines.append(f"{ind}    {child}:")
                else:
                    seen.add(child)
                    lines += group(child, ind + "    ", seen)
        return lines

    out = ["---", "all:"]
    if model["all_vars"]:
        out += ["  vars:", *mapping(model["all_vars"], "    ")]
    if model["ungrouped"]:
        out += ["  hosts:", *(f'    "{n}":' for n, _ in model["ungrouped"])]
    out.append("  children:")
    seen: set[str] = set()
    for g in model["order"]:
        if g not in seen:
            seen.add(g)
            out += group(g, "    ", seen)
    return "\n".join(out) + "\n"


def _merge(models: list[dict]) -> dict:
    """Several prefixed trees as one inventory (the ``all`` variables of the first one)."""
    return {
        "groups": {g: d for m in models for g, d in m["groups"].items()},
        "order": [g for m in models for g in m["order"]],
        "ungrouped": [h for m in models for h in m["ungrouped"]],
        "all_vars": models[0]["all_vars"],
    }


def _generated(tmp: Path) -> list[Path]:
    rng = random.Random(20261201)
    paths = []
    for i in range(FILES_GENERATED):
        model = _merge([_model(rng, f"m{j}_") for j in range(MODELS_PER_FILE)])
        ini, yml = tmp / f"gen{i:02d}.ini", tmp / f"gen{i:02d}.yml"
        ini.write_text(_ini(model, rng), encoding="utf-8")
        yml.write_text(_yaml(model, rng), encoding="utf-8")
        paths += [ini, yml]
    return paths


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fixture_matches_ansible_inventory(path, tmp_path):
    ours = compare_with_oracle(path, tmp_path)
    assert ours["hostvars"], "each fixture has hosts"


def test_generated_inventories_match_ansible_inventory(tmp_path):
    paths = _generated(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        views = list(pool.map(lambda p: compare_with_oracle(p, tmp_path), paths))
    assert all(len(v["hostvars"]) > MODELS_PER_FILE for v in views)


_scalar_text = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="\\"), max_size=12)


@settings(derandomize=True, max_examples=8, deadline=None, database=None)
@given(values=st.lists(_scalar_text, min_size=1, max_size=12))
def test_yaml_scalars_match_ansible(tmp_path_factory, values):
    """Arbitrary printable text as plain and quoted YAML values: typed the way Ansible's loader types them."""
    tmp = tmp_path_factory.mktemp("scalars")
    lines = ["all:", "  hosts:", "    h1:"]
    for i, v in enumerate(values):
        quoted = "'" + v.replace("'", "''") + "'"
        lines.append(f"      q{i}: {quoted}")
        if (
            v.strip() == v
            and v
            and v[0] not in "-?:,[]{}#&*!|>'\"%@` "
            and ": " not in v
            and " #" not in v
            and not v.endswith(":")
        ):
            lines.append(f"      p{i}: {v}")
    path = tmp / "scalars.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    compare_with_oracle(path, tmp)
