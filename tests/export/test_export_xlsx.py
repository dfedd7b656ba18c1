"""The fast XLSX writer (geo_kttt.export.xlsx): values, types and layout as openpyxl reads them,
the download's cells, and files LibreOffice and GDAL open."""

import csv
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo_kttt.export.downloads import OUT_COLUMNS, column_label, export_frame, write_data
from geo_kttt.export.selection import Selection
from geo_kttt.export.xlsx import column_letter, write_xlsx
from geo_kttt.text import safe_cell

ABOUT_COLUMNS = ["section", "key", "Tiếng Việt", "English"]


def _frame():
    return pd.DataFrame({
        "id": ["a", "b", "c"], "name": ["Châu Đốc & <x>", "=SUM(A1)", None],
        "capacity": [1.5, np.nan, 1e20], "year": pd.array([2020, None, 2021], dtype="Int64"),
        "verified": [True, False, True],
        "when": pd.to_datetime(["2025-07-01", None, "2025-07-02 10:00"], format="ISO8601"),
        "mixed": [np.int64(1), "x", None], "text": ["-3.5", "  spaced ", "a\x01b"]})


@pytest.fixture()
def book(tmp_path):
    about = pd.DataFrame([("atlas", "title", "Bản đồ", "Atlas")], columns=ABOUT_COLUMNS)
    sheets = {"sites": _frame(), "it's empty": _frame().iloc[:0], "about": about}
    return write_xlsx(tmp_path / "t.xlsx", sheets, widths={"name": 40})


def test_values_and_types_as_openpyxl_reads_them(book):
    wb = load_workbook(book)
    rows = list(wb["sites"].iter_rows(values_only=True))
    assert rows == [("id", "name", "capacity", "year", "verified", "when", "mixed", "text"),
                    ("a", "Châu Đốc & <x>", 1.5, 2020, True, "2025-07-01", 1, "-3.5"),
                    ("b", "'=SUM(A1)", None, None, False, None, "x", "  spaced "),
                    ("c", None, 1e20, 2021, True, "2025-07-02T10:00:00", None, "ab")]
    assert [type(v) for v in rows[1][2:5]] == [float, int, bool]
    assert wb.sheetnames == ["sites", "it's empty", "about"]
    assert list(wb["it's empty"].values) == [rows[0]]
    assert list(wb["about"].values) == [tuple(ABOUT_COLUMNS), ("atlas", "title", "Bản đồ", "Atlas")]


def test_header_filter_widths_and_print_setup(book):
    wb = load_workbook(book)
    ws = wb["sites"]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H4"
    assert ws.column_dimensions["B"].width == 40 and ws.column_dimensions["A"].width == 14
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$1" and wb["it's empty"].print_title_rows == "$1:$1"


def test_bad_sheet_names_are_refused(tmp_path):
    for sheets in ({}, {"a/b": _frame()}, {"x" * 32: _frame()}, {"A": _frame(), "a": _frame()}):
        with pytest.raises(ValueError):
            write_xlsx(tmp_path / "bad.xlsx", sheets)
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_the_download_holds_the_export_frame(atlas, tmp_path):
    """downloads._xlsx through write_xlsx: per layer, the export frame's cells (numbers as
    numbers, text neutralised) under the headers for people, and the print setup."""
    wb = load_workbook(write_data(atlas, Selection(), "xlsx", tmp_path / "a.xlsx", "en"))
    frame = export_frame(atlas, Selection(), "en")
    assert wb.sheetnames == [*(lid[:31] for lid in atlas.catalog), "about"]
    for lid in atlas.catalog:
        rows = list(wb[lid[:31]].values)
        assert rows[0] == tuple(column_label(c, "en") for c in OUT_COLUMNS)
        part = frame[frame.layer == lid][OUT_COLUMNS]
        assert len(rows) - 1 == len(part)
        for got, want in zip(rows[1:], part.itertuples(index=False), strict=True):
            want = [None if v is None or v is pd.NA or v == "" or (isinstance(v, float) and np.isnan(v))
                    else safe_cell(v) for v in want]
            assert list(got) == want, lid
        assert wb[lid[:31]].print_title_rows == "$1:$1" and wb[lid[:31]].freeze_panes == "A2"
    assert wb["solar_plants"].column_dimensions["C"].width == 40  # name_vi
    version = [r for r in wb["about"].values if r[1] == "version"]
    assert version and version[0][2] == atlas.metadata["version"]


def test_libreoffice_converts_it(book, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (scripts/setup test installs libreoffice-calc)")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(book)],
                   check=True, capture_output=True, timeout=180)
    with (tmp_path / "t.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["id", "name", "capacity"]
    assert rows[1][:4] == ["a", "Châu Đốc & <x>", "1.5", "2020"] and rows[2][1] == "'=SUM(A1)"


def test_gdal_reads_it(book):
    pyogrio = pytest.importorskip("pyogrio")
    if "XLSX" not in pyogrio.list_drivers():
        pytest.skip("this GDAL has no XLSX driver")
    df = pyogrio.read_dataframe(book, layer="sites", read_geometry=False)
    assert list(df["id"]) == ["a", "b", "c"] and df["name"][0] == "Châu Đốc & <x>"
    assert df["capacity"].dtype.kind == "f" and df["capacity"][0] == 1.5
    assert df["year"].dtype.kind in "if" and df["year"][0] == 2020
    assert pyogrio.list_layers(book)[:, 0].tolist() == ["sites", "it's empty", "about"]
