"""geo-kttt import: vector formats, the command line, the atlas's changes table and page."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import ROOT

from geo_kttt import cli, io
from geo_kttt.imports.crs import to_wgs84
from geo_kttt.imports.merge import CHANGE_COLUMNS, run_import
from geo_kttt.imports.source import ImportFailed
from geo_kttt.store import build, open_atlas

CORPUS = ROOT / "tests" / "data" / "import"
LON, LAT = 105.016, 10.478  # inside xã An Hảo, not its reference point
RECORD = {"id": "test-solar-1", "name_vi": "Nhà máy điện mặt trời Thử nghiệm",
          "name_en": "Test solar plant", "kind": "utility", "district_code": "890",
          "commune_code": "30538", "status": "planned", "capacity": "5", "capacity_unit": "MWp",
          "location_precision": "approximate", "verified": "false", "in_report": "false",
          "sources": "Test fixture (not a real site)"}


@pytest.fixture()
def layers(tmp_path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", dest)
    return dest


def _points(crs: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame([RECORD], geometry=gpd.points_from_xy([LON], [LAT]), crs=4326)
    return gdf if crs == "EPSG:4326" else gdf.to_crs(crs)


def _shapefile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf = _points("EPSG:4326").rename(columns=lambda c: c[:10])  # DBF names: 10 characters
    io.write_vector(gdf, folder / "sites.shp")
    return folder


def _make(kind: str, tmp_path: Path) -> Path:
    if kind == "geojson":
        path = tmp_path / "sites.geojson"
        io.write_vector(_points("EPSG:4326"), path)
    elif kind == "kml":
        path = tmp_path / "sites.kml"
        io.write_vector(_points("EPSG:4326"), path)
    elif kind == "kmz":
        kml = _make("kml", tmp_path)
        path = tmp_path / "sites.kmz"
        with zipfile.ZipFile(path, "w") as z:
            z.write(kml, "doc.kml")
    elif kind == "gpkg":  # in VN-2000 / TM-3: converted by the pinned operation
        path = tmp_path / "sites.gpkg"
        pts = _points("EPSG:4326")
        e, n = to_wgs84([LON], [LAT], "EPSG:4326")  # identity, keeps the types
        pts = gpd.GeoDataFrame(pts.drop(columns="geometry"), geometry=gpd.points_from_xy(e, n), crs=4326)
        io.write_vector(pts.to_crs("EPSG:9208"), path, layer="sites")
    elif kind == "shp-folder":
        path = _shapefile_folder(tmp_path)
    else:  # zipped Shapefile
        folder = _shapefile_folder(tmp_path)
        path = tmp_path / "sites.zip"
        with zipfile.ZipFile(path, "w") as z:
            for p in folder.iterdir():
                z.write(p, p.name)
    return path


@pytest.mark.parametrize("kind", ["geojson", "kml", "kmz", "gpkg", "shp-folder", "shp-zip"])
def test_vector_formats(kind, tmp_path, layers, admin):
    result = run_import(_make(kind, tmp_path), "solar_plants", layers, admin)
    assert not result.problems, [str(p) for p in result.problems]
    assert result.written and result.plan.added == ["test-solar-1"]
    rec = io.read_layer_file(layers / "solar_plants.csv").set_index("id").loc["test-solar-1"]
    assert abs(float(rec.lon) - LON) < 1e-5 and abs(float(rec.lat) - LAT) < 1e-5
    assert rec.name_vi == RECORD["name_vi"] and rec.commune_code == "30538"


def test_cli_dry_run_and_exit_codes(layers, data_dir, capsys):
    base = ["--lang", "en", "--data-dir", str(data_dir), "--layers-dir", str(layers), "import"]
    before = (layers / "solar_plants.csv").read_bytes()
    assert cli.main([*base, str(CORPUS / "utf8_bom.csv"), "--layer", "solar_plants", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "added: 1" in out and "+ test-solar-1" in out and "Dry run: nothing written" in out
    assert (layers / "solar_plants.csv").read_bytes() == before
    assert cli.main([*base, str(CORPUS / "swapped.csv"), "--layer", "solar_plants"]) == 1
    out = capsys.readouterr().out
    assert "row 2" in out and "look swapped" in out and "Nothing written" in out
    assert cli.main([*base, str(CORPUS / "truncated.zip"), "--layer", "solar_plants"]) == 2
    err = capsys.readouterr().err  # errors go to stderr, from the one handler in cli.main
    assert "damaged or truncated" in err and "Nothing was written." in err
    assert cli.main([*base, str(CORPUS / "utf8_bom.csv"), "--layer", "solar_plants"]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert (layers / "solar_plants.csv").read_bytes() != before


def test_changes_table_and_page(tmp_path, layers, admin):
    (layers / "changes.csv").unlink()  # a log of this test's imports alone
    run_import(CORPUS / "utf8_bom.csv", "solar_plants", layers, admin, today="2026-01-05")
    upd = tmp_path / "update.csv"
    upd.write_text('Mã,Ghi chú\ntest-solar-1,"<script>alert(1)</script> đã khảo sát"\n', encoding="utf-8")
    run_import(upd, "solar_plants", layers, admin, today="2026-02-10")
    atlas_path = tmp_path / "atlas.gpkg"
    build(layers, admin, atlas_path)
    changes = open_atlas(atlas_path).table("changes")
    assert changes.action.tolist() == ["added", "changed"] and changes.field.tolist() == ["", "notes"]

    from geo_kttt.server import create_app

    client = create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none"}).test_client()
    page = client.get("/changes?since=2026-02-01&lang=en").get_data(as_text=True)
    assert "What changed since 1 Feb 2026" in page  # a date for people
    assert "0 added, 1 changed, 0 removed" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Notes" in page and "Solar power plants" in page
    vi = client.get("/changes?since=2026-01-01").get_data(as_text=True)
    assert "Thay đổi từ ngày 01/01/2026" in vi and "1 thêm mới, 1 thay đổi" in vi
    assert client.get("/changes?since=2030-01-01").get_data(as_text=True).count("<tr") == 0
    assert client.get("/changes?since=yesterday").status_code == 400


def test_page_without_log(tmp_path, layers, admin):
    from geo_kttt.server import create_app

    (layers / "changes.csv").unlink()
    build(layers, admin, tmp_path / "atlas.gpkg")
    app = create_app({"TESTING": True, "ATLAS": str(tmp_path / "atlas.gpkg"), "TILE_URL": "none"})
    page = app.test_client().get("/changes?lang=en")
    assert page.status_code == 200 and "no import log yet" in page.get_data(as_text=True)


def test_the_december_review_is_in_the_log(client):
    """Issue 12 §7: the review corrections applied to layers/ are listed, each with its source."""
    log = io.read_table(ROOT / "layers" / "changes.csv")
    assert list(log.columns) == CHANGE_COLUMNS and set(log.action) == {"changed"}
    assert log.source.str.startswith("research/review-2026-12.md: ").all()
    row = log[(log.id == "waste-vinh-gia-incinerator") & (log.field == "status")].iloc[0]
    assert (row.old, row.new, row.date) == ("operating", "unverified", "2026-12-02")
    assert "plo.vn" in row.source
    assert {"solar-van-giao-2", "pangasius-navico", "rice-gap-an-tuc", "ip-vam-cong"} <= set(log.id)
    page = client.get("/changes?since=2026-12-01&lang=en").get_data(as_text=True)
    assert "0 added, 18 changed, 0 removed" in page and "vietnamnews.vn" in page


def test_title_row_above_header(tmp_path, layers, admin):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["DANH SÁCH NHÀ MÁY ĐIỆN MẶT TRỜI (cập nhật)"])
    wb.active.append([])
    wb.active.append(["Mã", "Công suất (MWp)", "Năm", "Ghi chú nội bộ"])
    wb.active.append(["solar-van-giao-2", 50.0, 2020, "x"])
    path = tmp_path / "titled.xlsx"
    wb.save(path)
    result = run_import(path, "solar_plants", layers, admin, dry_run=True)
    assert result.plan.changed == {"solar-van-giao-2": [("year", "", "2020"), ("notes", "", "x")]} \
        or result.plan.changed == {"solar-van-giao-2": [("year", "", "2020")]}
    assert any("Ghi chú nội bộ" in w for w in result.warnings)  # not a known name: listed


def test_shapefile_without_prj_in_vn2000(tmp_path, layers, admin):
    folder = tmp_path / "noprj"
    folder.mkdir()
    io.write_vector(_points("EPSG:9208").rename(columns=lambda c: c[:10]), folder / "sites.shp")
    (folder / "sites.prj").unlink()
    result = run_import(folder, "solar_plants", layers, admin)
    assert any("guessed EPSG:9208" in w for w in result.warnings) and result.written
    rec = io.read_layer_file(layers / "solar_plants.csv").set_index("id").loc["test-solar-1"]
    assert abs(float(rec.lon) - LON) < 1e-5 and abs(float(rec.lat) - LAT) < 1e-5


def test_legacy_header(tmp_path, layers, admin):
    path = tmp_path / "tcvn3_header.csv"
    path.write_bytes("Tªn c¬ së,Tr¹ng th¸i\nNhµ m¸y,planned\n".encode("cp1252"))
    with pytest.raises(ImportFailed, match="column names look like TCVN3"):
        run_import(path, "solar_plants", layers, admin)


def test_shapefile_without_cpg_read_as_utf8(tmp_path, layers, admin):
    folder = _shapefile_folder(tmp_path)
    (folder / "sites.cpg").unlink()
    result = run_import(folder, "solar_plants", layers, admin)
    assert any("no .cpg" in w for w in result.warnings) and not result.problems
    assert io.read_layer_file(layers / "solar_plants.csv").set_index("id").name_vi["test-solar-1"] == \
        RECORD["name_vi"]
