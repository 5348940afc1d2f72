"""Generated configs (Host/Match/Include structures, mixed spellings) compared alias by alias with ``ssh -G``.

One generator serves both tests: it asks a ``Picker`` for every choice, so the seeded bulk run
(fixed and quick, at least 500 aliases) and the hypothesis run (which shrinks a failing config to
a small one) build the same kind of files. Only ``Match exec false`` appears: ``ssh -G`` runs it.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from helpers.ssh_config import LOCAL_USER, Oracle, compare_chains, compare_many, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.sources.ssh_config.resolver import SshConfig

ALIASES = [
    "web1",
    "web2",
    "Web1",
    "db",
    "db.corp.example",
    "bastion",
    "gw",
    "app-01",
    "app-02",
    "10.0.0.5",
    "cache",
    "mail",
    "x",
    "web3",
    "db2",
    "api",
    "api.prod.example",
    "ci",
    "git",
    "vpn",
    "ns1",
    "10.0.0.6",
    "backup",
    "monitor",
    "Mixed.Case",
]
WILDCARDS = ["*", "web*", "*.corp.example", "app-0?", "!web2", "!db", "10.0.0.*", "?b", "!bastion"]
PROBES = ["web1", "WEB1", "other.example", "10.0.0.5", "gw", "zz-unknown"]
HOPS = [
    "gw",
    "bastion",
    "jumper@gw",
    "gw:2222",
    "u@bastion:2200",
    "ssh://ops@gw:23",
    "203.0.113.9",
    "external.example",
    "db",
    "app-01",
]
MATCH_PATTERNS = [
    "web1",
    "web*",
    "*.example.com",
    "db,web1",
    "!db,*",
    "bastion",
    "*.corp.example",
    "Web1",
    "10.0.0.*",
    "gw,!x",
]
USER_PATTERNS = [LOCAL_USER, "alice", "bob,deploy", "!alice,*", "d*", "nobody"]
VALUES = {
    "HostName": [
        "%h.example.com",
        "10.1.2.3",
        "Srv.Example.ORG",
        "%h",
        "host-%h.corp.example",
        "db.internal",
        "2001:db8::10",
        "bastion.example.org",
        "web1",
        "010.0.0.7",
    ],
    "Port": ["22", "2222", "ssh", "2200", "0022", "+2201"],
    "User": ["alice", "bob", "deploy", LOCAL_USER, "ops", '"with space"'],
    "IdentityFile": [
        "~/.ssh/id_ed25519",
        "~/.ssh/%h.key",
        "/keys/%r@%h",
        '"~/.ssh/with space"',
        "~/.ssh/id_rsa",
        "~/.ssh/x#y",
    ],
    "CertificateFile": ["~/.ssh/id_ed25519-cert.pub", "~/.ssh/%h-cert.pub"],
    "IdentitiesOnly": ["yes", "no"],
    "ProxyCommand": ["nc %h %p", "none", "ssh -W %h:%p gw"],
    "CanonicalizeHostname": ["yes", "no"],
    "ServerAliveInterval": ["30", "1m"],
    "ForwardAgent": ["yes", "no"],
    "Compression": ["yes"],
    "LocalForward": ["8080 localhost:80"],
    "SendEnv": ["LANG LC_*"],
    "SetEnv": ["FOO=bar"],
    "StrictHostKeyChecking": ["accept-new", "no"],
    "HostKeyAlias": ["keyalias"],
    "ControlPath": ["~/.ssh/cm-%C"],
}
KEYWORD_WEIGHTS = (
    ["HostName"] * 4 + ["Port"] * 3 + ["User"] * 3 + ["IdentityFile"] * 3 + ["ProxyJump"] * 3 + list(VALUES)
)


class Picker:
    """Every random decision of the generator goes through here."""

    def __init__(self, pick, integer):
        self.pick = pick
        self.integer = integer

    def chance(self, percent: int) -> bool:
        return self.integer(0, 99) < percent

    def sample(self, seq, lo: int, hi: int) -> list:
        return [self.pick(seq) for _ in range(self.integer(lo, hi))]


def seeded(seed: int) -> Picker:
    rng = random.Random(seed)
    return Picker(lambda seq: rng.choice(list(seq)), rng.randint)


def spell(p: Picker, keyword: str) -> str:
    return p.pick([keyword, keyword, keyword.lower(), keyword.upper()])


def line(p: Picker, keyword: str, value: str, indent: str) -> str:
    sep = p.pick([" ", " ", "=", " = ", "\t", " ="])
    comment = (
        p.pick(["", "", "", " # note", "\t# another, note"]) if keyword not in ("ProxyCommand", "ProxyJump") else ""
    )
    return f"{indent}{spell(p, keyword)}{sep}{value}{comment}\n"


def option(p: Picker, indent: str) -> str:
    keyword = p.pick(KEYWORD_WEIGHTS)
    if keyword == "ProxyJump":
        value = "none" if p.chance(15) else ",".join(p.sample(HOPS, 1, 2))
    else:
        value = p.pick(VALUES[keyword])
    return line(p, keyword, value, indent)


def match_line(p: Picker) -> str:
    criteria = []
    for _ in range(p.integer(1, 2)):
        kind = p.pick(["host", "originalhost", "user", "localuser", "canonical", "final", "exec", "host"])
        negate = "!" if p.chance(20) and kind != "exec" else ""
        if kind in ("canonical", "final"):
            criteria.append(negate + kind)
        elif kind == "exec":
            criteria.append(p.pick(["exec false", 'exec "exit 1"']))
        else:
            patterns = USER_PATTERNS if "user" in kind else MATCH_PATTERNS
            criteria.append(f"{negate}{spell(p, kind)} {p.pick(patterns)}")
    if p.chance(10):
        criteria = ["all"]
    return f"{spell(p, 'Match')} {' '.join(criteria)}\n"


def blocks(p: Picker, files: dict[str, str], depth: int, count: int) -> str:
    out = []
    if p.chance(30):
        out.append(option(p, ""))
    for _ in range(count):
        kind = p.pick(["host", "host", "host", "match", "include"] if depth < 2 else ["host", "host", "match"])
        if kind == "host":
            patterns = p.sample(ALIASES, 1, 4) + (p.sample(WILDCARDS, 1, 1) if p.chance(30) else [])
            out.append(f"{spell(p, 'Host')} {' '.join(dict.fromkeys(patterns))}\n")
        elif kind == "match":
            out.append(match_line(p))
        else:
            folder = f"inc{depth}"  # one folder per level: a glob never reaches its own file
            name = f"{p.pick(['', '9-', '20-', 'a'])}f{len(files)}.conf"
            files[f"{folder}/{name}"] = ""  # reserve the name before recursing
            files[f"{folder}/{name}"] = blocks(p, files, depth + 1, p.integer(1, 3))
            target = p.pick(
                [f"{folder}/{name}", f"{folder}/*.conf", f"~/.ssh/{folder}/{name}", f"{folder}/missing-*.conf"]
            )
            out.append(f"{p.pick(['', '  '])}{spell(p, 'Include')} {target}\n")
        for _ in range(p.integer(0, 4)):
            out.append(option(p, p.pick(["  ", "\t", "    ", ""])))
    return "".join(out)


def generate(p: Picker) -> tuple[str, dict[str, str]]:
    files: dict[str, str] = {}
    main = blocks(p, files, 0, p.integer(4, 9))
    return main, files


def check_generated(p: Picker, root: Path) -> tuple[int, int]:
    """Build one config, compare every alias and jump chain with ssh -G.

    Returns how many declared aliases (names on Host lines) and jump chains were compared; a few
    undeclared probe names are compared too, but not counted.
    """
    home = root / "home"
    main, files = generate(p)
    config = write(home / ".ssh" / "config", main)
    for rel, text in files.items():
        write(home / ".ssh" / rel, text)
    oracle = Oracle(home)
    cfg = SshConfig(config, home=home, local_user=LOCAL_USER)
    errors = [d for d in cfg.diagnostics if d.level == "error"]
    assert not errors, (errors, main, files)
    declared = [a for a, _ in cfg.aliases()]
    _, problems = compare_many(cfg, oracle, config, declared + PROBES)
    chains, chain_problems = compare_chains(cfg, oracle, config, declared + PROBES)
    assert not problems + chain_problems, (
        "\n".join(problems + chain_problems)
        + "\n--- config:\n"
        + main
        + "".join(f"--- {k}:\n{v}" for k, v in files.items())
    )
    return len(declared), chains


def test_seeded_configs_agree_with_ssh_g_for_at_least_500_aliases(tmp_path):
    total = chains = 0
    for seed in range(55):
        count, with_jump = check_generated(seeded(seed), tmp_path / f"s{seed}")
        total += count
        chains += with_jump
    assert total >= 500, total
    assert chains >= 100, chains


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.data())
def test_hypothesis_generated_configs_agree_with_ssh_g(data):
    p = Picker(lambda seq: data.draw(st.sampled_from(list(seq))), lambda lo, hi: data.draw(st.integers(lo, hi)))
    with tempfile.TemporaryDirectory() as tmp:
        check_generated(p, Path(tmp))
