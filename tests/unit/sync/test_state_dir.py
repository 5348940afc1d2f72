"""Where ad-hoc runs keep their ledger: the per-user state folder of each OS, one file per vault and root."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.sync.state import default_state_path, ensure_private_dir, user_state_dir, vault_identity
from migrator.xpipe.target import TargetOptions


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_STATE_HOME": "/srv/state"}, Path("/srv/state/xpipe-migrate")),
        ("linux", {"XDG_STATE_HOME": "relative/ignored"}, Path.home() / ".local/state/xpipe-migrate"),
        ("linux", {}, Path.home() / ".local/state/xpipe-migrate"),
        ("darwin", {"XDG_STATE_HOME": "/srv/state"}, Path.home() / "Library/Application Support/xpipe-migrate"),
        ("win32", {"LOCALAPPDATA": "C:/Users/ann/AppData/Local"}, Path("C:/Users/ann/AppData/Local/xpipe-migrate")),
    ],
)
def test_user_state_dir_per_os(platform, env, expected):
    assert user_state_dir(env=env, platform=platform) == expected


def test_one_ledger_per_vault_and_root_category(tmp_path):
    real = TargetOptions(target="http://127.0.0.1:21721")
    a = default_state_path(real, "http://127.0.0.1:21721", ("Imported",), tmp_path)
    assert a == default_state_path(real, "HTTP://127.0.0.1:21721/", ("imported",), tmp_path)
    assert a != default_state_path(real, "http://127.0.0.1:21722", ("Imported",), tmp_path)
    assert a != default_state_path(real, "http://127.0.0.1:21721", ("Imported", "Team"), tmp_path)
    assert a.parent == tmp_path and a.suffix == ".sqlite"
    # the embedded simulator: its vault folder is the identity; without one there is no lasting vault
    assert default_state_path(TargetOptions(target="embedded"), "http://127.0.0.1:5", ("Imported",), tmp_path) is None
    kept = TargetOptions(target="embedded", embedded_state=str(tmp_path / "vault"))
    assert vault_identity(kept, "http://127.0.0.1:5") == f"embedded:{(tmp_path / 'vault').resolve().as_posix()}"
    assert vault_identity(kept, "http://127.0.0.1:5") == vault_identity(kept, "http://127.0.0.1:6")


def test_state_folders_are_private(tmp_path):
    deep = tmp_path / "a" / "b"
    ensure_private_dir(deep)
    assert (deep.stat().st_mode & 0o777, (tmp_path / "a").stat().st_mode & 0o777) == (0o700, 0o700)
