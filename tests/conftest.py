"""Shared fixtures: a real simulator on 127.0.0.1 per test, for both API generations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

VERSIONS = ("23.8", "24.0")


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory, monkeypatch):
    """Ad-hoc runs keep a ledger in the user's state folder: never the real one in tests."""
    state = tmp_path_factory.mktemp("state-home")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "xpipe-migrate"


@pytest.fixture(params=VERSIONS)
def sim(request, tmp_path):
    with Simulator(version=request.param, auth_file=tmp_path / "xpipe" / "beacon-auth") as s:
        yield s


@pytest.fixture
def client(sim):
    c = XPipeClient(sim.url, LocalAuth(sim.auth_file), retries=1, backoff=0, timeout=10, first_timeout=10)
    c.connect()
    yield c
    c.close()


@pytest.fixture(scope="module")
def workdir():
    """One scratch folder per test module (the fuzz tests write many small files into it)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)
