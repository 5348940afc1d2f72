"""The ``ssh -G`` oracle for the ssh_config tests.

Every resolution the importer makes is compared with what the installed OpenSSH prints for
``ssh -G -F FILE ALIAS`` (it resolves without connecting). ``HOME`` points at the test's own
folder so that ``Include`` of ``~/.ssh/...`` and relative paths stay inside it. ``ssh -G`` does
run ``Match exec`` commands, so configs given to it only ever contain ``exec false``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

from migrator.sources.ssh_config.resolver import SshConfig

LOCAL_USER = pwd.getpwuid(os.getuid()).pw_name
PW_HOME = pwd.getpwuid(os.getuid()).pw_dir


def ssh_binary() -> str:
    path = shutil.which("ssh")
    if path is None:
        pytest.fail(
            "the ssh_config tests compare with the real OpenSSH client: install openssh-client "
            "(`ssh -G` must be on PATH)"
        )
    return path


class OracleError(AssertionError):
    pass


@dataclass
class Oracle:
    """Runs ``ssh -G`` with HOME set to ``home``; answers are cached (a config file is written once)."""

    home: Path
    cache: dict = field(default_factory=dict)

    def run(self, config: Path, alias: str, *extra: str) -> subprocess.CompletedProcess:
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        return subprocess.run(
            [ssh_binary(), "-G", "-F", str(config), *extra, "--", alias],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=20,
        )

    def accepts(self, config: Path, alias: str = "probe") -> bool:
        return self.run(config, alias).returncode == 0

    def g(
        self, config: Path, alias: str, user: str | None = None, port: int | None = None, jump: str | None = None
    ) -> dict[str, list[str]]:
        key = (str(config), alias, user, port, jump)
        if key not in self.cache:
            self.cache[key] = self._g(config, alias, user, port, jump)
        if isinstance(self.cache[key], OracleError):
            raise self.cache[key]
        return self.cache[key]

    def _g(
        self, config: Path, alias: str, user: str | None, port: int | None, jump: str | None
    ) -> dict[str, list[str]] | OracleError:
        extra: list[str] = ["-J", jump] if jump else []
        if user is not None:
            extra += ["-l", user]
        if port is not None:
            extra += ["-p", str(port)]
        proc = self.run(config, alias, *extra)
        if proc.returncode != 0:
            return OracleError(f"ssh -G {alias!r} failed: {proc.stderr.decode(errors='replace').strip()}")
        out: dict[str, list[str]] = {}
        for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
            key, _, value = line.partition(" ")
            out.setdefault(key, []).append(value)
        return out


@lru_cache(maxsize=1)
def default_identity_files() -> tuple[str, ...]:
    """What ``ssh -G`` lists when the config sets no IdentityFile (the version's built-in list)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.write_text("")
        return tuple(Oracle(Path(tmp)).g(empty, "x").get("identityfile", []))


#: OpenSSH behaviour that changed between builds of the same version (Debian's 9.2p1 patch levels among
#: them). The importer follows the current behaviour; the oracle accepts the older answer only from an
#: ssh that is shown, by a probe config, to behave the older way.
QUIRK_JUMP_WHOLE_LINE = "proxyjump-whole-line"  # prints "ProxyJump gw1 gw2,gw3" whole (9.2p1 as first shipped)
QUIRK_JUMP_NONE_BLOCKS_COMMAND = "proxyjump-none-blocks-proxycommand"  # "ProxyJump none" hides a later ProxyCommand


@lru_cache(maxsize=1)
def openssh_version() -> str:
    proc = subprocess.run([ssh_binary(), "-V"], capture_output=True, text=True, timeout=20)
    return (proc.stderr or proc.stdout).strip()


@lru_cache(maxsize=1)
def openssh_quirks() -> frozenset[str]:
    """Which of the version-dependent behaviours the installed ssh has, learned from ssh -G itself."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "probe"
        config.write_text("Host q1\n  ProxyJump gw1 gw2,gw3\nHost q2\n  ProxyJump none\n  ProxyCommand nc %h %p\n")
        oracle = Oracle(Path(tmp))
        quirks = set()
        if (oracle.g(config, "q1").get("proxyjump") or [None])[0] == "gw1 gw2,gw3":
            quirks.add(QUIRK_JUMP_WHOLE_LINE)
        if not oracle.g(config, "q2").get("proxycommand"):
            quirks.add(QUIRK_JUMP_NONE_BLOCKS_COMMAND)
        return frozenset(quirks)


def _known_older_jump(mine, real) -> bool:
    return (
        QUIRK_JUMP_WHOLE_LINE in openssh_quirks()
        and isinstance(real, str)
        and " " in real
        and mine == real.split(" ", 1)[0]
    )


def compare_alias(cfg: SshConfig, oracle: Oracle, config: Path, alias: str) -> list[str]:
    """Differences between SshConfig.resolve(alias) and ssh -G, as readable strings (empty: agree)."""
    ours = cfg.resolve(alias)
    try:
        theirs = oracle.g(config, alias)
    except OracleError as exc:
        if "jumphost loop" in str(exc) and cfg.jump_loops_on_itself(ours):
            return []
        return [f"{alias!r}: {exc}"]
    problems = []
    if cfg.jump_loops_on_itself(ours):
        problems.append(f"{alias!r}: we predict ssh's 'jumphost loop' failure, ssh -G printed a config")

    def check(name: str, mine, real) -> None:
        if mine != real:
            problems.append(f"{alias!r} {name}: ours {mine!r}, ssh -G {real!r}")

    check("hostname", ours.hostname, theirs["hostname"][0])
    check("port", str(ours.port), theirs["port"][0])
    check("user", ours.user if ours.user is not None else LOCAL_USER, theirs["user"][0])
    check("identityfile", ours.identity_files or list(default_identity_files()), theirs.get("identityfile", []))
    check("certificatefile", ours.certificate_files, theirs.get("certificatefile", []))
    real_jump = (theirs.get("proxyjump") or [None])[0]
    if not _known_older_jump(ours.proxy_jump, real_jump):
        check("proxyjump", ours.proxy_jump, real_jump)
    check("proxycommand", ours.proxy_command, (theirs.get("proxycommand") or [None])[0])
    if ours.identities_only is not None:
        check("identitiesonly", "yes" if ours.identities_only else "no", theirs["identitiesonly"][0])
    return problems


def compare_many(cfg: SshConfig, oracle: Oracle, config: Path, aliases) -> tuple[int, list[str]]:
    """Compare every alias (in parallel: ssh -G costs a few ms each); returns (count, problems)."""
    aliases = list(dict.fromkeys(aliases))
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda a: compare_alias(cfg, oracle, config, a), aliases))
    return len(aliases), [p for r in results for p in r]


def _parse_hop(text: str) -> tuple[str, str | None, int | None]:
    """``[user@]host[:port]`` or ``ssh://`` as printed by ssh -G (test-side, independent parser)."""
    if text.startswith("ssh://"):
        text = text[len("ssh://") :]
    user = None
    if "@" in text:
        user, text = text.rsplit("@", 1)
    port = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif ":" in text:
        host, _, p = text.partition(":")
        port = int(p)
    else:
        host = text
    return host, user, port


def oracle_chain(
    oracle: Oracle, config: Path, alias: str, user: str | None = None, port: int | None = None, seen: tuple = ()
) -> list[tuple[str, int, str]] | str:
    """The jump chain ssh would build, from repeated ``ssh -G`` calls: hops nearest first.

    A string instead of a list says why ssh could not build one ("loop", "proxycommand").
    """
    key = (alias, user, port)
    if key in seen:
        return "loop"
    try:
        g = oracle.g(config, alias, user=user, port=port)
    except OracleError as exc:
        if "jumphost loop" in str(exc):
            return "loop"
        raise
    raw = (g.get("proxyjump") or [None])[0]
    if raw is None:
        return "proxycommand" if seen and g.get("proxycommand") else []
    hops = [_parse_hop(h) for h in raw.split(",")]
    first_host, first_user, first_port = hops[0]
    chain = oracle_chain(oracle, config, first_host, first_user, first_port, seen + (key,))
    if isinstance(chain, str):
        return chain
    for i, (host, hop_user, hop_port) in enumerate(hops):
        # ssh reaches every hop but the first with -J, which overrides that hop's own ProxyJump
        hg = oracle.g(config, host, user=hop_user, port=hop_port, jump=None if i == 0 else "oracle-dummy-hop")
        real_user = hg["user"][0]
        chain.append((hg["hostname"][0], int(hg["port"][0]), real_user))
    return chain


def chain_as_oracle(hops) -> list[tuple[str, int, str]]:
    """Our JumpHop list in the oracle's shape (a hop without user connects as the local login)."""
    return [(h.host, h.port, h.user if h.user is not None else LOCAL_USER) for h in hops]


def write(path: Path, text: str | bytes) -> Path:
    """Write a config file with the permissions ssh insists on for Included files (whatever the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    path.chmod(0o644)
    return path


def compare_chain(cfg: SshConfig, oracle: Oracle, config: Path, alias: str) -> list[str]:
    """Our jump chain for ``alias`` against the one rebuilt hop by hop from ``ssh -G``."""
    ours = cfg.resolve(alias)
    if ours.jump is None or cfg.jump_loops_on_itself(ours):
        return []
    mine = cfg.jump_chain(ours)
    theirs = oracle_chain(oracle, config, alias)
    if isinstance(theirs, str) or isinstance(mine, str):
        agree = (
            isinstance(theirs, str)
            and isinstance(mine, str)
            and ((theirs == "loop" and "loop" in mine) or (theirs == "proxycommand" and "ProxyCommand" in mine))
        )
        return [] if agree else [f"{alias!r} chain: ours {mine!r}, ssh -G {theirs!r}"]
    if chain_as_oracle(mine) != theirs:
        return [f"{alias!r} chain: ours {chain_as_oracle(mine)!r}, ssh -G {theirs!r}"]
    return []


def compare_chains(cfg: SshConfig, oracle: Oracle, config: Path, aliases) -> tuple[int, list[str]]:
    aliases = [a for a in dict.fromkeys(aliases) if cfg.resolve(a).jump is not None]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda a: compare_chain(cfg, oracle, config, a), aliases))
    return len(aliases), [p for r in results for p in r]
