"""The real ``ansible-inventory --list`` as an oracle, and the same view of what our reader built."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.sources.ansible.inventory import ALL, Inventory
from migrator.sources.ansible.source import AnsibleOptions, read_inventory_model
from migrator.sources.ansible.yaml_scalars import Unsafe, Unsupported, Vaulted

ORACLE_TIMEOUT = 120


def ansible_inventory_bin() -> str:
    """``ansible-inventory`` next to this Python (the ``test`` extra installs ansible-core)."""
    local = Path(sys.executable).with_name("ansible-inventory")
    found = str(local) if local.exists() else shutil.which("ansible-inventory")
    if not found:
        pytest.fail("ansible-inventory is missing: install the test extra (pip install -e '.[test]')")
    return found


def oracle(path: Path, home: Path) -> dict:
    """What ``ansible-inventory -i PATH --list`` prints, with the INI or YAML plugin only; fails on errors."""
    plugin = "yaml" if path.suffix in (".yml", ".yaml", ".json") else "ini"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "ANSIBLE_HOME": str(home / ".ansible"),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_INVENTORY_ENABLED": plugin,
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_NOCOLOR": "1",
        "LC_ALL": "C.UTF-8",
    }
    run = subprocess.run(
        [ansible_inventory_bin(), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=ORACLE_TIMEOUT,
        cwd=str(home),
    )
    assert run.returncode == 0, f"ansible-inventory refused {path.name}: {run.stderr[-2000:]}"
    return json.loads(run.stdout)


def _plain(value):
    """Our parsed values in the JSON shape ansible-inventory prints them."""
    if isinstance(value, Vaulted):
        return "<vault>"
    if isinstance(value, Unsafe):
        return {"__ansible_unsafe": str(value)}
    if isinstance(value, Unsupported):
        return "<unsupported>"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, dict):
        return {json.dumps(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _their(value):
    if isinstance(value, dict) and set(value) == {"__ansible_vault"}:
        return "<vault>"
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, dict):
        return {k: _their(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_their(v) for v in value]
    return value


def _normalise_keys(value):
    """JSON object keys are text: turn ours into what json.dumps would write (True -> "true", 1 -> "1")."""
    return json.loads(json.dumps(value, default=str), parse_constant=lambda c: "<nan>" if c == "NaN" else float(c))


def our_view(inv: Inventory) -> dict:
    """``{"hostvars": ..., "groups": {name: (hosts, children)}}`` from our model."""
    hostvars = {}
    for host in inv.hosts.values():
        values, _ = inv.effective_vars(host)
        hostvars[host.name] = _normalise_keys(_plain(values))
    groups = {}
    for name, group in inv.groups.items():
        hosts = set() if name == ALL else set(group.hosts)
        if hosts or group.children:
            groups[name] = (hosts, set(group.children))
    return {"hostvars": hostvars, "groups": groups}


def their_view(listing: dict) -> dict:
    hostvars = {name: _their(v) for name, v in listing.get("_meta", {}).get("hostvars", {}).items()}
    groups = {}
    for name, data in listing.items():
        if name == "_meta":
            continue
        hosts = set() if name == ALL else set(data.get("hosts", []))
        if hosts or data.get("children"):
            groups[name] = (hosts, set(data.get("children", [])))
    names = set(hostvars)
    for hosts, _ in groups.values():
        names |= hosts
    return {"hostvars": {n: hostvars.get(n, {}) for n in names}, "groups": groups}


def compare_with_oracle(path: Path, home: Path) -> dict:
    """Assert our model of ``path`` equals ansible-inventory's; returns our view for further checks."""
    inv, _ = read_inventory_model(path.read_bytes(), path.as_posix(), AnsibleOptions())
    ours, theirs = our_view(inv), their_view(oracle(path, home))
    assert set(ours["hostvars"]) == set(theirs["hostvars"]), path.name
    for name, expected in theirs["hostvars"].items():
        assert ours["hostvars"][name] == expected, (path.name, name)
    assert ours["groups"] == theirs["groups"], path.name
    return ours
