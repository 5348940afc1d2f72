"""Where a run without a job file keeps its ledger: one per target vault and root category.

Ownership (drift, ``--adopt``, guarded ``--prune``) needs to remember what this tool wrote, so ad-hoc
``plan``/``apply`` keep a ledger in the user's state folder by default, keyed by a digest of the
vault's identity and the root category. The vault's identity is the URL actually talked to (after
discovery) for a real daemon, and the vault folder for ``--target embedded --embedded-state DIR``.
The embedded simulator without a state folder has a fresh vault on every run: no ledger then, unless
``--state FILE`` names one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from migrator.xpipe.target import EMBEDDED, TargetOptions

APP_DIR = "xpipe-migrate"


def user_state_dir(env: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The per-user state folder of this OS (XDG_STATE_HOME on Linux), with this tool's sub-folder."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = env.get("XDG_STATE_HOME") or ""
        if not Path(base).is_absolute():  # the XDG spec: a relative value is invalid and ignored
            base = str(Path.home() / ".local" / "state")
    return Path(base) / APP_DIR


def has_persistent_vault(opts: TargetOptions) -> bool:
    """False for the embedded simulator without a state folder: its vault is gone after the run."""
    return opts.target != EMBEDDED or bool(opts.embedded_state)


def vault_identity(opts: TargetOptions, base_url: str) -> str | None:
    """What names the vault: the daemon's URL (scheme, host, port), or the embedded vault's folder."""
    if opts.target == EMBEDDED:
        return f"embedded:{Path(opts.embedded_state).resolve().as_posix()}" if opts.embedded_state else None
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def default_state_path(
    opts: TargetOptions, base_url: str, root_category: tuple[str, ...], state_dir: Path | None = None
) -> Path | None:
    """``<state dir>/xpipe-migrate/<digest of vault and root>.sqlite``, or None without a lasting vault."""
    identity = vault_identity(opts, base_url)
    if identity is None:
        return None
    text = identity + "\n" + "/".join(s.casefold() for s in root_category)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    return (state_dir or user_state_dir()) / f"ledger-{digest}.sqlite"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by the user only; an existing folder is left as is."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
