"""Administrative units: the 11 pre-2025 districts, their communes and the 2025 crosswalk.

Files are read from a data directory (``--data-dir`` or ``GEO_KTTT_DATA_DIR``) laid
out as ``boundaries/`` and ``research/``; see the README for where to get them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io, settings
from .text import nfc

PROVINCE_CODE = "89"
FILES = {
    "districts": "boundaries/angiang_districts.geojson",
    "commune_points": "boundaries/angiang_commune_points.csv",
    "crosswalk": "boundaries/angiang_reform_2025_mapping.csv",
    "new_communes": "boundaries/angiang_new_communes_2025.csv",
}
OPTIONAL_FILES = {
    # An imported official file wins over the development-only polygons.
    "communes": ["boundaries/communes_official.gpkg",
                 "boundaries/angiang_communes_c2008_dev_only.geojson"],
    "district_stats": ["research/districts.csv"],
    "context": ["boundaries/angiang_context.geojson"],
}
HOW_TO_GET = (
    "Set GEO_KTTT_DATA_DIR (or pass --data-dir) to a folder holding boundaries/ and research/. "
    "Developers and CI use ../shared/data. Elsewhere, import your official boundary file with "
    "`geo-kttt admin import FILE --level district|commune --data-dir DIR` (README, 'Data')."
)


class DataMissing(FileNotFoundError):
    """Reference data that is not where it was looked for."""


@dataclass
class AdminUnits:
    """The administrative reference data the atlas is built against."""

    districts: gpd.GeoDataFrame
    commune_points: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    new_communes: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame | None = None
    context: gpd.GeoDataFrame | None = None
    sources: tuple = ()

    @property
    def province(self):
        return self.districts.union_all()


def data_dir(override=None) -> Path:
    """The reference-data folder, or a DataMissing that says how to provide it."""
    d = settings.path("DATA_DIR", override)
    if d is None:
        raise DataMissing("No reference data folder is configured. " + HOW_TO_GET)
    if not d.is_dir():
        raise DataMissing(f"Reference data folder {d} does not exist. " + HOW_TO_GET)
    return d


def _need(root: Path, rel: str) -> Path:
    p = root / rel
    if not p.is_file():
        raise DataMissing(f"Missing {rel}: looked for {p}. " + HOW_TO_GET)
    return p


def _optional(root: Path, key: str) -> Path | None:
    return next((root / r for r in OPTIONAL_FILES[key] if (root / r).is_file()), None)


def _csv(path: Path) -> pd.DataFrame:
    return io.read_table(path)  # a TableError names the file, row and fix


def load_admin(root=None) -> AdminUnits:
    """Read districts, commune points, crosswalk and (when present) commune polygons.

    Parameters
    ----------
    root : path-like, optional
        The data folder; defaults to the ``DATA_DIR`` setting.

    Returns
    -------
    AdminUnits
    """
    root = data_dir(root)
    districts = _vector(_need(root, FILES["districts"]), ("code", "name"))
    districts["code"] = districts["code"].astype(str)
    districts["name"] = districts["name"].map(nfc)
    stats_path = _optional(root, "district_stats")
    if stats_path:
        stats = _columns(_csv(stats_path), stats_path, ("code", "area_km2", "population", "population_year"))
        stats = stats.rename(columns={"area_km2": "official_area_km2"})
        districts = districts.merge(stats, on="code", how="left")
    points = _points(_need(root, FILES["commune_points"]))
    crosswalk = _csv(_need(root, FILES["crosswalk"]))
    new = _csv(_need(root, FILES["new_communes"]))
    communes = None
    cpath = _optional(root, "communes")
    if cpath:
        communes = _vector(cpath, ("code", "district_code"))
        communes["code"] = communes["code"].astype(str)
        communes["district_code"] = communes["district_code"].astype(str)
    context = _optional(root, "context")
    context = _vector(context, ()) if context else None
    new = _new_commune_shapes(new, crosswalk, communes)
    used = [FILES[k] for k in FILES] + [str(p.relative_to(root)) for p in (stats_path, cpath) if p]
    return AdminUnits(districts.sort_values("code").reset_index(drop=True), points, crosswalk, new,
                      communes, context, tuple(used))


def _columns(df: pd.DataFrame, path: Path, columns) -> pd.DataFrame:
    """``df[columns]``, or a TableError naming the first missing column."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise io.TableError(path, None, missing[0], "column is missing",
                            f"the file needs the columns {', '.join(columns)}; " + HOW_TO_GET)
    return df[list(columns)]


