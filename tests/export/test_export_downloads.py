"""Data downloads read back with GDAL/pyogrio, openpyxl and csv: same features, intact text."""

from __future__ import annotations

import csv
import json
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pyogrio
import pytest
from export_fixtures import HOSTILE, tweaked_atlas, validate_kml
from openpyxl import load_workbook

from geo_kttt.catalog import FIELDS, PRECISIONS
from geo_kttt.export.downloads import (
    FORMATS,
    KML_NS,
    OUT_COLUMNS,
    SHP_NAMES,
    column_label,
    export_frame,
    write_data,
)
from geo_kttt.export.selection import ExportError, Selection


@pytest.fixture(scope="module")
def hostile(admin, tmp_path_factory):
    """(atlas, id of the record with formula-like and HTML-like text, id of a located record)."""
    return tweaked_atlas(admin, tmp_path_factory.mktemp("hostile"))


def _expected(atlas, sel):
    return export_frame(atlas, sel).set_index("id")


def test_geopackage_layers_metadata_and_text(atlas, tmp_path):
    sel = Selection(layers=("solar_plants", "waste_facilities"))
    path = write_data(atlas, sel, "gpkg", tmp_path / "a.gpkg")
    want = _expected(atlas, sel)
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names[:2] == ["solar_plants", "waste_facilities"]
    assert {"districts", "layer_styles"} <= set(names)  # boundaries and QGIS's default styles
    for lid in sel.layers:
        got = pyogrio.read_dataframe(path, layer=lid).set_index("id")
        part = want[want.layer == lid]
        assert sorted(got.index) == sorted(part.index)
        assert (got.loc[part.index, "name_vi"] == part.name_vi).all()
        assert got.geom_equals(part.geometry.loc[got.index]).all()
        meta = pyogrio.read_info(path, layer=lid)["layer_metadata"]
        assert atlas.catalog[lid].title["vi"] in meta["IDENTIFIER"]
    info = pyogrio.read_info(path, layer="solar_plants")["dataset_metadata"]
    assert info["DATA_DATE"] == atlas.metadata["data_date"] and "GPL-3.0" in info["ATTRIBUTION"]


