"""Field-by-field comparison of desired store data with live rawData.

A *leaf* is a value the migrator sets: a scalar, a reference (compared by UUID) or a secret strategy
(compared decrypted). Only leaves the migrator sets are compared, so fields XPipe or the user add
are left alone. The planner diffs leaves; the loader records their digests in the ledger after a
write, so both must see the same values: this module is the one place that defines them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from migrator.mapper.desired import EntryRef, Secret
from migrator.plan.live import is_encrypted_node, strip_nulls  # noqa: F401 - strip_nulls re-exported

QUIET_STRATEGIES = ("none", "prompt", "otherExternal", "sshAgent", "pageant")


def project(live, desired):
    """``live`` reduced to the keys ``desired`` sets (recursively)."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: project(live.get(k), v) for k, v in desired.items()}
    return live


def redacted(secret: Secret | None, live_kind: str | None = None) -> str:
    if secret is not None:
        if secret.kind in QUIET_STRATEGIES:
            return f"<{secret.kind}>"
        return f"<redacted {secret.kind} sha:{secret.digest}>"
    if live_kind is None:
        return "<unset>"
    return f"<{live_kind}>" if live_kind in QUIET_STRATEGIES else f"<redacted {live_kind}>"


@dataclass
class Leaf:
    path: str
    desired: object
    live: object
    desired_show: object
    live_show: object
    group: tuple[str, object, object] | None = None  # (path, old type, new type) when a parent's type changed
    #: a secret's whole live strategy (``live`` is it reduced to the keys the desired one sets): what the
    #: ledger's digest of the last applied strategy is compared with when the desired one changed shape
    live_whole: object = None

    def lives(self) -> tuple:
        """The live value as each way of recording it may have seen it."""
        return (self.live,) if self.live_whole is None else (self.live, self.live_whole)


# The walks below recurse through module functions, never through closures that call themselves: a
# closure that refers to itself is a reference cycle, left for the cyclic garbage collector, and one
# per entry compared is what made planning 10,000 hosts spend a third of its time collecting.


def desired_leaves(data: dict, resolve: Callable[[str], str | None]) -> dict[str, object]:
    """Comparable value of every leaf the migrator sets; refs resolved with ``resolve(key)``."""
    out: dict[str, object] = {}
    _desired_walk(data, "", resolve, out)
    return out


def _desired_walk(value, path: str, resolve, out: dict) -> None:
    if isinstance(value, Secret):
        out[path] = strip_nulls(value.strategy)
    elif isinstance(value, EntryRef):
        out[path] = resolve(value.key) or f"new:{value.key}"
    elif isinstance(value, dict):
        for k, v in value.items():
            if not path and k == "type":
                continue
            _desired_walk(v, f"{path}.{k}" if path else k, resolve, out)
    else:
        out[path] = value


