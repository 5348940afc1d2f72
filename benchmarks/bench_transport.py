"""Benchmark: this tool against the XPipe Python guide's loop, on the simulator's JDK transport.

    python benchmarks/bench_transport.py [--hosts 1000 10000] [--latency-ms 3] [--guide-max 1000]

Everything is measured in one run on this machine, against the simulator started as its own process
(``xpipe-migrate simulator``, as XPipe is one) in its default JDK transport (Nagle on, headers and
body in two writes, 5 handler threads, storage latency spent under the storage lock):

1. Transport candidates: milliseconds per request, serial storage calls (``/category/query``) and
   ``/secret/encrypt`` calls, for plain keep-alive, a fresh connection per request, keep-alive with
   TCP_QUICKACK re-armed, and 4 keep-alive connections used at once (overlap), on both simulator
   transports (``jdk``, ``ideal``).
2. Import of N new hosts in 10 folders sharing 10 credential sets (user + password): this tool
   (plan + apply, default transport) against the guide's loop (a bare ``requests.post`` per call,
   i.e. a new connection each time; per host: encrypt the password strategy, encrypt the key
   strategy, add the host with an in-place identity). The floor is adds x latency: XPipe runs adds
   one at a time.
3. A no-op re-plan of the same N hosts: requests and writes, with the same client (secrets it
   encrypted are known to it) and with a new client (as a new process: it decrypts each distinct
   secret node once).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from migrator.loader import Loader
from migrator.pipeline import plan_inventory
from pydantic import SecretStr

from migrator.mapper import MapperOptions
from migrator.model import Credentials, Host, Provenance, SourceResult
from migrator.xpipe import constants as C
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import encode_inplace
from migrator.xpipe.transport import quickack_available

CREDENTIAL_SETS = 10
FOLDERS = 10


def inventory(n: int) -> SourceResult:
    hosts = [
        Host(
            key=f"bench#{i}",
            name=f"bench-{i:05d}",
            address=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
            user=f"user{i % CREDENTIAL_SETS}",
            category=[f"Folder{i % FOLDERS}"],
            credentials=Credentials(password=SecretStr(f"Bench-Pass-{i % CREDENTIAL_SETS}")),
            source=Provenance(format="bench", file="bench", line=i),
        )
        for i in range(n)
    ]
    return SourceResult(hosts=hosts)


class Daemon:
    """A simulator in its own process, on a free loopback port, with a Local auth file."""

    def __init__(self, folder: Path, latency_ms: float, transport: str = "jdk"):
        self.auth = folder / f"auth-{transport}-{latency_ms:g}"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "migrator",
            "simulator",
            "--port",
            str(port),
            "--auth-file",
            str(self.auth),
            "--latency-ms",
            str(latency_ms),
        ] + (["--ideal-transport"] if transport == "ideal" else [])
        # Its own session, like a daemon started apart from the client (and scheduled apart from it).
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.process.stdout.readline()  # "listening on ..."

    def client(self, transport: str = "auto") -> XPipeClient:
        return XPipeClient(self.url, LocalAuth(self.auth), transport=transport).connect()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def daemon(latency_ms: float, transport: str = "jdk"):
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(Path(tmp), latency_ms, transport)
        try:
            yield d
        finally:
            d.stop()


# ------------------------------------------------------------------------------------------ candidates


def _per_request(client: XPipeClient, call, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call(client)
    return (time.perf_counter() - started) / n * 1000


def _overlapped(d: Daemon, call, n: int, connections: int = 4) -> float:
    clients = [d.client("keepalive") for _ in range(connections)]

    def work(client: XPipeClient) -> None:
        for _ in range(n // connections):
            call(client)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for c in clients:
        c.close()
    return elapsed / (n // connections * connections) * 1000


def candidates(latency_ms: float, n: int = 80) -> list[tuple[str, str, float, float]]:
    storage = lambda c: c.query_categories("all connections")  # noqa: E731
    secret = lambda c: c.encrypt("x")  # noqa: E731
    rows = []
    for server in ("jdk", "ideal"):
        with daemon(latency_ms, server) as d:
            modes = ["keepalive", "close"] + (["quickack"] if quickack_available() else [])
            for mode in modes:
                client = d.client(mode)
                rows.append((server, mode, _per_request(client, storage, n), _per_request(client, secret, n)))
                client.close()
            rows.append((server, "overlap x4", _overlapped(d, storage, n), _overlapped(d, secret, n)))
    return rows


# ------------------------------------------------------------------------------------------ imports


def run_tool(n: int, latency_ms: float) -> dict:
    inv = inventory(n)
    with daemon(latency_ms) as d:
        opts = MapperOptions()
        t0 = time.perf_counter()
        client = d.client()
        plan = plan_inventory(client, inv, opts)
        applied = Loader(client, progress=False).apply(plan)
        seconds = time.perf_counter() - t0
        requests_first = client.requests_made
        adds = client.calls["add"]
        r1, w1 = client.requests_made, client.writes_made
        t1 = time.perf_counter()
        again = plan_inventory(client, inv, opts)
        replan_s = time.perf_counter() - t1
        assert not again.has_changes
        replan = (client.requests_made - r1, client.writes_made - w1)
        fresh = d.client()  # as a new process: nothing decrypted yet
        r2 = fresh.requests_made
        assert not plan_inventory(fresh, inv, opts).has_changes
        fresh_replan = (fresh.requests_made - r2, fresh.writes_made)
        fresh.close()
        out = {
            "hosts": n,
            "transport": client.transport,
            "seconds": seconds,
            "requests": requests_first,
            "adds": adds,
            "failed": len(applied.failed),
            "replan_requests": replan[0],
            "replan_writes": replan[1],
            "replan_s": replan_s,
            "fresh_replan_requests": fresh_replan[0],
            "fresh_replan_writes": fresh_replan[1],
        }
        client.close()
    return out


def run_guide(n: int, latency_ms: float) -> dict:
    """The guide's loop: ``requests.post`` per call (no session), encrypt and add per host."""
    inv = inventory(n)
    sent = 0
    with daemon(latency_ms) as d:
        url = d.url
        started = time.perf_counter()
        token = requests.post(
            url + "/handshake",
            timeout=30,
            json={
                "auth": {"type": "Local", "authFileContent": d.auth.read_text()},
                "client": {"type": "Api", "name": "guide"},
            },
        ).json()["sessionToken"]
        headers = {"Authorization": f"Bearer {token}"}

        def post(path: str, body: dict) -> dict:
            nonlocal sent
            sent += 1
            resp = requests.post(url + path, json=body, headers=headers, timeout=30)
            resp.raise_for_status()
            return resp.json()

        folders: dict[str, str] = {}
        for host in inv.hosts:
            folder = host.category[0]
            if folder not in folders:
                folders[folder] = post("/category/add", {"name": folder, "parent": C.ALL_CONNECTIONS})["category"]
            password = {"type": "inPlace", "value": encode_inplace(host.credentials.password.get_secret_value())}
            pw_node = post("/secret/encrypt", {"value": json.dumps(password)})["encrypted"]
            key_node = post("/secret/encrypt", {"value": json.dumps({"type": "none"})})["encrypted"]
            post(
                "/connection/add",
                {
                    "name": host.name,
                    "category": folders[folder],
                    "validate": False,
                    "data": {
                        "type": "ssh",
                        "host": host.address,
                        "port": 22,
                        "gateway": C.LOCAL_MACHINE,
                        "identity": {
                            "type": "inPlace",
                            "identityStore": {
                                "type": "localIdentity",
                                "username": host.user,
                                "password": pw_node,
                                "sshIdentity": key_node,
                            },
                        },
                    },
                },
            )
        seconds = time.perf_counter() - started
    return {"hosts": n, "seconds": seconds, "requests": sent + 1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=float, default=3.0)
    parser.add_argument("--guide-max", type=int, default=1000, help="run the guide's loop up to this many hosts")
    parser.add_argument("--skip-candidates", action="store_true")
    args = parser.parse_args()
    lat = args.latency_ms
    print(
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"simulator XPipe 23.8, JDK transport, {lat:g} ms per request; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    if not args.skip_candidates:
        for latency in (0.0, lat):
            print(f"\ntransport candidates at {latency:g} ms latency (ms per request, serial unless overlap)")
            print(f"{'server':>6} {'client':>11} {'storage':>8} {'secret':>8}")
            for server, mode, storage, secret in candidates(latency):
                print(f"{server:>6} {mode:>11} {storage:>8.2f} {secret:>8.2f}")
    print(f"\nimport: {CREDENTIAL_SETS} credential sets, {FOLDERS} folders")
    for n in args.hosts:
        tool = run_tool(n, lat)
        floor = tool["adds"] * lat / 1000
        budget = n + 2 * CREDENTIAL_SETS + 40
        line = (
            f"{n:>6} hosts  tool ({tool['transport']}): {tool['seconds']:.2f} s, {tool['requests']} requests "
            f"(budget {budget}), {tool['adds']} adds, floor {floor:.2f} s, "
            f"wall/floor {tool['seconds'] / floor:.2f}, failed {tool['failed']}"
        )
        if n <= args.guide_max:
            guide = run_guide(n, lat)
            line += (
                f"; guide loop: {guide['seconds']:.2f} s, {guide['requests']} requests; "
                f"guide/tool {guide['seconds'] / tool['seconds']:.2f}x"
            )
        print(line)
        print(
            f"{n:>6} hosts  no-op re-plan: {tool['replan_requests']} requests (budget {10 + n // 1000}), "
            f"{tool['replan_writes']} writes, {tool['replan_s']:.2f} s; from a new client (new process): "
            f"{tool['fresh_replan_requests']} requests, {tool['fresh_replan_writes']} writes"
        )


if __name__ == "__main__":
    main()
