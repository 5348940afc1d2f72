"""Source formats, found by name or detected from the file.

Each format lives in its own module and is imported only when used, so one broken optional
format never stops the others.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from migrator.errors import ConfigError, InputError
from migrator.model import Diagnostic, SourceResult
from migrator.sources.base import Source
from migrator.sources.limits import open_source_file

#: The diagnostic code of a source that could not be read at all while others were.
UNREADABLE = "source-unreadable"

FORMATS: dict[str, str] = {
    "csv": "migrator.sources.tabular.csv:CsvSource",
    "excel": "migrator.sources.tabular.excel:ExcelSource",
    "ssh_config": "migrator.sources.ssh_config.source:SshConfigSource",
    "putty": "migrator.sources.putty.source:PuttySource",
    "mobaxterm": "migrator.sources.mobaxterm:MobaXtermSource",
}


def source_class(fmt: str) -> type[Source]:
    try:
        target = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown source format {fmt!r}; known: {', '.join(sorted(FORMATS))}") from None
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


def detect_format(path: Path) -> str:
    """Pick the format whose ``detect`` is surest about ``path``; fail with the file named."""
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
        ((cls.detect(path, head), fmt) for fmt, cls in available_formats().items()), reverse=True
    )
    if not scores or scores[0][0] <= 0:
        raise InputError(
            f"{path}: cannot tell which format this is; name it with FORMAT:PATH "
            f"(formats: {', '.join(sorted(FORMATS))})"
        )
    return scores[0][1]


def parse_source_spec(spec: str) -> tuple[str | None, Path]:
    """``FORMAT:PATH`` names the format explicitly; a bare path is detected."""
    fmt, sep, rest = spec.partition(":")
    if sep and fmt in FORMATS and rest:
        return fmt, Path(rest)
    return None, Path(spec)


def open_source(spec: str | Path, fmt: str | None = None, **options) -> Source:
    if fmt is None and isinstance(spec, str):
        fmt, path = parse_source_spec(spec)
    else:
        path = Path(spec)
    if fmt is None:
        fmt = detect_format(path)
    elif not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return source_class(fmt)(path, **options)


def read_sources(specs, **options) -> SourceResult:
    """Read every source into one result; a key seen twice is reported and the later one dropped.

    A source that cannot be read (missing, not a regular file, over a cap in ``limits``) becomes one
    ``source-unreadable`` error and the other sources are still read; only when no source at all can
    be read is the error raised. A configuration error (``ConfigError``) concerns every source and
    is always raised.
    """
    specs = list(specs)
    result = SourceResult()
    failed: list[InputError] = []
    for spec in specs:
        try:
            result.extend(open_source(spec, **options).read())
        except ConfigError:
            raise
        except InputError as exc:
            failed.append(exc)
            result.diagnostics.append(Diagnostic(
                level="error", code=UNREADABLE, file=str(spec),
                message=f"{exc}; nothing from this source is imported (the other sources are)"))
    if failed and len(failed) == len(specs):
        if len(failed) == 1:
            raise failed[0]
        raise InputError("; ".join(str(e) for e in failed))
    seen: dict[str, object] = {}
    unique = []
    for host in result.hosts:
        if host.key in seen:
            result.diagnostics.append(
                Diagnostic(
                    level="error", code="duplicate-key", file=host.source.file, line=host.source.line,
                    entry=host.name,
                    message=f"source key {host.key} was read twice (the same file given twice?); "
                    "the second copy is not imported",
                )
            )
            continue
        seen[host.key] = host
        unique.append(host)
    result.hosts = unique
    return result
