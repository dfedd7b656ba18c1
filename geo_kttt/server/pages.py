"""The map page, search, GeoJSON endpoints, the new-commune view and the local vendor assets."""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from ..catalog import STATUSES
from ..i18n import Code, Codes, Msg, number_span, percent, t
from ..maps import assets
from ..maps.build import IMPRECISE, build_map
from ..maps.clusters import cluster_index
from ..maps.data import (
    Filters,
    all_sites,
    filter_sites,
    metric_options,
    parse_filters,
    site_detail,
    sites_geojson,
)
from ..maps.newcommunes import new_commune_view
from ..maps.search import search
from ..summary import capacity_groups, capacity_label
from ..web import VENDOR
from .common import get_atlas

bp = Blueprint("pages", __name__)



def _filters(atlas) -> Filters:
    return parse_filters(request.args, atlas)  # a FilterError answers 400 (the app's error handler)


def _focus(atlas, value: str) -> dict | None:
    """``site:<layer>/<id>``, ``district:<code>``, ``commune:<code>``, ``new_commune:<code>``."""
    if not value:
        return None
    kind, _, ref = value.partition(":")
    if kind == "site":
        layer, _, site_id = ref.partition("/")
        if site_detail(atlas, layer, site_id) is None:
            abort(404, Msg("err_focus_site", ref=ref))
        return {"layer": layer, "id": site_id}
    hit = next((r for r in search(atlas, ref, limit=50) if r["kind"] == kind and r["id"] == ref), None)
    if hit is None or not hit.get("bbox"):
        abort(400 if kind not in ("district", "commune", "new_commune") else 404,
              Msg("err_focus", value=value, forms=Codes(("site:<layer>/<id>", "district:<code>",
                                                          "commune:<code>", "new_commune:<code>"))))
    return {"bbox": hit["bbox"]}


def panel_summary(sites, lang: str, catalog: dict) -> dict:
    """Counts by status, capacity totals per unit and shares, for the side panel."""
    n = len(sites)
    span = lambda c: number_span(c["min"], c["max"], lang, 1 if c["max"] % 1 or c["min"] % 1 else 0)  # noqa: E731
    capacity = [(capacity_label(catalog, c, lang), span(c)) for c in capacity_groups(sites, catalog).values()]
    return {"total": n,
            "by_status": [(STATUSES[k][lang], int(v)) for k, v in sites.status.value_counts().items()],
            "capacity": capacity,
            "verified": percent(sites.verified.mean(), lang) if n else "–",
            "imprecise": percent(sites.location_precision.isin(IMPRECISE).mean(), lang) if n else "–"}


def _site_url() -> str:
    return url_for("pages.api_site", layer="LAYER", site_id="SITE", lang=g.lang).replace("LAYER", "{layer}") \
        .replace("SITE", "{id}")


def _tiles_url(atlas, filters: Filters | None = None) -> str:
    """The clusters URL template (``{z}/{x}/{y}``) of a view: its filters (not its layers, which
    the page switches itself), the language and the atlas build (so answers can be cached)."""
    query = {k: v for k, v in (filters or Filters()).query().items() if k != "layers"}
    query.update(lang=g.lang, build=atlas.version)
    url = url_for("pages.api_clusters", z=0, x=0, y=0, **query)
    return url.replace("/0/0/0.json", "/{z}/{x}/{y}.json", 1)


def map_parts(atlas, key: tuple | None, make) -> dict:
    """``make()``: a page's rendered map (or panel), kept per build for a fixed view (``key``),
    else made fresh.

    Keys are few by construction (a page, its language and district): the memo stays small.
    The app's settings that reach the map's links (tiles, default language, script root) are
    part of the key: apps of one process share the atlas.
    """
    if key is None:
        return make()
    cfg = current_app.config
    return atlas.memo(repr(("map", *key, cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"], cfg["LANG"],
                            request.script_root)), make)


def page_link(lang: str) -> dict | None:
    """The popups' link to a site's page (history, "propose a change"), when that page exists."""
    if "editing.site_page" not in current_app.view_functions:
        return None
    extra = {"lang": lang} if lang != current_app.config["LANG"] else {}
    url = url_for("editing.site_page", layer="LAYER", site_id="SITE", **extra)
    return {"url": url.replace("LAYER", "{layer}").replace("SITE", "{id}"), "label": t("site_page", lang)}


# Per atlas (build): the map page of each view (filters, metric, focus) asked for lately: its
# map parts, layer counts and panel summary. Computing one reads every site (half a second at
# 100,000 sites); kept, a page costs its template. Bounded (unlike map_parts' memo), since
# filters make many views.
_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()
VIEWS_KEPT = 64


def _kept(atlas, key, make):
    """``make()``, computed once per ``key`` and atlas (at most VIEWS_KEPT keys, least recent out)."""
    with _VIEWS_LOCK:
        views = _VIEWS.setdefault(atlas, OrderedDict())
        if key in views:
            views.move_to_end(key)
            return views[key]
    value = make()
    with _VIEWS_LOCK:
        views[key] = value
        while len(views) > VIEWS_KEPT:
            views.popitem(last=False)
    return value


