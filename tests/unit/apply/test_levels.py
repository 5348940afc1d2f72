"""Dependency levels and footprints of an apply (``migrator.apply.levels``): which changes may share the
write window, from plans built by hand."""

from __future__ import annotations

from migrator.apply.levels import Footprints, category_levels, entry_levels
from migrator.mapper.desired import DesiredEntry
from migrator.plan.live import LiveEntry, LiveVault
from migrator.plan.model import Change


def entry(key: str, depends=(), name=None) -> Change:
    desired = DesiredEntry(key=key, kind="host", name=name or key, type="ssh", category=("All connections",), data={})
    desired.depends = list(depends)
    return Change(action="create", kind="host", key=key, name=desired.name, category="", entry=desired)


def category(*path: str) -> Change:
    return Change(
        action="create", kind="category", key="category:" + "/".join(path), name=path[-1], category="", path=path
    )


def keys(levels):
    return [[c.key for c in level] for level in levels]


def test_categories_go_by_depth_in_plan_order():
    changes = [
        category("All connections", "A", "B"),
        category("All connections", "A"),
        category("All connections", "C"),
    ]
    assert keys(category_levels(changes)) == [
        ["category:All connections/A", "category:All connections/C"],
        ["category:All connections/A/B"],
    ]


def test_an_entry_comes_one_level_after_everything_it_needs():
    changes = [
        entry("host-behind", ["hop2"]),
        entry("identity"),
        entry("hop1", ["identity"]),
        entry("hop2", ["hop1", "identity"]),
        entry("plain", ["identity", "existing-identity:ops"]),  # an identity outside the plan adds nothing
        entry("direct"),
    ]
    assert keys(entry_levels(changes)) == [["identity", "direct"], ["hop1", "plain"], ["hop2"], ["host-behind"]]


def test_a_long_chain_needs_no_recursion():
    changes = [entry(f"h{i}", [f"h{i - 1}"] if i else []) for i in range(5000)]
    levels = entry_levels(list(reversed(changes)))
    assert len(levels) == 5000 and levels[-1][0].key == "h4999"


def test_a_cycle_does_not_hang_and_every_entry_gets_a_level():
    changes = [entry("a", ["b"]), entry("b", ["a"]), entry("c", ["a"])]
    assert sorted(c.key for level in entry_levels(changes) for c in level) == ["a", "b", "c"]


def test_prunes_are_not_entry_levels():
    prune = Change(action="delete", kind="host", key="gone", name="gone", category="", uuid="u")
    assert keys(entry_levels([entry("a"), prune])) == [["a"]]


def live(uuid: str, name: str, gateway=None) -> LiveEntry:
    raw = {"host": name}
    if gateway:
        raw["gateway"] = gateway
    return LiveEntry(uuid=uuid, name=name, display_path=(name,), category=(), type="ssh", raw=raw)


def test_a_footprint_names_the_entry_its_names_keys_and_what_a_remove_takes_with_it():
    vault = LiveVault()
    for e in (live("g", "gate"), live("c1", "child", "g"), live("c2", "grandchild", "c1"), live("o", "other")):
        vault.entries[e.uuid] = e
    change = entry("k", name="Gate-New")
    change.action, change.uuid, change.live, change.rekey = "recreate", "g", vault.entries["g"], "old-key"
    tokens = Footprints(vault).of(change)
    assert {("name", "gate-new"), ("name", "gate"), ("key", "k"), ("key", "old-key")} <= tokens
    assert {("uuid", "g"), ("uuid", "c1"), ("uuid", "c2")} <= tokens and ("uuid", "o") not in tokens
    update = entry("k2", name="GATE")  # another spelling of one name: XPipe's add would meet the same entry
    assert Footprints(vault).of(update) & tokens
