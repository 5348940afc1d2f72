"""What the command line prints, run as a user runs it (a subprocess): quiet when nothing happens, loud
when it matters (issue 11).

A no-op ``sync`` from cron prints at most one line and no progress bar; ``-q`` prints nothing for it;
``demo`` shows a grouped summary and ``-v`` every diagnostic; ``audit --probe`` shows progress and a
Ctrl-C prints what was gathered and how to resume; colour only on a terminal and never with
``NO_COLOR``; a closed pipe ends quietly; every ``--help`` has examples and every option its default.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import selectors
import shlex
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from helpers.csv_files import write_csv
from helpers.paths import REPO_ROOT

from migrator.cli import COMMANDS, _command_parsers, build_parser
from migrator.cli.examples import EXAMPLES
from migrator.simulator import Simulator

ROOT = REPO_ROOT
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def command(*argv) -> list[str]:
    return [sys.executable, "-m", "migrator", *map(str, argv)]


def cli(*argv, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*argv), capture_output=True, text=True, cwd=cwd or ROOT, timeout=120, env={**os.environ, **(env or {})}
    )


def hosts(n: int, **extra) -> list[dict]:
    return [
        {"name": f"web{i:02d}", "host": f"web{i:02d}.example.net", "user": "ops", "folder": "Prod", **extra}
        for i in range(1, n + 1)
    ]


@pytest.fixture
def job(tmp_path) -> Path:
    write_csv(tmp_path / "servers.csv", hosts(3))
    path = tmp_path / "job.toml"
    path.write_text(
        'name = "t"\n[[source]]\npath = "servers.csv"\nformat = "csv"\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    return path


# -- quiet when nothing happens --------------------------------------------------------------------


def test_noop_sync_from_cron_prints_one_line_and_no_progress_bar(job):
    first = cli("sync", job, cwd=job.parent)
    assert first.returncode == 0, first.stderr
    assert "+ create" in first.stdout  # a run that changes something is shown in full
    assert first.stderr == ""  # stderr is a pipe here: no progress bar
    again = cli("sync", job, cwd=job.parent)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["no changes: 5 entries match the sources (1 info; -v shows them)"]
    assert again.stderr == ""


def test_quiet_noop_prints_nothing_and_verbose_the_whole_table(job):
    assert cli("sync", job, cwd=job.parent).returncode == 0
    quiet = cli("sync", job, "-q", cwd=job.parent)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    quiet_first = cli("-q", "plan", "--job", job, cwd=job.parent)  # global flag before the command too
    assert (quiet_first.returncode, quiet_first.stdout, quiet_first.stderr) == (0, "", "")
    verbose = cli("sync", job, "-v", cwd=job.parent)
    assert verbose.returncode == 0
    assert "No changes: the vault already matches the sources." in verbose.stdout
    assert "mapping-detected" in verbose.stdout and "applied:" in verbose.stdout


def test_quiet_keeps_changes_and_errors_but_drops_notes(tmp_path):
    rows = hosts(2) + [{"name": "broken", "host": "", "user": "ops", "folder": "Prod"}]
    csv_file = write_csv(tmp_path / "servers.csv", rows)
    loud = cli("plan", csv_file, "--target", "embedded")
    quiet = cli("plan", csv_file, "--target", "embedded", "--quiet")
    assert loud.returncode == quiet.returncode == 4  # exit codes do not change with -q
    assert "mapping-detected" in loud.stdout and "mapping-detected" not in quiet.stdout
    assert "+ create" in quiet.stdout and "error" in quiet.stdout


def test_quiet_and_verbose_together_is_a_usage_error(job):
    result = cli("-q", "sync", job, "-v", cwd=job.parent)
    assert result.returncode == 1
    assert "-q/--quiet and -v/--verbose cannot be used together" in result.stderr


# -- loud when it matters: demo -----------------------------------------------------------------


def test_demo_groups_diagnostics_errors_first_and_verbose_shows_all():
    grouped = cli("demo")
    assert grouped.returncode == 0, grouped.stderr
    lines = grouped.stdout.splitlines()
    assert max(len(line) for line in lines) <= 160
    head = next(i for i, line in enumerate(lines) if re.fullmatch(r"\d+ diagnostics \(.*\):", line))
    total = int(lines[head].split()[0])
    groups = [line.split()[0] for line in lines[head + 1 :] if re.match(r"  \S", line)]
    assert groups[0] == "error" and groups == sorted(groups, key=["error", "warning", "info"].index)
    assert "and 1 more (-v shows all" in grouped.stdout
    assert re.search(r"\d+ source entries not imported", grouped.stdout)
    verbose = cli("demo", "-v")
    assert verbose.returncode == 0
    vlines = verbose.stdout.splitlines()
    vhead = vlines.index(lines[head])
    listed = vlines[vhead + 1 : vhead + 1 + total]
    assert len(listed) == total and all(line.startswith("  ") for line in listed)
    assert len(set(listed)) == total  # never the same diagnostic twice
    assert vlines[vhead + 1 + total] == ""
    shown = [line for line in lines[head + 1 :] if line.startswith("    ") and "... and" not in line]
    assert len(shown) < total  # the summary shows the first few of each code, -v every one


# -- audit --probe: progress, and Ctrl-C ---------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_audit_probe_shows_progress_and_ctrl_c_prints_partial_results(tmp_path):
    silent = socket.socket()  # accepts TCP (kernel backlog) and never says a word: the probe hangs
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    rows = [{"name": "refused", "host": "127.0.0.1", "port": str(closed_port()), "user": "ops", "folder": "P"}]
    rows += [
        {"name": f"hang{i}", "host": "127.0.0.1", "port": str(silent.getsockname()[1]), "user": "ops", "folder": "P"}
        for i in range(2)
    ]
    csv_file = write_csv(tmp_path / "lab.csv", rows)
    proc = subprocess.Popen(
        command(
            "audit", csv_file, "--target", "embedded", "--probe", "--probe-concurrency", "1", "--probe-timeout", "10"
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = ""
        sel = selectors.DefaultSelector()
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while "probed 1/3 hosts" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=1):
                seen += proc.stderr.readline()
        assert "probing 3 hosts (1 at once, up to 10 s each)" in seen
        assert "probed 1/3 hosts" in seen
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        silent.close()
    assert proc.returncode == 130
    reachability = out.split("reachability (1 hosts):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(reachability) == 1 and reachability[0].split()[:2] == ["refused", "refused"]
    assert "audit interrupted after probing 1 of 3 hosts" in err
    assert "Run the same command again" in err
    assert "Traceback" not in err and "internal error" not in err


def test_audit_probe_progress_lines_and_quiet(tmp_path):
    rows = [
        {"name": f"r{i}", "host": "127.0.0.1", "port": str(closed_port()), "user": "ops", "folder": "P"}
        for i in range(3)
    ]
    csv_file = write_csv(tmp_path / "lab.csv", rows)
    result = cli("audit", csv_file, "--target", "embedded", "--probe")
    assert result.returncode == 2, result.stderr  # findings: unreachable hosts
    assert result.stderr.splitlines()[-1] == "probed 3/3 hosts"
    quiet = cli("audit", csv_file, "--target", "embedded", "--probe", "-q")
    assert quiet.returncode == 2 and "probe" not in quiet.stderr


# -- Ctrl-C during apply ------------------------------------------------------------------------


def entries_added(sim) -> int:
    return sum(n for path, n in list(sim.requests.items()) if path.endswith("/add") and "category" not in path)


def test_ctrl_c_during_apply_says_what_was_written_and_the_same_command_resumes(tmp_path):
    csv_file = write_csv(tmp_path / "servers.csv", hosts(30))
    # 400 ms per storage call, held under the storage lock: 12 s for the 30 hosts however many writes are
    # in flight, so the interrupt arrives mid-apply even on a loaded machine
    with Simulator(version="24.0", auth_file=tmp_path / "xpipe" / "beacon-auth", latency_ms=400) as sim:
        argv = ["apply", csv_file, "--yes", "--target", sim.url, "--auth-file", sim.auth_file]
        proc = subprocess.Popen(command(*argv), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while entries_added(sim) < 3 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert entries_added(sim) >= 3
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait(timeout=30)
        assert proc.returncode == 130, err
        assert re.search(r"xpipe-migrate: interrupted: apply stopped after \d+ of 32 changes \(\d+ created", err)
        assert "run the same command again to resume" in err
        assert "Traceback" not in err and "internal error" not in err
        written = [e.name for e in sim.vault.entries.values() if e.name.startswith("web")]
        assert 3 <= len(written) < 30
        sim.latency_ms = 0
        again = cli(*argv)
        assert again.returncode == 0, again.stderr
        names = sorted(e.name for e in sim.vault.entries.values() if e.name.startswith("web"))
        assert names == [f"web{i:02d}" for i in range(1, 31)]  # every host once: resumed, nothing doubled


# -- colour and progress bars on a terminal --------------------------------------------------------


def run_on_terminal(*argv, env: dict | None = None) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; what the terminal showed."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # a real terminal has a size
    proc = subprocess.Popen(
        command(*argv),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**os.environ, **(env or {})},
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def csv_file(tmp_path) -> Path:
    return write_csv(tmp_path / "servers.csv", hosts(3))


def test_colour_and_progress_bar_on_a_terminal(csv_file):
    code, shown = run_on_terminal("apply", csv_file, "--target", "embedded", "--yes")
    assert code == 0, shown
    assert "\x1b[32m+ create" in shown  # the plan's actions in colour
    assert "\x1b[36m1 info\x1b[0m" in shown  # the levels in colour
    assert re.search(r"apply: 100%\|.*\| \d+/\d+", shown)  # tqdm's bar on a terminal


def test_no_colour_with_no_color_or_quiet_or_when_piped(csv_file):
    code, shown = run_on_terminal("plan", csv_file, "--target", "embedded", env={"NO_COLOR": "1"})
    assert code == 2 and "+ create" in shown and not ANSI.search(shown)
    code, shown = run_on_terminal("plan", csv_file, "--target", "embedded", "-q")
    assert code == 2 and "+ create" in shown and not ANSI.search(shown)
    code, shown = run_on_terminal("apply", csv_file, "--target", "embedded", "--yes", "--no-progress")
    assert code == 0 and "apply:" not in shown
    code, shown = run_on_terminal("plan", csv_file, "--target", "embedded", env={"NO_COLOR": ""})
    assert code == 2 and "\x1b[32m+ create" in shown  # NO_COLOR set but empty does not count (no-color.org)
    piped = cli("plan", csv_file, "--target", "embedded")
    assert piped.returncode == 2 and "+ create" in piped.stdout and not ANSI.search(piped.stdout + piped.stderr)


# -- a closed pipe ------------------------------------------------------------------------------


def test_closed_pipe_ends_quietly(tmp_path):
    big = write_csv(tmp_path / "big.csv", hosts(3000))
    proc = subprocess.Popen(command("inspect", big), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # like `| head -1`: read one line, then hang up
    proc.stdout.close()
    err = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert first.startswith(b"name ")
    assert err == b""  # no "internal error: BrokenPipeError", no "Exception ignored ... BrokenPipeError"
    assert code == 0


def test_closed_pipe_through_a_shell_head(tmp_path):
    big = write_csv(tmp_path / "big.csv", hosts(3000))
    shell = f"{sys.executable} -m migrator inspect {big} --format json | head -c 100 >/dev/null"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stderr == "" and result.returncode == 0


# -- --help: examples and defaults ---------------------------------------------------------------


def all_commands() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    return [(sub.prog.removeprefix("xpipe-migrate "), sub) for sub in _command_parsers(parser)]


@pytest.mark.parametrize("name", [name for name, _ in all_commands()])
def test_every_command_help_has_examples(name):
    result = cli(*name.split(), "--help")
    assert result.returncode == 0
    examples = result.stdout.split("examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith(f"  xpipe-migrate {name}") for line in examples), examples
    assert "-q, --quiet" in result.stdout and "-v, --verbose" in result.stdout


def test_every_example_parses():
    for name, text in EXAMPLES.items():
        for line in text.splitlines():
            argv = shlex.split(re.split(r"\s{2,}", line.strip())[0])
            assert argv[0] == "xpipe-migrate" and " ".join(argv[1:]).startswith(name)
            build_parser().parse_args(argv[1:])  # a usage error exits (SystemExit), failing the test


def test_every_option_says_its_default():
    missing = []
    for name, sub in [("(top)", build_parser()), *all_commands()]:
        for action in sub._actions:
            if not action.option_strings or action.default in (None, False, [], argparse.SUPPRESS):
                continue
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if "default" not in (action.help or ""):
                missing.append(f"{name} {action.option_strings[-1]}")
    assert missing == []


def test_every_command_is_covered():
    names = {name.split()[0] for name, _ in all_commands()}
    assert {c.replace("mapping_check", "mapping") for c in COMMANDS} == names
