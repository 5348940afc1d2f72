"""SecureCRT's configuration folder: ``Config/Sessions`` with one ``.ini`` per session, folders as
directories [3rd-party: several importers; the folder names match the XML export's keys].

``Default.ini`` and ``Default_LocalShell.ini`` at the top of ``Sessions`` are templates;
``__FolderData__.ini`` in each folder holds the order of its folders and sessions (``Folder List``,
``Session List``) and is not a session. Given the ``Config`` folder, its ``Global.ini`` and
``SSH2.ini`` are read too (the configuration passphrase check and the global public key) [inferred:
same names as the export's ``Global`` and ``SSH2`` keys].

The walk never follows a symbolic link to a folder (a loop, or a tree outside the configuration)
and reads a linked file only when it resolves inside the folder; it stops at a file-count cap.
"""

from __future__ import annotations

import os
from pathlib import Path

from migrator.errors import InputError
from migrator.model import Diagnostic
from migrator.sources.limits import MAX_SESSION_FILES, read_source_bytes
from migrator.sources.securecrt import sessions_folder
from migrator.sources.securecrt.layout import TEMPLATES, Configuration
from migrator.sources.securecrt.settings import IniParser, RawSession, decode_text, split_lines

FOLDER_DATA = "__folderdata__.ini"
_GLOBAL_FILES = {"global": "Global.ini", "ssh2": "SSH2.ini"}


class FolderReader:
    def __init__(self, path: Path, shown: str, codepage: str):
        self.path = path
        self.shown = shown
        self.codepage = codepage
        self.files_read: list[Path] = []
        self.diagnostics: list[Diagnostic] = []

    def _diag(self, level, code, message, file=None, line=None, entry=None) -> None:
        self.diagnostics.append(
            Diagnostic(level=level, code=code, message=message, file=file or self.shown, line=line, entry=entry)
        )

    def read(self) -> Configuration:
        located = sessions_folder(self.path)
        if located is None:
            raise InputError(
                f"{self.shown}: not a SecureCRT configuration folder (name its Sessions folder, the Config folder "
                "above it, or an XML export)"
            )
        root, config_dir = located
        config = Configuration()
        if config_dir is not None:
            config.has_globals = True
            for section, name in _GLOBAL_FILES.items():
                file = config_dir / name
                if file.is_file():
                    config.globals[section] = self._read_file(file, file.stem).settings
        files, partial = self._walk(root)
        config.partial = partial
        for rel in files:
            *folders, leaf = rel.parts
            name = leaf[: -len(".ini")]
            raw = self._read_file(root / rel, name, folders)
            if not folders and name.casefold() in TEMPLATES:
                config.templates.append(raw)
            else:
                config.sessions.append(raw)
        config.diagnostics = self.diagnostics
        return config

    def _read_file(self, file: Path, name: str, folder: list[str] | None = None) -> RawSession:
        shown = file.as_posix()
        entry = "/".join([*(folder or []), name])
        data = read_source_bytes(file, shown)
        self.files_read.append(file)
        text, warning = decode_text(data, self.codepage)
        if warning:
            self._diag("warning", "encoding", warning, file=shown, entry=entry)
        parser = IniParser(shown, entry)
        settings = parser.parse(split_lines(text.removeprefix("\ufeff")))
        self.diagnostics.extend(parser.diagnostics)
        return RawSession(name=name, folder=list(folder or []), file=shown, line=1, settings=settings)

    def _walk(self, root: Path) -> tuple[list[Path], bool]:
        """Session files below ``root`` (relative paths, sorted by their folders and names, case-folded)."""
        found: list[Path] = []
        ignored = 0
        real_root = root.resolve()
        pending = [Path()]
        while pending:
            rel = pending.pop()
            try:
                entries = sorted(os.scandir(root / rel), key=lambda e: e.name)
            except OSError as exc:
                self._diag("error", "unreadable", f"folder cannot be read ({exc.strerror}); its sessions are missing")
                return found, True
            for entry in entries:
                child = rel / entry.name
                if entry.is_symlink():
                    if not self._link_inside(root / child, real_root, entry):
                        continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(child)
                elif entry.name.casefold().endswith(".ini") and entry.is_file():
                    if entry.name.casefold() != FOLDER_DATA:
                        found.append(child)
                else:
                    ignored += 1
                if len(found) > MAX_SESSION_FILES:
                    self._diag(
                        "error",
                        "too-many-files",
                        f"more than {MAX_SESSION_FILES:,} session files; the rest are not read, and nothing is "
                        "pruned on this read",
                    )
                    return sorted(found, key=_order)[:MAX_SESSION_FILES], True
        if ignored:
            self._diag("info", "not-a-session", f"{ignored} file(s) below Sessions are not .ini session files; ignored")
        return sorted(found, key=_order), False

    def _link_inside(self, path: Path, real_root: Path, entry: os.DirEntry) -> bool:
        shown = path.as_posix()
        if entry.is_dir():
            self._diag("warning", "symlink", "a symbolic link to a folder is not followed", file=shown)
            return False
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self._diag("warning", "symlink", "a symbolic link that leads nowhere; ignored", file=shown)
            return False
        if not target.is_relative_to(real_root):
            self._diag("warning", "symlink", "a symbolic link to a file outside the Sessions folder; ignored", shown)
            return False
        return True


def _order(rel: Path) -> tuple:
    return tuple((p.casefold(), p) for p in rel.parts)
