"""Credentials end to end over HTTP: shared identities, secrets round-trip, key checks, names."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest
from helpers.csv_files import write_csv

from migrator.apply.loader import Loader
from migrator.cli import main
from migrator.manager import plan_inventory, read_sources
from migrator.mapper.ssh_store import MapperOptions
from migrator.xpipe.constants import LOCAL_IDENTITIES, LOCAL_MACHINE
from migrator.xpipe.inplace import decode_inplace

SECRETS = {"pw-alpha-31", "pw-bravo-32", "pw-charlie-33", "kp-delta-34", "pw-changed-35", "kp-wrong-36"}


def make_key(path: Path, passphrase: str | None = None) -> Path:
    paramiko.RSAKey.generate(1024).write_private_key_file(str(path), password=passphrase)
    return path


@pytest.fixture
def keys(tmp_path) -> dict[str, Path]:
    return {"k1": make_key(tmp_path / "id_k1", "kp-delta-34"), "k2": make_key(tmp_path / "id_k2")}


def five_credentials(keys) -> list[dict]:
    return [
        {"user": "deploy", "password": "pw-alpha-31"},
        {"user": "deploy", "password": "pw-bravo-32"},
        {"user": "root", "key_file": str(keys["k1"]), "key_passphrase": "kp-delta-34"},
        {"user": "admin", "key_file": str(keys["k2"])},
        {"user": "ops", "password": "pw-charlie-33", "key_file": str(keys["k2"])},
    ]


def inventory_300(tmp_path, keys, creds=None) -> Path:
    creds = creds or five_credentials(keys)
    rows = [
        {
            "name": f"srv-{i:03d}",
            "host": f"10.0.{i // 250}.{i % 250 + 1}",
            "port": "22",
            "folder": f"Site{i % 3}",
            **creds[i % 5],
        }
        for i in range(300)
    ]
    return write_csv(tmp_path / "servers.csv", rows)


def run(client, path, **opts):
    plan = plan_inventory(client, read_sources([str(path)]), MapperOptions(**opts))
    return plan, Loader(client, progress=False).apply(plan)


def writes(sim) -> int:
    return sum(n for p, n in sim.requests.items() if p.endswith(("/add", "/remove")))


def test_300_hosts_with_5_credentials_share_5_identities(sim, client, tmp_path, keys):
    path = inventory_300(tmp_path, keys)
    plan, result = run(client, path)
    idents = [c for c in plan.changes if c.kind == "identity"]
    hosts = [c for c in plan.changes if c.kind == "host"]
    assert len(idents) == 5 and len(hosts) == 300
    assert all(c.entry.data["identity"]["type"] == "ref" for c in hosts)
    assert not result.failed, result.failed[:3]
    ident_uuids = {o.uuid for o in result.outcomes if o.change.kind == "identity"}
    infos, _ = client.store_info(client.query_stores("all connections/imported/**", "**", "ssh"))
    assert len(infos) == 300
    assert {i["rawData"]["identity"]["ref"] for i in infos} == ident_uuids
    id_infos, _ = client.store_info(sorted(ident_uuids))
    assert {tuple(i["category"]) for i in id_infos} == {("local",)}
    assert sim.requests["/secret/encrypt"] <= 10

    sim.reset_counters()
    again, result2 = run(client, path)
    assert not again.has_changes
    assert sim.requests["/secret/encrypt"] == 0 and writes(sim) == 0


def test_changing_one_password_updates_exactly_one_identity(sim, client, tmp_path, keys):
    run(client, inventory_300(tmp_path, keys))
    creds = five_credentials(keys)
    creds[1] = {"user": "deploy", "password": "pw-changed-35"}
    path = inventory_300(tmp_path, keys, creds)
    sim.reset_counters()
    plan, result = run(client, path)
    changed = [c for c in plan.changes if c.action != "unchanged"]
    assert [(c.kind, c.action) for c in changed] == [("identity", "update")]
    assert [f.path for f in changed[0].fields] == ["password"]
    assert writes(sim) == 1 and sim.requests["/secret/encrypt"] == 1
    node = client.store_info([changed[0].uuid])[0][0]["rawData"]["password"]
    assert decode_inplace(json.loads(client.decrypt(node))["value"]) == "pw-changed-35"


def test_every_identity_secret_round_trips(sim, client, tmp_path, keys):
    path = inventory_300(tmp_path, keys)
    _, result = run(client, path)
    by_user: dict[str, list[dict]] = {}
    infos, _ = client.store_info([o.uuid for o in result.outcomes if o.change.kind == "identity"])
    for info in infos:
        raw = info["rawData"]
        by_user.setdefault(raw["username"], []).append(
            {
                "password": json.loads(client.decrypt(raw["password"])),
                "key": json.loads(client.decrypt(raw["sshIdentity"])),
            }
        )
    deploy = sorted(decode_inplace(d["password"]["value"]) for d in by_user["deploy"])
    assert deploy == ["pw-alpha-31", "pw-bravo-32"]
    (root,) = by_user["root"]
    assert root["password"] == {"type": "none"}
    assert root["key"]["type"] == "file" and root["key"]["file"] == str(keys["k1"])
    assert decode_inplace(root["key"]["password"]["value"]) == "kp-delta-34"
    (admin,) = by_user["admin"]
    assert admin["key"]["file"] == str(keys["k2"]) and admin["key"]["password"] == {"type": "none"}
    (ops,) = by_user["ops"]
    assert decode_inplace(ops["password"]["value"]) == "pw-charlie-33" and ops["key"]["file"] == str(keys["k2"])


def test_one_off_credentials_stay_in_place_and_threshold_is_an_option(sim, client, tmp_path, keys):
    path = write_csv(
        tmp_path / "s.csv",
        [
            {"name": "a", "host": "a.example.net", "user": "u", "password": "pw-alpha-31"},
            {"name": "b", "host": "b.example.net", "user": "u", "password": "pw-alpha-31"},
            {"name": "c", "host": "c.example.net", "user": "u", "password": "pw-bravo-32"},
        ],
    )
    plan, _ = run(client, path)
    kinds = {c.name: c.entry.data.get("identity", {}).get("type") for c in plan.changes if c.kind == "host"}
    assert kinds == {"a": "ref", "b": "ref", "c": "inPlace"}
    assert sum(1 for c in plan.changes if c.kind == "identity") == 1
    assert plan.identities == {"shared": 1, "refs": 2, "inplace": 1, "existing": 0, "secrets_saved": 1}
    plan3 = plan_inventory(client, read_sources([str(path)]), MapperOptions(identity_threshold=3))
    assert not any(c.kind == "identity" for c in plan3.changes)


def test_bad_passphrase_and_public_key_fail_the_plan_not_the_apply(sim, client, tmp_path, keys):
    pub = tmp_path / "id_k2.pub"
    pub.write_text(f"ssh-rsa {paramiko.RSAKey(filename=str(keys['k2'])).get_base64()} me@x\n")
    path = write_csv(
        tmp_path / "s.csv",
        [
            {"name": "good", "host": "g.example.net", "user": "u", "key_file": str(keys["k2"])},
            {
                "name": "badpass",
                "host": "b.example.net",
                "user": "u",
                "key_file": str(keys["k1"]),
                "key_passphrase": "kp-wrong-36",
            },
            {"name": "pubkey", "host": "p.example.net", "user": "u", "key_file": str(pub)},
            {"name": "behind", "host": "h.example.net", "user": "u", "jump": "badpass"},
            {"name": "nopass", "host": "n.example.net", "user": "u", "key_file": str(keys["k1"])},
        ],
    )
    plan = plan_inventory(client, read_sources([str(path)]))
    names = {c.name for c in plan.changes if c.kind == "host"}
    assert names == {"good", "nopass"}
    errors = {(d.entry, d.code) for d in plan.diagnostics if d.level == "error"}
    assert ("badpass", "key-bad-passphrase") in errors and ("pubkey", "key-public-key") in errors
    assert ("behind", "jump-host-not-imported") in errors
    assert all("kp-wrong-36" not in d.message for d in plan.diagnostics)
    nopass = next(c for c in plan.changes if c.name == "nopass")
    key = nopass.entry.data["identity"]["identityStore"]["sshIdentity"].strategy
    assert key["password"] == {"type": "prompt"}


def test_existing_identity_is_referenced_never_duplicated(sim, client, tmp_path):
    theirs = client.add_store(
        "Team ops key",
        {"type": "localIdentity", "username": "ops", "password": {"type": "none"}, "sshIdentity": {"type": "sshAgent"}},
        category=LOCAL_IDENTITIES,
    )
    path = write_csv(tmp_path / "s.csv", [{"name": "x", "host": "x.example.net", "user": "ops"}])
    inv = read_sources([str(path)])
    inv.hosts[0] = replace(inv.hosts[0], credentials=replace(inv.hosts[0].credentials, identity="team OPS key"))
    plan = plan_inventory(client, inv)
    (host,) = [c for c in plan.changes if c.kind == "host"]
    assert not any(c.kind == "identity" for c in plan.changes)
    result = Loader(client, progress=False).apply(plan)
    assert not result.failed
    raw = client.store_info([result.outcomes[-1].uuid])[0][0]["rawData"]
    assert raw["identity"] == {"type": "ref", "ref": theirs}
    inv.hosts[0] = replace(inv.hosts[0], credentials=replace(inv.hosts[0].credentials, identity="nobody's key"))
    plan = plan_inventory(client, inv)
    assert [c.action for c in plan.changes if c.kind == "host"] == ["conflict"]
    assert any(d.code == "identity-not-found" for d in plan.diagnostics)


def test_name_clash_with_another_type_is_refused_or_renamed(sim, client, tmp_path):
    client.add_store(
        "db1",
        {"type": "localIdentity", "username": "x", "password": {"type": "none"}, "sshIdentity": {"type": "none"}},
        category=LOCAL_IDENTITIES,
    )
    path = write_csv(tmp_path / "s.csv", [{"name": "db1", "host": "db1.example.net", "folder": "Prod"}])
    plan = plan_inventory(client, read_sources([str(path)]))
    (c,) = [c for c in plan.changes if c.kind == "host"]
    assert c.action == "conflict" and "localIdentity" in c.reason
    plan = plan_inventory(client, read_sources([str(path)]), MapperOptions(name_clash="rename"))
    (c,) = [c for c in plan.changes if c.kind == "host"]
    assert c.action == "create" and c.name == "db1 (Imported/Prod)"
    result = Loader(client, progress=False).apply(plan)
    assert not result.failed


def test_chain_through_shared_identities_reads_back(sim, client, tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        [
            {"name": "a", "host": "a.example.net", "user": "j", "password": "pw-alpha-31"},
            {"name": "b", "host": "b.example.net", "user": "j", "password": "pw-alpha-31", "jump": "a"},
            {"name": "target", "host": "t.example.net", "user": "j", "password": "pw-alpha-31", "jump": "b"},
        ],
    )
    plan, result = run(client, path)
    assert not result.failed
    uuids = {o.change.name: o.uuid for o in result.outcomes if o.change.kind == "host"}
    raw = {i["uuid"]: i["rawData"] for i in client.store_info(list(uuids.values()))[0]}
    assert raw[uuids["a"]]["gateway"] == LOCAL_MACHINE
    assert raw[uuids["b"]]["gateway"] == uuids["a"] and raw[uuids["target"]]["gateway"] == uuids["b"]
    assert len({r["identity"]["ref"] for r in raw.values()}) == 1


def test_no_secret_in_outputs_reports_or_state(tmp_path, keys, capsys):
    path = inventory_300(tmp_path, keys)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    state = tmp_path / "vault"
    common = ["--target", "embedded", "--embedded-state", str(state)]
    for argv in (
        ["inspect", str(path), "--format", "json"],
        ["plan", str(path), *common, "--format", "json"],
        [
            "apply",
            str(path),
            *common,
            "--yes",
            "--report",
            f"markdown={out_dir / 'a.md'}",
            "--report",
            f"json={out_dir / 'a.json'}",
        ],
        ["plan", str(path), *common, "--show-unchanged"],
    ):
        main(["--no-progress", *argv])
    captured = capsys.readouterr()
    texts = [captured.out, captured.err] + [p.read_text(errors="replace") for p in out_dir.iterdir()]
    texts += [p.read_bytes().decode("utf-8", "replace") for p in state.rglob("*") if p.is_file()]
    blob = "\n".join(texts)
    assert "srv-299" in blob and len(list(state.rglob("*"))) > 0
    leaked = [s for s in SECRETS if s in blob]
    assert leaked == []


def test_credential_columns_choose_identity_password_manager_and_agent(sim, client, tmp_path, capsys):
    team = client.add_store(
        "Team ops key",
        {"type": "localIdentity", "username": "ops", "password": {"type": "none"}, "sshIdentity": {"type": "sshAgent"}},
        category=LOCAL_IDENTITIES,
    )
    path = tmp_path / "s.csv"
    path.write_text(
        "name,host,user,identity,password_ref,agent\n"
        "a,a.example.net,ops,Team ops key,,\n"
        "b,b.example.net,svc,,vault/items/b-login,\n"
        "c,c.example.net,win,,,Pageant\n"
        "d,d.example.net,x,,,telepathy\n",
        encoding="utf-8",
    )
    inv = read_sources([str(path)])
    assert [(d.line, d.field) for d in inv.diagnostics if d.level == "error"] == [(5, "agent")]
    plan = plan_inventory(client, inv)
    data = {c.name: c.entry.data for c in plan.changes if c.kind == "host"}
    assert set(data) == {"a", "b", "c"}
    assert data["a"]["identity"]["type"] == "ref" and plan.external
    assert data["b"]["identity"]["identityStore"]["password"].strategy == {
        "type": "passwordManager",
        "key": "vault/items/b-login",
    }
    assert data["c"]["identity"]["identityStore"]["sshIdentity"].strategy["type"] == "pageant"
    result = Loader(client, progress=False).apply(plan)
    assert not result.failed
    a = next(o.uuid for o in result.outcomes if o.change.name == "a")
    assert client.store_info([a])[0][0]["rawData"]["identity"] == {"type": "ref", "ref": team}


def test_one_identity_for_every_connection_from_the_command_line(sim, client, tmp_path, capsys):
    team = client.add_store(
        "Team ops key",
        {"type": "localIdentity", "username": "ops", "password": {"type": "none"}, "sshIdentity": {"type": "sshAgent"}},
        category=LOCAL_IDENTITIES,
    )
    path = write_csv(
        tmp_path / "s.csv",
        [{"name": f"h{i}", "host": f"h{i}.example.net", "user": "u", "password": "pw-alpha-31"} for i in range(4)],
    )
    code = main(
        [
            "--no-progress",
            "apply",
            str(path),
            "--target",
            sim.url,
            "--auth-file",
            str(sim.auth_file),
            "--identity",
            "Team ops key",
            "--yes",
            "--format",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and not any(c["kind"] == "identity" for c in doc["changes"])
    infos, _ = client.store_info(client.query_stores("all connections/imported", "**", "ssh"))
    assert {i["rawData"]["identity"]["ref"] for i in infos} == {team} and len(infos) == 4
