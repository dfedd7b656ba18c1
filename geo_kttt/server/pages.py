"""The map page, search, GeoJSON endpoints, the new-commune view and the local vendor assets."""

from __future__ import annotations

import json

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
from ..summary import capacity_totals
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
    labels = {u: text[lang] for layer in reversed(list(catalog.values())) for u, text in layer.units.items()}
    span = lambda c: number_span(c["min"], c["max"], lang, 1 if c["max"] % 1 or c["min"] % 1 else 0)  # noqa: E731
    capacity = [(labels.get(unit, unit), span(c))
                for unit, c in capacity_totals(sites[sites.capacity_unit.astype(bool)]).items()]
    return {"total": n,
            "by_status": [(STATUSES[k][lang], int(v)) for k, v in sites.status.value_counts().items()],
            "capacity": capacity,
            "verified": percent(sites.verified.mean(), lang) if n else "–",
            "imprecise": percent(sites.location_precision.isin(IMPRECISE).mean(), lang) if n else "–"}


def _site_url() -> str:
    return url_for("pages.api_site", layer="LAYER", site_id="SITE", lang=g.lang).replace("LAYER", "{layer}") \
        .replace("SITE", "{id}")


@bp.get("/")
def index():
    """The map page: layers, filters, summary, legend; sites load from the GeoJSON endpoint."""
    atlas = get_atlas()
    filters = _filters(atlas)
    metric = request.args.get("metric", "").strip() or None
    if metric and metric not in dict(metric_options(atlas, g.lang)):
        abort(400, Msg("err_unknown_values", name=Code("metric"), bad=f"'{metric}'",
                       allowed=Codes(dict(metric_options(atlas, g.lang)))))
    focus = _focus(atlas, request.args.get("focus", "").strip())
    query = {k: v for k, v in filters.query().items() if k != "layers"} | {"lang": g.lang}
    sites_url = url_for("pages.api_sites", **query)
    m = build_map(atlas, g.lang, filters=filters, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False,
                  sites_url=sites_url, site_url=_site_url(),
                  metric=metric, focus=focus, fit=filters.district)
    parts = assets.components(m)
    visible = list(filters.layers if filters.layers is not None else atlas.catalog)
    sites = filter_sites(all_sites(atlas), filters, with_layers=False)
    counts = sites.layer.value_counts().to_dict()
    layers = [{"id": lid, "title": layer.title[g.lang], "color": layer.color, "icon": layer.icon,
               "count": counts.get(lid, 0)} for lid, layer in atlas.catalog.items()]
    districts = list(zip(atlas.districts().code, atlas.districts().full_name, strict=True))
    return render_template(
        "pages/map.html", map=parts, sites_url=sites_url, layers=layers, visible=visible, filters=filters,
        metric=metric,
        statuses=[(k, v[g.lang]) for k, v in STATUSES.items()], districts=districts,
        metrics=metric_options(atlas, g.lang), district_name=dict(districts).get(filters.district),
        summary=panel_summary(sites[sites.layer.isin(visible)], g.lang, atlas.catalog))


@bp.get("/api/sites.geojson")
def api_sites():
    """The filtered sites as GeoJSON (brief properties; popups come from api_site)."""
    atlas = get_atlas()
    body = sites_geojson(atlas, _filters(atlas), g.lang)
    return Response(body, mimetype="application/geo+json")


@bp.get("/api/sites/<layer>/<site_id>")
def api_site(layer, site_id):
    """One site with every popup field, as a GeoJSON Feature."""
    feature = site_detail(get_atlas(), layer, site_id, g.lang)
    if feature is None:
        abort(404, Msg("err_no_site", site=site_id, layer=layer))
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
    view = new_commune_view(atlas, g.lang)
    m = build_map(atlas, g.lang, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False,
                  sites_url=url_for("pages.api_sites"), site_url=_site_url(), units=view["geojson"])
    return render_template("pages/new_communes.html", map=assets.components(m), view=view)
