"""The HTTP side of the simulator: the server, XPipe's request pipeline, and the Simulator object.

The pipeline is the one of XPipe's ``BeaconRequestHandler`` (docs/xpipe-api.md §1.5), in this order:
catch-all redirect for unknown paths, wait for startup, API-enabled check (403), Authorization
header (401), session token (403), body parsing (400/500), handler (400/500), response.

The transport is the JDK ``com.sun.net.httpserver`` one by default (docs/xpipe-api.md §1.1, §1.7): Nagle's
algorithm stays on, the status line and headers go out in one socket write and the body in a second,
and at most 5 requests are handled at once (XPipe's executor). On a keep-alive connection the body
therefore waits for the client's delayed ACK, as with XPipe. ``transport="ideal"`` sets
TCP_NODELAY and writes each response in one write, for comparison only.
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import signal
import socket
import struct
import threading
import time
import uuid as uuidlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrator.simulator import endpoints, persist
from migrator.simulator.errors import ApiFailure, ServerFailure, throwable
from migrator.simulator.faults import AFTER_MESSAGE, BEFORE_MESSAGE, FaultPlan
from migrator.simulator.vault import Vault
from migrator.xpipe import constants as C

DOCS_URL = "https://docs.xpipe.io/api"
TRANSPORTS = ("jdk", "ideal")
EXECUTOR_THREADS = 5
API_DISABLED_MESSAGE = "HTTP API is not enabled in the settings menu"
_JSON_INDENT = 2
#: Statuses ``_process`` returns for a fault that answers nothing (``simulator.faults``).
RESET, CLOSE = -1, -2


def major_version(version: str) -> int:
    """The major version; anything unparsable (e.g. ``dev``) counts as the newest dialect."""
    head = version.split(".", 1)[0].split("-", 1)[0]
    return int(head) if head.isdigit() else 24


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` (no newline) to ``path`` readable by the owner only, creating parent dirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator):
        self.simulator = simulator
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.executor = threading.BoundedSemaphore(EXECUTOR_THREADS)
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent: only I/O failures get here (handlers turn every other error into a 500)."""

    def drop_connections(self) -> None:
        with self.connections_lock:
            sockets, self.open_connections = list(self.open_connections), set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        if self.server.simulator.transport == "ideal":
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)
            self.server.simulator.connections += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Silent: the simulator must never log request content (it may contain secrets)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        with self.server.executor:
            self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET  # method is never checked

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit():
            self.close_connection = True
            return b""
        return self.rfile.read(int(length)) if int(length) > 0 else b""

    def _dispatch(self) -> None:
        sim = self.server.simulator
        path = urlsplit(self.path).path or "/"
        body = self._read_body()
        sim._count(path)
        cors = sim.api_enabled
        endpoint = endpoints.route(sim._endpoints, path)
        if endpoint is None or (self.command == "OPTIONS" and cors):
            sim._lag()
            if endpoint is None:
                self._respond(303, None, cors, location=DOCS_URL)
            else:
                self._respond(200, None, cors)
            return
        status, payload = sim._process(endpoint, self.headers.get("Authorization"), body)
        if status in (RESET, CLOSE):
            self._hang_up(reset=status == RESET)
            return
        self._respond(status, payload, cors)

    def _hang_up(self, *, reset: bool) -> None:
        """Answer nothing: a reset (RST, SO_LINGER 0) or a plain close (FIN) once the handler returns."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # now, before the server's shutdown(SHUT_WR) could send a FIN first

    def send_response(self, code: int, message: str | None = None) -> None:
        """Like XPipe's JDK server: a Date header, no Server header."""
        self.send_response_only(code, message)
        self.send_header("Date", formatdate(usegmt=True))

    def _respond(self, status: int, payload: Any, cors: bool, *, location: str | None = None) -> None:
        data = b"" if payload is None else _to_json(payload)
        self.send_response(status)
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(data)))
        if not data or self.command == "HEAD":
            self.end_headers()
        elif self.server.simulator.transport == "ideal":
            self._headers_buffer.append(b"\r\n" + data)
            self.flush_headers()
        else:
            self.end_headers()  # sendResponseHeaders: one write, then the body in another
            self.wfile.write(data)


def _to_json(payload: Any) -> bytes:
    return json.dumps(payload, indent=_JSON_INDENT, ensure_ascii=False).encode("utf-8")


