"""What Tabby makes of its config: defaults merged into each profile, groups as folders, old layouts.

Verified in Eugeny/tabby at 14e2d60b9b6d:

* ``tabby-core/src/services/profiles.service.ts`` ``getProfileDefaults``: a profile's defaults are
  the core profile defaults, then the provider's ``configDefaults`` (``tabby-ssh/src/profiles.ts``:
  ``port: 22``, ``user: 'root'``, ``auth: null``, ``privateKeys: []``, ``jumpHost: null``, ...),
  then ``profileDefaults.ssh`` of the config, then ``defaults.ssh`` of the profile's own group,
  merged by ``configMerge`` (deepmerge, arrays replaced). ``ConfigProxy``
  (``services/config.service.ts``) then shows, for every key the defaults have, the profile's value
  unless it is ``undefined`` (``null`` counts as a value); keys the defaults lack are invisible.
  Tabby saves a profile without the values equal to their defaults, so ``user: root`` and
  ``port: 22`` are usually absent from the file.
* ``resolveProfileGroupPath``: a profile's ``group`` is a group ``id``; the path follows
  ``parentGroupId`` at most 30 levels; an id that is no group is shown as the id itself.
* ``ConfigService.migrate``: before version 3, SSH connections were ``ssh.connections`` (name,
  group, ``jumpHost`` by name, ``privateKey`` before version 1); before version 5, ``group`` was
  the group's name.
"""

from __future__ import annotations

import copy

SSH_OPTION_DEFAULTS = {
    "host": "",
    "port": 22,
    "user": "root",
    "auth": None,
    "password": None,
    "privateKeys": [],
    "jumpHost": None,
    "agentForward": False,
    "x11": False,
    "proxyCommand": None,
    "socksProxyHost": None,
    "socksProxyPort": None,
    "httpProxyHost": None,
    "httpProxyPort": None,
    "forwardedPorts": [],
    "scripts": [],
}
PROFILE_DEFAULTS = {
    "id": "",
    "type": "",
    "name": "",
    "group": "",
    "isBuiltin": False,
    "isTemplate": False,
    "options": {},
}
MAX_GROUP_DEPTH = 30


def config_merge(a, b):
    """``deepmerge(a, b, {arrayMerge: (_d, s) => s})``: mappings merge, anything else replaces."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = config_merge(a[k], v) if k in a else copy.deepcopy(v)
        return out
    return copy.deepcopy(b)


def _structural(v) -> bool:
    return isinstance(v, dict) and bool(v) and not v.get("__nonStructural")


def effective(real, defaults: dict) -> dict:
    """What ``ConfigProxy(real, defaults)`` shows: default keys only, the real value unless absent."""
    real = real if isinstance(real, dict) else {}
    out = {}
    for key, default in defaults.items():
        if _structural(default):
            out[key] = effective(real.get(key), default)
        else:
            out[key] = real[key] if key in real else copy.deepcopy(default)
    return out


def ssh_defaults(config: dict, group: dict | None) -> dict:
    provider = {"options": SSH_OPTION_DEFAULTS, "clearServiceMessagesOnConnect": True}
    layers = [PROFILE_DEFAULTS, provider]
    user_defaults = config.get("profileDefaults")
    if isinstance(user_defaults, dict) and isinstance(user_defaults.get("ssh"), dict):
        layers.append(user_defaults["ssh"])
    group_defaults = (group or {}).get("defaults")
    if isinstance(group_defaults, dict) and isinstance(group_defaults.get("ssh"), dict):
        layers.append(group_defaults["ssh"])
    merged: dict = {}
    for layer in layers:
        merged = config_merge(merged, layer)
    return merged


def group_path(group_id, groups: dict[str, dict]) -> tuple[list[str], bool]:
    """(folder names, whether a parent loop cut the path short)."""
    names: list[str] = []
    current = group_id
    seen: set[str] = set()
    for _ in range(MAX_GROUP_DEPTH + 1):
        if not isinstance(current, str) or not current:
            break
        if current in seen:
            return names, True
        seen.add(current)
        group = groups.get(current)
        if group is None:
            names.insert(0, current)
            break
        if isinstance(group.get("name"), str) and group["name"]:
            names.insert(0, group["name"])
        current = group.get("parentGroupId")
    return names, False


def migrate_connections(config: dict) -> list[dict]:
    """``ssh.connections`` of a config older than version 3, as the profiles Tabby's migration makes."""
    ssh = config.get("ssh")
    connections = ssh.get("connections") if isinstance(ssh, dict) else None
    if not isinstance(connections, list):
        return []
    out = []
    for c in connections:
        if not isinstance(c, dict):
            continue
        options = dict(c)
        if "privateKey" in options and "privateKeys" not in options and (config.get("version") or 0) < 1:
            options["privateKeys"] = [options.pop("privateKey")]
        profile = {"type": "ssh", "name": c.get("name"), "options": options}
        if c.get("group"):
            profile["group"] = c.get("group")
        if hasattr(c, "lines"):
            profile["_line"] = min(c.lines.values(), default=None)
        out.append(profile)
    return out
