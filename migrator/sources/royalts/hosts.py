"""Royal TS objects to hosts: SSH connections, and the secure gateways they tunnel through.

A ``RoyalSSHConnection`` whose ``ConnectionType`` identifier is ``ssh`` (or that has none, the
object's default kind, unless the third-party-seen ``IsTelnetConnection``/``IsSerialPortConnection``
flags say otherwise) becomes a host: ``URI`` the address, ``Port`` (default 22), the credentials of
``credentials.py``. Every other connection type is reported and skipped; deleted objects (below
the Trash) and connection templates are reported as such.

A ``RoyalSecureGateway`` is an SSH server: it becomes a host of its own (its folder, its
credentials), and a connection that uses it (``SecureGatewayUsageMode`` 1 always or 2 on demand,
``SecureGatewayID``, or ``SecureGatewayFromParent`` up to the first folder that assigns one) gets a
jump hop pointing at it. A gateway behind another (``DependsOnSecureGatewayID``) jumps through that
one: a chain, with loops found and held. On-demand use becomes always (XPipe has no "only when
unreachable"). A proxy (``ProxyMode``) is not a jump host: it is reported, not carried.

Keys are the objects' IDs (GUIDs in the XML, any string in rJSON), so renaming or moving an entry
updates it; an object without an ID is keyed by its name (``#2``, ``#3`` for repeats in file order).
"""

from __future__ import annotations

from pydantic import ValidationError

from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult
from migrator.sources.limits import MAX_FOLDER_DEPTH
from migrator.sources.royalts import objects as o
from migrator.sources.royalts.credentials import CredentialResolver, Creds, DocumentSecrets, Unusable
from migrator.sources.royalts.objects import RoyalObject
from migrator.sources.royalts.tree import Tree

_PENDING = object()


