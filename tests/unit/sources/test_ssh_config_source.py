"""SshConfigSource: hosts and diagnostics from real config files, the sample, detection, and fuzzing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.ssh_config import LOCAL_USER, Oracle, compare_chains, compare_many, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import InputError
from migrator.manager import read_sources
from migrator.model import JumpHop
from migrator.sources import detect_format
from migrator.sources.ssh_config.resolver import SshConfig
from migrator.sources.ssh_config.source import SshConfigSource

REPO = REPO_ROOT
SAMPLE = REPO / "samples" / "ssh_config"


def read(path: Path, home: Path, **options):
    return SshConfigSource(path, home=home, local_user=LOCAL_USER, **options).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def codes(result, level=None):
    return [d.code for d in result.diagnostics if level is None or d.level == level]


@pytest.fixture
def home(tmp_path):
    (tmp_path / ".ssh").mkdir()
    return tmp_path


# ----- mapping onto the host model


def test_hosts_carry_every_resolved_field(home):
    config = write(
        home / ".ssh" / "config",
        """\
# Jump host for the lab
Host gw
    HostName GW.Example.NET
    User jumper
    Port 2201

# Application server
# (second comment line)
Host app
    HostName 10.0.0.12
    IdentityFile ~/.ssh/app_%h
    IdentityFile "~/.ssh/with space"
    CertificateFile ~/.ssh/app-cert.pub
    IdentitiesOnly yes
    IdentityAgent ~/.agent.sock
    ProxyJump gw
    ForwardAgent yes
    SendEnv LANG LC_*
    LocalForward 8080 localhost:80
    SetEnv "GREETING=hello world"
    ServerAliveInterval 30
    serveraliveinterval 99

Host plain
    Port 22
""",
    )
    result = read(config, home)
    hosts = by_name(result)
    assert list(hosts) == ["gw", "app", "plain"]
    app = hosts["app"]
    assert app.key == f"ssh_config:{config.as_posix()}#app"
    assert (app.address, app.port, app.user) == ("10.0.0.12", 22, None)
    # the source expands tokenised key paths itself (as ssh does when it connects); plain ones stay as written
    assert app.credentials.key_files == [f"{home.as_posix()}/.ssh/app_10.0.0.12", "~/.ssh/with space"]
    assert app.credentials.certificate_files == ["~/.ssh/app-cert.pub"]
    assert app.credentials.identities_only is True
    assert app.credentials.identity_agent == "~/.agent.sock"
    assert app.jump == [
        JumpHop(host="gw.example.net", port=2201, user="jumper", ref="gw", ref_key=f"ssh_config:{config.as_posix()}#gw")
    ]
    assert app.ssh_options == [
        ("ForwardAgent", "yes"),
        ("SendEnv", "LANG"),
        ("SendEnv", "LC_*"),
        ("LocalForward", "8080 localhost:80"),
        ("SetEnv", '"GREETING=hello world"'),
        ("ServerAliveInterval", "30"),
    ]
    assert app.description == "Application server (second comment line)"
    assert (app.source.file, app.source.line) == (config.as_posix(), 9)
    assert hosts["gw"].description == "Jump host for the lab"
    assert (hosts["gw"].address, hosts["gw"].port, hosts["gw"].user) == ("gw.example.net", 2201, "jumper")
    assert hosts["plain"].ssh_options == [] and hosts["plain"].credentials.key_files == []
    assert codes(result, "error") == [] and codes(result, "warning") == []
    assert codes(result, "info").count("key-path-expanded") == 1


def test_key_paths_with_tokens_are_expanded_by_the_source_per_host(home):
    config = write(
        home / ".ssh" / "config",
        """\
Host web db
    User ops
    IdentityFile ~/.ssh/id_%h_%r
    IdentityFile ~/.ssh/id_plain
Host broken
    IdentityFile ~/.ssh/id_%q
""",
    )
    result = read(config, home)
    hosts = by_name(result)
    assert hosts["web"].credentials.key_files == [f"{home.as_posix()}/.ssh/id_web_ops", "~/.ssh/id_plain"]
    assert hosts["db"].credentials.key_files == [f"{home.as_posix()}/.ssh/id_db_ops", "~/.ssh/id_plain"]
    assert hosts["broken"].credentials.key_files == ["~/.ssh/id_%q"]
    warning = [d for d in result.diagnostics if d.code == "key-path-token"]
    assert [(d.entry, d.line, d.field) for d in warning] == [("broken", 5, "IdentityFile")]
    assert "unknown token %q" in warning[0].message


def test_jump_chain_resolves_each_hop_like_openssh(home):
    config = write(
        home / ".ssh" / "config",
        """\
