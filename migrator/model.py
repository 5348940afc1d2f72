"""The neutral host model every source produces and every later stage consumes.

Sources never talk to XPipe; they turn a file into ``Host`` objects plus ``Diagnostic``s. A host's
``key`` (format, file, entry id) is stable across runs, which is what makes re-runs idempotent.
Secrets are ``SecretStr``: they print as ``**********`` and must be unwrapped explicitly.

The classes are lean records (``migrator.record``): keyword-only, slotted, checked on construction
like pydantic models (a bad name, address or port raises pydantic's ``ValidationError``), and
copied with ``dataclasses.replace``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from migrator.escape import console
from migrator.record import check, record

Level = Literal["error", "warning", "info"]

#: Characters no host name has (checked after the IP address forms), controls included.
_FORBIDDEN_IN_ADDRESS = re.compile(r"[\s/\\@'\"`;,<>|&$\x00-\x1f]")
#: Dot-separated labels of letters, digits, ``_`` and inner ``-``, each 1-63 characters.
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: An IPv4 address already written as ``ipaddress`` writes it (four octets, no leading zeros): it is
#: its own canonical form, so the common case skips ``ip_address`` (a tenth of reading a CSV row).
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_CONTROL = re.compile(r"[\x00-\x1f]")


@record(frozen=True)
class Diagnostic:
    """Something a stage wants the user to know: a skipped entry, a bad field, a guess it made.

    ``file``/``line``/``field`` locate it in the user's input (``line`` is the line number, or the
    row number for spreadsheets); ``entry`` names the session, alias or row it is about.
    """

    level: Level
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    entry: str | None = None

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.entry:
            parts.append(f"[{self.entry}]")
        if self.field:
            parts.append(f"field {self.field}")
        return " ".join(parts)

    def __str__(self) -> str:
        """One console line: whatever the input put into it, it stays one line (see ``migrator.escape``)."""
        loc = self.location()
        return console(f"{self.level}: {loc + ': ' if loc else ''}{self.message} ({self.code})")


@record(frozen=True)
class Provenance:
    """Where a host came from: shown in reports, used in error messages."""

    format: str
    file: str
    line: int | None = None
    section: str | None = None

    def __str__(self) -> str:
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
        if self.section:
            out += f" [{self.section}]"
        return out


@record(frozen=True)
class JumpHop:
    """One hop of a jump chain, first hop (nearest to us) first.

    ``ref`` is the alias, session or row name the hop refers to in its source, if it names one;
    ``ref_key`` is the ``Host.key`` of that entry when the source could resolve it.
    """

    host: str
    port: int | None = None
    user: str | None = None
    ref: str | None = None
    ref_key: str | None = None

    def label(self) -> str:
        out = self.host
        if self.user:
            out = f"{self.user}@{out}"
        if self.port:
            out += f":{self.port}"
        return out


@record
class Credentials:
    """What a source says about authentication. Secrets are SecretStr and never print."""

    password: SecretStr | None = None
    password_prompt: bool = False
    password_manager_ref: str | None = None
    key_files: list[str] = field(default_factory=list)
    key_passphrase: SecretStr | None = None
    certificate_files: list[str] = field(default_factory=list)
    identities_only: bool | None = None
    identity_agent: str | None = None
    agent: Literal["openssh", "pageant"] | None = None
    identity: str | None = None
    """Name of an identity that already exists in XPipe, to reference instead of creating one."""

    def is_empty(self) -> bool:
        return not (
            self.password
            or self.password_prompt
            or self.password_manager_ref
            or self.key_files
            or self.key_passphrase
            or self.agent
            or self.identity_agent
            or self.identity
        )


@record
class Host:
    """One server as the user described it, independent of any tool's format."""

    key: str
    name: str
    address: str
    port: int = 22
    user: str | None = None
    category: list[str] = field(default_factory=list)
    credentials: Credentials = field(default_factory=Credentials)
    jump: list[JumpHop] = field(default_factory=list)
    ssh_options: list[tuple[str, str]] = field(default_factory=list)
    proxy_command: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    source: Provenance

    @check("name")
    def _name(v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("name must not be blank")
        if _CONTROL.search(v):
            raise ValueError("name must not contain control characters")
        return v

    @check("address")
    def _address(v: str) -> str:
        return validate_address(v)

    @check("port")
    def _port(v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"port {v} is outside 1-65535")
        return v

    @check("user")
    def _user(v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if not v:
            return None
        if _CONTROL.search(v):
            raise ValueError("user must not contain control characters")
        return v

    @check("category")
    def _category(v: list[str]) -> list[str]:
        return [s.strip() for s in v if s and s.strip()]


def _quoted(value: str, limit: int = 60) -> str:
    """A rejected value for a message: quoted, cut to ``limit`` characters (a file can hold megabytes)."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"… ({len(value):,} characters)"


def validate_address(value: str) -> str:
    """Accept a DNS name, an IPv4 address or an IPv6 address (brackets removed); reject the rest."""
    v = value.strip()
    if v.startswith("[") and v.endswith("]"):
        v = v[1:-1]
    if not v:
        raise ValueError("address must not be blank")
    if "@" in v:  # what precedes '@' may be user:password, so it is never quoted
        shown = _quoted("…@" + v.rpartition("@")[2])
        raise ValueError(f"address {shown} has a user part; give the user in its own field")
    if _CANONICAL_IPV4.fullmatch(v):
        return v
    ip, percent, scope = v.partition("%")
    # only text with a ':' (IPv6) or of digits and dots (IPv4) can be an IP address
    if ":" in ip or _DIGITS_AND_DOTS.fullmatch(ip):
        try:
            return str(ipaddress.ip_address(ip)) + percent + scope
        except ValueError:
            pass
    if _FORBIDDEN_IN_ADDRESS.search(v):
        raise ValueError(f"address {_quoted(value)} contains characters a host name cannot have")
    if v.endswith("."):
        v = v[:-1]
    if len(v) > 253 or not _HOST_NAME.fullmatch(v):
        raise ValueError(f"address {_quoted(value)} is not a valid host name")
    if _DIGITS_AND_DOTS.fullmatch(v):
        raise ValueError(f"address {_quoted(value)} is not a valid IPv4 address")
    return v


@dataclass
class RejectedRow:
    """A spreadsheet row that was not imported, kept in its input shape so it can be fixed and fed back.

    Columns that carry secrets are emptied by the source before the row is stored here.
    """

    file: str
    line: int
    header: list[str]
    values: list[str]
    reason: str


@dataclass
class SourceResult:
    """What reading one source gives: the hosts, and everything it did not import or guessed.

    ``held`` holds the keys of entries that exist in the source but could not be imported (a bad
    port, an unreadable key, a broken jump chain). They are *present*: a sync never updates, prunes
    or quarantines their XPipe entries, and the run fails so the user fixes them. A source computes
    an entry's key before it validates the rest, so every error it reports on an entry can hold it.

    ``partial`` says the source stopped reading early or skipped content whose entries it cannot name
    (an unclosed quote, an unreadable Include, a row limit): any key may be missing, so with it set a
    prune deletes nothing (``Plan.refusal``).
    """

    hosts: list[Host] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rejects: list[RejectedRow] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    partial: bool = False

    def extend(self, other: SourceResult) -> None:
        self.hosts.extend(other.hosts)
        self.diagnostics.extend(other.diagnostics)
        self.rejects.extend(other.rejects)
        self.held |= other.held
        self.partial = self.partial or other.partial

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]
