"""The /coverage page: served and unserved units on a map and in a sortable table; CSV and XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for

from ..catalog import PRECISIONS, STATUSES
from ..coverage.analysis import DEFAULT_RADII_KM, AtlasFrames, compute, default_statuses, radius_km
from ..coverage.checks import data_checks, district_layer_states, layer_completeness
from ..coverage.map import coverage_map
from ..coverage.report import HEADERS, rows, summary_lines, to_csv, to_xlsx
from ..coverage.units import LEVELS
from ..i18n import Code, Codes, Msg, t
from ..maps import assets
from ..text import slug
from .common import get_atlas

bp = Blueprint("coverage", __name__)


def _params(atlas):
    """Layer, level, statuses and radius from the query string; 400 with what is allowed."""
    layer = request.args.get("layer", "waste_facilities")
    if layer not in atlas.catalog:
        abort(400, Msg("err_unknown_values", name=Code("layer"), bad=f"'{layer}'",
                       allowed=Codes(atlas.catalog)))
    by = request.args.get("by", "commune")
    if by not in LEVELS:
        abort(400, Msg("err_unknown_values", name=Code("by"), bad=f"'{by}'", allowed=Codes(LEVELS)))
    statuses = [s for v in request.args.getlist("status") for s in v.split(",") if s.strip()]
    statuses = statuses or default_statuses(atlas.catalog[layer])
    bad = [s for s in statuses if s not in atlas.catalog[layer].statuses]
    if bad:
        abort(400, Msg("err_cov_status", bad=Codes(bad), layer=layer,
                       allowed=Codes(atlas.catalog[layer].statuses)))
    raw = request.args.get("radius_km", "").strip().replace(",", ".")
    try:
        radius = float(raw) if raw else None
    except ValueError:
        abort(400, Msg("err_radius_nan", value=raw))
    if radius is not None and not 0 < radius <= 200:
        abort(400, Msg("err_radius_range"))
    return layer, by, statuses, radius


def _query(layer, by, statuses, radius) -> dict:
    q = {"layer": layer, "by": by, "status": ",".join(statuses), "lang": g.lang}
    if radius is not None:
        q["radius_km"] = f"{radius:g}"
    return q


def _result():
    atlas = get_atlas()
    layer, by, statuses, radius = _params(atlas)
    frames = AtlasFrames.of(atlas)
    return atlas, frames, compute(frames, layer, by, statuses, radius), (layer, by, statuses, radius)


@bp.get("/coverage")
def page():
    """Coverage: map, sortable table, completeness and data checks."""
    atlas, frames, cov, (layer, by, statuses, radius) = _result()
    lay = atlas.catalog[layer]
    m = coverage_map(cov, atlas, g.lang, tiles=current_app.config["TILE_URL"],
                     attribution=current_app.config["TILE_ATTRIBUTION"])
    completeness = layer_completeness(frames)
    query = _query(layer, by, statuses, radius)
    return render_template(
        "coverage/page.html", map=assets.components(m), cov=cov, table=rows(cov, g.lang),
        unserved_codes=set(cov.unserved()),
        headers={k: v[g.lang] for k, v in HEADERS.items()},
        summary=summary_lines(cov, g.lang), layers=[(k, v.title[g.lang]) for k, v in atlas.catalog.items()],
        layer=layer, by=by, levels=LEVELS, statuses=statuses, radius=radius,
        layer_statuses=[(s, STATUSES[s][g.lang]) for s in lay.statuses],
        radii=[(v[g.lang], radius_km(layer, k)) for k, v in lay.kinds.items()],
        radius_table=DEFAULT_RADII_KM, completeness=completeness,
        titles={k: v.title[g.lang] for k, v in atlas.catalog.items()},
        precisions={k: v[g.lang] for k, v in PRECISIONS.items()},
        zero=district_layer_states(frames, completeness), checks=data_checks(frames),
        csv_url=url_for("coverage.download", fmt="csv", **query),
        xlsx_url=url_for("coverage.download", fmt="xlsx", **query))


@bp.get("/coverage.<fmt>")
def download(fmt):
    """The coverage table as CSV (UTF-8 with BOM) or XLSX (with completeness and checks)."""
    if fmt not in ("csv", "xlsx"):
        abort(404, t("not_found", g.lang))
    atlas, frames, cov, (layer, by, _s, _r) = _result()
    name = f"coverage-{slug(layer)}-{by}-{g.lang}.{fmt}"
    if fmt == "csv":
        body, mime = to_csv(cov, g.lang), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(cov, layer_completeness(frames), data_checks(frames), g.lang,
                       {k: v.title[g.lang] for k, v in atlas.catalog.items()})
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, content_type=mime,  # as given: mimetype= would add a second charset
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
