"""The parsed file tree: one ``Directive`` per line, ``Include`` targets nested under theirs,
and the ``Resolution`` of one alias.

A 100,000-host config is half a million directives, all held while the aliases resolve: the
records are slotted, and a line without criteria or Includes shares one empty tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from migrator.sources.ssh_config.jump import JumpSetting
from migrator.sources.ssh_config.keywords import Keyword
from migrator.sources.ssh_config.lexer import WHITESPACE


@dataclass(slots=True)
class Criterion:
    negate: bool
    name: str
    arg: str | None = None


@dataclass(slots=True)
class Directive:
    """One non-comment line: keyword, arguments and what it means."""

    file: str
    line: int
    keyword: str  # as written
    spec: Keyword | None  # None: not an OpenSSH keyword
    args: list[str]
    raw: str  # the rest of the line after the keyword, leading whitespace removed
    error: str | None = None
    criteria: Sequence[Criterion] = ()
    jump: JumpSetting | None = None
    port: int | None = None
    includes: Sequence[IncludedFile] = ()
    description: str | None = None
    kind: str = field(init=False)  # the keyword's kind, "unknown" when it is not an OpenSSH keyword

    def __post_init__(self) -> None:
        self.kind = self.spec.kind if self.spec else "unknown"

    def command(self) -> str:
        return self.raw.lstrip(WHITESPACE + "=")


@dataclass(slots=True)
class IncludedFile:
    path: str
    directives: list[Directive]


@dataclass(slots=True)
class Resolution:
    """An alias resolved like ``ssh -G``; ``user`` is None when the file sets none."""

    alias: str
    hostname: str
    port: int
    user: str | None
    identity_files: list[str]
    certificate_files: list[str]
    identities_only: bool | None
    identity_agent: str | None
    jump: JumpSetting | None  # None: no ProxyJump (or ProxyJump none)
    proxy_command: str | None
    options: list[tuple[str, str]]  # every other keyword set, canonical spelling, in order
    declared: bool  # a Host line naming the alias applied to it in the first pass
    hostname_error: str | None = None
    final_pass: bool = False

    @property
    def proxy_jump(self) -> str | None:
        return self.jump.ssh_g() if self.jump else None