class Comparer:
    """Builds leaves of one desired entry against its live rawData."""

    def __init__(
        self,
        strategy_of: Callable[..., dict | None],
        resolve: Callable[[str], str | None],
        ref_label: Callable[[str], str],
        uuid_label: Callable[[str | None], object],
    ):
        self.strategy_of = strategy_of
        self.resolve = resolve
        self.ref_label = ref_label
        self.uuid_label = uuid_label

    def leaves(self, data: dict, raw: dict) -> list[Leaf]:
        """The leaves of ``data`` that differ from live ``raw``, in ``data``'s order (nulls never count:
        XPipe may add or drop them). An equal leaf needs nothing, so none is built for it: a re-plan of
        an unchanged vault builds no leaf at all."""
        out: list[Leaf] = []
        self._walk(data, raw, "", out, None)
        return out

    def _walk(self, value: dict, live, path: str, out: list[Leaf], group) -> None:
        """The differing leaves under object ``value``; an object whose type changed groups its leaves."""
        lv = live if isinstance(live, dict) else {}
        for k, v in value.items():
            if not path and k == "type":
                continue
            sub = f"{path}.{k}" if path else k
            have = lv.get(k)
            if isinstance(v, dict):
                if group is None and "type" in v and (not isinstance(have, dict) or have.get("type") != v.get("type")):
                    start = len(out)
                    retyped = (sub, f"<{have.get('type')}>" if isinstance(have, dict) else have, f"<{v.get('type')}>")
                    self._walk(v, have, sub, out, retyped)
                    for leaf in out[start:]:
                        leaf.group = retyped
                else:
                    self._walk(v, have, sub, out, group)
            elif isinstance(v, Secret):
                self._secret(v, have, sub, out)
            elif isinstance(v, EntryRef):
                got = have.get("storeId") if isinstance(have, dict) else have
                want = self.resolve(v.key) or f"new:{v.key}"
                if not _same(want, got):
                    out.append(Leaf(sub, want, got, self.ref_label(v.key), self.uuid_label(got)))
            elif not _same(v, have):
                shown = (
                    have
                    if not isinstance(have, (dict, list))
                    else (f"<{have.get('type')}>" if isinstance(have, dict) and have.get("type") else "<object>")
                )
                out.append(Leaf(sub, v, have, v, shown))

    def _secret(self, value: Secret, live, path: str, out: list[Leaf]) -> None:
        """A secret is compared decrypted, reduced to the keys the desired strategy sets."""
        want = strip_nulls(value.strategy)
        if is_encrypted_node(live):
            strategy = self.strategy_of(live, want)
        else:
            strategy = live if isinstance(live, dict) else None
        whole = strip_nulls(strategy) if isinstance(strategy, dict) else None
        have = project(whole, want) if whole is not None else None
        if not _same(want, have):
            old_kind = strategy.get("type") if isinstance(strategy, dict) else None
            shown = redacted(None, old_kind) if live is not None else None
            out.append(Leaf(path, want, have, redacted(value), shown, live_whole=whole))


def _same(desired, live) -> bool:
    return desired == live or strip_nulls(desired) == strip_nulls(live)


# -- what was sent vs what is there (the journal's check of a write whose answer was lost) ------------

_MISSING = object()


def flat_leaves(data: dict, strategy_of: Callable[[dict], dict | None]) -> dict[str, object]:
    """Every leaf of store ``data`` (a payload or a live rawData) by dotted path, comparable across a
    round trip: encrypted nodes as the decrypted strategy's leaves (``strategy_of``; XPipe returns
    them re-encrypted or as sent, never as the same bytes we can compare), references as their UUID
    (``{"storeId": ...}`` or a string), nulls left out (XPipe may add or drop them), the top-level
    ``type`` left out (rawData has none)."""
    out: dict[str, object] = {}
    _flat_walk(data, "", False, strategy_of, out)
    return out


def _flat_walk(value, path: str, decrypted: bool, strategy_of, out: dict) -> None:
    if value is None:
        return
    if not decrypted and is_encrypted_node(value):
        strategy = strategy_of(value)
        if isinstance(strategy, dict):
            _flat_walk(strategy, path, True, strategy_of, out)
        else:
            out[path] = "<cannot be decrypted>"
        return
    if isinstance(value, dict):
        if set(value) == {"storeId"}:
            out[path] = value["storeId"]
            return
        for k, v in value.items():
            if not path and k == "type":
                continue
            _flat_walk(v, f"{path}.{k}" if path else k, decrypted, strategy_of, out)
        return
    out[path] = strip_nulls(value)


def sent_digests(data: dict, strategy_of: Callable[[dict], dict | None], digest: Callable[[object], str]) -> dict:
    """The keyed digest of every leaf of a payload about to be sent (no value is kept)."""
    return {path: digest(value) for path, value in flat_leaves(data, strategy_of).items()}


def differing(
    sent: dict[str, str], raw: dict, strategy_of: Callable[[dict], dict | None], digest: Callable[[object], str]
) -> list[str]:
    """Leaf paths where live ``raw`` differs from what was sent ([]: the entry is what was sent).

    Only the sent leaves are compared, so fields XPipe adds are ignored, as the planner ignores them."""
    live = flat_leaves(raw if isinstance(raw, dict) else {}, strategy_of)
    return sorted(
        path for path, want in sent.items() if live.get(path, _MISSING) is _MISSING or digest(live[path]) != want
    )
