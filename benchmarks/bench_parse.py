"""Parse time and peak memory of every source format at growing sizes: parsing must be linear.

    python benchmarks/bench_parse.py [--sizes 1000,10000,100000] [--formats csv,excel,...] [--results FILE]

For each format (csv, excel, ssh_config, putty, mobaxterm, ansible) an inventory of N hosts is generated
(a quarter of them behind a jump host, folders, users, ports; ssh_config splits its hosts over
Included files and adds wildcard default blocks), then read once in a fresh child process, so the
peak resident memory (``ru_maxrss``) belongs to that read alone. The read runs as the tool runs it,
with the cyclic garbage collector paused (``heap.without_cyclic_gc``). Printed per format and size: the
parse time, the peak RSS growth over the child's state just before reading, and the ratios
t(10N)/t(N): about 10 means linear, about 100 quadratic. ``--results`` appends the table to a
Markdown file (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("csv", "excel", "ssh_config", "putty", "mobaxterm", "ansible")
HEADER = ["name", "host", "port", "user", "folder", "jump", "description"]


def _rows(n: int):
    yield ["bench-gw", "gw.example.net", "22", "jump", "Infrastructure", "", "jump host"]
    for i in range(1, n):
        yield [
            f"bench-{i:06d}",
            f"host-{i:06d}.example.net",
            str(22 + i % 3),
            "deploy",
            f"Region-{i % 5}/Rack-{i % 40}",
            "bench-gw" if i % 4 == 0 else "",
            f"generated host {i}",
        ]


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(_rows(n))


def write_excel(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Servers")
    ws.append(HEADER)
    for row in _rows(n):
        row[2] = int(row[2])
        ws.append(row)
    wb.save(path)


def write_ssh_config(path: Path, n: int) -> None:
    """Half the hosts in the main file, half in four Included files; wildcard defaults at the end."""
    conf_d = path.parent / "conf.d"
    conf_d.mkdir(exist_ok=True)
    rows = list(_rows(n))
    parts: list[list[str]] = [[] for _ in range(5)]
    for i, (name, host, port, user, _folder, jump, description) in enumerate(rows):
        block = f"# {description}\nHost {name}\n  HostName {host}\n  Port {port}\n  User {user}\n"
        if jump:
            block += f"  ProxyJump {jump}\n"
        parts[0 if i % 2 == 0 else 1 + i % 4].append(block)
    for k in range(1, 5):
        (conf_d / f"part{k}.conf").write_text("".join(parts[k]), encoding="utf-8")
    tail = "Host *.example.net\n  ServerAliveInterval 30\nHost *\n  IdentitiesOnly yes\n"
    path.write_text("Include conf.d/*.conf\n\n" + "".join(parts[0]) + tail, encoding="utf-8")


def write_putty(path: Path, n: int) -> None:
    """A regedit 5 export (UTF-16LE), one key per session; jumps name the gateway session."""
    base = "[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\"
    out = ["Windows Registry Editor Version 5.00", ""]
    for name, host, port, user, _folder, jump, _description in _rows(n):
        out += [
            f"{base}{name}]",
            f'"HostName"="{host}"',
            '"Protocol"="ssh"',
            f'"PortNumber"=dword:{int(port):08x}',
            f'"UserName"="{user}"',
        ]
        if jump:
            out += ['"ProxyMethod"=dword:00000006', f'"ProxyHost"="{jump}"']
        out.append("")
    path.write_bytes(b"\xff\xfe" + "\r\n".join(out).encode("utf-16-le"))


def write_mobaxterm(path: Path, n: int) -> None:
    """Bookmarks in 40 folders; SSH sessions with a jump host on a quarter of them."""
    tail = (
        "#MobaFont%10%0%0%-1%15%236,236,236%30,30,30%180,180,192%0%-1%0%%xterm%-1%0%_Std_Colors_0_%80%24"
        "%0%1%-1%<none>%%0%0%-1%-1#0#"
    )
    folders: dict[str, list[str]] = {}
    for name, host, port, user, folder, jump, description in _rows(n):
        gw = "gw.example.net%22%jump" if jump else "%%"
        line = (
            f"{name}= #109#0%{host}%{port}%{user}%%-1%-1%%{gw}%0%0%0%%%-1%0%0%0%%1080%%0%0%1%%0%%%%0%-1%-1%0"
            f"{tail}{description}#-1"
        )
        folders.setdefault(folder.split("/")[1] if "/" in folder else folder, []).append(line)
    out = []
    for k, (folder, lines) in enumerate(folders.items()):
        section = "[Bookmarks]" if k == 0 else f"[Bookmarks_{k}]"
        out += [section, f"SubRep={folder}", "ImgNum=41", *lines, ""]
    path.write_bytes("\r\n".join(out).encode("utf-8"))


def write_ansible(path: Path, n: int) -> None:
    """An INI inventory: hosts in 40 rack groups, regions as parent groups, a jump host for a quarter."""
    groups: dict[str, list[str]] = {}
    for i, (name, host, port, user, folder, jump, _description) in enumerate(_rows(n)):
        line = f"{name} ansible_host={host} ansible_port={port} ansible_user={user}"
        if jump:
            line += " ansible_ssh_common_args='-o ProxyJump=jump@gw.example.net:22'"
        group = "infra" if i == 0 else folder.split("/")[1].lower().replace("-", "_")
        groups.setdefault(group, []).append(line)
    out = []
    for group, lines in groups.items():
        out += [f"[{group}]", *lines, ""]
    regions: dict[str, list[str]] = {}
    for group in groups:
        if group != "infra":
            regions.setdefault(f"region_{int(group.split('_')[1]) % 5}", []).append(group)
    for region, children in regions.items():
        out += [f"[{region}:children]", *children, ""]
    out += ["[all:vars]", "ansible_connection=ssh", ""]
    path.write_text("\n".join(out), encoding="utf-8")


WRITERS = {
    "csv": (write_csv, "hosts.csv"),
    "excel": (write_excel, "hosts.xlsx"),
    "ssh_config": (write_ssh_config, "config"),
    "putty": (write_putty, "sessions.reg"),
    "mobaxterm": (write_mobaxterm, "sessions.mxtsessions"),
    "ansible": (write_ansible, "inventory.ini"),
}


def _peak_kib() -> int:
    """The child's own peak RSS: ``VmHWM`` belongs to this process image, while ``ru_maxrss`` keeps
    the (larger) parent's peak across ``exec`` on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(fmt: str, path: str) -> None:
    """Child process: read once, print JSON with wall and CPU time and the peak memory."""
    from migrator.heap import without_cyclic_gc
    from migrator.sources import source_class

    cls = source_class(fmt)
    options = {"home": str(Path(path).parent), "local_user": "bench"} if fmt == "ssh_config" else {}
    before, cpu = _peak_kib(), _cpu()
    start = time.perf_counter()
    with without_cyclic_gc():  # as ``read_inventory`` reads every source
        result = cls(path, **options).read()
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    peak = _peak_kib()
    errors = [d.message for d in result.diagnostics if d.level == "error"][:3]
    print(
        json.dumps(
            {
                "hosts": len(result.hosts),
                "seconds": seconds,
                "cpu": cpu,
                "peak_kib": peak,
                "before_kib": before,
                "errors": errors,
            }
        )
    )


