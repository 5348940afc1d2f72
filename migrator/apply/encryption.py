"""The encryption stage: each distinct secret strategy goes through /secret/encrypt once per run.

Identical strategies (the same password on 300 hosts) share one encrypted node. Cache keys are
keyed digests held in memory only; plaintext is never written anywhere.

``/secret/encrypt`` does not take XPipe's storage lock (docs/xpipe-api.md §1.7), so the secrets an
apply needs are encrypted ahead (``prefetch``), in the order the writes need them, on ``THREADS``
threads beside the window of storage calls: XPipe serves 5 requests at once, the window takes 3.
A prefetch that failed is tried again when its entry needs it, so its error belongs to that entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from migrator.mapper.desired import Secret
from migrator.xpipe.client import XPipeClient

#: Encryptions in flight at once, next to the loader's window of storage calls.
THREADS = 2


class EncryptionStage:
    def __init__(self, client: XPipeClient):
        self.client = client
        self._nodes: dict[str, dict] = {}
        self._secrets: dict[str, Secret] = {}
        self._pending: dict[str, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.encrypted = 0
        self.reused = 0

    def prefetch(self, secrets: Iterable[Secret]) -> None:
        """Start encrypting ``secrets`` (each distinct one once) in the background."""
        for secret in secrets:
            key = secret.cache_key
            if key in self._nodes or key in self._pending:
                continue
            if self._pool is None:
                self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="xpipe-encrypt")
            self._secrets[key] = secret
            self._pending[key] = self._pool.submit(self.client.encrypt, secret.text)

    def node(self, secret: Secret, live_node: dict | None = None) -> dict:
        """The encrypted node for ``secret``; ``live_node`` is reused when it already holds it."""
        if live_node is not None:
            self.reused += 1
            return live_node
        key = secret.cache_key
        pending = self._pending.pop(key, None)
        if pending is not None:
            self.encrypted += 1
            try:
                self._nodes[key] = pending.result()
            except Exception:  # noqa: BLE001 - encrypted again below, where its error fails this entry
                pass
        if key not in self._nodes:
            self._nodes[key] = self.client.encrypt(secret.text)
            self._secrets[key] = secret
            self.encrypted += 1
        return self._nodes[key]

    def written(self) -> list[tuple[Secret, dict]]:
        """Each secret encrypted in this run with its node."""
        return [(self._secrets[k], node) for k, node in self._nodes.items()]

    def close(self) -> None:
        """Stop encrypting ahead (an apply that ends early leaves the rest unencrypted)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for key, pending in list(self._pending.items()):
            if pending.done() and not pending.cancelled() and pending.exception() is None:
                self.encrypted += 1
            del self._pending[key]
