"""MobaXterm sessions: ``.mxtsessions`` exports, ``MobaXterm.ini`` and single-session ``.moba`` files.

There is no official documentation; the layout follows the reverse-engineered study of MobaXterm
23.6 and the converters that use it. A session line is ``name=G1#G2#G3#...``: split on ``#`` first
(the terminal group G4 has a variable number of ``%`` fields), then G3 on ``%``; G3 field 0 is the
session type. Older versions wrote fewer fields, so every missing field takes its default instead of
being indexed blindly. ``configparser`` is not used: its interpolation chokes on ``%`` and it would
lower-case or merge names.

Only SSH sessions (type 0) become hosts; SFTP and Mosh sessions only on request. Everything else is
reported with its name and folder. Stored passwords are encrypted with the user's master password
and are never read.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from migrator.model import Credentials, Diagnostic, Host, JumpHop, SourceResult
from migrator.sources.base import FileSource, SourceOptions, TextCodec
from migrator.sources.limits import read_source_bytes

SESSION_TYPES = {
    0: "SSH",
    1: "Telnet",
    2: "Rsh",
    3: "XDMCP",
    4: "RDP",
    5: "VNC",
    6: "FTP",
    7: "SFTP",
    8: "Serial",
    9: "File",
    10: "Shell",
    11: "Browser",
    12: "Mosh",
    13: "AWS S3",
    14: "WSL",
}
SSH, SFTP, MOSH = 0, 7, 12

_BOOKMARKS = re.compile(r"Bookmarks(?:_\d+)?", re.IGNORECASE)


class MobaXtermOptions(SourceOptions):
    #: code page of non-UTF-8 files (MobaXterm writes the Windows ANSI code page)
    codepage: TextCodec = "cp1252"
    #: also import SFTP sessions as SSH connections
    include_sftp: bool = False
    #: also import Mosh sessions as SSH connections
    include_mosh: bool = False
    #: what _CurrentDrive_ expands to
    current_drive: str = "C"
    #: what _ProfileDir_ expands to (default: %USERPROFILE% on Windows)
    profile_dir: str | None = None
    #: what _AppDataDir_ expands to (default: %APPDATA% on Windows)
    appdata_dir: str | None = None


@dataclass
class _Section:
    name: str
    line: int
    entries: list[tuple[int, str, str]] = field(default_factory=list)
    subrep: str | None = None


class MobaXtermSource(FileSource):
    """Sessions from a MobaXterm export or configuration file.

    Options:

    - ``codepage``: the ANSI code page for files that are not UTF-8 (default ``cp1252``, which is
      what MobaXterm writes on Western European Windows);
    - ``include_sftp`` / ``include_mosh``: also import SFTP / Mosh sessions as SSH hosts (default off);
    - ``current_drive``: the drive letter ``_CurrentDrive_`` stands for (default ``C``, the drive
      MobaXterm usually runs from);
    - ``profile_dir`` / ``appdata_dir``: what ``_ProfileDir_`` (``%USERPROFILE%``, a meaning seen
      in real exports but unverified) and ``_AppDataDir_`` (``%APPDATA%``) stand for. They default
      to those variables only when the importer runs on Windows; otherwise a key path that uses them
      is kept as written and reported.

    Gateways become jump hops (the per-hop key cannot be carried and is reported). A network proxy
    (SOCKS, HTTP, ...) is reported and the session imported without it. ``<default>`` and
    ``[credential]`` users are resolved only from the same file, never guessed.
    """

    format = "mobaxterm"
    summary = "MobaXterm .mxtsessions exports and MobaXterm.ini bookmarks"
    Options = MobaXtermOptions

    def __init__(self, location, options=None, *, key_location=None, **raw):
        super().__init__(location, options, key_location=key_location, **raw)
        opts = self.options
        self.codepage = opts.codepage
        self.include_sftp = opts.include_sftp
        self.include_mosh = opts.include_mosh
        on_windows, env = sys.platform == "win32", os.environ
        drive = opts.current_drive.strip().rstrip(":\\/")
        self.placeholders = {
            "_CurrentDrive_": (drive or "C", "current_drive"),
            "_ProfileDir_": (opts.profile_dir or (env.get("USERPROFILE") if on_windows else None), "profile_dir"),
            "_AppDataDir_": (opts.appdata_dir or (env.get("APPDATA") if on_windows else None), "appdata_dir"),
        }
        self._diags: list[Diagnostic] = []

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "sessions.mxtsessions"
        path.write_text(
            "[Bookmarks]\r\nSubRep=\r\nImgNum=42\r\nweb-01= #109#0%192.0.2.11%22%deploy%%-1%-1%%%%%0%0%0%%%-1%0%0%0%"
            "%1080%%0%0%1%%0%%%%0%-1%-1%0#MobaFont%10%0%0%-1%15%236,236,236%30,30,30%180,180,192%0%-1%0%%xterm%-1%0%"
            "_Std_Colors_0_%80%24%0%1%-1%<none>%%0%0%-1%-1#0# #-1\r\n",
            encoding="utf-8",
        )
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            return 0
        suffix = path.suffix.lower()
        if suffix == ".mxtsessions":
            return 95
        if path.name.casefold() == "mobaxterm.ini":
            return 90
        text = head.decode("utf-8", errors="replace").casefold()
        if suffix == ".moba" and "#" in text and "%" in text:
            return 80
        if re.search(r"(?m)^\[bookmarks(_\d+)?\]", text):
            return 80 if "subrep=" in text else 50
        return 0

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.mobaxterm_fields import SessionFields  # the field readers: only when a file is read

        self._diags = []
        self._fields = SessionFields(self._diag, self.placeholders, expanded=set())
        data = read_source_bytes(self.path, self.display_path)
        text = self._decode(data)
        sections, loose = self._split_sections(re.split(r"\r\n|\n|\r", text))
        by_name = {s.name.casefold(): s for s in sections}
        default_login = self._setting(by_name.get("ssh"), "DefaultLoginName")
        credentials = self._credentials(by_name.get("credentials"))
        self._report_secrets(sections)

        bookmark_sections = [s for s in sections if _BOOKMARKS.fullmatch(s.name)]
        if not sections and loose:
            bookmark_sections = [_Section(name="", line=1, entries=loose, subrep="")]
        elif loose:
            for lineno, _, _ in loose:
                self._diag("warning", "ini-syntax", "line before the first [section]; ignored", line=lineno)
        if not bookmark_sections:
            self._diag("warning", "no-sessions", "no [Bookmarks] or [Bookmarks_N] section in this file")

        hosts: list[Host] = []
        held: set[str] = set()
        seen_keys: dict[tuple[str, ...], int] = {}
        name_counts: dict[str, int] = {}
        seen_sections: dict[str, int] = {}
        for section in bookmark_sections:
            if section.name.casefold() in seen_sections:
                self._diag(
                    "warning",
                    "repeated-section",
                    f"[{section.name}] appears again (first at line "
                    f"{seen_sections[section.name.casefold()]}); its sessions are read too",
                    line=section.line,
                )
            seen_sections.setdefault(section.name.casefold(), section.line)
            if section.subrep is None and section.name.casefold() != "bookmarks" and section.name:
                self._diag(
                    "warning",
                    "no-subrep",
                    f"[{section.name}] has no SubRep line; its sessions are put at the top level",
                    line=section.line,
                )
            folder = [p for p in (section.subrep or "").split("\\") if p.strip()]
            for lineno, name, value in section.entries:
                place = (*folder, name)
                if place in seen_keys:
                    self._diag(
                        "error",
                        "duplicate-session",
                        f"a session of this name is already in this folder (line {seen_keys[place]}); not imported",
                        line=lineno,
                        entry=name,
                    )
                    continue
                seen_keys[place] = lineno
                # The key is the session name (``#2``, ``#3`` for the same name in other folders, in
                # file order), never the folder: moving a session to another folder is a move.
                count = name_counts[name] = name_counts.get(name, 0) + 1
                key = self.key(name if count == 1 else f"{name}#{count}")
                errors = sum(1 for d in self._diags if d.level == "error")
                host = self._session(section, folder, lineno, name, value, default_login, credentials, key)
                if host is not None:
                    hosts.append(host)
                elif sum(1 for d in self._diags if d.level == "error") > errors:
                    held.add(key)
        return SourceResult(hosts=hosts, diagnostics=list(dict.fromkeys(self._diags)), held=held)

    def _decode(self, data: bytes) -> str:
        """BOM decides; otherwise strict UTF-8 if it decodes, else the ANSI code page."""
        if data.startswith(codecs.BOM_UTF8):
            encoding, body = "utf-8", data[3:]
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
            body = data[2:]
        else:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                encoding, body = self.codepage, data
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as exc:
            self._diag(
                "warning",
                "encoding",
                f"bytes at offset {exc.start} are not valid {encoding}; they were "
                "replaced with U+FFFD (set the codepage option if names look wrong)",
            )
            return body.decode(encoding, errors="replace")

    def _split_sections(self, lines: list[str]) -> tuple[list[_Section], list[tuple[int, str, str]]]:
        """Group ``name=value`` lines by section, splitting on the first ``=`` only."""
        sections: list[_Section] = []
        loose: list[tuple[int, str, str]] = []
        current: _Section | None = None
        for lineno, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith(";"):
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                current = _Section(name=stripped[1:-1].strip(), line=lineno)
                sections.append(current)
                continue
            name, sep, value = line.partition("=")
            name = name.strip()
            if not sep or not name:
                if current is None or _BOOKMARKS.fullmatch(current.name):
                    self._diag("warning", "ini-syntax", "not a 'name=value' line; ignored", line=lineno)
                continue
            if current is None:
                loose.append((lineno, name, value))
            elif name == "SubRep" and current.subrep is None and not current.entries:
                current.subrep = value.strip()
            elif name in ("SubRep", "ImgNum") and _BOOKMARKS.fullmatch(current.name):
                if name == "SubRep":
                    self._diag(
                        "warning", "ini-syntax", "SubRep after the first session or repeated; ignored", line=lineno
                    )
            else:
                current.entries.append((lineno, name, value))
        return sections, loose

    @staticmethod
    def _setting(section: _Section | None, key: str) -> str | None:
        if section is None:
            return None
        return next((v.strip() for _, n, v in section.entries if n == key), None)

    @staticmethod
    def _credentials(section: _Section | None) -> dict[str, str]:
        """``[Credentials]`` lines are ``name=username:encrypted``; only the user name is kept.

        The layout comes from a third-party converter and is unverified; the part after the last
        ``:`` is the encrypted password and is dropped here, never stored.
        """
        if section is None:
            return {}
        return {name: value.rpartition(":")[0] or value for _, name, value in section.entries}

    def _report_secrets(self, sections: list[_Section]) -> None:
        for section in sections:
            low = section.name.casefold()
            if low in ("passwords", "credentials") and section.entries:
                what = "saved password(s) are" if low == "passwords" else "stored credential(s) have passwords that are"
                self._diag(
                    "info",
                    "encrypted-passwords",
                    f"{len(section.entries)} {what} in [{section.name}], encrypted with MobaXterm's master "
                    "password; not imported, set passwords in XPipe (or its password manager) instead",
                    line=section.line,
                )

    # ---- sessions -----------------------------------------------------------------------------

    def _session(
        self, section, folder, lineno, name, value, default_login, credentials, source_key: str
    ) -> Host | None:
        from migrator.sources.mobaxterm_fields import (
            _F_AGENT_FWD,
            _F_HOST,
            _F_KEY,
            _F_PORT,
            _F_PROXY_TYPE,
            _F_SFTP_KEY,
            _F_SFTP_PROXY_TYPE,
            _F_USER,
            _field,
            unescape,
        )

        check = self._fields
        where = f" in folder {'/'.join(folder)!r}" if folder else ""
        groups = value.split("#")
        if len(groups) < 3:
            self._diag(
                "error",
                "damaged-line",
                f"not imported: the line has {len(groups)} '#' group(s); the session type is in group 3{where}",
                line=lineno,
                field="G3",
                entry=name,
            )
            return None
        fields = groups[2].split("%")
        type_text = fields[0].strip()
        if not re.fullmatch(r"-?[0-9]{1,9}", type_text):
            self._diag(
                "error",
                "damaged-line",
                f"not imported: the session type (field 0 of group 3) is {type_text[:20]!r}, not a number{where}",
                line=lineno,
                field="G3[0]",
                entry=name,
            )
            return None
        stype = int(type_text)
        kind = SESSION_TYPES.get(stype, f"unknown type {stype}")
        if (
            stype not in (SSH, SFTP, MOSH)
            or (stype == SFTP and not self.include_sftp)
            or (stype == MOSH and not self.include_mosh)
        ):
            target = unescape(_field(fields, _F_HOST, "")).strip()
            hint = ""
            if stype == SFTP:
                hint = "; set include_sftp to import SFTP sessions as SSH hosts"
            elif stype == MOSH:
                hint = "; set include_mosh to import Mosh sessions as SSH hosts"
            self._diag(
                "warning",
                "not-ssh",
                f"not imported: {kind} session{f' to {target!r}' if target else ''}{where}{hint}",
                line=lineno,
                field="G3[0]",
                entry=name,
            )
            return None
        ctx = (lineno, name)
        host = unescape(_field(fields, _F_HOST, "")).strip()
        if not host:
            self._diag(
                "error",
                "no-host",
                f"not imported: the remote host (field 1 of group 3) is empty{where}",
                line=lineno,
                field="G3[1] host",
                entry=name,
            )
            return None
        port = check.port(_field(fields, _F_PORT, ""), ctx, "G3[2] port")
        if port is None:
            return None
        user = None
        if stype != MOSH:
            raw_user = unescape(_field(fields, _F_USER, ""))
            user = check.user(raw_user, ctx, "G3[3] user", default_login, credentials)
        creds = Credentials()
        options: list[tuple[str, str]] = []
        jump: list[JumpHop] = []
        if stype == SSH:
            key = _field(fields, _F_KEY, "")
            if key.strip():
                creds.key_files.append(check.key_path(unescape(key.strip()), ctx, "G3[14] private key"))
            jump = check.gateways(fields, ctx, default_login, credentials)
            if jump is None:
                return None
            check.report_proxy(_field(fields, _F_PROXY_TYPE, "0"), fields, ctx, _F_PROXY_TYPE)
            if _field(fields, _F_AGENT_FWD, "0").strip() == "-1":
                options.append(("ForwardAgent", "yes"))
        elif stype == SFTP:
            key = _field(fields, _F_SFTP_KEY, "")
            if key.strip():
                creds.key_files.append(check.key_path(unescape(key.strip()), ctx, "G3[9] private key"))
            check.report_proxy(_field(fields, _F_SFTP_PROXY_TYPE, "0"), None, ctx, _F_SFTP_PROXY_TYPE)
            self._diag(
                "info", "sftp-as-ssh", "SFTP session imported as an SSH host (include_sftp)", line=lineno, entry=name
            )
        else:
            self._diag(
                "warning",
                "mosh-as-ssh",
                "Mosh session imported as an SSH host (include_mosh); only its "
                "host and port are read, the rest of a Mosh line's layout is not known",
                line=lineno,
                entry=name,
            )
        comment = unescape(groups[5]).strip() if len(groups) > 5 else ""
        try:
            return Host(
                key=source_key,
                name=name,
                address=host,
                port=port,
                user=user,
                category=folder,
                credentials=creds,
                jump=jump,
                ssh_options=options,
                description=comment or None,
                source=self.provenance(line=lineno, section=section.name or None),
            )
        except ValidationError as exc:
            err = exc.errors()[0] if exc.errors() else {"loc": ("",), "msg": str(exc)}
            loc = str(err["loc"][0]) if err["loc"] else ""
            names = {"address": "G3[1] host", "port": "G3[2] port", "user": "G3[3] user", "name": "name"}
            self._diag(
                "error",
                "invalid-value",
                f"not imported: {err['msg'].removeprefix('Value error, ')}",
                line=lineno,
                field=names.get(loc, loc),
                entry=name,
            )
            return None
