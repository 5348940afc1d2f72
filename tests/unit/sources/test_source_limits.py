"""Hostile inputs: no source makes the import hang or eat the machine, and parsing stays linear.

Each test would have failed on the code before ``migrator/sources/limits.py``: a FIFO blocked the
read forever, ``/dev/zero`` as a CSV filled memory, an ``Include`` fan-out read gigabytes, whole-column
merges were filled in a million rows deep, a 16 MiB CSV cell was an internal error, and jump chains
and dead aliases rescanned the whole config per host. Anything that could block runs in a child
process with a timeout and a memory limit.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.formats import file_formats
from helpers.paths import REPO_ROOT
from helpers.ssh_config import LOCAL_USER, write
from openpyxl import Workbook

from migrator.errors import InputError
from migrator.manager import UNREADABLE, SourceInput, read_inventory, read_sources
from migrator.sources import limits
from migrator.sources.limits import MAX_CSV_CELL, SourceLimitExceeded
from migrator.sources.ssh_config import reader as ssh_reader
from migrator.sources.ssh_config.resolver import SshConfig
from migrator.sources.ssh_config.source import SshConfigSource
from migrator.sources.tabular.excel import ExcelSource, scan_sheet

REPO = REPO_ROOT
FORMATS = file_formats()  # every registered file format: a new one is covered by itself

# Reads each spec in a child process (so a blocking open cannot hang the test run) with 1 GiB of
# address space, and prints what happened to each as JSON.
_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from migrator.errors import InputError
from migrator.sources import open_source
out = {}
for spec in sys.argv[1:]:
    try:
        open_source(spec).read()
        out[spec] = "read"
    except InputError as exc:
        out[spec] = "InputError: " + str(exc)
    except BaseException as exc:
        out[spec] = "other: " + type(exc).__name__
print(json.dumps(out))
"""


