"""The simulator's JDK transport and locking, the client's transports, and incremental persistence,
all over real loopback HTTP. Timing enters only as ratios or as lower bounds that sleeps guarantee."""

from __future__ import annotations

import json
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from helpers.simulator import Api, ssh

from migrator.simulator import Simulator
from migrator.simulator.persist import LOG_FILE_NAME, STATE_FILE_NAME
from migrator.xpipe import constants as C
from migrator.xpipe import transport
from migrator.xpipe.auth import ApiKeyAuth
from migrator.xpipe.client import XPipeClient

LINUX_QUICKACK = pytest.mark.skipif(not transport.quickack_available(), reason="TCP_QUICKACK is Linux-only")


def client(sim: Simulator, mode: str) -> XPipeClient:
    return XPipeClient(sim.url, ApiKeyAuth(sim.api_key), transport=mode, timeout=10).connect()


def raw_exchange(sock: socket.socket, body: bytes = b"{}", path: bytes = b"/daemon/status") -> tuple[bytes, bytes]:
    """Send one keep-alive request; return (what the first recv got, the whole response)."""
    sock.sendall(b"POST %b HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%b" % (path, len(body), body))
    first = sock.recv(65536)
    whole = first
    head, _, rest = whole.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(whole) - len(head) - 4 < length:
        whole += sock.recv(65536)
    return first, whole


# ------------------------------------------------------------------------------------------ JDK transport


@pytest.mark.parametrize("mode", ["jdk", "ideal"])
def test_jdk_mode_keeps_nagle_and_writes_headers_and_body_separately(mode):
    with Simulator("23.8", transport=mode, auth_disabled=True) as sim:
        with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
            raw_exchange(sock)  # the first exchange runs in quick-ACK mode; the second shows the writes
            first, whole = raw_exchange(sock)
            server_side = next(iter(sim._server.open_connections))
            nodelay = server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert whole.startswith(b"HTTP/1.1 200") and whole.endswith(b"}")
    if mode == "jdk":
        assert nodelay == 0
        assert first.endswith(b"\r\n\r\n"), "the body must arrive after the headers, in a second write"
    else:
        assert nodelay != 0
        assert first == whole


@pytest.mark.parametrize("flags", [[], ["--ideal-transport"]])
def test_the_simulator_command_serves_the_chosen_transport(tmp_path, flags):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "migrator",
        "simulator",
        "--port",
        str(port),
        "--auth-file",
        str(tmp_path / "auth"),
        *flags,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert select.select([process.stdout], [], [], 30)[0], "the simulator did not start"
        assert "listening on" in process.stdout.readline()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            raw_exchange(sock, path=b"/handshake")
            first, whole = raw_exchange(sock, path=b"/handshake")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert whole.startswith(b"HTTP/1.1 400") and b"field auth is missing" in whole
    assert (first == whole) if flags else first.endswith(b"\r\n\r\n")


@LINUX_QUICKACK
def test_keep_alive_pays_the_delayed_ack_stall_that_quickack_and_fresh_connections_avoid():
    def per_request(sim: Simulator, mode: str, n: int = 8) -> float:
        with client(sim, mode) as c:
            c.query_categories("**")
            started = time.perf_counter()
            for _ in range(n):
                c.query_categories("**")
            return (time.perf_counter() - started) / n

    with Simulator("23.8") as jdk, Simulator("23.8", transport="ideal") as ideal:
        naive = per_request(jdk, "keepalive")
        quick = per_request(jdk, "quickack")
        fresh = per_request(jdk, "close")
        naive_ideal = per_request(ideal, "keepalive")
    assert naive / quick > 3, (naive, quick)
    assert naive / fresh > 2, (naive, fresh)
    assert naive / naive_ideal > 3, (naive, naive_ideal)


def test_client_transports_use_the_connections_they_promise():
    with Simulator("23.8") as sim:
        for mode, expected in (("keepalive", 1), ("close", 6)):
            before = sim.connections
            with client(sim, mode) as c:  # handshake + version + 4 queries
                for _ in range(4):
                    c.query_categories("**")
            assert sim.connections - before == expected, mode


def test_transport_modes_resolve_per_platform(monkeypatch):
    assert transport.resolve("close") == "close" and transport.resolve("keepalive") == "keepalive"
    monkeypatch.delattr(socket, "TCP_QUICKACK", raising=False)
    assert transport.resolve("auto") == "close"
    assert transport.resolve("quickack") == "close"
    with pytest.raises(ValueError, match="transport must be one of"):
        transport.resolve("pipelined")


# ------------------------------------------------------------------------------------------ locking


