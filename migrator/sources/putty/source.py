"""PuTTY and KiTTY saved sessions: Windows registry exports (``.reg``) and the Unix session folder.

PuTTY keeps one registry key (or, on Unix, one file) per session and fills every missing value with
its compiled-in default, not with "Default Settings" (that is only the template of the dialog). The
importer reproduces what putty.exe would connect to: the protocol decides whether ``PortNumber`` is
read at all, ``prepare_session`` turns ``user@host`` into the user and drops a ``:suffix``, and an
SSH proxy (``ProxyMethod=6``) names either another saved session (loaded whole, with its own proxy:
that is how multi-hop chains are built) or a plain host that starts from Default Settings.

Nothing here executes or converts anything: ``.ppk`` keys are recorded as written and flagged.
"""

from __future__ import annotations

import re
from pathlib import Path

from migrator.errors import ConfigError, InputError
from migrator.model import SourceResult
from migrator.sources.base import FileSource, SourceOptions, TextCodec, text_codec
from migrator.sources.limits import open_source_file
from migrator.sources.putty import _PRODUCT_KEYS, _STORES, _decode_head


def check_codepage(name: str) -> str:
    """Return the codec name for a Windows code page option, or fail with a ConfigError."""
    try:
        return text_codec(name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def ppk_message(path: str) -> str:
    """The fix for a PuTTY-format private key, which OpenSSH (and so XPipe's ssh) cannot read."""
    return (
        f"key file {path} is in PuTTY's .ppk format, which OpenSSH cannot use: convert it with "
        f"'puttygen {path} -O private-openssh -o <new file>' and point the connection at the new file, "
        "or load the key into Pageant and let XPipe use the agent"
    )


class PuttyOptions(SourceOptions):
    #: code page of the session strings in a REGEDIT4 export
    codepage: TextCodec = "cp1252"
    #: treat '/' in session names as folders (the PuTTY Session Manager convention)
    putty_name_folders: bool = False


class PuttySource(FileSource):
    """Saved PuTTY/KiTTY sessions from a ``.reg`` export, a Unix ``sessions`` folder or one session file.

    Options: ``codepage`` (the Windows ANSI code page of the exporting machine, default ``cp1252``;
    used for ``%XX`` session names and REGEDIT4 files), ``putty_name_folders`` (split session names
    on ``/`` into folders, as some session managers do; default off because PuTTY itself has no
    folders).

    ``TryAgent`` (on unless a session turns it off) means PuTTY offers the agent's keys first, so it
    becomes ``credentials.agent``: ``pageant`` for registry sessions, ``openssh`` (``SSH_AUTH_SOCK``)
    for Unix ones. A network or command proxy cannot be a jump hop: such a session is imported
    without it and reported; a chain PuTTY itself could not connect through (a loop, a jump session
    that is not SSH) is not imported.
    """

    format = "putty"
    summary = "PuTTY/KiTTY sessions: a .reg export or a Unix sessions folder"
    Options = PuttyOptions

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(location, options, key_location=key_location, **raw)
        self.codepage = self.options.codepage
        self.name_folders = self.options.putty_name_folders

    # ---- detection ----------------------------------------------------------------------------

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "sessions.reg"
        text = (
            "Windows Registry Editor Version 5.00\r\n\r\n"
            "[HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\web-01]\r\n"
            '"HostName"="192.0.2.11"\r\n"UserName"="deploy"\r\n"PortNumber"=dword:00000016\r\n'
            '"Protocol"="ssh"\r\n'
        )
        path.write_bytes(text.encode("utf-16"))
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return cls._detect_dir(path)
        text = _decode_head(head).casefold()
        is_reg = text.lstrip("\ufeff \r\n").startswith(("windows registry editor", "regedit4"))
        if is_reg or path.suffix.lower() == ".reg":
            if any(store in text for _, store in _STORES) or any(p in text for p in _PRODUCT_KEYS):
                return 95
            return 40 if is_reg else 10
        if re.search(r"(?m)^hostname=", text) and re.search(r"(?m)^(protocol|portnumber)=", text):
            return 45
        return 0

    @staticmethod
    def _detect_dir(path: Path) -> int:
        name = path.name.casefold()
        parent = path.parent.name.casefold()
        if name == "sessions" and parent in (".putty", "putty"):
            return 90
        if (path / "sessions").is_dir() and (name in (".putty", "putty") or (path / "sshhostkeys").exists()):
            return 85
        try:
            files = [p for p in path.iterdir() if p.is_file()][:20]
        except OSError:
            return 0
        for p in files:
            try:
                with open_source_file(p) as fh:
                    head = fh.read(4096).decode("utf-8", errors="replace")
            except (OSError, InputError):
                continue
            if re.search(r"(?m)^HostName=", head) and re.search(r"(?m)^Protocol=", head):
                return 60
        return 0

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.putty.reader import SessionsReader  # the readers: only when sessions are read

        return SessionsReader(self).read()
