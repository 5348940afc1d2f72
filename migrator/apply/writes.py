"""Vault writes between their journal row and their result; a lost answer is checked, never guessed.

Each add, remove and category add is journaled before it is sent (with the keyed digests of the
store as sent, see ``migrator.sync.ledger``) and closed with its answer. When the answer says nothing
about the outcome (a 5xx, a connection reset or closed once the request was sent) the row is
marked ``uncertain`` first, then the vault is read for that one write:

* it is there and matches what was sent: the write landed; it is recorded as if answered;
* it is not there: it did not land, and it is sent again (a new journal row), up to ``ATTEMPTS``
  sends in all; a remove that is still there is removed again. A write whose every send failed and
  that is not there is a definite failure (``WriteNotApplied``), so a move can put its original back;
* the check itself fails, or finds something else: the row stays ``uncertain`` and the next run
  decides from its full read of the vault (``migrator.plan.reconcile``).

A 4xx is definite at once: nothing was applied. A timeout, or an answer that is not XPipe's, stops
the run (exit 5) with the row left open for the next run: XPipe is stuck or not XPipe, and asking
it again now would only wait again. While the run stops (``stopping``), a lost answer is not checked
either: its row stays ``uncertain`` for the next run.

Each write is a generator run by the loader's window (``migrator.apply.window``): it yields the
request to send (``Send``, with the journal row the window commits before sending it) and is
resumed with the answer, so ``uuid = yield from writes.add(...)`` reads as one call. Everything but
the HTTP request itself (journal, checks, ledger) runs on the loader's thread.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Generator
from dataclasses import replace

from migrator.apply.window import Send
from migrator.errors import BadRequest, ConnectionLost, ProtocolError, ServerError, XPipeError
from migrator.mapper.desired import canonical_json
from migrator.names import shown_key
from migrator.plan.compare import differing, sent_digests
from migrator.plan.live import SecretReader
from migrator.sync.ledger import Ledger, LedgerEntry, effect
from migrator.xpipe.client import XPipeClient

#: Sends of one write within a run: the first, and two more each after a check found it had not
#: landed. With 20% of the writes failing before they apply (120 hosts, 20 seeds), 2 sends took up
#: to 5 plain runs to converge, 3 sends at most 2 (benchmarks/RESULTS.md). A write XPipe refuses for
#: good (incomplete data: a 500 each time) costs 3 sends and 3 checks per run.
ATTEMPTS = 3
#: Failures after which the vault is read to learn whether the write landed (others stop the run).
CHECKED = (ServerError, ConnectionLost)


class WriteNotApplied(XPipeError):
    """A write failed with an unknown outcome, was checked and is not in the vault, also when sent again."""

    exit_code = 4


#: Failures that fail one entry (the run goes on); anything else stops the run.
ENTRY_FAILURES = (BadRequest, ServerError, ConnectionLost, WriteNotApplied)
_CHECK_FAILURES = (BadRequest, ServerError, ConnectionLost, ProtocolError)


def name_glob(name: str) -> str:
    """A query glob matching an entry named ``name`` at any display depth (docs/xpipe-api.md §2.2):
    XPipe's glob specials are escaped, ``/`` becomes ``_`` as in the paths it matches."""
    escaped = "".join("\\" + ch if ch in "\\*?[]{},#!" else ch for ch in name.strip().replace("/", "_"))
    return "{" + escaped + ",**/" + escaped + "}"


