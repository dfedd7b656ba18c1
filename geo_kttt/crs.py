"""Coordinate reference systems: the ONE function for every reprojection, VN-2000 through one pin.

An Giang's national grid is VN-2000 / TM-3 104-45 (EPSG:9208); land offices also use
VN-2000 / UTM 48N (EPSG:3405). Every step between VN-2000 and WGS 84 goes through exactly
one transformation: **EPSG:6960 "VN-2000 to WGS 84 (2)"**, the 7-parameter Helmert
(coordinate frame) of Decision 05/2007/QĐ-BTNMT (dX -191.90441429 m, dY -39.30318279 m,
dZ -111.45032835 m, rX -0.00928836", rY 0.01975479", rZ -0.00427372",
k = 1.000000252906278; EPSG gives its accuracy as 1 m). PROJ left to itself (``to_crs``,
``Transformer.from_crs``) picks EPSG:5194 "VN-2000 to WGS 84 (1)" in An Giang, 0.8 m away:
so the operation is chosen by name and a missing one is an error, never a silent fallback.

- :func:`transformer` the pyproj ``Transformer`` between two CRSs (always x/y = lon/lat or
  easting/northing order), pinned whenever the datum changes to or from VN-2000;
- :func:`reproject` GeoDataFrames and GeoSeries, the package's replacement for geopandas'
  ``to_crs`` (vectorised: ``shapely.transform`` over all coordinates at once);
  :func:`transform_xy` coordinate arrays, :func:`transform_geometries` shapely arrays;
- :func:`pinned_crs` the CRS with the pin attached as TOWGS84 (a BoundCRS), for files and
  databases that carry their own parameters (PostGIS ``spatial_ref_sys``).

A foundation: imports nothing of ours but :mod:`.errors`.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from geopandas.array import from_shapely
from pyproj import CRS
from pyproj.crs import BoundCRS, CoordinateOperation
from pyproj.transformer import Transformer, TransformerGroup

from .errors import AtlasError
from .i18n import Msg

OPERATION = "EPSG:6960"
OPERATION_NAME = "VN-2000 to WGS 84 (2)"
OPERATION_ACCURACY_M = 1.0
WGS84 = "EPSG:4326"
METRIC = "EPSG:9208"  # VN-2000 / TM-3 104-45: where the atlas measures distances and areas
VN2000 = {"EPSG:9208": "VN-2000 / TM-3 104-45", "EPSG:3405": "VN-2000 / UTM zone 48N",
          "EPSG:4756": "VN-2000 (geographic)"}
VN2000_DATUM = "Vietnam 2000"


class CrsProblem(AtlasError, ValueError):
    """A coordinate system that cannot be used; the message says how to fix it."""

    http_status = 400


def parse(crs) -> CRS:
    """A pyproj CRS from anything pyproj understands; CrsProblem when it does not."""
    try:
        return CRS.from_user_input(crs)
    except Exception as e:  # pyproj raises CRSError with a long message
        raise CrsProblem(Msg("imp_unknown_crs", crs=crs)) from e


def epsg_name(crs) -> str:
    """'EPSG:9208' for anything pyproj understands that has an EPSG code, else its name."""
    c = parse(crs)
    code = c.to_epsg()
    return f"EPSG:{code}" if code else c.name


def is_vn2000(crs) -> bool:
    """True for any CRS on the VN-2000 datum (geographic, TM-3 zones, UTM)."""
    geo = parse(crs).geodetic_crs
    return geo is not None and geo.datum.name == VN2000_DATUM


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> Transformer:
    s, d = parse(src), parse(dst)
    if is_vn2000(s) == is_vn2000(d):  # no VN-2000 datum change: PROJ's one conversion
        return Transformer.from_crs(s, d, always_xy=True)
    for t in TransformerGroup(s, d, always_xy=True).transformers:
        if OPERATION_NAME in t.description:
            return t
    raise CrsProblem(Msg("imp_no_operation", operation=f"{OPERATION_NAME} ({OPERATION})",
                         crs=f"{epsg_name(s)} → {epsg_name(d)}"))


def _key(crs) -> str:
    """A hashable, exact spelling of a CRS for the cache (EPSG code when it has one)."""
    if isinstance(crs, str | int):
        return str(crs) if not isinstance(crs, int) else f"EPSG:{crs}"
    c = parse(crs)
    code = c.to_epsg()
    return f"EPSG:{code}" if code and parse(f"EPSG:{code}") == c else c.to_wkt()


def transformer(src, dst=WGS84) -> Transformer:
    """The transformer from ``src`` to ``dst`` (x/y order), pinned across the VN-2000 datum.

    Raises
    ------
    CrsProblem
        When either CRS is unknown, or the PROJ database lacks the pinned operation.
    """
    return _transformer(_key(src), _key(dst))


def transform_xy(x, y, src, dst=WGS84) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of x (easting/lon) and y (northing/lat) in ``src`` converted to ``dst``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if _key(src) == _key(dst):
        return x, y
    tx, ty = transformer(src, dst).transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


def transform_geometries(geoms, src, dst=WGS84) -> np.ndarray:
    """An array of shapely geometries (None allowed) from ``src`` to ``dst``, all at once."""
    arr = np.asarray(geoms, dtype=object)
    if _key(src) == _key(dst):
        return arr.copy()
    t = transformer(src, dst)

    def move(xy):
        if not len(xy):
            return xy
        tx, ty = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([tx, ty])

    return shapely.transform(arr, move)


def reproject(frame, dst):
    """``frame`` (a GeoDataFrame or GeoSeries with a CRS) reprojected to ``dst``.

    The drop-in for geopandas' ``to_crs`` in this package: the same result, except that
    every VN-2000 <-> WGS 84 step uses the pinned operation. Returns a new object.

    Raises
    ------
    CrsProblem
        When ``frame`` has no CRS, or see :func:`transformer`.
    """
    if frame.crs is None:
        raise CrsProblem("the data has no coordinate system; set one first (e.g. EPSG:4326)")
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    moved = gpd.GeoSeries(from_shapely(transform_geometries(series.values, frame.crs, dst), crs=_crs(dst)),
                          index=series.index, name=series.name)
    if isinstance(frame, gpd.GeoSeries):
        return moved
    out = frame.copy()
    out.geometry = moved  # as geopandas' own to_crs does
    return out


@lru_cache(maxsize=32)
def _crs_of(key: str) -> CRS:
    return parse(key)


def _crs(crs) -> CRS:
    """A pyproj CRS, parsed once per spelling."""
    return crs if isinstance(crs, CRS) else _crs_of(_key(crs))


@lru_cache(maxsize=8)
def pinned_crs(epsg: int) -> CRS:
    """EPSG:``epsg`` with the pin attached (a BoundCRS: WKT TOWGS84 / proj4 +towgs84).

    For VN-2000 CRSs only; tools that read the parameters from the file or the database row
    (PostGIS ``spatial_ref_sys``, WKT1 readers) then convert exactly as :func:`transformer`.
    """
    base = CRS.from_epsg(epsg)
    if not is_vn2000(base):
        raise CrsProblem(f"EPSG:{epsg} is not on the VN-2000 datum; only VN-2000 carries the pin")
    return BoundCRS(source_crs=base, target_crs=CRS.from_epsg(4326),
                    transformation=CoordinateOperation.from_authority(*OPERATION.split(":")))


# --- CRS URIs as OGC APIs name them (OGC API - Features Part 2) ------------------------------

OGC_CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"


def crs_uri(name: str) -> str:
    """'EPSG:9208' -> 'http://www.opengis.net/def/crs/EPSG/0/9208'; 'OGC:CRS84' -> the CRS84 URI."""
    if name.upper() in ("OGC:CRS84", "CRS84"):
        return OGC_CRS84
    auth, code = name.split(":")
    if auth.upper() != "EPSG":
        raise CrsProblem(f"'{name}' has no OGC URI here; use an EPSG code")
    return _EPSG_URI + code


def from_uri(uri: str) -> str | None:
    """The inverse of :func:`crs_uri` ('OGC:CRS84', 'EPSG:n'); None for anything else."""
    if uri == OGC_CRS84:
        return "OGC:CRS84"
    if uri.startswith(_EPSG_URI) and uri[len(_EPSG_URI):].isdigit():
        return "EPSG:" + uri[len(_EPSG_URI):]
    return None


def northing_first(name: str) -> bool:
    """True when the CRS's first axis points north (EPSG:4326 is latitude, longitude)."""
    axes = parse(name).axis_info
    return bool(axes) and axes[0].direction == "north"
