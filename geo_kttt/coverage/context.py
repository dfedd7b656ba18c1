"""Context beside coverage: sorting pilots, rice models, population and capacity per unit.

Population exists only per old district (research/districts.csv), so capacity per 1,000
inhabitants is given at district level and left unknown (None) elsewhere.
"""

from __future__ import annotations

import pandas as pd

from .units import split_codes

CONTEXT_LAYERS = ("sorting_pilots", "rice_models")
CAPACITY_UNIT = "t/day"


def _unit_codes(units) -> list[set]:
    return [{c for c, _ in m} for m in units.members]


def count_sites(units, sites: pd.DataFrame, level: str) -> tuple[list, list]:
    """Per unit: sites whose commune lies in it, and sites known only to a district it touches.

    A site known only to district level is counted for a district; for a commune it is
    only counted as "in the district, commune unknown" (never placed in a commune).
    """
    sites = sites[sites.status != "closed"]
    known = sites[sites.commune_code.fillna("") != ""]
    district_only = sites[sites.commune_code.fillna("") == ""]
    inside, vague = [], []
    for codes, m in zip(_unit_codes(units), units.members, strict=True):
        districts = {d for _, d in m}
        if level == "district":
            inside.append(int(sites.district_code.isin(districts).sum()))
            vague.append(0)
        else:
            inside.append(int(known.commune_code.isin(codes).sum()))
            vague.append(int(district_only.district_code.isin(districts).sum()))
    return inside, vague


def district_capacity(units, fac, frames) -> dict:
    """Capacity (t/day) located in each district, population and capacity per 1,000 inhabitants."""
    pop = pd.to_numeric(frames.districts.set_index("code").get("population"), errors="coerce")
    cap, known, n, per = [], [], [], []
    for code in units.code:
        here = fac[fac.district_code == code]
        with_cap = here[(here.capacity_unit == CAPACITY_UNIT) & here.capacity.notna()]
        total = float(with_cap.capacity.sum()) if len(with_cap) else None
        people = pop.get(code) if pop is not None else None
        cap.append(total)
        known.append(len(with_cap))
        n.append(len(here))
        ok = total is not None and people is not None and people == people and people > 0
        per.append(round(total / people * 1000, 4) if ok else None)
    population = [None if pop is None or pop.get(c) != pop.get(c) else int(pop.get(c)) for c in units.code]
    return {"population": population, "capacity_t_day": cap, "capacity_sites_known": known,
            "facilities_in_unit": n, "capacity_per_1000": per}


def add_context(units, frames, level: str, fac) -> pd.DataFrame:
    """Add pilot and rice-model counts, and (districts only) population and capacity."""
    units = units.copy()
    for lid in CONTEXT_LAYERS:
        if lid in frames.catalog:
            inside, vague = count_sites(units, frames.sites[frames.sites.layer == lid], level)
            units[lid] = inside
            units[f"{lid}_district_only"] = vague
    if level == "district":
        for col, values in district_capacity(units, fac, frames).items():
            units[col] = values
    else:
        for col in ("population", "capacity_t_day", "capacity_per_1000"):
            units[col] = None
        units["capacity_sites_known"] = 0
        units["facilities_in_unit"] = [
            int(fac.commune_code.isin(codes).sum()) for codes in _unit_codes(units)]
    return units


__all__ = ["add_context", "count_sites", "district_capacity", "split_codes"]
