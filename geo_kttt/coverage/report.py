"""Coverage results as tables a person reads: columns and notes in one language, CSV, XLSX, JSON.

Shared by ``geo-kttt coverage`` and the ``/coverage`` page, so both say the same thing. Every
word comes from the string table (``[coverage_report]``); numbers stay numbers in the frames
(CSV, XLSX) and are written for the language where people read them (:func:`geo_kttt.i18n.number`).
"""

from __future__ import annotations

import io

import pandas as pd

from ..catalog import STATUSES
from ..i18n import number, t
from ..io import xlsx_print_setup
from ..text import safe_cell

COLUMNS = ("code", "name", "district_name", "served", "basis", "nearest", "nearest_kind", "nearest_km",
           "distance_note", "served_by", "area_within_radius", "sorting_pilots", "rice_models",
           "population", "capacity_t_day", "capacity_per_1000", "unit_note")
# column -> its header in a language (kept as a mapping for the page and the callers)
HEADERS = {k: {lang: t(f"covh_{k}", lang) for lang in ("vi", "en")} for k in COLUMNS}
BASIS = ("declared", "radius", "none")
DISTANCE_NOTES = ("commune", "district", "approximate")  # the facility's precision -> a caveat
SHAPE_NOTES = ("partial", "kien_giang", "missing")
LEVEL_NAMES = ("commune", "district", "new-commune")


def basis_text(basis: str, lang: str) -> str:
    return t(f"basis_{basis}", lang)


def distance_note(precision, lang: str) -> str:
    return t(f"distance_note_{precision}", lang) if precision in DISTANCE_NOTES else ""


def _count(n, vague, lang) -> str:
    return t("cov_count_vague", lang).format(n=n, vague=vague) if vague else str(n)


def _unit_note(r, level: str, lang: str) -> str:
    notes = [t(f"shape_note_{k}", lang) for k in str(r.shape_note or "").split(";") if k in SHAPE_NOTES]
    if level != "district":
        pass
    elif r.capacity_per_1000 is None or r.capacity_per_1000 != r.capacity_per_1000:
        notes.append(t("cov_note_no_capacity", lang))
    elif r.capacity_sites_known < r.facilities_in_unit:
        notes.append(t("cov_note_capacity_known", lang).format(known=r.capacity_sites_known,
                                                                 total=r.facilities_in_unit))
    return "; ".join(notes)


def facility_names(cov, lang: str) -> dict:
    """Facility id -> its name in ``lang`` (units list their facilities by name, never by id)."""
    fac = cov.facilities
    return dict(zip(fac.id, fac[f"name_{lang}"], strict=True)) if len(fac) else {}


def _row(r, cov, lang: str, names: dict) -> dict:
    name = r.nearest_name_vi if lang == "vi" else r.nearest_name_en
    kinds = cov.kinds if hasattr(cov, "kinds") else {}
    share = r.area_within_radius
    served_by = [names.get(i, i) for i in str(r.served_by or "").split(" | ") if i]
    return {
        "code": r.code, "name": r.name, "district_name": r.district_name or "",
        "served": t("served_yes" if r.served else "served_no", lang), "basis": basis_text(r.basis, lang),
        "nearest": name or "", "nearest_kind": kinds.get(r.nearest_kind, {}).get(lang, r.nearest_kind or ""),
        "nearest_km": None if r.nearest_km != r.nearest_km else float(r.nearest_km),
        "distance_note": distance_note(r.nearest_precision, lang),
        "served_by": "; ".join(served_by),
        "area_within_radius": None if share is None or share != share else round(share * 100, 1),
        "sorting_pilots": _count(r.sorting_pilots, r.sorting_pilots_district_only, lang),
        "rice_models": _count(r.rice_models, r.rice_models_district_only, lang),
        "population": r.population, "capacity_t_day": r.capacity_t_day,
        "capacity_per_1000": r.capacity_per_1000, "unit_note": _unit_note(r, cov.level, lang),
    }


def rows(cov, lang: str = "vi", headers: bool = False) -> pd.DataFrame:
    """One row per unit, unserved first then by distance; column keys, or headers in ``lang``."""
    names = facility_names(cov, lang)
    df = pd.DataFrame([_row(r, cov, lang, names) for r in cov.units.itertuples()], columns=list(COLUMNS))
    df = df.assign(_s=cov.units.served.values).sort_values(["_s", "nearest_km"], ascending=[True, False])
    df = df.drop(columns="_s").reset_index(drop=True)
    return df.rename(columns={k: v[lang] for k, v in HEADERS.items()}) if headers else df


def layer_title(cov, lang: str) -> str:
    titles = getattr(cov, "titles", None) or {}
    return titles.get(lang, cov.layer)


