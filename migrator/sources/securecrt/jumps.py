"""``Firewall Name=Session:<path>``: a session that connects through another saved session.

The path names the jump session below ``Sessions``, folders separated by ``\\`` (seen in public
SecureCRT scripts: ``Session:Nanitor\\Nanitor Jump``) or ``/`` (SecureCRT's scripting API saves
paths with it); both are accepted, and names compare case-insensitively as Windows file names do
[inferred]. The jump session is reached the way it is reached on its own (its own firewall), so
the hop names it and the mapper builds the chain. A path that names no session, a non-SSH session,
a session that is not imported, or a loop holds the entry.
"""

from __future__ import annotations

import re

from migrator.model import Diagnostic, Host, JumpHop
from migrator.sources.securecrt.fields import SessionFields
from migrator.sources.securecrt.settings import RawSession


def normalize_path(path: str) -> str:
    return "/".join(p.strip().casefold() for p in re.split(r"[\\/]", path) if p.strip())


def resolve_jumps(
    sessions: list[RawSession],
    candidates: list[tuple[RawSession, SessionFields]],
    keys: dict[int, str],
    hosts: dict[str, Host],
    held: set[str],
) -> list[Diagnostic]:
    """Set each host's jump hop; hold the entries whose jump cannot be built. Returns the diagnostics."""
    diags: list[Diagnostic] = []
    by_path: dict[str, RawSession] = {}
    for s in sessions:
        by_path.setdefault(normalize_path(s.path), s)
    ssh = {keys[id(s)] for s, _ in candidates}
    edges: dict[str, tuple[str, RawSession]] = {}
    origin: dict[str, RawSession] = {}

    def hold(s: RawSession, message: str, code: str = "jump-invalid") -> None:
        held.add(keys[id(s)])
        line = s.get("Firewall Name").line if s.get("Firewall Name") else s.line
        diags.append(
            Diagnostic(
                level="error",
                code=code,
                message=f"not imported: {message}",
                file=s.file,
                line=line,
                field="Firewall Name",
                entry=s.path,
            )
        )

    for s, f in candidates:
        key = keys[id(s)]
        origin[key] = s
        if f.firewall_session is None or key not in hosts:
            continue
        target = by_path.get(normalize_path(f.firewall_session))
        if target is None:
            hold(s, f"its firewall names session {f.firewall_session!r}, which is not in this configuration")
        elif keys[id(target)] == key:
            hold(s, "its firewall names the session itself", "jump-loop")
        elif keys[id(target)] not in ssh:
            hold(s, f"its jump session {target.path!r} is not an SSH session that is imported (see its diagnostic)")
        else:
            edges[key] = (keys[id(target)], target)

    for start in list(edges):
        seen = [start]
        node = start
        while node in edges:
            node = edges[node][0]
            if node in seen:
                cycle = seen[seen.index(node) :]
                names = " -> ".join(origin[k].path for k in [*cycle, node])
                for k in cycle:
                    if k not in held:
                        hold(origin[k], f"its jump sessions form a loop ({names})", "jump-loop")
                break
            seen.append(node)

    changed = True
    while changed:
        changed = False
        for key, (target, t) in edges.items():
            if key not in held and (target in held or target not in hosts):
                hold(origin[key], f"its jump session {t.path!r} is not imported (see its diagnostic)")
                changed = True
    for key, (target, t) in edges.items():
        if key in held:
            continue
        hop_host = hosts[target]
        hosts[key].jump = [
            JumpHop(host=hop_host.address, port=hop_host.port, user=hop_host.user, ref=t.name, ref_key=target)
        ]
    return diags
