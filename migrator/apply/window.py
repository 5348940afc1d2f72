"""A small window of vault writes in flight, so that XPipe's storage lock is never idle for the client.

XPipe runs storage calls one at a time under one lock, but its HTTP server handles 5 requests at
once (docs/xpipe-api.md §1.1, §1.7). Sent one after the other, every write leaves the lock idle
while the client reads the answer, records it and prepares the next. With ``size`` writes in flight
the next one already waits at the lock while the current one holds it. The simulator keeps the
lock, so this wins only the client's share of each round trip, never by running storage calls at
the same time.

What may share the window, and what XPipe promises (or does not) about requests that overlap:

* **No order.** The requests waiting at a Java monitor are let in in no particular order (inferred:
  ``synchronized`` is not fair, and XPipe's handlers take the storage object's monitor). So only
  writes whose order does not matter are in flight together: the loader runs one dependency
  *level* at a time (categories by depth, then entries whose gateway, identity and category are
  all known to exist; ``migrator.apply.loader``), and a level starts only once every answer of the
  one before it is in. A host is never sent before its gateway, identity or category exists.
* **No two writes of one name, UUID or ledger key at once.** XPipe's add upserts by name
  (``equalsIgnoreCase``, the whole vault), a remove takes the entry's display children with it, and
  a ledger row can change hands between keys: each job names what it touches (its ``footprint``),
  and a job whose footprint meets that of a job in progress, or of an earlier job still waiting,
  waits for it. Jobs that touch the same thing therefore run in plan order, as they did one by one.
* **Journal first, in groups.** The journal rows of the writes about to be sent are committed in
  one durable transaction before the first of them leaves (``Ledger.journal_begin_many``,
  "Durability" in ``migrator.sync.ledger``), a few ahead of the window, so one fsync covers
  several writes and is paid while earlier ones are still in flight.
* **A lost answer inside a window.** It is checked while the other writes of the window are still
  out; they cannot change the answer, since none of them shares its name or UUID. Sent again, it
  joins the next group. The others go on: no write of a level depends on another of that level.
* **Stopping.** Ctrl-C, a kill, or a failure that stops the run (XPipe gone, a timeout): nothing
  new is sent; the rows journaled but not sent are closed as ``unsent``; the answers of the writes
  in flight are waited for and recorded (a second Ctrl-C stops waiting: their rows stay open and
  the next run checks them, as after a kill). A lost answer is not checked while stopping: its row
  stays ``uncertain`` for the next run.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from migrator.sync.ledger import Ledger

#: Writes in flight at once. Two keep XPipe's lock busy when the client is quick; three leave room
#: for a client that is sometimes slower than one storage call (a loaded machine, an fsync). XPipe
#: serves 5 requests at once: the rest is left to the encryption stage and to the checks.
WINDOW = 3
#: Jobs started (their rows journaled) beyond the window, so one fsync covers several writes.
AHEAD = 5
#: How far past a job that must wait the window looks for one that need not.
LOOKAHEAD = 64


@dataclass
class Send:
    """One request of a job: ``call`` runs on a sender thread and does HTTP only; ``journal`` holds
    the journal row to commit before it leaves (``Ledger.journal_begin`` arguments by name), None
    for a write without a ledger. ``row`` is the row id once committed."""

    call: Callable[[], Any]
    journal: dict | None = None
    row: int | None = None


Task = Generator[Send, Any, None]


@dataclass
class Job:
    """One change's work: ``start()`` gives a generator that yields ``Send``s and is resumed with
    each answer (or has its exception thrown in). ``footprint``: the names, UUIDs and keys it
    touches (see the module docstring)."""

    start: Callable[[], Task]
    footprint: frozenset = field(default_factory=frozenset)


@dataclass
class _Running:
    task: Task
    footprint: frozenset
    op: Send | None = None


class Window:
    """Runs one level's jobs with up to ``size`` requests in flight (1: one after the other)."""

    def __init__(self, ledger: Ledger | None, size: int = WINDOW, ahead: int = AHEAD):
        if size < 1:
            raise ValueError("the write window holds at least one request")
        self.ledger = ledger
        self.size = size
        self.ahead = ahead if size > 1 else 0
        self.stopping = False
        self.most_in_flight = 0
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="xpipe-write")
        self._order = itertools.count()

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, jobs: Iterable[Job]) -> None:
        """All of ``jobs`` (one dependency level), then return; a failure that stops the run is raised
        once nothing is in flight any more (``stopping``)."""
        self._queue: deque[Job] = deque(jobs)
        self._held: Counter = Counter()
        self._started: list[_Running] = []
        self._waiting: deque[_Running] = deque()  # yielded a Send, row not journaled yet
        self._ready: deque[_Running] = deque()  # row journaled, not sent yet
        self._flying: dict[Future, tuple[int, _Running]] = {}
        try:
            while True:
                self._start_jobs()
                if not self._ready and self._waiting and len(self._flying) < self.size:
                    self._journal()
                while self._ready and len(self._flying) < self.size:
                    self._send(self._ready.popleft())
                if not self._flying:
                    if self._waiting or self._queue:
                        continue
                    return
                done, _ = wait(list(self._flying), return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self._flying[f][0]):
                    _, running = self._flying.pop(future)
                    self._resume(running, future)
        except BaseException:
            self._stop()
            raise

    # -- steps --------------------------------------------------------------------------------------

    def _start_jobs(self) -> None:
        """Start queued jobs, in order, while there is room and their footprint is free; a job that must
        wait blocks every later job that meets it (so two jobs on one thing keep their order)."""
        room = self.size + self.ahead - len(self._started)
        if room <= 0 or not self._queue:
            return
        passed: set = set()
        index = 0
        while room > 0 and index < min(len(self._queue), LOOKAHEAD):
            job = self._queue[index]
            if any(self._held[t] for t in job.footprint) or not passed.isdisjoint(job.footprint):
                passed |= job.footprint
                index += 1
                continue
            del self._queue[index]
            running = _Running(job.start(), job.footprint)
            self._held.update(job.footprint)
            self._started.append(running)
            self._advance(running, None, None)
            room = self.size + self.ahead - len(self._started)

    def _advance(self, running: _Running, answer: Any, error: BaseException | None) -> None:
        """Resume the job with an answer (or an error); it yields its next request or ends."""
        try:
            op = running.task.throw(error) if error is not None else running.task.send(answer)
        except StopIteration:
            self._finish(running)
            return
        except BaseException:
            self._finish(running)
            raise
        if not isinstance(op, Send):  # pragma: no cover - a programming error
            raise TypeError(f"a write job yielded {op!r}")
        running.op = op
        if self.stopping:
            running.task.close()
            self._finish(running)
        elif op.journal is None or self.ledger is None:
            self._ready.append(running)
        else:
            self._waiting.append(running)

    def _finish(self, running: _Running) -> None:
        self._started.remove(running)
        self._held.subtract(running.footprint)

    def _journal(self) -> None:
        group = list(self._waiting)
        self._waiting.clear()
        rows = self.ledger.journal_begin_many([r.op.journal for r in group])
        for running, row in zip(group, rows, strict=True):
            running.op.row = row
        self._ready.extend(group)

    def _send(self, running: _Running) -> None:
        future = self._pool.submit(running.op.call)
        self._flying[future] = (next(self._order), running)
        self.most_in_flight = max(self.most_in_flight, len(self._flying))

    def _resume(self, running: _Running, future: Future) -> None:
        error = future.exception()
        self._advance(running, None if error is not None else future.result(), error)

    def _stop(self) -> None:
        """Send nothing more; close the rows journaled but not sent; record the answers in flight."""
        self.stopping = True
        unsent = [r for r in (*self._ready, *self._waiting)]
        self._ready.clear()
        self._waiting.clear()
        if self.ledger is not None:
            self.ledger.journal_unsent([r.op.row for r in unsent if r.op is not None and r.op.row is not None])
        for running in unsent:
            running.task.close()
        try:
            while self._flying:
                done, _ = wait(list(self._flying), return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self._flying[f][0]):
                    _, running = self._flying.pop(future)
                    try:
                        self._resume(running, future)
                    except Exception:  # noqa: BLE001 - the first failure is the one raised
                        pass
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: the rows in flight stay open; the next run checks them
        for running in list(self._started):
            running.task.close()
        self._started.clear()
        self._queue.clear()
