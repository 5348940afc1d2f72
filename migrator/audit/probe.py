"""Read-only reachability checks for ``audit --probe``.

Each probe opens a TCP connection, lets paramiko read the SSH banner and run the key exchange far
enough to learn the server's host key, then closes everything. It never authenticates, so it leaves
nothing behind on the server except a pre-authentication log line.

Every probe finishes within about ``timeout`` seconds whatever the other side does (silent listeners,
endless pre-banner lines, a stalled key exchange, a slow resolver): each stage only gets the time that
is left of the probe's budget, and paramiko's own waits are cut short by closing its transport.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import cast

import paramiko

from migrator.mapper.keys import fingerprint as ssh_fingerprint

STATUSES = ("ok", "tcp-only", "refused", "timeout", "unresolved", "error", "skipped")

# paramiko logs every failed negotiation at ERROR with a traceback; for a probe a failure is an
# expected outcome that the result already describes, so its log goes to a channel of our own.
SSH_LOG_CHANNEL = "migrator.audit.probe.ssh"
_ssh_log = logging.getLogger(SSH_LOG_CHANNEL)
_ssh_log.addHandler(logging.NullHandler())
_ssh_log.propagate = False

_PEEK_BYTES = 256
_MESSAGE_SNIPPET = 60
_PARAMIKO_LIMIT_MARGIN = 5.0
# How long closing may take to stop paramiko's thread (it polls its socket every 0.1 s).
_TRANSPORT_JOIN_SECONDS = 2.0


@dataclass(frozen=True)
class ProbeTarget:
    """One host to probe; ``via`` names the jump host it is reached through, if any."""

    name: str
    host: str
    port: int = 22
    via: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What one probe found; ``message`` is a single line meant for the report."""

    name: str
    host: str
    port: int
    status: str
    banner: str | None = None
    host_key_type: str | None = None
    host_key_fingerprint: str | None = None
    seconds: float = 0.0
    message: str = ""


