"""Coordinates in officers' files: which CRS they are in, and one pinned way to WGS 84.

VN-2000 coordinates (the cadastral grid VN-2000 / TM-3 104-45, EPSG:9208, or
VN-2000 / UTM 48N, EPSG:3405) are converted to WGS 84 with exactly one
transformation: **EPSG:6960 "VN-2000 to WGS 84 (2)"**, the 7-parameter Helmert
(coordinate frame) of Decision 05/2007/QĐ-BTNMT (dX -191.90441429 m, dY -39.30318279 m,
dZ -111.45032835 m, rX -0.00928836", rY 0.01975479", rZ -0.00427372",
k = 1.000000252906278). EPSG gives its accuracy as 1 m. PROJ would otherwise be free to
pick EPSG:5194 "VN-2000 to WGS 84 (1)" (different parameters, up to ~1 m apart), so
the operation is chosen by name and a missing one is an error, not a silent fallback.
The pin itself lives in :mod:`geo_kttt.crs`, the one module every reprojection goes through;
this module names it for the importer and guesses the CRS of bare coordinates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj.transformer import Transformer

from .. import crs as pinned
from ..crs import OPERATION, OPERATION_ACCURACY_M, OPERATION_NAME, VN2000, CrsProblem, epsg_name
from ..i18n import Msg
from ..sites import METRIC_CRS
from ..validate import PROVINCE_TOLERANCE_M

__all__ = ["OPERATION", "OPERATION_ACCURACY_M", "OPERATION_NAME", "VN2000", "CrsProblem", "epsg_name"]
# Plausible values for Viet Nam in each kind of coordinate.
LON_RANGE, LAT_RANGE = (102.0, 110.0), (8.0, 24.0)
EASTING_RANGE, NORTHING_RANGE = (100_000.0, 900_000.0), (900_000.0, 2_700_000.0)


def check(crs) -> str:
    """Normalise a user-given CRS to 'EPSG:n' and make sure it converts; raises CrsProblem."""
    name = epsg_name(crs)
    transformer(name)
    return name


def transformer(crs: str) -> Transformer:
    """The transformer from ``crs`` to WGS 84 lon/lat; VN-2000 always through EPSG:6960.

    Raises
    ------
    CrsProblem
        When the PROJ database lacks the pinned operation or ``crs`` is unknown.
    """
    return pinned.transformer(crs, pinned.WGS84)


def to_wgs84(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of x (easting/lon) and y (northing/lat) in ``crs`` to WGS 84 lon, lat."""
    return pinned.transform_xy(x, y, crs, pinned.WGS84)


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
    pts = pinned.reproject(gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326), METRIC_CRS)
    shape = pinned.reproject(gpd.GeoSeries([province], crs=4326), METRIC_CRS).iloc[0]
    return np.asarray(pts.distance(shape)) / 1000.0


def inside(lon, lat, province, tolerance_km: float = PROVINCE_TOLERANCE_M / 1000) -> np.ndarray:
    """True where a point is within ``tolerance_km`` of the province."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.zeros(len(lon), dtype=bool)
    if ok.any():
        out[ok] = outside_km(lon[ok], lat[ok], province) <= tolerance_km
    return out
