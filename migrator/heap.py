"""How a run uses Python's cyclic garbage collector.

Reading the sources, the vault and the ledger builds hundreds of thousands of objects that all live
to the end of the command. The collector would walk them again and again and find nothing: with
Python's defaults, a third of the CPU of a 10,000-host plan, and reading grew superlinear.
Reference counting frees everything that is not in a cycle at once whatever the collector does.

* :func:`without_cyclic_gc`: no collection while a source is read.
* :func:`one_run`: around one command's work, collections are rarer (``COLLECT_EVERY``), and what
  :func:`keep` is called on (everything alive just after the sources were read) is frozen: later
  collections skip it (``gc.freeze``). The run's end thaws it, so a program that runs several
  commands in one process still gets its cyclic garbage collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between two runs of the youngest collection inside a run (Python's default is 700).
COLLECT_EVERY = 10_000

_runs = 0  # how many ``one_run`` blocks are open; ``keep`` freezes only inside one


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector inside; as before after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def one_run() -> Iterator[None]:
    """One command's work: rarer collections inside, and what ``keep`` froze thawed at the end."""
    global _runs
    threshold = gc.get_threshold()
    gc.set_threshold(max(COLLECT_EVERY, threshold[0]), *threshold[1:])
    _runs += 1
    try:
        yield
    finally:
        _runs -= 1
        if _runs == 0:
            gc.unfreeze()
        gc.set_threshold(*threshold)


def keep() -> None:
    """Everything alive now lives to the end of the run: collections inside ``one_run`` skip it.
    Outside a run it does nothing (nothing would thaw it)."""
    if _runs:
        gc.freeze()
