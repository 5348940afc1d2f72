"""The bundled data, the mapping profiles and the samples, wherever the package was installed from.

The repository keeps them as the top-level folders ``mappings/`` and ``samples/`` (data, not code).
A wheel carries them inside this package: ``pyproject.toml`` maps the two folders to
``migrator.data.mappings`` and ``migrator.data.samples`` at build time. They are read through
``importlib.resources``, so a zipped install works too. An editable install (``pip install -e .``)
or a plain checkout has no copy in the package, so the folder at the top of the checkout is used.
This module is the one place that knows where the bundled data lives.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import InputError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

MAPPINGS = "mappings"
SAMPLES = "samples"


def bundled(name: str) -> Traversable:
    """The bundled folder ``name`` (``MAPPINGS`` or ``SAMPLES``)."""
    inside = files(__name__) / name
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise InputError(f"the bundled {name}/ folder is missing from this installation of xpipe-migrate; reinstall it")


def copy_tree(source: Traversable, dest: Path) -> int:
    """Copy a bundled folder (files and sub-folders) to ``dest``; returns how many files were written."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            count += copy_tree(entry, dest / entry.name)
        else:
            (dest / entry.name).write_bytes(entry.read_bytes())
            count += 1
    return count


@contextmanager
def bundled_folder(name: str) -> Iterator[Path]:
    """The bundled folder as a real directory: itself when installed as files, else a temporary copy.

    Sources read paths (and resolve relative key files and includes beside them), so a zipped
    install is unpacked for the duration.
    """
    root = bundled(name)
    if isinstance(root, Path):
        yield root
        return
    with tempfile.TemporaryDirectory(prefix=f"xpipe-migrate-{name}-") as tmp:
        copy_tree(root, Path(tmp) / name)
        yield Path(tmp) / name