def test_storage_calls_serialize_while_secret_calls_overlap_them():
    """While one storage call holds the lock, a second waits for it; secret calls sent alongside
    the second do not wait. Under one lock for all, some secret would finish after it."""
    with Simulator("23.8", latency_ms=400) as sim:
        api = Api(sim)
        api.login_key()
        durations: dict[str, float] = {}

        def call(label: str, path: str, body: dict) -> None:
            started = time.perf_counter()
            assert Api(sim, api.token).post(path, body).status_code == 200
            durations[label] = time.perf_counter() - started

        first = threading.Thread(target=call, args=("storage-1", "/category/query", {"filter": "**"}))
        first.start()
        deadline = time.monotonic() + 5
        while sim.requests["/category/query"] < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        others = [
            threading.Thread(
                target=call,
                args=(
                    "storage-2",
                    "/connection/query",
                    {"categoryFilter": "**", "connectionFilter": "**", "typeFilter": "*"},
                ),
            )
        ]
        others += [
            threading.Thread(target=call, args=(f"secret-{i}", "/secret/encrypt", {"value": "x"})) for i in range(3)
        ]
        for thread in others:
            thread.start()
        for thread in [first, *others]:
            thread.join(timeout=10)
    waited = durations["storage-2"]
    assert waited >= 0.75, "the second storage call must wait for the first one's lock"
    assert all(durations[f"secret-{i}"] < 0.75 * waited for i in range(3)), durations


def test_at_most_five_requests_are_handled_at_once():
    with Simulator("23.8", latency_ms=300) as sim:
        api = Api(sim)
        api.login_key()
        threads = [threading.Thread(target=Api(sim, api.token).encrypt, args=("x",)) for _ in range(7)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.6, "seven requests on five handler threads need two rounds of latency"


# ------------------------------------------------------------------------------------------ persistence


def copy_state(source, target):
    target.mkdir()
    for name in (STATE_FILE_NAME, LOG_FILE_NAME):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    return target


def test_each_write_persists_bytes_proportional_to_the_change(tmp_path):
    """Bytes written per add stay flat as the vault grows; the snapshot is rewritten rarely."""
    sim = Simulator("23.8", state_dir=tmp_path).start()
    snapshot, log = tmp_path / STATE_FILE_NAME, tmp_path / LOG_FILE_NAME
    written: list[int] = []
    rewrites = 0
    try:
        api = Api(sim)
        api.login_key()
        for i in range(300):
            before_log = log.stat().st_size if log.exists() else 0
            before_id = snapshot.stat().st_ino, snapshot.stat().st_mtime_ns
            api.add(f"journal-{i:03d}", ssh(f"10.7.{i // 256}.{i % 256}"))
            if (snapshot.stat().st_ino, snapshot.stat().st_mtime_ns) != before_id:
                rewrites += 1
                written.append(snapshot.stat().st_size + (log.stat().st_size if log.exists() else 0))
            else:
                written.append(log.stat().st_size - before_log)
        assert rewrites <= 4, rewrites
        appends = [w for w in written if w < 4096]
        assert len(appends) >= 296 and max(appends[-50:]) <= 2 * max(appends[:50])
        assert sum(written) < 4 * (snapshot.stat().st_size + (log.stat().st_size if log.exists() else 0))
        state_before = {u: (e.name, e.category) for u, e in sim.vault.entries.items()}
        crashed = copy_state(tmp_path, tmp_path / "crashed")  # the files as a crash would leave them
    finally:
        sim.stop()
    assert not log.exists(), "stop() folds the journal into the snapshot"
    assert (crashed / LOG_FILE_NAME).exists()
    for folder in (tmp_path, crashed):
        with Simulator("23.8", state_dir=folder) as reloaded:
            assert {u: (e.name, e.category) for u, e in reloaded.vault.entries.items()} == state_before


def test_journal_records_removals_and_category_moves_and_ignores_a_torn_line(tmp_path):
    sim = Simulator("24.0", state_dir=tmp_path).start()
    try:
        api = Api(sim)
        api.login_key()
        prod = api.add_category("Prod", C.ALL_CONNECTIONS)
        web = api.add("web01", ssh("10.0.0.1"), category=prod)
        gone = api.add("gone", ssh("10.0.0.2"))
        api.remove_response([gone])
        api.post("/category/remove", {"categories": [prod], "removeChildrenCategories": False, "removeContents": False})
        crashed = copy_state(tmp_path, tmp_path / "crashed")
    finally:
        sim.stop()
    log = crashed / LOG_FILE_NAME
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"entryRemoved": gone} in records and {"categoryRemoved": prod} in records
    with log.open("a") as handle:
        handle.write('{"entry": {"uuid": "torn')
    with Simulator("24.0", state_dir=crashed) as reloaded:
        assert gone not in reloaded.vault.entries and prod not in reloaded.vault.categories
        assert reloaded.vault.entries[web].category == C.DEFAULT_CATEGORY
