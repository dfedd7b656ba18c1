"""Diacritic-insensitive search over sites, districts and communes (pre-2025 and 2025).

"chau doc", "CHAU DOC" and "Châu Đốc" all find Châu Đốc: names are folded with
:func:`geo_kttt.text.fold` and every word of the query must occur in the folded text.
"""

from __future__ import annotations

import weakref

import pandas as pd

from ..text import fold

_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
KIND_ORDER = {"site": 0, "district": 1, "commune": 2, "new_commune": 3}
POINT_PAD = 0.01  # degrees around a point-only commune (~1 km)
PREFIXES = ("thanh pho ", "thi xa ", "thi tran ", "huyen ", "phuong ", "xa ")


def _short(name: str) -> str:
    """A folded unit name without its type: 'thanh pho chau doc' -> 'chau doc'."""
    return next((name.removeprefix(p) for p in PREFIXES if name.startswith(p)), name)


def _bbox(geom) -> list | None:
    if geom is None or geom.is_empty:
        return None
    w, s, e, n = geom.bounds
    if w == e and s == n:
        w, s, e, n = w - POINT_PAD, s - POINT_PAD, e + POINT_PAD, n + POINT_PAD
    return [round(v, 6) for v in (w, s, e, n)]


def _entries(atlas) -> list[dict]:
    out = []
    for r in atlas.sites().itertuples():
        out.append({"kind": "site", "layer": r.layer, "id": r.id, "name_vi": r.name_vi,
                    "name_en": r.name_en, "district_code": r.district_code,
                    "lon": r.geometry.x, "lat": r.geometry.y,
                    "text": fold(f"{r.name_vi} {r.name_en} {r.id}")})
    for r in atlas.districts().itertuples():
        out.append({"kind": "district", "id": r.code, "name_vi": r.full_name, "name_en": r.full_name,
                    "bbox": _bbox(r.geometry), "text": fold(f"{r.full_name} {r.code}")})
    polys = atlas.communes()
    shapes = dict(zip(polys.code, polys.geometry, strict=True)) if polys is not None else {}
    for r in atlas.table("commune_points").itertuples():
        out.append({"kind": "commune", "id": r.code, "name_vi": r.full_name, "name_en": r.full_name,
                    "district_name": r.district_name,
                    "bbox": _bbox(shapes.get(r.code, r.geometry)),
                    "text": fold(f"{r.full_name} {r.code}")})
    new = atlas.table("new_communes")
    if new is not None:
        for r in new.itertuples():
            geom = r.geometry if r.geometry is not None and not pd.isna(r.geometry) else None
            out.append({"kind": "new_commune", "id": r.new_code, "name_vi": r.new_full_name,
                        "name_en": r.new_full_name, "bbox": _bbox(geom),
                        "text": fold(f"{r.new_full_name} {r.new_code}")})
    return out


def search(atlas, query: str, limit: int = 20) -> list[dict]:
    """Sites, districts and communes whose name contains every word of ``query``.

    Parameters
    ----------
    atlas : Atlas
    query : str
        Any case, with or without diacritics.
    limit : int

    Returns
    -------
    list of dict
        ``kind`` (site, district, commune, new_commune), ``id``, ``name_vi``, ``name_en``
        and where to go: ``layer``/``lon``/``lat`` for sites, ``bbox`` [w, s, e, n] for units.
        Best matches first: whole-name matches, then names starting with the query.
    """
    words = fold(query).split()
    if not words:
        return []
    if atlas not in _INDEX:
        _INDEX[atlas] = _entries(atlas)
    q = " ".join(words)
    hits = [e for e in _INDEX[atlas] if all(w in e["text"] for w in words)]

    def rank(e):
        name = fold(e["name_vi"])
        short = _short(name)
        return (0 if q in (name, short) else 1 if name.startswith(q) or short.startswith(q) else 2,
                KIND_ORDER[e["kind"]], name)
    return [{k: v for k, v in e.items() if k != "text"} for e in sorted(hits, key=rank)[:limit]]
