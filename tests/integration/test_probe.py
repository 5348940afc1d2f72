"""`audit --probe` reachability checks against real servers on 127.0.0.1.

Every server here listens on 127.0.0.1 only: a paramiko SSH server with a freshly generated host key,
OpenSSH's sshd when it is installed, and small raw TCP listeners that misbehave on purpose (silent,
HTTP, banner then nothing...). A resolver guard makes any lookup of a name other than the loopback
addresses fail the test, so nothing here can reach the network.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import paramiko
import pytest
from helpers.ssh_server import LOOPBACK, SERVER_BANNER, SERVER_LOG_CHANNEL, Listener, ParamikoSSHServer

from migrator.audit.probe import ProbeResult, ProbeTarget, probe_hosts

# The server side logs every client that hangs up after the key exchange (as probes do) at ERROR.
logging.getLogger(SERVER_LOG_CHANNEL).addHandler(logging.NullHandler())
logging.getLogger(SERVER_LOG_CHANNEL).propagate = False
# A probe must end within its timeout plus this much (thread scheduling, closing paramiko's thread).
SLACK = 1.0


# --- resolver guard -------------------------------------------------------------------------------


class ResolverGuard:
    """Stands in front of ``socket.getaddrinfo``: loopback literals pass, everything else is recorded.

    Names a test declares with ``fake`` get a scripted answer (a resolver failure after an optional
    delay); any other name is a test bug and fails the test at teardown.
    """

    def __init__(self, real: Callable[..., list]):
        self._real = real
        self._fakes: dict[str, float] = {}
        self.unexpected: list[str] = []
        self.asked: list[str] = []

    def fake(self, name: str, *, delay: float = 0.0) -> None:
        self._fakes[name] = delay

    def __call__(self, host, port, *args, **kwargs):
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        self.asked.append(host_text)
        if host_text in (LOOPBACK, "::1"):
            return self._real(host, port, *args, **kwargs)
        if host_text in self._fakes:
            time.sleep(self._fakes[host_text])
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        self.unexpected.append(host_text)
        raise socket.gaierror(socket.EAI_NONAME, "blocked by the test's resolver guard")


@pytest.fixture(autouse=True)
def resolver(monkeypatch) -> Iterator[ResolverGuard]:
    guard = ResolverGuard(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
    yield guard
    assert guard.unexpected == [], f"a test tried to resolve non-loopback names: {guard.unexpected}"


# --- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@pytest.fixture
def listen() -> Iterator[Callable[[Callable[[socket.socket, Listener], None]], Listener]]:
    listeners: list[Listener] = []

    def start(handle: Callable[[socket.socket, Listener], None]) -> Listener:
        listener = Listener(handle)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.close()


def stay_silent(conn: socket.socket, listener: Listener) -> None:
    """Accept and say nothing until the client leaves (or the test ends)."""
    conn.settimeout(0.1)
    while not listener.stopped.is_set():
        try:
            if not conn.recv(1024):
                return
        except TimeoutError:
            continue


def send_then(data: bytes, *, then_silent: bool) -> Callable[[socket.socket, Listener], None]:
    def handle(conn: socket.socket, listener: Listener) -> None:
        conn.sendall(data)
        if then_silent:
            stay_silent(conn, listener)

    return handle


@pytest.fixture
def ssh_server() -> Iterator[ParamikoSSHServer]:
    server = ParamikoSSHServer()
    yield server
    server.close()


def probe_threads_alive() -> list[threading.Thread]:
    """Client-side paramiko threads and probe workers still running (server-side ones are the test's)."""
    return [
        t
        for t in threading.enumerate()
        if (isinstance(t, paramiko.Transport) and not t.server_mode) or t.name.startswith("xpipe-probe_")
    ]


# --- the paramiko server --------------------------------------------------------------------------


def test_paramiko_server_gives_banner_key_type_and_fingerprint(ssh_server):
    [result] = probe_hosts([ProbeTarget("lab-ssh", LOOPBACK, ssh_server.port)], timeout=5)

    assert result.status == "ok", result.message
    assert (result.name, result.host, result.port) == ("lab-ssh", LOOPBACK, ssh_server.port)
    assert result.banner == SERVER_BANNER
    assert result.host_key_type == "ssh-ed25519"
    assert result.host_key_fingerprint == ssh_server.fingerprint
    assert "\n" not in result.message and "ssh-ed25519" in result.message
    assert 0 <= result.seconds < 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "error"


def test_fingerprint_matches_ssh_keygen_when_available(ssh_server, tmp_path):
    """The reference format is what `ssh-keygen -lf` prints; the paramiko-free computation agrees."""
    [result] = probe_hosts([ProbeTarget("lab-ssh", LOOPBACK, ssh_server.port)])
    assert result.host_key_fingerprint == ssh_server.fingerprint
    keygen = shutil.which("ssh-keygen")
    if keygen:
        public_file = tmp_path / "key.pub"
        public_file.write_text(ssh_server.public_line + "\n")
        listing = subprocess.run([keygen, "-lf", str(public_file)], capture_output=True, text=True, check=True)
        assert listing.stdout.split()[1] == result.host_key_fingerprint
    assert "=" not in result.host_key_fingerprint


def test_many_probes_of_one_server_all_succeed_and_leave_no_threads(ssh_server):
    targets = [ProbeTarget(f"lab-{i:02d}", LOOPBACK, ssh_server.port) for i in range(20)]
    results = probe_hosts(targets, concurrency=8, timeout=5)

    assert [r.name for r in results] == [t.name for t in targets]
    assert {r.status for r in results} == {"ok"}
    assert {r.host_key_fingerprint for r in results} == {ssh_server.fingerprint}
    assert ssh_server.listener.accepted == 20
    assert probe_threads_alive() == []


# --- OpenSSH sshd ---------------------------------------------------------------------------------


@pytest.fixture
def openssh_server(tmp_path) -> Iterator[tuple[int, str]]:
    """OpenSSH's sshd on an ephemeral 127.0.0.1 port with a throw-away host key and config."""
    sshd = "/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else shutil.which("sshd")
    keygen = shutil.which("ssh-keygen")
    if not sshd or not keygen:
        reason = "OpenSSH sshd/ssh-keygen are not installed (Debian package openssh-server)"
        if os.environ.get("XPIPE_MIGRATE_REQUIRE_SSHD") == "1":
            pytest.fail(f"{reason}, but XPIPE_MIGRATE_REQUIRE_SSHD=1 requires the real-sshd probe test")
        pytest.skip(f"{reason}; set XPIPE_MIGRATE_REQUIRE_SSHD=1 to make this a failure")
    if os.geteuid() == 0:
        # sshd running as root insists on its privilege separation directory (systemd normally makes it).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    key = tmp_path / "ssh_host_ed25519_key"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "probe-test", "-f", str(key)], check=True)
    listing = subprocess.run([keygen, "-lf", f"{key}.pub"], capture_output=True, text=True, check=True)
    fingerprint = listing.stdout.split()[1]
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {LOOPBACK}\nHostKey {key}\nPidFile {tmp_path / 'sshd.pid'}\n"
        "UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication no\nAuthorizedKeysFile none\nMaxStartups 50\n"
    )
    log = tmp_path / "sshd.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=log_file)
    try:
        give_up = time.monotonic() + 15
        while f"listening on {LOOPBACK} port {port}" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > give_up:
                pytest.fail(f"sshd did not start (exit {process.poll()}): {log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield port, fingerprint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_real_openssh_server(openssh_server):
    port, fingerprint = openssh_server
    with socket.create_connection((LOOPBACK, port), timeout=5) as raw:
        raw_banner = raw.makefile("rb").readline().decode().rstrip("\r\n")

    results = probe_hosts([ProbeTarget(f"sshd-{i}", LOOPBACK, port) for i in range(4)], concurrency=4)

    assert raw_banner.startswith("SSH-2.0-OpenSSH_")
    for result in results:
        assert result.status == "ok", result.message
        assert result.banner == raw_banner
        assert result.host_key_type == "ssh-ed25519"
        assert result.host_key_fingerprint == fingerprint
    assert probe_threads_alive() == []


# --- failures -------------------------------------------------------------------------------------


def test_closed_port_is_refused():
    port = free_port()
    [result] = probe_hosts([ProbeTarget("closed", LOOPBACK, port)], timeout=3)

    assert result.status == "refused"
    assert str(port) in result.message and "refused" in result.message
    assert (result.banner, result.host_key_type, result.host_key_fingerprint) == (None, None, None)


def test_silent_listener_times_out_within_bound(listen):
    silent = listen(stay_silent)
    started = time.monotonic()
    [result] = probe_hosts([ProbeTarget("silent", LOOPBACK, silent.port)], timeout=0.5)
    wall = time.monotonic() - started

    assert result.status == "timeout"
    assert "sent nothing" in result.message
    assert silent.accepted == 1
    assert 0.45 <= result.seconds <= 0.5 + SLACK
    assert wall <= 0.5 + SLACK
    assert probe_threads_alive() == []


def test_http_server_is_tcp_only_and_says_what_it_sent(listen):
    http = listen(send_then(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", then_silent=False))
    [result] = probe_hosts([ProbeTarget("web", LOOPBACK, http.port)], timeout=3)

    assert result.status == "tcp-only"
    assert "not an SSH server" in result.message and "HTTP/1.1 400 Bad Request" in result.message
    assert result.banner is None and result.host_key_fingerprint is None


def test_non_ssh_line_then_silence_still_ends_within_bound(listen):
    """paramiko waits 2 s per extra pre-banner line, up to 100 lines; the probe budget must win."""
    chatty = listen(send_then(b"HTTP/1.1 400 Bad Request\r\n", then_silent=True))
    [result] = probe_hosts([ProbeTarget("chatty", LOOPBACK, chatty.port)], timeout=0.5)

    assert result.status == "tcp-only"
    assert "no SSH banner" in result.message and "HTTP/1.1 400" in result.message
    assert result.seconds <= 0.5 + SLACK
    assert probe_threads_alive() == []


def test_ssh_banner_then_hangup_is_tcp_only_with_kex_failure(listen):
    fake = listen(send_then(b"SSH-2.0-FakeSSH_0.1\r\n", then_silent=False))
    [result] = probe_hosts([ProbeTarget("fake", LOOPBACK, fake.port)], timeout=3)

    assert result.status == "tcp-only"
    assert result.banner == "SSH-2.0-FakeSSH_0.1"
    assert "key exchange failed" in result.message
    assert result.host_key_type is None


def test_ssh_banner_then_silence_times_out_with_banner(listen):
    stall = listen(send_then(b"SSH-2.0-StallSSH_0.1\r\n", then_silent=True))
    [result] = probe_hosts([ProbeTarget("stall", LOOPBACK, stall.port)], timeout=0.5)

    assert result.status == "timeout"
    assert result.banner == "SSH-2.0-StallSSH_0.1"
    assert "key exchange did not finish" in result.message
    assert result.seconds <= 0.5 + SLACK
    assert probe_threads_alive() == []


def test_ssh1_server_is_tcp_only(listen):
    old = listen(send_then(b"SSH-1.5-OldSSH\r\n", then_silent=True))
    [result] = probe_hosts([ProbeTarget("old", LOOPBACK, old.port)], timeout=3)

    assert result.status == "tcp-only"
    assert result.banner == "SSH-1.5-OldSSH"
    assert "Incompatible version (1.5" in result.message


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize(
    "greeting",
    [b"", b"HTTP/1.1 400 Bad Request\r\n", b"SSH-2.0-StallSSH_0.1\r\n", b"SSH-1.5-OldSSH\r\n"],
    ids=["silent", "non-ssh-line", "kex-stall", "ssh1"],
)
def test_probe_hangs_up_whatever_stage_it_stopped_at(listen, greeting):
    """The server sees the connection end as soon as the probe returns.

    The garbage collector is paused so that only an explicit close can end the connection.
    """
    server = listen(send_then(greeting, then_silent=True))
    gc.disable()
    try:
        [result] = probe_hosts([ProbeTarget("hangup", LOOPBACK, server.port)], timeout=0.5)
        assert result.status in ("timeout", "tcp-only")
        assert wait_until(lambda: server.active == 0, 1.0), "the probe left its connection open"
    finally:
        gc.enable()
    assert probe_threads_alive() == []


def test_unresolvable_name(resolver):
    resolver.fake("no-such-host.invalid")
    [result] = probe_hosts([ProbeTarget("ghost", "no-such-host.invalid", 22)], timeout=2)

    assert result.status == "unresolved"
    assert "no-such-host.invalid" in result.message
    assert resolver.asked == ["no-such-host.invalid"]


def test_slow_resolver_does_not_stretch_the_budget(resolver):
    resolver.fake("slow-dns.invalid", delay=3)
    [result] = probe_hosts([ProbeTarget("slow", "slow-dns.invalid", 22)], timeout=0.3)

    assert result.status == "timeout"
    assert "name resolution" in result.message
    assert result.seconds <= 0.3 + SLACK


def test_bad_host_or_port_is_an_error_without_connecting(resolver):
    results = probe_hosts([ProbeTarget("blank", "  ", 22), ProbeTarget("big-port", LOOPBACK, 70000)])

    assert [r.status for r in results] == ["error", "error"]
    assert "no host name" in results[0].message
    assert "70000" in results[1].message
    assert resolver.asked == []


# --- jump hosts, concurrency, order ---------------------------------------------------------------


def test_host_behind_jump_host_is_skipped_without_connecting(listen):
    counter = listen(stay_silent)
    [result] = probe_hosts([ProbeTarget("inner", LOOPBACK, counter.port, via="bastion-1")], timeout=2)

    assert result.status == "skipped"
    assert "bastion-1" in result.message and "jump host" in result.message
    time.sleep(0.2)  # a stray connection would have been accepted by now
    assert counter.accepted == 0


def test_concurrency_bound_is_respected(listen):
    def hold_then_hang_up(conn: socket.socket, listener: Listener) -> None:
        time.sleep(0.3)  # the listener counts the connection closed before it actually closes it

    busy = listen(hold_then_hang_up)
    targets = [ProbeTarget(f"busy-{i}", LOOPBACK, busy.port) for i in range(10)]
    results = probe_hosts(targets, concurrency=3, timeout=5)

    assert [r.status for r in results] == ["tcp-only"] * 10
    assert busy.accepted == 10
    assert busy.max_active == 3


def test_results_keep_input_order_and_progress_reports_each_as_it_finishes(listen, ssh_server):
    silent = listen(stay_silent)
    targets = [
        ProbeTarget("first-slow", LOOPBACK, silent.port),
        ProbeTarget("second-ssh", LOOPBACK, ssh_server.port),
        ProbeTarget("third-closed", LOOPBACK, free_port()),
        ProbeTarget("fourth-jump", LOOPBACK, ssh_server.port, via="bastion-2"),
    ]
    seen: list[ProbeResult] = []
    caller = threading.current_thread()
    seen_threads: set[threading.Thread] = set()

    def progress(result: ProbeResult) -> None:
        seen.append(result)
        seen_threads.add(threading.current_thread())

    results = probe_hosts(targets, concurrency=4, timeout=0.8, progress=progress)

    assert [r.name for r in results] == [t.name for t in targets]
    assert [r.status for r in results] == ["timeout", "ok", "refused", "skipped"]
    assert sorted(r.name for r in seen) == sorted(t.name for t in targets)
    assert seen[-1].name == "first-slow"  # reported when it finished, not in input order
    assert set(seen) == set(results)
    assert seen_threads == {caller}


def test_arguments_are_checked():
    assert probe_hosts([]) == []
    with pytest.raises(ValueError, match="concurrency"):
        probe_hosts([ProbeTarget("x", LOOPBACK)], concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        probe_hosts([ProbeTarget("x", LOOPBACK)], timeout=0)
