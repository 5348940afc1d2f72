"""Benchmark: plan/apply of a large inventory against the simulator, measured in one run.

    python benchmarks/bench_sync.py [--hosts 1000] [--latency-ms 0 2]

For each simulated per-request latency it reports, from one run: the first apply (requests, writes,
encrypt requests, seconds, entries/s), the no-op second run (requests, writes, seconds) and the
ratios between them, plus the encryption stage's saving against encrypting every secret of every
host (what a per-host client does). Numbers are wall-clock on this machine; compare ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from migrator.apply.loader import Loader
from migrator.manager import plan_inventory
from migrator.mapper.ssh_store import MapperOptions
from migrator.model import Credentials, Host, JumpHop, Provenance, SourceResult
from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient


def inventory(n: int) -> SourceResult:
    hosts = [
        Host(
            key="bench#bastion",
            name="bench-bastion",
            address="bastion.example.net",
            user="jump",
            source=Provenance(format="bench", file="bench"),
        )
    ]
    for i in range(1, n):
        hosts.append(
            Host(
                key=f"bench#{i}",
                name=f"bench-{i:05d}",
                address=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                user=("deploy", "ops", "root")[i % 3],
                category=[f"Site{i % 5}", f"Rack{i % 11}"],
                credentials=Credentials(password=SecretStr(f"Bench-Pass-{i % 5}")),
                jump=[JumpHop(host="bastion.example.net", ref="bench-bastion", ref_key="bench#bastion")]
                if i % 10 == 0
                else [],
                source=Provenance(format="bench", file="bench", line=i),
            )
        )
    return SourceResult(hosts=hosts)


def run(n: int, latency_ms: int, identities: str) -> dict:
    inv = inventory(n)
    with tempfile.TemporaryDirectory() as tmp:
        auth = Path(tmp) / "auth"
        with Simulator(version="23.8", auth_file=auth, latency_ms=latency_ms) as sim:
            client = XPipeClient(sim.url, LocalAuth(auth)).connect()
            opts = MapperOptions(identities=identities)
            t0 = time.perf_counter()
            plan = plan_inventory(client, inv, opts)
            first = Loader(client, progress=False).apply(plan)
            t1 = time.perf_counter()
            r0, w0 = client.requests_made, client.writes_made
            again = plan_inventory(client, inv, opts)
            t2 = time.perf_counter()
            assert not again.has_changes and client.writes_made == w0
            second_requests = client.requests_made - r0
            changed = inventory(n)
            h = changed.hosts[5]
            changed.hosts[5] = replace(h, credentials=Credentials(password=SecretStr("Bench-Rotated")))
            t3 = time.perf_counter()
            p3 = plan_inventory(client, changed, opts)
            r3 = Loader(client, progress=False).apply(p3)
            t4 = time.perf_counter()
            client.close()
    secrets = sum(1 for c in plan.entries() for _ in ("password", "sshIdentity"))
    entries = len(plan.entries())
    return {
        "entries": entries,
        "first_s": t1 - t0,
        "first_requests": plan.requests + first.requests,
        "first_writes": first.writes,
        "encrypts": first.encrypted,
        "naive_encrypts": secrets,
        "second_s": t2 - t1,
        "second_requests": second_requests,
        "change_s": t4 - t3,
        "change_writes": r3.writes,
        "change_encrypts": r3.encrypted,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    print(f"{args.hosts} hosts, 5 distinct passwords, every 10th behind a bastion; simulator XPipe 23.8")
    header = (
        f"{'latency':>8} {'identities':>10} {'entries':>7} {'1st s':>7} {'1st req':>7} {'writes':>6} "
        f"{'encrypt':>7} {'naive':>6} {'ent/s':>6} {'2nd s':>6} {'2nd req':>7} {'2nd/1st t':>9} "
        f"{'1-pw chg':>9}"
    )
    print(header)
    for latency in args.latency_ms:
        for identities in ("auto", "inplace"):
            r = run(args.hosts, latency, identities)
            print(
                f"{latency:>6}ms {identities:>10} {r['entries']:>7} {r['first_s']:>7.2f} {r['first_requests']:>7} "
                f"{r['first_writes']:>6} {r['encrypts']:>7} {r['naive_encrypts']:>6} "
                f"{r['entries'] / r['first_s']:>6.0f} {r['second_s']:>6.2f} {r['second_requests']:>7} "
                f"{r['second_s'] / r['first_s']:>9.2f} {r['change_writes']:>3}w/{r['change_encrypts']}e "
                f"{r['change_s']:.2f}s"
            )


if __name__ == "__main__":
    main()
