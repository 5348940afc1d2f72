"""Host model -> XPipe store JSON: ``ssh`` entries, their identities, categories and gateways.

The mapper decides everything that can be decided without the live vault: names, categories,
gateways, identities and which ssh options travel in ``additionalOptions``. Secrets stay
``Secret`` placeholders here; the encryption stage turns them into XPipe's encrypted nodes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from migrator.mapper.desired import EXISTING_IDENTITY, DesiredCategory, DesiredEntry, DesiredState, EntryRef
from migrator.mapper.gateways import GatewayResolver, Node
from migrator.mapper.identities import (
    CredentialResolver,
    IdentityConsolidator,
    ResolvedCredential,
    identity_data,
    no_key_auth,
)
from migrator.mapper.identity_names import IdentityHistory
from migrator.model import Diagnostic, Host, Provenance
from migrator.names import name_key
from migrator.xpipe.constants import LOCAL_MACHINE

ALL_CONNECTIONS_NAME = "All connections"

#: ssh options that must never be carried into XPipe: they run commands.
UNSAFE_OPTIONS = {"proxycommand", "localcommand", "permitlocalcommand", "knownhostscommand", "match"}
#: ssh options the mapper expresses as store fields instead of additionalOptions text.
FIELD_OPTIONS = {
    "hostname",
    "port",
    "user",
    "identityfile",
    "identitiesonly",
    "identityagent",
    "proxyjump",
    "forwardx11",
    "host",
}


@dataclass
class MapperOptions:
    root_category: tuple[str, ...] = ("Imported",)
    password_policy: str = "source"  # "source", "prompt" or "none"
    identities: str = "auto"  # "auto", "inplace" or "shared"
    identity_threshold: int = 2
    identity_category: str = "local"  # "local" or "synced"
    identity_name: str = "{user} ({method})"
    check_keys: bool = True
    name_clash: str = "refuse"  # "refuse" or "rename" (a clash with an entry that is not ours)
    use_identity: str | None = None  # every connection references this existing XPipe identity


@dataclass
class IdentityStats:
    shared: int = 0
    refs: int = 0
    inplace: int = 0
    existing: int = 0

    @property
    def secrets_saved(self) -> int:
        return max(0, self.refs - self.shared)

    def as_dict(self) -> dict:
        return {
            "shared": self.shared,
            "refs": self.refs,
            "inplace": self.inplace,
            "existing": self.existing,
            "secrets_saved": self.secrets_saved,
        }


@dataclass
class MapResult:
    state: DesiredState
    diagnostics: list[Diagnostic] = field(default_factory=list)
    identities: IdentityStats = field(default_factory=IdentityStats)


def _key_inspector(enabled: bool):
    if not enabled:
        return None
    try:
        from migrator.mapper.keys import KeyInspector
    except ImportError:
        return None
    return KeyInspector()


class SshStoreMapper:
    """Maps hosts to desired XPipe entries. One instance per run."""

    def __init__(self, options: MapperOptions | None = None, history: IdentityHistory | None = None):
        """``history``: the shared identities earlier runs made (from the ledger), so they keep their names."""
        self.options = options or MapperOptions()
        self.history = history
        self.diagnostics: list[Diagnostic] = []

    def _diag(self, host: Host, level: str, code: str, message: str, field: str | None = None):
        self.diagnostics.append(
            Diagnostic(
                level=level,
                code=code,
                message=message,
                file=host.source.file,
                line=host.source.line,
                entry=host.name,
                field=field,
            )
        )

    def additional_options(self, host: Host) -> str | None:
        lines = []
        for keyword, value in host.ssh_options:
            low = keyword.lower()
            if low in UNSAFE_OPTIONS:
                self._diag(
                    host,
                    "warning",
                    "unsafe-option",
                    f"ssh option {keyword} runs a command and is not carried into XPipe",
                    field=keyword,
                )
                continue
            if low in FIELD_OPTIONS:
                continue
            lines.append(f"{keyword} {value}")
        if host.proxy_command:
            self._diag(
                host,
                "warning",
                "proxy-command",
                "ProxyCommand is not carried into XPipe (the migrator never runs or copies commands); "
                "recreate the route with a jump host",
                field="ProxyCommand",
            )
        for extra in host.credentials.key_files[1:]:
            lines.append(f"IdentityFile {extra}")
        for cert in host.credentials.certificate_files:
            lines.append(f"CertificateFile {cert}")
        creds = host.credentials
        if not creds.key_files and creds.agent is None and not no_key_auth(host):
            if creds.identity_agent:
                lines.append(f"IdentityAgent {creds.identity_agent}")
            if creds.identities_only:
                lines.append("IdentitiesOnly yes")
        return "\n".join(lines) if lines else None

    def _forward_x11(self, host: Host) -> bool | None:
        for keyword, value in host.ssh_options:
            if keyword.lower() == "forwardx11":
                return value.strip().lower() == "yes"
        return None

    def ssh_data(self, host: Host, gateway: str | None, via_jump: bool, identity: dict) -> dict:
        data: dict = {
            "type": "ssh",
            "host": host.address,
            "port": host.port,
            "gateway": EntryRef(gateway) if gateway else LOCAL_MACHINE,
            "jumpServer": via_jump,
            "identity": identity,
            "additionalOptions": self.additional_options(host),
        }
        x11 = self._forward_x11(host)
        if x11 is not None:
            data["forwardX11"] = x11
        return data

    def map(self, hosts: list[Host]) -> MapResult:
        self.diagnostics = []
        opts = self.options
        consolidator = IdentityConsolidator(
            opts.identities, opts.identity_threshold, opts.identity_category, opts.identity_name
        )
        # paramiko is loaded only when there is a key file to check
        has_keys = any(h.credentials.key_files for h in hosts)
        resolver = CredentialResolver(opts.password_policy, _key_inspector(opts.check_keys and has_keys))
        creds: dict[str, ResolvedCredential] = {}
        usable: list[Host] = []
        for host in hosts:
            cred, diags = resolver.resolve(host)
            self.diagnostics.extend(diags)
            if cred is not None:
                creds[host.key] = cred
                usable.append(host)
        excluded = {h.key for h in hosts} - {h.key for h in usable}
        graph = GatewayResolver(usable, excluded={h.key: h.name for h in hosts if h.key in excluded}).build()
        self.diagnostics.extend(graph.diagnostics)
        by_key = {h.key: h for h in usable}
        root = (ALL_CONNECTIONS_NAME, *opts.root_category)
        categories: dict[tuple[str, ...], None] = {}

        def add_category(path: tuple[str, ...]):
            for i in range(2, len(path) + 1):
                categories.setdefault(path[:i], None)

        add_category(root)
        nodes = self._ordered(graph.nodes)
        node_hosts: dict[str, tuple[Host, str, tuple[str, ...]]] = {}
        for node in nodes:
            if node.host_key:
                host = by_key[node.host_key]
                node_hosts[node.key] = (host, "host", root + tuple(host.category))
            else:
                owner = by_key.get(node.hop.ref_key) if node.hop.ref_key else None
                host = self._hop_host(node, owner, graph, by_key)
                node_hosts[node.key] = (host, "hop", root + tuple(owner.category if owner else ()))
                if node.key not in creds:
                    creds[node.key] = creds[owner.key] if owner else resolver.resolve(host)[0]
        ssh_entries: list[DesiredEntry] = []
        for node in nodes:
            host, kind, category = node_hosts[node.key]
            add_category(category)
            ssh_entries.append(
                DesiredEntry(
                    key=node.key,
                    kind=kind,
                    name=host.name,
                    type="ssh",
                    category=category,
                    data={},
                    host=host if kind == "host" else (by_key.get(node.hop.ref_key) if node.hop.ref_key else None),
                    depends=[node.gateway] if node.gateway else [],
                )
            )
        self._resolve_names(ssh_entries)
        taken = {name_key(e.name) for e in ssh_entries}
        node_creds = {e.key: creds[e.key] for e in ssh_entries}
        shared = consolidator.consolidate({} if opts.use_identity else node_creds, taken, self.history)
        stats = IdentityStats(shared=len(shared.entries))
        graph_by_key = {n.key: n for n in nodes}
        for entry in ssh_entries:
            cred = node_creds[entry.key]
            if opts.use_identity or cred.existing:
                ref_key = EXISTING_IDENTITY + (opts.use_identity or cred.existing)
                identity = {"type": "ref", "ref": EntryRef(ref_key)}
                stats.existing += 1
            elif entry.key in shared.assignment:
                ref_key = shared.assignment[entry.key]
                identity = {"type": "ref", "ref": EntryRef(ref_key)}
                entry.depends.append(ref_key)
                stats.refs += 1
            else:
                identity = {"type": "inPlace", "identityStore": identity_data(cred)}
                stats.inplace += 1
            node = graph_by_key[entry.key]
            entry.data = self.ssh_data(node_hosts[entry.key][0], node.gateway, node.gateway is not None, identity)
        state = DesiredState(
            categories=[DesiredCategory(path) for path in categories],
            entries=shared.entries + ssh_entries,
            held={h.key for h in hosts} - {e.key for e in ssh_entries},
        )
        return MapResult(state=state, diagnostics=self.diagnostics, identities=stats)

    def _hop_host(self, node: Node, owner: Host | None, graph, by_key: dict[str, Host]) -> Host:
        hop = node.hop
        label = hop.ref or hop.label()
        if node.via:
            label += " via " + " > ".join(self._node_name(k, graph, by_key) for k in node.via)
        if owner is not None:
            return replace(owner, name=label, jump=[], key=node.key)
        return Host(
            key=node.key,
            name=label,
            address=hop.host,
            port=hop.port or 22,
            user=hop.user,
            source=Provenance(format="generated", file="(jump chain)"),
        )

    @staticmethod
    def _node_name(key: str, graph, by_key: dict[str, Host]) -> str:
        node = graph.nodes[key]
        if node.host_key:
            return by_key[node.host_key].name
        return node.hop.ref or node.hop.label()

    @staticmethod
    def _ordered(nodes: dict[str, Node]) -> list[Node]:
        """Gateways before the entries that use them (the graph is acyclic by construction)."""
        done: set[str] = set()
        out: list[Node] = []
        for key in nodes:
            chain: dict[str, None] = {}  # key, its gateway, the gateway's gateway ... up to one placed
            while key and key not in done and key not in chain:
                chain[key] = None
                key = nodes[key].gateway
            for key in reversed(chain):  # without recursion: a chain can be long
                done.add(key)
                out.append(nodes[key])
        return out

    def _resolve_names(self, entries: list[DesiredEntry]) -> None:
        """XPipe upserts by name, case-insensitively, across the vault: inventory names must be unique.

        Rule: every entry in a clashing group gets its folder path appended ("web01 (Prod/Web)");
        entries still clashing after that get " #2", " #3" ... in input order.
        """
        groups: dict[str, list[DesiredEntry]] = defaultdict(list)
        for e in entries:
            groups[name_key(e.name)].append(e)
        taken = {k for k, g in groups.items() if len(g) == 1}
        for group in groups.values():
            if len(group) < 2:
                continue
            for e in group:
                folder = "/".join(e.category[len(self.options.root_category) + 1 :])
                new = f"{e.name} ({folder})" if folder else e.name
                n = 2
                candidate = new
                while name_key(candidate) in taken:
                    candidate = f"{new} #{n}"
                    n += 1
                taken.add(name_key(candidate))
                if candidate != e.name:
                    src = e.host.source if e.host else None
                    self.diagnostics.append(
                        Diagnostic(
                            level="warning",
                            code="name-collision",
                            file=src.file if src else None,
                            line=src.line if src else None,
                            entry=e.name,
                            field="name",
                            message=f"name '{e.name}' is used by {len(group)} entries (XPipe matches names "
                            f"case-insensitively, as Java's equalsIgnoreCase); this one is imported as '{candidate}'",
                        )
                    )
                    e.name = candidate
