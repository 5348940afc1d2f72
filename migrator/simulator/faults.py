"""A test aid: vault writes that fail before or after they are applied (``--fail-writes``).

XPipe can store an entry and then fail: ``/connection/add`` stores it, then ``refreshStore`` or
``saveAsync`` throws and the client gets a 500 (docs/xpipe-api.md §2.4, inferred from the order of
``ConnectionAddExchangeImpl``); an XPipe that restarts, or a link that drops, loses the answer of a
write it already applied. A client must survive both. This mode makes the simulator fail a share of
the vault writes (``/connection/add``, ``/connection/remove``, ``/category/add``, ``/category/remove``
and their ``/store/*`` names) in one of these ways:

* ``before``: a 500 and nothing changes (the write failed before it was applied);
* ``after-500``: the write is applied, then the answer is a 500;
* ``after-reset``: the write is applied, then the connection is reset (TCP RST), no answer;
* ``after-close``: the write is applied, then the connection is closed (FIN), no answer;
* ``mixed``: one of the four above, drawn for each failing write.

Which writes fail is drawn from ``random.Random(seed)`` in the order the writes reach the storage
lock, so the same client run against the same seed meets the same faults; or, for tests, a
``schedule`` names them: ``{n: mode}`` fails the n-th write (1-based, counted over the simulator's
life) in that mode and nothing else. Off by default: without
it the simulator behaves exactly as documented in the package docstring. The faulty write still
runs under the storage lock and spends its latency there, as a real one does.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

MODES = ("before", "after-500", "after-reset", "after-close")
MODE_CHOICES = (*MODES, "mixed")

#: The 500 bodies' messages (XPipe's would be an exception's text; these are the simulator's own).
BEFORE_MESSAGE = "Simulated fault: the write failed before it was applied (--fail-writes)"
AFTER_MESSAGE = "Simulated fault: the write was applied, then saving failed (--fail-writes)"


@dataclass
class FaultPlan:
    """Fail ``rate`` (0..1) of the vault writes in ``mode``; ``seed`` makes the draw repeatable."""

    rate: float
    mode: str = "mixed"
    seed: int = 0
    schedule: dict[int, str] | None = None
    injected: list[tuple[str, str]] = field(default_factory=list)
    """(path, mode) of every fault injected so far, in order."""
    writes: int = 0
    """Vault writes seen so far."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("the share of failing writes must be between 0 and 1")
        if self.mode not in MODE_CHOICES:
            raise ValueError(f"fault mode must be one of {', '.join(MODE_CHOICES)}")
        if any(mode not in MODES for mode in (self.schedule or {}).values()):
            raise ValueError(f"a scheduled fault's mode must be one of {', '.join(MODES)}")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, path: str) -> str | None:
        """The fault for this write, or None: called once per write, under the storage lock."""
        with self._lock:
            self.writes += 1
            if self.schedule is not None:
                mode = self.schedule.get(self.writes)
                if mode is None:
                    return None
            elif self._random.random() >= self.rate:
                return None
            else:
                mode = self._random.choice(MODES) if self.mode == "mixed" else self.mode
            self.injected.append((path, mode))
            return mode
