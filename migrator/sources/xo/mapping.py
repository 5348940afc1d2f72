"""Xen Orchestra VM objects -> ``Host``: which address, which folder, what is skipped and why.

The VM object is XO's (``packages/xo-server/src/xapi-object-to-xo.mjs``): ``addresses`` maps
``"<device>/<ipv4|ipv6>/<n>"`` to one address (``_normalizeVmNetworks.mjs``), and ``mainIpAddress``
is the first IPv4 of the lowest device, else its first IPv6 (``_extractIpFromVmNetworks.mjs``).
Both come from the guest tools, so a VM without tools, or halted, usually has none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from migrator.model import Diagnostic, Host, Provenance

#: The fields asked for with ``fields=``; everything the mapping reads, nothing more.
VM_FIELDS = (
    "id",
    "uuid",
    "name_label",
    "name_description",
    "power_state",
    "addresses",
    "mainIpAddress",
    "tags",
    "$pool",
    "$container",
)
POOL_FIELDS = ("id", "uuid", "name_label")
_NAMES_SHOWN = 10


@dataclass(frozen=True)
class Origin:
    """The XO a host came from: source keys and diagnostics name its URL (``xo:URL#UUID``)."""

    url: str

    def key(self, uuid: str) -> str:
        return f"xo:{self.url}#{uuid}"

    def diag(self, level, code, message, *, entry=None, field=None) -> Diagnostic:
        return Diagnostic(level=level, code=code, message=message, file=self.url, entry=entry, field=field)


@dataclass
class MapOptions:
    address: str = "main"
    include_halted: bool = True
    port: int = 22
    user: str | None = None


@dataclass
class Mapped:
    hosts: list[Host] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    halted_skipped: list[str] = field(default_factory=list)
    held: set[str] = field(default_factory=set)  # VMs that exist but whose data is invalid
    partial: bool = False  # a VM without an id was skipped: its key is unknown


def _address_key(key: str) -> tuple[int, str, int]:
    device, _, rest = key.partition("/")
    proto, _, n = rest.partition("/")
    return (int(device) if device.isdigit() else 1 << 30, proto, int(n) if n.isdigit() else 1 << 30)


def _candidates(vm: dict) -> list[str]:
    """The VM's addresses in XO's own order: device, then protocol, then index."""
    raw = vm.get("addresses")
    if not isinstance(raw, dict):
        return []
    out = []
    for key in sorted((k for k in raw if isinstance(k, str)), key=_address_key):
        value = raw[key]
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def address_picker(choice: str) -> Callable[[dict], str | None]:
    """``main`` (XO's mainIpAddress), ``ipv4``, ``ipv6`` (global before link-local), or a network in CIDR."""
    if choice == "main":

        def main(vm: dict) -> str | None:
            value = vm.get("mainIpAddress")
            return value.strip() if isinstance(value, str) and value.strip() else None

        return main
    if choice in ("ipv4", "ipv6"):
        version = 4 if choice == "ipv4" else 6

        def by_version(vm: dict) -> str | None:
            found = [
                (ip.is_link_local, text)
                for text in _candidates(vm)
                if (ip := _ip(text)) is not None and ip.version == version
            ]
            return min(found, key=lambda t: t[0])[1] if found else None

        return by_version
    network = ipaddress.ip_network(choice, strict=False)

    def in_network(vm: dict) -> str | None:
        for text in _candidates(vm):
            ip = _ip(text)
            if ip is not None and ip.version == network.version and ip in network:
                return text
        return None

    return in_network


def pool_names(pools: list) -> dict[str, str]:
    """Pool id -> name; a pool without a name is known by its id."""
    out = {}
    for pool in pools:
        if isinstance(pool, dict) and isinstance(pool.get("id"), str):
            name = pool.get("name_label")
            out[pool["id"]] = name.strip() if isinstance(name, str) and name.strip() else pool["id"]
    return out


class VmMapper:
    """Turns VM objects into hosts; every VM it cannot import becomes one diagnostic naming it."""

    def __init__(self, origin: Origin, pools: dict[str, str], options: MapOptions):
        self.origin = origin
        self.pools = pools
        self.options = options
        self.pick = address_picker(options.address)
        self.out = Mapped()

    def _diag(self, level, code, message, entry=None, field_=None) -> None:
        self.out.diagnostics.append(self.origin.diag(level, code, message, entry=entry, field=field_))

    def add(self, index: int, vm) -> None:
        if not isinstance(vm, dict):
            what = "a link (fields= was ignored?)" if isinstance(vm, str) else type(vm).__name__
            self._diag("error", "xo-bad-object", f"VM #{index} is {what}, not an object; not imported")
            self.out.partial = True
            return
        uuid = vm.get("uuid") if isinstance(vm.get("uuid"), str) else vm.get("id")
        if not isinstance(uuid, str) or not uuid.strip():
            self._diag("error", "xo-bad-object", f"VM #{index} has no id; not imported")
            self.out.partial = True
            return
        raw_name = vm.get("name_label")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        label = name or uuid
        if not name:
            self._diag(
                "warning", "xo-no-name", f"VM {uuid} has no name; imported as {uuid}", entry=uuid, field_="name_label"
            )
        if vm.get("power_state") == "Halted" and not self.options.include_halted:
            self.out.halted_skipped.append(label)
            return
        address = self.pick(vm)
        if address is None:
            state = vm.get("power_state") if isinstance(vm.get("power_state"), str) else "unknown"
            want = "" if self.options.address == "main" else f" matching address={self.options.address}"
            self._diag(
                "warning",
                "xo-no-address",
                f"VM {label!r} ({state}) reports no IP address{want} (halted, or no guest tools); not imported",
                entry=label,
                field_="mainIpAddress" if want == "" else "addresses",
            )
            return
        pool_id = vm.get("$pool")
        folder = []
        if isinstance(pool_id, str) and pool_id:
            if pool_id not in self.pools:
                self._diag(
                    "warning",
                    "xo-unknown-pool",
                    f"VM {label!r} is in pool {pool_id}, which /pools did not list; its folder is the pool id",
                    entry=label,
                    field_="$pool",
                )
            folder = [self.pools.get(pool_id, pool_id)]
        tags = [t.strip() for t in vm.get("tags") or [] if isinstance(t, str) and t.strip()]
        description = vm.get("name_description")
        try:
            host = Host(
                key=self.origin.key(uuid),
                name=label,
                address=address,
                port=self.options.port,
                user=self.options.user,
                category=folder,
                tags=tags,
                description=description.strip() if isinstance(description, str) and description.strip() else None,
                source=Provenance(format="xo", file=self.origin.url, section=folder[0] if folder else None),
            )
        except ValidationError as exc:
            self.out.held.add(self.origin.key(uuid))
            if any(e["loc"] == ("address",) for e in exc.errors()):
                field_ = "mainIpAddress" if self.options.address == "main" else "addresses"
                self._diag(
                    "error",
                    "xo-bad-address",
                    f"VM {label!r} reports an address that is not an IP address or host name; not imported",
                    entry=label,
                    field_=field_,
                )
                return
            why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            self._diag("error", "xo-invalid", f"VM {label!r} cannot be imported: {why}", entry=label)
            return
        self.out.hosts.append(host)

    def finish(self) -> Mapped:
        skipped = self.out.halted_skipped
        if skipped:
            shown = ", ".join(skipped[:_NAMES_SHOWN]) + (
                f" and {len(skipped) - _NAMES_SHOWN} more" if len(skipped) > _NAMES_SHOWN else ""
            )
            self._diag(
                "info", "xo-halted-skipped", f"{len(skipped)} halted VM(s) not imported (include_halted=false): {shown}"
            )
        return self.out
