"""Remmina profiles (``*.remmina``) and the secret of ``remmina.pref`` that decrypts their passwords.

Here: where Remmina keeps profiles and the ``remmina.pref`` whose secret encrypts their passwords.
Detection needs it, so it lives in the package itself and detecting formats imports no reader.

Verified in FreeRDP/Remmina at bb33690d870e:

* ``src/remmina_file_manager.c`` ``remmina_file_get_datadir``: ``datadir_path`` of remmina.pref if
  it is a folder, else the legacy ``~/.remmina``, else ``$XDG_DATA_HOME/remmina``
  (``~/.local/share/remmina``), else the system data folders. Only the folder's own entries whose
  name ends in ``.remmina`` are profiles (``g_dir_read_name``, no sub-folders).
* ``src/remmina_pref.c`` ``remmina_pref_init``: ``$XDG_CONFIG_HOME/remmina/remmina.pref``
  (``~/.config/remmina``); a legacy ``~/.remmina/remmina.pref`` is copied there on start.
* The Flatpak ``org.remmina.Remmina`` sets the XDG folders to ``~/.var/app/org.remmina.Remmina/data``
  and ``.../config`` (inferred from Flatpak's documented per-app XDG layout, not from Remmina).

The importer's own home is never searched: a pref is found next to the profiles, from the layout
of the folder named (``X/.local/share/remmina`` -> ``X/.config/remmina``), or under the ``home``
option, and ``pref`` names one outright.
"""

from __future__ import annotations

from pathlib import Path

FLATPAK = Path(".var/app/org.remmina.Remmina")
#: (data folder, its config folder) relative to a home, in the order they are read
HOME_LAYOUTS = (
    (Path(".local/share/remmina"), Path(".config/remmina")),
    (FLATPAK / "data/remmina", FLATPAK / "config/remmina"),
    (Path(".remmina"), Path(".remmina")),
)
PREF_NAME = "remmina.pref"
SUFFIX = ".remmina"


def data_folders(folder: Path) -> list[Path]:
    """The profile folders a named folder stands for: itself, or the standard ones below a home."""
    if any(_is_profile_name(p) for p in _entries(folder)):
        return [folder]
    found = [folder / data for data, _ in HOME_LAYOUTS if (folder / data).is_dir()]
    return found or [folder]


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _is_profile_name(path: Path) -> bool:
    return path.name.endswith(SUFFIX) and len(path.name) > len(SUFFIX)


def pref_candidates(data_folder: Path, home: Path | None) -> list[Path]:
    """Where the remmina.pref of ``data_folder`` may be, most specific first."""
    out = [data_folder / PREF_NAME]
    resolved = data_folder.absolute()
    for data, config in HOME_LAYOUTS:
        parts = data.parts
        if len(resolved.parts) > len(parts) and resolved.parts[-len(parts) :] == parts:
            root = Path(*resolved.parts[: -len(parts)])
            out.append(root / config / PREF_NAME)
    if home is not None:
        out.extend(home / config / PREF_NAME for _, config in HOME_LAYOUTS)
    return list(dict.fromkeys(out))
