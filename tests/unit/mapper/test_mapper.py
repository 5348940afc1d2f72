"""The mapper and the jump-host graph, on hosts built in code."""

from __future__ import annotations

from dataclasses import replace

from pydantic import SecretStr

from migrator.mapper.desired import EntryRef, Secret
from migrator.mapper.ssh_store import MapperOptions, SshStoreMapper
from migrator.model import Credentials, Host, JumpHop, Provenance
from migrator.xpipe.constants import LOCAL_MACHINE
from migrator.xpipe.inplace import decode_inplace


def host(name, address=None, *, jump=(), user="ops", category=(), file="inv.csv", **creds) -> Host:
    return Host(
        key=f"csv:{file}#{name}",
        name=name,
        address=address or f"{name}.example.net",
        user=user,
        category=list(category),
        jump=list(jump),
        credentials=Credentials(**creds),
        source=Provenance(format="csv", file=file, line=1),
    )


def ref(name, file="inv.csv"):
    return JumpHop(host=f"{name}.example.net", ref=name, ref_key=f"csv:{file}#{name}")


def mapped(hosts, **opts):
    return SshStoreMapper(MapperOptions(**opts)).map(hosts)


def test_chain_a_b_target_orders_gateways_first_and_links_them():
    hosts = [host("target", jump=[ref("a"), ref("b")]), host("b", jump=[ref("a")]), host("a")]
    res = mapped(hosts)
    entries = res.state.entries
    order = [e.name for e in entries]
    assert order.index("a") < order.index("b") < order.index("target")
    by = {e.name: e for e in entries}
    assert by["a"].data["gateway"] == LOCAL_MACHINE and by["a"].data["jumpServer"] is False
    assert by["b"].data["gateway"] == EntryRef("csv:inv.csv#a") and by["b"].data["jumpServer"] is True
    assert by["target"].data["gateway"] == EntryRef("csv:inv.csv#b") and by["target"].data["jumpServer"] is True
    assert not [d for d in res.diagnostics if d.code == "generated-hop"]


def test_hop_reached_differently_than_on_its_own_gets_a_generated_entry():
    # b is direct on its own, but target reaches it through a: XPipe needs a separate entry for that route
    hosts = [host("a"), host("b"), host("target", jump=[ref("a"), ref("b")])]
    res = mapped(hosts)
    by = {e.name: e for e in res.state.entries}
    assert by["b"].data["gateway"] == LOCAL_MACHINE
    assert "b via a" in by
    generated = by["b via a"]
    assert generated.kind == "hop" and generated.data["gateway"] == EntryRef("csv:inv.csv#a")
    assert by["target"].data["gateway"] == EntryRef(generated.key)
    assert any(d.code == "generated-hop" for d in res.diagnostics)


def test_hop_not_in_inventory_becomes_generated_entry_shared_by_users():
    hop = JumpHop(host="bastion.corp", port=2222, user="jump")
    res = mapped([host("x", jump=[hop]), host("y", jump=[hop])])
    hops = [e for e in res.state.entries if e.kind == "hop"]
    assert len(hops) == 1
    assert hops[0].data["host"] == "bastion.corp" and hops[0].data["port"] == 2222
    assert hops[0].data["identity"]["identityStore"]["username"] == "jump"
    for name in ("x", "y"):
        e = next(e for e in res.state.entries if e.name == name)
        assert e.data["gateway"] == EntryRef(hops[0].key)


def test_cycle_is_reported_with_the_chain_and_not_followed():
    res = mapped([host("a", jump=[ref("b")]), host("b", jump=[ref("a")]), host("c")])
    assert [e.name for e in res.state.entries] == ["c"]
    cycles = [d for d in res.diagnostics if d.code == "jump-cycle"]
    assert {d.entry for d in cycles} == {"a", "b"}
    assert any("a -> b -> a" in d.message or "b -> a -> b" in d.message for d in cycles)


def test_self_reference_is_reported():
    res = mapped([host("a", jump=[ref("a")])])
    assert res.state.entries == []
    assert [d.code for d in res.diagnostics] == ["jump-cycle"]


def test_identity_strategies_and_secret_encoding():
    h = host(
        "p",
        password=SecretStr("pw-123"),
        key_files=["~/.ssh/id_ed25519", "~/.ssh/other"],
        key_passphrase=SecretStr("phrase"),
    )
    data = mapped([h]).state.entries[0].data
    store = data["identity"]["identityStore"]
    assert data["identity"]["type"] == "inPlace" and store["type"] == "localIdentity" and store["username"] == "ops"
    pw, key = store["password"], store["sshIdentity"]
    assert isinstance(pw, Secret) and isinstance(key, Secret)
    assert pw.strategy["type"] == "inPlace" and decode_inplace(pw.strategy["value"]) == "pw-123"
    assert key.strategy["type"] == "file" and key.strategy["file"] == "~/.ssh/id_ed25519"
    assert decode_inplace(key.strategy["password"]["value"]) == "phrase"
    assert "IdentityFile ~/.ssh/other" in data["additionalOptions"]
    assert "pw-123" not in repr(pw) and "phrase" not in repr(key)


def test_password_policy_prompt_and_none():
    h = host("p", password=SecretStr("pw"))
    prompt = mapped([h], password_policy="prompt").state.entries[0].data["identity"]["identityStore"]
    assert prompt["password"].strategy == {"type": "prompt"}
    none = mapped([h], password_policy="none").state.entries[0].data["identity"]["identityStore"]
    assert none["password"].strategy == {"type": "none"}


def test_agent_and_default_key_strategies():
    assert (
        mapped([host("p", agent="pageant")])
        .state.entries[0]
        .data["identity"]["identityStore"]["sshIdentity"]
        .strategy["type"]
        == "pageant"
    )
    assert mapped([host("p")]).state.entries[0].data["identity"]["identityStore"]["sshIdentity"].strategy == {
        "type": "otherExternal"
    }


