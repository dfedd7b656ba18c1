"""A coverage result on a folium map: units coloured served/unserved, service areas, facilities.

The facilities are drawn by the atlas's own map (:func:`geo_kttt.maps.build_map`, one layer),
so they look and pop up as everywhere else. Units and service areas reach the page only as
JSON and are drawn by ``web/static/coverage.js`` as DOM text (never HTML built from data).
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from ..crs import reproject
from ..i18n import t
from ..maps.build import DataScript, Filters, build_map
from ..maps.data import all_sites, filter_sites
from .report import basis_text, distance_note, rows

SIMPLIFY_M = 25  # outline simplification for the page (metres, EPSG:9208)


class CoverageLayer(DataScript):
    """Units and service areas, drawn by ``geoKtttCoverage.init`` from a JSON config."""

    function = "geoKtttCoverage.init"
    default_js = []
    default_css = []


def _geojson(gdf) -> dict:
    """GeoJSON of a metric frame, in EPSG:4326 with coordinates rounded to 1e-5° (about 1 m)."""
    gdf = reproject(gdf, 4326)
    gdf["geometry"] = shapely.transform(gdf.geometry.values, lambda xy: np.round(xy, 5))
    return json.loads(gdf.to_json(na="null", drop_id=True))


def units_geojson(cov, lang: str) -> dict:
    """The units in EPSG:4326 with what their popup shows, in ``lang``."""
    table = rows(cov, lang).set_index("code")
    u = cov.units[["code", "name", "served", "basis", "nearest_precision", "geometry"]].copy()
    u = u[u.geometry.notna()]
    u["geometry"] = u.geometry.simplify(SIMPLIFY_M)
    u["basis"] = u.basis.map(lambda b: basis_text(b, lang))
    u["note"] = u.nearest_precision.map(lambda p: distance_note(p, lang))
    for col in ("nearest", "nearest_km", "served_by", "area_within_radius", "district_name"):
        u[col] = u.code.map(table[col])
    return _geojson(u.drop(columns="nearest_precision"))


def areas_geojson(cov, lang: str) -> dict:
    """Service areas (radius circles or declared areas) in EPSG:4326."""
    a = cov.service_areas[cov.service_areas.geometry.notna()].copy()
    a["name"] = a["name_vi"] if lang == "vi" else a["name_en"]
    a["basis"] = a.basis.map(lambda b: basis_text("declared" if b == "declared" else "radius", lang))
    a["geometry"] = a.geometry.simplify(SIMPLIFY_M)
    return _geojson(a[["id", "name", "kind", "radius_km", "basis", "geometry"]])


def coverage_map(cov, atlas, lang: str = "vi", tiles=None, attribution=None):
    """A folium map of a :class:`~geo_kttt.coverage.Coverage` result (see module docstring)."""
    filters = Filters(layers=(cov.layer,), statuses=tuple(cov.statuses))
    m = build_map(atlas, lang, layers=[cov.layer], filters=filters, tiles=tiles,
                  attribution=attribution, embed=True, layer_control=False,
                  sites=filter_sites(all_sites(atlas), filters))  # only the facilities: no layer switch
    keys = ("cov_served", "cov_unserved", "cov_area", "cov_nearest", "cov_distance", "cov_basis",
            "cov_served_by", "cov_within", "cov_none")
    CoverageLayer({"units": units_geojson(cov, lang), "areas": areas_geojson(cov, lang),
                   "strings": {k: t(k, lang) for k in keys}, "lang": lang}).add_to(m)
    return m
