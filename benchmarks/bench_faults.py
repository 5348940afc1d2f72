"""Benchmark: how many plain ``sync`` runs it takes to converge when XPipe fails a share of the writes.

    python benchmarks/bench_faults.py [--seeds 20] [--hosts 120] [--rate 0.2] [--mode mixed before ...]

For each mode and seed: a fresh simulator failing ``rate`` of the vault writes (``--fail-writes``:
``before`` a 500 with nothing applied, ``after-500`` / ``after-reset`` / ``after-close`` applied and
then the answer lost, ``mixed`` any of them), an inventory of ``hosts`` hosts (three bastions, every
7th host behind one, shared passwords as identities, one-off passwords in place, folders two levels
deep), and ``xpipe-migrate sync JOB`` run as a subprocess until it exits 0. Reported per seed: the
runs it took, the faults injected, the write requests sent, and a check that the vault then equals
the source (every host once, in its folder; the ledger owns exactly the hosts and identities; no
journal row open). Then the distribution of runs-to-converge per mode.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from migrator.simulator import Simulator
from migrator.simulator.faults import MODE_CHOICES, FaultPlan
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("/connection/add", "/connection/remove", "/category/add")
COLUMNS = ["name", "host", "port", "user", "password", "folder", "jump"]


def rows(n: int) -> list[dict]:
    out = [
        {"name": f"bf-bastion-{b}", "host": f"bastion-{b}.example.net", "user": "jump", "folder": "Infra"}
        for b in "abc"
    ]
    for i in range(1, n - 2):
        out.append(
            {
                "name": f"bf-{i:04d}",
                "host": f"10.{i // 250}.{i % 250}.30",
                "port": "22" if i % 9 else "2222",
                "user": ("deploy", "ops", "root")[i % 3],
                "password": f"Bench-Fault-{i % 6}" if i % 11 else f"Bench-Only-{i}",
                "folder": f"Site{i % 3}/Rack{i % 4}",
                "jump": f"bf-bastion-{'abc'[i % 3]}" if i % 7 == 0 else "",
            }
        )
    return out


def write_job(folder: Path, sim: Simulator, inventory: list[dict]) -> Path:
    with (folder / "servers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in COLUMNS} for r in inventory)
    job = folder / "job.toml"
    job.write_text(
        f"""name = "bench-faults"
state = "state.sqlite"
[[source]]
path = "servers.csv"
format = "csv"
[target]
url = "{sim.url}"
auth = "local"
auth_file = "{sim.auth_file}"
[import]
root_category = "Imported"
""",
        encoding="utf-8",
    )
    return job


def converged(sim: Simulator, inventory: list[dict], ledger: Path) -> bool:
    client = XPipeClient(sim.url, LocalAuth(sim.auth_file)).connect()
    try:
        infos, _ = client.store_info(client.query_stores("**", "**", "*"))
    finally:
        client.close()
    entries = {i["uuid"]: (i["name"][-1], i["type"], tuple(i["category"])) for i in infos}
    if any(n > 1 for n in Counter((name, type_) for name, type_, _ in entries.values()).values()):
        return False
    ssh = {u: v for u, v in entries.items() if v[1] == "ssh"}
    want = {r["name"].lower(): ("imported", *(p.lower() for p in r["folder"].split("/") if p)) for r in inventory}
    if {name: cat for name, _, cat in ssh.values()} != want:
        return False
    identities = {u for u, v in entries.items() if v[1] == "localIdentity"}
    db = sqlite3.connect(ledger)
    try:
        owned = {u for (u,) in db.execute("SELECT uuid FROM entries WHERE quarantined_at IS NULL")}
        open_rows = db.execute(
            "SELECT COUNT(*) FROM journal WHERE status IN ('pending','uncertain','drift')"
        ).fetchone()
    finally:
        db.close()
    return owned == set(ssh) | identities and open_rows == (0,)


def one(seed: int, hosts: int, rate: float, mode: str, max_runs: int) -> dict:
    inventory = rows(hosts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sim = Simulator("23.8", auth_file=folder / "xpipe" / "beacon-auth", faults=FaultPlan(rate, mode, seed))
        with sim:
            job = write_job(folder, sim, inventory)
            codes = []
            while len(codes) < max_runs:
                proc = subprocess.run(
                    [sys.executable, "-m", "migrator", "-q", "--no-progress", "sync", str(job)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                codes.append(proc.returncode)
                if proc.returncode == 0:
                    break
            ok = codes[-1] == 0 and converged(sim, inventory, folder / "state.sqlite")
            return {
                "seed": seed,
                "runs": len(codes) if codes[-1] == 0 else None,
                "codes": codes,
                "faults": len(sim.faults.injected),
                "writes": sum(sim.requests[p] for p in WRITES),
                "vault_ok": ok,
            }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=120)
    ap.add_argument("--rate", type=float, default=0.2)
    ap.add_argument("--mode", nargs="+", choices=MODE_CHOICES, default=["mixed"])
    ap.add_argument("--max-runs", type=int, default=10)
    args = ap.parse_args()
    failed = False
    for mode in args.mode:
        print(f"\n{args.hosts} hosts, {args.rate:.0%} of the writes failing ({mode}), {args.seeds} seeds")
        print("| seed | runs to exit 0 | exit codes | faults injected | write requests | vault = source |")
        print("| ---: | ---: | --- | ---: | ---: | --- |")
        results = [one(seed, args.hosts, args.rate, mode, args.max_runs) for seed in range(1, args.seeds + 1)]
        for r in results:
            runs = r["runs"] if r["runs"] is not None else f"> {args.max_runs}"
            codes = " ".join(str(c) for c in r["codes"])
            ok = "yes" if r["vault_ok"] else "NO"
            print(f"| {r['seed']} | {runs} | {codes} | {r['faults']} | {r['writes']} | {ok} |")
            failed |= not r["vault_ok"]
        dist = Counter(r["runs"] for r in results)
        shown = ", ".join(
            f"{k} run{'s' if k != 1 else ''}: {v}" for k, v in sorted(dist.items(), key=lambda kv: kv[0] or 99)
        )
        worst = max((r["runs"] or args.max_runs + 1) for r in results)
        print(f"\ndistribution ({mode}): {shown}; worst {worst}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