def run(fmt: str, n: int, folder: Path) -> dict:
    write, name = WRITERS[fmt]
    sub = folder / f"{fmt}-{n}"
    sub.mkdir(parents=True, exist_ok=True)
    path = sub / name
    write(path, n)
    size = sum(p.stat().st_size for p in sub.rglob("*") if p.is_file())
    out = subprocess.run(
        [sys.executable, __file__, "--measure", fmt, str(path)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    data = json.loads(out.stdout)
    if data["hosts"] != n or data["errors"]:
        raise SystemExit(f"{fmt} {n}: read {data['hosts']} hosts, errors {data['errors']}")
    data.update(n=n, mb=size / 1e6, grew_mib=(data["peak_kib"] - data["before_kib"]) / 1024)
    return data


def table(results: dict[str, list[dict]]) -> list[str]:
    lines = [
        "| format | hosts | input MB | wall s | CPU s | hosts/CPU-s | peak RSS growth MiB "
        "| CPU ratio to previous size | memory ratio to previous size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for fmt, rows in results.items():
        prev = None
        for r in rows:
            t_ratio = f"{r['cpu'] / prev['cpu']:.1f} (x{r['n'] // prev['n']})" if prev else "-"
            m_ratio = f"{r['grew_mib'] / prev['grew_mib']:.1f}" if prev and prev["grew_mib"] > 1 else "-"
            lines.append(
                f"| {fmt} | {r['n']:,} | {r['mb']:.1f} | {r['seconds']:.2f} | {r['cpu']:.2f} "
                f"| {r['n'] / r['cpu']:,.0f} | {r['grew_mib']:.0f} | {t_ratio} | {m_ratio} |"
            )
            prev = r
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--results", metavar="FILE", help="append the table to this Markdown file")
    ap.add_argument("--measure", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(*args.measure)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            for n in sizes:
                r = run(fmt, n, Path(tmp))
                results.setdefault(fmt, []).append(r)
                print(
                    f"{fmt:10s} {n:>7,d} hosts ({r['mb']:.1f} MB): {r['seconds']:.2f} s wall, {r['cpu']:.2f} s CPU, "
                    f"peak RSS +{r['grew_mib']:.0f} MiB",
                    flush=True,
                )
    lines = table(results)
    print("\n".join(lines))
    if args.results:
        command = "python benchmarks/bench_parse.py " + " ".join(
            a for a in sys.argv[1:] if not a.startswith("--results") and a != args.results
        )
        head = [
            f"Command: `{command.strip()} --results {args.results}`; Python {platform.python_version()}, "
            f"{platform.machine()}, one fresh child process per read (wall: `perf_counter`, CPU: `getrusage`, memory: "
            "`VmHWM` growth over the child just before the read). A CPU-time ratio near 10 for a x10 size "
            "is linear; near 100 would be quadratic.",
            "",
        ]
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write("\n".join(["", "## Parsing: time and memory per format", "", *head, *lines]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
