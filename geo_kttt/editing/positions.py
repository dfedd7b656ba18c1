"""A proposal's position: from the map, typed WGS 84 or VN-2000, or the browser's geolocation.

VN-2000 coordinates (EPSG:9208, An Giang's TM-3 grid, or EPSG:3405, UTM 48N) are converted
with the project's one pinned transformation, :func:`geo_kttt.imports.crs.to_wgs84`
(EPSG:6960). Distances are measured in metres in EPSG:9208, never in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .. import crs as pinned
from ..catalog import COLUMNS
from ..imports import crs as crsmod
from ..sites import METRIC_CRS, locate, typed
from .errors import Issue
from .errors import issue as _issue

CLAIMS = ("exact", "approximate")
METHODS = ("map", "wgs84", "vn2000", "geolocation")
VN2000_CRS = ("EPSG:9208", "EPSG:3405")


@dataclass
class Position:
    """A new position in WGS 84, how it was given, its claimed precision and reported accuracy."""

    lon: float
    lat: float
    method: str
    claim: str
    accuracy_m: float | None = None


def _number(form, name: str, issues: list) -> float | None:
    raw = str(form.get(name, "") or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        v = float(raw)
    except ValueError:
        issues.append(_issue(name, "iss_number", value=raw[:40]))
        return None
    if not math.isfinite(v):
        issues.append(_issue(name, "iss_number", value=raw[:40]))
        return None
    return v


def parse_position(form) -> tuple[Position | None, list[Issue]]:
    """The new position from the form's ``position_method`` and its fields (None: unchanged).

    ``map``, ``geolocation`` and ``wgs84`` give ``lon``/``lat`` in WGS 84; ``vn2000`` gives
    ``easting``/``northing`` in ``vn_crs`` (EPSG:9208 or EPSG:3405), converted with the
    project's pinned transformation (:func:`geo_kttt.crs.to_wgs84`).
    """
    method = str(form.get("position_method", "") or "").strip()
    issues: list[Issue] = []
    if not method:
        return None, issues
    if method not in METHODS:
        return None, [_issue("position_method", "iss_method", value=method[:20], allowed=", ".join(METHODS))]
    if method == "vn2000":
        e, n = _number(form, "easting", issues), _number(form, "northing", issues)
        grid = str(form.get("vn_crs", "")).strip()
        if grid not in VN2000_CRS:
            issues.append(_issue("vn_crs", "iss_vn_crs"))
        if e is None or n is None or issues:
            return None, issues or [_issue("easting", "iss_number", value="")]
        if crsmod.kind_of([e], [n]) == "northing-easting":
            return None, [_issue("easting", "iss_swapped")]
        lon, lat = (float(v[0]) for v in crsmod.to_wgs84([e], [n], grid))
    else:
        lon, lat = _number(form, "lon", issues), _number(form, "lat", issues)
        if lon is None or lat is None:
            return None, issues or [_issue("lon", "iss_number", value="")]
    claim = str(form.get("precision_claim", "")).strip()
    if claim not in CLAIMS:
        issues.append(_issue("precision_claim", "iss_claim"))
    accuracy = _number(form, "accuracy_m", issues) if method == "geolocation" else None
    return Position(round(lon, 6), round(lat, 6), method, claim, accuracy), issues


def drawn_at(ws, record: dict) -> tuple[float, float] | None:
    """Where the build draws ``record``: its coordinate, or its commune or district point."""
    try:
        gdf = locate(typed(pd.DataFrame([record]).reindex(columns=COLUMNS).fillna("")), ws.admin)
    except (ValueError, TypeError):
        return None
    g = gdf.geometry.iloc[0]
    return None if g is None or g.is_empty else (round(g.x, 6), round(g.y, 6))


def distance_m(a, b) -> float | None:
    """Distance in metres between two (lon, lat) points, measured in EPSG:9208."""
    if a is None or b is None:
        return None
    x, y = pinned.transform_xy([a[0], b[0]], [a[1], b[1]], "EPSG:4326", METRIC_CRS)
    return float(math.hypot(x[1] - x[0], y[1] - y[0]))
