"""What keeping shared identity names costs the mapper: the ledger history against a fresh mapping.

    python benchmarks/bench_identity_names.py [--hosts 1000 10000] [--results FILE]

For each size: N hosts, five per shared password, two passwords per user. The first mapping is
recorded in a real ledger as the loader records it; then the same inventory, reordered, is mapped
without a history (fresh names), with the history (every identity kept), and with every password
rotated (every identity taken over through the hosts that used it). Each row carries its ratios to
the fresh mapping of the same run, and the per-host time of each size to the smallest, so the
numbers say "linear" or not whatever the machine. Key checks are off (no files are read).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrator.mapper.ssh_store import MapperOptions, SshStoreMapper  # noqa: E402
from migrator.model import Credentials, Host, Provenance  # noqa: E402
from migrator.plan.compare import desired_leaves  # noqa: E402
from migrator.sync.identity_history import identity_history  # noqa: E402
from migrator.sync.ledger import Ledger, LedgerEntry  # noqa: E402

OPTIONS = MapperOptions(check_keys=False)


def inventory(n: int, seed: int, suffix: str = "") -> list[Host]:
    hosts = [
        Host(
            key=f"csv:inv.csv#h{i}",
            name=f"h{i}",
            address=f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}",
            user=f"u{i // 10}",
            credentials=Credentials(password=SecretStr(f"pw-{i // 5}{suffix}")),
            source=Provenance(format="csv", file="inv.csv", line=i + 2),
        )
        for i in range(n)
    ]
    random.Random(seed).shuffle(hosts)
    return hosts


def record(ledger: Ledger, state) -> None:
    uuids = {e.key: str(uuidlib.uuid4()) for e in state.entries}
    ledger.db.execute("BEGIN IMMEDIATE")
    for e in state.entries:
        fields = {path: ledger.digest(v) for path, v in desired_leaves(e.data, uuids.get).items()}
        ledger.record(LedgerEntry(e.key, uuids[e.key], e.name, e.type, e.kind, "/".join(e.category[1:]), fields))
    ledger.db.execute("COMMIT")


def timed(hosts, history) -> tuple[float, object]:
    started = time.perf_counter()
    state = SshStoreMapper(OPTIONS, history).map(hosts).state
    return time.perf_counter() - started, state


def names(state) -> dict[str, str]:
    return {e.key: e.name for e in state.entries if e.kind == "identity"}


def measure(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "l.sqlite") as ledger:
        _, first = timed(inventory(n, 1), None)
        record(ledger, first)
        started = time.perf_counter()
        history = identity_history(ledger)
        read = time.perf_counter() - started
        fresh, _ = timed(inventory(n, 2), None)
        kept, state = timed(inventory(n, 2), history)
        assert names(state) == names(first), "an identity lost its name"
        rotated, state = timed(inventory(n, 2, "-rotated"), history)
        assert names(state) == names(first), "a rotated identity lost its name"
    return {"hosts": n, "identities": len(names(first)), "fresh": fresh, "kept": kept, "rotated": rotated, "read": read}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--results", type=Path, help="append the Markdown table to this file")
    args = parser.parse_args()
    rows = [measure(n) for n in sorted(args.hosts)]
    base = rows[0]["kept"] / rows[0]["hosts"]
    lines = [
        "| hosts | identities | fresh (s) | kept (s) | kept / fresh | rotated / fresh | ledger read (s) | "
        "kept per host / smallest |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['hosts']} | {r['identities']} | {r['fresh']:.3f} | {r['kept']:.3f} | "
            f"{r['kept'] / r['fresh']:.2f} | {r['rotated'] / r['fresh']:.2f} | {r['read']:.3f} | "
            f"{r['kept'] / r['hosts'] / base:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
