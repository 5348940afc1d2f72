"""The jump-host graph: which entry each connection goes through.

XPipe expresses a chain by chaining entries (each ``ssh`` entry has one ``gateway``). A source's
jump list ``[h1, h2, ..., hn]`` means: reach ``h1`` the way ``h1`` itself is reached (its own jump
chain, as OpenSSH does for a ProxyJump alias), then ``h2`` through ``h1`` and so on. A hop that is
an inventory host is reused when its own gateway is the one the chain needs; otherwise a hop entry
is generated ("h2 via h1"), and so is every hop that names no inventory host.

A chain of more than ``MAX_JUMP_HOPS`` hops is not imported: each generated hop carries the path
before it (its key and its "via"), so a crafted ``-J`` of 3,000 hops cost minutes and quadratic
memory, and a long run of hosts each jumping through the previous one would exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.model import Diagnostic, Host, JumpHop
from migrator.sources.limits import MAX_JUMP_HOPS


@dataclass(frozen=True)
class Node:
    """An entry in the graph: an inventory host (``host_key``) or a generated hop."""

    key: str
    gateway: str | None  # key of the gateway node; None = the local machine
    host_key: str | None = None
    hop: JumpHop | None = None
    via: tuple[str, ...] = ()


@dataclass
class GatewayGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def chain(self, key: str) -> list[str]:
        """Gateway keys from the first hop to the direct gateway of ``key``."""
        out: list[str] = []
        node = self.nodes.get(key)
        while node and node.gateway:
            out.append(node.gateway)
            node = self.nodes.get(node.gateway)
        return list(reversed(out))


def _hop_key(hop: JumpHop, gateway: str | None) -> str:
    user = hop.user or ""
    return f"hop:{user}@{hop.host.lower()}:{hop.port or 22}" + (f"<{gateway}" if gateway else "")


class _Overflow(Exception):
    """Resolving a host went through more than ``MAX_JUMP_HOPS`` other hosts."""


class GatewayResolver:
    """Builds the graph for a set of hosts, detecting cycles instead of following them."""

    def __init__(self, hosts: list[Host], excluded: dict[str, str] | None = None):
        self.hosts = {h.key: h for h in hosts}
        self.excluded = excluded or {}
        self.by_name: dict[tuple[str, str], str] = {}
        for h in hosts:
            self.by_name.setdefault((h.source.file, h.name), h.key)
        self.graph = GatewayGraph()
        self._resolving: list[str] = []

    def build(self) -> GatewayGraph:
        for key in self.hosts:
            try:
                self._resolve_host(key)
            except _Overflow:  # its chain runs through more than MAX_JUMP_HOPS hosts
                self._too_long(self.hosts[key])
        return self.graph

    def _target_of(self, hop: JumpHop, owner: Host) -> str | None:
        if hop.ref_key and hop.ref_key in self.hosts:
            return hop.ref_key
        if hop.ref:
            return self.by_name.get((owner.source.file, hop.ref))
        return None

    def _hops_to(self, gateway: str | None) -> int:
        """How many hops a connection through ``gateway`` takes (the gateway included)."""
        return len(self.graph.chain(gateway)) + 1 if gateway else 0

    def _too_long(self, host: Host) -> None:
        self.graph.broken.add(host.key)
        self.graph.diagnostics.append(
            Diagnostic(
                level="error",
                code="jump-too-long",
                file=host.source.file,
                line=host.source.line,
                entry=host.name,
                field="jump",
                message=f"its jump chain has more than {MAX_JUMP_HOPS} hops; this host is not imported",
            )
        )

    def _resolve_host(self, key: str) -> str | None:
        """Return the node key for the inventory host ``key`` (None when it is part of a cycle)."""
        if key in self.graph.nodes:
            return key
        if key in self.graph.broken:
            return None
        host = self.hosts[key]
        if len(host.jump) > MAX_JUMP_HOPS:
            self._too_long(host)
            return None
        if len(self._resolving) > MAX_JUMP_HOPS:
            raise _Overflow  # the outermost host is too long; the ones inside are judged on their own turn
        if key in self._resolving:
            cycle = self._resolving[self._resolving.index(key) :] + [key]
            names = " -> ".join(self.hosts[k].name for k in cycle)
            for k in cycle:
                if k not in self.graph.broken:
                    self.graph.broken.add(k)
                    h = self.hosts[k]
                    self.graph.diagnostics.append(
                        Diagnostic(
                            level="error",
                            code="jump-cycle",
                            file=h.source.file,
                            line=h.source.line,
                            entry=h.name,
                            field="jump",
                            message=f"jump hosts form a cycle ({names}); this host is not imported",
                        )
                    )
            return None
        self._resolving.append(key)
        try:
            gateway: str | None = None
            for i, hop in enumerate(host.jump):
                gateway = self._resolve_hop(hop, host, gateway, first=(i == 0))
                if gateway is None and key in self.graph.broken:
                    return None
                if gateway is None:
                    self.graph.broken.add(key)
                    return None
                if i == 0 and self._hops_to(gateway) + len(host.jump) - 1 > MAX_JUMP_HOPS:
                    self._too_long(host)  # before any hop entry is generated for it
                    return None
            if key in self.graph.broken:
                return None
            if self._hops_to(gateway) > MAX_JUMP_HOPS:
                self._too_long(host)
                return None
            self.graph.nodes[key] = Node(key=key, gateway=gateway, host_key=key)
            return key
        finally:
            self._resolving.pop()

    def _resolve_hop(self, hop: JumpHop, owner: Host, gateway: str | None, first: bool) -> str | None:
        if hop.ref_key in self.excluded:
            self.graph.broken.add(owner.key)
            self.graph.diagnostics.append(
                Diagnostic(
                    level="error",
                    code="jump-host-not-imported",
                    file=owner.source.file,
                    line=owner.source.line,
                    entry=owner.name,
                    field="jump",
                    message=f"its jump host '{self.excluded[hop.ref_key]}' is not imported (see its error); "
                    "this host is not imported either",
                )
            )
            return None
        target = self._target_of(hop, owner)
        if target is not None:
            if target == owner.key:
                self.graph.diagnostics.append(
                    Diagnostic(
                        level="error",
                        code="jump-cycle",
                        file=owner.source.file,
                        line=owner.source.line,
                        entry=owner.name,
                        field="jump",
                        message="the host names itself as its own jump host; it is not imported",
                    )
                )
                self.graph.broken.add(owner.key)
                return None
            if first:
                return self._resolve_host(target)
            resolved = self._resolve_host(target)
            if resolved is not None and self.graph.nodes[resolved].gateway == gateway:
                return resolved
            if resolved is None and target in self.graph.broken:
                self.graph.broken.add(owner.key)
                return None
            t = self.hosts[target]
            hop = JumpHop(host=t.address, port=t.port, user=t.user, ref=t.name, ref_key=target)
        if self._hops_to(gateway) + 1 > MAX_JUMP_HOPS:
            self._too_long(owner)
            return None
        key = _hop_key(hop, gateway)
        if key not in self.graph.nodes:
            self.graph.nodes[key] = Node(
                key=key,
                gateway=gateway,
                hop=hop,
                via=tuple(self.graph.chain(gateway) + [gateway]) if gateway else (),
            )
            what = f"'{hop.ref}'" if hop.ref else hop.label()
            reason = (
                "is reached through a different gateway here than on its own"
                if hop.ref_key
                else "is not itself in the inventory"
            )
            self.graph.diagnostics.append(
                Diagnostic(
                    level="info",
                    code="generated-hop",
                    file=owner.source.file,
                    line=owner.source.line,
                    entry=owner.name,
                    field="jump",
                    message=f"jump host {what} {reason}; a hop entry is generated for it",
                )
            )
        return key
