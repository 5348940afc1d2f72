"""Source formats: the registry, detection, and ``FORMAT:LOCATION`` specs.

``FORMATS`` is the one list of formats: the CLI's help, the job file's ``format`` key and detection
all read it, so adding a format is its module plus one line here. Each format is imported only when
used, so one broken optional format never stops the others.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from migrator.errors import InputError
from migrator.sources.base import Source
from migrator.sources.limits import open_source_file

FORMATS: dict[str, str] = {
    "csv": "migrator.sources.tabular.csv:CsvSource",
    "excel": "migrator.sources.tabular.excel:ExcelSource",
    "ssh_config": "migrator.sources.ssh_config.source:SshConfigSource",
    "putty": "migrator.sources.putty.source:PuttySource",
    "mobaxterm": "migrator.sources.mobaxterm:MobaXtermSource",
    "ansible": "migrator.sources.ansible.source:AnsibleSource",
    "xo": "migrator.sources.xo.source:XoSource",
    "asbru": "migrator.sources.asbru.source:AsbruSource",
    "windows_terminal": "migrator.sources.windows_terminal.source:WindowsTerminalSource",
}


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def source_class(fmt: str) -> type[Source]:
    try:
        target = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown source format {fmt!r}; known: {', '.join(FORMATS)}") from None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def available_formats() -> dict[str, type[Source]]:
    out = {}
    for fmt in FORMATS:
        try:
            out[fmt] = source_class(fmt)
        except ImportError:
            continue
    return out


def detect_format(location: str | Path) -> str:
    """Pick the local format whose ``detect`` is surest about ``location``; fail with the file named."""
    path = Path(location)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    head = b""
    if not path.is_dir():
        with open_source_file(path) as fh:  # refuses a FIFO, device or socket before any format looks
            try:
                head = fh.read(8192)
            except OSError as exc:
                raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    scores = sorted(
        ((cls.detect(path, head), fmt) for fmt, cls in available_formats().items() if not cls.remote),
        reverse=True,
    )
    if not scores or scores[0][0] <= 0:
        raise InputError(
            f"{path}: cannot tell which format this is; name it with FORMAT:PATH (formats: {', '.join(FORMATS)})"
        )
    return scores[0][1]


def parse_source_spec(spec: str) -> tuple[str | None, str]:
    """``FORMAT:LOCATION`` names the format explicitly; a bare location is detected."""
    fmt, sep, rest = spec.partition(":")
    if sep and fmt in FORMATS and rest:
        return fmt, rest
    return None, spec


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