class HostMapper:
    def __init__(self, source, tree: Tree, secrets: DocumentSecrets):
        self.source, self.tree = source, tree
        self.resolver = CredentialResolver(tree, secrets, self.note)
        self.result = SourceResult()
        self.keys: dict[str, str] = {}
        self._gateway_hosts: dict[str, Host | None | object] = {}
        self._gateway_setting: dict[str, tuple[int, str | None, RoyalObject | None]] = {}

    # ---- diagnostics -------------------------------------------------------------------------

    def note(self, level: str, code: str, message: str, obj: RoyalObject, field: str | None = None) -> None:
        self.result.diagnostics.append(
            Diagnostic(
                level=level,
                code=code,
                message=message,
                file=self.source.display_path,
                line=obj.line,
                field=field,
                entry=self.tree.describe(obj),
            )
        )

    def hold(self, obj: RoyalObject, field: str, message: str, code: str = "invalid-value") -> None:
        self.note("error", code, f"not imported: {message}", obj, field)
        self.result.held.add(self.keys[obj.oid])

    # ---- the run -----------------------------------------------------------------------------

    def run(self) -> SourceResult:
        entries = [x for x in self.tree.objects if x.type in (o.SSH, o.GATEWAY)]
        self._assign_keys(entries)
        for obj, first in self.tree.repeated_ids:
            self.note(
                "error",
                "repeated-id",
                f"its ID is also the ID of the object at line {first.line}; "
                "it is not imported (IDs must be unique in a document)",
                obj,
                "ID",
            )
        for obj in self.tree.objects:
            if obj.type in (o.GATEWAY, o.SSH):
                if obj.oid in self.keys and obj.type == o.GATEWAY:
                    self._gateway(obj)
                elif obj.oid in self.keys:
                    self._connection(obj)
            elif obj.type == o.DYNAMIC_FOLDER and not self.tree.trashed(obj):
                self.note(
                    "warning",
                    "dynamic-folder",
                    "a dynamic folder: its entries are made by a script when "
                    "Royal TS runs it and are not in the file (the script is never run here); save the rJSON "
                    "it produces as a .rjson document and import that",
                    obj,
                )
            elif obj.type.endswith("Connection"):
                self._not_ssh(obj, obj.type)
        for host in self._gateway_hosts.values():
            if isinstance(host, Host):
                self.result.hosts.append(host)
        self.result.hosts.sort(key=lambda h: h.source.line or 0)
        return self.result

    def _assign_keys(self, entries: list[RoyalObject]) -> None:
        taken = set(self.tree.by_id)
        counts: dict[str, int] = {}
        repeated = {id(obj) for obj, _ in self.tree.repeated_ids}
        for obj in entries:
            ext = obj.ref("ID")
            if id(obj) in repeated:
                continue
            if ext is not None:
                self.keys[obj.oid] = self.source.key(ext)
                continue
            if not obj.name:
                self.note(
                    "error",
                    "no-name",
                    "an object without a Name or an ID cannot be named; it is not imported",
                    obj,
                    "Name",
                )
                self.result.partial = True
                continue
            n = counts.get(obj.name, 0)
            while True:
                n += 1
                candidate = obj.name if n == 1 else f"{obj.name}#{n}"
                if candidate not in taken:
                    break
            counts[obj.name] = n
            taken.add(candidate)
            self.keys[obj.oid] = self.source.key(candidate)

    def _skip_reason(self, obj: RoyalObject) -> bool:
        """Reports a deleted object or one inside a ParentID cycle; True when it must not be imported."""
        if self.tree.in_cycle(obj):
            self.hold(obj, "ParentID", "its ParentIDs form a cycle, so its folder cannot be found", "parent-cycle")
            return True
        if self.tree.too_deep(obj):
            self.hold(obj, "ParentID", f"its folders are nested deeper than {MAX_FOLDER_DEPTH} levels", "too-deep")
            return True
        if self.tree.trashed(obj):
            self.note("info", "in-trash", "in the Trash (deleted in Royal TS); not imported", obj)
            return True
        if obj.oid in self.tree.dangling:
            self.note(
                "warning",
                "unknown-parent",
                "its ParentID names no object of this document; it is imported at the top level",
                obj,
                "ParentID",
            )
        return False

    def _not_ssh(self, obj: RoyalObject, kind: str) -> None:
        if self.tree.trashed(obj):
            self.note("info", "in-trash", f"{kind}, in the Trash (deleted in Royal TS); not imported", obj)
            return
        target = obj.text("URI").strip()
        where = f" to {target[:80]!r}" if target else ""
        self.note("warning", "not-ssh", f"not imported: {kind}{where} is not an SSH connection", obj, "ConnectionType")

    # ---- connections -------------------------------------------------------------------------

    def _kind(self, conn: RoyalObject) -> str | None:
        """None for SSH, else the kind to report."""
        ctype = conn.text("ConnectionType").strip()
        ident, _, label = ctype.partition(";")
        if ident.strip():
            return None if ident.strip().lower() == "ssh" else f"a {label.strip() or ident.strip()} terminal connection"
        if conn.flag("IsTelnetConnection"):
            return "a Telnet terminal connection"
        if conn.flag("IsSerialPortConnection"):
            return "a serial port terminal connection"
        return None

    def _connection(self, conn: RoyalObject) -> None:
        if self._skip_reason(conn):
            return
        kind = self._kind(conn)
        if kind is not None:
            self._not_ssh(conn, kind)
            return
        if conn.flag("IsConnectionTemplate"):
            self.note("info", "template", "a connection template; not imported", conn, "IsConnectionTemplate")
            return
        try:
            creds = self.resolver.for_connection(conn)
            jump = self._jump(conn)
            host = self._host(conn, conn.text("URI"), conn, "Port", creds, jump, "URI")
        except Unusable as exc:
            self.hold(conn, exc.field, exc.message, exc.code)
            return
        self._report_unused(conn)
        self.result.hosts.append(host)

    def _report_unused(self, conn: RoyalObject) -> None:
        for prop in ("ProxyMode", "ProxyModePutty"):
            mode = conn.number(prop)
            if mode not in (None, 0):
                self.note(
                    "warning",
                    "proxy-not-carried",
                    f"uses a proxy ({prop} {mode}); a proxy is not a jump "
                    "host and is not carried: the host is imported without it",
                    conn,
                    prop,
                )
        session = conn.text("PuttySessionName").strip()
        if session and session.lower() != "default settings":
            self.note(
                "info",
                "putty-session",
                f"takes settings from the PuTTY session {session[:80]!r}; they are "
                "not read here (import PuTTY's sessions with the putty format if they matter)",
                conn,
                "PuttySessionName",
            )

    def _host(self, obj, address: str, port_of, port_prop: str, creds: Creds, jump, address_prop: str) -> Host:
        name = obj.name
        if not name:
            raise Unusable("Name", "it has no Name")
        address = address.strip()
        if not address:
            raise Unusable(address_prop, f"it has no host ({address_prop} is empty)", "no-host")
        port = port_of.number(port_prop)
        if port == "bad":
            raise Unusable(port_prop, f"{port_prop} is not a number")
        try:
            return Host(
                key=self.keys[obj.oid],
                name=name,
                address=address,
                port=22 if port is None else port,
                user=creds.user,
                category=self.tree.folder_path(obj) or [],
                credentials=Credentials(
                    password=creds.password,
                    key_files=[creds.key_file] if creds.key_file else [],
                    key_passphrase=creds.passphrase if creds.key_file else None,
                    agent=creds.agent,
                ),
                jump=jump,
                description=obj.text("Description").strip() or None,
                source=self.source.provenance(line=obj.line, section=obj.type),
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = str(err["loc"][0]) if err["loc"] else ""
            fields = {"address": address_prop, "port": port_prop, "user": "user name", "name": "Name"}
            raise Unusable(fields.get(loc, loc), err["msg"].removeprefix("Value error, ")) from None

    # ---- secure gateways ---------------------------------------------------------------------

    def _usage(self, obj: RoyalObject) -> tuple[int, str | None]:
        usage = obj.number("SecureGatewayUsageMode")
        if usage == "bad" or (isinstance(usage, int) and not 0 <= usage <= 2):
            raise Unusable("SecureGatewayUsageMode", f"SecureGatewayUsageMode of '{obj.name}' is not 0, 1 or 2")
        return usage or 0, obj.ref("SecureGatewayID")

    def _inherited_gateway(self, conn: RoyalObject) -> tuple[int, str | None, RoyalObject | None]:
        chain: list[RoyalObject] = []
        found: tuple[int, str | None, RoyalObject | None] = (0, None, None)
        for node in self.tree.ancestors(conn):
            if node.oid in self._gateway_setting:
                found = self._gateway_setting[node.oid]
                break
            chain.append(node)
            if node.flag("SecureGatewayFromParent"):
                continue
            usage, gid = self._usage(node)
            if usage and gid:
                found = (usage, gid, node)
                break
        for node in chain:
            self._gateway_setting[node.oid] = found
        return found

    def _jump(self, conn: RoyalObject) -> list[JumpHop]:
        holder = None
        if conn.flag("SecureGatewayFromParent"):
            usage, gid, holder = self._inherited_gateway(conn)
            if holder is None:
                self.note(
                    "info",
                    "no-inherited-gateway",
                    "takes its secure gateway from the parent folder, but no "
                    "folder above it assigns one; connected directly",
                    conn,
                    "SecureGatewayFromParent",
                )
                return []
        else:
            usage, gid = self._usage(conn)
        if not usage:
            if gid:
                self.note(
                    "info",
                    "gateway-never",
                    "has a secure gateway assigned but SecureGatewayUsageMode is "
                    "Never (the default); connected directly",
                    conn,
                    "SecureGatewayUsageMode",
                )
            return []
        if gid is None:
            self.note(
                "warning",
                "gateway-missing",
                "is set to use a secure gateway but none is assigned; connected directly",
                conn,
                "SecureGatewayID",
            )
            return []
        where = f" (assigned by {self.tree.describe(holder)!r})" if holder is not None else ""
        target = self.tree.by_id.get(gid)
        if target is None:
            raise Unusable(
                "SecureGatewayID", f"the secure gateway it uses{where} is not in this document", "broken-reference"
            )
        label = self.tree.describe(target)
        if target.type == o.ROYAL_SERVER:
            raise Unusable(
                "SecureGatewayID",
                f"it tunnels through the Royal Server {label!r}{where}, which XPipe cannot use as a jump host",
                "unsupported-gateway",
            )
        if target.type != o.GATEWAY:
            raise Unusable(
                "SecureGatewayID",
                f"the object it names as its secure gateway{where} is a {target.type}",
                "broken-reference",
            )
        if self.tree.trashed(target):
            raise Unusable(
                "SecureGatewayID", f"its secure gateway {label!r}{where} is in the Trash", "broken-reference"
            )
        gateway = self._gateway(target)
        if gateway is None:
            raise Unusable(
                "SecureGatewayID",
                f"its secure gateway {label!r}{where} is not imported (see its error)",
                "jump-host-not-imported",
            )
        if usage == 2:
            self.note(
                "info",
                "gateway-on-demand",
                f"uses the secure gateway {label!r} on demand in Royal TS; XPipe always connects through it",
                conn,
                "SecureGatewayUsageMode",
            )
        return [
            JumpHop(host=gateway.address, port=gateway.port, user=gateway.user, ref=gateway.name, ref_key=gateway.key)
        ]

    def _gateway(self, gw: RoyalObject) -> Host | None:
        """The gateway's host (built once); None when it is not imported. Chains are followed here."""
        state = self._gateway_hosts.get(gw.oid)
        if state is _PENDING:
            raise _Loop(gw)
        if gw.oid in self._gateway_hosts:
            return state
        if gw.oid not in self.keys or self._skip_reason(gw):
            self._gateway_hosts[gw.oid] = None
            return None
        self._gateway_hosts[gw.oid] = _PENDING
        host = None
        try:
            jump = self._depends(gw)
            creds = self.resolver.for_gateway(gw)
            host = self._host(
                gw, gw.text("SecureGatewayHost"), gw, "SecureGatewayPort", creds, jump, "SecureGatewayHost"
            )
        except Unusable as exc:
            self.hold(gw, exc.field, exc.message, exc.code)
        except _Loop as loop:
            loop.members.append(gw)
            self._gateway_hosts[gw.oid] = None
            if loop.start is not gw:
                raise
            names = " -> ".join(x.name for x in reversed(loop.members))
            for member in loop.members:
                self.hold(
                    member,
                    "DependsOnSecureGatewayID",
                    f"its secure gateways depend on each other in a loop ({names} -> {gw.name})",
                    "jump-cycle",
                )
            return None
        self._gateway_hosts[gw.oid] = host
        return host

    def _depends(self, gw: RoyalObject) -> list[JumpHop]:
        dep = gw.ref("DependsOnSecureGatewayID")
        if dep is None:
            return []
        target = self.tree.by_id.get(dep)
        if target is None or target.type != o.GATEWAY:
            raise Unusable(
                "DependsOnSecureGatewayID",
                "the secure gateway it depends on is not a secure gateway of this document",
                "broken-reference",
            )
        if self.tree.trashed(target):
            raise Unusable(
                "DependsOnSecureGatewayID",
                f"the secure gateway it depends on ({self.tree.describe(target)!r}) is in the Trash",
                "broken-reference",
            )
        before = self._gateway(target)
        if before is None:
            raise Unusable(
                "DependsOnSecureGatewayID",
                f"the secure gateway it depends on ({self.tree.describe(target)!r}) is not imported (see its error)",
                "jump-host-not-imported",
            )
        return [JumpHop(host=before.address, port=before.port, user=before.user, ref=before.name, ref_key=before.key)]


class _Loop(Exception):
    def __init__(self, start: RoyalObject):
        super().__init__("gateway loop")
        self.start = start
        self.members: list[RoyalObject] = []
