"""Exports as GIS and office tools read them: VN-2000 grids through the pinned transformation,
KMZ with its icons (valid against the OGC KML 2.2 schema), CSV typed by GDAL through its .csvt,
XLSX with grid columns in LibreOffice."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pyogrio
import pytest
from export_fixtures import validate_kml
from openpyxl import load_workbook

from geo_kttt import crs
from geo_kttt.cli import main
from geo_kttt.export.downloads import (
    FORMATS,
    GRID_COLUMNS,
    KML_NS,
    OUT_COLUMNS,
    column_label,
    export_frame,
    write_data,
)
from geo_kttt.export.selection import ExportError, Selection


def _ogrinfo(*args) -> str:
    if shutil.which("ogrinfo") is None:
        pytest.fail("ogrinfo not found: scripts/setup installs gdal-bin")
    return subprocess.run(["ogrinfo", "-ro", *args], check=True, capture_output=True, text=True).stdout


# --- VN-2000 out -----------------------------------------------------------------------------

@pytest.mark.parametrize("epsg", ["EPSG:9208", "EPSG:3405"])
def test_geopackage_in_a_vn2000_grid_uses_the_pinned_transformation(atlas, tmp_path, epsg):
    sel = Selection(layers=("waste_facilities",))
    path = write_data(atlas, sel, "gpkg", tmp_path / "a.gpkg", crs=epsg)
    got = pyogrio.read_dataframe(path, layer="waste_facilities").set_index("id")
    assert got.crs.to_epsg() == int(epsg.split(":")[1])
    want = export_frame(atlas, sel).set_index("id").loc[got.index]
    x, y = crs.transform_xy(want.geometry.x, want.geometry.y, "EPSG:4326", epsg)
    assert np.abs(got.geometry.x - x).max() < 1e-3 and np.abs(got.geometry.y - y).max() < 1e-3
    assert np.allclose(got[GRID_COLUMNS[0]], x, atol=1e-3) and np.allclose(got[GRID_COLUMNS[1]], y, atol=1e-3)
    assert pyogrio.read_dataframe(path, layer="districts").crs.to_epsg() == int(epsg.split(":")[1])
    assert "VN-2000" in _ogrinfo("-so", str(path), "waste_facilities")


def test_shapefile_csv_and_xlsx_in_vn2000(atlas, tmp_path):
    shp = write_data(atlas, Selection(), "shp", tmp_path / "a-shp.zip", crs="EPSG:9208")
    with zipfile.ZipFile(shp) as z:
        prj = z.read("solar_plants.prj").decode()
    assert "VN-2000" in prj or "VN_2000" in prj
    assert pyogrio.read_dataframe(f"/vsizip/{shp}/solar_plants.shp").crs.to_epsg() == 9208
    path = write_data(atlas, Selection(), "csv", tmp_path / "a.csv", crs="EPSG:9208")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == OUT_COLUMNS + list(GRID_COLUMNS)
    r = rows[0]
    x, y = crs.transform_xy([float(r["lon"])], [float(r["lat"])], "EPSG:4326", "EPSG:9208")
    assert abs(float(r["x_easting"]) - x[0]) < 0.01 and abs(float(r["y_northing"]) - y[0]) < 0.01
    xl = write_data(atlas, Selection(), "xlsx", tmp_path / "a.xlsx", crs="EPSG:3405")
    wb = load_workbook(xl, read_only=True)
    try:
        head = next(wb["solar_plants"].iter_rows(values_only=True))
        about = [r for r in wb["about"].iter_rows(values_only=True) if r[0] == "crs"]
    finally:
        wb.close()
    assert list(head) == [column_label(c, "vi") for c in OUT_COLUMNS + list(GRID_COLUMNS)]
    assert "EPSG:3405" in about[0][2]


@pytest.mark.parametrize("fmt", ["geojson", "kml", "kmz"])
def test_wgs84_only_formats_refuse_a_grid(atlas, tmp_path, fmt):
    with pytest.raises(ExportError, match="always WGS 84"):
        write_data(atlas, Selection(), fmt, tmp_path / f"a.{fmt}", crs="EPSG:9208")
    with pytest.raises(ExportError, match="EPSG:9208"):
        write_data(atlas, Selection(), "gpkg", tmp_path / "b.gpkg", crs="EPSG:32648")
    assert write_data(atlas, Selection(), fmt, tmp_path / f"c.{fmt}", crs="EPSG:4326").exists()


def test_cli_export_data_in_vn2000(atlas_path, tmp_path, capsys):
    out = tmp_path / "d.gpkg"
    assert main(["--atlas", str(atlas_path), "export", "data", "--format", "gpkg", "--crs", "EPSG:9208",
                 "--layers", "rice_models", "-o", str(out)]) == 0
    assert pyogrio.read_dataframe(out, layer="rice_models").crs.to_epsg() == 9208
    assert main(["--lang", "en", "--atlas", str(atlas_path), "export", "data", "--format", "geojson",
                 "--crs", "EPSG:9208",
                 "-o", str(tmp_path / "x.geojson")]) == 2
    assert "always WGS 84" in capsys.readouterr().err


def test_web_export_in_vn2000(client):
    resp = client.get("/export/data.gpkg?layers=solar_plants&crs=EPSG:9208")
    assert resp.status_code == 200 and "kttt-an-giang-9208.gpkg" in resp.headers["Content-Disposition"]
    assert client.get("/export/data.kml?crs=EPSG:9208").status_code == 400
    assert client.get("/export/data.csv?crs=EPSG:1234").status_code == 400
    form = client.get("/export/data?format=csvzip&crs=EPSG:3405&district=884")
    assert form.status_code == 302 and "/export/data.csvzip?" in form.headers["Location"]
    assert "crs=EPSG:3405" in form.headers["Location"] and "district=884" in form.headers["Location"]
    plain = client.get("/export/data?format=kmz&crs=EPSG:4326")
    assert plain.status_code == 302 and "crs" not in plain.headers["Location"]
    html = client.get("/export/").get_data(as_text=True)
    assert 'name="crs"' in html and "EPSG:9208" in html and 'value="kmz"' in html


# --- KMZ -------------------------------------------------------------------------------------

def test_kml_validates_against_the_ogc_kml_22_schema(atlas, tmp_path):
    validate_kml(write_data(atlas, Selection(), "kml", tmp_path / "a.kml"))


def test_kmz_carries_its_icons_and_validates(atlas, tmp_path):
    path = write_data(atlas, Selection(), "kmz", tmp_path / "a.kmz")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        kml = z.read("doc.kml").decode("utf-8")
        icons = {n: z.read(n) for n in names if n.startswith("files/")}
        z.extract("doc.kml", tmp_path)
    assert names[0] == "doc.kml" and len(icons) == 2 * len(atlas.catalog)
    assert all(data.startswith(b"\x89PNG") for data in icons.values())
    hrefs = re.findall(r"<href>([^<]+)</href>", kml)
    assert hrefs and set(hrefs) == set(icons) and not any("://" in h for h in hrefs)
    assert "http://maps.google.com" not in kml and f'xmlns="{KML_NS}"' in kml
    validate_kml(tmp_path / "doc.kml")
    want = export_frame(atlas, Selection())
    read = [pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)]
    assert sorted(i for df in read for i in df["id"]) == sorted(want.id)


# --- CSV for GDAL/QGIS ------------------------------------------------------------------------

def test_csv_zip_is_typed_and_placed_by_ogrinfo(atlas, tmp_path):
    path = write_data(atlas, Selection(), "csvzip", tmp_path / "a-csv.zip")
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(["kttt-an-giang.csv", "kttt-an-giang.csvt", "kttt-an-giang.prj",
                                               "README.txt"])
        readme = z.read("README.txt").decode("utf-8")
    assert "X_POSSIBLE_NAMES=lon" in readme and "Y_POSSIBLE_NAMES=lat" in readme
    out = _ogrinfo("-so", f"/vsizip/{path}/kttt-an-giang.csv", "kttt-an-giang")
    n = len(export_frame(atlas, Selection()))
    assert "Geometry: Point" in out and f"Feature Count: {n}" in out and "WGS 84" in out
    for field, kind in (("lon", "Real"), ("lat", "Real"), ("capacity", "Real"), ("capacity_max", "Real"),
                        ("year", "Integer"), ("verified", "Integer(Boolean)"), ("district_code", "String")):
        assert f"{field}: {kind}" in out, field
    ext = re.search(r"Extent: \(([\d.]+), ([\d.]+)\) - \(([\d.]+), ([\d.]+)\)", out).groups()
    x0, y0, x1, y1 = map(float, ext)
    assert 104.7 < x0 < x1 < 105.7 and 10.1 < y0 < y1 < 11.0  # points placed in An Giang


def test_csv_in_vn2000_is_placed_in_metres(atlas, tmp_path):
    path = write_data(atlas, Selection(), "csvzip", tmp_path / "a-csv.zip", crs="EPSG:9208")
    out = _ogrinfo("-so", f"/vsizip/{path}/kttt-an-giang.csv", "kttt-an-giang")
    assert "VN-2000 / TM-3 104-45" in out and "x_easting: Real" in out and "lon: Real" in out
    x0 = float(re.search(r"Extent: \(([\d.]+),", out).group(1))
    assert 450_000 < x0 < 650_000


def test_csv_alone_opens_with_the_documented_options(atlas, tmp_path):
    path = write_data(atlas, Selection(), "csv", tmp_path / "a.csv")
    out = _ogrinfo("-so", "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo",
                   "AUTODETECT_TYPE=YES", "-oo", "KEEP_GEOM_COLUMNS=YES", str(path), "a")
    assert "Geometry: Point" in out and "capacity: Real" in out


# --- XLSX in LibreOffice ----------------------------------------------------------------------

def test_xlsx_in_vn2000_opens_in_libreoffice(atlas, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice not found: scripts/setup test installs libreoffice-calc")
    path = write_data(atlas, Selection(layers=("waste_facilities",)), "xlsx", tmp_path / "a.xlsx",
                      crs="EPSG:9208")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    code = {column_label(c, "vi"): c for c in OUT_COLUMNS + list(GRID_COLUMNS)}  # headers for people
    with (tmp_path / "a.csv").open(encoding="utf-8") as f:
        rows = [{code[k]: v for k, v in r.items()} for r in csv.DictReader(f)]
    want = export_frame(atlas, Selection(layers=("waste_facilities",))).set_index("id")
    assert {r["id"] for r in rows} == set(want.index)
    for r in rows:
        assert 450_000 < float(r["x_easting"]) < 650_000 and 1_100_000 < float(r["y_northing"]) < 1_250_000
        assert r["name_vi"] == want.name_vi[r["id"]]


def test_every_format_is_listed_for_the_cli_and_panel():
    assert {"kmz", "csvzip"} <= set(FORMATS)


KMZ_VIEWER = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="leaflet.css">
<style>html, body, #map { margin: 0; height: 100%; background: #fff; }</style></head>
<body><div id="map"></div><script src="leaflet.js"></script>
<script type="application/json" id="kml">__KML__</script>
<script>
// A small KML viewer: each Placemark drawn with the icon its Style names, the way Google Earth
// does (href relative to the KMZ's root, IconStyle scale times 32 px).
var doc = new DOMParser().parseFromString(JSON.parse(document.getElementById("kml").textContent),
                                          "application/xml");
var styles = {};
doc.querySelectorAll("Style").forEach(function (s) {
  styles["#" + s.getAttribute("id")] = {href: s.querySelector("Icon href").textContent,
                                        scale: parseFloat(s.querySelector("IconStyle scale").textContent)};
});
var map = L.map("map", {zoomControl: false, attributionControl: false}), pts = [];
doc.querySelectorAll("Placemark").forEach(function (p) {
  var c = p.querySelector("Point coordinates").textContent.trim().split(",");
  var st = styles[p.querySelector("styleUrl").textContent];
  var px = Math.round(32 * st.scale), ll = [parseFloat(c[1]), parseFloat(c[0])];
  pts.push(ll);
  L.marker(ll, {icon: L.icon({iconUrl: st.href, iconSize: [px, px], iconAnchor: [px / 2, px / 2]}),
                title: p.querySelector("name").textContent}).addTo(map);
});
map.fitBounds(pts, {padding: [30, 30]});
window.placemarks = pts.length;
</script></body></html>"""


