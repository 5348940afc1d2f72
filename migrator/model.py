"""The neutral host model every source produces and every later stage consumes.

Sources never talk to XPipe; they turn a file into ``Host`` objects plus ``Diagnostic``s. A host's
``key`` (format, file, entry id) is stable across runs, which is what makes re-runs idempotent.
Secrets are ``SecretStr``: they print as ``**********`` and must be unwrapped explicitly.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from migrator.escape import console

Level = Literal["error", "warning", "info"]

_FORBIDDEN_IN_ADDRESS = re.compile(r"[\s/\\@'\"`;,<>|&$]")


class Diagnostic(BaseModel):
    """Something a stage wants the user to know: a skipped entry, a bad field, a guess it made.

    ``file``/``line``/``field`` locate it in the user's input (``line`` is the line number, or the
    row number for spreadsheets); ``entry`` names the session, alias or row it is about.
    """

    model_config = ConfigDict(frozen=True)

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


class Provenance(BaseModel):
    """Where a host came from: shown in reports, used in error messages."""

    model_config = ConfigDict(frozen=True)

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


class JumpHop(BaseModel):
    """One hop of a jump chain, first hop (nearest to us) first.

    ``ref`` is the alias, session or row name the hop refers to in its source, if it names one;
    ``ref_key`` is the ``Host.key`` of that entry when the source could resolve it.
    """

    model_config = ConfigDict(frozen=True)

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


class Credentials(BaseModel):
    """What a source says about authentication. Secrets are SecretStr and never print."""

    password: SecretStr | None = None
    password_prompt: bool = False
    password_manager_ref: str | None = None
    key_files: list[str] = Field(default_factory=list)
    key_passphrase: SecretStr | None = None
    certificate_files: list[str] = Field(default_factory=list)
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


class Host(BaseModel):
    """One server as the user described it, independent of any tool's format."""

    key: str
    name: str
    address: str
    port: int = 22
    user: str | None = None
    category: list[str] = Field(default_factory=list)
    credentials: Credentials = Field(default_factory=Credentials)
    jump: list[JumpHop] = Field(default_factory=list)
    ssh_options: list[tuple[str, str]] = Field(default_factory=list)
    proxy_command: str | None = None
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    source: Provenance

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("name must not be blank")
        if any(ord(c) < 32 for c in v):
            raise ValueError("name must not contain control characters")
        return v

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return validate_address(v)

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"port {v} is outside 1-65535")
        return v

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if not v:
            return None
        if any(ord(c) < 32 for c in v):
            raise ValueError("user must not contain control characters")
        return v

    @field_validator("category")
    @classmethod
    def _category(cls, v: list[str]) -> list[str]:
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
    try:
        return str(ipaddress.ip_address(v.split("%", 1)[0])) + (("%" + v.split("%", 1)[1]) if "%" in v else "")
    except ValueError:
        pass
    if _FORBIDDEN_IN_ADDRESS.search(v) or any(ord(c) < 32 for c in v):
        raise ValueError(f"address {_quoted(value)} contains characters a host name cannot have")
    if v.endswith("."):
        v = v[:-1]
    labels = v.split(".")
    if len(v) > 253 or any(not lab or len(lab) > 63 for lab in labels):
        raise ValueError(f"address {_quoted(value)} is not a valid host name")
    if not all(re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?", lab) for lab in labels):
        raise ValueError(f"address {_quoted(value)} is not a valid host name")
    if re.fullmatch(r"[0-9.]+", v):
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
