"""Helpers for the sync safety tests (issue 10): a job file writer, a ledger reader and a fault proxy.

The fault proxy sits on 127.0.0.1 between the migrator and a simulator and answers the Nth write
request (``add``/``remove``), and the ``times - 1`` writes after it, with ``status`` (XPipe's 500 or
400) instead of forwarding them, so a test can fail any step of a multi-request change and look at
what is left in the vault. A 500 is a write whose outcome the client cannot know: it checks the vault
and sends the write again, up to ``ATTEMPTS`` sends, so failing it for sure takes ``times=ATTEMPTS``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from migrator.cli import main

WRITE_PATHS = ("/connection/add", "/connection/remove", "/store/add", "/store/remove")


def write_job(
    tmp_path: Path,
    url: str,
    auth_file: Path,
    sources: str,
    *,
    quarantine_days: int = 0,
    name: str = "safety",
    file_name: str = "job.toml",
) -> Path:
    """A job with prune on and no percentage guard; ``sources`` is the ``[[source]]`` TOML."""
    text = f"""
name = "{name}"
state = "state/{name}.sqlite"

{sources}

[target]
url = "{url}"
auth = "local"
auth_file = "{auth_file}"

[import]
root_category = "Imported"

[prune]
enabled = true
max_percent = 100
min_owned = 0
quarantine_days = {quarantine_days}
"""
    path = tmp_path / file_name
    path.write_text(text, encoding="utf-8")
    return path


def sync(capsys, job: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["--no-progress", "sync", str(job), "--format", "json", *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip().startswith("{") else {}, out.err


def actions(doc: dict) -> list[tuple[str, str]]:
    return sorted(
        (c["action"], c["name"]) for c in doc["changes"] if c["action"] != "unchanged" and c["kind"] != "category"
    )


def ledger_rows(job: Path, name: str = "safety") -> dict[str, tuple[str, str, str | None]]:
    """key -> (uuid, name, quarantined_at)."""
    db = sqlite3.connect(job.parent / "state" / f"{name}.sqlite")
    try:
        return {k: (u, n, q) for k, u, n, q in db.execute("SELECT key, uuid, name, quarantined_at FROM entries")}
    finally:
        db.close()


def vault(client) -> dict[str, dict]:
    """uuid -> info of every ssh entry in the vault."""
    infos, _ = client.store_info(client.query_stores("**", "**", "ssh"))
    return {i["uuid"]: i for i in infos}


def by_name(client) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for info in vault(client).values():
        out.setdefault(info["name"][-1], []).append(info)
    return out


class FaultProxy:
    """Forwards every request to ``target``; the ``fail_at``-th write (1-based) gets ``status`` instead,
    and so do its resends (the same request body) up to ``times`` sends in all. Writes are told apart
    by their body, not by their order: the loader keeps a few writes in flight, so the sends after
    the failing one are not necessarily its resends."""

    def __init__(self, target: str, fail_at: int | None = None, *, times: int = 1, status: int = 500):
        self.target = target.rstrip("/")
        self.fail_at = fail_at
        self.times = times
        self.status = status
        self.writes = 0
        self.chosen: tuple[str, bytes] | None = None
        self.failed: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path in WRITE_PATHS:
                    with proxy.lock:
                        proxy.writes += 1
                        if proxy.writes == proxy.fail_at:
                            proxy.chosen = (self.path, body)
                        fail = proxy.chosen == (self.path, body) and len(proxy.failed) < proxy.times
                    if fail:
                        proxy.failed.append(self.path)
                        body = (
                            b'{"message":"injected failure"}'
                            if proxy.status < 500
                            else b'{"error":{"message":"injected failure"},"documentationLink":null}'
                        )
                        self._send(proxy.status, body, "application/json")
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.post(
                    proxy.target + self.path, data=body, headers=headers, timeout=10, allow_redirects=False
                )
                self._send(
                    upstream.status_code, upstream.content, upstream.headers.get("Content-Type", "application/json")
                )

            def _send(self, status: int, content: bytes, ctype: str):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
