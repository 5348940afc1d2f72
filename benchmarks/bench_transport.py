"""Benchmark: this tool against XPipe's serialized storage time and the XPipe Python guide's loop.

    python benchmarks/bench_transport.py [--hosts 1000 10000] [--latency-ms 3] [--guide-max 1000]
        [--replan 10000] [--window 1 3] [--before DIR] [--skip-candidates]

Everything is measured in one run on this machine, against the simulator started as its own process
(as XPipe is one) in its default JDK transport (Nagle on, headers and body in two writes, 5 handler
threads, each request's latency spent in its handler and a storage call's spent holding the
storage lock, so storage calls run one at a time however many arrive at once):

1. Transport candidates: milliseconds per request, serial storage calls (``/category/query``) and
   ``/secret/encrypt`` calls, for plain keep-alive, a fresh connection per request, keep-alive with
   TCP_QUICKACK re-armed, and 4 keep-alive connections used at once (overlap), on both simulator
   transports (``jdk``, ``ideal``).
2. Import of N new hosts in 10 folders sharing 10 credential sets (user + password), as ``sync``
   does it: plan + apply with a ledger (journal, durable commits), in a process of its own, once
   per ``--window`` (writes in flight at once; 1 is one after the other). The floor is the
   daemon's serialized storage time during that plan + apply: how long storage calls held the
   storage lock, which no client can go below (also shown: adds x latency). Against it, the guide's
   loop (a bare ``requests.post`` per call, i.e. a new connection each time; per host: encrypt the
   password strategy, encrypt the key strategy, add the host with an in-place identity).
3. A no-op re-plan of ``--replan`` hosts from a new process: ``xpipe-migrate plan --job`` of a CSV
   job that ``sync`` applied before, as a user runs it (a subprocess; wall time from start to exit,
   requests and writes counted by the daemon).

The tool's children run each checkout as an installed copy runs: from bytecode compiled once
(``benchmarks/installed.py``), whatever ``PYTHONDONTWRITEBYTECODE`` says.

``--before DIR`` runs the tool parts (2 and 3) also with the checkout in DIR (e.g. an older commit
unpacked with ``git archive``), against the same kind of daemon, for a before/after table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
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
from pydantic import SecretStr

from migrator.model import Credentials, Host, Provenance, SourceResult
from migrator.xpipe import constants as C
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient
from migrator.xpipe.inplace import encode_inplace
from migrator.xpipe.transport import quickack_available

sys.path.insert(0, str(Path(__file__).resolve().parent))
from installed import installed_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("/connection/add", "/connection/remove", "/category/add", "/store/add", "/store/remove")
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
    """A simulator in its own process (``--serve``), on a free loopback port, with a Local auth file;
    ``stats()`` asks it for its counters (requests per path, serialized storage time)."""

    def __init__(self, folder: Path, latency_ms: float, transport: str = "jdk"):
        self.auth = folder / f"auth-{transport}-{latency_ms:g}"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, __file__, "--serve", str(port), str(self.auth), str(latency_ms), transport]
        # Its own session, like a daemon started apart from the client (and scheduled apart from it).
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT
        )
        self.process.stdout.readline()  # "listening"

    def client(self, transport: str = "auto") -> XPipeClient:
        return XPipeClient(self.url, LocalAuth(self.auth), transport=transport).connect()

    def stats(self) -> dict:
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def idle(self, start: float, end: float) -> dict:
        self.process.stdin.write(f"idle {start!r} {end!r}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def serve(port: int, auth: str, latency_ms: float, transport: str) -> None:
    """The daemon process: a simulator, answering ``stats`` lines on stdin until stdin closes, and
    ``idle A B`` lines: where the storage lock sat idle between monotonic times A and B (``idle``)."""
    from migrator.simulator import Simulator

    with Simulator("23.8", port=port, auth_file=auth, latency_ms=latency_ms, transport=transport) as sim:
        holds: list[tuple[float, float]] = []
        locked = sim._locked  # runs while the storage lock is held: when each hold began and ended

        def timed(endpoint, raw):
            began = time.monotonic()
            try:
                return locked(endpoint, raw)
            finally:
                holds.append((began, time.monotonic()))

        sim._locked = timed
        print("listening", flush=True)
        for line in sys.stdin:
            words = line.split()
            if words == ["stats"]:
                stats = {
                    "requests": dict(sim.requests),
                    "storage_seconds": sim.storage_seconds,
                    "storage_calls": sim.storage_calls,
                }
                print(json.dumps(stats), flush=True)
            elif words[:1] == ["idle"]:
                print(json.dumps(idle(holds, float(words[1]), float(words[2]))), flush=True)


#: Idle gaps between two storage calls are split at this length. With writes waiting at the lock (a
#: window of 3 keeps two there), the short ones are the daemon passing the lock on to the next
#: request; one after the other (window 1), a gap is the client's whole turn.
HANDOFF_SECONDS = 0.002


def idle(holds: list[tuple[float, float]], start: float, end: float) -> dict:
    """The storage lock's idle time between ``start`` and ``end``, split into: before the first
    storage call, after the last, short gaps between calls (``HANDOFF_SECONDS``), longer gaps."""
    inside = sorted(h for h in holds if h[0] >= start and h[1] <= end)
    if not inside:
        return {"idle": end - start, "first": end - start, "last": 0.0, "handoffs": 0, "handoff": 0.0, "longer": 0.0}
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(inside)]
    short = [g for g in gaps if g < HANDOFF_SECONDS]
    return {
        "idle": (end - start) - sum(e - s for s, e in inside),
        "first": inside[0][0] - start,
        "last": end - inside[-1][1],
        "handoffs": len(short),
        "handoff": sum(short),
        "longer": sum(g for g in gaps if g >= HANDOFF_SECONDS),
    }


def delta(before: dict, after: dict) -> dict:
    """What the daemon did between two ``stats()``."""
    paths = set(before["requests"]) | set(after["requests"])
    requests_ = {p: after["requests"].get(p, 0) - before["requests"].get(p, 0) for p in paths}
    return {
        "requests": sum(requests_.values()),
        "writes": sum(n for p, n in requests_.items() if p in WRITES),
        "adds": sum(n for p, n in requests_.items() if p.endswith("/add") and not p.startswith("/category")),
        "storage_seconds": after["storage_seconds"] - before["storage_seconds"],
        "storage_calls": after["storage_calls"] - before["storage_calls"],
    }


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


_ENVS: dict[Path, dict[str, str]] = {}
_CACHES: list[tempfile.TemporaryDirectory] = []


def child_env(tree: Path) -> dict[str, str]:
    """The environment of a child running the checkout in ``tree`` as an installed copy would run."""
    if tree not in _ENVS:
        _CACHES.append(tempfile.TemporaryDirectory(prefix="bench-pycache-"))
        _ENVS[tree] = installed_env(tree, Path(_CACHES[-1].name))
    return _ENVS[tree]


def tool_child(n: int, url: str, auth: str, ledger_path: str, window: int) -> None:
    """In its own process (``--tool``): plan + apply ``n`` hosts with a ledger, as ``sync`` does after
    reading its sources; prints the result as JSON. Uses only what older checkouts have too."""
    from migrator.apply.loader import Loader
    from migrator.manager import Inventory, Run, Session
    from migrator.mapper.ssh_store import MapperOptions
    from migrator.sync.ledger import Ledger

    inv = Inventory(hosts=inventory(n).hosts)
    with Ledger(ledger_path) as ledger:
        started = time.perf_counter()
        client = XPipeClient(url, LocalAuth(Path(auth))).connect()
        session = Session(Run(sources=[], mapper=MapperOptions(), progress=False), client, ledger)
        plan = session.plan(inv)
        planned = time.perf_counter()
        apply_began = time.monotonic()  # the daemon's clock too (CLOCK_MONOTONIC is system-wide)
        try:
            loader = Loader(client, progress=False, ledger=ledger, window=window)
        except TypeError:  # a checkout from before the window
            loader = Loader(client, progress=False, ledger=ledger)
        applied = loader.apply(plan)
        finished = time.perf_counter()
        apply_ended = time.monotonic()
        client.close()
    print(
        json.dumps(
            {
                "seconds": finished - started,
                "plan_seconds": planned - started,
                "apply_seconds": finished - planned,
                "failed": len(applied.failed),
                "most_in_flight": getattr(loader, "most_in_flight", 1),
                "apply_span": [apply_began, apply_ended],
            }
        )
    )


def run_tool(n: int, latency_ms: float, window: int, tree: Path = ROOT) -> dict:
    """Plan + apply in a child process with the checkout in ``tree``; the daemon's side of it."""
    with tempfile.TemporaryDirectory() as tmp, daemon(latency_ms) as d:
        before = d.stats()
        env = child_env(tree)
        command = [sys.executable, __file__, "--tool", str(n), d.url, str(d.auth), f"{tmp}/state.sqlite", str(window)]
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        out = json.loads(proc.stdout.splitlines()[-1])
        out.update(delta(before, d.stats()))
        out["apply_idle"] = d.idle(*out["apply_span"])
    return out


