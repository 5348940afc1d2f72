"""Each OpenSSH reading rule, on a hand-written config, checked against the real ``ssh -G``.

Every test both compares all aliases with ``ssh -G`` (hostname, port, user, identity files,
certificates, ProxyJump, ProxyCommand) and asserts the expected values, so a rule is pinned even
if the installed OpenSSH changed.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.ssh_config import (
    LOCAL_USER,
    PW_HOME,
    QUIRK_JUMP_NONE_BLOCKS_COMMAND,
    Oracle,
    compare_many,
    default_identity_files,
    openssh_quirks,
    write,
)

from migrator.model import Host, Provenance
from migrator.sources.ssh_config.resolver import SshConfig
from migrator.sources.ssh_config.tokens import TokenError, expand_path


class Env:
    def __init__(self, root: Path):
        self.home = root / "home"
        self.ssh_dir = self.home / ".ssh"
        self.ssh_dir.mkdir(parents=True)
        self.oracle = Oracle(self.home)
        self.config = self.ssh_dir / "config"

    def file(self, rel: str, text: str | bytes) -> Path:
        return write(self.ssh_dir / rel, text)

    def check(self, text: str | bytes, probes=(), *, config: Path | None = None, skip=()) -> SshConfig:
        """Write the config, resolve every alias (plus ``probes``) and require agreement with ssh -G."""
        path = config or self.config
        write(path, text)
        cfg = SshConfig(path, home=self.home, local_user=LOCAL_USER)
        aliases = [a for a, _ in cfg.aliases() if a not in skip] + list(probes)
        count, problems = compare_many(cfg, Oracle(self.home), path, aliases)
        assert count == len(set(aliases))
        assert not problems, "\n".join(problems)
        assert not [d for d in cfg.diagnostics if d.level == "error"], cfg.diagnostics
        return cfg


@pytest.fixture
def env(tmp_path):
    return Env(tmp_path)


# ----- 1.1 first value wins, accumulation


def test_first_value_wins_and_host_star_position(env):
    cfg = env.check(
        "Host *\n  User topuser\n"
        "Host web\n  User webuser\n  Port 2201\n  Port 2202\n"
        "Host web db\n  Port 2203\n  HostName %h.example.org\n"
        "Host *\n  Port 2299\n  HostName fallback.example\n",
        probes=["other"],
    )
    web, db, other = cfg.resolve("web"), cfg.resolve("db"), cfg.resolve("other")
    assert (web.user, web.port, web.hostname) == ("topuser", 2201, "web.example.org")
    assert (db.user, db.port, db.hostname) == ("topuser", 2203, "db.example.org")
    assert (other.port, other.hostname) == (2299, "fallback.example")


def test_identity_and_certificate_files_accumulate_in_order(env):
    cfg = env.check(
        "Host web\n  IdentityFile ~/.ssh/web\n  CertificateFile ~/.ssh/web-cert.pub\n"
        "Host *\n  IdentityFile ~/.ssh/common\n  IdentityFile ~/.ssh/web\n  CertificateFile ~/.ssh/ca.pub\n"
        "Host web\n  IdentityFile ~/.ssh/late\n",
        probes=["nothing-set"],
    )
    web = cfg.resolve("web")
    assert web.identity_files == ["~/.ssh/web", "~/.ssh/common", "~/.ssh/late"]
    assert web.certificate_files == ["~/.ssh/web-cert.pub", "~/.ssh/ca.pub"]
    assert cfg.resolve("nothing-set").identity_files == ["~/.ssh/common", "~/.ssh/web"]
    assert len(default_identity_files()) >= 3


def test_user_is_none_when_the_file_sets_none(env):
    cfg = env.check("Host a\n  Port 2\nHost b\n  User deploy\n")
    assert cfg.resolve("a").user is None
    assert cfg.resolve("b").user == "deploy"


# ----- 1.2 lexical rules


def test_keywords_case_insensitive_and_equals_separators(env):
    cfg = env.check(
        "HOST k1\n  HOSTNAME K1.Example.ORG\n  port=2001\n"
        "host k2\n  hOsTnAmE = k2.example\n  PoRt =2002\n  User= alice\n"
        "Host=k3\n  Port= 2003\n  User =bob\n"
        "\tHost\tk4\n\tPort\t2004\n",
    )
    assert cfg.resolve("k1").hostname == "k1.example.org"
    assert (cfg.resolve("k2").port, cfg.resolve("k2").user) == (2002, "alice")
    assert (cfg.resolve("k3").port, cfg.resolve("k3").user) == (2003, "bob")
    assert cfg.resolve("k4").port == 2004


def test_quoting_escapes_and_trailing_comments(env):
    cfg = env.check(
        'Host q1\n  IdentityFile "~/.ssh/my key"\n  IdentityFile ~/.ssh/a"b c"d\n  User \'single quoted\'\n'
        "Host q2\n  Port 2200 # legacy port\n  IdentityFile ~/.ssh/x#y\n  User a\\ b\n"
        'Host q3 # the third\n  IdentityFile "~/.ssh/esc\\"aped"\n  ProxyCommand nc %h %p # stays in the command\n',
    )
    q1, q2, q3 = cfg.resolve("q1"), cfg.resolve("q2"), cfg.resolve("q3")
    assert q1.identity_files == ["~/.ssh/my key", "~/.ssh/ab cd"]
    assert q1.user == "single quoted"
    assert (q2.port, q2.identity_files, q2.user) == (2200, ["~/.ssh/x#y"], "a b")
    assert q3.identity_files == ['~/.ssh/esc"aped']
    assert q3.proxy_command == "nc %h %p # stays in the command"


def test_crlf_line_endings_and_tabs(env):
    cfg = env.check(b"Host crlf\r\n\tHostName crlf.example\r\n\tPort\t2222\r\n")
    assert (cfg.resolve("crlf").hostname, cfg.resolve("crlf").port) == ("crlf.example", 2222)


def test_port_service_names_and_number_forms(env):
    expected_ssh = socket.getservbyname("ssh", "tcp")
    cfg = env.check('Host p1\n  Port ssh\nHost p2\n  Port +0213\nHost p3\n  Port " 2022"\n')
    assert cfg.resolve("p1").port == expected_ssh
    assert cfg.resolve("p2").port == 213
    assert cfg.resolve("p3").port == 2022


def test_hostname_tokens_lowercasing_and_numeric_addresses(env):
    cfg = env.check(
        "Host Tok\n  HostName %h.%%.Example.COM\n"
        "Host ip-oct\n  HostName 010.1\n"
        "Host ip-pad\n  HostName 192.168.001.002\n"
        "Host ip6\n  HostName FE80::AB\n"
        "Host ip6b\n  HostName 2001:DB8:0:0::1\n",
    )
    assert cfg.resolve("Tok").hostname == "Tok.%.Example.COM"  # a "%" makes ssh treat it as an address
    assert cfg.resolve("ip-oct").hostname == "8.0.0.1"
    assert cfg.resolve("ip-pad").hostname == "192.168.1.2"
    assert cfg.resolve("ip6").hostname == "FE80::AB"
    assert cfg.resolve("ip6b").hostname == "2001:db8::1"


# ----- 1.3 Host patterns


def test_host_patterns_wildcards_negation_and_lists(env):
    cfg = env.check(
        "Host web-?? !web-99\n  User webfleet\n"
        "Host *.corp.example\n  Port 2100\n"
        "Host !lonely\n  Port 9999\n"
        "Host web-01 web-99 db.corp.example\n  HostName %h.internal\n"
        "Host a,b\n  Port 2300\n"
        "Host web[12]\n  Port 2400\n",
        probes=["web-42", "web-99", "lonely", "a", "b", "web1", "x.corp.example"],
        skip=["a,b"],  # OpenSSH (9.2 deb12u10, 10.3) refuses a destination with a comma
    )
    assert cfg.resolve("web-01").user == "webfleet"
    assert cfg.resolve("web-99").user is None
    assert cfg.resolve("db.corp.example").port == 2100
    assert cfg.resolve("lonely").port == 22
    assert cfg.resolve("a,b").port == 2300 and cfg.resolve("a").port == 22
    assert cfg.resolve("web[12]").port == 2400 and cfg.resolve("web1").port == 22
    assert [a for a, _ in cfg.aliases()] == ["web-01", "web-99", "db.corp.example", "a,b", "web[12]"]


def test_host_patterns_are_case_sensitive_and_never_see_the_hostname(env):
    cfg = env.check(
        "Host MyBox\n  HostName 10.50.1.1\n  Port 2500\n"
        "Host sql-01\n  HostName 10.50.1.2\n"
        "Host 10.50.*\n  User netadmin\n",
        probes=["mybox", "MYBOX", "10.50.1.2"],
    )
    assert cfg.resolve("MyBox").port == 2500
    assert cfg.resolve("mybox").port == 22
    assert cfg.resolve("sql-01").user is None
    assert cfg.resolve("10.50.1.2").user == "netadmin"


def test_lines_before_any_host_apply_to_all_and_empty_host_line_selects_nothing(env):
    cfg = env.check("User everyone\nPort 2600\nHost # just a note\n  Port 1\nHost z\n  Port 2\n", probes=["anything"])
    assert (cfg.resolve("z").user, cfg.resolve("z").port) == ("everyone", 2600)


# ----- 1.5 Include


def test_include_relative_to_dot_ssh_not_to_the_including_file(env):
    elsewhere = env.home / "elsewhere"
    write(elsewhere / "extra.conf", "Host inc\n  Port 1111\n")
    env.file("extra.conf", "Host inc\n  Port 2222\n")
    cfg = env.check("Include extra.conf\n", config=elsewhere / "config")
    assert cfg.resolve("inc").port == 2222


def test_include_globs_are_read_in_lexical_order_with_tilde_and_absolute_paths(env):
    env.file("conf.d/20-web.conf", "Host g\n  Port 2020\n  IdentityFile ~/.ssh/twenty\n")
    env.file("conf.d/9-late.conf", "Host g\n  Port 9009\n  IdentityFile ~/.ssh/nine\n")
    env.file("conf.d/.hidden", "Host g\n  User hidden\n")
    env.file("conf.d/sub/deep.conf", "Host deep\n  Port 3030\n")
    absolute = write(env.home / "abs" / "x.conf", "Host absolute\n  Port 4040\n")
    cfg = env.check(f"Include conf.d/* ~/.ssh/conf.d/sub/*.conf\nInclude {absolute}\nInclude missing/*.conf\n")
    g = cfg.resolve("g")
    assert (g.port, g.user) == (2020, None)
    assert g.identity_files == ["~/.ssh/twenty", "~/.ssh/nine"]
    assert cfg.resolve("deep").port == 3030
    assert cfg.resolve("absolute").port == 4040


def test_include_inside_a_host_block_is_conditional_and_the_block_continues_after_it(env):
    env.file("inner.conf", "Port 1212\nHost inner-a\n  User innera\nHost *\n  IdentityFile ~/.ssh/inner-star\n")
    cfg = env.check(
        "Host outer inner-a\n  Include inner.conf\n  User afterinclude\nHost other\n  Port 3434\n",
        probes=["stranger"],
    )
    outer = cfg.resolve("outer")
    assert (outer.port, outer.user, outer.identity_files) == (1212, "afterinclude", ["~/.ssh/inner-star"])
    inner = cfg.resolve("inner-a")
    assert (inner.port, inner.user) == (1212, "innera")
    stranger = cfg.resolve("stranger")
    assert stranger.identity_files == [] and stranger.port == 22


def test_include_at_column_zero_after_a_host_block_belongs_to_that_block(env):
    env.file("late.conf", "Host late-a\n  Port 5151\n")
    cfg = env.check("Host first\n  Port 1\nInclude late.conf\n", probes=["late-a"])
    assert cfg.resolve("late-a").port == 22
    assert cfg.resolve("late-a").declared is False
    cfg2 = env.check("Host first\n  Port 1\nMatch all\nInclude late.conf\n")
    assert cfg2.resolve("late-a").port == 5151 and cfg2.resolve("late-a").declared


def test_nested_includes(env):
    env.file("l1.conf", "Include l2.conf\nHost n1\n  Port 1001\n")
    env.file("l2.conf", "Host n2\n  Port 1002\nHost n1\n  User fromtwo\n")
    cfg = env.check("Include l1.conf\n")
    assert (cfg.resolve("n1").port, cfg.resolve("n1").user) == (1001, "fromtwo")
    assert cfg.resolve("n2").port == 1002


def test_include_cycle_and_depth_limit_make_ssh_fail_and_are_reported(env):
    env.file("loop-a.conf", "Host la\n  Port 1\nInclude loop-b.conf\n")
    env.file("loop-b.conf", "Include loop-a.conf\n")
    write(env.config, "Include loop-a.conf\n")
    assert not env.oracle.accepts(env.config)
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER)
    assert [d.code for d in cfg.diagnostics if d.level == "error"] == ["ssh-include-cycle"]
    assert cfg.resolve("la").port == 1

    for i in range(1, 18):
        env.file(f"d{i}.conf", f"Include d{i + 1}.conf\nHost deep{i}\n  Port {1000 + i}\n")
    deep = write(env.ssh_dir / "deep", "Include d1.conf\n")
    assert not env.oracle.accepts(deep)
    cfg = SshConfig(deep, home=env.home, local_user=LOCAL_USER)
    assert [d.code for d in cfg.diagnostics if d.level == "error"] == ["ssh-include-depth"]
    assert cfg.resolve("deep16").port == 1016 and cfg.resolve("deep17").port == 22

    for i in range(1, 17):
        env.file(f"ok{i}.conf", (f"Include ok{i + 1}.conf\n" if i < 16 else "") + f"Host ok{i}\n  Port {2000 + i}\n")
    assert env.check("Include ok1.conf\n").resolve("ok16").port == 2016


# ----- 1.4 Match


def test_match_host_originalhost_user_localuser_all(env):
    cfg = env.check(
        "Host m1\n  HostName M1.Example\n"
        "Match host m1.example\n  Port 1001\n"
        "Match originalhost M2,m3 !originalhost m3\n  Port 1002\n"
        f"Match user {LOCAL_USER}\n  IdentityFile ~/.ssh/local-default\n"
        "Host m4\n  User deploy\n"
        "Match user deploy\n  Port 1004\n"
        f"Match localuser {LOCAL_USER},nobody-else\n  CertificateFile ~/.ssh/lu-cert\n"
        "Match host=m5\n  Port 1005\n"
        "Match Host = m6 # trailing comment\n  Port 1006\n"
        "Match !host m7\n  User notseven\n"
        "Match all\n  Port 1999\n",
        probes=["m2", "M2", "m3", "m5", "m6", "m7", "zz"],
    )
    assert cfg.resolve("m1").port == 1001
    assert cfg.resolve("m2").port == 1002 and cfg.resolve("m3").port == 1999
    # "Match user" before any User line compares with the local login, even for m4
    assert cfg.resolve("m4").port == 1004 and cfg.resolve("m4").identity_files == ["~/.ssh/local-default"]
    assert cfg.resolve("zz").identity_files == ["~/.ssh/local-default"]
    assert cfg.resolve("zz").certificate_files == ["~/.ssh/lu-cert"]
    assert cfg.resolve("m5").port == 1005 and cfg.resolve("m6").port == 1006
    assert cfg.resolve("m7").user is None and cfg.resolve("zz").user == "notseven"


def test_match_final_runs_a_second_pass_against_the_hostname(env):
    cfg = env.check(
        "Host bastion\n  HostName bastion.example.org\n"
        "Host app\n  HostName app.internal\n"
        "Match final host *.internal\n  User finaluser\n"
        "Host *.internal\n  Port 2323\n"
        "Match canonical\n  IdentityFile ~/.ssh/canon\n",
        probes=["elsewhere"],
    )
    app = cfg.resolve("app")
    assert (app.user, app.port, app.identity_files) == ("finaluser", 2323, ["~/.ssh/canon"])
    assert cfg.resolve("bastion").final_pass


def test_match_final_trap_gives_the_bastion_a_jump_to_itself(env):
    cfg = env.check(
        "Host bastion\n  HostName bastion.example.org\n"
        "Host web\n  HostName web.example.org\n"
        "Match final\n"
        "Host * !bastion\n  ProxyJump bastion\n",
    )
    assert cfg.resolve("web").proxy_jump == "bastion"
    assert cfg.resolve("bastion").proxy_jump == "bastion"


def test_canonicalize_hostname_without_domains_runs_the_second_pass(env):
    cfg = env.check(
        "Host c1\n  CanonicalizeHostname yes\n  HostName C1.Example\nHost c1.example\n  User canonical\n  Port 2424\n",
        probes=["c2"],
    )
    assert (cfg.resolve("c1").user, cfg.resolve("c1").port) == ("canonical", 2424)


def test_match_exec_counts_as_not_matching_and_is_reported(env):
    cfg = env.check(
        'Match exec "false"\n  Port 1111\nMatch host x exec false\n  Port 1112\nHost e\n  User e\n',
        probes=["x"],
    )
    assert cfg.resolve("e").port == 22 and cfg.resolve("x").port == 22
    problems = cfg.evaluation_diagnostics()
    assert {(d.code, d.line) for d in problems} == {("ssh-match-exec", 1), ("ssh-match-exec", 3)}
    assert "'false'" in problems[0].message


# ----- tokens


def test_identity_agent_tokens_and_tilde_expand_like_openssh(env):
    value = "~/agent-%h-%p-%r-%n-%u-%d-%%.sock"
    write(env.config, f"Host tok\n  HostName Tok.Example\n  Port 2525\n  User remote\n  IdentityAgent {value}\n")
    theirs = env.oracle.g(env.config, "tok")["identityagent"][0]
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER)
    res = cfg.resolve("tok")
    assert res.identity_agent == value
    host = Host(
        key="k",
        name="tok",
        address=res.hostname,
        port=res.port,
        user=res.user,
        source=Provenance(format="ssh_config", file="f"),
    )
    assert expand_path(value, host, home=PW_HOME, local_user=LOCAL_USER) == theirs
    assert expand_path("${TESTVAR}/k", host, env={"TESTVAR": "/v"}) == "/v/k"
    with pytest.raises(TokenError):
        expand_path("~/id_%q", host)


# ----- 1.7 ProxyJump / ProxyCommand


def test_proxyjump_forms_and_first_of_jump_or_command_wins(env):
    older_none = QUIRK_JUMP_NONE_BLOCKS_COMMAND in openssh_quirks()
    cfg = env.check(
        "Host j1\n  ProxyJump jumper@gw1:2222,gw2,ssh://u@gw3:23\n"
        "Host j2\n  ProxyJump none\n  ProxyCommand nc %h %p\n  ProxyJump gw2\n"
        "Host j3\n  ProxyCommand nc %h %p\n  ProxyJump gw1\n"
        "Host j4\n  ProxyJump [fe80::1]:2200\n"
        "Host j5\n  ProxyCommand none\n  ProxyJump gw1\n"
        "Host j6\n  ProxyJump gw1 # the comment is cut\n"
        "Host j7\n  ProxyJump gw1 gw2,gw3\n"
        "Host j8\n  ProxyJump 10.9.8.7:2200\n"
        "Host *\n  ProxyJump gw9\n",
        skip=("j2",) if older_none else (),
    )
    assert cfg.resolve("j1").proxy_jump == "jumper@gw1:2222,gw2,u@gw3:23"
    # Current OpenSSH uses the ProxyCommand after "ProxyJump none"; an ssh that does not is refused by
    # the check above unless the probe shows it is one of the known older builds.
    assert (cfg.resolve("j2").proxy_jump, cfg.resolve("j2").proxy_command) == (None, "nc %h %p")
    assert (cfg.resolve("j3").proxy_jump, cfg.resolve("j3").proxy_command) == (None, "nc %h %p")
    assert cfg.resolve("j4").proxy_jump == "[fe80::1]:2200"
    assert (cfg.resolve("j5").proxy_jump, cfg.resolve("j5").proxy_command) == (None, None)
    assert cfg.resolve("j6").proxy_jump == "gw1"
    assert cfg.resolve("j7").proxy_jump == "gw1"  # OpenSSH's rtrim() cuts at the first blank
    assert cfg.resolve("j8").proxy_jump == "[10.9.8.7]:2200"


# ----- rejected files: ssh fails exactly when we report an error


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffHost bom\n  Port 1\n",
        "Host a\n  Port 70000\n",
        "Host a\n  Port\n",
        "Host a\n  Port 22 23\n",
        'Host a\n  User "unclosed\n',
        "Host a\n  UseKeychain yes\n",
        "Host a\n  ProxyJump a, b\n",
        "Match nosuchcriterion x\n  Port 1\n",
        "Match host\n  Port 1\n",
        "Match all host x\n  Port 1\n",
        "Host a\n  IdentitiesOnly perhaps\n",
        "Host a\n  ServerAliveInterval soon\n",
        "Host a\n  SetEnv NOEQUALS\n",
        'Host ""\n',
        "Host a\n  HostName\n",
    ],
)
def test_files_openssh_rejects_are_reported_as_errors(env, text):
    write(env.config, text.encode("utf-8"))
    assert not env.oracle.accepts(env.config, "a")
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER)
    for alias, _ in cfg.aliases():
        cfg.resolve(alias)
    errors = [d for d in cfg.diagnostics + cfg.evaluation_diagnostics() if d.level == "error"]
    if text.startswith("\ufeff"):
        errors = [d for d in cfg.diagnostics if d.code == "ssh-bom"]
    assert errors, cfg.diagnostics
    assert all(d.line is not None for d in errors)


def test_ignore_unknown_only_covers_keywords_after_it_in_an_active_block(env):
    env.check("IgnoreUnknown UseKeychain,AddKeysToKeychain\nHost a\n  UseKeychain yes\n")
    text = "Host a\n  IgnoreUnknown UseKeychain\n  UseKeychain yes\n"
    write(env.config, text)
    assert env.oracle.accepts(env.config, "a") and not env.oracle.accepts(env.config, "b")
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER)
    assert ("UseKeychain", "yes") in cfg.resolve("a").options
    assert cfg.evaluation_diagnostics() == []
    cfg.resolve("b")
    assert [d.code for d in cfg.evaluation_diagnostics()] == ["ssh-unknown-keyword"]


# ----- the keyword table against OpenSSH's own


VALID_SAMPLES = {
    "Ciphers": "aes128-ctr",
    "MACs": "hmac-sha2-256",
    "KexAlgorithms": "curve25519-sha256",
    "HostKeyAlgorithms": "ssh-ed25519",
    "PubkeyAcceptedAlgorithms": "ssh-ed25519",
    "PubkeyAcceptedKeyTypes": "ssh-ed25519",
    "HostbasedAcceptedAlgorithms": "ssh-ed25519",
    "HostbasedKeyTypes": "ssh-ed25519",
    "CASignatureAlgorithms": "ssh-ed25519",
    "GSSAPIKexAlgorithms": "gss-curve25519-sha256-",
    "RekeyLimit": "1G 1h",
    "IPQoS": "lowdelay throughput",
    "TunnelDevice": "any:any",
    "BindInterface": "lo",
    "CanonicalizePermittedCNAMEs": "*.a.example:*.b.example",
    "PermitRemoteOpen": "any",
    "LogVerbose": "kex.c:*",
    "FingerprintHash": "sha256",
    "SyslogFacility": "USER",
    "LogLevel": "INFO",
    "StreamLocalBindMask": "0177",
    "EscapeChar": "~",
    "ControlPersist": "10m",
    "AddKeysToAgent": "confirm 1h",
    "LocalForward": "8080 localhost:80",
    "RemoteForward": "8080 localhost:80",
    "DynamicForward": "1080",
    "SetEnv": "A=b C=d",
    "SendEnv": "LANG LC_*",
    "IdentityAgent": "SSH_AUTH_SOCK",
    "ProxyJump": "gw",
    "Port": "ssh",
    "BindAddress": "127.0.0.1",
    "ConnectTimeout": "1m30s",
    "GlobalKnownHostsFile": "/a /b",
    "UserKnownHostsFile": "~/a ~/b",
    "CanonicalDomains": "a.example b.example",
}
SINGLE = {"choice", "int", "time", "port", "string", "agentpath", "forwardagent", "escape", "mask", "controlpersist"}


def _sample(kw) -> str:
    if kw.name in VALID_SAMPLES:
        return VALID_SAMPLES[kw.name]
    return {
        "choice": kw.choices[0] if kw.choices else "x",
        "int": "3",
        "time": "30",
        "controlpersist": "yes",
        "addkeys": "yes",
        "accum": "~/.ssh/k",
        "command": "true",
        "forwardagent": "yes",
        "agentpath": "none",
        "mask": "022",
        "escape": "~",
    }.get(kw.kind, "x")


def _error_lines(stderr: bytes) -> set[int]:
    import re

    return {int(n) for n in re.findall(r"line (\d+)", stderr.decode(errors="replace"))}


def test_every_keyword_is_known_to_openssh_with_the_same_arguments(env):
    """One file with every keyword set validly (ssh accepts it), one with each made invalid."""
    from migrator.sources.ssh_config.keywords import KEYWORDS

    table = [kw for kw in KEYWORDS.values() if kw.kind not in ("host", "match", "include")]
    good = "Host x\n" + "".join(f"  {kw.name} {_sample(kw)}\n" for kw in table)
    write(env.config, good)
    proc = env.oracle.run(env.config, "x")
    assert proc.returncode == 0, proc.stderr
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER)
    assert [d for d in cfg.diagnostics if d.level == "error"] == []
    assert len(cfg.resolve("x").options) > 60

    bad_lines = ["Host x"]
    for kw in table:
        if kw.kind in SINGLE or kw.max_args == 2:
            bad_lines.append(f"  {kw.name} {_sample(kw)} extra1 extra2")
        if kw.kind in ("choice", "int", "time", "port", "controlpersist", "mask", "escape"):
            bad_lines.append(f"  {kw.name} bogus-value")
    write(env.config, "\n".join(bad_lines) + "\n")
    proc = env.oracle.run(env.config, "x")
    assert proc.returncode != 0
    cfg = SshConfig(env.config, home=env.home, local_user=LOCAL_USER, max_line_errors=1000)
    ours = {d.line for d in cfg.diagnostics if d.level == "error"}
    assert ours == _error_lines(proc.stderr)
    assert len(ours) > 80
