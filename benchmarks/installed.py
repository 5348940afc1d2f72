"""The environment of a benchmark's child process: a checkout run as an installed copy runs.

pip compiles a wheel's modules when it installs them; a checkout on ``PYTHONPATH`` under
``PYTHONDONTWRITEBYTECODE`` (set on some machines, this one included) compiles every module again on
each start, about 0.1 s that no user pays. So the children get ``tree`` first on the path and its
bytecode compiled once, into ``cache`` (``PYTHONPYCACHEPREFIX``, outside the checkout).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def installed_env(tree: Path, cache: Path) -> dict[str, str]:
    """The children's environment for the checkout in ``tree``, its bytecode compiled into ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=str(cache))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "migrator")], env=env, check=True)
    # one start before the first measurement: the first start of a tree also reads every file from disk
    subprocess.run([sys.executable, "-m", "migrator", "--help"], cwd=tree, env=env, check=True, capture_output=True)
    return env
