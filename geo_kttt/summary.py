"""Per-district (and per-2025-commune) summaries, and reconciliation with the report."""

from __future__ import annotations

import copy

import pandas as pd

from .catalog import PRECISIONS, Layer

UNASSIGNED = "-"


def assign_new_commune(sites: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series:
    """The 2025 commune of each site, via its pre-2025 commune code.

    Sites known only to district level, or in an old commune split between several new
    ones, get ``UNASSIGNED``: the crosswalk cannot place them without a finer position.
    """
    targets = crosswalk.groupby("old_code")["new_code"].agg(lambda s: sorted(set(s)))
    def one(code):
        new = targets.get(code, [])
        return new[0] if len(new) == 1 else UNASSIGNED
    return sites["commune_code"].map(one)


def capacity_totals(df: pd.DataFrame) -> dict:
    """Capacity totals per unit: {unit: {'min': x, 'max': y, 'sites': n}}."""
    out = {}
    for unit, g in df[df.capacity.notna()].groupby("capacity_unit"):
        low = float(g.capacity.sum())
        high = float(g.capacity_max.fillna(g.capacity).sum())
        out[unit] = {"min": round(low, 3), "max": round(high, 3), "sites": int(len(g))}
    return out


def unit_summary(sites: pd.DataFrame, unit_codes: pd.Series, units: pd.DataFrame,
                 catalog: dict[str, Layer]) -> list[dict]:
    """Summaries for each administrative unit.

    Parameters
    ----------
    sites : DataFrame
        All sites, with ``layer`` and the record columns.
    unit_codes : Series
        The unit code of each site (same index as ``sites``).
    units : DataFrame
        ``code`` and ``name`` of every unit to report, in order (units with no
        site are listed with zeros).
    catalog : dict of Layer

    Returns
    -------
    list of dict, one per unit plus a province total (code ``"total"``).
    """
    sites = sites.assign(_unit=unit_codes.values)
    by_unit = dict(tuple(sites.groupby("_unit", sort=False)))  # one pass, not one filter per unit
    empty = sites.iloc[0:0]
    rows = [(u.code, u.name, by_unit.get(u.code, empty)) for u in units.itertuples()]
    if UNASSIGNED in by_unit:
        rows.append((UNASSIGNED, "(chưa xác định / not determined)", by_unit[UNASSIGNED]))
    rows.append(("total", "Toàn tỉnh / Province", sites))
    return [_one(code, name, g, catalog) for code, name, g in rows]


def _one(code: str, name: str, g: pd.DataFrame, catalog: dict[str, Layer]) -> dict:
    layers = {}
    parts = dict(tuple(g.groupby("layer", sort=False))) if len(g) else {}
    for lid in catalog:
        part = parts.get(lid)
        if part is None:  # what the lines below give for no site
            layers[lid] = {"count": 0, "by_status": {}, "capacity": {}}
            continue
        layers[lid] = {"count": int(len(part)),
                       "by_status": {k: int(v) for k, v in part.status.value_counts().items()},
                       "capacity": capacity_totals(part)}
    n = int(len(g))
    return {"code": code, "name": name, "sites": n, "layers": layers,
            "verified_share": round(float(g.verified.mean()), 3) if n else None,
            "precision": {p: int((g.location_precision == p).sum()) for p in PRECISIONS}}


def per_build(atlas, key: str, make):
    """``make()`` once per open build of the atlas (a build never changes), a copy each call."""
    memo = getattr(atlas, "memo", None)
    return copy.deepcopy(memo(key, make)) if memo else make()


def district_summary(atlas) -> list[dict]:
    """Summary per pre-2025 district of a built atlas."""
    return per_build(atlas, "district_summary", lambda: _district_summary(atlas))


def _district_summary(atlas) -> list[dict]:
    sites = atlas.sites()
    units = atlas.districts()[["code", "name"]]
    return unit_summary(sites, sites.district_code, units, atlas.catalog)


def new_commune_summary(atlas) -> list[dict]:
    """Summary per 2025 commune (old An Giang part), through the crosswalk."""
    return per_build(atlas, "new_commune_summary", lambda: _new_commune_summary(atlas))


def _new_commune_summary(atlas) -> list[dict]:
    sites = atlas.sites()
    cw = atlas.crosswalk()
    units = (cw[cw.old_province_code == "89"][["new_code", "new_full_name"]].drop_duplicates()
             .rename(columns={"new_code": "code", "new_full_name": "name"}).sort_values("code"))
    return unit_summary(sites, assign_new_commune(sites, cw), units, atlas.catalog)


def reconcile(atlas) -> list[dict]:
    """Each figure of the provincial report beside what the atlas has located."""
    return per_build(atlas, "reconcile", lambda: _reconcile(atlas))


def _reconcile(atlas) -> list[dict]:
    out = []
    sites = atlas.sites()
    for lid, layer in atlas.catalog.items():
        for rep in layer.reported:
            part = sites[sites.layer == lid]
            if rep.sites:
                part = part[part.id.isin(rep.sites)]
            if rep.kind:
                part = part[part.kind == rep.kind]
            cap = capacity_totals(part).get(rep.unit, {}) if rep.unit else {}
            out.append({"layer": lid, "label_vi": rep.label["vi"], "label_en": rep.label["en"],
                        "reported_count": rep.count, "located": int(len(part)),
                        "verified": int(part.verified.sum()),
                        "precision": {k: int(v) for k, v in part.location_precision.value_counts().items()},
                        "reported_capacity": rep.capacity, "located_capacity": cap.get("min"),
                        "unit": rep.unit, "status": rep.status,
                        "located_status": sorted(set(part.status)), "source": rep.source})
    return out


def flat_rows(summary: list[dict], catalog: dict[str, Layer]) -> pd.DataFrame:
    """One row per unit, one column per figure: for CSV and tables."""
    rows = []
    for s in summary:
        row = {"code": s["code"], "name": s["name"], "sites": s["sites"]}
        for lid in catalog:
            info = s["layers"][lid]
            row[lid] = info["count"]
            for status, n in sorted(info["by_status"].items()):
                row[f"{lid}:{status}"] = n
            for unit, c in info["capacity"].items():
                row[f"{lid}:{unit}"] = (c["min"] if c["min"] == c["max"]
                                        else f"{c['min']:g}-{c['max']:g}")
        row["verified_share"] = s["verified_share"]
        for p, n in s["precision"].items():
            row[f"precision:{p}"] = n
        rows.append(row)
    return pd.DataFrame(rows).fillna(0)
