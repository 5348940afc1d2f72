"""Helpers for the fault tests (issue 16): an inventory with shared identities, gateways and folders,
a job against a simulator that fails writes (``FaultPlan``), and the checks a converged vault passes.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from helpers.csv_files import write_csv
from helpers.paths import REPO_ROOT
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient


def inventory_rows(n: int, *, prefix: str = "flt") -> list[dict]:
    """``n`` hosts: three bastions, every 7th host behind one; six shared passwords (identities), a
    few one-off passwords (in-place identities), folders two levels deep."""
    rows = [
        {"name": f"{prefix}-bastion-{b}", "host": f"bastion-{b}.example.net", "user": "jump", "folder": "Infra"}
        for b in "abc"
    ]
    for i in range(1, n - 2):
        rows.append(
            {
                "name": f"{prefix}-{i:03d}",
                "host": f"10.{i // 250}.{i % 250}.20",
                "port": "22" if i % 9 else "2222",
                "user": ("deploy", "ops", "root")[i % 3],
                "password": f"Fault-Pass-{i % 6}" if i % 11 else f"Only-{i}",
                "folder": f"Site{i % 3}/Rack{i % 4}",
                "jump": f"{prefix}-bastion-{'abc'[i % 3]}" if i % 7 == 0 else "",
            }
        )
    return rows


def write_job(tmp_path: Path, url: str, auth_file: Path, rows: list[dict], *, name: str = "faults") -> Path:
    write_csv(tmp_path / "servers.csv", rows)
    job = tmp_path / f"{name}.toml"
    job.write_text(
        f"""
name = "{name}"
state = "state/{name}.sqlite"

[[source]]
path = "servers.csv"
format = "csv"

[target]
url = "{url}"
auth = "local"
auth_file = "{auth_file}"
timeout = 10
first_timeout = 10

[import]
root_category = "Imported"
""",
        encoding="utf-8",
    )
    return job


def sync_cli(job: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``xpipe-migrate sync JOB`` as a user runs it (a subprocess)."""
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", "sync", str(job), "--format", "json", *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def vault_entries(sim) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """uuid -> (shown name, type, category) of every entry a query returns."""
    client = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
    client.connect()
    try:
        infos, _ = client.store_info(client.query_stores("**", "**", "*"))
    finally:
        client.close()
    return {i["uuid"]: (i["name"][-1], i["type"], tuple(i["category"])) for i in infos}


def duplicates(vault: dict) -> list:
    counts = Counter((name, type_) for name, type_, _ in vault.values())
    return [k for k, n in counts.items() if n > 1]


def expected_hosts(rows: list[dict]) -> dict[str, tuple[str, ...]]:
    """shown name -> category (lower-cased, without the root) of every host the rows ask for."""
    out = {}
    for r in rows:
        folder = tuple(p.lower() for p in r.get("folder", "").split("/") if p)
        out[r["name"].lower()] = ("imported", *folder)
    return out


def assert_vault_equals_source(sim, rows: list[dict], ledger: Path) -> None:
    """Every host once, where the source puts it; nothing else in the root; the ledger owns exactly
    the ssh entries and identities; no journal row is left open."""
    vault = vault_entries(sim)
    assert duplicates(vault) == []
    ssh = {u: v for u, v in vault.items() if v[1] == "ssh"}
    assert {name: cat for name, _, cat in ssh.values()} == expected_hosts(rows)
    identities = {u for u, v in vault.items() if v[1] == "localIdentity"}
    db = sqlite3.connect(ledger)
    try:
        owned = {u for (u,) in db.execute("SELECT uuid FROM entries WHERE quarantined_at IS NULL")}
        open_rows = db.execute(
            "SELECT op, name, status FROM journal WHERE status IN ('pending', 'uncertain', 'drift')"
        ).fetchall()
    finally:
        db.close()
    assert open_rows == []
    assert owned == set(ssh) | identities


def report(proc: subprocess.CompletedProcess) -> dict:
    return json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}


class LosingProxy:
    """Forwards every request to ``target``. The first write for which ``pick(path, body)`` is true is
    forwarded (XPipe applies it) and then its answer is lost: the connection is reset. After that,
    ``then="vanish"`` stops the proxy and resets every connection still open (XPipe gone: the writes
    still in flight lose their answers too, and every later request is refused, as after a crash),
    ``then="fail"`` answers the next ``fail_next`` queries with a 500 (the check, which starts with a
    query, cannot be made; the writes in flight beside it go through) and forwards the rest;
    ``then="stall"`` holds the answer back for ``stall`` seconds first (past the client's timeout)
    and forwards the rest."""

    def __init__(self, target: str, pick, *, then: str = "vanish", fail_next: int = 2, stall: float = 3.0):
        self.target = target.rstrip("/")
        self.lost: list[tuple[str, dict]] = []
        self.failing = 0
        self.open: set[socket.socket] = set()
        proxy = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with lock:
                    proxy.open.add(self.connection)

            def finish(self):
                with lock:
                    proxy.open.discard(self.connection)
                super().finish()

            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if proxy._stopped.is_set():
                    self._reset()
                    return
                with lock:
                    if proxy.failing > 0 and self.path.endswith("/query"):
                        proxy.failing -= 1
                        self._send(500, b'{"error":{"message":"injected failure"},"documentationLink":null}')
                        return
                    lose = not proxy.lost and self.path.endswith(("/add", "/remove")) and pick(self.path, body)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.post(proxy.target + self.path, data=raw, headers=headers, timeout=10)
                if not lose:
                    self._send(upstream.status_code, upstream.content)
                    return
                proxy.lost.append((self.path, body))
                if then == "stall":
                    time.sleep(stall)
                self._reset()
                if then == "vanish":
                    threading.Thread(target=proxy.stop, daemon=True).start()
                else:
                    proxy.failing = fail_next

            def _reset(self):
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

            def _send(self, status: int, content: bytes):
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._stopped = threading.Event()

    def __enter__(self) -> LosingProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            self.server.shutdown()
            self.server.server_close()
            for sock in list(self.open):  # the connections still open die with the process, answers unsent
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __exit__(self, *exc) -> None:
        self.stop()
        self.thread.join(timeout=10)


def journal(ledger: Path) -> list[tuple[str, str, str]]:
    """(op, name, status) of every journal row, oldest first."""
    db = sqlite3.connect(ledger)
    try:
        return db.execute("SELECT op, name, status FROM journal ORDER BY id").fetchall()
    finally:
        db.close()