class _Outcome(Exception):
    """Ends a probe early with a status and a message (internal control flow only)."""

    def __init__(self, status: str, message: str, banner: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.banner = banner


def probe_hosts(
    targets: list[ProbeTarget],
    *,
    concurrency: int = 16,
    timeout: float = 5.0,
    progress: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe every target, at most ``concurrency`` at a time; results come back in input order.

    ``progress`` is called once per target, from the calling thread, as each probe finishes.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    targets = list(targets)
    if not targets:
        return []
    results: list[ProbeResult | None] = [None] * len(targets)
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="xpipe-probe")
    wait = True
    try:
        futures = {executor.submit(probe_one, target, timeout): i for i, target in enumerate(targets)}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if progress is not None:
                progress(result)
    except KeyboardInterrupt:
        wait = False  # Ctrl-C: the caller shows what was gathered now; running probes end by their deadline
        raise
    finally:
        executor.shutdown(wait=wait, cancel_futures=True)
    return cast("list[ProbeResult]", results)  # as_completed yielded every future, so no gaps remain


def probe_one(target: ProbeTarget, timeout: float) -> ProbeResult:
    """Probe a single target; never raises for anything the network or the server does."""
    started = time.monotonic()
    if target.via:
        return _result(
            target, started, "skipped", f"reached through jump host {target.via!r}; not probed directly from here"
        )
    deadline = started + timeout
    try:
        key, banner = _probe_ssh(target, deadline, timeout)
    except _Outcome as outcome:
        return _result(target, started, outcome.status, outcome.message, banner=outcome.banner)
    except Exception as exc:  # a probe reports every failure instead of raising
        return _result(target, started, "error", f"unexpected {type(exc).__name__}: {exc}")
    fingerprint = ssh_fingerprint(key.asbytes())
    return _result(
        target,
        started,
        "ok",
        f"SSH server answered with a {key.get_name()} host key",
        banner=banner,
        key_type=key.get_name(),
        fingerprint=fingerprint,
    )


def _result(
    target: ProbeTarget,
    started: float,
    status: str,
    message: str,
    *,
    banner: str | None = None,
    key_type: str | None = None,
    fingerprint: str | None = None,
) -> ProbeResult:
    return ProbeResult(
        name=target.name,
        host=target.host,
        port=target.port,
        status=status,
        banner=banner,
        host_key_type=key_type,
        host_key_fingerprint=fingerprint,
        seconds=round(time.monotonic() - started, 3),
        message=_one_line(message),
    )


def _probe_ssh(target: ProbeTarget, deadline: float, timeout: float) -> tuple[paramiko.PKey, str]:
    if not target.host or not target.host.strip():
        raise _Outcome("error", "no host name to probe")
    if not 0 < target.port < 65536:
        raise _Outcome("error", f"port {target.port} is out of range")
    addresses = _resolve(target.host, target.port, deadline, timeout)
    sock = _connect(addresses, target.port, deadline, timeout)
    transport: paramiko.Transport | None = None
    try:
        first_bytes = _peek_first_bytes(sock, deadline, timeout)
        transport = paramiko.Transport(sock)
        transport.set_log_channel(SSH_LOG_CHANNEL)
        # paramiko's own limits sit past the budget, so that running out of time is noticed here
        # (start_client returns) and reported as a timeout rather than as a failed negotiation.
        transport.banner_timeout = transport.handshake_timeout = timeout + _PARAMIKO_LIMIT_MARGIN
        failure: Exception | None = None
        try:
            transport.start_client(timeout=max(_remaining(deadline), 0.01))
        except Exception as exc:  # paramiko raises many kinds; all are classified below
            failure = exc
        return _classify(transport, failure, first_bytes, timeout)
    finally:
        _close(transport, sock)


def _resolve(host: str, port: int, deadline: float, timeout: float) -> list[str]:
    """Resolve ``host`` within the budget; literal addresses never reach the resolver."""
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
        return [literal]
    except ValueError:
        pass
    answer: dict[str, object] = {}

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # handed back to the probing thread
            answer["error"] = exc

    # getaddrinfo cannot be interrupted, so it runs aside; a slow resolver only keeps that thread.
    resolver = threading.Thread(target=lookup, name=f"xpipe-probe-resolve-{host}", daemon=True)
    resolver.start()
    resolver.join(_remaining(deadline))
    if resolver.is_alive():
        raise _Outcome("timeout", f"name resolution of {host!r} did not finish within {timeout:g}s")
    error = answer.get("error")
    if isinstance(error, socket.gaierror):
        raise _Outcome("unresolved", f"cannot resolve {host!r}: {error.strerror or error}")
    if isinstance(error, Exception):
        raise _Outcome("error", f"resolving {host!r} failed: {error}")
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in answer["infos"]:  # type: ignore[union-attr]
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise _Outcome("unresolved", f"{host!r} has no address")
    return addresses


def _connect(addresses: list[str], port: int, deadline: float, timeout: float) -> socket.socket:
    """Try each address in turn with what is left of the budget, like ``ssh`` does."""
    last: _Outcome | None = None
    for address in addresses:
        remaining = _remaining(deadline)
        if remaining <= 0:
            break
        try:
            return socket.create_connection((address, port), timeout=remaining)
        except ConnectionRefusedError:
            last = _Outcome("refused", f"connection to {address} port {port} refused")
        except TimeoutError:
            last = _Outcome("timeout", f"no TCP connection to {address} port {port} within {timeout:g}s")
        except OSError as exc:
            last = _Outcome("error", f"cannot connect to {address} port {port}: {exc.strerror or exc}")
    raise last or _Outcome("timeout", f"no TCP connection to port {port} within {timeout:g}s")


def _peek_first_bytes(sock: socket.socket, deadline: float, timeout: float) -> bytes:
    """Wait for the server to speak first (SSH servers do) without consuming what it says."""
    sock.settimeout(max(_remaining(deadline), 0.01))
    try:
        data = sock.recv(_PEEK_BYTES, socket.MSG_PEEK)
    except TimeoutError:
        raise _Outcome("timeout", f"TCP connected, but the server sent nothing within {timeout:g}s") from None
    except OSError as exc:
        raise _Outcome("tcp-only", f"TCP connected, then the connection failed: {exc.strerror or exc}") from None
    if not data:
        raise _Outcome("tcp-only", "TCP connected, but the server closed the connection without an SSH banner")
    return data


def _classify(
    transport: paramiko.Transport, failure: Exception | None, first_bytes: bytes, timeout: float
) -> tuple[paramiko.PKey, str]:
    banner = transport.remote_version or None
    if failure is None and transport.is_active():
        try:
            return transport.get_remote_server_key(), banner or ""
        except paramiko.SSHException:
            pass  # negotiation still running when the budget ran out
    if banner is None:
        if first_bytes.startswith(b"SSH-"):
            line = _first_line(first_bytes)
            reason = _describe(failure) if failure else "no complete banner line"
            raise _Outcome(
                "tcp-only", f"TCP connected, but the SSH banner {line!r} was not usable: {reason}", banner=line
            )
        if failure is None:
            raise _Outcome(
                "tcp-only",
                f"TCP connected, but no SSH banner within {timeout:g}s; the server sent {_first_line(first_bytes)!r}",
            )
        raise _Outcome("tcp-only", f"TCP connected, but not an SSH server: it sent {_first_line(first_bytes)!r}")
    if failure is None:
        raise _Outcome(
            "timeout", f"SSH banner read, but the key exchange did not finish within {timeout:g}s", banner=banner
        )
    raise _Outcome("tcp-only", f"SSH banner read, but the key exchange failed: {_describe(failure)}", banner=banner)


def _close(transport: paramiko.Transport | None, sock: socket.socket) -> None:
    """Stop paramiko's thread and release the socket, whatever state negotiation ended in."""
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes paramiko's pending recv now rather than at its next poll
    except OSError:
        pass  # already disconnected
    if transport is not None:
        try:
            transport.close()
        finally:
            sock.close()  # Transport.close() returns early if its thread already died
            if transport.is_alive():
                transport.join(_TRANSPORT_JOIN_SECONDS)
    else:
        sock.close()


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _describe(exc: Exception) -> str:
    if isinstance(exc, EOFError):
        return "the server closed the connection"
    return str(exc) or type(exc).__name__


def _first_line(data: bytes) -> str:
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    text = line.decode("utf-8", "replace")
    printable = "".join(ch if ch.isprintable() else "?" for ch in text)
    return printable[:_MESSAGE_SNIPPET] + ("..." if len(printable) > _MESSAGE_SNIPPET else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())
