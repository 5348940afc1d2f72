"""Host model -> XPipe store JSON (``ssh`` entries with in-place ``localIdentity`` identities).

The mapper decides everything that can be decided without the live vault: names, categories,
gateways, identities and which ssh options travel in ``additionalOptions``. Secrets stay
``Secret`` placeholders here; the encryption stage turns them into XPipe's encrypted nodes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from migrator.desired import DesiredCategory, DesiredEntry, DesiredState, EntryRef, Secret
from migrator.gateways import GatewayResolver, Node
from migrator.model import Diagnostic, Host, Provenance
from migrator.xpipe.constants import LOCAL_MACHINE
from migrator.xpipe.inplace import encode_inplace

ALL_CONNECTIONS_NAME = "All connections"
LOCAL_IDENTITIES_PATH = ("All identities", "Local")

#: ssh options that must never be carried into XPipe: they run commands.
UNSAFE_OPTIONS = {"proxycommand", "localcommand", "permitlocalcommand", "knownhostscommand", "match"}
#: ssh options the mapper expresses as store fields instead of additionalOptions text.
FIELD_OPTIONS = {"hostname", "port", "user", "identityfile", "identitiesonly", "identityagent", "proxyjump",
                 "forwardx11", "host"}


@dataclass
class MapperOptions:
    root_category: tuple[str, ...] = ("Imported",)
    password_policy: str = "source"  # "source", "prompt" or "none"


@dataclass
class MapResult:
    state: DesiredState
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _password_strategy(host: Host, policy: str) -> Secret:
    creds = host.credentials
    if policy == "none":
        return Secret({"type": "none"})
    if policy == "prompt":
        if creds.password or creds.password_prompt:
            return Secret({"type": "prompt"})
        return Secret({"type": "none"})
    if creds.password is not None:
        return Secret({"type": "inPlace", "value": encode_inplace(creds.password.get_secret_value())})
    if creds.password_manager_ref:
        return Secret({"type": "passwordManager", "key": creds.password_manager_ref})
    if creds.password_prompt:
        return Secret({"type": "prompt"})
    return Secret({"type": "none"})


def _key_strategy(host: Host) -> Secret:
    creds = host.credentials
    if creds.key_files:
        if creds.key_passphrase is not None:
            passphrase = {"type": "inPlace", "value": encode_inplace(creds.key_passphrase.get_secret_value())}
        else:
            passphrase = {"type": "none"}
        return Secret({"type": "file", "file": creds.key_files[0], "password": passphrase, "publicKey": None})
    if creds.agent == "pageant":
        return Secret({"type": "pageant", "publicKey": None})
    if creds.agent == "openssh":
        return Secret({"type": "sshAgent", "publicKey": None})
    return Secret({"type": "otherExternal"})


def identity_store(host: Host, policy: str) -> dict:
    return {
        "type": "localIdentity",
        "username": host.user,
        "password": _password_strategy(host, policy),
        "sshIdentity": _key_strategy(host),
    }


class SshStoreMapper:
    """Maps hosts to desired XPipe entries. One instance per run."""

    def __init__(self, options: MapperOptions | None = None):
        self.options = options or MapperOptions()
        self.diagnostics: list[Diagnostic] = []

    def _diag(self, host: Host, level: str, code: str, message: str, field: str | None = None):
        self.diagnostics.append(Diagnostic(level=level, code=code, message=message, file=host.source.file,
                                           line=host.source.line, entry=host.name, field=field))

    def additional_options(self, host: Host) -> str | None:
        lines = []
        for keyword, value in host.ssh_options:
            low = keyword.lower()
            if low in UNSAFE_OPTIONS:
                self._diag(host, "warning", "unsafe-option",
                           f"ssh option {keyword} runs a command and is not carried into XPipe", field=keyword)
                continue
            if low in FIELD_OPTIONS:
                continue
            lines.append(f"{keyword} {value}")
        if host.proxy_command:
            self._diag(host, "warning", "proxy-command",
                       "ProxyCommand is not carried into XPipe (the migrator never runs or copies commands); "
                       "recreate the route with a jump host", field="ProxyCommand")
        for extra in host.credentials.key_files[1:]:
            lines.append(f"IdentityFile {extra}")
        for cert in host.credentials.certificate_files:
            lines.append(f"CertificateFile {cert}")
        agent = host.credentials.identity_agent
        if agent and not host.credentials.key_files and host.credentials.agent is None:
            lines.append(f"IdentityAgent {agent}")
        if host.credentials.identities_only and not host.credentials.key_files:
            lines.append("IdentitiesOnly yes")
        return "\n".join(lines) if lines else None

    def _forward_x11(self, host: Host) -> bool | None:
        for keyword, value in host.ssh_options:
            if keyword.lower() == "forwardx11":
                return value.strip().lower() == "yes"
        return None

    def ssh_data(self, host: Host, gateway: str | None, via_jump: bool) -> dict:
        data: dict = {
            "type": "ssh",
            "host": host.address,
            "port": host.port,
            "gateway": EntryRef(gateway) if gateway else LOCAL_MACHINE,
            "jumpServer": via_jump,
            "identity": {"type": "inPlace", "identityStore": identity_store(host, self.options.password_policy)},
            "additionalOptions": self.additional_options(host),
        }
        x11 = self._forward_x11(host)
        if x11 is not None:
            data["forwardX11"] = x11
        return data

    def map(self, hosts: list[Host]) -> MapResult:
        self.diagnostics = []
        graph = GatewayResolver(hosts).build()
        self.diagnostics.extend(graph.diagnostics)
        by_key = {h.key: h for h in hosts}
        root = (ALL_CONNECTIONS_NAME, *self.options.root_category)
        state = DesiredState()
        categories: dict[tuple[str, ...], None] = {}

        def add_category(path: tuple[str, ...]):
            for i in range(2, len(path) + 1):
                categories.setdefault(path[:i], None)

        add_category(root)
        entries: list[DesiredEntry] = []
        for node in self._ordered(graph.nodes):
            if node.host_key:
                host = by_key[node.host_key]
                category = root + tuple(host.category)
                kind = "host"
            else:
                hop = node.hop
                owner = by_key.get(hop.ref_key) if hop.ref_key else None
                host = self._hop_host(node, owner, graph, by_key)
                category = root + tuple(owner.category if owner else ())
                kind = "hop"
            add_category(category)
            data = self.ssh_data(host, node.gateway, via_jump=node.gateway is not None)
            entries.append(DesiredEntry(
                key=node.key, kind=kind, name=host.name, type="ssh", category=category, data=data,
                host=host if kind == "host" else (by_key.get(node.hop.ref_key) if node.hop.ref_key else None),
                depends=[node.gateway] if node.gateway else [],
            ))
        self._resolve_names(entries)
        state.categories = [DesiredCategory(path) for path in categories]
        state.entries = entries
        return MapResult(state=state, diagnostics=self.diagnostics)

    def _hop_host(self, node: Node, owner: Host | None, graph, by_key: dict[str, Host]) -> Host:
        hop = node.hop
        label = hop.ref or hop.label()
        if node.via:
            label += " via " + " > ".join(self._node_name(k, graph, by_key) for k in node.via)
        if owner is not None:
            return owner.model_copy(update={"name": label, "jump": [], "key": node.key})
        return Host(key=node.key, name=label, address=hop.host, port=hop.port or 22, user=hop.user,
                    source=Provenance(format="generated", file="(jump chain)"))

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

        def visit(key: str):
            if key in done:
                return
            node = nodes[key]
            if node.gateway:
                visit(node.gateway)
            done.add(key)
            out.append(node)

        for key in nodes:
            visit(key)
        return out

    def _resolve_names(self, entries: list[DesiredEntry]) -> None:
        """XPipe upserts by name, case-insensitively, across the vault: inventory names must be unique.

        Rule: every entry in a clashing group gets its folder path appended ("web01 (Prod/Web)");
        entries still clashing after that get " #2", " #3" ... in input order.
        """
        groups: dict[str, list[DesiredEntry]] = defaultdict(list)
        for e in entries:
            groups[e.name.casefold()].append(e)
        taken = {k for k, g in groups.items() if len(g) == 1}
        for group in groups.values():
            if len(group) < 2:
                continue
            for e in group:
                folder = "/".join(e.category[len(self.options.root_category) + 1:])
                new = f"{e.name} ({folder})" if folder else e.name
                n = 2
                candidate = new
                while candidate.casefold() in taken:
                    candidate = f"{new} #{n}"
                    n += 1
                taken.add(candidate.casefold())
                if candidate != e.name:
                    src = e.host.source if e.host else None
                    self.diagnostics.append(Diagnostic(
                        level="warning", code="name-collision", file=src.file if src else None,
                        line=src.line if src else None, entry=e.name, field="name",
                        message=f"name '{e.name}' is used by {len(group)} entries (XPipe matches names "
                        f"case-insensitively); this one is imported as '{candidate}'",
                    ))
                    e.name = candidate
