"""The write window (``migrator.apply.window``) on a real ledger file, without HTTP: its requests are
plain callables on the sender threads, so what overlaps, in which order, and what is on disk before
each request leaves can be observed exactly."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from migrator.apply.window import AHEAD, WINDOW, Job, Send, Window
from migrator.errors import ConnectionLost, DaemonUnreachable
from migrator.sync.ledger import Ledger


class Recorder:
    """Calls that take ``seconds`` each, noting what was in flight and what the ledger file held."""

    def __init__(self, ledger_path=None, seconds: float = 0.02):
        self.seconds = seconds
        self.ledger_path = ledger_path
        self.lock = threading.Lock()
        self.flying: set[str] = set()
        self.together: list[frozenset] = []
        self.started: list[str] = []
        self.committed: dict[str, set[str]] = {}

    def call(self, name: str, fail: BaseException | None = None):
        def run():
            with self.lock:
                self.flying.add(name)
                self.together.append(frozenset(self.flying))
                self.started.append(name)
            if self.ledger_path is not None:  # what another process would read from the file now
                db = sqlite3.connect(f"file:{self.ledger_path}?mode=ro", uri=True)
                try:
                    rows = db.execute("SELECT name FROM journal WHERE status = 'pending'").fetchall()
                finally:
                    db.close()
                self.committed[name] = {r[0] for r in rows}
            time.sleep(self.seconds)
            with self.lock:
                self.flying.discard(name)
            if fail is not None:
                raise fail
            return f"uuid-{name}"

        return run


def job(rec: Recorder, name: str, footprint=(), *, ledger=True, fail=None, results=None):
    def start():
        answer = yield Send(
            rec.call(name, fail), {"key": name, "op": "add", "name": name, "type_": "ssh"} if ledger else None
        )
        if results is not None:
            results.append((name, answer))

    return Job(start, frozenset(footprint or {("name", name)}))


def test_disjoint_jobs_overlap_up_to_the_window_and_all_finish(tmp_path):
    rec = Recorder()
    results: list = []
    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger) as window:
        window.run(job(rec, f"h{i}", results=results) for i in range(12))
    assert sorted(results) == sorted((f"h{i}", f"uuid-h{i}") for i in range(12))
    assert window.most_in_flight == WINDOW
    assert max(len(t) for t in rec.together) == WINDOW


def test_a_window_of_one_sends_one_after_the_other(tmp_path):
    rec = Recorder(seconds=0.005)
    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger, size=1) as window:
        window.run(job(rec, f"h{i}") for i in range(6))
    assert max(len(t) for t in rec.together) == 1
    assert rec.started == [f"h{i}" for i in range(6)]


def test_jobs_that_touch_one_thing_never_overlap_and_keep_their_order(tmp_path):
    """Two writes of one name (XPipe upserts by name) or one UUID are never in flight together, and a
    later job that meets a waiting one does not overtake it."""
    rec = Recorder()
    same = {("name", "web")}
    jobs = [
        job(rec, "a", same),
        job(rec, "b", {("name", "db")}),
        job(rec, "c", same | {("uuid", "u1")}),
        job(rec, "d", {("uuid", "u1")}),  # meets c (waiting for a): must not go before c
        job(rec, "e", {("name", "mail")}),
    ]
    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger) as window:
        window.run(jobs)
    for group in rec.together:
        assert not {"a", "c"} <= group and not {"c", "d"} <= group
    order = rec.started
    assert order.index("a") < order.index("c") < order.index("d")
    assert any("b" in g and "a" in g for g in rec.together)  # unrelated jobs still overlap


def test_the_rows_of_a_group_are_on_disk_before_its_first_request_leaves(tmp_path):
    """Each request finds its own journal row, and every row journaled with it, already committed in the
    file (read by another connection, as the next run after a kill would read it)."""
    path = tmp_path / "l.sqlite"
    rec = Recorder(path)
    with Ledger(path) as ledger, Window(ledger) as window:
        window.run(job(rec, f"h{i}") for i in range(10))
    assert all(name in rows for name, rows in rec.committed.items())
    first = rec.started[0]
    assert len(rec.committed[first]) == min(10, WINDOW + AHEAD)  # the first group: one transaction


def test_a_failure_that_stops_the_run_waits_for_the_answers_in_flight_and_closes_what_was_not_sent(tmp_path):
    rec = Recorder(seconds=0.05)
    results: list = []

    def fatal():
        yield Send(
            rec.call("boom", DaemonUnreachable("XPipe is gone")),
            {"key": "boom", "op": "add", "name": "boom", "type_": "ssh"},
        )

    jobs = [Job(fatal, frozenset({("name", "boom")}))] + [job(rec, f"h{i}", results=results) for i in range(10)]
    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger) as window:
        with pytest.raises(DaemonUnreachable):
            window.run(jobs)
        statuses = dict(ledger.db.execute("SELECT name, status FROM journal").fetchall())
    sent = set(rec.started)
    assert window.stopping
    assert {name for name, _ in results} == sent - {"boom"}  # every answer in flight was taken in
    assert all(statuses[n] == "unsent" for n in statuses if n not in sent)
    assert any(s == "unsent" for s in statuses.values())
    assert statuses["boom"] == "pending"  # its job ended without a result: open for the next run


def test_an_entry_failure_inside_a_job_fails_that_job_only(tmp_path):
    """A job that catches its own request's failure (as the loader's jobs do for one entry) leaves the
    others of the window going."""
    rec = Recorder()
    results: list = []

    def lost():
        try:
            yield Send(rec.call("lost", ConnectionLost("reset")), None)
        except ConnectionLost:
            results.append(("lost", "failed"))

    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger) as window:
        window.run([Job(lost, frozenset({("name", "lost")}))] + [job(rec, f"h{i}", results=results) for i in range(5)])
    assert sorted(results) == sorted([("lost", "failed")] + [(f"h{i}", f"uuid-h{i}") for i in range(5)])


def test_a_job_may_send_several_requests_in_order(tmp_path):
    """A move is remove, then add: the second request of a job follows its first answer."""
    rec = Recorder(seconds=0.005)
    seen: list = []

    def move():
        first = yield Send(rec.call("remove-x"), {"key": "x", "op": "remove", "name": "x", "type_": "ssh"})
        second = yield Send(rec.call("add-x"), {"key": "x", "op": "add", "name": "x", "type_": "ssh"})
        seen.extend([first, second])

    with Ledger(tmp_path / "l.sqlite") as ledger, Window(ledger) as window:
        window.run([Job(move, frozenset({("key", "x")}))] + [job(rec, f"h{i}") for i in range(4)])
    assert seen == ["uuid-remove-x", "uuid-add-x"]
    assert rec.started.index("remove-x") < rec.started.index("add-x")


def test_without_a_ledger_nothing_is_journaled(tmp_path):
    rec = Recorder(seconds=0.002)
    results: list = []
    with Window(None) as window:
        window.run(job(rec, f"h{i}", ledger=False, results=results) for i in range(5))
    assert len(results) == 5


def test_the_window_holds_at_least_one_request():
    with pytest.raises(ValueError):
        Window(None, size=0)
