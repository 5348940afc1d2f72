"""Excel workbooks (.xlsx/.xlsm), read with openpyxl in read-only mode.

Every visible sheet is read (or the one named by the ``sheet`` option); hidden sheets and hidden
rows are reported and skipped unless ``include_hidden`` is set. On each sheet the header is the
first row a mapping profile recognises, so title rows and blank rows above it are fine. Formulas
give the value Excel saved with the file (a formula without a saved value is reported). Cells
come out as the text the user sees: whole numbers without ``.0``; a date keeps the look its
number format gives it, and when such a cell should have been an address the error says so.

openpyxl's read-only worksheets expose neither merged ranges nor hidden rows, so one streaming
pass over the sheet's XML collects those (and formulas without a saved value) first. Merged
ranges repeat their top-left value in every cell they cover (a folder written once beside a
block of rows applies to each row).
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import ConfigError, InputError
from migrator.model import Diagnostic, SourceResult
from migrator.sources.base import FileSource, SourceOptions
from migrator.sources.limits import (
    MAX_XLSX_CELLS,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_ROWS,
    read_source_bytes,
    size_text,
    too_large,
)

if TYPE_CHECKING:  # the table readers and zipfile are imported when a workbook is read, not when formats are detected
    import zipfile

    from migrator.sources.tabular.table import Table

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def column_index(letters: str) -> int:
    """``A`` -> 1, ``AB`` -> 28."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _ref(ref: str) -> tuple[int, int] | None:
    m = _CELL_REF.match(ref.replace("$", "").upper())
    return (int(m.group(2)), column_index(m.group(1))) if m else None


