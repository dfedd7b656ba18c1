"""What the maps draw, as plain data: filters, site GeoJSON, district shapes, choropleth metrics.

No folium and no Flask here: the web app, the exports and the tests call these directly.
GeoJSON follows RFC 7946 (lon, lat; EPSG:4326).
"""

from __future__ import annotations

import json
import math
import weakref
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..catalog import SOURCE_SEP, STATUSES
from ..crs import reproject
from ..errors import AtlasError
from ..i18n import Code, Codes, Msg, number_span, t
from ..sites import METRIC_CRS
from ..summary import capacity_groups, capacity_label
from . import labels

# Per-atlas caches (feature strings, simplified shapes), dropped with the atlas.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SIMPLIFY_DEG = 0.0005  # ~50 m: enough for a provincial map, a third of the size
TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class FilterError(AtlasError, ValueError):
    """A query parameter that cannot be used; the message says which and what is allowed."""

    http_status = 400


@dataclass(frozen=True)
class Filters:
    """What the map shows: layer ids (None = all), statuses (None = all), one district, verified."""

    layers: tuple | None = None
    statuses: tuple | None = None
    district: str | None = None
    verified: bool = False

    def query(self) -> dict:
        """The URL query parameters that reproduce these filters."""
        q = {}
        if self.layers is not None:
            q["layers"] = ",".join(self.layers)
        if self.statuses:
            q["status"] = ",".join(self.statuses)
        if self.district:
            q["district"] = self.district
        if self.verified:
            q["verified"] = "1"
        return q


def _values(params, name: str) -> list[str]:
    """All values of ``name`` in a MultiDict or dict, comma lists split."""
    raw = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
    raw = [raw] if isinstance(raw, str) else list(raw)
    return [v.strip() for item in raw for v in item.split(",") if v.strip()]


def _check(name: str, values: list[str], allowed) -> tuple:
    """The values in the order of ``allowed`` (so that one view has one URL)."""
    bad = [v for v in values if v not in allowed]
    if bad:
        raise FilterError(Msg("err_unknown_values", name=Code(name), bad=Codes(bad), allowed=Codes(allowed)))
    return tuple(a for a in allowed if a in values)


def parse_filters(params, atlas) -> Filters:
    """Filters from query parameters ``layers``/``layer``, ``status``, ``district``, ``verified``.

    Raises
    ------
    FilterError
        Naming the parameter, the bad value and the allowed ones.
    """
    layers = _values(params, "layers") + _values(params, "layer")
    has_layers = any(k in params for k in ("layers", "layer"))
    statuses = _values(params, "status")
    district = (params.get("district") or "").strip()
    codes = list(atlas.districts().code)
    if district and district not in codes:
        raise FilterError(Msg("err_unknown_district", name=Code("district"), code=district,
                              allowed=Codes(codes)))
    verified = (params.get("verified") or "").strip().lower()
    if verified not in TRUE + FALSE:
        raise FilterError(Msg("err_verified", value=verified))
    layers = _check("layers", layers, list(atlas.catalog)) if has_layers else None
    statuses = _check("status", statuses, list(STATUSES))
    return Filters(layers=None if layers == tuple(atlas.catalog) else layers,  # all = no filter
                   statuses=None if statuses in ((), tuple(STATUSES)) else statuses,
                   district=district or None, verified=verified in TRUE)


def filter_sites(sites: pd.DataFrame, filters: Filters, with_layers: bool = True) -> pd.DataFrame:
    """The rows of ``sites`` that pass ``filters`` (layers too unless ``with_layers`` is False)."""
    return sites[_mask(sites, filters, with_layers)]


def _mask(sites: pd.DataFrame, f: Filters, with_layers: bool = True) -> np.ndarray:
    mask = np.ones(len(sites), dtype=bool)
    if with_layers and f.layers is not None:
        mask &= sites["layer"].isin(f.layers).to_numpy()
    if f.statuses:
        mask &= sites["status"].isin(f.statuses).to_numpy()
    if f.district:
        mask &= (sites["district_code"] == f.district).to_numpy()
    if f.verified:
        mask &= sites["verified"].astype(bool).to_numpy()
    return mask


