"""The XML of an RDM ``.rdm`` export: ``<ArrayOfConnection>`` of ``<Connection>`` (XmlSerializer style).

Layout from real exports made with RDM (mRemoteNG's ``feature/rdm_import`` test resources): child
elements, defaults omitted, per-type settings in a block (``Terminal`` for SSHShell and Telnet,
``RDP``, ``VNC``, ``Web``, ...). Newer exports are said by third-party readers to use
``<RDMExport><Connections>`` [3rd-party, unverified]; both are read. ``MetaInformation`` (with the
``PasswordHistory`` of old passwords) is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.errors import InputError
from migrator.sources import safexml

ROOTS = ("ArrayOfConnection", "RDMExport")
#: Connection-level elements the importer reads (``Host`` is seen only in third-party samples).
TOP = frozenset({"connectiontype", "name", "id", "description", "group", "url", "host", "credentialconnectionid"})
#: Settings blocks kept whole (their children only, one level).
BLOCKS = frozenset({"terminal", "rdp", "vnc", "web", "putty", "host"})


@dataclass(slots=True)
class Entry:
    """One ``<Connection>``: its line, connection-level values, and its settings blocks."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, dict[str, str]] = field(default_factory=dict)
    #: where each block starts (for diagnostics)
    block_lines: dict[str, int] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return self.values.get(name.lower(), "")

    def block(self, name: str) -> dict[str, str]:
        return self.blocks.get(name.lower(), {})


@dataclass
class Export:
    entries: list[Entry] = field(default_factory=list)
    broken: tuple[int, str] | None = None


def _keep(path: tuple[str, ...]) -> bool:
    local = [p.rpartition(":")[2] for p in path]
    start = 1
    if local[0] == "RDMExport":
        if local[1] != "Connections":
            return False
        start = 2
    depth = len(local) - 1 - start
    if depth < 0:
        return True
    if local[start] != "Connection":
        return False
    if depth == 0:
        return True
    child = local[start + 1].lower()
    if depth == 1:
        return child in TOP or child in BLOCKS
    return depth == 2 and child in BLOCKS


def read_export(data: bytes, shown: str) -> Export:
    if not data.strip():
        raise InputError(f"{shown}: the file is empty; it is not an RDM export")
    if not safexml.looks_like_xml(data):
        raise InputError(
            f"{shown}: not XML: an RDM export secured with a master key (or another RDM file) cannot be read; "
            "export the entries again from RDM without a master key (File > Export > .rdm)"
        )
    doc = safexml.parse(data, shown, _keep)
    if doc.root is None:
        line = f":{doc.error_line}" if doc.error_line else ""
        raise InputError(f"{shown}{line}: not a readable XML document ({doc.error or 'no root element'})")
    if doc.root.local not in ROOTS:
        raise InputError(
            f"{shown}:{doc.root.line}: the root element is <{doc.root.local[:40]}>, not <ArrayOfConnection> or "
            "<RDMExport>; not an RDM export (an export secured with a master key cannot be read: export it again "
            "without one)"
        )
    holder = doc.root
    if doc.root.local == "RDMExport":
        holder = doc.root.first("Connections")
        if holder is None and not doc.error:
            raise InputError(f"{shown}:{doc.root.line}: <RDMExport> without <Connections>; no entries to read")
    out = Export()
    for node in holder.children if holder is not None else []:
        if not node.closed and doc.error:
            break
        entry = Entry(line=node.line)
        for child in node.children:
            name = child.local.lower()
            if name in BLOCKS and (child.children or name != "host"):
                values = entry.blocks.setdefault(name, {})
                entry.block_lines.setdefault(name, child.line)
                for item in child.children:
                    values.setdefault(item.local.lower(), item.text)
            elif name in TOP:
                entry.values.setdefault(name, child.text)
        out.entries.append(entry)
    if doc.error:
        out.broken = (doc.error_line or 0, doc.error)
    return out
