"""Read a live simulator's shared identities back over HTTP: who uses which, with the password it holds.

For the identity naming tests: a host must end up referencing an identity that holds its own
password, and an identity that still holds the same credential must keep its UUID and name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import decode_inplace

IDENTITY_TYPES = ("localIdentity", "syncedIdentity")


@dataclass(frozen=True)
class Identity:
    uuid: str
    name: str  # as XPipe shows it (lower-cased)
    user: str | None
    password: str | None


@dataclass(frozen=True)
class HostCredential:
    uuid: str
    identity: str | None  # the UUID of the shared identity it references; None: in place
    user: str | None
    password: str | None


def _password(client: XPipeClient, node) -> str | None:
    if not node:
        return None
    strategy = json.loads(client.decrypt(node))
    return decode_inplace(strategy["value"]) if strategy.get("type") == "inPlace" else None


def _ref(identity: dict) -> str | None:
    ref = identity.get("ref")
    return ref.get("storeId") if isinstance(ref, dict) else ref


def read_credentials(sim) -> tuple[dict[str, Identity], dict[str, HostCredential]]:
    """(identities by UUID, hosts by shown name) of the vault, passwords decrypted."""
    client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
    client.connect()
    try:
        infos, _ = client.store_info(client.query_stores("**", "**", "*"))
        identities = {
            i["uuid"]: Identity(
                i["uuid"],
                i["name"][-1],
                i["rawData"].get("username"),
                _password(client, i["rawData"].get("password")),
            )
            for i in infos
            if i["type"] in IDENTITY_TYPES
        }
        hosts = {}
        for info in infos:
            if info["type"] != "ssh":
                continue
            identity = info["rawData"].get("identity") or {}
            if identity.get("type") == "ref":
                used = identities.get(_ref(identity))
                hosts[info["name"][-1]] = HostCredential(
                    info["uuid"], _ref(identity), used and used.user, used and used.password
                )
            else:
                store = identity.get("identityStore") or {}
                hosts[info["name"][-1]] = HostCredential(
                    info["uuid"], None, store.get("username"), _password(client, store.get("password"))
                )
        return identities, hosts
    finally:
        client.close()


def assert_hosts_use_their_own_credentials(sim, rows: list[dict]) -> tuple[dict, dict]:
    """Every row's host is in XPipe once and uses an identity with the row's user and password; no two
    identities hold the same credential or show the same name."""
    identities, hosts = read_credentials(sim)
    for row in rows:
        host = hosts.get(row["name"].lower())
        assert host is not None, (row["name"], sorted(hosts))
        assert (host.user, host.password) == (row["user"], row.get("password") or None), row["name"]
    held = [(i.user, i.password) for i in identities.values()]
    assert len(set(held)) == len(held), f"two identities hold one credential: {sorted(map(str, held))}"
    names = [i.name for i in identities.values()]
    assert len(set(names)) == len(names), f"two identities show one name: {sorted(names)}"
    return identities, hosts


def identity_of(identities: dict[str, Identity], user: str, password: str) -> Identity | None:
    found = [i for i in identities.values() if (i.user, i.password) == (user, password)]
    assert len(found) <= 1
    return found[0] if found else None
