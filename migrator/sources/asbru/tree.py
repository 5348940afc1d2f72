"""The connection tree of an Ásbrú file: which environments the user sees, and in which folders.

``environments`` maps a UUID to a connection or a group (``_is_group: 1``). Ásbrú draws the tree
from ``children`` alone, starting at ``__PAC__ROOT__`` (``lib/PACMain.pm`` ``_loadTreeConfiguration``);
``parent`` is kept beside it. A partial export (``__exportNodes``) has the environments at the top
level of the document and the root ``__PAC__EXPORTED__``. An environment no group lists is not in
Ásbrú's tree: it is reported, not imported. Without any root (a hand-made file) the ``parent``
links are followed instead. The walk visits each environment once, so a loop of groups or a child
listed twice cannot make it run longer than the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from migrator.sources.ansible.yaml_scalars import Unsupported
from migrator.sources.limits import MAX_FOLDER_DEPTH

ROOT = "__PAC__ROOT__"
EXPORT_ROOT = "__PAC__EXPORTED__"
#: Folders nested deeper than this are not followed (Ásbrú has no limit; a crafted file might).
MAX_DEPTH = MAX_FOLDER_DEPTH


@dataclass
class Placed:
    uuid: str
    folder: list[str]


@dataclass
class TreeProblem:
    uuid: str | None
    level: str
    code: str
    message: str


def is_group(env: Mapping) -> bool:
    return perl_true(env.get("_is_group"))


def perl_list(value) -> list:
    """A loaded array; anything else (a scalar, a hash, an unreadable value) holds no items."""
    return value if isinstance(value, list) else []


def perl_scalar(value) -> bool:
    """Whether ``value`` is a scalar the file really holds (undef included): not a hash, an array, or
    a value the YAML reader could not take."""
    return not isinstance(value, (dict, list, Unsupported))


def perl_true(value) -> bool:
    """Perl truthiness of a loaded scalar: undef, ``''`` and ``'0'`` are false; so is a value the YAML
    reader could not take (an unknown tag, an alias it refused: already reported on its line)."""
    if value is None or isinstance(value, Unsupported):
        return False
    if isinstance(value, (dict, list)):
        return True
    return str(value) not in ("", "0")


def group_name(envs: Mapping, uuid: str) -> str:
    env = envs.get(uuid)
    name = env.get("name") if isinstance(env, Mapping) else None
    return name.strip() if isinstance(name, str) and name.strip() else uuid


def walk(envs: Mapping, root: str | None) -> tuple[list[Placed], list[TreeProblem]]:
    """Every connection reachable from ``root``'s ``children``, in file order, with its folder names."""
    if root is None:
        return _by_parent(envs)
    placed: list[Placed] = []
    problems: list[TreeProblem] = []
    seen: set[str] = {root}
    stack: list[tuple[str, list[str], int]] = [(root, [], 0)]
    while stack:
        uuid, folder, depth = stack.pop()
        env = envs.get(uuid)
        children = env.get("children") if isinstance(env, Mapping) else None
        if children is None:
            continue
        if not isinstance(children, Mapping):
            problems.append(TreeProblem(uuid, "warning", "bad-children", "its 'children' is not a mapping; ignored"))
            continue
        below: list[tuple[str, list[str], int]] = []
        for child in children:
            child = str(child)
            if child in seen:
                problems.append(
                    TreeProblem(
                        child, "warning", "listed-twice", "listed as a child more than once; its first place is used"
                    )
                )
                continue
            child_env = envs.get(child)
            if not isinstance(child_env, Mapping):
                problems.append(TreeProblem(uuid, "warning", "missing-child", "lists a child that is not in the file"))
                continue
            seen.add(child)
            if is_group(child_env):
                if depth + 1 > MAX_DEPTH:
                    problems.append(
                        TreeProblem(child, "error", "too-deep", f"folders nested deeper than {MAX_DEPTH}; not read")
                    )
                    continue
                below.append((child, [*folder, group_name(envs, child)], depth + 1))
            else:
                placed.append(Placed(child, folder))
        stack.extend(reversed(below))
    for uuid, env in envs.items():
        uuid = str(uuid)
        if uuid not in seen and isinstance(env, Mapping) and not is_group(env) and not uuid.startswith("__PAC"):
            problems.append(
                TreeProblem(
                    uuid,
                    "warning",
                    "not-in-tree",
                    "not imported: no group lists it as a child, so Ásbrú does not show it",
                )
            )
    return placed, problems


def _by_parent(envs: Mapping) -> tuple[list[Placed], list[TreeProblem]]:
    """Folders from ``parent`` links (no root in the file), a loop or a missing parent ending the path."""
    placed: list[Placed] = []
    problems: list[TreeProblem] = []
    for uuid, env in envs.items():
        uuid = str(uuid)
        if not isinstance(env, Mapping) or is_group(env) or uuid.startswith("__PAC"):
            continue
        folder: list[str] = []
        seen = {uuid}
        parent = env.get("parent")
        while isinstance(parent, str) and parent not in seen and len(folder) < MAX_DEPTH:
            seen.add(parent)
            penv = envs.get(parent)
            if not isinstance(penv, Mapping) or not is_group(penv):
                break
            folder.append(group_name(envs, parent))
            parent = penv.get("parent")
        placed.append(Placed(uuid, folder[::-1]))
    return placed, problems