def write_job(folder: Path, d: Daemon, n: int) -> Path:
    """A CSV job of ``n`` hosts (the same inventory) against daemon ``d``."""
    rows = [
        {
            "name": h.name,
            "host": h.address,
            "user": h.user,
            "password": h.credentials.password.get_secret_value(),
            "folder": h.category[0],
        }
        for h in inventory(n).hosts
    ]
    with (folder / "servers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    job = folder / "job.toml"
    job.write_text(
        f'''name = "bench"
state = "state.sqlite"
[[source]]
path = "servers.csv"
format = "csv"
[target]
url = "{d.url}"
auth = "local"
auth_file = "{d.auth}"
[import]
root_category = "Imported"
''',
        encoding="utf-8",
    )
    return job


def cli(tree: Path, *argv: str) -> tuple[float, subprocess.CompletedProcess]:
    env = child_env(tree)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "migrator", *argv], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - started, proc


def run_replan(n: int, latency_ms: float, trees: list[Path]) -> list[dict]:
    """``sync`` the job once, then time ``plan --job`` from a new process with each checkout."""
    out = []
    with tempfile.TemporaryDirectory() as tmp, daemon(latency_ms) as d:
        job = write_job(Path(tmp), d, n)
        seconds, proc = cli(ROOT, "-q", "--no-progress", "sync", str(job))
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        for tree in trees:
            for _ in range(2):  # the second from a warm file cache; the better one is reported
                before = d.stats()
                wall, proc = cli(tree, "-q", "--no-progress", "plan", "--job", str(job))
                did = delta(before, d.stats())
                if proc.returncode != 0:
                    raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
                row = {"tree": tree, "sync_seconds": seconds, "wall": wall, **did}
                if not any(r["tree"] == tree for r in out):
                    out.append(row)
                elif wall < next(r for r in out if r["tree"] == tree)["wall"]:
                    out[-1] = row
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
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--tool":
        tool_child(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=float, default=3.0)
    parser.add_argument("--guide-max", type=int, default=1000, help="run the guide's loop up to this many hosts")
    parser.add_argument("--window", type=int, nargs="+", default=[3], help="writes in flight (1: one by one)")
    parser.add_argument("--replan", type=int, nargs="*", default=[10000], help="hosts of the no-op re-plan")
    parser.add_argument("--before", type=Path, help="also run the tool parts with the checkout in this folder")
    parser.add_argument("--skip-candidates", action="store_true")
    args = parser.parse_args()
    lat = args.latency_ms
    print(
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"simulator XPipe 23.8, JDK transport, {lat:g} ms per request; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
    if not args.skip_candidates:
        for latency in (0.0, lat):
            print(f"\ntransport candidates at {latency:g} ms latency (ms per request, serial unless overlap)")
            print(f"{'server':>6} {'client':>11} {'storage':>8} {'secret':>8}")
            for server, mode, storage, secret in candidates(latency):
                print(f"{server:>6} {mode:>11} {storage:>8.2f} {secret:>8.2f}")
    trees = [("before", args.before)] if args.before else []
    trees.append(("this", ROOT))
    print(f"\nimport: {CREDENTIAL_SETS} credential sets, {FOLDERS} folders, plan + apply with a ledger")
    for n in args.hosts:
        guide = run_guide(n, lat) if n <= args.guide_max else None
        for label, tree in trees:
            for window in args.window if label == "this" else [1]:
                tool = run_tool(n, lat, window, tree)
                floor = tool["storage_seconds"]
                line = (
                    f"{n:>6} hosts  {label} window {window}: {tool['seconds']:.2f} s "
                    f"(plan {tool['plan_seconds']:.2f}), {tool['requests']} requests, {tool['adds']} adds, "
                    f"in flight <= {tool['most_in_flight']}; serialized storage {floor:.2f} s over "
                    f"{tool['storage_calls']} calls, wall/storage {tool['seconds'] / floor:.2f}; "
                    f"adds x latency {tool['adds'] * lat / 1000:.2f} s; failed {tool['failed']}"
                )
                if guide:
                    line += (
                        f"; guide/tool {guide['seconds'] / tool['seconds']:.2f}x "
                        f"(guide/floor {guide['seconds'] / floor:.2f}x: no client can do better)"
                    )
                gaps = tool["apply_idle"]
                line += (
                    f"\n{'':>14}storage lock idle during the apply {gaps['idle']:.2f} s: "
                    f"{gaps['handoff']:.2f} s in {gaps['handoffs']} gaps under {HANDOFF_SECONDS * 1000:g} ms, "
                    f"{gaps['longer']:.2f} s in longer gaps, {gaps['first'] * 1000:.0f} ms before the first "
                    f"storage call, {gaps['last'] * 1000:.0f} ms after the last"
                )
                print(line, flush=True)
        if guide:
            print(f"{n:>6} hosts  guide loop: {guide['seconds']:.2f} s, {guide['requests']} requests", flush=True)
    for n in args.replan:
        for row in run_replan(n, lat, [tree for _, tree in trees]):
            label = next(lbl for lbl, tree in trees if tree == row["tree"])
            print(
                f"{n:>6} hosts  no-op re-plan, new process ({label}): {row['wall']:.2f} s wall, "
                f"{row['requests']} requests, {row['writes']} writes (after a sync of {row['sync_seconds']:.1f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
