"""``migrator.sources.openssh_args`` against the real ``ssh -G`` of this machine (OpenSSH 9.2p1):
generated command lines (hypothesis, derandomized) must give the same host, port, user, jump route,
identity files and switches, or be refused by both."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources.openssh_args import SshCommandError, parse_ssh_command

SSH = shutil.which("ssh")
pytestmark = pytest.mark.skipif(SSH is None, reason="needs OpenSSH's ssh")  # present on every dev/CI machine

HOSTS = st.sampled_from(["h.example", "10.0.0.1", "web-01", "[::1]", "H.Example"])
USERS = st.sampled_from(["u", "deploy", "a.b"])
PORTS = st.sampled_from(["22", "2222", "65535", "0", "x", "ssh"])


@st.composite
def destination(draw):
    host = draw(HOSTS)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return host
    if kind == 1:
        return f"{draw(USERS)}@{host}"
    port = draw(st.sampled_from(["", ":2200", ":0"]))
    user = draw(st.sampled_from(["", "u@"]))
    return f"ssh://{user}{host}{port}"


@st.composite
def option(draw, key_file):
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return ["-p", draw(PORTS)]
    if kind == 1:
        return [f"-p{draw(PORTS)}"]
    if kind == 2:
        return ["-l", draw(USERS)]
    if kind == 3:
        return [
            "-o",
            f"{draw(st.sampled_from(['User', 'Port', 'user']))}{draw(st.sampled_from(['=', ' ']))}"
            + draw(USERS if draw(st.booleans()) else PORTS),
        ]
    if kind == 4:
        return ["-J", draw(st.sampled_from(["j", "a@j:2", "j1,b@j2", "none", "ssh://j:2022"]))]
    if kind == 5:
        return [f"-o ProxyJump={draw(st.sampled_from(['j', 'u@j:1', 'none']))}".replace(" ", "", 1)]
    if kind == 6:
        return ["-" + "".join(draw(st.lists(st.sampled_from("46AaXxYCgq"), min_size=1, max_size=4)))]
    if kind == 7:
        return ["-i", key_file]
    if kind == 8:
        return ["-o", f"ForwardAgent={draw(st.sampled_from(['yes', 'no']))}"]
    if kind == 9:
        return ["-o", f"HostName={draw(st.sampled_from(['real.example', '%h.x']))}"]
    if kind == 10:
        return ["-o", f"Compression={draw(st.sampled_from(['yes', 'no', 'maybe']))}"]
    return [draw(st.sampled_from(["-Z", "-o", "-1", "-oBogus=1"]))]


def ssh_g(args: list[str], home: str) -> dict[str, list[str]] | None:
    env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "USER": "tester"}
    run = subprocess.run([SSH, "-G", "-F", "/dev/null", *args], capture_output=True, text=True, env=env, timeout=20)
    if run.returncode != 0:
        return None
    out: dict[str, list[str]] = {}
    for line in run.stdout.splitlines():
        k, _, v = line.partition(" ")
        out.setdefault(k, []).append(v)
    return out


@given(st.data())
@settings(max_examples=250, deadline=None)
def test_command_lines_read_like_ssh_reads_them(tmp_path_factory, data):
    home = str(tmp_path_factory.mktemp("home"))
    key = os.path.join(home, "id_test")
    open(key, "w").close()
    before = data.draw(st.lists(option(key), max_size=4))
    after = data.draw(st.lists(option(key), max_size=2))
    args = [w for o in before for w in o] + [data.draw(destination())] + [w for o in after for w in o]
    real = ssh_g(args, home)
    try:
        ours = parse_ssh_command(args)
    except SshCommandError:
        assert real is None, args
        return
    assert real is not None, args
    assert real["hostname"][0].lower() == (ours.address or "").lower(), args
    assert int(real["port"][0]) == (ours.port or 22), args
    assert real["user"][0] == (ours.user or pwd.getpwuid(os.getuid()).pw_name), args
    jump = real.get("proxyjump", [None])[0]
    assert jump == (ours.jump.ssh_g() if ours.jump is not None and not ours.jump.none else None), args
    ids = [i for i in real.get("identityfile", []) if i == key]
    assert ids == [f for f in ours.identity_files if f == key][:1] * len(ids), args
    for keyword in ("ForwardAgent", "ForwardX11", "Compression", "AddressFamily", "ForwardX11Trusted", "GatewayPorts"):
        mine = [v for k, v in ours.options if k == keyword]
        if mine:
            assert real[keyword.lower()][0] == mine[0], (args, keyword)
