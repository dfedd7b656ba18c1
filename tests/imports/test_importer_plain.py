"""geo-kttt import of what officers and the atlas itself write (issue 12 §3, §4): the atlas's
own exports read back unchanged, plain files with names, labelled units and no internal fields."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT

from geo_kttt import cli, io
from geo_kttt.catalog import load_catalog
from geo_kttt.export.downloads import write_data
from geo_kttt.export.selection import Selection
from geo_kttt.imports.batch import run_import_file
from geo_kttt.imports.merge import run_import
from geo_kttt.imports.plain import AdminNames, layer_unit, number
from geo_kttt.imports.source import ImportFailed
from geo_kttt.store import build, open_atlas

CATALOG = load_catalog(ROOT / "layers")


def snapshot(d: Path) -> dict:
    return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture()
def layers(tmp_path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", dest)
    return dest


def _xlsx(path: Path, header: list, *rows) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for r in rows:
        wb.active.append(list(r))
    wb.save(path)
    return path


# --- the atlas's own exports, read back --------------------------------------------------------

@pytest.mark.parametrize("fmt, sel", [("xlsx", Selection(layers=("solar_plants",))),
                                      ("xlsx", Selection()), ("csv", Selection())])
def test_reimporting_an_unchanged_export_changes_nothing(atlas, layers, admin, tmp_path, fmt, sel):
    """Its drawn points are the commune reference points, not site coordinates; its `layer`
    column sends each row to its layer; '210.0' is the figure 210."""
    path = write_data(atlas, sel, fmt, tmp_path / f"export.{fmt}")
    before = snapshot(layers)
    results = run_import_file(path, layers, admin)
    assert [r.layer for r in results] == list(sel.layer_ids(atlas.catalog))
    for r in results:
        assert r.problems == [] and r.plan.changed == {} and r.plan.added == [], (r.layer, r.plan)
        assert len(r.plan.unchanged) == len(atlas.sites(r.layer))
    assert not any(r.written for r in results) and snapshot(layers) == before


def test_reimported_solar_export_keeps_commune_positions(atlas, layers, admin, tmp_path):
    path = write_data(atlas, Selection(layers=("solar_plants",)), "xlsx", tmp_path / "solar.xlsx")
    assert run_import(path, "solar_plants", layers, admin).plan.changed == {}
    build(layers, admin, tmp_path / "atlas.gpkg")
    sites = open_atlas(tmp_path / "atlas.gpkg").sites("solar_plants")
    assert set(sites.location_precision) == {"commune"}
    assert all(s.startswith("commune reference point") for s in sites.position_source)


def test_a_layer_column_with_another_layer_is_left_out(atlas, layers, admin, tmp_path):
    path = write_data(atlas, Selection(), "csv", tmp_path / "all.csv")
    result = run_import(path, "rice_models", layers, admin, dry_run=True)
    assert len(result.source.rows) == len(atlas.sites("rice_models")) and not result.problems
    assert any("of layer solar_plants left out" in w for w in result.warnings)


def test_a_file_without_layer_needs_one(layers, admin, tmp_path):
    path = _xlsx(tmp_path / "plain.xlsx", ["Tên", "Huyện"], ["Nhà máy", "Tịnh Biên"])
    with pytest.raises(ImportFailed, match="which layer does the file update"):
        run_import_file(path, layers, admin)


def test_cli_imports_an_all_layers_export(atlas, layers, tmp_path, capsys):
    path = write_data(atlas, Selection(), "xlsx", tmp_path / "all.xlsx")
    assert cli.main(["--lang", "en", "--layers-dir", str(layers), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("changed: 0") == len(atlas.catalog) and "== layer industrial_parks ==" in out
    assert "columns not used" not in out  # the labels beside the codes are the export's own


# --- an officer's plain file -------------------------------------------------------------------

OFFICER = ["Tên", "Loại", "Huyện", "Xã", "Tình trạng", "Công suất", "Đơn vị công suất", "Kinh độ", "Vĩ độ"]


def test_officer_plain_file_imports(layers, admin, tmp_path):
    path = _xlsx(tmp_path / "cap-nhat.xlsx", OFFICER,
                 ["Lò đốt rác Thử nghiệm", "Lò đốt", "Thị xã Tịnh Biên", "xã An Hảo", "Đang hoạt động",
                  50, "tấn/ngày", 105.016, 10.478],
                 ["Bãi rác Thử nghiệm", "Bãi chôn lấp", "Tri Tôn", "Núi Tô", "Dự kiến", "1500", "kg/ngày"])
    result = run_import(path, "waste_facilities", layers, admin, today="2026-01-05")
    assert result.problems == [] and result.written, [str(p) for p in result.problems]
    df = io.read_layer_file(layers / "waste_facilities.csv").set_index("id")
    a, b = df.loc["lo-dot-rac-thu-nghiem"], df.loc["bai-rac-thu-nghiem"]
    assert (a.kind, a.district_code, a.commune_code, a.status) == ("incinerator", "890", "30538", "operating")
    assert (a.capacity, a.capacity_unit, a.in_report, a.verified) == ("50", "t/day", "false", "false")
    assert (a.location_precision, a.lon, a.lat) == ("approximate", "105.016", "10.478")
    assert a.name_en == a.name_vi and a.sources == "cap-nhat.xlsx (geo-kttt import 2026-01-05)"
    assert (b.district_code, b.commune_code, b.location_precision) == ("891", "30574", "commune")
    assert (b.capacity, b.capacity_unit) == ("1.5", "t/day")
    assert any("1500 kg/ngày converted to 1.5 t/day" in w for w in result.warnings)
    assert any("name_en not given" in w for w in result.warnings)


def test_several_kinds_and_no_kind_is_a_question(layers, admin, tmp_path):
    path = _xlsx(tmp_path / "f.xlsx", ["Tên", "Huyện", "Xã", "Tình trạng"],
                 ["Lò đốt Thử", "Tịnh Biên", "An Hảo", "Dự kiến"])
    result = run_import(path, "waste_facilities", layers, admin)
    assert [(p.field, p.row) for p in result.problems] == [("kind", 2)], [str(p) for p in result.problems]
    assert "which kind of site is it?" in result.problems[0].message
    assert "incinerator (Nhà máy/lò đốt / Incinerator)" in result.problems[0].message
    assert not result.written


@pytest.mark.parametrize("layer, unit, capacity, want", [
    ("pangasius_processors", "t/day", 300, ("300", "t_raw/day")),
    ("pangasius_processors", "tấn/ngày", 300, ("300", "t_raw/day")),
    ("solar_plants", "MWp", 5, ("5", "MWp")),
    ("solar_plants", "kWp", 5000, ("5", "MWp")),
    ("industrial_parks", "m²", 25000, ("2.5", "ha")),
    ("sorting_pilots", "hộ", 40, ("40", "households")),
])
def test_units_by_label_and_converted(layers, admin, tmp_path, layer, unit, capacity, want):
    kind = next(iter(CATALOG[layer].kinds))
    path = _xlsx(tmp_path / "u.xlsx", ["Tên", "Loại", "Huyện", "Tình trạng", "Công suất", "Đơn vị công suất"],
                 ["Cơ sở Thử", kind, "Châu Phú", CATALOG[layer].statuses[0], capacity, unit])
    result = run_import(path, layer, layers, admin)
    assert result.problems == [] and result.plan.added == ["co-so-thu"], [str(p) for p in result.problems]
    row = io.read_layer_file(layers / f"{layer}.csv").set_index("id").loc["co-so-thu"]
    assert (row.capacity, row.capacity_unit, row.location_precision) == (*want, "district")


def test_unit_in_the_heading_and_in_the_cell(layers, admin, tmp_path):
    path = _xlsx(tmp_path / "h.xlsx", ["Mã", "Công suất (MWp)", "Năm"], ["solar-van-giao-2", 50.0, 2020])
    result = run_import(path, "solar_plants", layers, admin, dry_run=True)
    assert result.plan.changed == {"solar-van-giao-2": [("year", "", "2020")]}
    path = _xlsx(tmp_path / "c.xlsx", ["Mã", "Công suất"], ["waste-vinh-gia-incinerator", "12–16 tấn/ngày"])
    result = run_import(path, "waste_facilities", layers, admin, dry_run=True)
    assert result.plan.changed == {"waste-vinh-gia-incinerator": [("capacity_max", "15", "16")]}


def test_a_unit_that_cannot_be_converted_says_which_are_accepted(layers, admin, tmp_path):
    path = _xlsx(tmp_path / "mw.xlsx", ["Mã", "Công suất", "Đơn vị công suất"], ["solar-sao-mai", 210, "MW"])
    (p,) = run_import(path, "solar_plants", layers, admin, dry_run=True).problems
    assert p.field == "Đơn vị công suất" and "'MW' is not a unit of layer solar_plants" in p.message
    assert "MWp" in p.message


@pytest.mark.parametrize("text, want", [("12,5", "12.5"), ("1.000.000", "1000000"), ("1.000,5", "1000.5"),
                                        ("1,000.5", "1000.5"), ("1 500", "1500"), ("0.125", "0.125"),
                                        ("193.31", "193.31"), ("1.1250", "1.125")])
def test_numbers_as_people_write_them(text, want):
    assert number(text) == want


@pytest.mark.parametrize("text", ["1.000", "2,500"])
def test_a_thousands_group_that_reads_two_ways_is_refused(text):
    with pytest.raises(ValueError, match="could be read as"):
        number(text)


def test_units_ambiguous_or_unknown():
    assert layer_unit("tấn nguyên liệu/ngày", CATALOG["pangasius_processors"]).code == "t_raw/day"
    with pytest.raises(ValueError, match="not a unit of layer sorting_pilots"):
        layer_unit("t/day", CATALOG["sorting_pilots"])


def test_district_and_commune_by_name(admin):
    names = AdminNames(admin)
    assert names.district("TP. Long Xuyên") == "883" and names.district("huyen tri ton") == "891"
    assert names.commune("Xã An Hảo", "890") == "30538" and names.commune("An Hảo", None) == "30538"
    with pytest.raises(ValueError, match="communes called 'An Phú'.*give the district"):
        names.commune("An Phú", None)
