"""Reading officers' files for ``geo-kttt import``: cells, column names matched to fields.

Reads XLSX, CSV/TSV (UTF-8, UTF-8 BOM, UTF-16, Windows-1258), GeoJSON, KML/KMZ,
Shapefile (zipped or a folder) and GeoPackage. Column names are matched in Vietnamese
or English, diacritics-insensitive ("Kinh độ", "kinh do", "lon", "Longitude").
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import io
from ..catalog import FIELDS, PRECISIONS, STATUSES, Layer
from ..errors import AtlasError
from ..i18n import STRINGS, Msg, Num
from ..text import fold, nfc
from ..validate import PROVINCE_TOLERANCE_M
from . import crs as crsmod
from .encodings import (
    EncodingProblem,
    legacy_encoding,
    legacy_hint,
    number_text,
    read_text_rows,
    read_xlsx_rows,
    read_xlsx_sheets,
)

TABLE_EXT = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}
VECTOR_EXT = {".geojson", ".json", ".kml", ".kmz", ".shp", ".zip", ".gpkg"}
ALIASES = {
    "id": ["ma", "ma so", "ma co so", "ma dinh danh", "site id"],
    "name_vi": ["ten", "ten co so", "ten du an", "name", "ten tieng viet"],
    "name_en": ["ten tieng anh", "english name"],
    "kind": ["loai", "loai hinh", "type"],
    "operator": ["chu dau tu", "don vi van hanh", "doanh nghiep", "owner"],
    "district_code": ["ma huyen"], "commune_code": ["ma xa", "ma phuong xa"],
    "status": ["tinh trang", "trang thai"], "capacity": ["cong suat", "quy mo", "dien tich"],
    "capacity_unit": ["don vi", "don vi tinh", "unit", "don vi cong suat", "don vi quy mo",
                      "capacity unit"],
    "year": ["nam", "nam van hanh"],
    "location_precision": ["do chinh xac", "precision"],
    "lon": ["kinh do", "lng", "long", "longitude"], "lat": ["vi do", "latitude"],
    "verified": ["da kiem chung"], "in_report": ["trong bao cao"],
    "sources": ["nguon", "nguon tin", "source"], "notes": ["ghi chu", "note"],
    "x": ["x", "toa do x", "x m", "easting"], "y": ["y", "toa do y", "y m", "northing"],
    # Not fields: a district or commune by name (or code), the layer of the atlas's exports.
    "district": ["huyen", "ten huyen", "quan huyen", "huyen thi xa thanh pho", "huyen thi xa",
                 "district", "district name", "district_name"],
    "commune": ["xa", "ten xa", "xa phuong", "phuong xa", "xa phuong thi tran", "phuong",
                "commune", "commune name", "commune_name", "ward"],
    "layer": ["layer", "lop", "lop du lieu"],
    "position_source": ["position_source", "nguon cua diem ve", "where the drawn point comes from"],
    # The atlas's exports write the status and kind in words beside their codes: read, not used.
    **{name: [name, STRINGS[f"dl_{name}"]["vi"], STRINGS[f"dl_{name}"]["en"]]
       for name in ("status_label", "kind_label")},
}
# Columns that are read but are not fields of the layer file.
PSEUDO = ("x", "y", "district", "commune", "layer", "position_source", "status_label", "kind_label")
_UNIT_HEADING = re.compile(r"^(.*?)\s*[(\[]\s*([^)\]]+?)\s*[)\]]\s*$")  # "Công suất (MWp)"
KML_COLUMNS = ["timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
               "drawOrder", "icon"]
CODED = {"status": STATUSES, "location_precision": PRECISIONS}


class ImportFailed(AtlasError, ValueError):
    """The file as a whole cannot be imported; the message says why and how to fix it."""

    http_status = 400
    note = Msg("note_nothing_written")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()


def _alias_table() -> dict[str, str]:
    table = {}
    for f, (_t, _r, vi, en) in FIELDS.items():
        for name in (f, f[:10], vi, en):  # f[:10]: Shapefile (DBF) field names are cut at 10
            table[_key(name)] = f
    for f, names in ALIASES.items():
        table.update({_key(n): f for n in names})
    return table


@dataclass
class Source:
    """The cells of an import file, before any checking."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    rownums: list[int]  # spreadsheet row (header = its own row) or feature number
    encoding: str
    crs: str | None = None
    xy: tuple | None = None  # geometry x, y arrays for vector files
    colmap: dict = field(default_factory=dict)  # field -> column index
    notes: list = field(default_factory=list)  # warnings from reading
    sheet: str | None = None  # the worksheet of a workbook read sheet by sheet
    header_units: dict = field(default_factory=dict)  # field -> unit in its heading ("(MWp)")

    @property
    def name(self) -> str:
        """How problems name the file: its path, and the sheet when there are several."""
        return f"{self.path} [{self.sheet}]" if self.sheet else str(self.path)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ImportFailed(Msg("imp_damaged", path=path, error=e)) from e
    if bad:
        raise ImportFailed(Msg("imp_damaged_member", path=path, member=bad))


