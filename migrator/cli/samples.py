"""``xpipe-migrate samples [DIR]``: copy the bundled samples out of the package into a folder.

An installed package is no place to run a job from: the bundled job writes its ledger, the
simulator's vault and its reports to ``out/`` beside the samples folder. Copied to ``./samples``,
the samples sit exactly as in the project folder, so every example in the README
(``xpipe-migrate sync samples/job.toml --dry-run``, ``inspect samples/servers.csv``) runs as written.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from migrator.data import SAMPLES, bundled, copy_tree
from migrator.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser("samples", help="copy the bundled samples (inventories and the sample job) to DIR")
    p.add_argument(
        "dir",
        nargs="?",
        default=SAMPLES,
        metavar="DIR",
        help="where to copy them; must not exist or be empty (default: ./samples)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    dest = Path(args.dir)
    if dest.is_symlink() and not dest.exists():
        raise InputError(f"{dest}: is a link to nothing; name another DIR")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"{dest}: already exists and is not an empty folder; name another DIR")
    parent = next((p for p in dest.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"{dest}: {parent} is not a folder; name another DIR")
    try:
        count = copy_tree(bundled(SAMPLES), dest)
    except OSError as exc:  # no permission, a full disk: said once, with the folder named
        raise InputError(f"{dest}: cannot copy the samples there: {exc.strerror or exc}") from None
    shown = shlex.quote(str(dest))
    hints = [
        (f"xpipe-migrate inspect {shown}/servers.csv", "read an inventory; no XPipe needed"),
        (f"xpipe-migrate sync {shown}/job.toml --dry-run", "the sample job; it writes to out/ beside the folder"),
    ]
    width = max(len(command) for command, _ in hints)
    print(f"copied {count} sample files to {dest}")
    for command, why in hints:
        print(f"  {command:<{width}}  # {why}")
    return 0
