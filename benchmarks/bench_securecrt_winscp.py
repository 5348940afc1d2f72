"""SecureCRT and WinSCP: the pure-Python Blowfish/bcrypt_pbkdf cost, and linear parsing.

    python benchmarks/bench_securecrt_winscp.py [--sizes 1000,10000] [--results benchmarks/RESULTS.md]

Measured in one run, as ratios:

1. Blowfish: the unrolled S-box re-keying loop ``fill_s`` (bcrypt's hot path) against the plain
   16-round loop with swaps (``encipher``) and against OpenSSL's Blowfish (``cryptography``), in
   64-bit block encryptions per second.
2. bcrypt_pbkdf as SecureCRT's ``03:`` uses it (48 bytes, 16 rounds): the pure-Python derivation the
   empty passphrase needs, against ``bcrypt.kdf`` for a non-empty one.
3. Reading N sessions/sites (``02:`` and obfuscated passwords, a quarter behind a jump session) from a
   SecureCRT folder, a SecureCRT XML export and a ``WinSCP.ini``, in CPU seconds of a fresh child
   process: the ratio at x10 is about 10 when parsing is linear.

``--results`` replaces the "SecureCRT and WinSCP" section of the results file (other sections stay).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

SECTION = "## SecureCRT and WinSCP: pure-Python crypto and parsing (`bench_securecrt_winscp.py`)"


def _rate(fn, blocks: int, repeat: int = 3) -> float:
    best = min(_timed(fn) for _ in range(repeat))
    return blocks / best


def _timed(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def blowfish_rates() -> dict[str, float]:
    from cryptography.hazmat.decrepit.ciphers.algorithms import Blowfish as OpenSslBlowfish
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    from migrator.sources.securecrt.blowfish import encipher, fill_s, initial_state

    p, s = initial_state()

    def unrolled():
        for _ in range(20):
            fill_s(p, s, 0, 0)

    def plain_loop():
        left = right = 0
        for _ in range(20 * 512):
            left, right = encipher(left, right, p, s)

    data = bytes(8 * 200_000)

    def openssl():
        op = Cipher(OpenSslBlowfish(bytes(16)), modes.ECB()).encryptor()
        op.update(data)

    return {
        "unrolled": _rate(unrolled, 20 * 512),
        "loop": _rate(plain_loop, 20 * 512),
        "openssl": _rate(openssl, 200_000),
    }


def kdf_times() -> dict[str, float]:
    import bcrypt

    from migrator.sources.securecrt.bcrypt_pbkdf import pure_bcrypt_pbkdf

    salt = bytes(range(16))
    pure = _timed(lambda: pure_bcrypt_pbkdf(b"", salt, 48, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = min(_timed(lambda: bcrypt.kdf(b"p", salt, 48, 16)) for _ in range(5))
    return {"pure": pure, "bcrypt": compiled}


def make_inputs(folder: Path, n: int) -> dict[str, Path]:
    from helpers import securecrt as crt
    from helpers import winscp as scp

    sessions = {}
    sites = {}
    pw02 = crt.encrypt_v2("bench-password", "", "02")
    for i in range(n):
        name = f"Region-{i % 5}/Rack-{i % 40}/host-{i:06d}"
        firewall = "Session:Region-0\\Rack-0\\host-000000" if i % 4 == 1 else "None"
        sessions[name] = crt.session_settings(
            f"host-{i:06d}.example.net", user="deploy", password=pw02, firewall=firewall
        )
        extra = (
            {"Tunnel": 1, "TunnelHostName": "host-000000.example.net", "TunnelUserName": "deploy"} if i % 4 == 1 else {}
        )
        key = f"deployhost-{i:06d}.example.net"
        sites[name] = scp.site(
            f"host-{i:06d}.example.net", UserName="deploy", Password=scp.encrypt_password("pw", key), **extra
        )
    config = crt.write_config(folder, sessions)
    xml = folder / "export.xml"
    xml.write_bytes(crt.export_xml(sessions))
    ini = folder / "WinSCP.ini"
    ini.write_text(scp.ini_text(sites), encoding="ascii")
    return {"securecrt folder": config, "securecrt xml": xml, "winscp": ini}


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from migrator.sources import open_source
src = open_source({spec!r})
t = time.process_time()
r = src.read()
print(json.dumps({{"cpu": time.process_time() - t, "hosts": len(r.hosts), "errors": len(r.errors)}}))
"""


def parse_cpu(spec: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), spec=spec)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--results")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    lines = [SECTION, ""]
    lines.append(
        f"Command: `python benchmarks/bench_securecrt_winscp.py --sizes {args.sizes}`; "
        f"Python {platform.python_version()}, {platform.machine()}, 2 CPUs shared with other jobs "
        "(CPU time, so the ratios hold; absolute times vary)."
    )
    rates = blowfish_rates()
    lines += [
        "",
        "| Blowfish block encryptions per CPU second | rate | ratio |",
        "|---|---:|---:|",
        f"| pure Python, plain 16-round loop (`encipher`) | {rates['loop']:,.0f} | 1.0 |",
        f"| pure Python, unrolled S-box re-keying (`fill_s`, bcrypt's hot loop) | {rates['unrolled']:,.0f} | "
        f"{rates['unrolled'] / rates['loop']:.2f} |",
        f"| OpenSSL through `cryptography` (ECB) | {rates['openssl']:,.0f} | {rates['openssl'] / rates['loop']:.0f} |",
    ]
    kdf = kdf_times()
    lines += [
        "",
        "| bcrypt_pbkdf, 48 bytes, 16 rounds (one SecureCRT `03:` salt) | CPU s | ratio |",
        "|---|---:|---:|",
        f"| `bcrypt.kdf` (compiled; non-empty passphrase) | {kdf['bcrypt']:.3f} | 1 |",
        f"| pure Python (the empty passphrase, SecureCRT's default) | {kdf['pure']:.1f} "
        f"| {kdf['pure'] / kdf['bcrypt']:.0f} |",
        "",
        "| input | entries | CPU s | entries/CPU-s | CPU ratio to previous size |",
        "|---|---:|---:|---:|---:|",
    ]
    previous: dict[str, float] = {}
    prev_n = sizes[0]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            inputs = make_inputs(Path(tmp) / str(n), n)
            for label, path in inputs.items():
                fmt = "winscp" if label == "winscp" else "securecrt"
                doc = parse_cpu(f"{fmt}:{path}")
                assert doc["hosts"] == n and doc["errors"] == 0, (label, doc)
                ratio = f"{doc['cpu'] / previous[label]:.1f} (x{n // prev_n})" if label in previous else "-"
                lines.append(f"| {label} | {n:,} | {doc['cpu']:.2f} | {n / doc['cpu']:,.0f} | {ratio} |")
                previous[label] = doc["cpu"]
            prev_n = n
    lines += [
        "",
        "The unrolled loop keeps the P-array in locals and masks once per round; it is the fastest form found",
        "in CPython 3.11 (a variant that drops the masks by widening S-box 0 was within 4%). The pure",
        "derivation is what an empty-passphrase `03:` configuration costs once per salt (SecureCRT uses one",
        "salt per configuration; results are cached per passphrase and salt).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.results:
        path = Path(args.results)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if SECTION in old:
            before, _, rest = old.partition(SECTION)
            nxt = rest.find("\n## ")
            old = before + (rest[nxt + 1 :] if nxt >= 0 else "")
        path.write_text(old.rstrip() + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
