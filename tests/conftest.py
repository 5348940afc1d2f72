"""Shared fixtures: a real simulator on 127.0.0.1 per test, for both API generations.

Hypothesis runs derandomized by default, so the suite draws the same examples on every machine and
every day. A deeper randomized run: ``HYPOTHESIS_PROFILE=deep python -m pytest -q tests`` (README,
"Tests").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers.simulator import VERSIONS
from hypothesis import settings

from migrator.simulator import Simulator
from migrator.xpipe.auth import LocalAuth
from migrator.xpipe.client import XPipeClient

settings.register_profile("default", derandomize=True, database=None, print_blob=True)
settings.register_profile("deep", derandomize=False, database=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_report_header(config):
    """The OpenSSH the ssh_config oracle tests compare with, and its version-dependent behaviour."""
    try:
        from helpers.ssh_config import openssh_quirks, openssh_version

        quirks = ", ".join(sorted(openssh_quirks())) or "none"
        return f"ssh oracle: {openssh_version()}; older behaviours: {quirks}"
    except Exception as exc:  # noqa: BLE001 - a header must never stop the run
        return f"ssh oracle: unavailable ({type(exc).__name__})"


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
