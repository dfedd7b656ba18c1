"""Data exports say in words what their codes mean, in the chosen language, and print well
(issue 12 §10–11): names and labels beside codes, XLSX headers in the language, the about
sheet's version row, a print setup on every sheet, the standalone map's popup names."""

from __future__ import annotations

import json
import re

from openpyxl import load_workbook

from geo_kttt.export.downloads import OUT_COLUMNS, column_label, export_frame, write_data
from geo_kttt.export.selection import Selection
from geo_kttt.export.standalone import render_standalone


def test_names_and_labels_sit_beside_the_codes(atlas):
    for lang, status in (("vi", "Đang hoạt động"), ("en", "Operating")):
        df = export_frame(atlas, Selection(), lang).set_index("id")
        row = df.loc["solar-sao-mai"]
        assert (row.district_code, row.district_name) == ("890", "Tịnh Biên")
        assert (row.commune_code, row.commune_name) == ("30538", "An Hảo")
        assert (row.status, row.status_label) == ("operating", status)
        assert row.kind_label == atlas.catalog["solar_plants"].kinds["utility"][lang]
    order = OUT_COLUMNS
    assert order.index("district_name") == order.index("district_code") + 1
    assert order.index("status_label") == order.index("status") + 1


def test_xlsx_headers_in_the_language_and_a_print_setup(atlas, tmp_path):
    for lang in ("vi", "en"):
        wb = load_workbook(write_data(atlas, Selection(layers=("solar_plants",)), "xlsx",
                                      tmp_path / f"{lang}.xlsx", lang))
        ws = wb["solar_plants"]
        head = [c.value for c in ws[1]]
        assert head == [column_label(c, lang) for c in OUT_COLUMNS]
        assert ("Tên (tiếng Việt)" in head) == (lang == "vi")
        assert ("Name (Vietnamese)" in head) == (lang == "en")
        for sheet in wb.worksheets:
            setup = sheet.page_setup
            assert setup.orientation == "landscape" and setup.fitToWidth == 1 and setup.fitToHeight == 0
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            assert sheet.print_title_rows.replace("$", "") == "1:1"  # the header row on every page


def test_about_sheet_version_row_and_vietnamese_column(atlas, tmp_path):
    wb = load_workbook(write_data(atlas, Selection(), "xlsx", tmp_path / "a.xlsx"))
    rows = {(r[0], r[1]): r for r in wb["about"].iter_rows(min_row=2, values_only=True)}
    version = atlas.metadata["version"]
    assert rows[("atlas", "version")][2:] == (version, version)  # not the build time
    assert rows[("atlas", "data_date")][2:] == ("02/12/2026", "2 Dec 2026")
    vi = " ".join(str(r[2]) for r in rows.values())
    assert "District boundaries" not in vi and "Ranh giới huyện" in vi
    assert "(văn bản, bắt buộc)" in vi and "(str" not in vi


def test_standalone_popups_name_the_district_and_commune(atlas):
    html = render_standalone(atlas, Selection(district="890"), "vi", tiles="none")
    config = json.loads(re.search(r"geoKttt\.init\([^,]+, (\{.*\})\);", html).group(1))
    table = config["sites"]  # one list per column (geo_kttt.maps.embed.site_table)
    cols = {name: c["v"] if "v" in c else [c["d"][i] for i in c["c"]] for name, c in table["columns"].items()}
    props = [{name: values[i] for name, values in cols.items()} for i in range(table["n"])]
    assert props and {p["district_name"] for p in props} == {"Tịnh Biên"}
    assert "An Hảo" in {p["commune_name"] for p in props}
    assert "210 MWp" in {p["capacity_text"] for p in props}
