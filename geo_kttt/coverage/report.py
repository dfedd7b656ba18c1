"""Coverage results as tables a person reads: bilingual columns and notes, CSV, XLSX, JSON.

Shared by ``geo-kttt coverage`` and the ``/coverage`` page, so both say the same thing.
"""

from __future__ import annotations

import io

import pandas as pd

from ..catalog import STATUSES
from ..text import safe_cell

HEADERS = {
    "code": ("Mã", "Code"),
    "name": ("Đơn vị", "Unit"),
    "district_name": ("Huyện (trước 2025)", "District (pre-2025)"),
    "served": ("Được phục vụ", "Served"),
    "basis": ("Căn cứ", "Basis"),
    "nearest": ("Cơ sở gần nhất", "Nearest facility"),
    "nearest_kind": ("Loại", "Kind"),
    "nearest_km": ("Khoảng cách (km)", "Distance (km)"),
    "distance_note": ("Ghi chú khoảng cách", "Distance note"),
    "served_by": ("Phục vụ bởi", "Served by"),
    "area_within_radius": ("Tỷ lệ diện tích trong bán kính (%)", "Area within radius (%)"),
    "sorting_pilots": ("Thí điểm phân loại rác", "Sorting pilots"),
    "rice_models": ("Mô hình lúa", "Rice models"),
    "population": ("Dân số", "Population"),
    "capacity_t_day": ("Công suất tại chỗ (tấn/ngày)", "Capacity located (t/day)"),
    "capacity_per_1000": ("Công suất/1.000 dân (tấn/ngày)", "Capacity per 1,000 inhabitants (t/day)"),
    "unit_note": ("Ghi chú", "Notes"),
}
BASIS = {"declared": ("địa bàn phục vụ theo quyết định", "declared service area"),
         "radius": ("trong bán kính phục vụ", "within service radius"),
         "none": ("chưa được phục vụ", "unserved")}
DISTANCE_NOTES = {
    "commune": ("khoảng cách gần đúng: vị trí cơ sở ở cấp xã",
                "distance approximate: facility position at commune level"),
    "district": ("khoảng cách gần đúng: vị trí cơ sở ở cấp huyện",
                 "distance approximate: facility position at district level"),
    "approximate": ("vị trí cơ sở gần đúng (vài trăm mét)",
                    "facility position approximate (a few hundred metres)"),
}
SHAPE_NOTES = {
    "partial": ("ranh giới gần đúng: có xã cũ bị chia cho nhiều xã mới",
                "approximate shape: an old commune was split between new ones"),
    "kien_giang": ("chỉ vẽ phần thuộc An Giang cũ", "only the part from old An Giang is drawn"),
    "missing": ("thiếu ranh giới một xã cũ", "an old commune has no polygon of its own"),
}
UNKNOWN_CAPACITY = ("không rõ (chỉ có dân số cấp huyện)", "unknown (population known only per district)")
YES_NO = {True: ("có", "yes"), False: ("không", "no")}


def _i(lang: str) -> int:
    return 0 if lang == "vi" else 1


def _count(n, vague, lang) -> str:
    if not vague:
        return str(n)
    return f"{n} (+{vague} " + ("trong huyện, chưa rõ xã)" if lang == "vi" else
                               "in the district, commune unknown)")


def _unit_note(r, level: str, lang: str) -> str:
    notes = [SHAPE_NOTES[k][_i(lang)] for k in str(r.shape_note or "").split(";") if k]
    if level != "district":
        pass
    elif r.capacity_per_1000 is None or r.capacity_per_1000 != r.capacity_per_1000:
        notes.append("công suất hoặc dân số chưa rõ" if lang == "vi" else "capacity or population unknown")
    elif r.capacity_sites_known < r.facilities_in_unit:
        notes.append(f"công suất biết {r.capacity_sites_known}/{r.facilities_in_unit} cơ sở" if lang == "vi"
                     else f"capacity known for {r.capacity_sites_known} of {r.facilities_in_unit} facilities")
    return "; ".join(notes)


def _row(r, cov, lang: str) -> dict:
    i = _i(lang)
    name = r.nearest_name_vi if lang == "vi" else r.nearest_name_en
    kinds = cov.kinds if hasattr(cov, "kinds") else {}
    share = r.area_within_radius
    return {
        "code": r.code, "name": r.name, "district_name": r.district_name or "",
        "served": YES_NO[bool(r.served)][i], "basis": BASIS[r.basis][i],
        "nearest": name or "", "nearest_kind": kinds.get(r.nearest_kind, {}).get(lang, r.nearest_kind or ""),
        "nearest_km": None if r.nearest_km != r.nearest_km else float(r.nearest_km),
        "distance_note": DISTANCE_NOTES.get(r.nearest_precision, ("", ""))[i],
        "served_by": r.served_by,
        "area_within_radius": None if share is None or share != share else round(share * 100, 1),
        "sorting_pilots": _count(r.sorting_pilots, r.sorting_pilots_district_only, lang),
        "rice_models": _count(r.rice_models, r.rice_models_district_only, lang),
        "population": r.population, "capacity_t_day": r.capacity_t_day,
        "capacity_per_1000": r.capacity_per_1000, "unit_note": _unit_note(r, cov.level, lang),
    }


