"""The units coverage is computed for: old communes, old districts, new (2025) communes.

Each unit has a polygon (when known), a reference point in EPSG:9208 (``ref``) from which
distances are measured, and ``members``: the (old commune code, old district code) pairs
it is made of, so that declared service areas given in pre-2025 codes can be matched.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..admin import PROVINCE_CODE
from ..crs import reproject
from ..i18n import STRINGS
from ..sites import METRIC_CRS, district_points

LEVELS = ("commune", "district", "new-commune")
FALLBACK_NOTE = STRINGS["cov_fallback"]  # {vi, en}: said with every result at district level
COLUMNS = ["code", "name", "district_code", "district_name", "members", "ref", "shape_note",
           "geometry"]


def split_codes(code: str) -> list[str]:
    """'30376;30377;30378' (one polygon for several wards) -> ['30376', '30377', '30378']."""
    return [c.strip() for c in str(code).split(";") if c.strip()]


def _district_names(frames) -> dict:
    return dict(zip(frames.districts.code, frames.districts["name"], strict=True))


def commune_units(frames) -> gpd.GeoDataFrame:
    """Old communes from the commune polygons; reference point = the commune reference point."""
    com = reproject(frames.communes, METRIC_CRS).reset_index(drop=True)
    pts = reproject(frames.commune_points.set_index("code"), METRIC_CRS).geometry
    names = _district_names(frames)
    refs = []
    for code, geom in zip(com.code, com.geometry, strict=True):
        first = next((c for c in split_codes(code) if c in pts.index), None)
        refs.append(pts[first] if first else geom.representative_point())
    return gpd.GeoDataFrame({
        "code": com.code, "name": com["name"], "district_code": com.district_code,
        "district_name": com.district_code.map(names),
        "members": [[(c, d) for c in split_codes(code)]
                    for code, d in zip(com.code, com.district_code, strict=True)],
        "ref": refs, "shape_note": [""] * len(com), "geometry": com.geometry,
    }, geometry="geometry", crs=METRIC_CRS)


def district_units(frames) -> gpd.GeoDataFrame:
    """Old districts; reference point = the point inside the district used for district-level sites."""
    d = reproject(frames.districts, METRIC_CRS).reset_index(drop=True)
    refs = district_points(frames.districts)
    cp = frames.commune_points
    return gpd.GeoDataFrame({
        "code": d.code, "name": d["name"], "district_code": d.code, "district_name": d["name"],
        "members": [[(c, code) for c in cp.code[cp.district_code == code]] for code in d.code],
        "ref": [refs[c] for c in d.code], "shape_note": [""] * len(d), "geometry": d.geometry,
    }, geometry="geometry", crs=METRIC_CRS)


def unit_members(crosswalk: pd.DataFrame) -> dict:
    """New commune code -> [(old commune code, old district code)] for the old An Giang part."""
    ag = crosswalk[crosswalk.old_province_code == PROVINCE_CODE]
    return {k: list(zip(g.old_code, g.old_district_code, strict=True))
            for k, g in ag.groupby("new_code")}


def _new_shape_note(row, members, drawn: set) -> str:
    notes = []
    if str(row.has_partial_merge).lower() == "true":
        notes.append("partial")
    if str(row.n_old_units_from_pre2025_kien_giang) not in ("", "0"):
        notes.append("kien_giang")
    if any(c not in drawn for c, _ in members):
        notes.append("missing")
    return SEP.join(notes)


SEP = ";"


def new_commune_units(frames) -> gpd.GeoDataFrame:
    """2025 communes with an approximate shape (union of their old An Giang communes).

    ``shape_note`` lists, separated by ';': ``partial`` (an old commune was split between
    new ones, so shapes overlap), ``kien_giang`` (part came from old Kiên Giang and is not
    drawn), ``missing`` (an old commune has no polygon of its own in the data).
    """
    new = frames.new_communes
    new = reproject(new[new.geometry.notna()], METRIC_CRS).reset_index(drop=True)
    members = unit_members(frames.crosswalk)
    drawn = {c for code in frames.communes.code for c in split_codes(code)}
    names = _district_names(frames)
    mem = [members.get(code, []) for code in new.new_code]
    dcodes = ["".join(sorted({d for _, d in m})) if len({d for _, d in m}) == 1 else "" for m in mem]
    return gpd.GeoDataFrame({
        "code": new.new_code, "name": new.new_full_name, "district_code": dcodes,
        "district_name": [names.get(d, "") for d in dcodes], "members": mem,
        "ref": list(new.geometry.representative_point()),
        "shape_note": [_new_shape_note(r, m, drawn) for r, m in zip(new.itertuples(), mem, strict=True)],
        "geometry": new.geometry,
    }, geometry="geometry", crs=METRIC_CRS)


def load_units(frames, by: str):
    """The units for level ``by`` and the level actually used (district without polygons)."""
    have_polygons = frames.communes is not None and len(frames.communes)
    level = by if have_polygons else "district"
    if level == "new-commune" and (frames.new_communes is None
                                   or frames.new_communes.geometry.notna().sum() == 0):
        level = "district"
    make = {"commune": commune_units, "district": district_units,
            "new-commune": new_commune_units}[level]
    units = make(frames)
    units["ref"] = gpd.GeoSeries(units["ref"], crs=METRIC_CRS).values
    return units[COLUMNS], level
