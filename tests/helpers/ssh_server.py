"""A real SSH server (paramiko in server mode) on 127.0.0.1 for the reachability probe's tests."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import threading
from collections.abc import Callable

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

LOOPBACK = "127.0.0.1"
SERVER_BANNER = "SSH-2.0-XpipeProbeTest_1.0"
SERVER_LOG_CHANNEL = "tests.probe.ssh_server"


class Listener:
    """A TCP server on 127.0.0.1 that runs ``handle(conn)`` in a thread per connection.

    It counts connections and the most that were open at once. A connection counts as open from
    accept until ``handle`` returns and is closed only after that, so a client cannot finish with
    it (and start its next connection) while it is still counted.
    """

    def __init__(self, handle: Callable[[socket.socket, Listener], None]):
        self._handle = handle
        self._sock = socket.socket()
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self.accepted = 0
        self.active = 0
        self.max_active = 0
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                self._handle(conn, self)
            except OSError:
                pass
            finally:
                with self._lock:
                    self.active -= 1

    def close(self) -> None:
        self.stopped.set()
        self._acceptor.join(5)
        self._sock.close()
        for worker in self._threads:
            worker.join(5)


def ed25519_host_key() -> tuple[paramiko.PKey, str, str]:
    """A new host key, its OpenSSH public line and its fingerprint computed without paramiko."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public_line = (
        private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    )
    blob = base64.b64decode(public_line.split()[1])
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem)), public_line, fingerprint


class ParamikoSSHServer:
    """A real SSH server (paramiko, server mode) on 127.0.0.1; it accepts no authentication at all."""

    def __init__(self):
        self.host_key, self.public_line, self.fingerprint = ed25519_host_key()
        self.transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()
        self.listener = Listener(self._serve)
        self.port = self.listener.port

    def _serve(self, conn: socket.socket, listener: Listener) -> None:
        transport = paramiko.Transport(conn)
        transport.local_version = SERVER_BANNER
        transport.set_log_channel(SERVER_LOG_CHANNEL)
        transport.add_server_key(self.host_key)
        with self._lock:
            self.transports.append(transport)
        done = threading.Event()
        transport.start_server(event=done, server=paramiko.ServerInterface())
        while transport.is_alive() and not listener.stopped.is_set():
            transport.join(0.1)
        transport.close()

    def close(self) -> None:
        self.listener.close()
        for transport in self.transports:
            transport.close()
            transport.join(5)
