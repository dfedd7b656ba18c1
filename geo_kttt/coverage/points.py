"""Coverage of many points (households) at once: nearest facility, served or not, and their unit.

For a million households the question is per point, not per unit: how far is the nearest
facility, is any facility's service radius reaching it, and which commune is it in. Today's
way (shapely ``STRtree.query_nearest`` once, then once per radius, then a geopandas ``sjoin``)
builds a million point geometries and queries trees with them. Here no point geometry is
made at all: positions stay two float arrays (metres, EPSG:9208), and

- the nearest facility is a brute-force minimum over the *distinct* facility positions, in
  chunks (a province has tens to hundreds of facilities, many sharing a commune point), with
  the same distances as shapely's (``sqrt(dx² + dy²)``); past :data:`BRUTE_MAX` distinct
  positions the STRtree of :func:`geo_kttt.coverage.analysis.nearest` takes over;
- served means within the radius of *any* facility: the minimum distance per distinct
  radius, against that radius;
- the unit is a point-in-polygon test (``shapely.contains_xy`` on prepared polygons, interior
  only, as ``sjoin(predicate="within")``) of only the points in each polygon's bounding box,
  found by binary search in the points sorted by x. A point inside two (overlapping)
  polygons gets the first, as the sjoin's first match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

BRUTE_MAX = 512  # distinct facility positions up to which the brute-force minimum is used
CHUNK = 65_536  # points per chunk: the distance blocks stay a few tens of MB


@dataclass
class PointCoverage:
    """Per point: ``nearest`` (row of the facilities, -1 without any), ``distance_m``, ``served``
    and ``unit`` (the code of the unit it lies in, None outside every unit)."""

    nearest: np.ndarray
    distance_m: np.ndarray
    served: np.ndarray
    unit: np.ndarray

    def per_unit(self) -> pd.DataFrame:
        """Points and unserved points per unit code (points outside every unit left out)."""
        inside = self.unit != None  # noqa: E711 - elementwise on an object array
        frame = pd.DataFrame({"code": self.unit[inside], "unserved": ~self.served[inside]})
        return frame.groupby("code").agg(households=("unserved", "size"), unserved=("unserved", "sum"))


def _nearest_brute(x, y, fx, fy, radii):
    """Index into (fx, fy), distance and served for each point, chunk by chunk."""
    n = len(x)
    idx, dist, served = np.empty(n, dtype=np.int64), np.empty(n), np.zeros(n, dtype=bool)
    groups = [(r, np.flatnonzero(radii == r)) for r in np.unique(radii)]
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        dx = x[lo:hi, None] - fx[None, :]
        dy = y[lo:hi, None] - fy[None, :]
        d2 = dx * dx + dy * dy
        best = d2.argmin(axis=1)
        idx[lo:hi] = best
        dist[lo:hi] = np.sqrt(d2[np.arange(hi - lo), best])
        for r, cols in groups:
            served[lo:hi] |= np.sqrt(d2[:, cols].min(axis=1)) <= r
    return idx, dist, served


def _nearest_tree(x, y, fx, fy, radii):
    """The same with shapely's STRtree (many distinct facility positions)."""
    pts = shapely.points(x, y)
    tree = shapely.STRtree(shapely.points(fx, fy))
    (_, idx), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    served = np.zeros(len(x), dtype=bool)
    for r in np.unique(radii):
        cols = np.flatnonzero(radii == r)
        sub = shapely.STRtree(shapely.points(fx[cols], fy[cols]))
        _, d = sub.query_nearest(pts, return_distance=True, all_matches=False)
        served |= d <= r
    return idx, dist, served


def nearest_facilities(x, y, facilities):
    """Nearest facility (row index), distance in metres and served flag of each point.

    Parameters
    ----------
    x, y : arrays of float
        Point positions in the facilities' metric CRS (EPSG:9208).
    facilities : GeoDataFrame
        Points in the same CRS, with ``radius_km``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if not len(facilities) or not n:
        return np.full(n, -1), np.full(n, np.nan), np.zeros(n, dtype=bool)
    fx, fy = facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()
    radius = facilities.radius_km.to_numpy(dtype=float) * 1000
    # One column per distinct (position, radius); the lowest facility row stands for its position.
    keys = pd.DataFrame({"x": fx, "y": fy, "r": radius})
    first = ~keys.duplicated(["x", "y", "r"]).to_numpy()
    cols = np.flatnonzero(first)
    find = _nearest_brute if len(cols) <= BRUTE_MAX else _nearest_tree
    best, dist, served = find(x, y, fx[cols], fy[cols], radius[cols])
    # the lowest row at that position (any radius): the same facility whatever the radius order
    lowest = keys.reset_index().groupby(["x", "y"])["index"].transform("min").to_numpy()
    return lowest[cols[best]], dist, served


def units_of(x, y, units, code: str = "code") -> np.ndarray:
    """The code of the unit (polygon) each point lies inside (None outside every unit)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    out = np.full(len(x), None, dtype=object)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    for c, geom in zip(units[code], units.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        x0, y0, x1, y1 = geom.bounds
        cand = order[np.searchsorted(xs, x0, side="left"):np.searchsorted(xs, x1, side="right")]
        cand = cand[(y[cand] >= y0) & (y[cand] <= y1)]
        cand = cand[out[cand] == None]  # noqa: E711 - the first unit keeps a point
        if not len(cand):
            continue
        shapely.prepare(geom)
        out[cand[shapely.contains_xy(geom, x[cand], y[cand])]] = c
    return out


def cover_points(x, y, facilities, units, code: str = "code") -> PointCoverage:
    """Nearest facility, served flag and unit of every point (see the module docstring).

    Parameters
    ----------
    x, y : arrays of float
        Positions in metres, EPSG:9208 (e.g. households).
    facilities : GeoDataFrame
        Facility points in EPSG:9208 with ``radius_km`` (see
        :func:`geo_kttt.coverage.analysis.select_facilities`).
    units : GeoDataFrame
        Polygons in EPSG:9208 with a ``code`` column (communes, districts).
    """
    idx, dist, served = nearest_facilities(x, y, facilities)
    return PointCoverage(idx, dist, served, units_of(x, y, units, code))