MAX_MB = 50.0  # default size limit; `geo-kttt import --max-mb` raises it


def read_source(path: Path, max_mb: float = MAX_MB) -> Source:
    """Read any supported file into a :class:`Source` with its columns matched to fields.

    Raises
    ------
    ImportFailed
        Unknown format, damaged file, wrong encoding, too large, no usable header.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(Msg("imp_no_file", path=path))
    limit = float(max_mb)
    size = (sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size)
    if size > limit * 1e6:
        raise ImportFailed(Msg("imp_too_large", path=path, size=Num(size / 1e6, 1), limit=Num(limit)))
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm", ".zip", ".kmz"):
        _check_zip(path)
    try:
        if ext in TABLE_EXT:
            cells, enc = read_xlsx_rows(path) if ext.startswith(".xls") else read_text_rows(path)
            return _table_source(path, cells, enc)
        if ext in VECTOR_EXT or path.is_dir():
            return _vector_source(path)
    except EncodingProblem as e:
        raise ImportFailed(e.args[0]) from e
    except io.TableError as e:  # rows as the spreadsheet counts them: the header is row 1
        raise ImportFailed(Msg("imp_table_error", path=path, line=e.line, what=e.what, fix=e.fix)) from e
    if ext == ".xls":
        raise ImportFailed(Msg("imp_xls", path=path))
    raise ImportFailed(Msg("imp_unknown_type", path=path, ext=ext))


def read_sources(path: Path, max_mb: float = MAX_MB) -> list[Source]:
    """Like :func:`read_source`, with every worksheet of a workbook whose rows say their
    ``layer`` (the atlas's own XLSX export: one sheet per layer); otherwise the first."""
    first = read_source(path, max_mb)
    if first.encoding != "xlsx" or "layer" not in first.colmap:
        return [first]
    out = []
    for title, cells in read_xlsx_sheets(path):
        try:
            src = _table_source(path, cells, "xlsx")
        except ImportFailed:
            continue  # a sheet without a header row (the export's "about")
        if "layer" in src.colmap:
            src.sheet = title
            out.append(src)
    return out


def _match(header: list[str]) -> dict[str, int]:
    """field -> column index; a column named exactly like a field wins over an alias, and an
    alias over a heading with a unit in brackets ("Công suất (MWp)", "Kinh độ (WGS 84)")."""
    table, out = _alias_table(), {}
    for rank in (0, 1, 2):
        for i, h in enumerate(header):
            name = h if rank < 2 else (_UNIT_HEADING.match(h) or [None, ""])[1]
            f = table.get(_key(name))
            if f and f not in out and i not in out.values() and (rank or _key(h) == _key(f)):
                out[f] = i
    return out


def _header_units(header: list[str], colmap: dict) -> dict[str, str]:
    """The unit written in the heading of the capacity columns: "Công suất (tấn/ngày)"."""
    out = {}
    for f in ("capacity", "capacity_max"):
        m = _UNIT_HEADING.match(header[colmap[f]]) if f in colmap else None
        if m and _key(m.group(1)) != _key(header[colmap[f]]):
            out[f] = m.group(2)
    return out


def _table_source(path: Path, cells: list[list[str]], enc: str) -> Source:
    h = next((n for n, row in enumerate(cells[:10]) if len(_match(row)) >= 2), None)
    if h is None:
        legacy = next((found for row in cells[:10] for c in row if (found := legacy_encoding(c))), None)
        if legacy:
            raise ImportFailed(Msg("imp_legacy_header", path=path, encoding=legacy, fix=legacy_hint(legacy)))
        raise ImportFailed(Msg("imp_no_header", path=path))
    header = cells[h]
    body = [(n, r + [""] * (len(header) - len(r))) for n, r in enumerate(cells[h + 1:], start=h + 2)
            if any(c.strip() for c in r)]
    extra = [n for n, r in body if any(c.strip() for c in r[len(header):])]
    if extra:
        raise ImportFailed(Msg("imp_extra_cells", path=path, row=extra[0], n=len(header),
                               rows=", ".join(map(str, extra[:10]))))
    colmap = _match(header)
    return Source(path, header, [r[:len(header)] for _, r in body], [n for n, _ in body], enc,
                  colmap=colmap, header_units=_header_units(header, colmap))


def _vector_source(path: Path) -> Source:
    target = path
    if path.suffix.lower() == ".kmz":  # through /vsizip/: GDAL's KMZ reader drops ExtendedData
        with zipfile.ZipFile(path) as z:
            kml = sorted((n for n in z.namelist() if n.lower().endswith(".kml")),
                         key=lambda n: n.lower() != "doc.kml")
        if not kml:
            raise ImportFailed(Msg("imp_kmz_empty", path=path))
        target = f"/vsizip/{path.resolve()}/{kml[0]}"
    notes = []
    try:
        gdf = io.read_vector(target)
        if _utf8_as_latin1(gdf):  # a Shapefile without .cpg holding UTF-8 text
            gdf = io.read_vector(target, encoding="utf-8")
            notes.append(Msg("imp_no_cpg"))
    except (OSError, ValueError, RuntimeError) as e:  # pyogrio/GDAL errors carry GDAL's text
        raise ImportFailed(Msg("imp_not_vector", path=path, error=e)) from e
    geoms = gdf.geometry
    if not geoms.is_empty.all() and (geoms.dropna().geom_type != "Point").any():
        raise ImportFailed(Msg("imp_not_points", path=path, found=sorted(set(geoms.dropna().geom_type))))
    attrs = pd.DataFrame(gdf.drop(columns="geometry"))
    if path.suffix.lower() in (".kml", ".kmz"):  # LIBKML: placemark id and styling columns
        attrs = attrs.drop(columns=[c for c in KML_COLUMNS if c in attrs])
        if "id2" in attrs:
            attrs = attrs.drop(columns="id").rename(columns={"id2": "id"})
    header = [str(c) for c in attrs.columns]
    rows = [[_text(v) for v in r] for r in attrs.itertuples(index=False)]
    x = np.array([g.x if g is not None and not g.is_empty else np.nan for g in geoms])
    y = np.array([g.y if g is not None and not g.is_empty else np.nan for g in geoms])
    file_crs = None if gdf.crs is None else (
        f"EPSG:{gdf.crs.to_epsg()}" if gdf.crs.to_epsg() else gdf.crs.to_wkt())
    return Source(path, header, rows, list(range(1, len(rows) + 1)), "vector", file_crs, (x, y),
                  _match(header), notes)


def _utf8_as_latin1(gdf) -> bool:
    return any(isinstance(v, str) and legacy_encoding(v) == "UTF-8 read as Windows-1252"
               for col in gdf.columns if col != gdf.geometry.name for v in gdf[col].head(50))


def _text(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return number_text(v)
    return nfc(v)


def normalise(f: str, v: str, layer: Layer) -> str:
    """Map labels to codes ('Đang hoạt động' -> operating), '12,5' -> '12.5', '892.0' -> '892'."""
    if not v:
        return v
    choices = dict(CODED.get(f, {}))
    if f == "kind":
        choices = layer.kinds
    elif f == "capacity_unit":
        choices = layer.units
    if choices:
        for code, label in choices.items():
            if _key(v) in (_key(code), _key(label["vi"]), _key(label["en"])):
                return code
        # one part of a label written "a/b" ("Lò đốt" for "Nhà máy/lò đốt"), when only one has it
        parts = [code for code, label in choices.items() if f != "capacity_unit"
                 and _key(v) in {_key(p) for text in (label["vi"], label["en"]) for p in text.split("/")}]
        if len(parts) == 1:
            return parts[0]
    kind = FIELDS.get(f, ("str",))[0]
    if kind == "float" and re.fullmatch(r"-?\d+,\d+", v):
        return v.replace(",", ".")
    if f in ("district_code", "commune_code", "year") and re.fullmatch(r"\d+\.0+", v):
        return v.split(".")[0]
    if kind == "bool" and _key(v) in ("co", "yes", "x", "1", "true", "dung"):
        return "true"
    if kind == "bool" and _key(v) in ("khong", "no", "0", "false", "sai"):
        return "false"
    return v




# --- coordinates -----------------------------------------------------------------------------

def column_name(src: Source, f: str) -> str:
    return src.header[src.colmap[f]] if f in src.colmap else f


def _numbers(src: Source, f: str, add) -> np.ndarray:
    out = np.full(len(src.rows), np.nan)
    for i, r in enumerate(src.rows):
        v = r[src.colmap[f]].replace(",", ".") if f in src.colmap else ""
        if not v:
            continue
        try:
            out[i] = float(v)
        except ValueError:
            add(i, column_name(src, f), "imp_not_number", value=r[src.colmap[f]])
    return out


def coordinates(src: Source, crs: str | None, province, add, warn) -> tuple[list, list]:
    """Read, classify and convert the coordinates of every row to WGS 84 text lon/lat.

    ``add(row index, column, key, **params)`` receives row errors (``imp_<key>`` and its ``_fix``
    in the string table), ``warn(message)`` file warnings.
    """
    n = len(src.rows)
    raw = _raw_xy(src, add)
    if raw is None:
        return [""] * n, [""] * n
    x, y, cols = raw
    crs = crs or src.crs
    ok = np.isfinite(x) & np.isfinite(y)
    kind = crsmod.kind_of(x[ok], y[ok])
    if kind == "northing-easting" or (crs in ("EPSG:9208", "EPSG:3405") and kind != "metres"
                                      and np.median(x[ok]) > np.median(y[ok])):
        warn(Msg("imp_northings_first", columns=cols))
        x, y, kind = y, x, "metres"
    if crs is None and kind == "metres":
        if "lon" in src.colmap:
            for i in np.flatnonzero(ok):
                add(i, cols, "imp_metres_not_degrees", x=src.rows[i][src.colmap['lon']],
                    y=src.rows[i][src.colmap['lat']])
            return [""] * n, [""] * n
        crs, why = crsmod.guess_projected(x[ok], y[ok], province)
        warn(Msg("imp_guessed_crs", columns=cols, crs=crs, name=crsmod.VN2000[crs], why=why,
                 other=crsmod.other(crs)))
    return _convert(x, y, ok, crs or "EPSG:4326", cols, province, add)


def _raw_xy(src: Source, add):
    """(x, y, column label) from the geometry or the lon/lat or X/Y columns; None without any."""
    if src.xy is not None:
        return src.xy[0], src.xy[1], "geometry"
    for a, b in (("lon", "lat"), ("x", "y")):
        if {a, b} <= set(src.colmap):
            return (_numbers(src, a, add), _numbers(src, b, add),
                    f"{column_name(src, a)}/{column_name(src, b)}")
    return None


def _convert(x, y, ok, crs: str, cols: str, province, add) -> tuple[list, list]:
    """Swapped-degree check, conversion to WGS 84, and the province check (distance in km)."""
    n = len(x)
    if crs == "EPSG:4326":
        for i in np.flatnonzero(ok & _in(x, crsmod.LAT_RANGE) & _in(y, crsmod.LON_RANGE)):
            add(i, cols, "imp_swapped", lon=f"{x[i]:g}", lat=f"{y[i]:g}")
            ok[i] = False
        for i in np.flatnonzero(ok & ((np.abs(x) > 180) | (np.abs(y) > 90))):
            add(i, cols, "imp_not_degrees", x=f"{x[i]:g}", y=f"{y[i]:g}")
            ok[i] = False
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        lon[ok], lat[ok] = crsmod.to_wgs84(x[ok], y[ok], crs)
    km = np.zeros(n)
    fin = np.isfinite(lon) & np.isfinite(lat)
    if fin.any():
        km[fin] = crsmod.outside_km(lon[fin], lat[fin], province)
    for i in np.flatnonzero(fin & (km * 1000 > PROVINCE_TOLERANCE_M)):
        src_xy = "" if crs == "EPSG:4326" else f" ({x[i]:g}, {y[i]:g}; {crs})"
        add(i, cols, "imp_outside_province", lon=f"{lon[i]:.6f}", lat=f"{lat[i]:.6f}", source=src_xy,
            km=Num(km[i], 1))
        fin[i] = False
    fmt = lambda v, good: f"{round(float(v), 6)}" if good else ""  # noqa: E731
    return ([fmt(v, g) for v, g in zip(lon, fin, strict=True)],
            [fmt(v, g) for v, g in zip(lat, fin, strict=True)])


def _in(v, lo_hi) -> np.ndarray:
    return (v >= lo_hi[0]) & (v <= lo_hi[1])


