"""Coverage for environment officers: service areas, nearest facility, served and unserved units.

Every distance is measured in metres in EPSG:9208 (VN-2000 / TM-3 104-45, An Giang's
cadastral grid), never in degrees. A unit (commune, district or 2025 commune) is
*served* when a facility declares it in its ``serves`` column, or, for facilities
without a declared area, when the unit's reference point lies within the facility's
service radius. The result says which (``basis``), and carries the location precision
of the nearest facility, because most sites are known only to commune or district level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..catalog import SOURCE_SEP
from ..crs import reproject
from ..errors import AtlasError
from ..i18n import Codes, Msg
from ..sites import METRIC_CRS
from .context import add_context
from .units import FALLBACK_NOTE, LEVELS, load_units, unit_members

# Service radius (km) per (layer, kind); "*" matches any. These are planning assumptions of
# this project, not regulatory values: replace them with the province's own figures
# (CLI: --radius-km for all, --radius KIND=KM per kind). docs/coverage.md repeats this table.
DEFAULT_RADII_KM = {
    ("waste_facilities", "complex"): 30.0,
    ("waste_facilities", "incinerator"): 20.0,
    ("waste_facilities", "landfill"): 15.0,
    ("sorting_pilots", "*"): 5.0,
    ("*", "*"): 20.0,
}
DEFAULT_STATUSES = ("operating", "pilot")  # those the layer uses; "pilot" counts as running


def default_statuses(layer) -> list[str]:
    """The statuses counted when none are given: running ones (operating, pilot) of ``layer``."""
    return [s for s in DEFAULT_STATUSES if s in layer.statuses] or list(layer.statuses[:1])
CIRCLE_SEGMENTS = 64  # quarter-circle segments of a buffer: area error below 0.01 %


class CoverageError(AtlasError, ValueError):
    """A coverage question that cannot be answered: unknown layer, level or status."""

    http_status = 400


def radius_km(layer: str, kind: str, radii: dict | None = None, override: float | None = None) -> float:
    """The service radius of a facility type in km: ``override``, then ``radii``, then defaults."""
    if override is not None:
        return float(override)
    table = {**DEFAULT_RADII_KM, **{(layer, k): v for k, v in (radii or {}).items()}}
    for key in ((layer, kind), (layer, "*"), ("*", "*")):
        if key in table:
            return float(table[key])
    raise KeyError(layer)


def parse_serves(text) -> tuple:
    """Declared service area codes (pre-2025 GSO district or commune codes) from ``serves``."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    return tuple(c.strip() for c in str(text).split(SOURCE_SEP.strip()) if c.strip())


@dataclass
class Coverage:
    """The result of :func:`compute`: units with their coverage, facilities, service areas."""

    layer: str
    statuses: tuple
    level: str
    requested: str
    units: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    notes: list = field(default_factory=list)
    kinds: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)  # the layer's title {vi, en}

    def unserved(self) -> list[str]:
        """Codes of the units served neither by a declared area nor within a radius."""
        return sorted(self.units.loc[~self.units.served, "code"])


def select_facilities(sites: gpd.GeoDataFrame, layer: str, statuses=DEFAULT_STATUSES,
                      radius: float | None = None, radii: dict | None = None) -> gpd.GeoDataFrame:
    """The facilities of ``layer`` with a status in ``statuses``, in EPSG:9208, with radius and serves.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites of the atlas (EPSG:4326) with ``layer`` and the record columns.
    layer : str
    statuses : sequence of str
    radius : float, optional
        One radius (km) for every facility; overrides ``radii`` and the defaults.
    radii : dict, optional
        ``{kind: km}`` for this layer, over :data:`DEFAULT_RADII_KM`.

    Returns
    -------
    GeoDataFrame in EPSG:9208 with ``radius_km`` and ``serves`` (tuple of codes).
    """
    fac = sites[(sites.layer == layer) & sites.status.isin(list(statuses))]
    fac = reproject(fac[fac.geometry.notna()], METRIC_CRS).reset_index(drop=True)
    fac["radius_km"] = [radius_km(layer, k, radii, radius) for k in fac.kind]
    fac["serves"] = fac["serves"].map(parse_serves) if "serves" in fac else [()] * len(fac)
    return fac


def nearest(points: gpd.GeoSeries, facilities: gpd.GeoDataFrame):
    """Index (into ``facilities``) and distance in metres of each point's nearest facility.

    Both inputs must be in the same metric CRS. Points with no facility get index -1 and NaN.
    """
    idx = np.full(len(points), -1)
    dist = np.full(len(points), np.nan)
    if len(facilities) and len(points):
        tree = shapely.STRtree(np.asarray(facilities.geometry.values, dtype=object))
        (src, dst), d = tree.query_nearest(np.asarray(points.values, dtype=object),
                                           return_distance=True, all_matches=False)
        idx[src], dist[src] = dst, d
    return idx, dist