def read_in_child(specs: list[str]) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *specs],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_a_fifo_is_refused_at_once_by_every_format(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    specs = [f"{fmt}:{fifo}" for fmt in FORMATS] + [str(fifo)]  # the last one goes through detection
    results = read_in_child(specs)
    for spec in specs:
        assert (
            results[spec] == f"InputError: {fifo.as_posix()}: is a FIFO (named pipe), not a regular file; "
            "only regular files are read as sources"
        ), spec


def test_dev_zero_is_refused_by_every_format():
    results = read_in_child([f"{fmt}:/dev/zero" for fmt in FORMATS] + ["/dev/zero"])
    for spec, outcome in results.items():
        assert outcome.startswith("InputError: /dev/zero: is a character device, not a regular file"), spec


def test_a_socket_is_refused_with_its_kind_named(tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        for fmt in FORMATS:
            with pytest.raises(InputError, match=r"s\.sock: is a socket, not a regular file"):
                read_sources([f"{fmt}:{path}"])


def test_an_include_fan_out_over_a_big_file_stops_at_a_cap(tmp_path, monkeypatch):
    # the caps are lowered so the test parses 100,000 lines rather than the default 1,000,000
    monkeypatch.setattr(limits, "MAX_LINES", 100_000)
    monkeypatch.setattr(limits, "MAX_INCLUDE_TOTAL_BYTES", 10 * limits.MiB)
    ssh = tmp_path / ".ssh"
    write(ssh / "big.conf", "".join(f"Host h{i}\n  Port 22\n" for i in range(8_000)))  # 16,001 lines
    config = write(ssh / "config", "Include big.conf\n" * 1000)
    reads = []
    real = ssh_reader.read_source_bytes
    monkeypatch.setattr(ssh_reader, "read_source_bytes", lambda *a, **k: reads.append(a) or real(*a, **k))
    with pytest.raises(
        SourceLimitExceeded,
        match=r"config: the number of lines read through Include "
        r"\(reached at .*big\.conf\) exceeds the limit of 100,000 lines",
    ):
        SshConfigSource(config, home=tmp_path, local_user=LOCAL_USER).read()
    assert len(reads) == 8  # the main file and 7 copies: 7 * 16,001 lines > 100,000 - not 1,001 reads
    write(ssh / "long.conf", "Host long\n#" + "x" * 999_990 + "\n")  # 1,000,002 bytes in two lines
    write(ssh / "config", "Include long.conf\n" * 1000)
    reads.clear()
    with pytest.raises(SourceLimitExceeded, match=r"the text read through Include .* exceeds the limit of 10 MiB"):
        SshConfigSource(config, home=tmp_path, local_user=LOCAL_USER).read()
    assert len(reads) == 12  # the main file and 11 copies: 11 * 1,000,002 bytes > 10 MiB


def read_with_home(specs, home):
    """Read specs; ssh_config sources resolve '~' against ``home`` (the other formats take no such option)."""
    return read_inventory(
        [
            SourceInput(spec, options={"home": str(home)} if spec.startswith("ssh_config:") else {}, where=spec)
            for spec in specs
        ]
    )


def test_a_source_over_a_cap_is_an_error_and_the_other_sources_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_LINES", 10_000)
    ssh = tmp_path / ".ssh"
    write(ssh / "big.conf", "".join(f"Host h{i}\n" for i in range(4_000)))
    bomb = write(ssh / "config", "Include big.conf\n" * 1000)
    good = tmp_path / "servers.csv"
    good.write_text("name,host\nweb,web.example.net\n", encoding="utf-8")
    result = read_with_home([f"ssh_config:{bomb}", str(good), f"csv:{tmp_path / 'missing.csv'}"], tmp_path)
    assert [h.name for h in result.hosts] == ["web"]
    errors = [d for d in result.diagnostics if d.code == UNREADABLE]
    assert [d.file for d in errors] == [f"ssh_config:{bomb}", f"csv:{tmp_path / 'missing.csv'}"]
    assert "exceeds the limit" in errors[0].message and "no such file" in errors[1].message


def test_the_cli_exits_non_zero_when_one_source_cannot_be_read(tmp_path, capsys):
    from migrator.cli import main

    good = tmp_path / "servers.csv"
    good.write_text("name,host\nweb,web.example.net\n", encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["inspect", str(good), f"csv:{fifo}"]) == 1
    captured = capsys.readouterr()
    assert "web.example.net" in captured.out
    assert "1 source(s) could not be read" in captured.err and "is a FIFO" in captured.err


def _workbook_with_merges(path: Path, merges: list[str]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Host", "Port", "Description"])
    ws.append(["a", "a.example.net", 22, "rack 1"])
    ws.append(["b", "b.example.net", 22, None])
    ws.append(["c", "c.example.net", 22, None])
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    refs = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                merged = f'<mergeCells count="{len(merges)}">{refs}</mergeCells>'
                text = text.replace("</sheetData>", "</sheetData>" + merged)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    return path


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def test_whole_column_merges_are_clipped_to_the_used_range(tmp_path):
    merges = [f"{_column(c)}1:{_column(c)}1048576" for c in range(5, 1004)] + ["D2:D1048576"]
    path = _workbook_with_merges(tmp_path / "merges.xlsx", merges)
    assert path.stat().st_size < 20_000
    with zipfile.ZipFile(path) as archive:
        facts = scan_sheet(archive, "xl/worksheets/sheet1.xml")
    assert (facts.max_row, facts.max_col) == (4, 4)
    assert facts.merges == [(2, 4, 4, 4)]  # 999 ranges right of the data vanish, one is cut at row 4
    hosts = {h.name: h for h in ExcelSource(path).read().hosts}
    assert {n: h.description for n, h in hosts.items()} == {"a": "rack 1", "b": "rack 1", "c": "rack 1"}


def test_a_cell_over_the_csv_cap_is_a_clear_error(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('name,host,description\nweb,web.example.net,ok\ndb,db.example.net,"')
        fh.write("x" * (MAX_CSV_CELL + 1))
        fh.write('"\n')
    with pytest.raises(SourceLimitExceeded, match=r"huge\.csv: line 3: a cell exceeds the limit of 16 MiB"):
        read_sources([str(path)])


def test_jump_chains_build_the_alias_set_once(tmp_path, monkeypatch):
    calls = []
    real = SshConfig.aliases
    monkeypatch.setattr(SshConfig, "aliases", lambda self: calls.append(1) or real(self))

    def aliases_calls(n: int) -> int:
        calls.clear()
        body = "Host gw\n  HostName gw.example.net\n" + "".join(
            f"Host h{i}\n  HostName 10.0.{i // 250}.{i % 250 + 1}\n  ProxyJump gw\n" for i in range(n)
        )
        config = write(tmp_path / f"config{n}", body)
        result = SshConfigSource(config, home=tmp_path, local_user=LOCAL_USER).read()
        assert len(result.hosts) == n + 1 and all(h.jump for h in result.hosts[1:])
        return len(calls)

    assert aliases_calls(10) == aliases_calls(200) == 3


def test_dead_aliases_are_explained_without_rescanning_the_config(tmp_path, monkeypatch):
    calls = []
    real = SshConfig.host_lines
    monkeypatch.setattr(SshConfig, "host_lines", lambda self: calls.append(1) or real(self))

    def host_line_scans(n: int) -> int:
        calls.clear()
        ssh = tmp_path / f"home{n}" / ".ssh"
        write(ssh / "late.conf", "".join(f"Host late{i}\n  Port 22\n" for i in range(n)))
        config = write(ssh / "config", "Host only-this\n  Port 2\nInclude late.conf\n")
        result = SshConfigSource(config, home=ssh.parent, local_user=LOCAL_USER).read()
        dead = [d for d in result.diagnostics if d.code == "ssh-dead-alias"]
        assert len(dead) == n and "Included from inside a Host/Match block" in dead[0].message
        return len(calls)

    assert host_line_scans(10) == host_line_scans(300) <= 4


def test_deeply_nested_includes_stop_at_openssh_depth(tmp_path):
    ssh = tmp_path / ".ssh"
    for i in range(40):
        write(ssh / f"n{i}.conf", f"Include n{i + 1}.conf\nHost deep{i}\n  Port 22\n")
    config = write(ssh / "config", "Include n0.conf\n")
    result = SshConfigSource(config, home=tmp_path, local_user=LOCAL_USER).read()
    assert [d.code for d in result.diagnostics if d.level == "error"] == ["ssh-include-depth"]
    assert len(result.hosts) == 16  # n0 .. n15: 16 levels below the main file, as READCONF_MAX_DEPTH


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_binary_and_empty_files_fail_cleanly(tmp_path, fmt):
    from migrator.sources import source_class

    (tmp_path / "example").mkdir()
    example = Path(source_class(fmt).example(tmp_path / "example"))
    target = (
        max((f for f in example.rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)
        if example.is_dir()
        else example
    )
    data = target.read_bytes()
    for kind, content in {"truncated": data[: len(data) // 3], "binary": bytes(range(256)) * 64, "empty": b""}.items():
        target.write_bytes(content)
        try:
            result = read_with_home([f"{fmt}:{example}"], tmp_path)
        except InputError as exc:
            assert str(exc).startswith(example.as_posix()), (kind, str(exc))
            continue
        for d in result.diagnostics:
            assert d.file is not None and d.message, kind


@pytest.mark.parametrize("fmt", [*FORMATS, None])
def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, fmt):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:  # sparse: 65 MiB on paper, nothing on disk
        fh.truncate(limits.MAX_FILE_BYTES + limits.MiB)
    spec = f"{fmt}:{path}" if fmt else str(path)
    with pytest.raises(SourceLimitExceeded, match=r"huge\.csv: the file \(65 MiB\) exceeds the limit of 64 MiB"):
        read_with_home([spec], tmp_path)
