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
    sums = _capacity_sums(sites, catalog)
    found = {key: row for key, row in zip(sums.index, sums.itertuples(), strict=True)}
    return _capacity_dict(found, catalog)


def _capacity_sums(sites: pd.DataFrame, catalog: dict[str, Layer], by: str | None = None) -> pd.DataFrame:
    """Capacity sums per (``by`` column, if given,) layer, kind and unit: one groupby."""
    with_cap = sites[sites.capacity.notna() & sites.capacity_unit.astype(bool)].reset_index(drop=True)
    several = {lid for lid, layer in catalog.items() if len(layer.kinds) > 1}
    kind = with_cap.kind.astype("category")  # each string column factorised once (slow in pandas)
    if "" not in kind.cat.categories:
        kind = kind.cat.add_categories([""])
    df = pd.DataFrame({"layer": with_cap.layer.astype("category"),
                       "unit": with_cap.capacity_unit.astype("category"),
                       "kind": kind.where(with_cap.layer.isin(several), ""),
                       "low": with_cap.capacity, "high": with_cap.capacity_max.fillna(with_cap.capacity)})
    keys = ["layer", "kind", "unit"]
    if by:
        df[by] = with_cap[by]
        keys.insert(0, by)
    return df.groupby(keys, observed=True).agg(low=("low", "sum"), high=("high", "sum"),
                                               sites=("low", "size"))


def _capacity_dict(found: dict, catalog: dict[str, Layer]) -> dict[str, dict]:
    """``{(layer, kind, unit): row with low, high, sites}`` -> capacity groups, in order."""
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
    strings = {c: "category" for c in ("layer", "kind", "status", "capacity_unit", "location_precision")
               if c in keep}  # each factorised once: grouping by strings is slow in pandas
    sites = pd.DataFrame(sites[keep]).astype(strings).assign(_unit=pd.Categorical(unit_codes.to_numpy()))
    per_unit = _unit_tables(sites, catalog)
    total = _unit_tables(sites.assign(_unit=pd.Categorical.from_codes(np.zeros(len(sites), int), ["total"])),
                         catalog)
    rows = [(u.code, u.name, per_unit) for u in units.itertuples()]
    if UNASSIGNED in per_unit["sites"]:
        rows.append((UNASSIGNED, "(chưa xác định / not determined)", per_unit))
    rows.append(("total", "Toàn tỉnh / Province", total))
    return [_one(code, name, t, catalog) for code, name, t in rows]


def _unit_tables(sites: pd.DataFrame, catalog: dict[str, Layer]) -> dict[str, dict]:
    """Every figure of :func:`_one` for all units at once (one groupby each), keyed by unit."""
    def size(*keys):
        return sites.groupby(list(keys), observed=True).size()

    t = {"sites": size("_unit").to_dict(), "counts": size("_unit", "layer").to_dict(),
         "verified": sites.groupby("_unit", observed=True).verified.mean().to_dict(),
         "precision": size("_unit", "location_precision").to_dict(), "status": {}, "capacity": {}}
    for (unit, lid, status), n in size("_unit", "layer", "status").items():
        t["status"].setdefault((unit, lid), {})[status] = int(n)
    sums = _capacity_sums(sites, catalog, by="_unit")
    for (unit, *key), row in zip(sums.index, sums.itertuples(), strict=True):
        t["capacity"].setdefault(unit, {})[tuple(key)] = row
    return t


def _one(code: str, name: str, t: dict, catalog: dict[str, Layer]) -> dict:
    layers, groups = {}, _capacity_dict(t["capacity"].get(code, {}), catalog)
    for lid in catalog:
        layers[lid] = {"count": int(t["counts"].get((code, lid), 0)),
                       "by_status": dict(t["status"].get((code, lid), {})),
                       "capacity": {k: c for k, c in groups.items() if c["layer"] == lid}}
    n = int(t["sites"].get(code, 0))
    return {"code": code, "name": name, "sites": n, "layers": layers, "capacity": groups,
            "verified_share": round(float(t["verified"][code]), 3) if n else None,
            "precision": {p: int(t["precision"].get((code, p), 0)) for p in PRECISIONS}}


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
