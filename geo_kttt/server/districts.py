"""Province overview (`/districts`) and one page per pre-2025 district (`/districts/<code>`)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, url_for

from ..catalog import STATUSES
from ..i18n import Msg
from ..maps import assets
from ..maps.build import IMPRECISE, build_map
from ..maps.data import Filters, all_sites, filter_sites
from ..maps.newcommunes import PROVINCE_CODE, split_old_codes
from ..summary import district_summary, reconcile
from .common import get_atlas
from .pages import _site_url

bp = Blueprint("districts", __name__)


# Capacity columns of the province table (as in `geo-kttt summary`); other units are on district pages.
MAIN_UNITS = ("MWp", "t/day", "ha")


def _units(atlas) -> list[str]:
    """The main capacity units that the atlas uses."""
    sites = all_sites(atlas)
    used = set(sites.loc[sites.capacity.notna(), "capacity_unit"])
    return [u for u in MAIN_UNITS if u in used]


def _cap(summary_row: dict, unit: str) -> tuple[float, float]:
    """Capacity total in ``unit`` as (low, high): equal unless some site gives a range."""
    caps = [info["capacity"].get(unit, {}) for info in summary_row["layers"].values()]
    return sum(c.get("min", 0) for c in caps), sum(c.get("max", 0) for c in caps)


def province_rows(atlas) -> tuple[list[dict], dict]:
    """One row per district plus the province total, with counts per layer and capacities."""
    units = _units(atlas)
    rows = []
    for s in district_summary(atlas):
        rows.append({"code": s["code"], "name": s["name"], "sites": s["sites"],
                     "layers": {lid: v["count"] for lid, v in s["layers"].items()},
                     "capacity": {u: _cap(s, u) for u in units},
                     "verified": s["verified_share"],
                     "imprecise": sum(s["precision"].get(p, 0) for p in IMPRECISE)})
    total = next(r for r in rows if r["code"] == "total")
    return [r for r in rows if r["code"] != "total"], total


@bp.get("/districts")
def province():
    """All districts side by side, with the province total and the report reconciliation."""
    atlas = get_atlas()
    rows, total = province_rows(atlas)
    units = _units(atlas)
    layers = [(lid, layer.title[g.lang], layer.color) for lid, layer in atlas.catalog.items()]
    return render_template("districts/province.html", rows=rows, total=total, layers=layers, units=units,
                           reported=reconcile(atlas))


def _new_communes(atlas, code: str) -> list[dict]:
    cw = atlas.crosswalk()
    cw = cw[(cw.old_province_code == PROVINCE_CODE) & (cw.old_district_code == code)]
    split = split_old_codes(atlas.crosswalk())
    out = []
    for (new_code, new_name), part in cw.groupby(["new_code", "new_full_name"], sort=True):
        out.append({"code": new_code, "name": new_name,
                    "old": [{"name": r.old_full_name, "split": r.old_code in split}
                            for r in part.itertuples()]})
    return out


@bp.get("/districts/<code>")
def district(code):
    """One district: its map, numbers by layer and status, capacities, sites, 2025 communes."""
    atlas = get_atlas()
    districts = atlas.districts()
    match = districts[districts.code == code]
    if match.empty:
        abort(404, Msg("err_no_district", code=code))
    info = match.iloc[0]
    filters = Filters(district=code)
    sites = filter_sites(all_sites(atlas), filters).sort_values(["layer", "name_vi"])
    summary = next(s for s in district_summary(atlas) if s["code"] == code)
    m = build_map(atlas, g.lang, filters=filters, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False, fit=code,
                  sites_url=url_for("pages.api_sites", district=code, lang=g.lang), site_url=_site_url())
    top = max([v["count"] for v in summary["layers"].values()] + [1])
    layers = [{"id": lid, "title": layer.title[g.lang], "color": layer.color, "units": layer.units,
               **summary["layers"][lid], "width": f"{100 * summary['layers'][lid]['count'] / top:.0f}%"}
              for lid, layer in atlas.catalog.items()]
    return render_template("districts/district.html", d=info, summary=summary, layers=layers, sites=sites,
                           catalog=atlas.catalog, statuses=STATUSES, map=assets.components(m),
                           new_communes=_new_communes(atlas, code))
