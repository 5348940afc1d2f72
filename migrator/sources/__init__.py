"""Source formats: the registry, detection, and ``FORMAT:LOCATION`` specs.

``FORMATS`` is the one list of built-in formats; plugins add theirs through entry points
(``migrator.sources.registry``). The job file's ``format`` key, ``FORMAT:PATH``, detection and the
``formats`` command all read the registry, and every decision about a format (tabular, remote, its
options) is declared on its class, so adding a format is its module plus one line here. Each format
is imported only when used, so one broken format never stops the others.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from migrator.errors import InputError
from migrator.sources.base import Source
from migrator.sources.limits import open_source_file
from migrator.sources.registry import Registry

FORMATS: dict[str, str] = {
    "csv": "migrator.sources.tabular.csv:CsvSource",
    "excel": "migrator.sources.tabular.excel:ExcelSource",
    "ssh_config": "migrator.sources.ssh_config.source:SshConfigSource",
    "putty": "migrator.sources.putty.source:PuttySource",
    "mobaxterm": "migrator.sources.mobaxterm:MobaXtermSource",
    "ansible": "migrator.sources.ansible.source:AnsibleSource",
    "mremoteng": "migrator.sources.mremoteng.source:MremotengSource",
    "xo": "migrator.sources.xo.source:XoSource",
    "royalts": "migrator.sources.royalts.source:RoyalTsSource",
    "rdm": "migrator.sources.rdm.source:RdmSource",
    "securecrt": "migrator.sources.securecrt.source:SecureCrtSource",
    "winscp": "migrator.sources.winscp.source:WinScpSource",
    "remmina": "migrator.sources.remmina.source:RemminaSource",
    "tabby": "migrator.sources.tabby.source:TabbySource",
    "asbru": "migrator.sources.asbru.source:AsbruSource",
    "windows_terminal": "migrator.sources.windows_terminal.source:WindowsTerminalSource",
}


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The formats of this process (built-ins, and plugins once a lookup needs them)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry(FORMATS)
    return _REGISTRY


def format_names() -> tuple[str, ...]:
    """Every usable format name: the built-ins and the plugins that load."""
    return tuple(registry().usable())


def source_class(fmt: str) -> type[Source]:
    return registry().load(fmt)


def available_formats() -> dict[str, type[Source]]:
    return registry().usable()


def formats_where(predicate) -> tuple[str, ...]:
    """The usable formats whose class satisfies ``predicate`` (``lambda cls: cls.tabular``)."""
    return tuple(name for name, cls in available_formats().items() if predicate(cls))


def detect_format(location: str | Path) -> str:
    """Pick the local format whose ``detect`` is surest about ``location``; fail with the file named.

    Two formats equally sure is an error that names both, never a silent pick. A plugin whose
    ``detect`` raises is reported (``registry().problems()``) and counts as not sure.
    """
    path = Path(location)
    if not path.exists():
        prefix, sep, rest = str(location).partition(":")
        if sep and rest and re.fullmatch(r"[a-z][a-z0-9_]{1,31}", prefix) and Path(rest).exists():
            raise InputError(
                f"{location}: {prefix!r} is not a source format this installation knows "
                f"(known: {', '.join(format_names())}; a plugin's format needs the plugin installed)"
            )
        raise InputError(f"{path}: no such file or folder")
    head = b""
    if not path.is_dir():
        with open_source_file(path) as fh:  # refuses a FIFO, device or socket before any format looks
            try:
                head = fh.read(8192)
            except OSError as exc:
                raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    reg = registry()
    scores = []
    for fmt, cls in reg.usable().items():
        if cls.remote:
            continue
        try:
            score = int(cls.detect(path, head))
        except Exception as exc:
            if reg.entry(fmt).builtin:
                raise
            reg.refused.append(f"{reg.entry(fmt).origin}: its detect failed on {path} ({type(exc).__name__})")
            continue
        if score > 0:
            scores.append((min(score, 100), fmt))
    scores.sort(key=lambda s: (-s[0], s[1]))
    if not scores:
        raise InputError(
            f"{path}: cannot tell which format this is; name it with FORMAT:PATH (xpipe-migrate formats lists them)"
        )
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        tied = [fmt for score, fmt in scores if score == scores[0][0]]
        raise InputError(
            f"{path}: the formats {', '.join(tied)} are equally sure this file is theirs; "
            f"name one with FORMAT:PATH (e.g. {tied[0]}:{path})"
        )
    return scores[0][1]


def parse_source_spec(spec: str) -> tuple[str | None, str]:
    """``FORMAT:LOCATION`` names the format explicitly; a bare location is detected."""
    fmt, sep, rest = spec.partition(":")
    if sep and rest and (fmt in FORMATS or (fmt and registry_has(fmt))):
        return fmt, rest
    return None, spec


def registry_has(fmt: str) -> bool:
    """Whether ``fmt`` is a registered name (a broken plugin's too, so using it says what is wrong)."""
    return fmt in registry().names()


def open_source(
    spec: str | Path,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    *,
    where: str | None = None,
    key_location: str | None = None,
) -> Source:
    """The source a spec names, with its options validated against the format's options model."""
    if fmt is None and isinstance(spec, str):
        fmt, location = parse_source_spec(spec)
    else:
        location = spec.as_posix() if isinstance(spec, Path) else spec
    if fmt is None:
        fmt = detect_format(location)
    cls = source_class(fmt)
    parsed = cls.parse_options(options, where or f"{location} ({fmt})")
    return cls(location, parsed, key_location=key_location)
