"""geo-kttt import: the bad-file corpus, encodings, CRS, merge, reject file, changelog."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Proj
from pyproj.transformer import TransformerGroup

from geo_kttt import io
from geo_kttt.imports import crs as crsmod
from geo_kttt.imports.encodings import decode, legacy_encoding
from geo_kttt.imports.merge import CHANGES_FILE, run_import
from geo_kttt.imports.source import ImportFailed

CORPUS = ROOT / "tests" / "data" / "import"
NAME = "Nhà máy điện mặt trời Thử nghiệm"
LON, LAT = 105.016, 10.478  # inside xã An Hảo, as in make_corpus.py
VI_WORDS = ("Nhà máy điện mặt trời Thử nghiệm Việt Nam Châu Đốc Long Xuyên Tịnh Biên Tri Tôn "
            "Chợ Mới Phú Tân Thoại Sơn Ấp An Thạnh Ủy ban nhân dân tỉnh xử lý chất thải rắn "
            "khu liên hợp bãi chôn lấp lò đốt cá tra rơm rạ phụ phẩm tuần hoàn Ơn Ưu thuở "
            "quê tuân mùa Nguyễn Trương Huỳnh Đặng Bùi Đỗ Hồ Ngô Dương Lý ưu tiên, (2025) "
            "hợp tác xã Ô Môn Ốc Eo Óc Eo Ỷ Lan Ỹ").split()


def snapshot(d: Path) -> dict:
    return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture()
def layers(tmp_path) -> Path:
    dest = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", dest)
    return dest


def imp(path, layers, admin, **kw):
    return run_import(path, kw.pop("layer", "solar_plants"), layers, admin, **kw)


# --- CRS -----------------------------------------------------------------------------------------

def _helmert_by_hand(e: float, n: float) -> tuple[float, float]:
    """EPSG:9208 -> WGS 84 from the published parameters of Decision 05/2007/QĐ-BTNMT.

    Only the map projection (TM-3, central meridian 104°45', k 0.9999, on the WGS 84
    ellipsoid that VN-2000 uses) comes from PROJ; the datum shift is coded here.
    """
    lon, lat = Proj("+proj=tmerc +lat_0=0 +lon_0=104.75 +k=0.9999 +x_0=500000 +ellps=WGS84")(
        e, n, inverse=True)
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lam, phi = np.radians(lon), np.radians(lat)
    nu = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    xyz = np.array([nu * np.cos(phi) * np.cos(lam), nu * np.cos(phi) * np.sin(lam),
                    nu * (1 - e2) * np.sin(phi)])
    sec = np.pi / 180 / 3600
    t = np.array([-191.90441429, -39.30318279, -111.45032835])
    rx, ry, rz = -0.00928836 * sec, 0.01975479 * sec, -0.00427372 * sec
    rot = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])  # coordinate frame rotation
    x, y, z = t + 1.000000252906278 * rot @ xyz
    p = np.hypot(x, y)
    phi = np.arctan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        phi = np.arctan2(z, p * (1 - e2 * nu / (nu + p / np.cos(phi) - nu)))
    return float(np.degrees(np.arctan2(y, x))), float(np.degrees(phi))


def test_pinned_transformation_matches_published_parameters():
    e, n = 550000.0, 1160000.0
    lon, lat = crsmod.to_wgs84([e], [n], "EPSG:9208")
    want = _helmert_by_hand(e, n)
    assert abs(lon[0] - want[0]) < 1e-8 and abs(lat[0] - want[1]) < 1e-8  # ~1 mm
    assert crsmod.OPERATION_NAME in crsmod.transformer("EPSG:9208").description
    other = TransformerGroup("EPSG:9208", "EPSG:4326", always_xy=True).transformers
    alt = next(t for t in other if "VN-2000 to WGS 84 (1)" in t.description).transform(e, n)
    assert abs(alt[0] - lon[0]) * 109_000 > 0.3  # EPSG:5194 would move the point ~0.8 m


def test_kind_of_ranges():
    assert crsmod.kind_of([105.1], [10.5]) == "lonlat"
    assert crsmod.kind_of([10.5], [105.1]) == "latlon"
    assert crsmod.kind_of([528000.0], [1158000.0]) == "metres"
    assert crsmod.kind_of([1158000.0], [528000.0]) == "northing-easting"
    assert crsmod.kind_of([5.0], [5.0]) == "unknown"


def test_unknown_crs_is_reported(layers, admin):
    with pytest.raises(ImportFailed, match="unknown CRS"):
        imp(CORPUS / "utf8_bom.csv", layers, admin, crs="EPSG:999999")


# --- encodings -----------------------------------------------------------------------------------

def test_decode_nfc_and_no_false_alarms():
    text, enc = decode(b"Vie\xe4t Nam", "x")  # VNI typed, saved as a single-byte file
    assert enc == "cp1258" and legacy_encoding(text) == "VNI"
    assert decode((CORPUS / "cp1258.csv").read_bytes())[0].count(NAME) == 1  # composed (NFC)
    assert decode((CORPUS / "utf16_unicode_text.txt").read_bytes())[1] == "utf-16"
    for p in (ROOT / "layers").glob("*.csv"):
        for row in csv.reader(p.read_text(encoding="utf-8").splitlines()):
            assert not any(legacy_encoding(c) for c in row), (p, row)


# --- the bad-file corpus: each gives its documented message and leaves layers/ unchanged --------

CASES = [
    ("tcvn3.csv", "name_vi", "looks like TCVN3 (ABC) text"),
    ("vni.csv", "name_vi", "looks like VNI text"),
    ("mojibake.csv", "name_vi", "looks like UTF-8 read as Windows-1252"),
    ("swapped.csv", "lon/lat", "longitude and latitude look swapped"),
    ("vn2000_in_lonlat.csv", "Kinh độ/Vĩ độ", "are metres (VN-2000 easting/northing), not degrees"),
    ("cambodia.geojson", "geometry", "km outside An Giang"),
    ("duplicate_ids.xlsx", "id", "is also used in row 2"),
    ("empty_required.xlsx", "status", "is empty"),
    ("formula.xlsx", "sources", "starts like a spreadsheet formula"),
    ("formula.csv", "name_en", "starts like a spreadsheet formula"),
]


@pytest.mark.parametrize("name,column,message", CASES)
def test_bad_file_is_reported_and_nothing_written(name, column, message, layers, admin):
    before = snapshot(layers)
    result = imp(CORPUS / name, layers, admin)
    hits = [p for p in result.problems if message in p.message and p.field == column]
    assert hits, [str(p) for p in result.problems]
    assert hits[0].row and hits[0].fix and hits[0].file.endswith(name)
    assert not result.written and snapshot(layers) == before


def test_cambodia_distance_is_measured(layers, admin):
    p = imp(CORPUS / "cambodia.geojson", layers, admin).problems[0]
    km = float(p.message.split(" km outside")[0].rsplit(" ", 1)[1])
    assert 40 < km < 120  # Phnom Penh lies some 60-70 km beyond the border


def test_truncated_zip(layers, admin):
    before = snapshot(layers)
    with pytest.raises(ImportFailed, match="damaged or truncated"):
        imp(CORPUS / "truncated.zip", layers, admin)
    assert snapshot(layers) == before


def test_large_file(tmp_path, layers, admin):
    """A generated ~10 MB file: processed whole; one bad row deep inside blocks the write."""
    path = tmp_path / "large.csv"
    header = "id,name_vi,name_en,kind,district_code,commune_code,status,location_precision," \
             "verified,in_report,sources,notes\n"
    line = "gen-{i},Cơ sở {i},Site {i},utility,890,30538,planned,commune,false,false,test,{pad}\n"
    pad = "x" * 380
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header)
        n = 0
        while fh.tell() < 10_000_000:
            n += 1
            fh.write(line.format(i=n, pad=pad).replace("planned", "nonsense") if n == 20_000
                     else line.format(i=n, pad=pad))
    before = snapshot(layers)
    result = imp(path, layers, admin)
    assert path.stat().st_size >= 10_000_000 and len(result.source.rows) == n
    assert [(p.row, p.field) for p in result.problems] == [(20_001, "status")]
    assert snapshot(layers) == before


def test_size_limit(layers, admin):
    with pytest.raises(ImportFailed, match="larger than the import limit"):
        imp(CORPUS / "utf8_bom.csv", layers, admin, max_mb=0.0001)


# --- good files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["utf8_bom.csv", "cp1258.csv", "utf16_unicode_text.txt"])
def test_encodings_import(name, layers, admin):
    result = imp(CORPUS / name, layers, admin, today="2026-01-02")
    assert not result.problems and result.written and result.plan.added == ["test-solar-1"]
    df = io.read_layer_file(layers / "solar_plants.csv").set_index("id")
    assert df.name_vi["test-solar-1"] == NAME and df.status["test-solar-1"] == "planned"
    log = io.read_table(layers / CHANGES_FILE)
    assert log.iloc[-1][["date", "id", "action", "source"]].tolist() == \
        ["2026-01-02", "test-solar-1", "added", name]
    again = imp(CORPUS / name, layers, admin)
    assert again.plan.unchanged == ["test-solar-1"] and not again.written


def test_vn2000_xy_guessed_and_converted(layers, admin):
    result = imp(CORPUS / "vn2000_xy.csv", layers, admin)
    assert any("guessed EPSG:9208" in w for w in result.warnings)
    assert any("X = northing" in w for w in result.warnings)
    rec = io.read_layer_file(layers / "solar_plants.csv").set_index("id").loc["test-solar-1"]
    assert abs(float(rec.lon) - LON) < 1e-6 and abs(float(rec.lat) - LAT) < 1e-6


def test_vn2000_in_lonlat_with_crs(layers, admin):
    result = imp(CORPUS / "vn2000_in_lonlat.csv", layers, admin, crs="EPSG:9208")
    assert not result.problems and result.written


def test_dry_run_lists_field_changes(layers, admin, tmp_path):
    src = tmp_path / "update.csv"
    src.write_text("Mã,Công suất,Tình trạng\nsolar-sao-mai,\"215,5\",Đang xây dựng\n", encoding="utf-8")
    before = snapshot(layers)
    result = imp(src, layers, admin, dry_run=True)
    assert dict((f, (o, n)) for f, o, n in result.plan.changed["solar-sao-mai"]) == {
        "capacity": ("210", "215.5"), "status": ("operating", "under_construction")}
    assert len(result.plan.missing) == 3 and snapshot(layers) == before


def test_merge_by_name_and_commune(layers, admin, tmp_path):
    src = tmp_path / "noid.csv"
    src.write_text("Tên,Mã xã,Năm\nnha may dien mat troi van giao 1,30523,2019\n", encoding="utf-8")
    result = imp(src, layers, admin)
    assert any("matched 'solar-van-giao-1' by name and commune" in w for w in result.warnings)
    assert result.plan.changed["solar-van-giao-1"] == [("year", "", "2019")]


def test_skip_invalid_writes_good_rows_and_rejects(layers, admin, tmp_path):
    src = tmp_path / "mixed.csv"
    good = (CORPUS / "utf8_bom.csv").read_text(encoding="utf-8-sig").splitlines()
    bad = good[1].replace("test-solar-1", "test-solar-2").replace("Test fixture", "=HYPERLINK(1)")
    src.write_text("\n".join([*good, bad]) + "\n", encoding="utf-8")
    assert not imp(src, layers, admin).written
    result = imp(src, layers, admin, skip_invalid=True)
    assert result.written and result.rejected == [3]
    rej = result.reject_file.read_bytes()
    assert result.reject_file == tmp_path / "mixed.rejects.csv" and rej.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(rej.decode("utf-8-sig").splitlines()))
    assert rows[1][0] == "3" and "'=HYPERLINK(1) (not a real site)" in rows[1]
    assert rows[0][:2] == ["dòng", "vấn đề"] and "công thức" in rows[1][1]  # officers read it: Vietnamese
    result = imp(src, layers, admin, skip_invalid=True, lang="en", reject_path=tmp_path / "en.csv")
    rows = list(csv.reader(result.reject_file.read_text(encoding="utf-8-sig").splitlines()))
    assert "formula" in rows[1][1]
    ids = set(io.read_layer_file(layers / "solar_plants.csv").id)
    assert "test-solar-1" in ids and "test-solar-2" not in ids


def test_remove_missing(layers, admin):
    result = imp(CORPUS / "utf8_bom.csv", layers, admin, remove_missing=True, today="2026-01-03")
    assert len(result.plan.removed) == 4
    assert list(io.read_layer_file(layers / "solar_plants.csv").id) == ["test-solar-1"]
    assert (io.read_table(layers / CHANGES_FILE).action == "removed").sum() == 4


def test_id_used_in_another_layer(layers, admin, tmp_path):
    src = tmp_path / "dup.csv"
    text = (CORPUS / "utf8_bom.csv").read_text(encoding="utf-8-sig")
    src.write_text(text.replace("test-solar-1", "waste-an-cu-landfill"), encoding="utf-8")
    result = imp(src, layers, admin)
    assert any("already used in layer waste_facilities" in p.message for p in result.problems)


def test_vn2000_degrees_with_crs(layers, admin, tmp_path):
    src = tmp_path / "vn2000_deg.csv"
    text = (CORPUS / "utf8_bom.csv").read_text(encoding="utf-8-sig")
    src.write_text(text, encoding="utf-8")
    imp(src, layers, admin, crs="EPSG:4756")
    rec = io.read_layer_file(layers / "solar_plants.csv").set_index("id").loc["test-solar-1"]
    shift_m = np.hypot((float(rec.lon) - LON) * 109_500, (float(rec.lat) - LAT) * 110_600)
    assert 150 < shift_m < 300  # VN-2000 and WGS 84 degrees differ by ~225 m here


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(VI_WORDS), min_size=1, max_size=12))
def test_vietnamese_unicode_is_never_taken_for_a_legacy_font(words):
    text = " ".join(words)
    assert legacy_encoding(text) is None
    assert legacy_encoding(text.upper()) is None


def test_mixed_degrees_and_metres(layers, admin, tmp_path):
    src = tmp_path / "mixed_units.csv"
    lines = (CORPUS / "utf8_bom.csv").read_text(encoding="utf-8-sig").splitlines()
    odd = lines[1].replace("test-solar-1", "test-solar-2").replace(str(LON), "528607.9").replace(
        str(LAT), "1158420.7")
    src.write_text("\n".join([*lines, lines[1].replace("test-solar-1", "test-solar-3"), odd]) + "\n",
                   encoding="utf-8")
    result = imp(src, layers, admin)
    assert [(p.row, "are not degrees" in p.message) for p in result.problems] == [(4, True)]