def summary_lines(cov, lang: str = "vi") -> list[str]:
    """The parameters and caveats of a result, one sentence per line."""
    st = ", ".join(STATUSES[s][lang] for s in cov.statuses)
    kinds = cov.kinds if hasattr(cov, "kinds") else {}
    radii = "; ".join(f"{kinds.get(k, {}).get(lang, k)}: {number(v, lang)} km" for k, v in
                      cov.facilities.groupby("kind").radius_km.first().items())
    n, bad = len(cov.units), len(cov.unserved())
    lines = [t("cov_sum_params", lang).format(layer=layer_title(cov, lang), statuses=st, radii=radii or "-"),
             t("cov_sum_level", lang).format(level=t(f"cov_level_name_{cov.level}", lang),
                                             bad=number(bad, lang), n=number(n, lang))]
    lines += [note[lang] for note in cov.notes]
    lines += pilot_lines(cov, lang)
    if cov.level != "district":
        lines.append(t("cov_sum_capacity", lang))
    lines.append(t("cov_sum_metres", lang))
    return lines


def pilot_lines(cov, lang: str = "vi") -> list[str]:
    """Where sorting pilots are located; at district level, which districts have none located."""
    u = cov.units
    if "sorting_pilots" not in u:
        return []
    have = ", ".join(u.loc[u.sorting_pilots > 0, "name"]) or "-"
    if cov.level == "district":
        none = ", ".join(u.loc[u.sorting_pilots == 0, "name"]) or "-"
        return [t("cov_pilot_districts", lang) + have, t("cov_pilot_districts_none", lang) + none]
    vague = sorted(set(u.loc[u.sorting_pilots_district_only > 0, "district_name"].dropna()))
    line = t("cov_pilot_units", lang) + have
    if vague:
        line += t("cov_pilot_vague", lang) + ", ".join(vague)
    return [line]


def to_csv(cov, lang: str = "vi") -> bytes:
    """CSV for Excel: UTF-8 with BOM, headers in ``lang``, formula-safe cells."""
    df = rows(cov, lang, headers=True).map(safe_cell)
    return df.to_csv(index=False).encode("utf-8-sig")


COMPLETENESS = ("layer", "located", "reported", "verified", "verified_share", "state")
CHECKS = ("check", "layer", "id", "name", "detail")


def _completeness(completeness: list[dict], titles: dict, lang: str) -> pd.DataFrame:
    rows_ = []
    for c in completeness:
        row = {t(f"covx_{k}", lang): c[k] for k in COMPLETENESS}
        row[t("covx_layer", lang)] = titles.get(c["layer"], c["layer"])
        row[t("covx_state", lang)] = t(f"state_{c['state']}", lang)
        row |= {t(f"precision_{p}", lang): n for p, n in c["precision"].items()}
        rows_.append(row)
    return pd.DataFrame(rows_)


def _checks(checks: list[dict], titles: dict, lang: str) -> pd.DataFrame:
    return pd.DataFrame([[t(f"check_{c['check']}", lang), titles.get(c["layer"], c["layer"]), c["id"],
                          c["name"], c[f"detail_{lang}"]] for c in checks],
                        columns=[t(f"covx_{k}", lang) for k in CHECKS])


def to_xlsx(cov, completeness: list[dict], checks: list[dict], lang: str = "vi",
            titles: dict | None = None) -> bytes:
    """A workbook: coverage, layer completeness, data checks and the parameters used, with
    headers in ``lang`` and a print setup (landscape, fit to width, header row repeated)."""
    titles = titles or {}
    buf = io.BytesIO()
    sheets = {"coverage": rows(cov, lang, headers=True),
              "completeness": _completeness(completeness, titles, lang),
              "checks": _checks(checks, titles, lang),
              "about": pd.DataFrame({t("covx_note", lang): summary_lines(cov, lang)})}
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.map(safe_cell).to_excel(xw, sheet_name=name, index=False)
            xlsx_print_setup(xw.sheets[name])
    return buf.getvalue()


def to_json(cov, completeness=None, checks=None) -> dict:
    """Everything, language-neutral: parameters, notes, units (no geometry), unserved codes."""
    units = cov.units.drop(columns=["geometry", "ref"])
    units = units.astype(object).where(units.notna(), None)
    return {"layer": cov.layer, "statuses": list(cov.statuses), "level": cov.level,
            "requested_level": cov.requested, "notes": cov.notes,
            "radius_km": {r.id: r.radius_km for r in cov.facilities.itertuples()},
            "unserved": cov.unserved(), "units": units.to_dict(orient="records"),
            "completeness": completeness, "checks": checks}