@pytest.mark.browser
def test_kmz_placemarks_show_their_icons_in_a_viewer(browser, admin, tmp_path):
    """The KMZ unpacked as Google Earth reads it: every placemark's icon comes from files/…"""
    import json

    from conftest import ARTIFACTS
    from export_fixtures import tweaked_atlas

    from geo_kttt.web import VENDOR

    atlas, _bad, _exact = tweaked_atlas(admin, tmp_path)
    kmz = write_data(atlas, Selection(), "kmz", tmp_path / "a.kmz")
    view = tmp_path / "view"
    with zipfile.ZipFile(kmz) as z:
        z.extractall(view)
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy(VENDOR / "leaflet" / "dist" / name, view / name)
    kml = (view / "doc.kml").read_text(encoding="utf-8")
    page_file = view / "index.html"
    html = KMZ_VIEWER.replace("__KML__", json.dumps(kml).replace("</", "<\\/"))
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 850})
    outside = []
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else (outside.append(r.request.url), r.abort()))
        page.goto(page_file.as_uri())
        page.wait_for_function("window.placemarks > 0")
        page.wait_for_timeout(300)
        icons = page.evaluate("""() => Array.from(document.querySelectorAll('.leaflet-marker-icon'))
            .map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])""")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kmz-viewer.png"))
    finally:
        page.close()
    assert len(icons) == len(export_frame(atlas, Selection())) and outside == []
    assert all(src.startswith("files/") and width == 64 for src, width in icons), icons[:3]
    assert {src for src, _ in icons} >= {"files/sorting_pilots-filled.png", "files/sorting_pilots-ring.png"}
