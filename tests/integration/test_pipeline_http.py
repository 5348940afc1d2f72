"""Plan and apply end to end against the simulator over real HTTP, for 23.8 and 24.0."""

from __future__ import annotations

import json
from dataclasses import replace

from pydantic import SecretStr

from migrator.apply.loader import Loader
from migrator.manager import plan_inventory
from migrator.mapper.ssh_store import MapperOptions
from migrator.model import Credentials, Host, JumpHop, Provenance, SourceResult
from migrator.xpipe.constants import DEFAULT_CATEGORY, LOCAL_MACHINE
from migrator.xpipe.inplace import decode_inplace

WRITE_PATHS = ("/connection/add", "/store/add", "/connection/remove", "/store/remove", "/category/add")


def host(name, *, category=("Prod",), jump=(), password=None, **kw) -> Host:
    creds = Credentials(password=SecretStr(password) if password else None, key_files=kw.pop("key_files", []))
    return Host(
        key=f"csv:inv.csv#{name}",
        name=name,
        address=kw.pop("address", f"{name}.example.net"),
        user=kw.pop("user", "ops"),
        category=list(category),
        jump=list(jump),
        credentials=creds,
        source=Provenance(format="csv", file="inv.csv", line=1),
        **kw,
    )


def hop(name):
    return JumpHop(host=f"{name}.example.net", ref=name, ref_key=f"csv:inv.csv#{name}")


def inventory(*hosts) -> SourceResult:
    return SourceResult(hosts=list(hosts))


def sample():
    return inventory(
        host("bastion", category=("Infra",), password="bastion-pw-1"),
        host("db1", jump=[hop("bastion")], password="db-pw-2"),
        host("web1", password="web-pw-3", key_files=["~/.ssh/id_ed25519"]),
        host("web2", category=("Prod", "Web"), port=2222),
    )


def apply(client, inv, **opts):
    plan = plan_inventory(client, inv, MapperOptions(**opts) if opts else None)
    return plan, Loader(client, progress=False).apply(plan)


def server_writes(sim) -> int:
    return sum(n for path, n in sim.requests.items() if path in WRITE_PATHS)


def test_apply_then_plan_is_a_no_op_with_zero_writes(sim, client):
    plan, result = apply(client, sample())
    assert plan.counts()["create"] == len(plan.changes)
    assert not result.failed, [o.error for o in result.failed]
    assert result.counts()["created"] == len(plan.changes)
    sim.reset_counters()
    again, result2 = apply(client, sample())
    assert not again.has_changes and again.counts()["unchanged"] == len(again.changes)
    assert server_writes(sim) == 0
    assert sum(n for p, n in sim.requests.items() if p == "/secret/encrypt") == 0
    assert result2.writes == 0 and result2.encrypted == 0


def test_every_secret_round_trips_through_xpipe(sim, client):
    apply(client, sample())
    infos, _ = client.store_info(client.query_stores("all connections/imported/**", "**", "ssh"))
    seen = {}
    for info in infos:
        store = info["rawData"]["identity"]["identityStore"]
        strategy = json.loads(client.decrypt(store["password"]))
        if strategy["type"] == "inPlace":
            seen[info["name"][-1]] = decode_inplace(strategy["value"])
        key = json.loads(client.decrypt(store["sshIdentity"]))
        if info["name"][-1] == "web1":
            assert key == {"type": "file", "file": "~/.ssh/id_ed25519", "password": {"type": "none"}, "publicKey": None}
    assert seen == {"bastion": "bastion-pw-1", "db1": "db-pw-2", "web1": "web-pw-3"}


def test_one_changed_password_updates_exactly_one_entry_with_a_redacted_diff(sim, client):
    apply(client, sample())
    inv = sample()
    inv.hosts[2] = replace(
        inv.hosts[2], credentials=Credentials(password=SecretStr("web-pw-NEW"), key_files=["~/.ssh/id_ed25519"])
    )
    sim.reset_counters()
    plan, result = apply(client, inv)
    changed = [c for c in plan.changes if c.action != "unchanged"]
    assert [(c.action, c.name) for c in changed] == [("update", "web1")]
    assert [f.path for f in changed[0].fields] == ["identity.identityStore.password"]
    assert "web-pw" not in repr(changed[0].fields)
    assert sim.requests["/secret/encrypt"] == 1
    assert server_writes(sim) == 1
    uuid = changed[0].uuid
    infos, _ = client.store_info([uuid])
    strategy = json.loads(client.decrypt(infos[0]["rawData"]["identity"]["identityStore"]["password"]))
    assert decode_inplace(strategy["value"]) == "web-pw-NEW"
    assert not plan_inventory(client, inv).has_changes