def rows(cov, lang: str = "vi", headers: bool = False) -> pd.DataFrame:
    """One row per unit, unserved first then by distance; column keys, or headers in ``lang``."""
    df = pd.DataFrame([_row(r, cov, lang) for r in cov.units.itertuples()], columns=list(HEADERS))
    df = df.assign(_s=cov.units.served.values).sort_values(["_s", "nearest_km"], ascending=[True, False])
    df = df.drop(columns="_s").reset_index(drop=True)
    return df.rename(columns={k: v[_i(lang)] for k, v in HEADERS.items()}) if headers else df


def summary_lines(cov, lang: str = "vi") -> list[str]:
    """The parameters and caveats of a result, one sentence per line."""
    i = _i(lang)
    st = ", ".join(STATUSES[s][lang] for s in cov.statuses)
    radii = "; ".join(f"{k}: {v:g} km" for k, v in
                      cov.facilities.groupby("kind").radius_km.first().items())
    n, bad = len(cov.units), len(cov.unserved())
    level = {"commune": ("xã (trước 2025)", "commune (pre-2025)"),
             "district": ("huyện (trước 2025)", "district (pre-2025)"),
             "new-commune": ("xã mới (2025)", "new commune (2025)")}[cov.level][i]
    lines = [f"{'Lớp' if i == 0 else 'Layer'}: {cov.layer}; "
             f"{'tình trạng' if i == 0 else 'status'}: {st}; "
             f"{'bán kính' if i == 0 else 'radius'}: {radii or '-'}",
             (f"Cấp: {level}; {bad}/{n} đơn vị chưa được phục vụ" if i == 0 else
              f"Level: {level}; {bad} of {n} units unserved")]
    lines += [note[lang] for note in cov.notes]
    lines += pilot_lines(cov, lang)
    if cov.level != "district":
        lines.append(("Công suất/1.000 dân: " if i == 0 else "Capacity per 1,000 inhabitants: ")
                     + UNKNOWN_CAPACITY[i] + ".")
    lines.append("Khoảng cách đo bằng mét theo VN-2000 / TM-3 104-45 (EPSG:9208), từ điểm tham chiếu "
                 "của đơn vị." if i == 0 else "Distances measured in metres in VN-2000 / TM-3 104-45 "
                 "(EPSG:9208), from each unit's reference point.")
    return lines


def pilot_lines(cov, lang: str = "vi") -> list[str]:
    """Where sorting pilots are located; at district level, which districts have none located."""
    u = cov.units
    if "sorting_pilots" not in u:
        return []
    i = _i(lang)
    have = ", ".join(u.loc[u.sorting_pilots > 0, "name"]) or "-"
    if cov.level == "district":
        none = ", ".join(u.loc[u.sorting_pilots == 0, "name"]) or "-"
        return [("Huyện có thí điểm phân loại rác: " if i == 0 else
                 "Districts with a sorting pilot: ") + have,
                ("Huyện chưa có thí điểm nào được định vị: " if i == 0 else
                 "Districts with no sorting pilot located: ") + none]
    vague = sorted(set(u.loc[u.sorting_pilots_district_only > 0, "district_name"].dropna()))
    line = ("Đơn vị có thí điểm phân loại rác: " if i == 0 else "Units with a sorting pilot: ") + have
    if vague:
        line += ("; thêm thí điểm chỉ biết cấp huyện tại: " if i == 0 else
                 "; more pilots known only to district level in: ") + ", ".join(vague)
    return [line]


def to_csv(cov, lang: str = "vi") -> bytes:
    """CSV for Excel: UTF-8 with BOM, headers in ``lang``, formula-safe cells."""
    df = rows(cov, lang, headers=True).map(safe_cell)
    return df.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(cov, completeness: list[dict], checks: list[dict], lang: str = "vi") -> bytes:
    """A workbook: coverage, layer completeness, data checks and the parameters used."""
    buf = io.BytesIO()
    comp = pd.DataFrame([{k: c[k] for k in ("layer", "located", "reported", "verified",
                                             "verified_share", "state")} | c["precision"]
                         for c in completeness])
    chk = pd.DataFrame(checks, columns=["check", "layer", "id", "name", "detail_vi", "detail_en"])
    sheets = {"coverage": rows(cov, lang, headers=True), "completeness": comp, "checks": chk,
              "about": pd.DataFrame({"note": summary_lines(cov, lang)})}
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.map(safe_cell).to_excel(xw, sheet_name=name, index=False)
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
