"""How the client's HTTP requests travel, so that none waits for a delayed ACK.

XPipe's JDK HTTP server leaves Nagle's algorithm on and writes the response headers and the body
in two socket writes (docs/xpipe-api.md §1.7). On a reused connection the body is then held back until the
client ACKs the headers, and a client ACKs a lone segment only when its delayed-ACK timer fires:
about 40 ms per request on Linux, up to 200 ms on Windows. The modes:

* ``quickack`` (Linux): keep-alive, and ``TCP_QUICKACK`` re-armed before each response is read, so
  the kernel ACKs the headers at once. The fastest (one connection, no stall); Linux only, because
  no other platform offers a per-socket switch for delayed ACKs.
* ``close``: a fresh connection per request (``Connection: close``). The server closes the socket
  after the response, and a closing socket sends what Nagle held back at once, on every platform.
  Costs a TCP handshake and a server-side connection setup per request.
* ``keepalive``: plain keep-alive, for comparison only: it pays the stall on every request.

``auto`` picks ``quickack`` where the socket option exists and ``close`` elsewhere. The numbers
behind the choice are in the README ("Transport") and benchmarks/RESULTS.md.

Every mode also enforces a deadline for the whole response (:func:`deadline`): requests' timeout is
per socket read, so a server trickling one byte at a time would otherwise hold the run forever.
"""

from __future__ import annotations

import contextvars
import io
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

MODES = ("auto", "quickack", "close", "keepalive")


def quickack_available() -> bool:
    return hasattr(socket, "TCP_QUICKACK") and hasattr(socket, "TCP_CORK")


def resolve(mode: str = "auto") -> str:
    """The concrete mode for ``mode`` on this platform (``quickack`` falls back to ``close``)."""
    if mode not in MODES:
        raise ValueError(f"transport must be one of {', '.join(MODES)}, not {mode!r}")
    if mode in ("auto", "quickack"):
        return "quickack" if quickack_available() else "close"
    return mode


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("xpipe_deadline", default=None)


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Responses read inside this block must be complete by ``at`` (``time.monotonic()``)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def expired(at: float) -> bool:
    return time.monotonic() >= at


#: Bytes a response's reader asks the socket for at once. requests reads a body 10 KiB at a time; with
#: the standard 8 KiB buffer that is a socket read, and a wait for the GIL after it, per 10 KiB: a
#: vault read of 10,000 hosts (8 MB) made a thousand of them, each waiting for whatever thread held
#: the GIL (the one mapping the sources meanwhile) for up to its switch interval (5 ms). With a
#: larger buffer one read takes what the socket holds, and the chunks after it come from memory.
READ_BUFFER = 256 * 1024


class _DeadlineReader(io.RawIOBase):
    """The response's socket reads, each allowed only the time left until the deadline.

    http.client reads the status line, headers and body through this; a read started after the
    deadline, or one that would end after it, fails with ``socket.timeout``, which urllib3 and
    requests report as a timeout or a broken connection (the client tells them apart by the clock).
    """

    def __init__(self, sock: socket.socket, at: float):
        super().__init__()
        self._sock = sock
        self._at = at

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._sock._decref_socketios()  # as socket.SocketIO does: the socket closes after its readers
        super().close()

    def readinto(self, buffer) -> int:
        left = self._at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the response did not arrive before the deadline")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """Stands in for the socket while http.client builds its response reader (``makefile``)."""

    def __init__(self, sock: socket.socket, at: float):
        self._sock = sock
        self._at = at

    def makefile(self, mode: str = "rb", *args, **kwargs):
        self._sock._io_refs += 1  # a close() of the connection waits for the reader, as with socket.makefile
        return io.BufferedReader(_DeadlineReader(self._sock, self._at), READ_BUFFER)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _DeadlineConnection(HTTPConnection):
    """Reads each response under the deadline set by :func:`deadline` (none outside it)."""

    def getresponse(self, *args, **kwargs):
        at = _DEADLINE.get()
        if at is None or self.sock is None:
            return super().getresponse(*args, **kwargs)
        real = self.sock
        self.sock = _DeadlineSocket(real, at)
        try:
            return super().getresponse(*args, **kwargs)
        finally:
            if isinstance(self.sock, _DeadlineSocket):  # http.client drops it when the server closes
                self.sock = real


class _QuickAckConnection(_DeadlineConnection):
    """Sends each request in one segment (urllib3 writes headers and body separately; TCP_CORK
    joins them) and re-arms TCP_QUICKACK once it is sent: Linux leaves quick-ACK mode by itself."""

    def request(self, *args, **kwargs):
        if self.sock is None:
            self.connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        try:
            super().request(*args, **kwargs)
        finally:
            if self.sock is not None:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

    def getresponse(self, *args, **kwargs):
        if self.sock is not None:
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except OSError:
                pass  # the connection is gone; reading the response reports that
        return super().getresponse(*args, **kwargs)


class _QuickAckPool(HTTPConnectionPool):
    ConnectionCls = _QuickAckConnection


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _OneShotPool(HTTPConnectionPool):
    """Closes every connection when it comes back, so the next request opens a fresh one.

    Closing on our side too (not only asking the server with ``Connection: close``) means a
    connection the server is about to close is never reused.
    """

    ConnectionCls = _DeadlineConnection

    def _put_conn(self, conn):
        if conn is not None:
            conn.close()
        super()._put_conn(conn)


class _Adapter(HTTPAdapter):
    """An adapter whose plain-HTTP connections come from ``pool_class``, keeping up to ``size`` per
    daemon (one per thread that talks to it at the same time)."""

    def __init__(self, pool_class: type[HTTPConnectionPool], size: int):
        self.pool_class = pool_class
        super().__init__(pool_connections=1, pool_maxsize=size)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {**self.poolmanager.pool_classes_by_scheme, "http": self.pool_class}


def configure(session: requests.Session, mode: str = "auto", *, pool: int = 10) -> str:
    """Set ``session`` up for ``mode`` with up to ``pool`` connections at once; returns the concrete mode."""
    chosen = resolve(mode)
    if chosen == "quickack":
        session.mount("http://", _Adapter(_QuickAckPool, pool))
    elif chosen == "close":
        session.mount("http://", _Adapter(_OneShotPool, pool))
        session.headers["Connection"] = "close"
    else:
        session.mount("http://", _Adapter(_DeadlinePool, pool))
    return chosen