def test_geojson_is_rfc7946(atlas, tmp_path):
    path = write_data(atlas, Selection(district="890"), "geojson", tmp_path / "a.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: WGS 84 lon/lat, no crs member
    want = _expected(atlas, Selection(district="890"))
    got = {f["properties"]["id"]: f for f in doc["features"]}
    assert set(got) == set(want.index)
    for sid, f in got.items():
        lon, lat = f["geometry"]["coordinates"]
        point = want.geometry[sid]
        assert (round(lon, 6), round(lat, 6)) == (round(point.x, 6), round(point.y, 6))
        assert f["properties"]["name_vi"] == want.name_vi[sid]


def test_shapefile_zip(atlas, tmp_path):
    path = write_data(atlas, Selection(), "shp", tmp_path / "a-shp.zip")
    want = _expected(atlas, Selection())
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        readme = z.read("README.txt").decode("utf-8")
    for lid in atlas.catalog:
        assert {f"{lid}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
    for full, short in SHP_NAMES.items():
        assert len(short) <= 10 and f"{short:<11} {full}" in readme
    for lid in atlas.catalog:
        got = pyogrio.read_dataframe(f"/vsizip/{path}/{lid}.shp").set_index("id")
        part = want[want.layer == lid]
        assert sorted(got.index) == sorted(part.index)
        assert all(len(c) <= 10 for c in got.columns)
        assert (got.loc[part.index, "name_vi"] == part.name_vi).all()
        for sid in part.index:  # long text is cut on a character boundary, marked with …
            full, cut = part.notes[sid], got.notes[sid]
            assert cut == full or (cut.endswith("…") and full.startswith(cut[:-1]))
    out = subprocess.run(["ogrinfo", "-ro", "-so", f"/vsizip/{path}/solar_plants.shp", "solar_plants"],
                         check=True, capture_output=True, text=True).stdout
    n = int((want.layer == "solar_plants").sum())
    assert f"Feature Count: {n}" in out and "dist_code: String" in out


def test_kml_styles_folders_and_escaped_descriptions(hostile, tmp_path):
    atlas, bad_id, exact_id = hostile
    path = write_data(atlas, Selection(layers=("sorting_pilots", "solar_plants")), "kml", tmp_path / "a.kml")
    want = _expected(atlas, Selection(layers=("sorting_pilots", "solar_plants")))
    root = ET.parse(path).getroot()
    ns = {"k": KML_NS}
    folders = root.findall(".//k:Folder", ns)
    assert [f.find("k:name", ns).text for f in folders] == [
        f"{atlas.catalog[lid].title['vi']} / {atlas.catalog[lid].title['en']}"
        for lid in ("solar_plants", "sorting_pilots")]
    styles = {s.get("id") for s in root.findall(".//k:Style", ns)}
    for mark in root.iter(f"{{{KML_NS}}}Placemark"):
        data = {d.get("name"): d.text for d in mark.iter(f"{{{KML_NS}}}SimpleData")}
        ring = "ring" if want.location_precision[data["id"]] in ("commune", "district") else "filled"
        assert mark.find("k:styleUrl", ns).text == f"#{data['layer']}-{ring}"
        assert mark.find("k:styleUrl", ns).text[1:] in styles
        assert mark.find("k:name", ns).text == want.name_vi[data["id"]]
        if data["id"] == bad_id:
            desc = mark.find("k:description", ns).text
            assert "&lt;script&gt;" in desc and "<script>" not in desc
    assert any(want.location_precision == "approximate")  # the fixture's one precise site
    read = [pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)]
    assert sorted(i for df in read for i in df["id"]) == sorted(want.index)
    validate_kml(path)  # hostile text included


def test_csv_bom_lonlat_and_neutralised_cells(hostile, tmp_path):
    atlas, bad_id, exact_id = hostile
    path = write_data(atlas, Selection(), "csv", tmp_path / "a.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    want = _expected(atlas, Selection())
    assert list(next(iter(rows.values()))) == OUT_COLUMNS
    assert set(rows) == set(want.index)
    bad = rows[bad_id]
    assert bad["operator"] == "'" + HOSTILE["operator"] and bad["notes"] == "'" + HOSTILE["notes"]
    assert bad["name_en"] == HOSTILE["name_en"]  # not formula-like: unchanged
    ex = rows[exact_id]
    assert float(ex["lon"]) == pytest.approx(want.geometry[exact_id].x)
    assert rows[exact_id]["name_vi"] == want.name_vi[exact_id]


def test_xlsx_sheets_about_and_neutralised_cells(hostile, tmp_path):
    atlas, bad_id, exact_id = hostile
    path = write_data(atlas, Selection(), "xlsx", tmp_path / "a.xlsx")
    wb = load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == [*atlas.catalog, "about"]
        want = _expected(atlas, Selection())
        for lid in atlas.catalog:
            rows = list(wb[lid].iter_rows(values_only=True))
            assert list(rows[0]) == [column_label(c, "vi") for c in OUT_COLUMNS]  # headers in Vietnamese
            got = {r[1]: dict(zip(OUT_COLUMNS, r, strict=True)) for r in rows[1:]}
            assert set(got) == set(want.index[want.layer == lid])
            for sid, r in got.items():
                assert r["name_vi"] == want.name_vi[sid]
                assert not str(r["operator"] or "").startswith(("=", "+", "@"))
        bad = {r[1]: r for r in wb["sorting_pilots"].iter_rows(values_only=True)}[bad_id]
        assert bad[OUT_COLUMNS.index("operator")] == "'" + HOSTILE["operator"]
        about = list(wb["about"].iter_rows(values_only=True))
    finally:
        wb.close()
    keys = {(r[0], r[1]) for r in about}
    assert {("field", f) for f in FIELDS} <= keys and {("precision", p) for p in PRECISIONS} <= keys
    assert ("atlas", "data_date") in keys and any(r[0] == "source" and "GPL" in r[2] for r in about)


def test_unknown_format_and_atomic_write(atlas, tmp_path):
    with pytest.raises(ExportError, match="format"):
        write_data(atlas, Selection(), "dxf", tmp_path / "a.dxf")
    dest = tmp_path / "keep.gpkg"
    dest.write_bytes(b"previous")

    class Broken(Selection):
        def layer_ids(self, catalog):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_data(atlas, Broken(), "gpkg", dest)
    assert dest.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["keep.gpkg"]


def test_every_format_has_a_content_type():
    assert set(FORMATS) == {"gpkg", "geojson", "shp", "kml", "kmz", "csv", "csvzip", "xlsx"}
    assert all("/" in ct for _suffix, ct in FORMATS.values())
