"""The simulator's optional vault persistence (``state_dir``)."""

from __future__ import annotations

import json
import stat

import pytest
from helpers.simulator import VERSIONS, Api, inplace_password, local_identity, ssh

from migrator.errors import InputError
from migrator.simulator import Simulator
from migrator.xpipe import constants as C


def started(version: str, state_dir) -> Api:
    sim = Simulator(version, state_dir=state_dir).start()
    client = Api(sim)
    client.login_key()
    return client


@pytest.mark.parametrize("version", VERSIONS)
def test_vault_survives_a_new_simulator_on_the_same_state_dir(tmp_path, version):
    first = started(version, tmp_path)
    try:
        prod = first.add_category("Prod", C.ALL_CONNECTIONS)
        identity = first.add(
            "id:Deploy", local_identity(password=inplace_password("s3cret")), category=C.LOCAL_IDENTITIES
        )
        wrapper = first.encrypt(json.dumps(inplace_password("other")))
        bastion = first.add("Bastion", ssh("10.0.0.1", identity={"type": "ref", "ref": identity}), category=prod)
        inner = first.add(
            "Inner",
            ssh(
                "10.1.0.1",
                gateway=bastion,
                identity={"type": "inPlace", "identityStore": local_identity(password=wrapper)},
            ),
            category=prod,
        )
        loose_secret = first.encrypt("kept across restarts")
        before = first.info([identity, bastion, inner])
        found_before = first.query()
    finally:
        first.sim.stop()

    state_file = tmp_path / "vault.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["vault.json"]
    assert "s3cret" not in state_file.read_text() and "kept across" not in state_file.read_text()

    second = started(version, tmp_path)
    try:
        assert second.query() == found_before
        after = second.info([identity, bastion, inner])
        for old, new in zip(before, after, strict=True):
            assert (new["name"], new["category"], new["rawData"], new["lastModified"]) == (
                old["name"],
                old["category"],
                old["rawData"],
                old["lastModified"],
            )
        assert after[2]["rawData"]["identity"]["identityStore"]["password"] == wrapper
        assert second.decrypt(loose_secret) == "kept across restarts"
        assert second.sim.vault.entries[bastion].name == "Bastion"
        assert second.add_category("Prod", C.ALL_CONNECTIONS) == prod
        assert (
            second.add("id:again", local_identity(password=inplace_password("s3cret")), category=C.LOCAL_IDENTITIES)
            == identity
        )
        assert second.remove_response([bastion]).status_code == 200
    finally:
        second.sim.stop()

    third = started(version, tmp_path)
    try:
        assert set(third.sim.vault.entries) == {C.LOCAL_MACHINE, identity}
    finally:
        third.sim.stop()

    with Simulator(version) as unrelated:
        api = Api(unrelated)
        api.login_key()
        assert api.decrypt(loose_secret) == ""


def test_bursts_of_mutations_are_all_saved(tmp_path):
    api = started("23.8", tmp_path)
    try:
        created = [api.add(f"burst-{i}", ssh(f"10.5.0.{i}")) for i in range(40)]
    finally:
        api.sim.stop()
    saved = json.loads((tmp_path / "vault.json").read_text())
    assert {entry["uuid"] for entry in saved["entries"]} >= set(created)


def test_restart_keeps_the_vault_and_saves_it(tmp_path):
    api = started("24.0", tmp_path)
    try:
        created = api.add("before-restart", ssh("10.6.0.1"))
        api.sim.restart()
        saved = json.loads((tmp_path / "vault.json").read_text())
        assert created in {entry["uuid"] for entry in saved["entries"]}
        api.login_key()
        assert created in api.query()
    finally:
        api.sim.stop()


def test_entries_that_fail_to_load_are_kept_but_hidden(tmp_path):
    api = started("23.8", tmp_path)
    try:
        kept = api.add("kept", ssh("10.7.0.1"))
    finally:
        api.sim.stop()
    state_file = tmp_path / "vault.json"
    state = json.loads(state_file.read_text())
    broken = next(entry for entry in state["entries"] if entry["uuid"] == kept)
    broken["data"]["type"] = "sshFromTheFuture"
    state_file.write_text(json.dumps(state))

    api = started("23.8", tmp_path)
    try:
        assert api.sim.vault.validity(kept) == "LOAD_FAILED"
        assert kept not in api.query()
        info = api.one(kept)
        assert (info["type"], info["rawData"]) == ("sshFromTheFuture", None)
        replacement = api.add("kept", ssh("10.7.0.1"))
        assert replacement != kept
    finally:
        api.sim.stop()
    saved = {entry["uuid"]: entry for entry in json.loads(state_file.read_text())["entries"]}
    assert saved[kept]["data"]["type"] == "sshFromTheFuture"


@pytest.mark.parametrize("content", ["not json", "{}", '{"format": "xpipe-migrate-simulator-vault"}'])
def test_a_damaged_state_file_is_an_input_error(tmp_path, content):
    (tmp_path / "vault.json").write_text(content)
    with pytest.raises(InputError, match="cannot load the simulator vault"):
        Simulator("23.8", state_dir=tmp_path)
