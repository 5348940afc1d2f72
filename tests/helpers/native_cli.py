"""Driving the CLI on native-format files as a user does, and reading back what reached the vault.

``cli`` runs ``python -m migrator`` in a subprocess; ``vault_hosts`` opens the embedded simulator's
saved state (``--embedded-state DIR``) and returns each imported ssh entry with its decrypted
password, so a test sees exactly what XPipe would hold; ``leaks`` searches texts for secrets in the
forms an output could carry them (as written, URL-encoded, hex, base64 at every alignment).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from helpers.paths import REPO_ROOT
from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import decode_inplace

CLEAN_ENV = ("XO_TOKEN", "XPIPE_API_KEY", "XPIPE_MIGRATE_SOURCE_PASSWORD")


def cli(*argv: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + full.get("PYTHONPATH", "")
    full["NO_COLOR"] = "1"
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _password(client: XPipeClient, node) -> str | None:
    if not node:
        return None
    strategy = json.loads(client.decrypt(node))
    return decode_inplace(strategy["value"]) if strategy.get("type") == "inPlace" else None


def vault_hosts(state: Path, tmp: Path) -> dict[str, dict]:
    """Entry name -> ``{"host", "port", "user", "password", "gateway"}`` (gateway: the entry name or None)."""
    with Simulator(version="23.8", auth_file=tmp / "readback" / "beacon-auth", state_dir=state) as sim:
        client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
        client.connect()
        try:
            infos, _ = client.store_info(client.query_stores("**", "**", "ssh"))
            names = {i["uuid"]: i["name"][-1] for i in infos}  # "name" is the entry's path
            out = {}
            for info in infos:
                raw = info["rawData"]
                identity = raw.get("identity") or {}
                if identity.get("type") == "ref":
                    (ident,), _ = client.store_info([identity["ref"]])
                    store = ident["rawData"]
                else:
                    store = identity.get("identityStore") or {}
                out[info["name"][-1]] = {
                    "host": raw.get("host"),
                    "port": raw.get("port"),
                    "user": store.get("username"),
                    "password": _password(client, store.get("password")),
                    "gateway": names.get(raw.get("gateway")),
                }
            return out
        finally:
            client.close()


def forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    out = {"plain": secret, "url": urllib.parse.quote(secret, safe=""), "hex": binascii.hexlify(raw).decode()}
    for k in range(3):
        std = base64.b64encode(b"\0" * k + raw).decode()[4:-4]
        out[f"b64/{k}"] = std
    return out


def leaks(secrets: dict[str, str], blobs: dict[str, str]) -> list[str]:
    found = []
    for where, text in blobs.items():
        for what, secret in secrets.items():
            for kind, form in forms(secret).items():
                if form and (form in text if kind.startswith("b64") else form.lower() in text.lower()):
                    found.append(f"{what} ({kind}) in {where}")
    return found


def state_texts(folder: Path) -> dict[str, str]:
    return {str(p): p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()}
