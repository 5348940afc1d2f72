"""The connection tree as mRemoteNG 1.77 loads it, and inheritance through its folders.

[code: mRemoteNG ``Config/Serializers/ConnectionSerializers/Xml/XmlConnectionsDeserializer.cs``,
``Connection/ConnectionInfo.cs``, ``Connection/ConnectionInfoInheritance.cs``, ``Tree/NodeType.cs``]

Every child element of the root or of a folder is a node. ``Type`` is ``Container`` (a folder) or
``Connection`` (also when missing or unreadable); any other type (``Root``, ``PuttySession``...) is
skipped by mRemoteNG together with everything inside it, and so are nodes inside a connection.
Folders carry all connection attributes: they are the values their children inherit.

A node takes property P from its folder when its ``InheritP`` flag is true and that folder is not the
root (``InheritanceActive``): top-level nodes never inherit. The folder's value is resolved the same
way, so chains work; the inheriting node's own attribute is ignored. Each attribute is read only from
the ConfVersion that introduced it; before 1.3 one ``Inherit`` flag turned on everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.sources.limits import MAX_FOLDER_DEPTH
from migrator.sources.mremoteng.document import Element, net_bool, net_enum

TREE_NODE_TYPES = {"None": 0, "Root": 1, "Container": 2, "Connection": 3, "PuttyRoot": 4, "PuttySession": 5}
CONTAINER, CONNECTION = 2, 3
PROTOCOLS = {
    "RDP": 0,
    "VNC": 1,
    "SSH1": 2,
    "SSH2": 3,
    "Telnet": 4,
    "Rlogin": 5,
    "RAW": 6,
    "HTTP": 7,
    "HTTPS": 8,
    "PowerShell": 10,
    "IntApp": 20,
}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
SSH1, SSH2 = 2, 3
CREDENTIAL_PROVIDERS = {"None": 0, "DelineaSecretServer": 1, "ClickstudiosPasswordState": 2}
ADDRESS_PROVIDERS = {"None": 0, "AmazonWebServices": 1}
DEFAULT_PUTTY_SESSION = "Default Settings"

#: property -> (attribute, ConfVersion from which the attribute and its Inherit flag are read).
PROPERTIES: dict[str, tuple[str, float]] = {
    "Username": ("Username", 0.2),
    "Password": ("Password", 0.2),
    "Domain": ("Domain", 0.2),
    "Description": ("Descr", 0.2),
    "Port": ("Port", 0.7),
    "Protocol": ("Protocol", 0.7),
    "PuttySession": ("PuttySession", 1.2),
    "SSHOptions": ("SSHOptions", 2.7),
    "SSHTunnelConnectionName": ("SSHTunnelConnectionName", 2.7),
    "OpeningCommand": ("OpeningCommand", 2.7),
    "ExternalCredentialProvider": ("ExternalCredentialProvider", 2.7),
    "UserViaAPI": ("UserViaAPI", 2.7),
}
_FLAGS_SINCE = 1.3


@dataclass(eq=False)
class TreeNode:
    """A folder or connection as loaded, with its place in the tree."""

    element: Element
    kind: int
    parent: TreeNode | None  # None: directly under the root
    folder: tuple[str, ...]
    encrypted: bool  # read from decrypted content (full-file encryption)
    children: list[TreeNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.element.attrs.get("Name", "")

    @property
    def line(self) -> int:
        return self.element.line

    @property
    def path(self) -> str:
        return "/".join((*self.folder, self.name))

    def attr(self, name: str) -> str | None:
        return self.element.attrs.get(name)


@dataclass
class Skipped:
    """An element mRemoteNG does not load, and why (reported by the source)."""

    element: Element
    folder: tuple[str, ...]
    encrypted: bool
    reason: str


@dataclass
class Tree:
    connections: list[TreeNode] = field(default_factory=list)  # document order
    containers: list[TreeNode] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Folders whose contents are not read: they are nested deeper than ``MAX_FOLDER_DEPTH``.
    too_deep: list[TreeNode] = field(default_factory=list)


def build_tree(elements: list[Element], encrypted: bool, tree: Tree | None = None) -> Tree:
    """Nodes in document order (depth first), without recursion: a deep file cannot exhaust the stack.

    A folder's contents deeper than ``MAX_FOLDER_DEPTH`` are not read (``Tree.too_deep``): every node
    keeps its folder path, so a file of 100,000 nested folders would otherwise need gigabytes.
    """
    tree = tree or Tree()
    stack: list[tuple[Element, TreeNode | None, tuple[str, ...]]] = [(e, None, ()) for e in reversed(elements)]
    while stack:
        element, parent, folder = stack.pop()
        if element.local != "Node":
            tree.skipped.append(
                Skipped(element, folder, encrypted, f"element <{element.local[:40]}> is not a Node; ignored")
            )
            continue
        kind = net_enum(element.attrs.get("Type"), TREE_NODE_TYPES)
        kind = CONNECTION if kind is None else kind
        if kind not in (CONTAINER, CONNECTION):
            tree.skipped.append(
                Skipped(
                    element,
                    folder,
                    encrypted,
                    "its Type is neither Connection nor Container; mRemoteNG does not load it (nor anything inside it)",
                )
            )
            continue
        node = TreeNode(element, kind, parent, folder, encrypted)
        if parent is not None:
            parent.children.append(node)
        if kind == CONNECTION:
            tree.connections.append(node)
            for child in element.children:
                tree.skipped.append(
                    Skipped(
                        child,
                        (*folder, node.name),
                        encrypted,
                        "it is inside a connection, not a folder; mRemoteNG does not load it",
                    )
                )
            continue
        tree.containers.append(node)
        if len(folder) >= MAX_FOLDER_DEPTH:
            if element.children:
                tree.too_deep.append(node)
            continue
        inner = (*folder, node.name)
        stack.extend((child, node, inner) for child in reversed(element.children))
    return tree


class Resolver:
    """Property values as the 1.77 getters return them, with the node each value comes from."""

    def __init__(self, version: float):
        self.version = version
        self._source: dict[tuple[int, str], TreeNode] = {}

    def readable(self, prop: str) -> bool:
        return self.version >= PROPERTIES[prop][1]

    def flag(self, node: TreeNode, prop: str) -> bool:
        """The node's Inherit flag for ``prop`` as read (missing or unreadable: false)."""
        if self.version < _FLAGS_SINCE:
            return net_bool(node.attr("Inherit")) is True
        if not self.readable(prop):
            return False
        return net_bool(node.attr("Inherit" + prop)) is True

    def flag_text(self, node: TreeNode, prop: str) -> tuple[str, str | None]:
        """The flag's attribute name and its text, for reports."""
        name = "Inherit" if self.version < _FLAGS_SINCE else "Inherit" + prop
        return name, node.attr(name)

    def source(self, node: TreeNode, prop: str) -> TreeNode:
        """The node whose own attribute is ``node``'s value of ``prop`` (memoised, iterative)."""
        path: list[TreeNode] = []
        current = node
        found = None
        while True:
            found = self._source.get((id(current), prop))
            if found is not None:
                break
            if current.parent is None or not self.flag(current, prop):
                found = current
                break
            path.append(current)
            current = current.parent
        for n in (*path, current):
            self._source[(id(n), prop)] = found
        return found

    def own(self, node: TreeNode, prop: str) -> str:
        """The node's own attribute text; missing: ``""`` (or mRemoteNG's default when not yet read)."""
        attribute, since = PROPERTIES[prop]
        if self.version < since:
            return DEFAULT_PUTTY_SESSION if prop == "PuttySession" else ""
        return node.attr(attribute) or ""

    def value(self, node: TreeNode, prop: str) -> tuple[str, TreeNode]:
        source = self.source(node, prop)
        return self.own(source, prop), source

    def protocol(self, node: TreeNode) -> tuple[int | None, str | None, TreeNode]:
        """The resolved protocol number (None: not a known value, loaded as RDP), its text, its node."""
        source = self.source(node, "Protocol")
        if self.version < PROPERTIES["Protocol"][1]:
            return (1 if net_bool(source.attr("UseVNC")) else 0), None, source
        text = source.attr("Protocol")
        number = net_enum(text, PROTOCOLS)
        if number is not None and number not in PROTOCOL_NAMES:
            number = None
        return number, text, source