def _metrics(atlas) -> list:
    return _kept(atlas, ("metrics", g.lang), lambda: metric_options(atlas, g.lang))


def _map_view(atlas, filters: Filters, metric, focus) -> dict:
    """The map's parts, the layer counts and the panel summary of one view."""
    m = build_map(atlas, g.lang, filters=filters, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False,
                  tiles_url=_tiles_url(atlas, filters), site_url=_site_url(),
                  metric=metric, focus=focus, fit=filters.district, page_link=page_link(g.lang))
    visible = list(filters.layers if filters.layers is not None else atlas.catalog)
    sites = filter_sites(all_sites(atlas), filters, with_layers=False)
    counts = sites.layer.value_counts().to_dict()
    layers = [{"id": lid, "title": layer.title[g.lang], "color": layer.color, "icon": layer.icon,
               "count": counts.get(lid, 0)} for lid, layer in atlas.catalog.items()]
    return {"map": assets.components(m), "layers": layers, "visible": visible,
            "summary": panel_summary(sites[sites.layer.isin(visible)], g.lang, atlas.catalog)}


@bp.get("/")
def index():
    """The map page: layers, filters, summary, legend; the sites come per tile of the view."""
    atlas = get_atlas()
    filters = _filters(atlas)
    metric = request.args.get("metric", "").strip() or None
    if metric and metric not in dict(_metrics(atlas)):
        abort(400, Msg("err_unknown_values", name=Code("metric"), bad=f"'{metric}'",
                       allowed=Codes(dict(_metrics(atlas)))))
    focus = _focus(atlas, request.args.get("focus", "").strip())
    cfg = current_app.config
    key = ("map", g.lang, filters, metric, json.dumps(focus, sort_keys=True), request.script_root,
           cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"], cfg["LANG"])
    view = _kept(atlas, key, lambda: _map_view(atlas, filters, metric, focus))
    districts = list(zip(atlas.districts().code, atlas.districts().full_name, strict=True))
    return render_template(
        "pages/map.html", **view, filters=filters, metric=metric,
        statuses=[(k, v[g.lang]) for k, v in STATUSES.items()], districts=districts,
        metrics=_metrics(atlas), district_name=dict(districts).get(filters.district))


@bp.get("/api/sites.geojson")
def api_sites():
    """The filtered sites as GeoJSON (brief properties; popups come from api_site)."""
    atlas = get_atlas()
    body = sites_geojson(atlas, _filters(atlas), g.lang)
    return Response(body, mimetype="application/geo+json")


@bp.get("/api/clusters/<int:z>/<int:x>/<int:y>.json")
def api_clusters(z, x, y):
    """The clusters and single sites of one map tile (see geo_kttt.maps.clusters), filtered."""
    atlas = get_atlas()
    if not (0 <= z <= 24 and x < 2**z and y < 2**z):
        abort(404, f"no tile {z}/{x}/{y}")
    body = cluster_index(atlas).tile(z, x, y, _filters(atlas), g.lang)
    resp = Response(body, mimetype="application/json")
    if request.args.get("build") == atlas.version:
        resp.cache_control.public, resp.cache_control.max_age = True, 86400  # the URL names the build
    return resp


@bp.get("/api/sites/<layer>/<site_id>")
def api_site(layer, site_id):
    """One site with every popup field (and the zoom at which it stands alone), as a Feature."""
    atlas = get_atlas()
    feature = site_detail(atlas, layer, site_id, g.lang)
    if feature is None:
        abort(404, Msg("err_no_site", site=site_id, layer=layer))
    feature["properties"]["zoom"] = cluster_index(atlas).zoom_of(layer, site_id)
    return Response(_json(feature), mimetype="application/geo+json")


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


@bp.get("/api/search")
def api_search():
    """Search sites, districts and communes without diacritics: ?q=chau doc."""
    q = request.args.get("q", "")
    if len(q) > 200:
        abort(400, Msg("err_q_long"))
    results = search(get_atlas(), q)
    for r in results:
        r["kind_label"] = t(f"kind_{r['kind']}", g.lang)
    return jsonify({"query": q, "results": results})


@bp.get("/search")
def search_page():
    """Search results as a page (works without JavaScript)."""
    q = request.args.get("q", "")
    if len(q) > 200:
        abort(400, Msg("err_q_long"))
    results = search(get_atlas(), q, limit=100)
    return render_template("pages/search.html", q=q, results=results)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package, filename):
    """Pinned front-end packages, vendored in the package (Leaflet and its plugins)."""
    if package not in assets.VENDOR_PACKAGES:
        abort(404, Msg("err_no_vendor", package=package))
    return send_from_directory(VENDOR / package, filename, max_age=86400)


@bp.get("/new-communes")
def new_communes():
    """The 2025 communes through the crosswalk, with a caveat where an old commune was split."""
    atlas = get_atlas()
    view = atlas.memo(f"new_commune_view:{g.lang}", lambda: new_commune_view(atlas, g.lang))  # read only
    parts = map_parts(atlas, ("new_communes", g.lang), lambda: assets.components(
        build_map(atlas, g.lang, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False,
                  tiles_url=_tiles_url(atlas), site_url=_site_url(), units=view["geojson"])))
    return render_template("pages/new_communes.html", map=parts, view=view)
