"""The encryption stage: each distinct secret strategy goes through /secret/encrypt once per run.

Identical strategies (the same password on 300 hosts) share one encrypted node. Cache keys are
keyed digests held in memory only; plaintext is never written anywhere.
"""

from __future__ import annotations

from migrator.mapper.desired import Secret
from migrator.xpipe.client import XPipeClient


class EncryptionStage:
    def __init__(self, client: XPipeClient):
        self.client = client
        self._nodes: dict[str, dict] = {}
        self.encrypted = 0
        self.reused = 0

    def node(self, secret: Secret, live_node: dict | None = None) -> dict:
        """The encrypted node for ``secret``; ``live_node`` is reused when it already holds it."""
        if live_node is not None:
            self.reused += 1
            return live_node
        key = secret.cache_key
        if key not in self._nodes:
            self._nodes[key] = self.client.encrypt(secret.text)
            self.encrypted += 1
        return self._nodes[key]
