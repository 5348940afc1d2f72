"""YAML inventories: the group tree ansible-core's ``yaml`` plugin builds from the parsed document.

Each top-level key is a group (usually ``all``) with optional ``vars``, ``children`` and
``hosts``. The sections are handled in file order, so a host listed twice takes the later value of
a variable, as in Ansible.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.sources.ansible.inventory import Inventory
from migrator.sources.ansible.patterns import PatternError, expand_hostpattern
from migrator.sources.ansible.yaml_scalars import Unsupported
from migrator.sources.ansible.yaml_subset import YMap, parse_yaml

_SECTIONS = ("vars", "children", "hosts")


def _line(mapping, key) -> int | None:
    return getattr(mapping, "lines", {}).get(key)


def read_yaml(inv: Inventory, text: str) -> None:
    data, problems = parse_yaml(text)
    for p in problems:
        inv.problem(p.level, "yaml-syntax", p.message, line=p.line)
    if data is None:
        inv.problem("error", "empty-inventory", "the YAML file holds no inventory", line=1)
        return
    if not isinstance(data, Mapping):
        inv.problem("error", "yaml-structure", "a YAML inventory must be a mapping of groups at the top level", line=1)
        return
    if "plugin" in data:
        inv.problem(
            "error",
            "inventory-plugin",
            "this is an inventory plugin configuration, not an inventory; "
            "export it with 'ansible-inventory -i FILE --list -y' and import that",
            line=_line(data, "plugin"),
        )
        return
    for name, group_data in data.items():
        _group(inv, name, group_data, _line(data, name))


def _group(inv: Inventory, name, data, line: int | None) -> str | None:
    if not isinstance(name, str) or not name:
        inv.problem("error", "yaml-structure", "a group name must be text; this group is not read", line=line)
        return None
    if data is not None and not isinstance(data, Mapping):
        inv.problem(
            "warning",
            "yaml-structure",
            "not a group definition (expected vars, children or hosts); skipped",
            line=line,
            entry=name,
        )
        return None
    if not inv.add_group(name, line):
        return None
    if data is None:
        return name
    for section in _SECTIONS:
        value = data.get(section)
        if isinstance(value, str):
            data[section] = _with_lines({value: None}, _line(data, section))
    for key, value in data.items():
        key_line = _line(data, key)
        if value is None:
            continue
        if isinstance(value, Unsupported):
            inv.problem(
                "error",
                "yaml-unsupported",
                f"the {key!r} section could not be read ({value.reason})",
                line=key_line,
                entry=name,
            )
            continue
        if not isinstance(value, Mapping):
            level = "error" if key in _SECTIONS else "warning"
            inv.problem(
                level, "yaml-structure", f"the {key!r} section must be a mapping; skipped", line=key_line, entry=name
            )
            continue
        if key == "vars":
            for var, val in value.items():
                if not isinstance(var, str):
                    inv.problem(
                        "warning",
                        "yaml-structure",
                        "a variable name must be text; skipped",
                        line=_line(value, var),
                        entry=name,
                    )
                    continue
                inv.set_group_var(name, var, val, _line(value, var))
        elif key == "children":
            for child, child_data in value.items():
                child_name = _group(inv, child, child_data, _line(value, child))
                if child_name is not None:
                    inv.add_child(name, child_name, _line(value, child))
        elif key == "hosts":
            for pattern, host_vars in value.items():
                _hosts(inv, name, pattern, host_vars, _line(value, pattern))
        else:
            inv.problem(
                "warning",
                "yaml-structure",
                f"unexpected key {key!r} in a group (only vars, children and hosts are read); skipped",
                line=key_line,
                entry=name,
            )
    return name


def _with_lines(mapping: dict, line: int | None) -> dict:
    out = YMap()
    for k, v in mapping.items():
        out[k] = v
        out.lines[k] = line
    return out


def _hosts(inv: Inventory, group: str, pattern, host_vars, line: int | None) -> None:
    if not isinstance(pattern, str):
        inv.problem(
            "error",
            "host-pattern",
            "a host name must be text (quote numbers); this host is not read",
            line=line,
            entry=group,
        )
        return
    try:
        names, port = expand_hostpattern(pattern)
    except PatternError as exc:
        inv.problem("error", "host-pattern", f"{exc}; not read", line=line, entry=group)
        return
    if host_vars is not None and not isinstance(host_vars, Mapping):
        inv.problem(
            "error",
            "yaml-structure",
            "host variables must be a mapping; this host is not read",
            line=line,
            entry=pattern,
        )
        return
    for host_name in names:
        if not host_name:
            inv.problem("error", "host-pattern", "empty host name; not read", line=line, entry=group)
            return
        host = inv.add_host(host_name, group, port, line)
        for var, val in (host_vars or {}).items():
            if not isinstance(var, str):
                inv.problem(
                    "warning",
                    "yaml-structure",
                    "a variable name must be text; skipped",
                    line=_line(host_vars, var),
                    entry=host_name,
                )
                continue
            inv.set_host_var(host, var, val, _line(host_vars, var) or line)
