"""Write the import test corpus (tests/data/README.md describes each file).

Run from the repository root: ``python tests/data/import/make_corpus.py``. Every file is
made here from the fictitious record below; none comes from an officer. The position is a
point inside xã An Hảo (GSO 30538), about 440 m from the commune's reference point (a
coordinate equal to that point is the reference point, not a site coordinate), used only
as a plausible in-province test coordinate.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
from pyproj.transformer import TransformerGroup

HERE = Path(__file__).parent
LON, LAT = 105.016, 10.478
NAME = "Nhà máy điện mặt trời Thử nghiệm"
HEADER = ["id", "name_vi", "name_en", "kind", "district_code", "commune_code", "status", "capacity",
          "capacity_unit", "location_precision", "lon", "lat", "verified", "in_report", "sources"]
VI_HEADER = ["Mã", "Tên cơ sở", "Tên tiếng Anh", "Loại", "Mã huyện", "Mã xã", "Tình trạng",
             "Công suất", "Đơn vị", "Độ chính xác vị trí", "Kinh độ", "Vĩ độ", "Đã kiểm chứng",
             "Trong báo cáo", "Nguồn"]


def record(**over) -> list[str]:
    r = {"id": "test-solar-1", "name_vi": NAME, "name_en": "Test solar plant", "kind": "utility",
         "district_code": "890", "commune_code": "30538", "status": "planned", "capacity": "5",
         "capacity_unit": "MWp", "location_precision": "approximate", "lon": str(LON),
         "lat": str(LAT), "verified": "false", "in_report": "false",
         "sources": "Test fixture (not a real site)"}
    r.update(over)
    return [r[h] for h in HEADER]


def csv_text(rows, header=HEADER, delimiter=",") -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


TCVN3 = {"à": "µ", "á": "¸", "đ": "®", "ệ": "Ö", "ặ": "Æ", "ờ": "ê", "ử": "ö", "ấ": "Ê"}
VNI = {"à": "aø", "á": "aù", "đ": "ñ", "ệ": "eä", "ặ": "aë", "ờ": "ôø", "ử": "öû"}


def legacy(text: str, table: dict) -> str:
    return "".join(table.get(c, c) for c in text)


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letter + combining tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
            out.append((base + "".join(c for c in d if c in tones)).encode("cp1258"))
    return b"".join(out)


def xlsx(path: Path, rows, header=HEADER) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def vn2000(lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 -> VN-2000 / TM-3 104-45 through the inverse of EPSG:6960."""
    group = TransformerGroup("EPSG:4326", "EPSG:9208", always_xy=True)
    t = next(t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description)
    return t.transform(lon, lat)


def main() -> None:
    (HERE / "tcvn3.csv").write_bytes(csv_text([record(name_vi=legacy(NAME, TCVN3))]).encode("cp1252"))
    (HERE / "vni.csv").write_bytes(csv_text([record(name_vi=legacy(NAME, VNI))]).encode("cp1252"))
    twice = NAME.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    (HERE / "mojibake.csv").write_bytes(csv_text([record()]).encode("utf-8").replace(
        NAME.encode("utf-8"), twice))
    (HERE / "utf16_unicode_text.txt").write_bytes(
        csv_text([record()], VI_HEADER, "\t").encode("utf-16"))
    (HERE / "cp1258.csv").write_bytes(cp1258_bytes(csv_text([record()], VI_HEADER)))
    (HERE / "utf8_bom.csv").write_bytes(csv_text([record()], VI_HEADER).encode("utf-8-sig"))
    (HERE / "swapped.csv").write_text(csv_text([record(lon=str(LAT), lat=str(LON))]), encoding="utf-8")
    e, n = vn2000(LON, LAT)
    (HERE / "vn2000_in_lonlat.csv").write_text(
        csv_text([record(lon=f"{e:.2f}", lat=f"{n:.2f}")], VI_HEADER), encoding="utf-8")
    xy_header = [h if h not in ("lon", "lat") else {"lon": "X", "lat": "Y"}[h] for h in HEADER]
    (HERE / "vn2000_xy.csv").write_text(  # Vietnamese survey order: X = northing, Y = easting
        csv_text([record(lon=f"{n:.3f}", lat=f"{e:.3f}")], xy_header), encoding="utf-8")
    cambodia = dict(zip(HEADER, record(), strict=True))
    gdf = gpd.GeoDataFrame([cambodia], geometry=gpd.points_from_xy([104.9282], [11.5564]), crs=4326)
    gdf.drop(columns=["lon", "lat"]).to_file(HERE / "cambodia.geojson", driver="GeoJSON", engine="pyogrio")
    xlsx(HERE / "duplicate_ids.xlsx", [record(), record(name_vi="Trùng mã", capacity="7")])
    xlsx(HERE / "empty_required.xlsx", [record(name_vi="", status="")])
    xlsx(HERE / "formula.xlsx", [record(sources='=HYPERLINK("http://evil.example/","Xem")')])
    (HERE / "formula.csv").write_text(
        csv_text([record(name_en='=HYPERLINK("http://evil.example/","Xem")')]), encoding="utf-8")
    shp = HERE / "_shp"
    shp.mkdir(exist_ok=True)
    gdf.to_file(shp / "sites.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(shp.iterdir()):
            z.write(p, p.name)
            p.unlink()
    shp.rmdir()
    data = buf.getvalue()
    (HERE / "truncated.zip").write_bytes(data[: len(data) // 2])


if __name__ == "__main__":
    main()
