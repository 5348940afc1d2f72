"""Reading ssh_config files: decoding, line parsing and argument checks, ``Include`` with its
path rules, depth and cycle limits."""

from __future__ import annotations

import glob
import os
import re
import stat
import sys
from pathlib import Path

from migrator.errors import InputError
from migrator.model import Diagnostic
from migrator.sources.limits import MAX_FILE_BYTES, SourceLimitExceeded, read_source_bytes, size_text
from migrator.sources.ssh_config.jump import _hpdelim2, parse_jump
from migrator.sources.ssh_config.keywords import (
    _FLAG,
    _MATCH_CRITERIA,
    _NEWER_MATCH_CRITERIA,
    KEYWORDS,
    _unknown_message,
)
from migrator.sources.ssh_config.lexer import (
    WHITESPACE,
    QuoteError,
    _strtonum,
    a2port,
    argv_split,
    ascii_lower,
    convtime,
    strdelim,
)
from migrator.sources.ssh_config.tokens import TokenError, dollar_expand
from migrator.sources.ssh_config.tree import Criterion, Directive, IncludedFile

MAX_INCLUDE_DEPTH = 16  # READCONF_MAX_DEPTH
MAX_INCLUDED_FILES = 5000  # not OpenSSH's: stops an Include fan-out from exhausting memory
MAX_LINE_ERRORS = 50  # per file; the rest are summed up in one diagnostic
_TRAILING = WHITESPACE + "\f"  # what readconf.c strips from the end of a line


