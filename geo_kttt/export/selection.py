"""Exports for investment promotion: what to export (a :class:`Selection`), investor
packs, the standalone HTML map and the ``geo-kttt export`` commands.

This module is the first of these, the one model the others build on: the selection read
from a query string, and the sites, districts, names, words and progress callbacks every
export takes from it. It imports nothing of its family (packs: :mod:`.pack`, the commands:
:mod:`geo_kttt.cli.export`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
from shapely.geometry import box

from ..catalog import PRECISIONS, STATUSES
from ..errors import AtlasError
from ..i18n import Code, Codes, Msg, number, t
from ..text import nfc, slug

# The Vietnam - Cambodia / Mekong Delta window a bounding box must fall in (lon/lat).
REGION = (103.0, 8.0, 107.5, 11.5)
SHEET_LANGS = ("vi", "en", "both")
IMPRECISE = ("commune", "district")


class ExportError(AtlasError, ValueError):
    """A request that cannot be exported; the message names the parameter and the fix."""

    http_status = 400


@dataclass(frozen=True)
class Selection:
    """What to export: layers, extent (one district or a lon/lat box) and filters.

    Empty ``layers`` or ``statuses`` mean all; ``verified=None`` means both.
    """

    layers: tuple = ()
    district: str | None = None
    bbox: tuple | None = None
    statuses: tuple = ()
    verified: bool | None = None

    def layer_ids(self, catalog: Mapping) -> list[str]:
        """The chosen layer ids in catalog order."""
        return [lid for lid in catalog if not self.layers or lid in self.layers]

    def query(self) -> dict:
        """The query-string form (the inverse of :func:`selection_from_query`)."""
        q = {}
        if self.layers:
            q["layers"] = ",".join(self.layers)
        if self.district:
            q["district"] = self.district
        if self.bbox:
            q["bbox"] = ",".join(f"{v:g}" for v in self.bbox)
        if self.statuses:
            q["status"] = ",".join(self.statuses)
        if self.verified is not None:
            q["verified"] = "1" if self.verified else "0"
        return q


def _listarg(args: Mapping, name: str) -> list[str]:
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name) or ""]
    return [v.strip() for raw in values for v in str(raw).split(",") if v.strip()]


def _bbox(text: str) -> tuple:
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]):
        raise ExportError(Msg("err_bbox_shape", value=text))
    if box[0] < REGION[0] or box[1] < REGION[1] or box[2] > REGION[2] or box[3] > REGION[3]:
        raise ExportError(Msg("err_bbox_region", value=text, region=REGION))
    return box


def selection_from_query(args: Mapping, atlas) -> Selection:
    """Read a :class:`Selection` from query-string style arguments.

    Parameters
    ----------
    args : Mapping
        ``layers`` (comma list), ``district`` (GSO code), ``bbox``
        (min_lon,min_lat,max_lon,max_lat), ``status`` (comma list), ``verified`` (1/0).
    atlas : Atlas
        Used to check layer ids and district codes.

    Raises
    ------
    ExportError
        Naming the parameter, the bad value and the allowed values.
    """
    layers = _listarg(args, "layers") + _listarg(args, "layer")
    unknown = [v for v in layers if v not in atlas.catalog]
    if unknown:
        raise ExportError(Msg("err_unknown_values", name=Code("layers"), bad=Codes(unknown),
                              allowed=Codes(atlas.catalog)))
    statuses = _listarg(args, "status")
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ExportError(Msg("err_unknown_values", name=Code("status"), bad=Codes(bad),
                              allowed=Codes(STATUSES)))
    district = (args.get("district") or "").strip() or None
    codes = list(atlas.districts().code)
    if district and district not in codes:
        raise ExportError(Msg("err_export_district", code=district,
                              allowed=Codes(codes)))
    verified = (args.get("verified") or "").strip().lower()
    if verified not in ("", "1", "0", "true", "false"):
        raise ExportError(Msg("err_export_verified", value=verified))
    bbox = _bbox(args["bbox"]) if args.get("bbox") else None
    return Selection(tuple(dict.fromkeys(layers)), district, bbox, tuple(dict.fromkeys(statuses)),
                     None if verified == "" else verified in ("1", "true"))


def select_sites(atlas, sel: Selection) -> gpd.GeoDataFrame:
    """The sites of the chosen layers inside the extent that pass the filters."""
    sites = atlas.sites()
    keep = sites.layer.isin(sel.layer_ids(atlas.catalog))
    if sel.district:
        keep &= sites.district_code == sel.district
    if sel.statuses:
        keep &= sites.status.isin(sel.statuses)
    if sel.verified is not None:
        keep &= sites.verified == sel.verified
    if sel.bbox:
        x, y = sites.geometry.x, sites.geometry.y
        keep &= x.between(sel.bbox[0], sel.bbox[2]) & y.between(sel.bbox[1], sel.bbox[3])
    return sites[keep].reset_index(drop=True)


def extent_districts(atlas, sel: Selection) -> gpd.GeoDataFrame:
    """The districts the extent covers: one, those meeting the box, or all."""
    d = atlas.districts()
    if sel.district:
        return d[d.code == sel.district].reset_index(drop=True)
    if sel.bbox:
        return d[d.intersects(box(*sel.bbox))].reset_index(drop=True)
    return d


def scope_name(atlas, sel: Selection, lang: str) -> str:
    """'Tỉnh An Giang', the district's name, or 'Vùng chọn' for a box."""
    if sel.district:
        return nfc(extent_districts(atlas, sel).iloc[0]["name"])
    return t("export_area" if sel.bbox else "export_province", lang)


def file_stem(atlas, sel: Selection) -> str:
    """A safe ASCII stem for file names: 'kttt-an-giang', 'kttt-884-chau-doc', 'kttt-area'."""
    if sel.district:
        return f"kttt-{sel.district}-{slug(scope_name(atlas, sel, 'vi'))}"
    return "kttt-area" if sel.bbox else "kttt-an-giang"


def describe(atlas, sel: Selection, lang: str) -> str:
    """The active filters in words, for footers and READMEs."""
    parts = []
    if sel.layers:
        names = [atlas.catalog[lid].title[lang] for lid in sel.layer_ids(atlas.catalog)]
        parts.append(f"{t('export_layers', lang)}: {', '.join(names)}")
    if sel.district:
        parts.append(f"{t('export_district', lang)}: {scope_name(atlas, sel, lang)} ({sel.district})")
    if sel.statuses:
        parts.append(f"{t('export_status', lang)}: {', '.join(STATUSES[s][lang] for s in sel.statuses)}")
    if sel.verified is not None:
        yes = t("export_yes" if sel.verified else "export_no", lang)
        parts.append(f"{t('export_verified', lang)}: {yes}")
    if sel.bbox:
        parts.append(f"{t('export_bbox', lang)}: " + "; ".join(number(v, lang, 4) for v in sel.bbox))
    return "; ".join(parts) or t("export_no_filter", lang)


def precision_note(lang: str) -> str:
    """One line saying what a hollow marker means."""
    names = " / ".join(PRECISIONS[p][lang] for p in IMPRECISE)
    return t("sheet_hollow", lang).format(names=names.lower() if lang == "vi" else names)


Progress = Callable[[str], None]


def quiet(_msg: str) -> None:
    """A progress callback that says nothing."""


def printer(stream=None) -> Progress:
    """A progress callback printing elapsed seconds and a message to stderr."""
    start = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=stream or sys.stderr, flush=True)
    return say