def test_options_travel_in_additional_options_and_unsafe_ones_are_reported():
    h = replace(
        host("o"),
        ssh_options=[
            ("ServerAliveInterval", "30"),
            ("ProxyCommand", "nc %h %p"),
            ("LocalCommand", "rm x"),
            ("ForwardX11", "yes"),
            ("HostKeyAlias", "o-alias"),
        ],
        proxy_command="nc %h %p",
    )
    res = mapped([h])
    data = res.state.entries[0].data
    assert data["additionalOptions"] == "ServerAliveInterval 30\nHostKeyAlias o-alias"
    assert data["forwardX11"] is True
    codes = [d.code for d in res.diagnostics]
    assert codes.count("unsafe-option") == 2 and "proxy-command" in codes


def test_name_collisions_get_folder_suffix_deterministically():
    hosts = [
        host("web", category=["Prod"], file="a.csv"),
        host("WEB", category=["Test"], file="b.csv"),
        host("web", category=["Prod"], file="c.csv"),
    ]
    res = mapped(hosts)
    names = [e.name for e in res.state.entries]
    assert names == ["web (Prod)", "WEB (Test)", "web (Prod) #2"]
    assert len([d for d in res.diagnostics if d.code == "name-collision"]) == 3
    assert mapped(hosts).state.entries[2].name == "web (Prod) #2"


def test_categories_cover_every_folder_below_the_root():
    res = mapped([host("a", category=["Prod", "Web"]), host("b")], root_category=("Imported", "Lab"))
    paths = [c.path for c in res.state.categories]
    assert paths == [
        ("All connections", "Imported"),
        ("All connections", "Imported", "Lab"),
        ("All connections", "Imported", "Lab", "Prod"),
        ("All connections", "Imported", "Lab", "Prod", "Web"),
    ]
    assert res.state.entries[0].category == ("All connections", "Imported", "Lab", "Prod", "Web")


def test_key_paths_reach_the_vault_as_the_source_gave_them():
    # token expansion is the ssh_config source's job: the mapper never rewrites a path
    h = Host(
        key="ssh_config:cfg#web",
        name="web",
        address="web.example.net",
        user="ops",
        credentials=Credentials(key_files=["~/.ssh/id_%h_%r"]),
        source=Provenance(format="ssh_config", file="cfg", line=3),
    )
    res = mapped([h])
    key = res.state.entries[0].data["identity"]["identityStore"]["sshIdentity"].strategy
    assert key["file"] == "~/.ssh/id_%h_%r"
    assert not any(d.code.startswith("key-path") for d in res.diagnostics)


def test_no_keys_and_no_agent_in_the_source_map_to_the_none_key_strategy():
    h = host("p", identities_only=True, identity_agent="none", password=SecretStr("pw"))
    data = mapped([h]).state.entries[0].data
    assert data["identity"]["identityStore"]["sshIdentity"].strategy == {"type": "none"}
    assert data["additionalOptions"] is None
    only = host("q", identities_only=True)
    data = mapped([only]).state.entries[0].data
    assert data["identity"]["identityStore"]["sshIdentity"].strategy == {"type": "otherExternal"}
    assert data["additionalOptions"] == "IdentitiesOnly yes"


def _hops(n, prefix="h"):
    return [JumpHop(host=f"{prefix}{i}.example.net", user="j") for i in range(n)]


def test_a_jump_chain_of_the_cap_is_mapped_and_a_longer_one_is_not_imported_without_orphan_hops():
    from migrator.sources.limits import MAX_JUMP_HOPS

    res = mapped([host("ok", jump=_hops(MAX_JUMP_HOPS)), host("long", jump=_hops(MAX_JUMP_HOPS + 1, "x"))])
    names = [e.name for e in res.state.entries]
    assert "ok" in names and "long" not in names
    assert len([e for e in res.state.entries if e.kind == "hop"]) == MAX_JUMP_HOPS  # none of "long"'s
    (too_long,) = [d for d in res.diagnostics if d.code == "jump-too-long"]
    assert too_long.entry == "long" and too_long.field == "jump" and str(MAX_JUMP_HOPS) in too_long.message


def test_a_chain_through_inventory_hosts_counts_their_hops_too():
    """b jumps through a (30 hops of its own): b's own 3 more hops pass the cap, before any is generated."""
    from migrator.sources.limits import MAX_JUMP_HOPS

    a = host("a", jump=_hops(MAX_JUMP_HOPS - 2))
    b = host("b", jump=[ref("a"), *_hops(3, "y")])
    res = mapped([a, b])
    assert [d.entry for d in res.diagnostics if d.code == "jump-too-long"] == ["b"]
    assert "b" not in [e.name for e in res.state.entries]
    assert not [e for e in res.state.entries if e.kind == "hop" and e.name.startswith("y")]


def test_thousands_of_hosts_each_jumping_through_the_previous_end_in_diagnostics():
    """Each host's first hop is resolved before it: 2,000 of them used to recurse 4,000 frames deep."""
    from migrator.sources.limits import MAX_JUMP_HOPS

    hosts = [host("h0")] + [host(f"h{i}", jump=[ref(f"h{i - 1}")]) for i in range(1, 2000)]
    res = mapped(list(reversed(hosts)))
    imported = {e.name for e in res.state.entries}
    assert {f"h{i}" for i in range(MAX_JUMP_HOPS + 1)} <= imported and "h1999" not in imported
    assert len([d for d in res.diagnostics if d.code == "jump-too-long"]) >= 1999 - MAX_JUMP_HOPS
