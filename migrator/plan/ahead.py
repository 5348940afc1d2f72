"""XPipe connected and its vault read on a thread of its own while the run reads its sources.

A read-only run (``plan``, a dry run) needs the sources and the live vault, and neither depends on
the other. Read one after the other, the run waits for both; read at once it waits for the longer.
At 10,000 hosts the vault read is mostly XPipe's time (its storage lock, its JSON), the sources'
read is this process's CPU, so they overlap well.

What stays as it was when XPipe was contacted only after the sources were read:

* A job's ledger is opened and checked before XPipe is contacted (the caller opens it first).
* A source that cannot be read is reported at once, as before: XPipe is not waited for. The thread
  is told to stop and left to end on its own (it closes its connection; at exit it is not waited
  for). A run that writes does not read ahead: it takes the run lock only once its sources are read.
* A failure to connect or to read the vault is raised where the client is taken (``client()``),
  after the sources were read, as it was raised before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager

from migrator.plan.live import LiveVault
from migrator.xpipe.client import XPipeClient


class VaultAhead:
    """``opener()`` (a context manager giving a connected client) entered, and the vault read, on a
    thread of its own. ``live`` is the read's future; ``started`` is (perf_counter, requests made)
    when the read began, for the plan's own counters."""

    def __init__(self, opener: Callable[[], AbstractContextManager[XPipeClient]]):
        self._opener = opener
        self._client: Future[XPipeClient] = Future()
        self.live: Future[LiveVault] = Future()
        self.started: tuple[float, int] | None = None
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xpipe-ahead", daemon=True)

    def __enter__(self) -> VaultAhead:
        self._thread.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        """The session ends: the thread closes the client. After a failure it is not waited for."""
        self._release.set()
        if exc_type is None:
            self._thread.join()

    def client(self) -> XPipeClient:
        """The connected client (raises what connecting raised)."""
        return self._client.result()

    def _run(self) -> None:
        try:
            with self._opener() as client:
                self.started = time.perf_counter(), client.requests_made
                self._client.set_result(client)
                if not self._release.is_set():
                    try:
                        self.live.set_result(LiveVault.read(client))
                    except BaseException as exc:  # noqa: BLE001 - handed to the planner, raised there
                        self.live.set_exception(exc)
                self._release.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of client()
            if not self._client.done():
                self._client.set_exception(exc)
        finally:
            if not self.live.done():
                self.live.cancel()
