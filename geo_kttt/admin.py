"""Administrative units: the 11 pre-2025 districts, their communes and the 2025 crosswalk.

Every reference file is found by :func:`reference_file`: first in the data folder
(``--data-dir`` or ``GEO_KTTT_DATA_DIR``: a deployment's official imports, or a developer's
folder that adds the development-only commune polygons), then, file by file, in the copy
bundled with the package (``geo_kttt/reference/``, see its README for sources and licences).
With no data folder the bundled files alone build the atlas (without commune polygons).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io, settings
from .crs import reproject
from .errors import AtlasError
from .i18n import Codes, Msg
from .text import nfc

PROVINCE_CODE = "89"
BUNDLED = Path(__file__).resolve().parent / "reference"
FILES = {
    "districts": "boundaries/angiang_districts.geojson",
    "commune_points": "boundaries/angiang_commune_points.csv",
    "crosswalk": "boundaries/angiang_reform_2025_mapping.csv",
    "new_communes": "boundaries/angiang_new_communes_2025.csv",
}
OPTIONAL_FILES = {
    # An imported official file wins over the development-only polygons (never bundled).
    "communes": ["boundaries/communes_official.gpkg",
                 "boundaries/angiang_communes_c2008_dev_only.geojson"],
    "district_stats": ["research/districts.csv"],
    "context": ["boundaries/angiang_context.geojson"],
}
POINT_COLUMNS = ["code", "name", "full_name", "type", "district_code", "district_name",
                 "lon", "lat", "method", "source"]
HOW_TO_GET = Msg("data_how_to_get")


class DataMissing(AtlasError, FileNotFoundError):
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


def data_dir(override=None) -> Path | None:
    """The configured data folder, None when there is none, or a DataMissing saying what is wrong."""
    d = settings.path("DATA_DIR", override)
    if d is None:
        return None
    if not d.is_dir():
        raise DataMissing(Msg("data_no_folder", folder=d, how=HOW_TO_GET))
    if not any((d / sub).is_dir() for sub in ("boundaries", "research")):
        raise DataMissing(Msg("data_empty_folder", folder=d, how=HOW_TO_GET))
    return d


def reference_file(rel: str, root=None) -> Path | None:
    """Where the reference file ``rel`` (e.g. ``boundaries/angiang_districts.geojson``) is read from.

    Parameters
    ----------
    rel : str
        The file's path inside a data folder.
    root : path-like, optional
        The data folder; defaults to the ``DATA_DIR`` setting. None: only the bundled copy.

    Returns
    -------
    Path or None
        The data folder's file when it exists, else the bundled one, else None.
    """
    d = data_dir(root)
    return next((base / rel for base in (d, BUNDLED) if base and (base / rel).is_file()), None)


def _find(root, rels) -> tuple[str, Path] | None:
    """The first of ``rels`` that exists (data folder, then bundled), with its path."""
    return next(((rel, p) for rel in rels if (p := reference_file(rel, root))), None)


def _label(rel: str, path: Path) -> str:
    """How a used file is recorded in the atlas metadata: its name and where it came from."""
    return f"{rel} ({'bundled' if path.is_relative_to(BUNDLED) else 'data folder'})"


def _csv(path: Path) -> pd.DataFrame:
    return io.read_table(path)  # a TableError names the file, row and fix


def _locate(root) -> dict:
    """Every reference file, key -> (relative path, path) or None, checked for consistency."""
    folder = data_dir(root)  # a configured folder that is wrong fails here, named
    found = {k: _find(root, [rel]) for k, rel in FILES.items()}
    found |= {k: _find(root, rels) for k, rels in OPTIONAL_FILES.items()}
    missing = [FILES[k] for k in FILES if found[k] is None]
    if missing:
        raise DataMissing(Msg("data_missing_files", files=Codes(missing), folder=folder or "-",
                              bundled=BUNDLED, how=HOW_TO_GET))
    if found["communes"] and found["communes"][0] == OPTIONAL_FILES["communes"][0] \
            and found["commune_points"][1].is_relative_to(BUNDLED):
        raise DataMissing(Msg("data_no_points", folder=folder, file=FILES["commune_points"]))
    return found


def load_admin(root=None) -> AdminUnits:
    """Read districts, commune points, crosswalk and (when present) commune polygons.

    Parameters
    ----------
    root : path-like, optional
        The data folder whose files replace the bundled ones; defaults to the ``DATA_DIR``
        setting (none: the bundled files only).

    Returns
    -------
    AdminUnits
    """
    found = _locate(root)
    path = {k: v[1] for k, v in found.items() if v}
    districts = _vector(path["districts"], ("code", "name"))
    districts["code"] = districts["code"].astype(str)
    districts["name"] = districts["name"].map(nfc)
    if "district_stats" in path:
        stats = _columns(_csv(path["district_stats"]), path["district_stats"],
                         ("code", "area_km2", "population", "population_year"))
        stats = stats.rename(columns={"area_km2": "official_area_km2"})
        districts = districts.merge(stats, on="code", how="left")
    points = _points(path["commune_points"])
    crosswalk = _csv(path["crosswalk"])
    new = _csv(path["new_communes"])
    communes = None
    if "communes" in path:
        communes = _vector(path["communes"], ("code", "district_code"))
        communes["code"] = communes["code"].astype(str)
        communes["district_code"] = communes["district_code"].astype(str)
    context = _vector(path["context"], ()) if "context" in path else None
    new = _new_commune_shapes(new, crosswalk, communes)
    return AdminUnits(districts.sort_values("code").reset_index(drop=True), points, crosswalk, new,
                      communes, context, tuple(_label(*v) for v in found.values() if v))


def _columns(df: pd.DataFrame, path: Path, columns) -> pd.DataFrame:
    """``df[columns]``, or a TableError naming the first missing column."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise io.TableError(path, None, missing[0], "missing_column", columns=Codes(columns),
                            how=HOW_TO_GET)
    return df[list(columns)]


