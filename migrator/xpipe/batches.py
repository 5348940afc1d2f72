"""Info requests for many UUIDs: batched, a few batches in flight at once, tolerant of vanished UUIDs.

XPipe answers ``/connection/info`` (``/store/info``) and ``/category/info`` for a list of UUIDs,
under its storage lock, and fails the whole list with a 400 naming one UUID it does not know (one
removed between the query and the info). A few batches are kept in flight: while XPipe builds one
answer, it sends the one before, and this client decodes the one before that. The storage lock
still runs them one at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from migrator.errors import BadRequest

#: UUIDs per info request (at most), and batches in flight at once. 10,000 hosts take 4 requests
#: (about 2 MB of JSON each), 100,000 take 40. Measured earlier against the simulator at 10,000
#: (the vault read alone): 0.42 s with 2,500 x 3, 0.48-0.59 s with 5,000 x 2, 0.55 s in one request.
INFO_BATCH = 2500
INFO_OVERLAP = 3

# XPipe 24 writes "Unknown  store: <uuid>" (two spaces), 23.x "Unknown connection: <uuid>".
_UNKNOWN_UUID = re.compile(r"Unknown\s+(?:connection|store|category):\s*([0-9a-fA-F-]{36})")

Fetch = Callable[[list[str]], list[dict]]


def batched(uuids: list[str], batch: int, fetch: Fetch) -> tuple[list[dict], list[str]]:
    """``(infos, missing)`` for ``uuids``, infos in their order, ``INFO_OVERLAP`` batches in flight.
    The batches are of one size (10,011 UUIDs: 5 of 2,003, not 4 of 2,500 and a fifth of 11 that
    waits its turn)."""
    size = -(-len(uuids) // max(1, -(-len(uuids) // batch))) if uuids else batch
    chunks = [uuids[i : i + size] for i in range(0, len(uuids), size)]
    if len(chunks) < 2:
        return tolerant(chunks, fetch)
    with ThreadPoolExecutor(INFO_OVERLAP, thread_name_prefix="xpipe-info") as pool:
        futures = [pool.submit(tolerant, [chunk], fetch) for chunk in chunks]
        parts = [f.result() for f in futures]
    return [i for part, _ in parts for i in part], [m for _, part in parts for m in part]


def tolerant(pending: list[list[str]], fetch: Fetch) -> tuple[list[dict], list[str]]:
    """Fetch ``pending`` chunks; one that names an unknown UUID is split until the rest goes through."""
    infos: list[dict] = []
    missing: list[str] = []
    while pending:
        chunk = pending.pop(0)
        if not chunk:
            continue
        try:
            infos.extend(fetch(chunk))
        except BadRequest as exc:
            m = _UNKNOWN_UUID.search(exc.server_message)
            if m and m.group(1) in chunk:
                missing.append(m.group(1))
                rest = [u for u in chunk if u != m.group(1)]
                pending.insert(0, rest)
            elif len(chunk) > 1:
                half = len(chunk) // 2
                pending[:0] = [chunk[:half], chunk[half:]]
            else:
                missing.append(chunk[0])
    return infos, missing
