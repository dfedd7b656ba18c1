"""Per-district (and per-2025-commune) summaries, and reconciliation with the report."""

from __future__ import annotations

import copy

import numpy as np
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
    """Capacity totals per unit: {unit: {'min': x, 'max': y, 'sites': n}}.

    Adds whatever ``df`` holds: give it one layer's sites (and one kind's, where the layer
    has several), or use :func:`capacity_groups`.
    """
    out = {}
    for unit, g in df[df.capacity.notna()].groupby("capacity_unit"):
        low = float(g.capacity.sum())
        high = float(g.capacity_max.fillna(g.capacity).sum())
        out[unit] = {"min": round(low, 3), "max": round(high, 3), "sites": int(len(g))}
    return out


# Units of the headline capacity columns (the province table, `geo-kttt summary`).
MAIN_UNITS = ("MWp", "t/day", "ha")


def capacity_key(layer: str, kind: str | None, unit: str) -> str:
    """The name of a capacity total: ``solar_plants:MWp``, ``waste_facilities/landfill:t/day``."""
    return f"{layer}/{kind}:{unit}" if kind else f"{layer}:{unit}"


def capacity_groups(sites: pd.DataFrame, catalog: dict[str, Layer]) -> dict[str, dict]:
    """Capacity totals that add only like things: per layer, per kind where the layer has
    several kinds (a landfill's t/day is not an incinerator's, an industrial cluster is not a
    park), and per unit. The one function behind every capacity total (summaries, the
    province table, the map's panel and choropleth).

    Returns
    -------
    dict
        ``{key: {"layer", "kind" (None for a layer of one kind), "unit", "min", "max",
        "sites"}}`` in catalogue, kind and unit order (see :func:`capacity_key`).
    """
    with_cap = sites[sites.capacity.notna() & sites.capacity_unit.astype(bool)]
    several = {lid for lid, layer in catalog.items() if len(layer.kinds) > 1}
    df = pd.DataFrame({"layer": with_cap.layer.to_numpy(), "unit": with_cap.capacity_unit.to_numpy(),
                       "kind": np.where(with_cap.layer.isin(several), with_cap.kind, ""),
                       "low": with_cap.capacity.to_numpy(),
                       "high": with_cap.capacity_max.fillna(with_cap.capacity).to_numpy()})
    sums = df.groupby(["layer", "kind", "unit"]).agg(low=("low", "sum"), high=("high", "sum"),
                                                     sites=("low", "size"))
    found = {key: row for key, row in zip(sums.index, sums.itertuples(), strict=True)}

    def rank(key):
        lid, kind, unit = key
        layer = catalog.get(lid)
        order = list(catalog).index(lid) if layer else len(catalog)
        kinds, units = (list(layer.kinds), list(layer.units)) if layer else ([], [])
        return (order, lid, kinds.index(kind) if kind in kinds else len(kinds), kind,
                units.index(unit) if unit in units else len(units), unit)

    out = {}
    for lid, kind, unit in sorted(found, key=rank):
        if lid not in catalog:
            continue
        r = found[(lid, kind, unit)]
        out[capacity_key(lid, kind or None, unit)] = {
            "layer": lid, "kind": kind or None, "unit": unit, "min": round(float(r.low), 3),
            "max": round(float(r.high), 3), "sites": int(r.sites)}
    return out


def capacity_label(catalog: dict[str, Layer], group: dict, lang: str) -> str:
    """'Điện mặt trời (MWp)', 'Cơ sở xử lý chất thải rắn – Bãi chôn lấp (tấn/ngày)'."""
    layer = catalog[group["layer"]]
    unit = layer.units.get(group["unit"], {}).get(lang, group["unit"])
    kind = f" – {layer.kinds[group['kind']][lang]}" if group["kind"] in layer.kinds else \
        (f" – {group['kind']}" if group["kind"] else "")
    return f"{layer.title[lang]}{kind} ({unit})"


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
    keep = [c for c in ("layer", "kind", "status", "capacity", "capacity_max", "capacity_unit",
                        "verified", "location_precision") if c in sites]
    sites = pd.DataFrame(sites[keep]).assign(_unit=unit_codes.values)  # no geometry: fast subsets
    parts = dict(tuple(sites.groupby("_unit", sort=False)))
    empty = sites.iloc[0:0]
    rows = [(u.code, u.name, parts.get(u.code, empty)) for u in units.itertuples()]
    if UNASSIGNED in parts:
        rows.append((UNASSIGNED, "(chưa xác định / not determined)", parts[UNASSIGNED]))
    rows.append(("total", "Toàn tỉnh / Province", sites))
    return [_one(code, name, g, catalog) for code, name, g in rows]


def _one(code: str, name: str, g: pd.DataFrame, catalog: dict[str, Layer]) -> dict:
    layers, groups = {}, capacity_groups(g, catalog)
    statuses = g.groupby(["layer", "status"]).size()
    counts = g.layer.value_counts()
    for lid in catalog:
        by_status = statuses[lid] if lid in statuses.index.get_level_values(0) else {}
        layers[lid] = {"count": int(counts.get(lid, 0)),
                       "by_status": {k: int(v) for k, v in dict(by_status).items()},
                       "capacity": {k: c for k, c in groups.items() if c["layer"] == lid}}
    n = int(len(g))
    return {"code": code, "name": name, "sites": n, "layers": layers, "capacity": groups,
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
            for key, c in info["capacity"].items():
                row[key] = c["min"] if c["min"] == c["max"] else f"{c['min']:g}-{c['max']:g}"
        row["verified_share"] = s["verified_share"]
        for p, n in s["precision"].items():
            row[f"precision:{p}"] = n
        rows.append(row)
    return pd.DataFrame(rows).fillna(0)