def _vector(path: Path, columns) -> gpd.GeoDataFrame:
    """A reference vector file in EPSG:4326, or a TableError saying what is wrong with it."""
    try:
        gdf = reproject(io.read_vector(path), 4326)
    except (OSError, ValueError, RuntimeError) as e:  # GDAL's errors carry its text
        raise io.TableError(path, None, Msg("tbl_file"), "not_vector", error=str(e)) from None
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
            raise io.TableError(path, row, c, "not_degrees", value=pts[c].iloc[row - 1])
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


def import_boundaries(src: Path, level: str, dest_root=None, crs=None, code_field="code",
                      name_field="name", district_field="district_code") -> Path:
    """Import an official district or commune boundary file into the data folder.

    The file (Shapefile, GeoPackage, GeoJSON) may be in VN-2000 (EPSG:9208 / 3405) or
    WGS 84; it is written as EPSG:4326 with ``code`` and ``name`` columns. A commune file
    also needs its district's code (``district_field``, e.g. ``MA_HUYEN`` in a Shapefile); its
    reference points are derived beside it (see :func:`derive_commune_points`), so the import
    replaces the bundled points too.

    Parameters
    ----------
    dest_root : path-like, optional
        The data folder written into; defaults to the ``DATA_DIR`` setting (required).

    Returns
    -------
    Path
        The boundary file written.
    """
    dest_root = settings.path("DATA_DIR", dest_root)
    if dest_root is None:
        raise DataMissing(Msg("data_import_needs_folder"))
    gdf = io.read_vector(Path(src))
    if crs:
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None:
        raise ValueError(f"{src}: has no CRS; pass --crs EPSG:9208 (VN-2000 TM-3 104-45) "
                         "or --crs EPSG:4326")
    for f in (code_field, name_field) + ((district_field,) if level == "commune" else ()):
        if f not in gdf.columns:
            raise ValueError(f"{src}: no column '{f}' (columns: {', '.join(gdf.columns)}); name the "
                             "code, name and district columns with --code-field/--name-field/"
                             "--district-field")
    names = {code_field: "code", name_field: "name"}
    if level == "commune":
        names[district_field] = "district_code"
    gdf = reproject(gdf.rename(columns=names), 4326)
    gdf["code"] = gdf["code"].astype(str)
    gdf["name"] = gdf["name"].map(nfc)
    rel = FILES["districts"] if level == "district" else OPTIONAL_FILES["communes"][0]
    dest = Path(dest_root) / rel
    points = None
    if level == "commune":  # derived before anything is written
        gdf["district_code"] = gdf["district_code"].astype(str)
        (Path(dest_root) / "boundaries").mkdir(parents=True, exist_ok=True)
        districts = io.read_vector(reference_file(FILES["districts"], dest_root))
        points = derive_commune_points(gdf, districts, f"{Path(src).name}, imported {dt.date.today()}")
    io.write_vector(gdf, dest)
    if points is not None:
        with io.atomic_path(Path(dest_root) / FILES["commune_points"]) as tmp:
            points.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return dest


def derive_commune_points(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame,
                          source: str) -> pd.DataFrame:
    """One reference point per commune code: a point inside its polygon, recorded as derived.

    The point is shapely's ``representative_point`` (GEOS PointOnSurface), always inside the
    polygon, unlike a centroid. A commune drawn as several features (islands) is dissolved
    first; a polygon standing for several units (code ``"30376;30377;30378"``) gives each of
    them the same point.

    Parameters
    ----------
    communes : GeoDataFrame
        Commune polygons with ``code``, ``name``, ``district_code`` (optionally ``full_name``,
        ``type``, ``district_name``).
    districts : GeoDataFrame
        The districts (``code``, ``name``), for ``district_name`` when the file has none.
    source : str
        Where the polygons came from, written in the ``source`` column.

    Returns
    -------
    DataFrame
        The columns of ``boundaries/angiang_commune_points.csv`` (:data:`POINT_COLUMNS`).
    """
    c = reproject(communes, 4326).dissolve(by="code", as_index=False, sort=True)
    pt = c.representative_point()
    shared = c["code"].str.contains(";")
    names = dict(zip(districts["code"].astype(str), districts["name"].map(nfc), strict=True))
    out = pd.DataFrame({
        "code": c["code"].str.split(";"),
        "name": c["name"],
        "full_name": c["full_name"].map(nfc) if "full_name" in c else c["name"],
        "type": c["type"] if "type" in c else "",
        "district_code": c["district_code"],
        "district_name": c["district_name"].map(nfc) if "district_name" in c
        else c["district_code"].map(names).fillna(""),
        "lon": pt.x.round(6).astype(str), "lat": pt.y.round(6).astype(str),
        "method": shared.map({False: "representative point of the imported commune polygon",
                              True: "representative point of the imported commune polygon "
                                    "shared by several units"}),
        "source": source,
    })
    out = out.explode("code")
    out["code"] = out["code"].str.strip()
    return out[POINT_COLUMNS].sort_values("code").reset_index(drop=True)