Host outer
    HostName outer.example.org
    User o
Host inner
    HostName inner.example.org
    ProxyJump outer
    Port 2202
Host target
    ProxyJump inner,admin@second:2300
Host second
    HostName second.internal
    ProxyJump nowhere-used
""",
    )
    hosts = by_name(read(config, home))
    assert [(h.host, h.port, h.user, h.ref) for h in hosts["target"].jump] == [
        ("outer.example.org", 22, "o", "outer"),
        ("inner.example.org", 2202, None, "inner"),
        ("second.internal", 2300, "admin", "second"),
    ]
    assert all(h.ref_key == f"ssh_config:{config.as_posix()}#{h.ref}" for h in hosts["target"].jump)
    cfg = SshConfig(config, home=home, local_user=LOCAL_USER)
    count, problems = compare_chains(cfg, Oracle(home), config, ["target", "inner", "second"])
    assert count == 3 and problems == []


def test_proxyjump_tokens_use_the_target_values(home):
    config = write(home / ".ssh" / "config", "Host tgt\n  HostName tgt.example\n  ProxyJump %h-gw,%n-gw2\n")
    hosts = by_name(read(config, home))
    assert [(h.host, h.ref) for h in hosts["tgt"].jump] == [("tgt.example-gw", None), ("tgt-gw2", None)]


def test_jump_loops_and_unrepresentable_hops_are_not_imported(home):
    config = write(
        home / ".ssh" / "config",
        """\
Host a
    ProxyJump b
Host b
    ProxyJump a
Host self
    ProxyJump self
Host viacmd
    ProxyJump cmdhop
Host cmdhop
    ProxyCommand nc %h %p
Host fine
    ProxyJump none
Host via-broken
    ProxyJump fine,self
""",
    )
    result = read(config, home)
    assert list(by_name(result)) == ["cmdhop", "fine", "via-broken"]
    hops = by_name(result)["via-broken"].jump
    assert [(h.ref, h.ref_key is not None) for h in hops] == [("fine", True), ("self", False)]
    jump_errors = {d.entry: d.message for d in result.diagnostics if d.code == "ssh-jump"}
    assert set(jump_errors) == {"a", "b", "self", "viacmd"}
    assert "loop (a -> b -> a)" in jump_errors["a"]
    assert "jumphost loop" in jump_errors["self"]
    assert "ProxyCommand" in jump_errors["viacmd"]
    assert "ssh-proxy-command" in codes(result, "warning")


def test_servers_defaults_dead_and_unusable_aliases(home):
    write(home / ".ssh" / "inner.conf", "Host only-inside\n  Port 1\n")
    config = write(
        home / ".ssh" / "config",
        """\
Host *.corp web-?? !legacy
    User corp
Host real "with space" user@host -dash good.alias comma,name
    Port 2200
Host excluded !excluded
    Port 3
Host gated
    Include inner.conf
Host web[12]
    Port 4