def _declared(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> list[list[str]]:
    """For each unit, the ids of facilities whose declared area covers all of its members."""
    out = [[] for _ in range(len(units))]
    for f in facilities[facilities.serves.map(bool)].itertuples():
        codes = set(f.serves)
        for i, (members, dcode) in enumerate(zip(units.members, units.district_code, strict=True)):
            if dcode in codes or (members and all(c in codes or d in codes for c, d in members)):
                out[i].append(f.id)
    return out


def _within_radius(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> list[list[str]]:
    """For each unit, the ids of radius facilities (no declared area) within reach of its point."""
    rad = facilities[~facilities.serves.map(bool)]
    if rad.empty:
        return [[] for _ in range(len(units))]
    pts = np.asarray(units.ref.values, dtype=object)
    d = shapely.distance(pts[:, None], np.asarray(rad.geometry.values, dtype=object)[None, :])
    reach = d <= rad.radius_km.values[None, :] * 1000
    ids = rad.id.values
    return [list(ids[row]) for row in reach]


def service_areas(facilities: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One shape per facility: its radius circle, or the union of the units it declares (metric)."""
    rows = []
    for f in facilities.itertuples():
        if f.serves:
            hit = units[[bool(f.id in ids) for ids in units.declared_by]]
            geom, basis = (hit.geometry.union_all() if len(hit) else None), "declared"
        else:
            geom = f.geometry.buffer(f.radius_km * 1000, quad_segs=CIRCLE_SEGMENTS)
            basis = "radius"
        rows.append({"id": f.id, "name_vi": f.name_vi, "name_en": f.name_en, "kind": f.kind,
                     "radius_km": f.radius_km, "basis": basis, "geometry": geom})
    cols = ["id", "name_vi", "name_en", "kind", "radius_km", "basis", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=METRIC_CRS)


def _area_within_radius(units: gpd.GeoDataFrame, areas: gpd.GeoDataFrame):
    """Share of each unit's area inside some radius circle (None without a polygon)."""
    circles = areas[areas.basis == "radius"].geometry
    reach = circles.union_all() if len(circles) else None
    out = []
    for g in units.geometry:
        if g is None or g.is_empty or g.area == 0:
            out.append(None)
        else:
            out.append(round(g.intersection(reach).area / g.area, 4) if reach is not None else 0.0)
    return out


def _nearest_columns(units, fac) -> dict:
    idx, dist = nearest(units.ref, fac)
    pick = lambda col: [fac[col].iloc[i] if i >= 0 else None for i in idx]  # noqa: E731
    return {"nearest_id": pick("id"), "nearest_name_vi": pick("name_vi"),
            "nearest_name_en": pick("name_en"), "nearest_kind": pick("kind"),
            "nearest_status": pick("status"), "nearest_precision": pick("location_precision"),
            "nearest_km": np.round(dist / 1000, 3)}


def assess(units: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add nearest facility, declared/radius service and the served flag to metric ``units``."""
    units = units.copy()
    for col, values in _nearest_columns(units, fac).items():
        units[col] = values
    units["declared_by"] = _declared(units, fac)
    units["radius_by"] = _within_radius(units, fac)
    units["served"] = [bool(a or b) for a, b in zip(units.declared_by, units.radius_by, strict=True)]
    units["basis"] = ["declared" if a else "radius" if b else "none"
                      for a, b in zip(units.declared_by, units.radius_by, strict=True)]
    units["served_by"] = [SOURCE_SEP.join(a or b) for a, b in
                          zip(units.declared_by, units.radius_by, strict=True)]
    return units


def compute(frames, layer: str = "waste_facilities", by: str = "commune",
            statuses=None, radius: float | None = None,
            radii: dict | None = None) -> Coverage:
    """Coverage of ``by`` units by the facilities of ``layer``.

    Parameters
    ----------
    frames : AtlasFrames or Atlas
        The built atlas (or the same tables as plain frames, see :class:`AtlasFrames`).
    layer : str
        Layer id of the facilities, e.g. ``"waste_facilities"``.
    by : {"commune", "district", "new-commune"}
        Without commune polygons the analysis runs at district level and says so in ``notes``.
    statuses : sequence of str, optional
        Facility statuses counted (default: :func:`default_statuses`, operating and pilot).
    radius : float, optional
        Service radius in km for every facility type (overrides the defaults).
    radii : dict, optional
        ``{kind: km}`` overrides per facility kind of ``layer``.

    Returns
    -------
    Coverage
    """
    frames = AtlasFrames.of(frames)
    if by not in LEVELS:
        raise CoverageError(Msg("err_cov_by", allowed=Codes(LEVELS), value=by))
    if layer not in frames.catalog:
        raise CoverageError(Msg("err_cov_layer", layer=layer, allowed=Codes(frames.catalog)))
    statuses = list(statuses or default_statuses(frames.catalog[layer]))
    bad = [s for s in statuses if s not in frames.catalog[layer].statuses]
    if bad:
        raise CoverageError(Msg("err_cov_layer_status", bad=bad, layer=layer,
                                allowed=Codes(frames.catalog[layer].statuses)))
    units, level = load_units(frames, by)
    notes = [FALLBACK_NOTE] if level != by else []
    fac = select_facilities(frames.sites, layer, statuses, radius, radii)
    units = assess(units, fac)
    areas = service_areas(fac, units)
    units["area_within_radius"] = _area_within_radius(units, areas)
    units = add_context(units, frames, level, fac)
    units = units.drop(columns=["declared_by", "radius_by", "members"])
    return Coverage(layer, tuple(statuses), level, by, units, fac, areas, notes,
                    frames.catalog[layer].kinds, frames.catalog[layer].title)


@dataclass
class AtlasFrames:
    """The atlas tables coverage reads; built from an Atlas, or directly (tests, scripts)."""

    sites: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    commune_points: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    catalog: dict
    communes: gpd.GeoDataFrame | None = None
    new_communes: gpd.GeoDataFrame | None = None

    @classmethod
    def of(cls, atlas) -> AtlasFrames:
        if isinstance(atlas, cls):
            return atlas
        return cls(sites=atlas.sites(), districts=atlas.districts(),
                   commune_points=atlas.table("commune_points"), crosswalk=atlas.crosswalk(),
                   catalog=atlas.catalog, communes=atlas.communes(),
                   new_communes=atlas.table("new_communes"))


__all__ = ["AtlasFrames", "Coverage", "CoverageError", "DEFAULT_RADII_KM", "compute", "default_statuses",
           "nearest", "parse_serves", "radius_km", "select_facilities", "unit_members"]
