"""Coordinates in officers' files: which CRS they are in, and one pinned way to WGS 84.

VN-2000 coordinates (the cadastral grid VN-2000 / TM-3 104-45, EPSG:9208, or
VN-2000 / UTM 48N, EPSG:3405) are converted to WGS 84 with exactly one
transformation: **EPSG:6960 "VN-2000 to WGS 84 (2)"**, the 7-parameter Helmert
(coordinate frame) of Decision 05/2007/QĐ-BTNMT (dX -191.90441429 m, dY -39.30318279 m,
dZ -111.45032835 m, rX -0.00928836", rY 0.01975479", rZ -0.00427372",
k = 1.000000252906278). EPSG gives its accuracy as 1 m. PROJ would otherwise be free to
pick EPSG:5194 "VN-2000 to WGS 84 (1)" (different parameters, up to ~1 m apart), so
the operation is chosen by name and a missing one is an error, not a silent fallback.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
from pyproj import CRS
from pyproj.transformer import Transformer, TransformerGroup

from ..errors import AtlasError
from ..i18n import Msg
from ..sites import METRIC_CRS
from ..validate import PROVINCE_TOLERANCE_M

OPERATION = "EPSG:6960"
OPERATION_NAME = "VN-2000 to WGS 84 (2)"
OPERATION_ACCURACY_M = 1.0
VN2000 = {"EPSG:9208": "VN-2000 / TM-3 104-45", "EPSG:3405": "VN-2000 / UTM zone 48N",
          "EPSG:4756": "VN-2000 (geographic)"}
# Plausible values for Viet Nam in each kind of coordinate.
LON_RANGE, LAT_RANGE = (102.0, 110.0), (8.0, 24.0)
EASTING_RANGE, NORTHING_RANGE = (100_000.0, 900_000.0), (900_000.0, 2_700_000.0)


class CrsProblem(AtlasError, ValueError):
    """A coordinate system that cannot be used; the message says how to fix it."""

    http_status = 400


def epsg_name(crs) -> str:
    """'EPSG:9208' for anything pyproj understands that has an EPSG code, else its name."""
    c = CRS.from_user_input(crs)
    code = c.to_epsg()
    return f"EPSG:{code}" if code else c.name


def check(crs) -> str:
    """Normalise a user-given CRS to 'EPSG:n' and make sure it converts; raises CrsProblem."""
    try:
        name = epsg_name(crs)
    except Exception as e:  # pyproj raises CRSError with a long message
        raise CrsProblem(Msg("imp_unknown_crs", crs=crs)) from e
    transformer(name)
    return name


@lru_cache(maxsize=8)
def transformer(crs: str) -> Transformer:
    """The transformer from ``crs`` to WGS 84 lon/lat; VN-2000 always through EPSG:6960.

    Raises
    ------
    CrsProblem
        When the PROJ database lacks the pinned operation or ``crs`` is unknown.
    """
    try:
        src = CRS.from_user_input(crs)
    except Exception as e:  # pyproj raises CRSError with a long message
        raise CrsProblem(Msg("imp_unknown_crs", crs=crs)) from e
    name = epsg_name(src)
    if name not in VN2000:
        return Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    group = TransformerGroup(src, "EPSG:4326", always_xy=True)
    for t in group.transformers:
        if OPERATION_NAME in t.description:
            return t
    raise CrsProblem(Msg("imp_no_operation", operation=f"{OPERATION_NAME} ({OPERATION})", crs=name))


def to_wgs84(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of x (easting/lon) and y (northing/lat) in ``crs`` to WGS 84 lon, lat."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if epsg_name(crs) == "EPSG:4326":
        return x, y
    lon, lat = transformer(str(crs)).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _share(values, lo_hi) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.mean((v >= lo_hi[0]) & (v <= lo_hi[1]))) if len(v) else 0.0


def kind_of(x, y) -> str:
    """Classify coordinate pairs by their ranges.

    Returns
    -------
    str
        'lonlat' (degrees in Viet Nam), 'latlon' (degrees, the two swapped),
        'metres' (easting/northing), 'northing-easting' (metres, X = northing as in
        Vietnamese survey practice) or 'unknown'.
    """
    if min(len(x), len(y)) == 0:
        return "unknown"
    if _share(x, LON_RANGE) > 0.5 and _share(y, LAT_RANGE) > 0.5:
        return "lonlat"
    if _share(x, LAT_RANGE) > 0.5 and _share(y, LON_RANGE) > 0.5:
        return "latlon"
    if _share(x, EASTING_RANGE) > 0.5 and _share(y, NORTHING_RANGE) > 0.5:
        return "metres"
    if _share(x, NORTHING_RANGE) > 0.5 and _share(y, EASTING_RANGE) > 0.5:
        return "northing-easting"
    return "unknown"


def guess_projected(easting, northing, province) -> tuple[str, str]:
    """Pick EPSG:9208 or EPSG:3405 for metre values: the one that puts more points in the province.

    Their ranges overlap in An Giang (the central meridians are 104°45' and 105°, ~27 km
    apart), so this is a guess: the caller must warn. Ties go to EPSG:9208, the cadastral grid.

    Returns
    -------
    (crs, reason)
    """
    counts = {}
    for crs in ("EPSG:9208", "EPSG:3405"):
        lon, lat = to_wgs84(easting, northing, crs)
        counts[crs] = int(inside(lon, lat, province).sum())
    best = "EPSG:3405" if counts["EPSG:3405"] > counts["EPSG:9208"] else "EPSG:9208"
    reason = Msg("imp_guess_reason", n=counts[best], total=len(easting), crs=best, name=VN2000[best],
                 m=counts[other(best)], other=other(best))
    return best, reason


def other(crs: str) -> str:
    return "EPSG:3405" if crs == "EPSG:9208" else "EPSG:9208"


def outside_km(lon, lat, province) -> np.ndarray:
    """Distance in km from each point to the province (0 inside), measured in EPSG:9208."""
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(METRIC_CRS)
    shape = gpd.GeoSeries([province], crs=4326).to_crs(METRIC_CRS).iloc[0]
    return np.asarray(pts.distance(shape)) / 1000.0


def inside(lon, lat, province, tolerance_km: float = PROVINCE_TOLERANCE_M / 1000) -> np.ndarray:
    """True where a point is within ``tolerance_km`` of the province."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.zeros(len(lon), dtype=bool)
    if ok.any():
        out[ok] = outside_km(lon[ok], lat[ok], province) <= tolerance_km
    return out
