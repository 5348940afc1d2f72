"""CSV inventories and the CSV exports of other connection managers.

The file's bytes are decoded (a BOM wins; then strict UTF-8; then Windows-1252 with a warning,
which is what Excel writes for "CSV (comma/semicolon delimited)"), the delimiter is sniffed from
the first lines (comma, semicolon, tab or pipe), and lines whose first character is ``#`` are
comments. The header is the first row that a mapping profile recognises (title rows above it are
skipped and reported). Line numbers are physical lines, so a row's number is where it starts in
the file, counting the header's line (normally 1).

Options: ``mapping`` (profile name or .toml path), ``encoding``, ``delimiter``.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import ConfigError
from migrator.model import Diagnostic, SourceResult
from migrator.sources.base import FileSource, SourceOptions, TextCodec
from migrator.sources.limits import MAX_CSV_CELL, MAX_LINES, read_source_bytes, size_text, too_large

if TYPE_CHECKING:  # the table readers are imported when a file is read, so detecting formats stays cheap
    from migrator.sources.tabular.table import Table

DELIMITERS = (",", ";", "\t", "|")
#: A record spanning more physical lines than this probably has an unclosed quote.
_RUNAWAY_LINES = 20
_SNIFF_LINES = 60

csv.field_size_limit(MAX_CSV_CELL)


def decode(data: bytes, forced: str | None = None) -> tuple[str, str, str | None]:
    """Bytes to text: returns (text, encoding used, warning or None)."""
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise ConfigError(f"unknown encoding {forced!r}") from None
        try:
            return data.decode(forced), forced, None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return (
                data.decode(forced, errors="replace"),
                forced,
                f"bytes on line {line} are not valid {forced}; they were replaced by \ufffd",
            )
    if data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    else:
        try:
            return data.decode("utf-8"), "utf-8", None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return (
                data.decode("cp1252", errors="replace"),
                "cp1252",
                f"the file is not UTF-8 (first at line {line}); read it as Windows-1252 (cp1252). "
                "If names look wrong, give the right encoding",
            )
    try:
        return data.decode(enc), enc, None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return (
            data.decode(enc, errors="replace"),
            enc,
            f"bytes near line {line} are not valid {enc}; they were replaced by \ufffd",
        )


def _is_skippable(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


class _Lines:
    """Feeds csv.reader one physical line at a time, skipping blank and comment lines between records.

    ``start`` is the physical line number where the current record began.
    """

    def __init__(self, text: str):
        self._it = iter(io.StringIO(text, newline=""))
        self.line = 0
        self.start = 0
        self.at_boundary = True

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while True:
            line = next(self._it)
            self.line += 1
            if self.at_boundary:
                if _is_skippable(line):
                    continue
                self.start = self.line
                self.at_boundary = False
            return line


class CsvLimitError(csv.Error):
    """The csv module refused a record (a cell over ``MAX_CSV_CELL``); ``line`` is where it starts."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def iter_records(text: str, delimiter: str, quoting: str = "minimal"):
    """Yield (start line, end line, fields) for every record of ``text``."""
    lines = _Lines(text)
    opts = {"quoting": csv.QUOTE_NONE} if quoting == "none" else {}
    reader = csv.reader(lines, delimiter=delimiter, strict=False, **opts)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvLimitError(lines.start, str(exc)) from None
        lines.at_boundary = True
        yield lines.start, lines.line, fields


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most rows of one consistent width (>= 2)."""
    sample_lines = []
    for line in io.StringIO(text, newline=""):
        if not _is_skippable(line):
            sample_lines.append(line)
        if len(sample_lines) >= _SNIFF_LINES:
            break
    sample = "".join(sample_lines)
    best = (0, 0, ",")
    for rank, delim in enumerate(DELIMITERS):
        try:
            widths = [len(f) for _, _, f in iter_records(sample, delim)]
        except csv.Error:
            continue
        widths = [w for w in widths if w >= 2]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        score = (widths.count(mode), mode)
        if score > best[:2] or (score == best[:2] and rank < DELIMITERS.index(best[2])):
            best = (*score, delim)
    return best[2]


class CsvOptions(SourceOptions):
    #: a codec name; default: detected (BOM, UTF-8, then the Windows code page)
    encoding: TextCodec | None = None
    #: one character, or tab/comma/semicolon; default: sniffed
    delimiter: str | None = None
    #: a bundled profile name or a .toml path; default: detected from the header
    mapping: str | None = None


class CsvSource(FileSource):
    format = "csv"
    summary = "CSV/TSV exports (mRemoteNG, Royal TS, RDM, Termius, SecureCRT, generic) through a column profile"
    Options = CsvOptions
    tabular = True

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "servers.csv"
        path.write_text("name,host,port,user,folder\nweb-01,192.0.2.11,22,deploy,Production/Web\n", encoding="utf-8")
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if not path.is_file():
            return 0
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv"):
            return 70
        if suffix == ".txt":
            first = head.split(b"\n", 1)[0]
            return 20 if any(d.encode() in first for d in DELIMITERS) else 0
        return 0

    def load(self) -> tuple[list[Table], list[Diagnostic], dict]:
        """Decode, sniff and find the header. Returns the table, reading diagnostics and file facts
        (encoding, delimiter, quoting; ``unmatched`` holds the first row when no header was found)."""
        try:
            return self._load()
        except CsvLimitError as exc:
            raise too_large(f"{self.display_path}: line {exc.line}", "a cell", size_text(MAX_CSV_CELL)) from None

    partial = False

    def _load(self) -> tuple[list[Table], list[Diagnostic], dict]:
        from migrator.sources.tabular.headers import HEADER_SCAN_ROWS, choose_header, profiles_for
        from migrator.sources.tabular.table import RawRow, RejectFormat, Table

        data = read_source_bytes(self.path, self.display_path)
        diags: list[Diagnostic] = []
        text, encoding, warning = decode(data, self.options.encoding)
        if warning:
            diags.append(self.diag("warning", "encoding", warning))
        if "\x00" in text:
            diags.append(self.diag("warning", "nul-bytes", "the file contains NUL bytes; they were removed"))
            text = text.replace("\x00", "")
        delimiter = self.options.delimiter
        if delimiter:
            delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise ConfigError(f"delimiter must be one character, not {delimiter!r}")
        else:
            delimiter = sniff_delimiter(text)
        facts = {"encoding": encoding, "delimiter": delimiter}
        profiles, forced = profiles_for(self.options.mapping)
        head = []
        for start, _, fields in iter_records(text, delimiter):
            head.append((start, fields))
            if len(head) >= HEADER_SCAN_ROWS:
                break
        if not head:
            diags.append(self.diag("warning", "empty", "the file has no rows"))
            return [], diags, facts
        chosen = choose_header(head, profiles, forced, self.display_path)
        if chosen is None:
            looked = ", ".join(sorted({c for p in profiles for c in p.fields["host"].columns}))
            diags.append(
                self.diag(
                    "error",
                    "no-header",
                    f"no header row with a host column in the first {len(head)} rows (looked for: {looked}); "
                    "nothing was imported. Pass --mapping or rename the columns",
                    line=head[0][0],
                )
            )
            facts["unmatched"] = [(None, head[0][0], head[0][1])]
            return [], diags, facts
        idx, detection = chosen
        header_line = head[idx][0]
        if idx:
            diags.append(
                self.diag(
                    "info",
                    "above-header",
                    f"{idx} row(s) above the header (line {header_line}) are not data and were skipped",
                    line=head[0][0],
                )
            )
        profile = detection.match.profile
        if profile.path is not None:
            self.inputs.append(profile.path)  # a changed profile changes the plan: part of the fingerprint
        quoting = profile.quoting
        rows: list[RawRow] = []
        for start, end, fields in iter_records(text, delimiter, quoting):
            if start <= header_line:
                continue
            if len(rows) >= MAX_LINES:
                raise too_large(self.display_path, "the number of rows", f"{MAX_LINES:,}")
            if end - start >= _RUNAWAY_LINES:
                self.partial = True  # the rows after a missing quote are read as one cell
                diags.append(
                    self.diag(
                        "warning",
                        "long-record",
                        f"the row starting on line {start} spans {end - start + 1} lines; a closing quote may be "
                        "missing",
                        line=start,
                    )
                )
            rows.append(RawRow(line=start, values=fields))
        fmt = RejectFormat(delimiter=delimiter, encoding=encoding, quoting=quoting)
        table = Table(section=None, header_line=header_line, detection=detection, rows=rows, reject_format=fmt)
        facts["quoting"] = quoting
        return [table], diags, facts

    def read(self) -> SourceResult:
        from migrator.sources.tabular.table import map_tables

        tables, diags, _ = self.load()
        result = map_tables(self, tables)
        result.diagnostics[:0] = diags
        result.partial = result.partial or self.partial
        return result
