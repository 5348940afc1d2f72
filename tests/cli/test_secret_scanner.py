"""Plant a distinct secret in every input surface, run every command, and grep everything written.

Surfaces: a CSV password column, a header default (``password=...``), ``user:password@host`` in an
address, a row whose values may be shifted, an ssh_config ``Include`` that names an API-key file,
``ProxyCommand sshpass -p``, ``LocalCommand``, a PuTTY proxy password, MobaXterm's saved passwords,
``XPIPE_API_KEY``, ``--api-key-file``, the auth file, and a server that echoes requests back.
Outputs: stdout and stderr of each CLI run, every report format, rejects files, saved plans, the
ledger (as an SQL dump) and the simulator's state, each searched for the secrets as written, base64
(any alignment, standard and URL-safe), URL-encoded and hex.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.simulator import Simulator

ROOT = REPO_ROOT
RUN_TIMEOUT = 120


def _secret(tag: str) -> str:
    return f"{tag}{secrets.token_hex(4)}Zq{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"


def forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    out = {
        "plain": secret,
        "url": urllib.parse.quote(secret, safe=""),
        "url+": urllib.parse.quote_plus(secret),
        "hex": binascii.hexlify(raw).decode(),
    }
    for k in range(3):  # every alignment inside a longer base64 text; ends dropped (padding-dependent)
        std = base64.b64encode(b"\0" * k + raw).decode()[4:-4]
        out[f"b64/{k}"] = std
        out[f"b64url/{k}"] = std.replace("+", "-").replace("/", "_")
    return out


def find_leaks(planted: dict[str, str], blobs: dict[str, str]) -> list[str]:
    leaks = []
    for where, text in blobs.items():
        low = text.lower()
        for what, secret in planted.items():
            for kind, form in forms(secret).items():
                hit = form in text if kind.startswith("b64") else form.lower() in low
                if hit:
                    leaks.append(f"{what} ({kind}) in {where}")
    return leaks


class _Echo(BaseHTTPRequestHandler):
    """A misbehaving XPipe: its errors quote the whole request (headers and body)."""

    mode = "handshake"

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        echo = f"{self.requestline} {dict(self.headers)} {body}"
        if self.path == "/handshake" and self.mode == "handshake":
            self._answer(400, {"message": "cannot parse " + echo})
        elif self.path == "/handshake":
            self._answer(200, {"sessionToken": "0f2d6a44-3c51-4d69-a0a3-7c1e0c2b9e11"})
        elif self.path == "/daemon/version":
            self._answer(
                200,
                {"version": "23.8", "canonicalVersion": "23.8", "buildVersion": "x", "jvmVersion": "x", "plan": "x"},
            )
        elif self.path in ("/connection/query", "/category/query"):
            self._answer(200, {"found": []})
        elif self.path.endswith("/info"):
            self._answer(200, {"infos": []})
        elif self.mode == "text":
            self._answer(500, None, text="oops " + echo)
        else:
            self._answer(500, {"error": {"message": "boom " + echo}, "documentationLink": None})

    def _answer(self, status: int, doc, text: str | None = None):
        data = (text if text is not None else json.dumps(doc)).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server():
    servers = []

    def start(mode: str) -> str:
        handler = type("Echo", (_Echo,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _inputs(tmp: Path, s: dict[str, str]) -> list[str]:
    header = "name,host,port,user,password,key_file,key_passphrase,folder,jump,tags,description"
    (tmp / "servers.csv").write_text(
        f"{header}\n"
        f"csv-web,web.example.net,22,ops,{s['csv_password']},,,Web,,,\n"
        f"csv-addr,admin:{s['address_password']}@db.example.net,22,,,,,Db,,,\n"
        f"csv-url,ssh://root:{s['url_password']}@files.example.net:2222/,,,,,,Db,,,\n"
        f"csv-shifted,h3.example.net,notaport,ops,x,,,Web,,,,{s['shifted_value']},more\n",
        encoding="utf-8",
    )
    (tmp / "defaults.csv").write_text(
        f"name,host,port,user,password={s['header_default']}\n"
        "hd-ok,ok.example.net,22,ops,\n"
        "hd-bad,bad.example.net,99999,ops,\n",
        encoding="utf-8",
    )
    (tmp / "api.key").write_text(s["api_key_file"] + "\n", encoding="utf-8")
    (tmp / "ssh_config").write_text(
        "Include api.key\n"
        "Host ssh-proxied\n"
        "    HostName proxied.example.net\n"
        f"    ProxyCommand sshpass -p {s['sshpass']} ssh -W %h:%p bastion\n"
        "Host ssh-local\n"
        "    HostName local.example.net\n"
        "    PermitLocalCommand yes\n"
        f"    LocalCommand curl -u me:{s['local_command']} https://hook.example.net\n",
        encoding="utf-8",
    )
    (tmp / "putty-sessions.reg").write_text(
        "Windows Registry Editor Version 5.00\r\n\r\n"
        "[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\pt-web]\r\n"
        '"HostName"="pt.example.net"\r\n"Protocol"="ssh"\r\n"PortNumber"=dword:00000016\r\n'
        '"UserName"="ops"\r\n"ProxyMethod"=dword:00000003\r\n"ProxyHost"="proxy.example.net"\r\n'
        f'"ProxyUsername"="pu"\r\n"ProxyPassword"="{s["putty_proxy"]}"\r\n',
        encoding="utf-8",
    )
    (tmp / "mobaxterm.mxtsessions").write_text(
        "[Bookmarks]\r\nSubRep=\r\nImgNum=42\r\n"
        "moba-web= #109#0%moba.example.net%22%admin%%-1%-1%%%%%0%0%0%%%-1%0%0%0%%1080%%0%0%1%%0%%%%0%-1%-1%0"
        "#MobaFont%10%0%0%-1%15%236,236,236%30,30,30%180,180,192%0%-1%0%%xterm%-1%0%_Std_Colors_0_%80%24%0%1"
        "%-1%<none>%%0%0%-1%-1#0# #-1\r\n\r\n"
        f"[Passwords]\r\nssh22:admin@moba.example.net={s['moba_saved']}\r\n",
        encoding="utf-8",
    )
    return ["servers.csv", "ssh_config", "putty-sessions.reg", "mobaxterm.mxtsessions"]


def test_no_planted_secret_reaches_any_output(tmp_path, echo_server):
    names = [
        "csv_password",
        "address_password",
        "url_password",
        "shifted_value",
        "header_default",
        "api_key_file",
        "sshpass",
        "local_command",
        "putty_proxy",
        "moba_saved",
        "env_key",
        "sim_key",
    ]
    planted = {n: _secret(n[:3]) for n in names}
    sources = _inputs(tmp_path, planted)
    out = tmp_path / "out"
    out.mkdir()
    state = tmp_path / "sim-state"
    env = dict(os.environ, XPIPE_API_KEY=planted["env_key"], PYTHONPATH=str(ROOT), NO_COLOR="1")
    blobs: dict[str, str] = {}

    def run(label: str, *args: str, expect=(0, 1, 2, 3, 4, 5, 6)) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "migrator", "--no-progress", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode in expect, (label, proc.returncode, proc.stderr[-2000:])
        assert "internal error" not in proc.stderr and "usage:" not in proc.stderr, (label, proc.stderr[-2000:])
        blobs[f"{label} stdout"], blobs[f"{label} stderr"] = proc.stdout, proc.stderr

    key_file = tmp_path / "sim.key"
    key_file.write_text(planted["sim_key"], encoding="utf-8")
    with Simulator(
        "23.8", auth_file=tmp_path / "xpipe" / "beacon-auth", api_key=planted["sim_key"], state_dir=state
    ) as sim:
        planted["auth_file"] = sim.auth_file.read_text(encoding="utf-8").strip()
        local = ["--target", sim.url, "--auth-file", str(sim.auth_file)]
        by_key = ["--target", sim.url, "--api-key-file", str(key_file)]
        run("inspect", "inspect", *sources)
        run("inspect json", "inspect", "--format", "json", *sources)
        for csv_file in ("servers.csv", "defaults.csv"):
            run(f"mapping {csv_file}", "mapping", "check", csv_file)
            run(f"mapping json {csv_file}", "mapping", "check", csv_file, "--format", "json")
        reports = [f"--report={fmt}={out / ('plan.' + fmt)}" for fmt in ("table", "json", "markdown", "html")]
        for fmt in ("table", "json", "markdown", "html"):
            run(
                f"plan {fmt}",
                "plan",
                *sources,
                "defaults.csv",
                *local,
                "--format",
                fmt,
                *reports,
                "--rejects",
                str(out / "rejects.csv"),
                expect=(4,),  # changes pending, and the rejected rows are held: plan says apply would be partial
            )
        run(
            "apply",
            "apply",
            *sources,
            "defaults.csv",
            *by_key,
            "--yes",
            "--rejects",
            str(out / "rejects2.csv"),
            *[r.replace("plan.", "apply.") for r in reports],
        )
        (tmp_path / "job.toml").write_text(
            'name = "scan"\nstate = "out/ledger.sqlite"\n'
            + "".join(f'[[source]]\npath = "{p}"\n' for p in sources)
            + f'[target]\nurl = "{sim.url}"\nauth = "api-key"\napi_key_file = "{key_file}"\n'
            '[import]\nroot_category = "Scan"\n'
            '[reports]\nmarkdown = "out/sync.md"\nhtml = "out/sync.html"\njson = "out/sync.json"\n'
            'rejects = "out/sync-rejects.csv"\n',
            encoding="utf-8",
        )
        run("sync", "sync", "job.toml")
        run("sync dry", "sync", "job.toml", "--dry-run", "--out", str(out / "sync-plan.json"))
        for fmt in ("table", "json", "markdown", "html"):
            run(
                f"audit {fmt}",
                "audit",
                "--job",
                "job.toml",
                "--format",
                fmt,
                f"--report={fmt}={out / ('audit.' + fmt)}",
            )
        echo = echo_server("handshake")
        run("echo handshake", "plan", *sources, "--target", echo, "--api-key-file", str(key_file))
        run("echo handshake env", "plan", *sources, "--target", echo)
        for mode in ("json", "text"):
            echo = echo_server(mode)
            run(
                f"echo {mode}",
                "apply",
                *sources,
                "--target",
                echo,
                "--api-key-file",
                str(key_file),
                "--yes",
                f"--report=json={out / ('echo-' + mode + '.json')}",
            )
    samples = tmp_path / "samples"
    samples.mkdir()
    for name in sources:
        (samples / name).write_bytes((tmp_path / name).read_bytes())
    (samples / "api.key").write_bytes((tmp_path / "api.key").read_bytes())
    run("demo", "demo", "--samples", str(samples), "--format", "json")

    for path in [*out.rglob("*"), *state.rglob("*")]:
        if path.is_file() and path.suffix != ".sqlite":
            blobs[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    ledger = out / "ledger.sqlite"
    assert ledger.is_file()
    with sqlite3.connect(ledger) as db:
        blobs["ledger dump"] = "\n".join(db.iterdump())
    # the scan saw real output: entries, rejects and server echoes are there, only the secrets are not
    everything = "\n".join(blobs.values())
    for expected in (
        "csv-web",
        "hd-bad",
        "ssh-proxied",
        "pt-web",
        "moba-web",
        "sshpass",
        "cannot parse",
        "boom",
        "oops",
    ):
        assert expected in everything, expected
    assert len(list(out.glob("rejects-*.csv"))) == 2
    assert (out / "sync-plan.json").is_file()
    assert find_leaks(planted, blobs) == []
