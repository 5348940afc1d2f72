"""SecureCRT: the session folder and the XML export, and SecureCRT's password schemes.

What detection needs of the folder layout lives here, so that detecting formats imports no reader.
"""

from __future__ import annotations

from pathlib import Path


def sessions_folder(path: Path) -> tuple[Path, Path | None] | None:
    """``(Sessions folder, Config folder or None)`` for a path naming either; None for neither."""
    if path.name.casefold() == "sessions" and path.is_dir():
        return path, None
    for child in (path / "Sessions", path / "sessions"):
        if child.is_dir():
            return child, path
    return None
