"""Read an embedded simulator's saved vault back: each SSH entry's user, password and key passphrase, decrypted.

Used by the CLI tests of the native formats to show that a password decrypted from a source file
arrives in XPipe byte-exact. The simulator is started on the state folder an ``apply --target
embedded --embedded-state DIR`` left behind, and read through the real client over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import decode_inplace


def _plain(client: XPipeClient, node) -> dict | None:
    if not node:
        return None
    return json.loads(client.decrypt(node))


def _secret(strategy: dict | None) -> str | None:
    if strategy and strategy.get("type") == "inPlace":
        return decode_inplace(strategy["value"])
    return None


def ssh_entries(state: Path, work: Path) -> list[dict]:
    """Every SSH entry: {name, category, host, port, user, password, key_file, key_passphrase, gateway (a name)}."""
    with Simulator(state_dir=state, auth_file=work / "beacon-auth") as sim:
        client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
        client.connect()
        try:
            infos, _ = client.store_info(client.query_stores("**", "**", "*"))
            by_uuid = {i["uuid"]: i for i in infos}
            out: list[dict] = []
            for info in infos:
                if info.get("type") != "ssh":
                    continue
                raw = info["rawData"]
                identity = raw.get("identity") or {}
                if identity.get("type") == "ref":
                    store = by_uuid[
                        identity["ref"]["storeId"] if isinstance(identity["ref"], dict) else identity["ref"]
                    ]["rawData"]
                else:
                    store = identity.get("identityStore") or {}
                password = _plain(client, store.get("password"))
                key = _plain(client, store.get("sshIdentity")) or {}
                gateway = raw.get("gateway")
                gateway_name = by_uuid[gateway]["name"][-1] if gateway in by_uuid else None
                out.append(
                    {
                        "name": info["name"][-1],
                        "category": info["category"],
                        "host": raw.get("host"),
                        "port": raw.get("port"),
                        "user": store.get("username"),
                        "password": _secret(password),
                        "key_file": key.get("file"),
                        "key_passphrase": _secret(key.get("password")),
                        "gateway": gateway_name,
                    }
                )
            return out
        finally:
            client.close()