def _clean(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def sources(value: str) -> list[dict]:
    """Split a ``sources`` cell into ``{"text", "url"}`` items; only http(s) become links."""
    out = []
    for part in str(value or "").split(SOURCE_SEP.strip()):
        part = part.strip()
        if part:
            out.append({"text": part, "url": part if part.startswith(("https://", "http://")) else None})
    return out


def all_sites(atlas) -> pd.DataFrame:
    """Every site of ``atlas`` (all layers), read once per atlas; do not modify the frame."""
    cache = _CACHE.setdefault(atlas, {})
    if "all" not in cache:
        cache["all"] = atlas.sites().reset_index(drop=True)
    return cache["all"]


FULL = ("id", "layer", "name_vi", "name_en", "status", "district_code", "capacity", "capacity_unit",
        "kind", "operator", "commune_code", "capacity_max", "year", "in_report", "serves", "notes",
        "position_source")


def site_feature(row, full: bool = True, lang: str = "vi") -> dict:
    """One site as a GeoJSON Feature: every popup field, or (``full=False``) only what the map
    needs to place and cluster it: ``layer``, ``id``, ``name`` (in ``lang``), ``precision``."""
    get = row._asdict().get if hasattr(row, "_asdict") else row.get
    lon, lat = round(get("geometry").x, 6), round(get("geometry").y, 6)
    if full:
        props = {k: _clean(get(k)) for k in FULL}
        props["year"] = int(props["year"]) if props["year"] is not None else None
        props.update(precision=get("location_precision"), verified=bool(get("verified")),
                     sources=sources(get("sources")))
    else:
        props = {"layer": get("layer"), "id": get("id"), "name": get(f"name_{lang}"),
                 "precision": get("location_precision")}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def _site_cache(atlas, lang: str) -> dict:
    cache = _CACHE.setdefault(atlas, {})
    key = f"features_{lang}"
    if key not in cache:
        cache[key] = np.array([json.dumps(site_feature(r, full=False, lang=lang), ensure_ascii=False,
                                          allow_nan=False, separators=(",", ":"))
                               for r in all_sites(atlas).itertuples()], dtype=object)
    return cache


def sites_geojson(atlas, filters: Filters | None = None, lang: str = "vi") -> str:
    """The filtered sites as a GeoJSON FeatureCollection (text) with brief properties.

    Feature texts are built once per atlas and language and joined per request, so
    100,000 sites cost a mask and a join. Popup fields come from :func:`site_detail`.
    """
    feats = _site_cache(atlas, lang)[f"features_{lang}"][_mask(all_sites(atlas), filters or Filters())]
    return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"


def site_detail(atlas, layer: str, site_id: str, lang: str = "vi") -> dict | None:
    """Every popup field of one site as a GeoJSON Feature, or None when there is no such site."""
    if layer not in atlas.catalog:
        return None
    sites = all_sites(atlas)
    rows = sites[(sites["layer"] == layer) & (sites["id"] == site_id)]
    if rows.empty:
        return None
    return with_names(atlas, site_feature(next(rows.itertuples()), full=True), lang)


def capacity_texts(catalog: dict, low, high, unit, lang: str) -> list[str | None]:
    """'12–15 tấn/ngày' for each site (None without a capacity), each distinct figure and unit
    written once (Babel costs ~20 µs a number: seconds at 100,000 sites)."""
    memo, out = {}, []
    for lo, hi, u in zip(low, high, unit, strict=True):
        key = (None if pd.isna(lo) else lo, None if pd.isna(hi) else hi, u)
        if key not in memo:
            memo[key] = None if key[0] is None else \
                f"{number_span(lo, hi, lang)} {unit_label(catalog, u, lang)}".strip()
        out.append(memo[key])
    return out


def unit_names(atlas) -> dict:
    cache = _CACHE.setdefault(atlas, {})
    if "unit_names" not in cache:
        d, c = atlas.districts(), atlas.table("commune_points")
        cache["unit_names"] = (dict(zip(d.code, d.name, strict=True)),
                               {} if c is None else dict(zip(c.code, c.name, strict=True)))
    return cache["unit_names"]


def with_names(atlas, feature: dict, lang: str = "vi") -> dict:
    """A full site feature with what its popup says in words: ``district_name``,
    ``commune_name`` and ``capacity_text`` (numbers written for ``lang``, the unit's label)."""
    p = feature["properties"]
    districts, communes = unit_names(atlas)
    p["district_name"] = districts.get(p["district_code"])
    p["commune_name"] = communes.get(p["commune_code"]) if p.get("commune_code") else None
    p["capacity_text"] = None if p["capacity"] is None else (
        f"{number_span(p['capacity'], p['capacity_max'], lang)} "
        f"{unit_label(atlas.catalog, p['capacity_unit'], lang)}").strip()
    return feature


def district_geojson(atlas, codes=None) -> dict:
    """District boundaries (simplified ~50 m) with code, name and ``label`` (where the name
    may go, best first: [[lon, lat], …]; :func:`_label_points`), as a GeoJSON dict."""
    cache = _CACHE.setdefault(atlas, {})
    if "districts" not in cache:
        d = atlas.districts()[["code", "name", "full_name", "geometry"]].copy()
        d["geometry"] = d.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
        d["label"] = _label_points(atlas, d)
        cache["districts"] = json.loads(reproject(d, 4326).to_json(drop_id=True))
    gj = cache["districts"]
    if codes is not None:
        gj = {**gj, "features": [f for f in gj["features"] if f["properties"]["code"] in codes]}
    return gj


def _label_points(atlas, districts) -> list:
    """Where each district's name goes on the web map, best first (:mod:`.labels`): the point
    clear of every site's marker at the province's zoom, then up to 40 other candidates, from
    which atlas.js takes the first clear of the markers it shows at any zoom. [[lon, lat], …]."""
    sites = reproject(all_sites(atlas), METRIC_CRS)
    xy = np.column_stack([sites.geometry.x, sites.geometry.y]) if len(sites) else np.zeros((0, 2))
    obstacles = labels.web_obstacles(xy, sites.layer.to_numpy())
    out = []
    for g, name in zip(reproject(districts, METRIC_CRS).geometry, districts.name, strict=True):
        size = labels.web_label_size(name)
        best = labels.label_point(g, size, obstacles)
        cands = labels.candidates(g, size)
        cands = cands[np.linspace(0, len(cands) - 1, min(40, len(cands))).astype(int)]
        pts = gpd.GeoSeries(gpd.points_from_xy([best.x, *cands[:, 0]], [best.y, *cands[:, 1]]),
                            crs=METRIC_CRS)
        pts = reproject(pts, 4326)
        out.append([[round(p.x, 5), round(p.y, 5)] for p in pts])
    return out


def capacity_options(atlas) -> dict[str, dict]:
    """The capacity totals the sites have, each within one layer (and kind) and one unit
    (:func:`geo_kttt.summary.capacity_groups`), by key (``solar_plants:MWp``)."""
    cache = _CACHE.setdefault(atlas, {})
    if "capacity_groups" not in cache:
        cache["capacity_groups"] = capacity_groups(all_sites(atlas), atlas.catalog)
    return cache["capacity_groups"]


def unit_label(catalog: dict, unit: str, lang: str) -> str:
    """A capacity unit as people write it in ``lang`` ('t/day' -> 'tấn/ngày'), from the first
    layer that declares it; the code itself when none does."""
    return next((layer.units[unit][lang] for layer in catalog.values() if unit in layer.units), unit)


def position_label(value: str, lang: str) -> str:
    """Where a drawn point comes from, in words: 'site coordinate', 'commune reference point
    30607', 'point inside district 890' (the values of ``position_source``) in ``lang``."""
    value = str(value or "")
    for prefix, key in (("commune reference point ", "pos_src_commune"),
                        ("point inside district ", "pos_src_district")):
        if value.startswith(prefix):
            return t(key, lang).format(code=value[len(prefix):])
    return t("pos_src_site", lang) if value == "site coordinate" else value


def metric_options(atlas, lang: str) -> list[tuple[str, str]]:
    """(value, label) of every choropleth metric: all sites, sites per layer, and each capacity
    total that adds like things (one layer, one kind where it has several, one unit)."""
    label = (t("metric_count", lang), t("metric_capacity", lang))
    out = [("count", label[0])]
    out += [(f"count:{lid}", f"{label[0]}: {layer.title[lang]}") for lid, layer in atlas.catalog.items()]
    out += [(f"capacity:{k}", f"{label[1]}: {capacity_label(atlas.catalog, c, lang)}")
            for k, c in capacity_options(atlas).items()]
    return out


def metric_values(atlas, filters: Filters, metric: str, lang: str) -> tuple[dict, str]:
    """The value of ``metric`` in each district for the sites passing ``filters``, and its label.

    Raises
    ------
    FilterError
        For an unknown metric.
    """
    options = dict(metric_options(atlas, lang))
    if metric not in options:
        raise FilterError(Msg("err_unknown_values", name=Code("metric"), bad=f"'{metric}'",
                              allowed=Codes(options)))
    sites = filter_sites(all_sites(atlas), Filters(filters.layers, filters.statuses, None, filters.verified))
    kind, _, arg = metric.partition(":")
    if kind == "count" and arg:
        sites = sites[sites.layer == arg]
    if kind == "capacity":
        group = capacity_options(atlas)[arg]
        sites = sites[(sites.layer == group["layer"]) & (sites.capacity_unit == group["unit"])]
        if group["kind"]:
            sites = sites[sites.kind == group["kind"]]
        per = sites.groupby("district_code")["capacity"].sum()
    else:
        per = sites.groupby("district_code").size()
    codes = list(atlas.districts().code)
    return {c: float(per.get(c, 0)) for c in codes}, options[metric]