class Writes:
    """The journaled writes of one apply; ``ledger`` None (a vault without a ledger) journals nothing."""

    def __init__(self, client: XPipeClient, ledger: Ledger | None, reader: SecretReader):
        self.client = client
        self.ledger = ledger
        self.reader = reader
        self.checks = 0
        self.resent = 0
        self.stopping: Callable[[], bool] = lambda: False
        key = os.urandom(32)  # without a ledger, digests only live for this run
        self.digest = (
            ledger.digest
            if ledger is not None
            else (lambda v: hmac.new(key, canonical_json(v).encode("utf-8"), hashlib.sha256).hexdigest()[:32])
        )

    # -- the journal -------------------------------------------------------------------------------

    def _journal(self, key, op, name, type_, uuid=None, **kw) -> dict | None:
        """The journal row of one send, for the window to commit before it leaves (None: no ledger)."""
        if self.ledger is None:
            return None
        return {"key": key, "op": op, "name": name, "type_": type_, "uuid": uuid, **kw}

    def _end(self, row, status, uuid=None, **kw) -> None:
        if row is not None:
            self.ledger.journal_end(row, status, uuid, **kw)

    # -- entries ------------------------------------------------------------------------------------

    def add(
        self,
        key: str,
        name: str,
        type_: str,
        data: dict,
        *,
        category: str,
        category_path: tuple[str, ...],
        target: str | None = None,
        row: LedgerEntry | None = None,
        accept=None,
        replaces: str | None = None,
        was: str | None = None,
    ) -> Generator[Send, object, str]:
        """Add (or update ``target``) and record ``row`` with the UUID it lands as, unless ``accept(uuid)``
        says the UUID is not ours (XPipe answered with another key's identical entry)."""
        sent = sent_digests(data, self.reader.strategy, self.digest)
        eff = effect(row, replaces=replaces, was=was) if row is not None else None
        for attempt in range(1, ATTEMPTS + 1):
            op = Send(
                lambda: self.client.add_store(name, data, category=category, validate=False),
                self._journal(key, "add", name, type_, target, category=category_path, sent=sent, effect=eff),
            )
            try:
                got = yield op
            except XPipeError as exc:
                landed, got = self._lost(
                    op.row, exc, attempt, lambda: self._find(name, type_, category_path, target, sent)
                )
                if not landed:
                    continue
            record = replace(row, uuid=got) if row is not None and (accept is None or accept(got)) else None
            self._end(op.row, "done", got, record=record, replaces=replaces, was=was)
            return got
        raise AssertionError("unreachable")  # pragma: no cover - _lost raises on the last attempt

    def remove(
        self, key: str, uuid: str, name: str, type_: str, *, forget: str | None = None
    ) -> Generator[Send, object, None]:
        """Remove ``uuid`` (with its display children, as XPipe does); ``forget`` drops that key's row."""
        for attempt in range(1, ATTEMPTS + 1):
            op = Send(
                lambda: self.client.remove_stores([uuid]),
                self._journal(key, "remove", name, type_, uuid, effect=effect(None, forget=forget)),
            )
            try:
                yield op
            except XPipeError as exc:
                if not self._lost(op.row, exc, attempt, lambda: self._gone(uuid))[0]:
                    continue
            self._end(op.row, "done", forget=forget)
            return

    def category(self, path: tuple[str, ...], parent: str) -> Generator[Send, object, str]:
        """``/category/add`` of ``path[-1]`` under ``parent``; ``path`` is the full display path."""
        full = tuple(s.lower() for s in path)
        key = "category:" + "/".join(path)
        for attempt in range(1, ATTEMPTS + 1):
            op = Send(
                lambda: self.client.add_category(path[-1], parent),
                self._journal(key, "category/add", path[-1], "category", category=full),
            )
            try:
                got = yield op
            except XPipeError as exc:
                landed, got = self._lost(op.row, exc, attempt, lambda: self._find_category(path[-1], parent))
                if not landed:
                    continue
            self._end(op.row, "done", got)
            return got
        raise AssertionError("unreachable")  # pragma: no cover

    # -- a lost answer ------------------------------------------------------------------------------

    def _lost(self, journal, exc: XPipeError, attempt: int, check) -> tuple[bool, str | None]:
        """After a failed send: ``(True, result)`` when the write landed after all, ``(False, None)`` to
        send it again; raises when it failed for sure or its outcome stays unknown."""
        if not exc.outcome_unknown:
            self._end(journal, "failed")
            raise exc
        self._end(journal, "uncertain")  # recorded before anything else is asked
        if not isinstance(exc, CHECKED) or self.stopping():
            raise exc
        self.checks += 1
        try:
            verdict, result = check()
        except _CHECK_FAILURES:
            raise exc from None  # still uncertain: the next run checks
        if verdict == "landed":
            return True, result
        if verdict != "absent":
            raise exc
        self._end(journal, "absent")
        if attempt >= ATTEMPTS:
            raise WriteNotApplied(
                f"{exc} (sent {ATTEMPTS} times; each time the check found it had not arrived in XPipe)",
                status=exc.status,
                endpoint=exc.endpoint,
                outcome_unknown=False,
            ) from None
        self.resent += 1
        return False, None

    def _find(self, name, type_, category_path, target, sent) -> tuple[str, str | None]:
        """Whether an add landed: the entry it would have written, compared with what was sent."""
        if target is not None:
            infos, _ = self.client.store_info([target])
            if infos:
                same = not differing(sent, infos[0].get("rawData") or {}, self.reader.strategy, self.digest)
                return ("landed", target) if same else ("absent", None)
        found = self.client.query_stores("**", name_glob(name), "*")
        infos, _ = self.client.store_info(found) if found else ([], [])
        candidates = [
            i
            for i in infos
            if str(i.get("type", "")).lower() == type_.lower()
            and shown_key(str((i.get("name") or [""])[-1])) == shown_key(name)
            and tuple(str(c).lower() for c in i.get("category") or []) == tuple(category_path)
        ]
        matching = [
            i for i in candidates if not differing(sent, i.get("rawData") or {}, self.reader.strategy, self.digest)
        ]
        if len(matching) == 1:
            return "landed", matching[0]["uuid"]
        return ("absent", None) if not candidates else ("unknown", None)

    def _gone(self, uuid: str) -> tuple[str, None]:
        infos, _ = self.client.store_info([uuid])
        return ("absent", None) if infos else ("landed", None)

    def _find_category(self, name: str, parent: str) -> tuple[str, str | None]:
        infos, _ = self.client.category_info(self.client.query_categories("**"))
        for info in infos:
            names = info.get("name") or []
            if info.get("parentCategory") == parent and names and names[-1] == name.lower():
                return "landed", info["uuid"]
        return "absent", None