class Simulator:
    """A simulated XPipe daemon API on 127.0.0.1; see the package docstring for its options."""

    def __init__(
        self,
        version: str = "23.8",
        *,
        port: int = 0,
        auth_file: str | os.PathLike | None = None,
        api_key: str | None = None,
        api_key_file: str | os.PathLike | None = None,
        state_dir: str | os.PathLike | None = None,
        latency_ms: float = 0,
        api_enabled: bool = True,
        startup_delay: float = 0.0,
        synced_identities: bool = False,
        gateway_children: bool = True,
        lenient_ssh: bool = False,
        selected_category: str = C.DEFAULT_CATEGORY,
        auth_disabled: bool = False,
        plan: str = "community",
        transport: str = "jdk",
        faults: FaultPlan | None = None,
    ):
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
        self.transport = transport
        self.faults = faults
        """A test aid (``--fail-writes``): vault writes that fail before or after they apply."""
        self.version = version
        self.major = major_version(version)
        self.latency_ms = latency_ms
        self.api_enabled = api_enabled
        self.auth_disabled = auth_disabled
        self.startup_delay = startup_delay
        self.plan = plan
        self.auth_file = Path(auth_file) if auth_file is not None else None
        self.api_key_file = Path(api_key_file) if api_key_file is not None else None
        self.api_key = self._resolve_api_key(api_key)
        self.auth_content: str | None = None
        self.requests: collections.Counter[str] = collections.Counter()
        self.connections = 0
        """TCP connections accepted so far."""
        self.storage_seconds = 0.0
        """Time storage calls have held the storage lock so far: the daemon's serialized storage time,
        the floor under any client (benchmarks)."""
        self.storage_calls = 0
        self.vault = Vault(
            synced_identities=synced_identities,
            gateway_children=gateway_children,
            lenient_ssh=lenient_ssh,
            selected_category=selected_category,
        )
        if self.major >= 24:
            self.vault.unknown_entry = "Unknown  store: "  # two spaces, as XPipe 24 writes it
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._autosave: persist.Journal | None = None
        if self.state_dir is not None:
            if (self.state_dir / persist.STATE_FILE_NAME).exists():
                persist.load(self.vault, self.state_dir)
            self._autosave = persist.Journal(self.vault, self.state_dir)
            self.vault.on_change = self._autosave.changed
        self._endpoints = endpoints.endpoints_for(self.major)
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sessions: set[str] = set()
        self._sessions_lock = threading.Lock()
        self._counter_lock = threading.Lock()
        self._ready_at = 0.0

    def _resolve_api_key(self, api_key: str | None) -> str:
        if api_key is not None:
            return api_key
        if self.api_key_file is not None:
            if self.api_key_file.exists():
                return self.api_key_file.read_text(encoding="utf-8").strip()
            key = str(uuidlib.uuid4())
            _write_private(self.api_key_file, key)
            return key
        return secrets.token_hex(16)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        self._server = _Server(("127.0.0.1", self._requested_port), self)
        self._requested_port = self._server.server_address[1]
        self._begin_session_epoch()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"xpipe-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._autosave is not None:
            self._autosave.flush()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        with self._sessions_lock:
            self._sessions.clear()
        self._remove_auth_file()

    def restart(self) -> None:
        """Like restarting XPipe: sessions forgotten, new auth-file content, startup delay again."""
        if self._autosave is not None:
            self._autosave.flush()
        self._begin_session_epoch()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _begin_session_epoch(self) -> None:
        with self._sessions_lock:
            self._sessions.clear()
        self.auth_content = None
        if self.auth_file is not None:
            self.auth_content = str(uuidlib.uuid4())
            _write_private(self.auth_file, self.auth_content)
        self._ready_at = time.monotonic() + self.startup_delay

    def _remove_auth_file(self) -> None:
        if self.auth_file is None:
            return
        try:
            if self.auth_file.read_text(encoding="utf-8") == self.auth_content:
                self.auth_file.unlink()
        except OSError:
            pass

    @property
    def port(self) -> int:
        return self._requested_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ bookkeeping

    def reset_counters(self) -> None:
        with self._counter_lock:
            self.requests.clear()

    def _count(self, path: str) -> None:
        with self._counter_lock:
            self.requests[path] += 1

    def _lag(self, started: float | None = None) -> None:
        """Sleep until ``latency_ms`` have passed since ``started`` (default: now)."""
        if self.latency_ms:
            spent = time.monotonic() - started if started is not None else 0.0
            if self.latency_ms / 1000 > spent:
                time.sleep(self.latency_ms / 1000 - spent)

    def open_session(self) -> str:
        token = endpoints.new_token()
        with self._sessions_lock:
            self._sessions.add(token)
        return token

    def _known_token(self, token: str) -> bool:
        with self._sessions_lock:
            return token in self._sessions

    # ------------------------------------------------------------------ the pipeline

    def _process(self, endpoint: endpoints.Endpoint, authorization: str | None, raw: bytes) -> tuple[int, Any]:
        """One request, taking ``latency_ms`` in all (its own work included). Storage endpoints spend
        it holding the vault lock, like XPipe's handlers synchronized on ``DataStorage`` (docs/xpipe-api.md §1.7);
        every other request spends it unlocked."""
        refused = self._admit(endpoint, authorization)
        if refused is not None:
            self._lag()
            return refused
        if endpoint.storage:
            with self.vault.lock:
                entered = time.monotonic()
                try:
                    return self._locked(endpoint, raw)
                finally:
                    self.storage_seconds += time.monotonic() - entered
                    self.storage_calls += 1
        return self._handle(endpoint, raw)

    def _locked(self, endpoint: endpoints.Endpoint, raw: bytes) -> tuple[int, Any]:
        """A storage call, holding the storage lock; a write may fail before or after (``faults``)."""
        fault = self.faults.draw(endpoint.path) if self.faults is not None and endpoint.writes else None
        if fault == "before":
            started = time.monotonic()
            failure = ServerFailure(BEFORE_MESSAGE, java_class="java.io.IOException")
            self._lag(started)
            return failure.status, failure.body()
        status, payload = self._handle(endpoint, raw)
        if fault is None or status != 200:
            return status, payload
        if fault == "after-500":
            failure = ServerFailure(AFTER_MESSAGE, java_class="java.io.IOException")
            return failure.status, failure.body()
        return (RESET if fault == "after-reset" else CLOSE), None

    def _handle(self, endpoint: endpoints.Endpoint, raw: bytes) -> tuple[int, Any]:
        started = time.monotonic()
        try:
            body = endpoints.parse_request(endpoint, raw, self.major)
            endpoints.require_fields(endpoint, body)
            return 200, endpoint.handler(self, body, endpoint)
        except ApiFailure as failure:
            return failure.status, failure.body()
        except Exception as error:  # noqa: BLE001 - XPipe answers every other Throwable with a 500
            failure = ServerFailure(f"{type(error).__name__}: {error}", java_class="java.lang.RuntimeException")
            return failure.status, failure.body()
        finally:
            self._lag(started)

    def _admit(self, endpoint: endpoints.Endpoint, authorization: str | None) -> tuple[int, Any] | None:
        """Pipeline rows 2-5 (docs/xpipe-api.md §1.5): the answer when the request is refused before its handler."""
        if endpoint.requires_startup:
            wait = self._ready_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if endpoint.requires_enabled_api and not self.api_enabled:
            return 403, throwable(API_DISABLED_MESSAGE, "io.xpipe.beacon.BeaconServerException")
        if endpoint.requires_auth and not self.auth_disabled:
            if authorization is None:
                return 401, {"message": "Missing Authorization header"}
            if not self._known_token(authorization.replace("Bearer ", "")):
                return 403, {"message": "Unknown token"}
        return None


