"""The classes of ``tests/unit/sources/test_native_attack.py`` driven through the CLI as a user meets them:
``python -m migrator inspect FORMAT:PATH`` in a subprocess. Each ends in diagnostics or one ``error:``
line with exit 1; never ``internal error``, a traceback, a raw terminal escape or the bad value at length.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.native_attack import HUGE, SAMPLES, copy_sample
from helpers.native_cli import cli


def _inspect(tmp_path: Path, spec: str, *extra: str, env: dict | None = None, timeout: float = 120):
    """``inspect`` as JSON; the timeout guards the linear-time cases (the quadratic code took minutes)."""
    run = cli("inspect", spec, "--format", "json", *extra, cwd=tmp_path, env=env, timeout=timeout)
    for stream in (run.stdout, run.stderr):
        assert "internal error" not in stream and "Traceback" not in stream, stream[-2000:]
        assert "\x1b" not in stream and "\x00" not in stream
        assert HUGE[:300] not in stream
    return run


def _report(run) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _diagnostics(report: dict) -> list[dict]:
    return report["diagnostics"]


def test_a_port_of_thousands_of_digits_is_a_diagnostic(tmp_path):
    """WinSCP ``PortNumber``: ``int()`` of 5,000 digits raised ValueError, an internal error."""
    location = copy_sample(tmp_path, "winscp/WinSCP.ini")
    text = location.read_text(encoding="utf-8-sig")
    assert "\nPortNumber=2222\n" in text  # the bastion site
    location.write_text(text.replace("\nPortNumber=2222\n", f"\nPortNumber={HUGE}\n", 1), encoding="utf-8")
    report = _report(_inspect(tmp_path, f"winscp:{location.name}"))
    assert "bastion" not in {h["name"] for h in report["hosts"]}
    assert any(d["field"] == "PortNumber" and d["level"] == "error" for d in _diagnostics(report))


@pytest.mark.parametrize(("fmt", "rel"), [("royalts", "royalts/lab.rtsz"), ("mremoteng", "mremoteng/confCons.xml")])
def test_an_xml_declaration_naming_an_unusable_encoding_is_one_error_line(fmt, rel, tmp_path):
    location = copy_sample(tmp_path, rel)
    text = location.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    location.write_text(text.replace('encoding="utf-8"', 'encoding="rot13"', 1), encoding="utf-8")
    run = _inspect(tmp_path, f"{fmt}:{location.name}")
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("xpipe-migrate: error: ") and "encoding that cannot be read" in line
    assert "rot13" not in line


def test_an_asbru_value_the_yaml_reader_refuses_never_becomes_a_user(tmp_path):
    location = copy_sample(tmp_path, "asbru/asbru.yml")
    text = location.read_text(encoding="utf-8")
    location.write_text(re.sub(r"(?m)^(    user): (jump|deploy)$", r"\1: !!perl/code '{ 1 }'", text), encoding="utf-8")
    report = _report(_inspect(tmp_path, f"asbru:{location.name}"))
    names = {h["name"] for h in report["hosts"]}
    assert "bastion" not in names and "web01" not in names
    assert not any("unsupported" in json.dumps(h) for h in report["hosts"])
    fields = {(d["entry"], d["field"]) for d in _diagnostics(report) if d["level"] == "error"}
    assert ("Production/bastion", "user") in fields


def test_a_control_sequence_in_a_name_reaches_the_terminal_escaped(tmp_path):
    """A Tabby profile named with ESC ``[2J`` (clear screen) and a bidi override: shown, not obeyed."""
    location = copy_sample(tmp_path, "tabby/config.yaml")
    text = location.read_text(encoding="utf-8")
    location.write_text(text.replace("name: bastion", 'name: "bas\\e[2Jtion\\u202e"', 1), encoding="utf-8")
    passphrase = (SAMPLES / "tabby/vault-passphrase.txt").read_text(encoding="utf-8").rstrip("\r\n")
    run = cli(
        "inspect", f"tabby:{location.name}", "-v", cwd=tmp_path, env={"XPIPE_MIGRATE_SOURCE_PASSWORD": passphrase}
    )
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout + run.stderr and "\u202e" not in run.stdout + run.stderr
    assert "\\x1b[2J" in run.stdout


def test_deep_royal_ts_folders_are_held_and_cheap(tmp_path):
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<RTSZDocument><RoyalDocument><ID>doc</ID><Name>D</Name>']
    parts.append("</RoyalDocument>\n")
    parent = "doc"
    for i in range(20_000):
        parts.append(f"<RoyalFolder><ID>f{i}</ID><ParentID>{parent}</ParentID><Name>f</Name></RoyalFolder>\n")
        parent = f"f{i}"
    parts.append(
        f"<RoyalSSHConnection><ID>c</ID><ParentID>{parent}</ParentID><Name>deep</Name>"
        "<URI>deep.example.net</URI></RoyalSSHConnection>\n"
        "<RoyalSSHConnection><ID>t</ID><ParentID>doc</ParentID><Name>top</Name>"
        "<URI>top.example.net</URI></RoyalSSHConnection>\n</RTSZDocument>\n"
    )
    (tmp_path / "deep.rtsz").write_text("".join(parts), encoding="utf-8")
    report = _report(_inspect(tmp_path, "royalts:deep.rtsz"))
    assert [h["name"] for h in report["hosts"]] == ["top"]
    assert [d["code"] for d in _diagnostics(report) if d["level"] == "error"] == ["too-deep"]


def test_a_megabyte_host_name_is_reported_briefly(tmp_path):
    location = copy_sample(tmp_path, "rdm/export.rdm")
    text = location.read_text(encoding="utf-8-sig")
    host = re.search(r"<Host>([^<]+)</Host>", text).group(1)
    location.write_text(text.replace(f"<Host>{host}</Host>", f"<Host>{'a.' * 500_000}{host}</Host>", 1), "utf-8")
    run = _inspect(tmp_path, f"rdm:{location.name}")
    report = _report(run)
    assert len(run.stdout) < 200_000
    assert any("characters)" in d["message"] for d in _diagnostics(report))


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "confCons.xml", "--source-option", "password_file=~no-such-user-0451/master.txt"],
        ["inspect", "mremoteng:~no-such-user-0451/confCons.xml"],
        ["inspect", "remmina:remmina", "--source-option", "pref=~no-such-user-0451/remmina.pref"],
    ],
    ids=["password_file", "location", "remmina-pref"],
)
def test_a_path_naming_a_home_folder_of_no_user_is_one_line(argv, tmp_path):
    """``Path.expanduser`` raises RuntimeError for ``~nosuchuser``: it was an internal error."""
    copy_sample(tmp_path, "mremoteng/confCons.xml")
    copy_sample(tmp_path, "remmina")
    run = _inspect(tmp_path, *argv[1:])
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("xpipe-migrate: error: ") and "~no-such-user-0451" in line


def test_a_nul_in_a_job_files_password_file_is_one_line(tmp_path):
    copy_sample(tmp_path, "mremoteng/confCons.xml")
    job = tmp_path / "job.toml"
    job.write_text(
        'name = "nul"\n\n[[source]]\npath = "confCons.xml"\nformat = "mremoteng"\n'
        'options = { password_file = "secret\\u0000.txt" }\n\n'
        '[target]\nurl = "embedded"\nembedded_state = "vault"\n',
        encoding="utf-8",
    )
    run = cli("sync", str(job), "--dry-run", cwd=tmp_path)
    assert run.returncode == 1 and "internal error" not in run.stderr, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert "job.toml" in line and "options" in line
    assert not (tmp_path / "vault").exists()


def test_yaml_aliases_that_would_expand_to_billions_cost_nothing(tmp_path):
    """YAML.pm files may share a node by ``&1``/``*1``: the reader keeps one object, but ``str()`` of an
    aliased list in ``variables`` walked all 10**13 leaves. A scalar field never takes a list now."""
    lines = ["---", "l0: &l0", *["  - aaaaaaaaaa"] * 10]
    for i in range(1, 14):
        lines += [f"l{i}: &l{i}", *[f"  - *l{i - 1}"] * 10]
    body = (SAMPLES / "asbru/asbru.yml").read_text(encoding="utf-8").split("\n", 1)[1]
    for field in ("expect", "variables", "screenshots"):
        body = body.replace(f"    {field}: []", f"    {field}: *l13")
    (tmp_path / "asbru.yml").write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    run = cli("inspect", "asbru:asbru.yml", "--format", "json", cwd=tmp_path, timeout=60)
    report = _report(run)
    assert {h["name"] for h in report["hosts"]} == {"bastion", "web01", "db01"}


def test_a_jump_list_of_thousands_of_hops_is_one_error_not_minutes(tmp_path):
    """``ssh -J`` of 3,000 hops: every generated hop carried the path before it, so the plan took
    minutes and its output grew with the square of the chain. Past 32 hops the entry is not imported."""
    hops = ",".join(f"u{i}@h{i}.example.net:22" for i in range(3000))
    profiles = [
        {
            "guid": "{8b5c4d3e-2f6a-4b7c-8d8e-9f0a1b2c3d4e}",
            "name": "deep",
            "commandline": f"ssh -J {hops} t.example.net",
        },
        {
            "guid": "{8b5c4d3e-2f6a-4b7c-8d8e-9f0a1b2c3d4f}",
            "name": "ok",
            "commandline": "ssh -J j@gw.example.net ok.example.net",
        },
    ]
    (tmp_path / "settings.json").write_text(json.dumps({"profiles": {"list": profiles}}), encoding="utf-8")
    run = cli(
        "plan",
        "windows_terminal:settings.json",
        "--target",
        "embedded",
        "--embedded-state",
        "vault",
        "--format",
        "json",
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 4, run.stderr  # an entry of the source is not imported
    assert len(run.stdout) < 100_000 and "internal error" not in run.stderr
    doc = json.loads(run.stdout)
    names = {c["name"] for c in doc["changes"] if c["action"] == "create"}
    assert "ok" in names and "deep" not in names and not any(n.startswith("h1 ") for n in names)
    assert [d["entry"] for d in doc["diagnostics"] if d["code"] == "jump-too-long"] == ["deep"]


@pytest.mark.parametrize("field", ["ip", "user", "pass", "options"])
@pytest.mark.parametrize(
    "value",
    [
        "<GV:" * 200_000,
        "<KPX_title:" * 80_000,
        "<KPXRE_GET_" + "x_WHERE_x" * 90_000,
        "<ENV:" * 160_000,
        " " * 800_000 + "x",  # the old -o "IdentityFile ..." search retried inside a run of blanks
        "a" * 800_000,  # shlex.split grows a word one character at a time
    ],
)
def test_asbru_fields_of_a_megabyte_are_read_in_linear_time(field, value, tmp_path):
    """Ásbrú's ``<GV:name>``-style patterns scanned to the end of the line from every ``<GV:`` that had
    no ``>`` after it (40 KB took a second), and shlex split an 800 KB word in 12 s: these fields
    would take hours (the timeout is a guard, not a measurement)."""
    body = (SAMPLES / "asbru/asbru.yml").read_text(encoding="utf-8")
    start = body.index("\n  5a1e0000-0000-4000-8000-000000000010:\n")
    at = body.index(f"\n    {field}: ", start) + 1
    end = body.index("\n", at)
    (tmp_path / "asbru.yml").write_text(body[:at] + f"    {field}: '{value}'" + body[end:], encoding="utf-8")
    run = cli("inspect", "asbru:asbru.yml", "--format", "json", cwd=tmp_path, timeout=120)
    report = _report(run)
    assert "web01" in {h["name"] for h in report["hosts"]}


def test_an_rjson_string_that_never_ends_is_one_line_at_once(tmp_path):
    """The trailing-comma pass retried an unterminated string from every quote inside it:
    ``'"\\' * n`` took 6 s at 40 KB, hours at megabytes."""
    (tmp_path / "doc.rjson").write_text('{"Objects": [' + '"\\' * 500_000, encoding="utf-8")
    run = _inspect(tmp_path, "royalts:doc.rjson", timeout=30)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert "not valid JSON" in line


def test_a_securecrt_key_path_of_unclosed_variables_is_reported_at_once(tmp_path):
    """``${`` repeated without ``}``: every start scanned to the end of the path."""
    from helpers.securecrt import session_settings, write_config

    path = "${" * 300_000 + "x"
    write_config(tmp_path, {"web": session_settings("web.example.net", key=path)})
    run = _inspect(tmp_path, "securecrt:Config", timeout=30)
    hosts = {h["name"]: h for h in _report(run)["hosts"]}
    assert "web" in hosts  # no "}" anywhere: not a variable, the path is the key file as written


def test_a_windows_terminal_command_line_of_many_words_is_read_at_once(tmp_path):
    words = "a " * 200_000
    profiles = [{"guid": "{61c54bbd-c2c6-5271-96e7-009a87ff44bf}", "name": "shell", "commandline": words + "pwsh.exe"}]
    profiles.append(
        {"guid": "{8b5c4d3e-2f6a-4b7c-8d8e-9f0a1b2c3d4f}", "name": "ok", "commandline": "ssh ok.example.net"}
    )
    (tmp_path / "settings.json").write_text(json.dumps({"profiles": {"list": profiles}}), encoding="utf-8")
    report = _report(_inspect(tmp_path, "windows_terminal:settings.json", timeout=30))
    assert [h["name"] for h in report["hosts"]] == ["ok"]