def _vector(path: Path, columns) -> gpd.GeoDataFrame:
    """A reference vector file in EPSG:4326, or a TableError saying what is wrong with it."""
    try:
        gdf = io.read_vector(path).to_crs(4326)
    except (OSError, ValueError, RuntimeError) as e:  # GDAL's errors carry its text
        raise io.TableError(path, None, "(file)", f"cannot be read as a vector file ({e})",
                            "copy the file again, or import your official boundaries with "
                            "`geo-kttt admin import`") from None
    _columns(gdf, path, columns)
    return gdf


def _points(path: Path) -> gpd.GeoDataFrame:
    """The commune reference points (code, district_code, lon, lat) as points."""
    pts = _csv(path)
    _columns(pts, path, ("code", "district_code", "lon", "lat"))
    xy = {}
    for c in ("lon", "lat"):
        xy[c] = pd.to_numeric(pts[c], errors="coerce")
        bad = xy[c].isna()
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise io.TableError(path, row, c, f"'{pts[c].iloc[row - 1]}' is not a number",
                                "write decimal degrees in WGS 84, e.g. 105.12345")
    return gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(xy["lon"], xy["lat"]), crs=4326)


def _new_commune_shapes(new: pd.DataFrame, crosswalk: pd.DataFrame, communes) -> gpd.GeoDataFrame:
    """Approximate shapes of the 2025 units: the union of the old units merged into each.

    Old units split between several new ones (``partial``) make those shapes overlap;
    ``has_partial_merge`` flags them. Only the part from old An Giang can be drawn.
    """
    geoms = None
    if communes is not None:
        ag = crosswalk[crosswalk.old_province_code == PROVINCE_CODE]
        # One polygon may stand for several old units ("30376;30377;30378"): join it to each.
        parts = communes[["code", "geometry"]].assign(code=communes.code.str.split(";")).explode("code")
        joined = parts.merge(ag, left_on="code", right_on="old_code")
        geoms = joined.dissolve(by="new_code")["geometry"]
    out = gpd.GeoDataFrame(new, geometry=[None] * len(new), crs=4326)
    if geoms is not None:
        out["geometry"] = out["new_code"].map(geoms)
    return out


def import_boundaries(src: Path, level: str, dest_root: Path, crs=None,
                      code_field="code", name_field="name") -> Path:
    """Import an official district or commune boundary file into the data folder.

    The file (Shapefile, GeoPackage, GeoJSON) may be in VN-2000 (EPSG:9208 / 3405) or
    WGS 84; it is written as EPSG:4326 with ``code`` and ``name`` columns.
    """
    gdf = io.read_vector(Path(src))
    if crs:
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None:
        raise ValueError(f"{src}: has no CRS; pass --crs EPSG:9208 (VN-2000 TM-3 104-45) "
                         "or --crs EPSG:4326")
    for f in (code_field, name_field) + (("district_code",) if level == "commune" else ()):
        if f not in gdf.columns:
            raise ValueError(f"{src}: no column '{f}' (columns: {', '.join(gdf.columns)}); "
                             "name the code and name columns with --code-field/--name-field")
    gdf = gdf.rename(columns={code_field: "code", name_field: "name"}).to_crs(4326)
    gdf["code"] = gdf["code"].astype(str)
    gdf["name"] = gdf["name"].map(nfc)
    rel = FILES["districts"] if level == "district" else OPTIONAL_FILES["communes"][0]
    dest = Path(dest_root) / rel
    io.write_vector(gdf, dest)
    return dest
