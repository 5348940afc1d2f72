"""The Excel source against real .xlsx files written by openpyxl (with saved formula results
added the way Excel stores them) and the shipped sample workbook."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.tabular import build_inventory_workbook, set_cached_values
from openpyxl import Workbook

from migrator.errors import ConfigError, InputError
from migrator.sources import detect_format
from migrator.sources.tabular.excel import ExcelSource, cell_text, format_date
from migrator.sources.tabular.rejects import write_rejects

ROOT = REPO_ROOT
SAMPLE = ROOT / "samples" / "excel" / "inventory.xlsx"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> Path:
    return build_inventory_workbook(tmp_path_factory.mktemp("xlsx") / "inventory.xlsx")


def by_name(result):
    return {h.name: h for h in result.hosts}


def test_title_row_merged_cells_formulas_and_numeric_cells(inventory):
    result = ExcelSource(inventory).read()
    hosts = by_name(result)
    assert set(hosts) == {"xl-bastion", "xl-web-01", "xl-web-02", "xl-web-03", "xl-lab-03"}
    # the header is on row 3 under a merged title row and a blank row
    assert any(d.code == "above-header" for d in result.diagnostics)
    assert hosts["xl-bastion"].source.line == 4 and hosts["xl-bastion"].source.section == "Servers"
    # 22.0 in a cell is port 22; "22" typed as text too
    assert hosts["xl-bastion"].port == 22 and hosts["xl-lab-03"].port == 22
    assert hosts["xl-web-03"].port == 2222
    # Production/Web written once in a cell merged over three rows applies to each of them
    assert [hosts[n].category for n in ("xl-web-01", "xl-web-02", "xl-web-03")] == [["Production", "Web"]] * 3
    # a formula gives the value saved with it
    assert hosts["xl-web-03"].address == "web-03.example.org"
    assert hosts["xl-web-01"].jump[0].ref_key == hosts["xl-bastion"].key


def test_ips_that_excel_turned_into_dates_or_numbers_are_rejected_with_the_reason(inventory):
    result = ExcelSource(inventory).read()
    errors = {d.line: d for d in result.errors}
    assert set(errors) == {9, 10}
    assert errors[9].field == "Host" and "3.2.2001" in errors[9].message and "date" in errors[9].message
    assert "10.5" in errors[10].message and "as a number" in errors[10].message
    assert "2001-02-03" not in errors[9].message


def test_hidden_rows_and_sheets_are_reported_and_skipped_unless_asked(inventory):
    result = ExcelSource(inventory).read()
    codes = {(d.code, d.line) for d in result.diagnostics}
    assert ("hidden-row", 8) in codes
    assert any(d.code == "hidden-sheet" and "Decommissioned" in d.message for d in result.diagnostics)
    assert "xl-db-01" not in by_name(result) and "xl-old-01" not in by_name(result)
    everything = ExcelSource(inventory, include_hidden=True).read()
    names = by_name(everything)
    assert names["xl-db-01"].port == 5432 and names["xl-db-01"].category == ["Production", "Database"]
    assert names["xl-old-01"].source.section == "Decommissioned"


def test_a_sheet_can_be_chosen(inventory):
    result = ExcelSource(inventory, sheet="decommissioned").read()
    assert [h.name for h in result.hosts] == ["xl-old-01"]
    with pytest.raises(ConfigError, match="Servers"):
        ExcelSource(inventory, sheet="Nope").read()


def test_formula_without_a_saved_value_is_reported(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "host"])
    ws.append(["f-1", None])
    ws["B2"] = '="f1"&".example.com"'
    ws.append(["f-2", None])
    ws["B3"] = '="f2"&".example.com"'
    path = tmp_path / "f.xlsx"
    wb.save(path)
    set_cached_values(path, {"Sheet": {"B3": "f2.example.com"}})
    result = ExcelSource(path).read()
    assert [h.address for h in result.hosts] == ["f2.example.com"]
    assert any(d.code == "formula-no-value" for d in result.diagnostics)
    err = result.errors[0]
    assert err.line == 2 and "formula without a saved result" in err.message


def test_numeric_ports_and_numbers_in_text_fields(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Host", "Port", "Description"])
    ws.append(["n-1", "n1.example.com", 2222.0, 12345.0])
    ws.append(["n-2", "n2.example.com", 22, 0.5])
    ws.append([1001, "n3.example.com", "2.222", None])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    hosts = by_name(ExcelSource(path).read())
    assert (hosts["n-1"].port, hosts["n-1"].description) == (2222, "12345")
    assert hosts["n-2"].description == "0.5"
    assert hosts["1001"].port == 2222


def test_jumps_resolve_across_sheets_and_keys_use_names(tmp_path):
    wb = Workbook()
    a = wb.active
    a.title = "Gateways"
    a.append(["name", "host", "user"])
    a.append(["gw-1", "gw1.example.com", "hop"])
    b = wb.create_sheet("Apps")
    b.append(["name", "host", "jump"])
    b.append(["app-1", "app1.example.com", "gw-1"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    source = ExcelSource(path)
    hosts = by_name(source.read())
    assert hosts["app-1"].jump[0].ref_key == hosts["gw-1"].key == source.key("gw-1")
    assert hosts["app-1"].jump[0].user == "hop"


def test_rejects_from_a_workbook_are_written_as_csv(inventory, tmp_path):
    result = ExcelSource(inventory).read()
    out = tmp_path / "rejects.csv"
    write_rejects(result.rejects, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[1] == "Name,Host,Port,User,Folder,Jump,Tags,Description"
    assert lines[2].startswith("# sheet Servers row 9:")
    assert lines[3] == "xl-lab-01,3.2.2001,22,root,Lab,,lab,IP typed into a date cell"


def test_shipped_sample_matches_its_builder(tmp_path):
    rebuilt = build_inventory_workbook(tmp_path / "rebuilt.xlsx")

    def summary(path):
        r = ExcelSource(path).read()
        hosts = [(h.name, h.address, h.port, h.category) for h in r.hosts]
        return hosts, [(d.code, d.line) for d in r.diagnostics]

    assert summary(SAMPLE) == summary(rebuilt)


def test_unreadable_workbooks_raise_input_error(tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(InputError, match=r"\.xls"):
        ExcelSource(xls).read()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError):
        ExcelSource(broken).read()
    notxl = tmp_path / "notxl.xlsx"
    with zipfile.ZipFile(notxl, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InputError):
        ExcelSource(notxl).read()


def test_detection(inventory):
    assert detect_format(inventory) == "excel"
    assert ExcelSource.detect(inventory, inventory.read_bytes()[:8]) == 90


def test_cell_text_and_date_formats():
    assert cell_text(22.0) == ("22", None)
    assert cell_text(None) == ("", None)
    assert cell_text(True)[0] == "TRUE"
    text, note = cell_text(dt.datetime(2002, 1, 10), "dd.mm.yyyy")
    assert text == "10.01.2002" and "date" in note
    assert format_date(dt.datetime(2024, 3, 5, 14, 7), "yyyy-mm-dd hh:mm") == "2024-03-05 14:07"
    assert format_date(dt.datetime(2024, 3, 5), "m/d/yy") == "3/5/24"
    assert format_date(dt.datetime(2024, 3, 5), "d-mmm-yy") == "5-Mar-24"
    assert format_date(dt.datetime(2024, 3, 5, 15, 4), "h:mm AM/PM") == "3:04 PM"
