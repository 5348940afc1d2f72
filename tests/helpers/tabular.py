"""Builders for the CSV and Excel tests (and the source of ``samples/excel/inventory.xlsx``).

openpyxl writes formula cells without a saved result (``<f>..</f><v/>``), unlike Excel and
LibreOffice, which store the last calculated value next to the formula. ``set_cached_values``
writes that value into the sheet XML the way Excel does (``t="str"`` for text), so the file
reads like one saved by a spreadsheet program.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook

from migrator.sources.tabular.excel import sheet_parts


def set_cached_values(path: Path, values: dict[str, dict[str, object]]) -> None:
    """Store ``values[sheet][cell]`` as the saved result of that formula cell."""
    with zipfile.ZipFile(path) as zin:
        parts = sheet_parts(zin)
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    by_part = {parts[sheet][0]: cells for sheet, cells in values.items()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            cells = by_part.get(info.filename)
            if cells:
                xml = data.decode("utf-8")
                for ref, value in cells.items():
                    pattern = re.compile(rf'<c r="{ref}"([^>]*)>(<f>.*?</f>)(?:<v\s*/>|<v>.*?</v>)?</c>', re.S)
                    attrs_kind = ' t="str"' if isinstance(value, str) else ""
                    text = escape(str(value))

                    def repl(m, ref=ref, attrs_kind=attrs_kind, text=text):
                        attrs = re.sub(r'\s+t="[^"]*"', "", m.group(1))
                        return f'<c r="{ref}"{attrs}{attrs_kind}>{m.group(2)}<v>{text}</v></c>'

                    xml, n = pattern.subn(repl, xml)
                    if n != 1:
                        raise AssertionError(f"formula cell {ref} not found in {info.filename}")
                data = xml.encode("utf-8")
            zout.writestr(info, data)


def build_inventory_workbook(path: Path) -> Path:
    """A workbook the way people keep inventories: a title row, merged folder cells, formulas,
    numbers where text was meant, a hidden row and a hidden sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Servers"
    ws["A1"] = "Server inventory - ACME Corp"
    ws.merge_cells("A1:H1")
    ws.append([])
    ws.append(["Name", "Host", "Port", "User", "Folder", "Jump", "Tags", "Description"])
    rows = [
        ["xl-bastion", "bastion.example.org", 22.0, "jump", "Infrastructure", None, "bastion", "Entry point"],
        ["xl-web-01", "192.0.2.101", 22.0, "deploy", "Production/Web", "xl-bastion", "web;prod", "Web 1"],
        ["xl-web-02", "192.0.2.102", 22.0, "deploy", None, "xl-bastion", "web;prod", "Web 2"],
        ["xl-web-03", None, 2222.0, "deploy", None, "xl-bastion", "web;prod", "Web 3 (host by formula)"],
        ["xl-db-01", "192.0.2.111", 5432, "postgres", "Production/Database", "xl-bastion", "db", "Hidden"],
        ["xl-lab-01", dt.datetime(2001, 2, 3), 22, "root", "Lab", None, "lab", "IP typed into a date cell"],
        ["xl-lab-02", 10.5, 22, "root", "Lab", None, "lab", "IP typed as a number"],
        ["xl-lab-03", "lab-03.example.org", "22", "root", "Lab", None, "lab", "port typed as text"],
    ]
    for r in rows:
        ws.append(r)
    # Production/Web is written once and merged down over the three web servers (rows 5-7)
    ws.merge_cells("E5:E7")
    ws["B7"] = '=LOWER("WEB-03")&".example.org"'
    ws.row_dimensions[8].hidden = True
    ws["B9"].number_format = "d.m.yyyy"
    ws["C5"].number_format = "0.0"
    old = wb.create_sheet("Decommissioned")
    old.append(["Name", "Host", "Port", "User"])
    old.append(["xl-old-01", "old-01.example.org", 22, "root"])
    old.sheet_state = "hidden"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Maintained by the ops team; ask before changing."
    wb.save(path)
    set_cached_values(path, {"Servers": {"B7": "web-03.example.org"}})
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