def serve(
    port: int,
    version: str,
    api_key_file: str | os.PathLike | None = None,
    auth_file: str | os.PathLike | None = None,
    state_dir: str | os.PathLike | None = None,
    latency_ms: float = 0,
    transport: str = "jdk",
    faults: FaultPlan | None = None,
) -> None:
    """Run a simulator in the foreground until Ctrl-C or SIGTERM (the CLI's ``simulate`` command).

    Prints one line with the URL and the credential file paths, never a key or the auth content.
    """
    sim = Simulator(
        version,
        port=port,
        auth_file=auth_file,
        api_key_file=api_key_file,
        state_dir=state_dir,
        latency_ms=latency_ms,
        transport=transport,
        faults=faults,
    )
    stopped = threading.Event()
    previous = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:  # before the line below: whoever reads it may send SIGTERM at once
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    sim.start()
    print(
        f"XPipe API simulator {version} listening on {sim.url} "
        f"(Local auth file: {auth_file if auth_file is not None else 'none'}; "
        f"API key file: {api_key_file if api_key_file is not None else 'none'})"
        + (
            f"; failing {faults.rate:.0%} of the vault writes ({faults.mode}, seed {faults.seed})"
            if faults is not None and faults.rate
            else ""
        ),
        flush=True,
    )
    try:
        while not stopped.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
