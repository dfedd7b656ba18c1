"""Province overview (`/districts`) and one page per pre-2025 district (`/districts/<code>`)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template

from ..catalog import STATUSES
from ..i18n import Msg
from ..maps import assets
from ..maps.build import IMPRECISE, build_map
from ..maps.data import Filters, all_sites, filter_sites
from ..maps.newcommunes import PROVINCE_CODE, split_old_codes
from ..summary import MAIN_UNITS, capacity_groups, capacity_label, district_summary, reconcile
from .common import get_atlas
from .pages import _site_url, _tiles_url, map_parts

bp = Blueprint("districts", __name__)


def _groups(atlas) -> dict:
    """The headline capacity totals (:data:`MAIN_UNITS`, as in `geo-kttt summary`) that the
    atlas has, each within one layer (and kind) and one unit; the others are on district pages."""
    groups = capacity_groups(all_sites(atlas), atlas.catalog)
    return {k: c for k, c in groups.items() if c["unit"] in MAIN_UNITS}


def _capacity_head(catalog, group: dict, lang: str) -> dict:
    """A capacity column's heading: short (the kind, or the layer of one kind, and the unit)
    beside its layer's colour, with the full label as its title."""
    layer = catalog[group["layer"]]
    unit = layer.units.get(group["unit"], {}).get(lang, group["unit"])
    short = layer.kinds[group["kind"]][lang] if group["kind"] in layer.kinds else layer.title[lang]
    return {"short": f"{short} ({unit})", "full": capacity_label(catalog, group, lang), "color": layer.color}


def province_rows(atlas) -> tuple[list[dict], dict]:
    """One row per district plus the province total, with counts per layer and capacities."""
    keys = list(_groups(atlas))
    rows = []
    for s in district_summary(atlas):
        caps = s["capacity"]
        rows.append({"code": s["code"], "name": s["name"], "sites": s["sites"],
                     "layers": {lid: v["count"] for lid, v in s["layers"].items()},
                     "capacity": {k: (caps[k]["min"], caps[k]["max"]) if k in caps else (0, 0) for k in keys},
                     "verified": s["verified_share"],
                     "imprecise": sum(s["precision"].get(p, 0) for p in IMPRECISE)})
    total = next(r for r in rows if r["code"] == "total")
    return [r for r in rows if r["code"] != "total"], total


@bp.get("/districts")
def province():
    """All districts side by side, with the province total and the report reconciliation."""
    atlas = get_atlas()
    rows, total = province_rows(atlas)
    units = {k: _capacity_head(atlas.catalog, c, g.lang) for k, c in _groups(atlas).items()}
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
    parts = map_parts(atlas, ("district", code, g.lang), lambda: assets.components(
        build_map(atlas, g.lang, filters=filters, tiles=current_app.config["TILE_URL"],
                  attribution=current_app.config["TILE_ATTRIBUTION"], embed=False, fit=code,
                  tiles_url=_tiles_url(atlas, filters), site_url=_site_url())))
    top = max([v["count"] for v in summary["layers"].values()] + [1])
    layers = [{"id": lid, "title": layer.title[g.lang], "color": layer.color, "units": layer.units,
               "kinds": layer.kinds,
               **summary["layers"][lid], "width": f"{100 * summary['layers'][lid]['count'] / top:.0f}%"}
              for lid, layer in atlas.catalog.items()]
    return render_template("districts/district.html", d=info, summary=summary, layers=layers, sites=sites,
                           catalog=atlas.catalog, statuses=STATUSES, map=parts,
                           new_communes=atlas.memo(f"district_new_communes:{code}",
                                                   lambda: _new_communes(atlas, code)))