""",
    )
    result = read(config, home)
    assert list(by_name(result)) == ["real", "good.alias", "gated"]
    diags = {(d.code, d.entry) for d in result.diagnostics}
    assert ("ssh-alias-unusable", "with space") in diags and ("ssh-alias-unusable", "user@host") in diags
    assert ("ssh-alias-unusable", "-dash") in diags and ("ssh-alias-unusable", "comma,name") in diags
    assert ("ssh-dead-alias", "excluded") in diags and ("ssh-dead-alias", "only-inside") in diags
    assert ("ssh-bad-address", "web[12]") in diags
    defaults = [d for d in result.diagnostics if d.code == "ssh-default-pattern"]
    assert sorted(d.message.split("'")[1] for d in defaults) == ["*.corp", "web-??"]
    assert [d.line for d in result.diagnostics if d.code == "ssh-negated-pattern"] == [1]
    skipped = {d.entry for d in result.diagnostics if d.entry and d.level in ("warning", "error")}
    assert skipped == {"with space", "user@host", "-dash", "comma,name", "excluded", "only-inside", "web[12]"}


def test_category_from_include_option(home):
    write(home / ".ssh" / "conf.d" / "lab.conf", "Host lab1\n  Port 1\n")
    config = write(home / ".ssh" / "config", "Include conf.d/*.conf\nHost top\n  Port 2\n")
    plain = by_name(read(config, home))
    assert plain["lab1"].category == [] and plain["lab1"].source.file.endswith("conf.d/lab.conf")
    grouped = by_name(read(config, home, category_from_include=True))
    assert grouped["lab1"].category == ["lab"] and grouped["top"].category == []


def test_include_fallback_next_to_a_copied_config(tmp_path):
    copied = write(tmp_path / "export" / "config", "Include conf.d/*.conf\n")
    write(tmp_path / "export" / "conf.d" / "a.conf", "Host copied\n  Port 7\n")
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    result = read(copied, tmp_path / "home")
    assert by_name(result)["copied"].port == 7
    assert codes(result, "warning") == ["ssh-include-fallback"]
    strict = read(copied, tmp_path / "home", include_fallback=False)
    assert strict.hosts == [] and "ssh-include-missing" in codes(strict)


def test_copied_dot_ssh_folder_is_its_own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    other = tmp_path / "backup" / "alice" / ".ssh"
    write(other / "config", "Include work/*\nHost personal\n  Port 1\n")
    write(other / "work" / "w.conf", "Host work1\n  Port 2\n")
    result = SshConfigSource(other, local_user=LOCAL_USER).read()
    assert set(by_name(result)) == {"work1", "personal"}
    assert "ssh-include-base" in codes(result, "info")


def test_includes_of_special_files_and_symlink_loops_are_reported(home):
    (home / ".ssh" / "loop1").symlink_to(home / ".ssh" / "loop2")
    (home / ".ssh" / "loop2").symlink_to(home / ".ssh" / "loop1")
    writable = write(home / ".ssh" / "shared.conf", "Host shared\n  Port 5\n")
    writable.chmod(0o666)
    config = write(home / ".ssh" / "config", "Include loop1 /dev/zero shared.conf\nHost a\n  Port 2\n")
    result = read(config, home)
    assert [(h.name, h.port) for h in result.hosts] == [("shared", 5), ("a", 2)]
    assert sorted(codes(result)) == ["ssh-include-permissions", "ssh-include-unreadable", "ssh-include-unreadable"]


def test_missing_file_and_folder_without_config_raise_input_error(tmp_path):
    with pytest.raises(InputError):
        SshConfigSource(tmp_path / "nope").read()
    with pytest.raises(InputError):
        SshConfigSource(tmp_path).read()


def test_bom_and_latin1_are_read_with_a_warning(home):
    config = write(home / ".ssh" / "config", "\ufeffHost bom\n  User b\u00e9atrice\n".encode("utf-8"))
    result = read(config, home)
    assert by_name(result)["bom"].user == "b\u00e9atrice" and codes(result) == ["ssh-bom"]
    config.write_bytes("Host lat\n  User b\u00e9atrice\n".encode("latin-1"))
    result = read(config, home)
    assert by_name(result)["lat"].user == "b\u00e9atrice" and codes(result) == ["ssh-encoding"]
    config.write_bytes("Host wide\n  Port 2\n".encode("utf-16"))
    result = read(config, home)
    assert by_name(result)["wide"].port == 2 and codes(result) == ["ssh-encoding"]


# ----- nothing in the file is ever run


def test_match_exec_and_commands_are_never_run(tmp_path):
    home = tmp_path / "home"
    markers = [tmp_path / f"marker{i}" for i in range(6)]
    config = write(
        home / ".ssh" / "config",
        f"""\
Match exec "touch {markers[0]}"
    Port 1
Match host target exec "touch {markers[1]}"
    User x
Match !exec "touch {markers[2]}"
    Port 3
Match final exec "touch {markers[3]}"
    Port 4
Host target other
    ProxyCommand touch {markers[4]}
    LocalCommand touch {markers[5]}
    PermitLocalCommand yes
    KnownHostsCommand touch {markers[5]}
