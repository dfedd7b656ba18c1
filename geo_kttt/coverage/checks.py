"""Completeness (known-missing versus zero) and data checks for environment officers.

"0 sites" in a district means one of three things, and the atlas says which:
``none`` (the report's count for the whole layer is all located, none here),
``missing`` (the report counts more sites than are located: some may be here),
``unknown`` (no report figure covers the whole layer, so nothing is known).
"""

from __future__ import annotations

import pandas as pd

from ..catalog import PRECISIONS
from ..crs import reproject
from ..i18n import LANGS, t
from ..sites import METRIC_CRS
from ..summary import reconcile
from ..text import fold
from .analysis import parse_serves
from .units import split_codes


class _View:
    """What :func:`geo_kttt.summary.reconcile` reads, over plain frames."""

    def __init__(self, frames):
        self.catalog, self._sites = frames.catalog, frames.sites

    def sites(self):
        return self._sites


def _state(figures: list[dict], reported: tuple) -> str:
    """``incomplete`` when a reported count is not all located; ``complete`` when a figure for
    the whole layer is all located; ``no_figure`` otherwise (figures only for a subset)."""
    if any(r["located"] < r["reported_count"] for r in figures):
        return "incomplete"
    whole = [r for r, rep in zip(figures, reported, strict=True)
             if not (rep.sites or rep.kind or rep.status)]
    return "complete" if whole else "no_figure"


def layer_completeness(frames) -> list[dict]:
    """Per layer: located vs reported, share verified, precision mix, and a state.

    Returns
    -------
    list of dict with ``layer``, ``located``, ``reported``, ``verified_share``, ``precision``
    (counts per precision), ``figures`` (the reconciliation rows of
    :func:`geo_kttt.summary.reconcile`) and ``state``: ``incomplete`` (located < reported for
    some figure), ``complete`` (a figure for the whole layer is all located) or ``no_figure``
    (no figure, or figures only for part of the layer, e.g. one kind).
    """
    rec = reconcile(_View(frames))
    out = []
    for lid, layer in frames.catalog.items():
        part = frames.sites[frames.sites.layer == lid]
        pairs = [(r, rep) for r, rep in zip([r for r in rec if r["layer"] == lid], layer.reported,
                                            strict=True) if r["reported_count"] is not None]
        figs = [r for r, _ in pairs]
        n = len(part)
        out.append({"layer": lid, "located": n,
                    "reported": sum(r["reported_count"] for r in figs) if figs else None,
                    "verified": int(part.verified.sum()),
                    "verified_share": round(float(part.verified.mean()), 3) if n else None,
                    "precision": {p: int((part.location_precision == p).sum()) for p in PRECISIONS},
                    "figures": figs, "state": _state(figs, tuple(rep for _, rep in pairs))})
    return out


def district_layer_states(frames, completeness: list[dict] | None = None) -> pd.DataFrame:
    """One row per district, per layer a count and a state: present, none, missing or unknown."""
    comp = {c["layer"]: c["state"] for c in (completeness or layer_completeness(frames))}
    zero = {"complete": "none", "incomplete": "missing", "no_figure": "unknown"}
    rows = []
    for d in frames.districts.itertuples():
        row = {"code": d.code, "name": d.name}
        for lid in frames.catalog:
            n = int(((frames.sites.layer == lid) & (frames.sites.district_code == d.code)).sum())
            row[lid] = n
            row[f"{lid}:state"] = "present" if n else zero[comp[lid]]
        rows.append(row)
    return pd.DataFrame(rows)


def _check(kind, site, **params) -> dict:
    """One finding, its detail in both languages (the string table's ``check_<kind>_detail``)."""
    return {"check": kind, "layer": site.layer, "id": site.id, "name": site.name_vi,
            **{f"detail_{lang}": t(f"check_{kind}_detail", lang).format(**params) for lang in LANGS}}


def outside_units(frames) -> list[dict]:
    """Sites with their own coordinate lying outside their declared district or commune."""
    own = frames.sites[frames.sites.position_source == "site coordinate"]
    if own.empty:
        return []
    own = reproject(own, METRIC_CRS)
    shapes = {("district", c): g for c, g in
              zip(frames.districts.code, reproject(frames.districts, METRIC_CRS).geometry, strict=True)}
    if frames.communes is not None:
        com = reproject(frames.communes, METRIC_CRS)
        shapes.update({("commune", c): g for code, g in zip(com.code, com.geometry, strict=True)
                       for c in split_codes(code)})
    out = []
    for s in own.itertuples():
        for level, code in (("district", s.district_code), ("commune", s.commune_code)):
            shape = shapes.get((level, code))
            d = s.geometry.distance(shape) if shape is not None else 0.0
            if d > 0:
                out.append(_check("outside", s, code=code, m=f"{d:.0f}", level=level))
    return out


def duplicates(frames) -> list[dict]:
    """Probable duplicates: same diacritic-folded name in the same commune (or district if none)."""
    s = frames.sites.assign(_key=frames.sites.name_vi.map(fold) + "@"
                            + frames.sites.commune_code.where(frames.sites.commune_code != "",
                                                              "d" + frames.sites.district_code))
    out = []
    for _, g in s[s.duplicated("_key", keep=False)].groupby("_key"):
        ids = ", ".join(g.id)
        for site in g.itertuples():
            out.append(_check("duplicate", site, ids=ids))
    return out


def without_source(frames) -> list[dict]:
    """Sites whose ``sources`` is empty."""
    empty = frames.sites[frames.sites.sources.fillna("").str.strip() == ""]
    return [_check("no_source", s) for s in empty.itertuples()]


def unknown_served_codes(frames) -> list[dict]:
    """Declared service areas naming codes that are not pre-2025 districts or communes."""
    known = set(frames.districts.code) | set(frames.commune_points.code)
    out = []
    for s in frames.sites.itertuples():
        bad = [c for c in parse_serves(getattr(s, "serves", "")) if c not in known]
        if bad:
            out.append(_check("serves_code", s, codes=", ".join(bad)))
    return out


def data_checks(frames) -> list[dict]:
    """Every data check, as rows with ``check``, ``layer``, ``id``, ``name``, details vi/en."""
    return outside_units(frames) + duplicates(frames) + without_source(frames) \
        + unknown_served_codes(frames)


__all__ = ["data_checks", "district_layer_states", "duplicates", "layer_completeness",
           "outside_units", "unknown_served_codes", "without_source"]
