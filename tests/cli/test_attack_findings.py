"""Attack review of the restructured code: one test per problem found, run through the real CLI.

Every test here failed on ``main`` when it was written (commit 93d3e9f) and states the behaviour a fix
must give, without prescribing the fix: where "refuse with one clear line" and "honour the flag"
are both acceptable, the test accepts either. Each test runs ``python -m migrator`` as a subprocess
against the embedded simulator (or the XO stand-in on 127.0.0.1) with a bounded timeout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.xo_standin import TSOA, XoStandIn, load_samples

ROOT = REPO_ROOT
SECRET = "Hunter2-Attack-Secret"


def cli(*argv: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("XO_TOKEN", "XPIPE_API_KEY")}
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *argv],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def assert_clean_error(proc: subprocess.CompletedProcess, *names: str) -> None:
    """Exit 1, no 'internal error', and the message names what was wrong."""
    text = out(proc)
    assert "internal error" not in text, text
    assert proc.returncode == 1, (proc.returncode, text)
    for name in names:
        assert name in proc.stderr, (name, proc.stderr)


def write_job(folder: Path, source: str, *, prune: bool = False, extra: str = "") -> Path:
    job = folder / "job.toml"
    job.write_text(
        f'name = "attack"\n[[source]]\n{source}\n[target]\nurl = "embedded"\nembedded_state = "vault"\n'
        + ("[prune]\nenabled = true\nquarantine_days = 0\n" if prune else "")
        + extra,
        encoding="utf-8",
    )
    return job


def changes(proc: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(proc.stdout)["changes"]


# -- 1. prune deletes servers that are still in the source but could not be read ---------------------


@pytest.mark.parametrize(
    "name, first, second, gone",
    [
        (
            "s.csv",
            "name,host,port,user\na,10.0.0.1,22,u\nb,10.0.0.2,22,u\nc,10.0.0.3,22,u\n",
            "name,host,port,user\na,10.0.0.1,22,u\nb,10.0.0.2,2x2,u\nc,10.0.0.3,22,u\n",  # one typo in b's port
            {"b"},
        ),
        (
            "inv.yml",
            "all:\n  hosts:\n    a.example.net:\n    b.example.net:\n    c.example.net:\n",
            # one unclosed quote: "the rest of the file is not read"
            'all:\n  hosts:\n    a.example.net:\n      ansible_user: "oops\n    b.example.net:\n    c.example.net:\n',
            {"b.example.net", "c.example.net"},
        ),
    ],
)
def test_prune_never_deletes_an_entry_whose_source_entry_failed_to_read(tmp_path, name, first, second, gone):
    fmt = "csv" if name.endswith(".csv") else "ansible"
    (tmp_path / name).write_text(first, encoding="utf-8")
    job = write_job(tmp_path, f'path = "{name}"\nformat = "{fmt}"', prune=True)
    assert cli("sync", str(job), cwd=tmp_path).returncode == 0
    (tmp_path / name).write_text(second, encoding="utf-8")
    proc = cli("sync", str(job), "--dry-run", "--format", "json", cwd=tmp_path)
    if proc.returncode == 3:  # refusing to prune is a fix too
        return
    # 4: the README's "source entries could not be imported" (held, left untouched) exit
    assert proc.returncode in (0, 2, 4), out(proc)
    removed = {c["name"] for c in changes(proc) if c["action"] in ("delete", "quarantine")}
    assert not removed & gone, f"a read error in the source prunes {removed & gone} from the vault"


# -- 2. plan --job / apply PLAN.json accept target, import and source flags and ignore them ----------


def _job_with_csv(tmp_path: Path) -> Path:
    (tmp_path / "s.csv").write_text("name,host,port,user\na,10.0.0.1,22,u\n", encoding="utf-8")
    return write_job(tmp_path, 'path = "s.csv"\nformat = "csv"')


@pytest.mark.parametrize("how", ["plan --job", "apply PLAN.json"])
def test_flags_given_with_a_job_or_saved_plan_are_honoured_or_refused(tmp_path, how):
    job = _job_with_csv(tmp_path)
    if how == "plan --job":
        base = ["plan", "--job", str(job)]
    else:
        saved = tmp_path / "plan.json"
        assert cli("plan", "--job", str(job), "--out", str(saved), cwd=tmp_path).returncode == 2
        base = ["apply", str(saved), "--yes"]
    # --root-category: honoured means the plan goes there; refused means exit 1 naming the flag
    proc = cli(*base, "--root-category", "Elsewhere", "--format", "json", cwd=tmp_path)
    if proc.returncode != 1:
        assert json.loads(proc.stdout)["root_category"] == "Elsewhere", "--root-category was accepted and ignored"
    else:
        assert "--root-category" in proc.stderr, proc.stderr
    # --target at a closed port: honoured means XPipe is unreachable (5); refused means 1
    proc = cli(*base, "--target", "http://127.0.0.1:9", cwd=tmp_path)
    assert proc.returncode in (1, 5), f"--target was accepted and ignored (exit {proc.returncode})"


# -- 3. a saved plan is not stale although a file the source read changed ---------------------------


def test_saved_plan_goes_stale_when_an_included_ssh_config_file_changes(tmp_path):
    (tmp_path / "config").write_text("Include sub.conf\n", encoding="utf-8")
    (tmp_path / "sub.conf").write_text("Host web\n  HostName 10.0.0.1\n  User deploy\n", encoding="utf-8")
    job = write_job(tmp_path, 'path = "config"\nformat = "ssh_config"')
    saved = tmp_path / "plan.json"
    assert cli("plan", "--job", str(job), "--out", str(saved), cwd=tmp_path).returncode == 2
    (tmp_path / "sub.conf").write_text("Host web\n  HostName 10.6.6.6\n  User deploy\n", encoding="utf-8")
    proc = cli("apply", str(saved), "--yes", cwd=tmp_path)
    assert proc.returncode == 3, f"applied a reviewed plan after its input changed (exit {proc.returncode})"
    assert "sources" in proc.stderr


# -- 4. a FIFO named as a source blocks forever ----------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("fmt", ["ansible", "csv"])
def test_a_fifo_source_is_refused_instead_of_blocking(tmp_path, fmt):
    fifo = tmp_path / "inventory"
    os.mkfifo(fifo)
    try:
        proc = cli("inspect", f"{fmt}:{fifo}", cwd=tmp_path, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"inspect {fmt}:FIFO still blocked after 20 s")
    assert_clean_error(proc, str(fifo))


# -- 5. output files may be the run's own inputs ----------------------------------------------------


@pytest.mark.parametrize("flag", ["--rejects", "--report", "--out", "[reports] rejects"])
def test_an_output_file_never_overwrites_an_input(tmp_path, flag):
    source = tmp_path / "s.csv"
    source.write_text("name,host,port,user,password\na,10.0.0.1,22,u,Pw-1\nb,10.0.0.2,2x2,u,Pw-2\n", encoding="utf-8")
    job = write_job(tmp_path, 'path = "s.csv"\nformat = "csv"')
    before = {p: p.read_bytes() for p in (source, job)}
    if flag == "--rejects":
        proc = cli("plan", str(source), "--target", "embedded", "--rejects", str(source), cwd=tmp_path)
    elif flag == "--report":
        proc = cli("plan", str(source), "--target", "embedded", "--report", f"markdown={source}", cwd=tmp_path)
    elif flag == "--out":
        proc = cli("plan", "--job", str(job), "--out", str(job), cwd=tmp_path)
    else:
        job.write_text(job.read_text(encoding="utf-8") + '[reports]\nrejects = "s.csv"\n', encoding="utf-8")
        before[job] = job.read_bytes()
        proc = cli("sync", str(job), "--dry-run", cwd=tmp_path)
        flag = "rejects"
    assert {p: p.read_bytes() for p in before} == before, f"{flag} overwrote an input file"
    assert_clean_error(proc, flag)


# -- 6. a mistyped xo: URL echoes the password typed into it ----------------------------------------


@pytest.mark.parametrize("url", [f"https//admin:{SECRET}@xo.example.org", f"admin:{SECRET}@xo.example.org"])
def test_a_mistyped_xo_url_never_shows_its_password(tmp_path, url):
    proc = cli("inspect", f"xo:{url}", cwd=tmp_path, env={"XO_TOKEN": "tok"})
    assert SECRET not in out(proc), out(proc)
    assert_clean_error(proc)


# -- 7. internal errors for ordinary mistakes ------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, option, name",
    [("putty", "codepage", "s.reg"), ("mobaxterm", "codepage", "s.mxtsessions"), ("csv", "encoding", "s.csv")],
)
@pytest.mark.parametrize("codec", ["rot13", "base64"])
def test_a_codec_that_is_not_a_text_encoding_is_an_option_error(tmp_path, fmt, option, name, codec):
    samples = ROOT / "samples"
    src = {
        "putty": samples / "putty-sessions.reg",
        "mobaxterm": samples / "mobaxterm.mxtsessions",
        "csv": samples / "servers.csv",
    }[fmt]
    (tmp_path / name).write_bytes(src.read_bytes())
    proc = cli("inspect", f"{fmt}:{name}", "--source-option", f"{option}={codec}", cwd=tmp_path)
    assert_clean_error(proc, option)


@pytest.mark.parametrize(
    "spec, options",
    [
        ("xo:https://[::1", []),
        ("xo:http://127.0.0.1:9", ["--source-option", "timeout=inf"]),
        ("xo:http://127.0.0.1:9", ["--source-option", "timeout=1e308"]),
    ],
)
def test_odd_xo_urls_and_timeouts_are_option_errors(tmp_path, spec, options):
    proc = cli("inspect", spec, *options, cwd=tmp_path, env={"XO_TOKEN": "tok"})
    assert_clean_error(proc)


@pytest.mark.parametrize("kind", ["dangling-symlink", "below-a-file"])
def test_samples_into_an_unusable_folder_is_one_clear_error(tmp_path, kind):
    if kind == "dangling-symlink":
        dest = tmp_path / "link"
        dest.symlink_to(tmp_path / "missing" / "dir")
    else:
        (tmp_path / "afile").write_text("x", encoding="utf-8")
        dest = tmp_path / "afile" / "samples"
    proc = cli("samples", str(dest), cwd=tmp_path)
    assert_clean_error(proc, str(dest))


@pytest.mark.parametrize("damage", ["no-job", "job-not-text", "fingerprints-not-a-table", "change-not-a-table"])
def test_a_damaged_saved_plan_is_one_clear_error(tmp_path, damage):
    job = _job_with_csv(tmp_path)
    saved = tmp_path / "plan.json"
    assert cli("plan", "--job", str(job), "--out", str(saved), cwd=tmp_path).returncode == 2
    doc = json.loads(saved.read_text(encoding="utf-8"))
    if damage == "no-job":
        del doc["job"]
    elif damage == "job-not-text":
        doc["job"] = 5
    elif damage == "fingerprints-not-a-table":
        doc["fingerprints"] = [1]
    else:
        doc["plan"]["changes"] = [1]
    saved.write_text(json.dumps(doc), encoding="utf-8")
    proc = cli("apply", str(saved), "--yes", cwd=tmp_path)
    assert "internal error" not in out(proc), out(proc)
    assert proc.returncode in (1, 3), out(proc)
    assert str(saved.name) in proc.stderr, proc.stderr


# -- 8. terminal injection through Xen Orchestra names ---------------------------------------------


def test_xo_names_cannot_send_escape_sequences_to_the_terminal(tmp_path):
    vms, pools = load_samples()
    evil_vm = dict(
        vms[0],
        id="11111111-1111-1111-1111-111111111111",
        uuid="11111111-1111-1111-1111-111111111111",
        name_label="\x1b]0;owned\x07\x1b[2Jvm",
    )
    ok_vm = dict(
        vms[0],
        id="22222222-2222-2222-2222-222222222222",
        uuid="22222222-2222-2222-2222-222222222222",
        name_label="plain",
        mainIpAddress="10.9.9.9",
    )
    pools = [dict(p) for p in pools]
    for p in pools:
        if p.get("id") == ok_vm.get("$pool"):
            p["name_label"] = "Pool\x1b[5m\x9b2J"
    with XoStandIn(TSOA, vms=[evil_vm, ok_vm], pools=pools) as xo:
        proc = cli("inspect", f"xo:{xo.url}", cwd=tmp_path, env={"XO_TOKEN": xo.token})
    assert proc.returncode == 0, out(proc)
    assert "plain" in proc.stdout
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in out(proc), f"{control!r} from an XO name reached the terminal: {proc.stdout!r}"


# -- 9. Markdown injection through names -------------------------------------------------------------


def _unescaped_pipes(line: str) -> int:
    count, escaped = 0, False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            count += 1
    return count


def test_names_cannot_break_out_of_the_markdown_report(tmp_path):
    (tmp_path / "s.csv").write_text(
        "name,host,port,user\n"
        '"pipe\\|x",10.0.0.1,22,u\n'
        '"<img src=https://evil.example/p.png></details>",10.0.0.2,22,u\n',
        encoding="utf-8",
    )
    proc = cli("inspect", "csv:s.csv", "--format", "markdown", cwd=tmp_path)
    assert proc.returncode == 0, out(proc)
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 3, proc.stdout
    assert {_unescaped_pipes(r) for r in rows} == {7}, f"a name added table columns: {rows}"
    outside_code = re.sub(r"`[^`]*`", "", proc.stdout)  # a code span shows HTML literally: that is a fix too
    assert "<img" not in outside_code and "</details>" not in outside_code, proc.stdout


# -- 10. the same file under two spellings is imported twice -----------------------------------------


def test_the_same_file_given_twice_is_not_imported_twice(tmp_path):
    (tmp_path / "s.csv").write_text(
        "name,host,port,user,folder,jump\ngw,10.0.0.1,22,u,F,\na,10.0.0.2,22,u,F,gw\n", encoding="utf-8"
    )
    proc = cli("plan", "s.csv", "./s.csv", "--target", "embedded", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 2, out(proc)
    hosts = [(c["action"], c["name"]) for c in changes(proc) if c["kind"] == "host"]
    assert len(hosts) == 2, f"{len(hosts)} connections planned for 2 rows: {hosts}"


# -- 11. --embedded-state naming a file ------------------------------------------------------------


def test_embedded_state_naming_a_file_is_refused_before_anything_runs(tmp_path):
    (tmp_path / "s.csv").write_text("name,host,port,user\na,10.0.0.1,22,u\n", encoding="utf-8")
    (tmp_path / "state").write_text("not a folder", encoding="utf-8")
    proc = cli("apply", "s.csv", "--target", "embedded", "--embedded-state", "state", "--yes", cwd=tmp_path)
    assert_clean_error(proc, "--embedded-state")
    assert (tmp_path / "state").read_text(encoding="utf-8") == "not a folder"


# -- 12. a password on a line the reader cannot parse is echoed into diagnostics and reports ---------


@pytest.mark.parametrize(
    "spec, text",
    [
        # a comma typed for a space: the whole token becomes the "host name" shown in the diagnostic
        ("ansible:hosts.ini", f"[web]\nweb01,ansible_password={SECRET}\n"),
        # a CSV inventory read with the wrong format: every row, passwords included, is shown
        ("ansible:servers.csv", f"name,host,port,user,password\nweb,10.0.0.1,22,u,{SECRET}\n"),
        ("ssh_config:servers.csv", f"name,host,port,user,password\nweb,10.0.0.1,22,u,{SECRET}\n"),
    ],
)
def test_an_unparsable_line_never_shows_its_password(tmp_path, spec, text):
    (tmp_path / spec.split(":", 1)[1]).write_text(text, encoding="utf-8")
    report = tmp_path / "plan.md"
    proc = cli("plan", spec, "--target", "embedded", "--report", f"markdown={report}", "--format", "json", cwd=tmp_path)
    assert "internal error" not in out(proc), out(proc)
    assert SECRET not in out(proc), "a password reached the terminal"
    if report.exists():
        assert SECRET not in report.read_text(encoding="utf-8"), "a password reached the report"
