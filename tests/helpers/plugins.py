"""Source plugins as users install them: a real wheel, installed by pip, found through its entry points.

The wheel is written here (a zip with its ``.dist-info``: METADATA, WHEEL, entry_points.txt and a
RECORD of sha256 digests) rather than built by setuptools, so the tests need neither a build
backend nor the network. pip then installs it with ``--target`` into a folder that the CLI
subprocess gets on ``PYTHONPATH``: the same discovery path (``importlib.metadata``) as a plugin
installed into a virtual environment.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers.paths import REPO_ROOT

HOSTLIST = REPO_ROOT / "tests" / "data" / "plugins" / "hostlist"
GROUP = "xpipe_migrate.sources"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out: Path, dist: str, version: str, files: dict[str, str], entry_points: dict[str, str]) -> Path:
    """A pure-Python wheel of ``files`` (archive path -> text) registering ``entry_points`` (name -> value)."""
    norm = dist.replace("-", "_")
    info = f"{norm}-{version}.dist-info"
    members = dict(files)
    members[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
    members[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: xpipe-migrate-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    members[f"{info}/entry_points.txt"] = f"[{GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    record = [_record_line(name, text.encode()) for name, text in members.items()]
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = "\n".join(record) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return wheel


def hostlist_wheel(out: Path) -> Path:
    """The example plugin of ``tests/data/plugins/hostlist`` as a wheel."""
    package = HOSTLIST / "xpipe_migrate_hostlist"
    files = {f"xpipe_migrate_hostlist/{p.name}": p.read_text() for p in sorted(package.glob("*.py"))}
    return build_wheel(
        out, "xpipe-migrate-hostlist", "1.0", files, {"hostlist": "xpipe_migrate_hostlist:HostListSource"}
    )


def pip_install(wheels: list[Path], target: Path) -> None:
    """``pip install --target``: offline, no dependencies (xpipe-migrate itself is already there)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target)]
        + [str(w) for w in wheels],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def run_cli(args: list[str], plugins: Path | None, cwd: Path, env: dict | None = None, timeout: int = 120):
    """``xpipe-migrate ARGS`` in a subprocess, with the plugin folder (if any) on ``PYTHONPATH``."""
    path = [str(plugins)] if plugins is not None else []
    environ = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join([*path, str(REPO_ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "migrator", "--no-progress", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=timeout,
    )