""",
    )
    cfg = SshConfig(config, home=home, local_user=LOCAL_USER)
    for alias in ("target", "other", "unlisted"):
        res = cfg.resolve(alias)
        assert res.port == 22 and res.user is None
    result = read(config, home)
    assert set(by_name(result)) == {"target", "other"}
    assert not any(m.exists() for m in markers)
    exec_lines = sorted(d.line for d in result.diagnostics if d.code == "ssh-match-exec")
    assert exec_lines == [1, 3, 5, 7]
    assert all("not run" in d.message for d in result.diagnostics if d.code == "ssh-match-exec")


# ----- detection


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("config", b"Host x\n  Port 1\n", 95),
        ("ssh_config", b"# comment\n\nInclude conf.d/*\n", 95),
        ("work.conf", b"Match all\n", 95),
        ("hosts.ssh_config", b"User me\n", 90),
        ("anything", b"# mine\nHost a\n", 85),
        ("anything", b"ServerAliveInterval 30\n", 70),
        ("servers.csv", b"Host,Port\nweb,22\n", 0),
        ("sessions.reg", b"Windows Registry Editor Version 5.00\n", 0),
        ("book.xlsx", b"PK\x03\x04", 0),
        ("moba.mxtsessions", b"[Bookmarks]\n", 0),
        ("inventory.ini", b"[web]\nhost1\n", 0),
        ("notes", b"hello world\n", 0),
        ("bastion", b"HostName=bastion.example.org\nProtocol=ssh\nPortNumber=22\nUserName=jump\n", 0),
        ("config", b"", 30),
    ],
)
def test_detect(tmp_path, name, content, expected):
    path = write(tmp_path / name, content)
    assert SshConfigSource.detect(path, content) == expected


def test_registry_detects_the_sample_and_reads_it():
    assert detect_format(SAMPLE) == "ssh_config"
    result = read_sources([str(SAMPLE)], {"home": str(REPO / "no-such-home"), "local_user": LOCAL_USER})
    assert {h.name for h in result.hosts} >= {"ssh-bastion", "ssh-lab1"}


# ----- the sample, every field


def test_sample_every_field(tmp_path):
    result = read(SAMPLE, tmp_path)
    hosts = by_name(result)
    assert list(hosts) == [
        "ssh-lab1",
        "ssh-lab2",
        "ssh-winbuild",
        "ssh-bastion",
        "ssh-web1",
        "ssh-web2",
        "ssh-db",
        "ssh-dbgw",
        "ssh-legacy",
        "ssh-nas",
        "ssh-monitor",
    ]
    assert all(name.startswith("ssh-") for name in hosts)
    key = f"ssh_config:{SAMPLE.as_posix()}#"
    common = [("ServerAliveInterval", "30"), ("Compression", "yes"), ("AddKeysToAgent", "yes")]
    bastion_hop = JumpHop(
        host="bastion.example.net", port=2222, user="jump", ref="ssh-bastion", ref_key=key + "ssh-bastion"
    )
    lab_file = (SAMPLE.parent / "ssh_config.d" / "10-lab.conf").as_posix()
    expected = {
        "ssh-lab1": dict(
            address="lab1.lab.example.com", port=22, user="tester", description="Lab machines", source=(lab_file, 2)
        ),
        "ssh-lab2": dict(
            address="lab2.lab.example.com",
            port=2202,
            user=None,
            certificate_files=["~/.ssh/lab-cert.pub"],
            source=(lab_file, 6),
        ),
        "ssh-winbuild": dict(
            address="winbuild.corp.example.com",
            user="builder",
            ssh_options=[("RequestTTY", "yes")] + common,
            description="Windows build server (OpenSSH for Windows)",
            source=((SAMPLE.parent / "ssh_config.d" / "20-windows.conf").as_posix(), 2),
        ),
        "ssh-bastion": dict(
            address="bastion.example.net",
            port=2222,
            user="jump",
            key_files=["~/.ssh/bastion_ed25519", "~/.ssh/id_ed25519"],
            identities_only=True,
            ssh_options=[("AddKeysToAgent", "yes")],
            description="Bastion for the production network",
            source=(SAMPLE.as_posix(), 9),
        ),
        "ssh-web1": dict(
            address="ssh-web1.prod.example.net",
            user="deploy",
            jump=[bastion_hop],
            description="Public web servers, reached through the bastion",
            source=(SAMPLE.as_posix(), 17),
        ),
        "ssh-web2": dict(
            address="ssh-web2.prod.example.net",
            user="deploy",
            jump=[bastion_hop],
            description="Public web servers, reached through the bastion",
            source=(SAMPLE.as_posix(), 17),
        ),
        "ssh-db": dict(
            address="10.20.0.15",
            user="postgres",
            jump=[
                bastion_hop,
                JumpHop(host="dbgw.prod.example.net", port=2200, user="ops", ref="ssh-dbgw", ref_key=key + "ssh-dbgw"),
            ],
            ssh_options=[("LocalForward", "5432 localhost:5432")] + common,
            source=(SAMPLE.as_posix(), 22),
        ),
        "ssh-dbgw": dict(
            address="dbgw.prod.example.net", user=None, jump=[bastion_hop], source=(SAMPLE.as_posix(), 28)
        ),
        "ssh-legacy": dict(
            address="legacy.example.org",
            proxy_command="nc -X connect -x proxy.example.org:3128 %h %p",
            description="Legacy box behind an HTTP proxy: kept as a ProxyCommand, never run by the import",
            source=(SAMPLE.as_posix(), 33),
        ),
        "ssh-nas": dict(
            address="192.168.1.20",
            port=22,
            user="admin",
            identity_agent="~/.1password/agent.sock",
            source=(SAMPLE.as_posix(), 37),
        ),
        "ssh-monitor": dict(
            address="2001:db8::42",
            user="nagios",
            description="IPv6-only monitoring host",
            source=(SAMPLE.as_posix(), 44),
        ),
    }
    for name, want in expected.items():
        h = hosts[name]
        got = dict(
            address=h.address,
            port=h.port,
            user=h.user,
            key_files=h.credentials.key_files,
            certificate_files=h.credentials.certificate_files,
            identities_only=h.credentials.identities_only,
            identity_agent=h.credentials.identity_agent,
            jump=h.jump,
            ssh_options=h.ssh_options,
            proxy_command=h.proxy_command,
            description=h.description,
            source=(h.source.file, h.source.line),
            key=h.key,
            category=h.category,
            tags=h.tags,
        )
        full = dict(
            port=22,
            user=None,
            key_files=["~/.ssh/id_ed25519"],
            certificate_files=[],
            identities_only=None,
            identity_agent=None,
            jump=[],
            ssh_options=common,
            proxy_command=None,
            description=None,
            key=key + name,
            category=[],
            tags=[],
        )
        full.update(want)
        assert got == full, name
        assert h.credentials.password is None and h.credentials.key_passphrase is None
    assert sorted(codes(result, "warning")) == ["ssh-include-fallback", "ssh-match-exec", "ssh-proxy-command"]
    assert codes(result, "error") == []


def test_sample_agrees_with_ssh_g(tmp_path):
    """The sample placed in a real ~/.ssh resolves like OpenSSH (its Match exec only runs ``test -f``)."""
    ssh_dir = tmp_path / ".ssh"
    shutil.copytree(SAMPLE.parent / "ssh_config.d", ssh_dir / "ssh_config.d")
    config = ssh_dir / "config"
    shutil.copy(SAMPLE, config)
    for copied in [config, *(ssh_dir / "ssh_config.d").iterdir()]:
        copied.chmod(0o644)  # ssh refuses group-writable Included files (a checkout's umask may allow it)
    cfg = SshConfig(config, home=tmp_path, local_user=LOCAL_USER)
    aliases = [a for a, _ in cfg.aliases()]
    assert len(aliases) == 11
    count, problems = compare_many(cfg, Oracle(tmp_path), config, aliases)
    chains, chain_problems = compare_chains(cfg, Oracle(tmp_path), config, aliases)
    assert (count, chains) == (11, 4)
    assert problems == [] and chain_problems == []


# ----- damaged input never raises


def _assert_survives(path: Path, home: Path) -> None:
    result = read(path, home)
    for d in result.diagnostics:
        assert d.file and d.code
    for h in result.hosts:
        assert h.name and h.address


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600))
def test_fuzz_random_bytes(home, data):
    _assert_survives(write(home / ".ssh" / "config", data), home)


FRAGMENTS = [
    "Host",
    "Match",
    "Include",
    "HostName",
    "Port",
    "User",
    "ProxyJump",
    "ProxyCommand",
    "IdentityFile",
    "IgnoreUnknown",
    "UseKeychain",
    "all",
    "final",
    "canonical",
    "exec",
    "host",
    "!",
    "*",
    "?",
    ",",
    "=",
    '"',
    "'",
    "\\",
    "#",
    " ",
    " ",
    "\t",
    "\n",
    "\n",
    "\n  ",
    "%h",
    "%",
    "%%",
    "~",
    "~/",
    "none",
    "a",
    "b",
    "gw",
    "web1",
    "22",
    "0",
    "70000",
    "ssh://",
    "@",
    ":",
    "[",
    "]",
    "conf.d/*",
    "/",
    "\r",
    "\x00",
    "\ufeff",
    "\u00e9",
    "${HOME}",
    "CanonicalizeHostname yes",
    "Match final\n",
]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=80),
    encoding=st.sampled_from(["utf-8", "latin-1", "utf-16", "utf-16-le"]),
)
def test_fuzz_config_like_text(home, parts, encoding):
    text = "".join(parts)
    write(home / ".ssh" / "conf.d" / "x", "Host gw\n  ProxyJump web1\n")
    _assert_survives(write(home / ".ssh" / "config", text.encode(encoding, errors="replace")), home)


def test_fuzz_truncated_sample_at_every_byte(tmp_path):
    data = SAMPLE.read_bytes()
    (tmp_path / ".ssh").mkdir()
    path = tmp_path / ".ssh" / "config"
    for cut in range(0, len(data), 7):
        path.write_bytes(data[:cut])
        _assert_survives(path, tmp_path)
