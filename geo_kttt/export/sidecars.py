"""Files beside a CSV that make GDAL and QGIS read it typed and placed: .csvt, .prj, README.

GDAL's CSV driver (and so QGIS's "Add vector layer") reads ``<name>.csvt`` for the column
types (``String``, ``Real``, ``Integer``, ``Integer(Boolean)``, and ``CoordX``/``CoordY`` for
the point coordinates) and ``<name>.prj`` for the CRS. Without them every column is text
and no point is drawn; the README says how to open the CSV alone
(``-oo X_POSSIBLE_NAMES=… -oo Y_POSSIBLE_NAMES=… -oo AUTODETECT_TYPE=YES``).

Imports nothing of its family.
"""

from __future__ import annotations

from pyproj import CRS

from ..catalog import FIELDS

CSVT_TYPES = {"str": "String", "float": "Real", "int": "Integer", "bool": "Integer(Boolean)"}
GRID_COLUMNS = ("x_easting", "y_northing")  # metres in the chosen VN-2000 grid
WGS84 = "EPSG:4326"


def point_columns(crs: str | None) -> tuple[str, str]:
    """The columns that hold the points: lon/lat (WGS 84), or the grid's x/y in metres."""
    return ("lon", "lat") if crs in (None, WGS84) else GRID_COLUMNS


def csvt(columns: list[str], crs: str | None) -> str:
    """The one line of a .csvt for ``columns``: GDAL types, the point columns as CoordX/CoordY."""
    x, y = point_columns(crs)
    types = []
    for name in columns:
        if name == x:
            types.append("CoordX")
        elif name == y:
            types.append("CoordY")
        elif name in GRID_COLUMNS:
            types.append("Real")
        else:
            types.append(CSVT_TYPES[FIELDS[name][0]] if name in FIELDS else "String")
    return ",".join(f'"{t}"' for t in types) + "\r\n"


def prj(crs: str | None) -> str:
    """The .prj (ESRI WKT, as a Shapefile's) of the point columns' CRS."""
    return CRS.from_user_input(crs or WGS84).to_wkt("WKT1_ESRI")


def csv_readme(name: str, crs: str | None, crs_title: str) -> str:
    """How GDAL, QGIS and Excel read ``name`` (the CSV file name), in Vietnamese and English."""
    x, y = point_columns(crs)
    stem = name.rsplit(".", 1)[0]
    return "\n".join([
        f"{name}: UTF-8 with BOM (Excel), comma-separated, one row per site.",
        f"{name}: UTF-8 có BOM (Excel), phân cách bằng dấu phẩy, mỗi dòng một cơ sở.", "",
        f"Points / Tọa độ điểm: columns {x}, {y} in {crs or WGS84} ({crs_title}).",
        "lon, lat are always WGS 84 degrees / lon, lat luôn là độ WGS 84."
        + ("" if x == "lon" else f" {x} = easting (E, metres), {y} = northing (N, metres); "
           "X/Y here are NOT the Vietnamese survey order (X = northing) / "
           f"{x} = hoành độ Đông (m), {y} = tung độ Bắc (m)."), "",
        f"{stem}.csvt gives GDAL/QGIS the column types (numbers stay numbers, {x}/{y} place the points);",
        f"{stem}.prj gives the CRS. Keep the three files together and open {name} in QGIS",
        "(Layer > Add Layer > Add Vector Layer) or with ogrinfo.",
        f"{stem}.csvt cho GDAL/QGIS biết kiểu dữ liệu của từng cột; {stem}.prj cho biết hệ tọa độ.", "",
        f"Without the .csvt / Không có .csvt: ogrinfo -oo X_POSSIBLE_NAMES={x} -oo Y_POSSIBLE_NAMES={y} "
        f"-oo AUTODETECT_TYPE=YES -oo KEEP_GEOM_COLUMNS=YES {name}",
        f"(in QGIS: Add Delimited Text Layer, X field {x}, Y field {y}, CRS {crs or WGS84}).", ""])
