"""The 2025 communes (old An Giang part) through the reform crosswalk, for the web view.

Where an old commune was split between several new ones, its sites cannot be placed
without a finer position: the view marks such units and counts those sites apart.
"""

from __future__ import annotations

import json

import pandas as pd

from ..summary import UNASSIGNED, new_commune_summary
from .data import _CACHE, SIMPLIFY_DEG

PROVINCE_CODE = "89"


def split_old_codes(crosswalk: pd.DataFrame) -> set:
    """Old commune codes that went to more than one 2025 commune (partial merges)."""
    cw = crosswalk[crosswalk.old_province_code == PROVINCE_CODE]
    n = cw.groupby("old_code")["new_code"].nunique()
    return set(n[n > 1].index)


def new_commune_view(atlas, lang: str = "vi") -> dict:
    """Rows, outlines and caveats of the 2025 communes, computed once per atlas (a built
    atlas does not change while it is open); do not modify the result.

    Parameters
    ----------
    atlas : Atlas
    lang : {'vi', 'en'}

    Returns
    -------
    dict
        ``rows`` (one per 2025 commune: code, name, old units with ``split`` flags, site
        counts per layer), ``unassigned`` (sites the crosswalk cannot place), ``total`` and
        ``geojson`` (outlines with code, name, split; units without a shape are left out).
    """
    cache = _CACHE.setdefault(atlas, {})
    if "new_commune_view" not in cache:
        cache["new_commune_view"] = _view(atlas)
    return cache["new_commune_view"]


def _view(atlas) -> dict:
    cw = atlas.crosswalk()
    cw = cw[cw.old_province_code == PROVINCE_CODE]
    split = split_old_codes(atlas.crosswalk())
    summary = {s["code"]: s for s in new_commune_summary(atlas)}
    rows = []
    for code, g in cw.groupby("new_code", sort=True):
        old = [{"code": r.old_code, "name": r.old_full_name, "district": r.old_district_name,
                "split": r.old_code in split} for r in g.itertuples()]
        s = summary.get(code, {"sites": 0, "layers": {}})
        rows.append({"code": code, "name": g.new_full_name.iloc[0], "old": old,
                     "split": any(o["split"] for o in old), "sites": s["sites"],
                     "layers": {lid: v["count"] for lid, v in s["layers"].items() if v["count"]}})
    shapes = atlas.table("new_communes")
    shapes = shapes[shapes.geometry.notna() & shapes.new_code.isin([r["code"] for r in rows])].copy()
    shapes["geometry"] = shapes.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    flags = {r["code"]: r["split"] for r in rows}
    gj = shapes.assign(code=shapes.new_code, name=shapes.new_full_name,
                       split=shapes.new_code.map(flags))[["code", "name", "split", "geometry"]]
    return {"rows": rows, "unassigned": summary.get(UNASSIGNED, {"sites": 0})["sites"],
            "total": summary["total"]["sites"], "missing_shapes": len(rows) - len(gj),
            "split_old": sorted(split), "geojson": json.loads(gj.to_json(drop_id=True))}