@dataclass
class SheetFacts:
    """What the streaming XML pass found in one worksheet."""

    hidden_rows: set[int] = field(default_factory=set)
    #: merged ranges as (min_row, min_col, max_row, max_col)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    uncached: set[tuple[int, int]] = field(default_factory=set)
    #: the used range: the last row and column that hold a cell
    max_row: int = 0
    max_col: int = 0


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Sheet name -> (part path inside the zip, state: visible/hidden/veryHidden)."""
    from xml.etree import ElementTree  # here and below: detection of other formats does not need it

    workbook = "xl/workbook.xml"
    try:
        root = ElementTree.fromstring(archive.read("_rels/.rels"))
        for rel in root.iter(f"{_PKG_REL}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = rel.get("Target", workbook).lstrip("/")
    except KeyError:
        pass
    base = posixpath.dirname(workbook)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {}
    for rel in ElementTree.fromstring(archive.read(rels_path)).iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        )
    out = {}
    for sheet in ElementTree.fromstring(archive.read(workbook)).iter(f"{_MAIN}sheet"):
        part = targets.get(sheet.get(f"{_REL}id"))
        if part:
            out[sheet.get("name", "")] = (part, sheet.get("state", "visible"))
    return out


def scan_sheet(archive: zipfile.ZipFile, part: str, shown: str = "") -> SheetFacts:
    """Hidden rows, merged ranges, formulas without a saved result and the used range of one sheet.

    Merged ranges are clipped to the used range: a merge over whole columns (``A1:A1048576``) would
    otherwise be filled in a million times over. More rows than Excel allows is refused.
    """
    from xml.etree import ElementTree

    facts = SheetFacts()
    row_no = 0
    col_no = 0
    merges: list[tuple[int, int, int, int]] = []
    cell_tag, formula_tag, value_tag = f"{_MAIN}c", f"{_MAIN}f", f"{_MAIN}v"
    row_tag, merge_tag = f"{_MAIN}row", f"{_MAIN}mergeCell"
    with archive.open(part) as fh:
        for _, elem in ElementTree.iterparse(fh, events=("end",)):
            tag = elem.tag
            if tag == cell_tag:
                pos = _ref(elem.get("r", ""))
                col_no = pos[1] if pos else col_no + 1
                facts.max_col = max(facts.max_col, col_no)
                facts.max_row = max(facts.max_row, pos[0] if pos else row_no + 1)
                f = elem.find(formula_tag)
                if f is not None:
                    v = elem.find(value_tag)
                    if v is None or v.text is None:
                        if pos:
                            facts.uncached.add(pos)
                elem.clear()
            elif tag == row_tag:
                r = elem.get("r")
                row_no = int(r) if r and r.isdigit() else row_no + 1
                col_no = 0
                if row_no > MAX_XLSX_ROWS:
                    raise too_large(shown, f"worksheet {part}: row {row_no}", f"{MAX_XLSX_ROWS:,} rows")
                if elem.get("hidden") in ("1", "true"):
                    facts.hidden_rows.add(row_no)
                elem.clear()
            elif tag == merge_tag:
                a, _, b = (elem.get("ref") or "").partition(":")
                start, end = _ref(a), _ref(b or a)
                if start and end:
                    merges.append((start[0], start[1], end[0], end[1]))
                elem.clear()
    for min_row, min_col, max_row, max_col in merges:
        if min_row <= facts.max_row and min_col <= facts.max_col:
            facts.merges.append((min_row, min_col, min(max_row, facts.max_row), min(max_col, facts.max_col)))
    return facts


# -- what the user sees in a cell -----------------------------------------------------------------

_DATE_TOKEN = re.compile(
    r'"[^"]*"|\\.|\[[^\]]*\]|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|AM/PM|am/pm|A/P|a/p|\.0+|.',
    re.IGNORECASE,
)


def format_date(value: dt.datetime | dt.date | dt.time, number_format: str) -> str:
    """Render a date/time cell the way its Excel number format shows it (the common codes)."""
    fmt = number_format.split(";")[0]
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(1899, 12, 31), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    tokens = _DATE_TOKEN.findall(fmt)
    if not tokens or fmt.lower() == "general":
        return value.isoformat(sep=" ")
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        prev = next((t.lower() for t in reversed(tokens[:i]) if t.strip(" :-./,")), "")
        nxt = next((t.lower() for t in tokens[i + 1 :] if t.strip(" :-./,")), "")
        minutes = low in ("m", "mm") and (prev.startswith("h") or nxt.startswith("s"))
        hour = value.hour % 12 or 12 if twelve else value.hour
        if tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif tok.startswith("["):
            continue
        elif low == "yyyy":
            out.append(f"{value.year:04d}")
        elif low == "yy":
            out.append(f"{value.year % 100:02d}")
        elif minutes:
            out.append(f"{value.minute:02d}" if low == "mm" else str(value.minute))
        elif low == "mmmmm":
            out.append(value.strftime("%B")[0])
        elif low == "mmmm":
            out.append(value.strftime("%B"))
        elif low == "mmm":
            out.append(value.strftime("%b"))
        elif low == "mm":
            out.append(f"{value.month:02d}")
        elif low == "m":
            out.append(str(value.month))
        elif low == "dddd":
            out.append(value.strftime("%A"))
        elif low == "ddd":
            out.append(value.strftime("%a"))
        elif low == "dd":
            out.append(f"{value.day:02d}")
        elif low == "d":
            out.append(str(value.day))
        elif low == "hh":
            out.append(f"{hour:02d}")
        elif low == "h":
            out.append(str(hour))
        elif low == "ss":
            out.append(f"{value.second:02d}")
        elif low == "s":
            out.append(str(value.second))
        elif low in ("am/pm", "a/p"):
            out.append("AM" if value.hour < 12 else "PM")
        elif low.startswith(".0"):
            continue
        else:
            out.append(tok)
    return "".join(out)


def cell_text(value, number_format: str = "General") -> tuple[str, str | None]:
    """The text a user sees in the cell, and a note when Excel changed what was typed."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        return repr(value), "Excel stored this cell as a number; format the column as Text and type it again"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        shown = format_date(value, number_format or "General")
        return shown, (f"Excel turned this cell into a date ({shown}); format the column as Text and type it again")
    if isinstance(value, dt.timedelta):
        return str(value), "Excel stored this cell as a duration"
    return str(value), None