class ConfigReader:
    """The reading half of ``SshConfig``: turns the main file and its Includes into directives.

    The attributes it uses (``path``, ``display_path``, ``home``, ``include_dir``, ``diagnostics``,
    ``_budget``...) are set by ``SshConfig.__init__``. Every file goes through
    ``limits.read_source_bytes`` (regular files only, size cap) and spends the shared ``Budget``, so
    an Include fan-out over a big file stops at a cap instead of eating the machine.
    """

    def _diag(
        self,
        level: str,
        code: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field_: str | None = None,
        entry: str | None = None,
    ) -> None:
        key = (code, file, line, entry, message)
        if key in self._seen_diags:
            return
        self._seen_diags.add(key)
        self.diagnostics.append(
            Diagnostic(
                level=level,
                code=code,
                message=message,
                file=file or self.display_path,
                line=line,
                field=field_,
                entry=entry,
            )
        )

    def _line_error(self, file: str, line: int, keyword: str, message: str) -> None:
        count = self._error_count.get(file, 0) + 1
        self._error_count[file] = count
        if count <= self.max_line_errors:
            self._diag(
                "error",
                "ssh-rejected-line",
                f"{message}; OpenSSH refuses the whole file because of this line; it is ignored here",
                file=file,
                line=line,
                field_=keyword or None,
            )

    def _read_file(
        self,
        path: Path,
        display: str,
        depth: int,
        stack: tuple[str, ...],
        main: bool = False,
        include_at: tuple[str, int] | None = None,
    ) -> list[Directive]:
        self._files_read += 1
        self._error_count[display] = 0
        self.files.setdefault(display, path)
        try:
            data = read_source_bytes(path, display)
        except SourceLimitExceeded:
            if main:
                raise
            data = None
            reason = f"larger than {size_text(MAX_FILE_BYTES)}"
        except InputError as exc:
            if main:
                raise
            data = None
            reason = str(exc).removeprefix(f"{display}: ")
        if data is None:
            file, line = include_at or (None, None)
            self.partial = True
            self._diag(
                "error",
                "ssh-include-unreadable",
                f"included file {display} is not read ({reason})",
                file=file,
                line=line,
            )
            return []
        self._budget.spend_bytes(len(data), display)
        text = self._decode(data, display)
        self._budget.spend_lines(text.count("\n") + 1, display)
        return self._parse_text(text, display, depth, stack + (_real(path),))

    def _decode(self, data: bytes, display: str) -> str:
        if data.startswith(b"\xef\xbb\xbf"):
            self._diag(
                "warning",
                "ssh-bom",
                "the file starts with a UTF-8 byte-order mark, which makes OpenSSH reject it; it is ignored here",
                file=display,
                line=1,
            )
            data = data[3:]
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
            codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-16-le"
            self._diag(
                "warning",
                "ssh-encoding",
                "the file is UTF-16, which OpenSSH cannot read; it was decoded as UTF-16 anyway",
                file=display,
            )
            return data.decode(codec, errors="replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self._diag(
                "warning",
                "ssh-encoding",
                "the file is not valid UTF-8; it was read as Latin-1 (check names with accents)",
                file=display,
                line=line,
            )
            return data.decode("latin-1")

    def _parse_text(self, text: str, display: str, depth: int, stack: tuple[str, ...]) -> list[Directive]:
        directives: list[Directive] = []
        comments: list[str] = []
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            if "\0" in line:
                self._diag(
                    "warning",
                    "ssh-nul-byte",
                    "the line contains a NUL byte; OpenSSH ignores the rest of the line, and so does this import",
                    file=display,
                    line=number,
                )
                line = line.split("\0", 1)[0]
            d = self._parse_line(line, display, number)
            if d is None:
                stripped = line.strip(WHITESPACE + "\f")
                if stripped.startswith("#"):
                    comments.append(stripped.lstrip("#").strip())
                else:
                    comments = []
                continue
            if d.kind == "host":
                d.description = _description(comments)
            comments = []
            if d.kind == "include" and d.error is None:
                d.includes = self._include(d, depth, stack)
            directives.append(d)
        return directives

    def _parse_line(self, line: str, display: str, number: int) -> Directive | None:
        # trailing whitespace goes, but never the first character (readconf.c stops at index 1)
        stripped = line.rstrip(_TRAILING)
        line = stripped or line[:1]
        if not line:
            return None
        keyword, pos = strdelim(line, 0)
        if keyword == "":
            keyword, pos = strdelim(line, pos)
        if keyword is None or keyword == "" or keyword.startswith(("\n", "#")):
            return None
        rest = line[pos:] if pos is not None else ""
        rest = rest.lstrip(WHITESPACE)
        spec = KEYWORDS.get(ascii_lower(keyword))
        # half a million lines of a large file share a few dozen keywords: one string each
        d = Directive(display, number, sys.intern(keyword), spec, [], rest)
        if not rest:
            d.error = f"no argument after keyword {spec.name}" if spec else _unknown_message(keyword, alone=True)
            self._line_error(display, number, spec.name if spec else "", d.error)
            return d
        try:
            d.args = argv_split(rest)
        except QuoteError:
            d.error = "unbalanced quotes"
            self._line_error(display, number, spec.name if spec else "", d.error)
            return d
        if spec is None:
            return d
        d.error = self._check_args(d)
        if d.error:
            self._line_error(display, number, spec.name, d.error)
        return d

    def _check_args(self, d: Directive) -> str | None:
        spec = d.spec
        assert spec is not None
        kind, args = spec.kind, d.args
        if kind in ("command", "deprecated", "unsupported", "ignore"):
            return None
        if kind == "jump":
            d.jump = parse_jump(d.command())
            return None if d.jump else f"invalid ProxyJump {d.command()!r}"
        if kind == "match":
            d.criteria, error = _parse_match(d.raw)
            return error
        if kind in ("host", "include", "multi", "setenv", "sendenv"):
            # OpenSSH 9.2 accepts these with no argument at all ("Host # note" selects nothing)
            if any(a == "" for a in args):
                return "empty argument"
            if kind == "setenv" and any("=" not in a for a in args):
                return "SetEnv needs NAME=VALUE"
            if kind == "sendenv" and any("=" in a for a in args):
                return "invalid environment name in SendEnv"
            if spec.name == "CanonicalizePermittedCNAMEs" and any(not re.fullmatch(r"[^:]+:[^:]+", a) for a in args):
                return "invalid permitted CNAME (expected source:target)"
            if spec.name == "PermitRemoteOpen" and any(
                ascii_lower(a) not in ("any", "none") and _permit_open_port(a) is None for a in args
            ):
                return "bad port number in PermitRemoteOpen"
            return None
        if not args or args[0] == "":
            return "missing argument"
        if len(args) < spec.min_args:
            return "missing argument"
        if spec.max_args is not None and len(args) > spec.max_args:
            return "extra arguments at end of line"
        value = args[0]
        if kind == "port":
            d.port = a2port(value)
            return None if d.port > 0 else f"bad port {value!r}"
        if kind == "choice" and ascii_lower(value) not in spec.choices:
            return f"unsupported value {value!r} (expected one of: {', '.join(spec.choices)})"
        if kind == "int" and _strtonum(value, 0, 2**31 - 1) is None:
            return f"bad number {value!r}"
        if kind == "time" and convtime(value) < 0:
            return f"bad time value {value!r}"
        if kind == "controlpersist" and ascii_lower(value) not in _FLAG and convtime(value) < 0:
            return f"bad ControlPersist value {value!r}"
        if kind == "addkeys":
            choice = ascii_lower(value)
            if len(args) == 2 and (choice != "confirm" or convtime(args[1]) < 0):
                return "unsupported AddKeysToAgent value"
            if len(args) == 1 and choice not in _FLAG + ("ask", "confirm") and convtime(value) < 0:
                return "unsupported AddKeysToAgent value"
        if kind == "escape" and not (
            value == "none" or len(value) == 1 or (len(value) == 2 and value[0] == "^" and 64 <= ord(value[1]) < 128)
        ):
            return f"bad escape character {value!r}"
        if kind == "mask" and (not re.fullmatch(r"[0-7]+", value) or int(value, 8) > 0o777):
            return f"bad mask {value!r}"
        if kind in ("agentpath", "forwardagent"):
            if kind == "forwardagent" and ascii_lower(value) in _FLAG:
                return None
            try:
                dollar_expand(value, {})
            except TokenError as exc:
                if "malformed" in str(exc):
                    return "invalid environment expansion"
            if (
                value.startswith("$")
                and not value.startswith("${")
                and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value[1:])
            ):
                return f"invalid environment name {value!r}"
        return None

    def _include(self, d: Directive, depth: int, stack: tuple[str, ...]) -> list[IncludedFile]:
        out: list[IncludedFile] = []
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self.partial = True
            self._diag(
                "error",
                "ssh-include-depth",
                f"Include nesting deeper than {MAX_INCLUDE_DEPTH} files; OpenSSH stops with 'Too many "
                "recursive configuration includes'; the include is ignored here",
                file=d.file,
                line=d.line,
                field_="Include",
            )
            return out
        for arg in d.args:
            pattern = self._include_path(arg)
            matches = _glob(pattern)
            fallback_dir = self.path.parent
            if (
                not matches
                and self.include_fallback
                and not arg.startswith(("/", "~"))
                and (_real(fallback_dir) != _real(self.include_dir))
            ):
                pattern = (fallback_dir / arg).as_posix()
                matches = _glob(pattern)
                if matches:
                    self._diag(
                        "warning",
                        "ssh-include-fallback",
                        f"Include {arg!r} matches nothing in {self.include_dir.as_posix()} (where "
                        f"OpenSSH looks); the files next to this config ({pattern}) were read instead",
                        file=d.file,
                        line=d.line,
                        field_="Include",
                    )
            if not matches:
                self._diag(
                    "info",
                    "ssh-include-missing",
                    f"Include {arg!r} ({pattern}) matches no file; OpenSSH ignores it silently",
                    file=d.file,
                    line=d.line,
                    field_="Include",
                )
                continue
            for match in matches:
                p = Path(match)
                if p.is_dir():
                    continue
                if _real(p) in stack:
                    self._diag(
                        "error",
                        "ssh-include-cycle",
                        f"Include of {match} loops back to a file that is already being read; OpenSSH "
                        "stops with 'Too many recursive configuration includes'; the loop is cut here",
                        file=d.file,
                        line=d.line,
                        field_="Include",
                    )
                    continue
                if self._files_read >= MAX_INCLUDED_FILES:
                    self.partial = True
                    self._diag(
                        "error",
                        "ssh-include-depth",
                        f"more than {MAX_INCLUDED_FILES} included files; the rest are not read",
                        file=d.file,
                        line=d.line,
                        field_="Include",
                    )
                    return out
                self._check_permissions(p, match, d)
                out.append(
                    IncludedFile(match, self._read_file(p, match, depth + 1, stack, include_at=(d.file, d.line)))
                )
        return out

    def _include_path(self, arg: str) -> str:
        if not arg.startswith(("/", "~")):
            return (self.include_dir / arg).as_posix()
        if arg == "~" or arg.startswith("~/"):
            return self.home.as_posix() + arg[1:]
        return os.path.expanduser(arg)

    def _check_permissions(self, p: Path, shown: str, d: Directive) -> None:
        try:
            st = p.stat()
        except OSError:
            return
        uid = getattr(os, "getuid", lambda: None)()
        if uid is None or not stat.S_ISREG(st.st_mode):
            return
        if (st.st_uid not in (0, uid)) or (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            self._diag(
                "warning",
                "ssh-include-permissions",
                f"{shown} is writable by others or owned by another user; OpenSSH refuses it ('Bad "
                "owner or permissions') but it is read here",
                file=d.file,
                line=d.line,
                field_="Include",
            )

    # ----- enumerating


def _parse_match(raw: str) -> tuple[list[Criterion], str | None]:
    """readconf.c ``match_cfg_line`` syntax: criteria split by ``strdelim`` (``"`` quotes, ``=``)."""
    criteria: list[Criterion] = []
    pos: int | None = 0
    attributes = 0
    while True:
        attrib, pos = strdelim(raw, pos)
        if attrib is None or attrib == "":
            break
        if attrib.startswith("#"):
            break
        negate = attrib.startswith("!")
        name = ascii_lower(attrib[1:] if negate else attrib)
        if name == "all":
            nxt, _ = strdelim(raw, pos)
            if attributes > 1 or (nxt is not None and nxt != "" and not nxt.startswith("#")):
                return criteria, f"'{attrib}' cannot be combined with other Match attributes"
            criteria.append(Criterion(negate, "all"))
            return criteria, None
        attributes += 1
        if name in ("canonical", "final"):
            criteria.append(Criterion(negate, name))
            continue
        arg, pos = strdelim(raw, pos)
        if arg is None or arg == "" or arg.startswith("#"):
            return criteria, f"missing Match criteria for {attrib!r}"
        if name not in _MATCH_CRITERIA and name not in _NEWER_MATCH_CRITERIA:
            return criteria, f"unsupported Match attribute {attrib!r}"
        criteria.append(Criterion(negate, name, arg))
    if attributes == 0:
        return criteria, "one or more attributes required for Match"
    return criteria, None


def _real(path: Path) -> str:
    """The resolved path (symlinks followed), or the absolute one when it cannot be resolved."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return os.path.abspath(path)


def _glob(pattern: str) -> list[str]:
    """glob(3) as OpenSSH calls it: sorted byte-wise; a plain path only when it exists."""
    if glob.has_magic(pattern):
        return sorted(glob.glob(pattern), key=os.fsencode)
    return [pattern] if os.path.lexists(pattern) else []


def _permit_open_port(arg: str) -> int | None:
    parts = _hpdelim2(arg)
    if parts is None or parts[1] != ":" or not parts[0]:
        return None
    return 0 if parts[2] == "*" else (a2port(parts[2] or "") if a2port(parts[2] or "") > 0 else None)


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 4:
        return False
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    return odd_nuls > len(sample) // 4 and even_nuls < odd_nuls // 8


_DIRECTIVE_COMMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(\s*=\s*|\s+)\S+")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_WORD_END = re.compile(r"[\s=]")


def _description(comments: list[str]) -> str | None:
    """A comment block directly above a Host line, without commented-out settings or rulers."""
    kept = []
    for c in comments:
        if not _ALNUM.search(c):
            continue
        words = c.split()
        first = ascii_lower(_WORD_END.split(c, 1)[0])
        if _DIRECTIVE_COMMENT.fullmatch(c) and len(words) <= 2 and first in KEYWORDS:
            continue
        if first in ("host", "match", "include") and len(words) <= 3 and not c.endswith("."):
            continue
        kept.append(c)
    return " ".join(kept) or None
