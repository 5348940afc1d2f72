"""Paths the user writes: ``~`` and ``~user`` expanded the one way every command and source does.

``Path.expanduser`` raises ``RuntimeError`` for a ``~name`` that names no user (an internal error
for a typo); ``os.path.expanduser``, like a shell and OpenSSH, leaves such a path as written, and
reading it then fails with the usual one line ("cannot read: No such file or directory").
"""

from __future__ import annotations

import os
from pathlib import Path


def expand_home(value: str | os.PathLike) -> Path:
    """``value`` with a leading ``~`` (the home folder) or ``~user`` expanded; unknown users left as written."""
    return Path(os.path.expanduser(os.fspath(value)))