class ExcelOptions(SourceOptions):
    #: the sheet to read; default: every visible sheet
    sheet: str | None = None
    #: also read hidden sheets and rows
    include_hidden: bool = False
    #: a bundled profile name or a .toml path; default: detected from the header
    mapping: str | None = None


class ExcelSource(FileSource):
    format = "excel"
    summary = "Excel .xlsx workbooks, read like CSV through a column profile"
    Options = ExcelOptions
    tabular = True

    @classmethod
    def example(cls, folder: Path) -> str:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(["name", "host", "port", "user", "folder"])
        sheet.append(["web-01", "192.0.2.11", 22, "deploy", "Production/Web"])
        path = Path(folder) / "inventory.xlsx"
        book.save(path)
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if not path.is_file():
            return 0
        suffix = path.suffix.lower()
        if head.startswith(b"PK\x03\x04"):
            if suffix in (".xlsx", ".xlsm"):
                return 90
            return 40 if b"xl/" in head or b"[Content_Types].xml" in head else 0
        if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
            return 40 if suffix in (".xls", ".xlsx") else 0
        return 0

    def _open(self):
        import zipfile
        from xml.etree import ElementTree

        import openpyxl

        data = read_source_bytes(self.path, self.display_path)
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputError(f"{self.display_path}: this is an Excel 97-2003 (.xls) workbook; save it as .xlsx first")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            for member in archive.infolist():
                if member.file_size > MAX_XLSX_PART_BYTES:
                    raise too_large(
                        self.display_path,
                        f"part {member.filename} unpacked ({size_text(member.file_size)})",
                        size_text(MAX_XLSX_PART_BYTES),
                    )
            parts = sheet_parts(archive)
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError) as exc:
            raise InputError(f"{self.display_path}: not a readable .xlsx workbook ({exc})") from None
        return archive, parts, wb

    def load(self) -> tuple[list[Table], list[Diagnostic], dict]:
        archive, parts, wb = self._open()
        try:
            return self._load(archive, parts, wb)
        finally:
            wb.close()
            archive.close()

    def _load(self, archive, parts, wb) -> tuple[list[Table], list[Diagnostic], dict]:
        from migrator.sources.tabular.headers import profiles_for

        diags: list[Diagnostic] = []
        self._cells = 0
        include_hidden = self.options.include_hidden
        wanted = self.options.sheet
        names = wb.sheetnames
        if wanted:
            folded = str(wanted).casefold()
            chosen = [n for n in names if n == wanted] or [n for n in names if n.casefold() == folded]
            if not chosen:
                raise ConfigError(f"{self.display_path}: no sheet named {wanted!r} (sheets: {', '.join(names)})")
            selected = chosen[:1]
        else:
            selected = []
            for n in names:
                state = parts.get(n, ("", "visible"))[1]
                if state != "visible" and not include_hidden:
                    diags.append(
                        self.diag(
                            "warning",
                            "hidden-sheet",
                            f"sheet {n!r} is {'very ' if state == 'veryHidden' else ''}hidden and was skipped; "
                            "include hidden sheets to read it",
                        )
                    )
                    continue
                selected.append(n)
        profiles, forced = profiles_for(self.options.mapping)
        tables = []
        unmatched: list[tuple[str, int, list[str]]] = []
        for name in selected:
            ws = wb[name]
            if not hasattr(ws, "iter_rows"):
                diags.append(self.diag("info", "chart-sheet", f"sheet {name!r} is a chart sheet; skipped"))
                continue
            part = parts.get(name, ("", ""))[0]
            facts = scan_sheet(archive, part, self.display_path) if part else SheetFacts()
            table = self._sheet_table(ws, name, facts, profiles, forced, include_hidden, diags, unmatched)
            if table is not None:
                tables.append(table)
        return tables, diags, {"sheets": names, "read": [t.section for t in tables], "unmatched": unmatched}

    def _sheet_rows(self, ws, facts: SheetFacts):
        """Yield (row number, values, notes) with merged ranges filled in."""
        by_row: dict[int, list[tuple[int, int, int, int]]] = {}
        for rng in facts.merges:
            for r in range(rng[0], rng[2] + 1):
                by_row.setdefault(r, []).append(rng)
        anchors: dict[tuple[int, int], tuple[str, str | None]] = {}
        ws.reset_dimensions()
        for r, cells in enumerate(ws.iter_rows(), start=1):
            values: list[str] = []
            notes: dict[int, str] = {}
            for c, cell in enumerate(cells):
                self._cells += 1
                if self._cells > MAX_XLSX_CELLS:
                    raise too_large(self.display_path, "the number of cells", f"{MAX_XLSX_CELLS:,}")
                value = getattr(cell, "value", None)
                # the number format only changes how a date reads (a style lookup for every cell otherwise)
                dated = isinstance(value, (dt.datetime, dt.date, dt.time))
                text, note = cell_text(value, getattr(cell, "number_format", "General") if dated else "General")
                values.append(text)
                if (r, c + 1) in facts.uncached:
                    note = (
                        "the cell holds a formula without a saved result (the file was written by a "
                        "program that does not calculate); open and save it in Excel or LibreOffice"
                    )
                if note:
                    notes[c] = note
            for rng in by_row.get(r, ()):
                min_row, min_col, max_row, max_col = rng
                if r == min_row:
                    i = min_col - 1
                    anchors[(min_row, min_col)] = (values[i] if i < len(values) else "", notes.get(i))
                text, note = anchors.get((min_row, min_col), ("", None))
                if len(values) < max_col:
                    self._cells += max_col - len(values)
                    values.extend([""] * (max_col - len(values)))
                for col in range(min_col - 1, max_col):
                    values[col] = text
                    if note:
                        notes[col] = note
            yield r, values, notes

    def _sheet_table(self, ws, name, facts, profiles, forced, include_hidden, diags, unmatched) -> Table | None:
        from migrator.sources.tabular.headers import HEADER_SCAN_ROWS, choose_header
        from migrator.sources.tabular.table import RawRow, RejectFormat, Table

        rows = [(r, v, n) for r, v, n in self._sheet_rows(ws, facts) if any(x.strip() for x in v)]
        if not rows:
            diags.append(self.diag("info", "empty-sheet", f"sheet {name!r} is empty"))
            return None
        head = [(r, v) for r, v, _ in rows[:HEADER_SCAN_ROWS]]
        chosen = choose_header(head, profiles, forced, f"{self.display_path} sheet {name!r}")
        if chosen is None:
            diags.append(
                self.diag(
                    "warning",
                    "no-header",
                    f"sheet {name!r} has no header row with a host column in its first {len(head)} rows; skipped",
                    line=head[0][0],
                )
            )
            unmatched.append((name, head[0][0], head[0][1]))
            return None
        idx, detection = chosen
        if detection.match.profile.path is not None:
            self.inputs.append(detection.match.profile.path)
        header_row = head[idx][0]
        if idx:
            diags.append(
                self.diag(
                    "info",
                    "above-header",
                    f"sheet {name!r}: {idx} row(s) above the header (row {header_row}) are not data; skipped",
                    line=head[0][0],
                )
            )
        data: list[RawRow] = []
        for r, values, notes in rows:
            if r <= header_row:
                continue
            if r in facts.hidden_rows and not include_hidden:
                diags.append(
                    self.diag(
                        "info",
                        "hidden-row",
                        f"sheet {name!r} row {r} is hidden and was skipped; include hidden rows to read it",
                        line=r,
                    )
                )
                continue
            data.append(RawRow(line=r, values=values, notes=notes))
        uncached = len(facts.uncached)
        if uncached:
            diags.append(
                self.diag(
                    "warning",
                    "formula-no-value",
                    f"sheet {name!r} has {uncached} formula cell(s) without a saved result; they read as blank",
                    field=name,
                )
            )
        fmt = RejectFormat(delimiter=",", encoding="utf-8-sig", quoting="minimal")
        return Table(section=name, header_line=header_row, detection=detection, rows=data, reject_format=fmt)

    def read(self) -> SourceResult:
        from migrator.sources.tabular.table import map_tables

        tables, diags, _ = self.load()
        result = map_tables(self, tables)
        result.diagnostics[:0] = diags
        return result