def test_jump_chain_reads_back_with_non_null_gateways(sim, client):
    inv = inventory(host("a", category=()), host("b", jump=[hop("a")]), host("target", jump=[hop("a"), hop("b")]))
    plan, result = apply(client, inv)
    assert not result.failed
    uuids = {o.change.name: o.uuid for o in result.outcomes if o.change.kind != "category"}
    infos, _ = client.store_info(list(uuids.values()))
    raw = {i["uuid"]: i["rawData"] for i in infos}
    assert raw[uuids["a"]]["gateway"] == LOCAL_MACHINE and raw[uuids["a"]]["jumpServer"] is False
    assert raw[uuids["b"]]["gateway"] == uuids["a"] and raw[uuids["b"]]["jumpServer"] is True
    assert raw[uuids["target"]]["gateway"] == uuids["b"] and raw[uuids["target"]]["jumpServer"] is True


def test_entry_outside_the_root_with_the_same_name_is_a_conflict_and_untouched(sim, client):
    theirs = client.add_store(
        "WEB1",
        {
            "type": "ssh",
            "host": "theirs.example.org",
            "port": 22,
            "gateway": LOCAL_MACHINE,
            "identity": {
                "type": "inPlace",
                "identityStore": {
                    "type": "localIdentity",
                    "username": "me",
                    "password": {"type": "none"},
                    "sshIdentity": {"type": "none"},
                },
            },
        },
        category=DEFAULT_CATEGORY,
    )
    plan, result = apply(client, sample())
    conflict = next(c for c in plan.changes if c.name == "web1")
    assert conflict.action == "conflict" and "outside" in conflict.reason
    infos, _ = client.store_info([theirs])
    assert infos[0]["rawData"]["host"] == "theirs.example.org"
    assert next(o for o in result.outcomes if o.change.name == "web1").status == "skipped"


def test_identical_existing_connection_under_another_name_is_a_conflict(sim, client):
    apply(client, inventory(host("one")))
    plan = plan_inventory(client, inventory(replace(host("one"), key="csv:inv.csv#two", name="two")))
    two = next(c for c in plan.changes if c.name == "two")
    assert two.action == "conflict" and "identical" in two.reason


def test_folder_change_recreates_and_converges(sim, client):
    apply(client, sample())
    inv = sample()
    inv.hosts[3] = replace(inv.hosts[3], category=["Staging"])
    plan, result = apply(client, inv)
    moved = next(c for c in plan.changes if c.name == "web2")
    assert moved.action == "recreate"
    assert not result.failed
    infos, _ = client.store_info([next(o.uuid for o in result.outcomes if o.change.name == "web2")])
    assert infos[0]["category"] == ["imported", "staging"]
    assert not plan_inventory(client, inv).has_changes


def test_moving_a_gateway_recreates_the_hosts_behind_it(sim, client):
    apply(client, sample())
    inv = sample()
    inv.hosts[0] = replace(inv.hosts[0], category=["Edge"])
    plan, result = apply(client, inv)
    actions = {c.name: c.action for c in plan.changes if c.kind != "category"}
    assert actions["bastion"] == "recreate" and actions["db1"] in ("update", "recreate")
    assert not result.failed, [o.error for o in result.failed]
    assert not plan_inventory(client, inv).has_changes


def test_entry_deleted_in_xpipe_is_created_again(sim, client):
    _, result = apply(client, sample())
    web2 = next(o.uuid for o in result.outcomes if o.change.name == "web2")
    client.remove_stores([web2])
    plan = plan_inventory(client, sample())
    assert [(c.action, c.name) for c in plan.changes if c.action != "unchanged"] == [("create", "web2")]


def test_unmanaged_fields_set_in_xpipe_survive_an_update(sim, client):
    _, result = apply(client, sample())
    web2 = next(o for o in result.outcomes if o.change.name == "web2")
    infos, _ = client.store_info([web2.uuid])
    edited = dict(infos[0]["rawData"], type="ssh", dontInteractWithSystem=True)
    client.add_store("web2", edited, validate=False)
    assert not plan_inventory(client, sample()).has_changes
    inv = sample()
    inv.hosts[3] = replace(inv.hosts[3], port=2200)
    plan, result = apply(client, inv)
    assert [f.path for c in plan.changes for f in c.fields] == ["port"]
    infos, _ = client.store_info([web2.uuid])
    assert infos[0]["rawData"]["port"] == 2200 and infos[0]["rawData"]["dontInteractWithSystem"] is True


def test_token_loss_between_plan_and_apply_is_recovered(sim, client):
    plan = plan_inventory(client, sample())
    sim.restart()
    result = Loader(client, progress=False).apply(plan)
    assert not result.failed
    assert client.calls["handshake"] == 2


def test_second_run_with_prompt_policy_changes_only_password_strategies(sim, client):
    apply(client, sample())
    plan = plan_inventory(client, sample(), MapperOptions(password_policy="prompt", identities="inplace"))
    updated = sorted(c.name for c in plan.changes if c.action == "update")
    assert updated == ["bastion", "db1", "web1"]
    assert all(f.new == "<prompt>" for c in plan.changes for f in c.fields)
