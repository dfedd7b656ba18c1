"""Exports for investment promotion: what to export (a :class:`Selection`), investor
packs, the standalone HTML map and the ``geo-kttt export`` commands.

Map sheets are drawn by :mod:`geo_kttt.sheet`, data files written by
:mod:`geo_kttt.downloads`; both are imported lazily so the CLI starts fast.
"""

from __future__ import annotations

import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from . import io
from .catalog import PRECISIONS, STATUSES
from .errors import AtlasError
from .i18n import register, t
from .text import nfc, slug

# The Vietnam - Cambodia / Mekong Delta window a bounding box must fall in (lon/lat).
REGION = (103.0, 8.0, 107.5, 11.5)
SHEET_LANGS = ("vi", "en", "both")
IMPRECISE = ("commune", "district")

register({
    "export_all_layers": {"vi": "tất cả các lớp", "en": "all layers"},
    "export_layers": {"vi": "Lớp", "en": "Layers"},
    "export_district": {"vi": "Huyện", "en": "District"},
    "export_status": {"vi": "Tình trạng", "en": "Status"},
    "export_verified": {"vi": "Số liệu đã kiểm chứng", "en": "Figures verified"},
    "export_bbox": {"vi": "Khung", "en": "Extent"},
    "export_yes": {"vi": "có", "en": "yes"},
    "export_no": {"vi": "không", "en": "no"},
    "export_province": {"vi": "Tỉnh An Giang", "en": "An Giang province"},
    "export_area": {"vi": "Vùng chọn", "en": "Selected area"},
    "export_no_filter": {"vi": "không lọc", "en": "no filter"},
})


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
        raise ExportError(f"bbox '{text}': give four numbers min_lon,min_lat,max_lon,max_lat "
                          "(e.g. bbox=105.0,10.3,105.5,10.7) with min < max")
    if box[0] < REGION[0] or box[1] < REGION[1] or box[2] > REGION[2] or box[3] > REGION[3]:
        raise ExportError(f"bbox '{text}' lies outside {REGION}: use longitude, latitude in "
                          "degrees (EPSG:4326) around An Giang")
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
        raise ExportError(f"layers: unknown {unknown}; allowed: {', '.join(atlas.catalog)}")
    statuses = _listarg(args, "status")
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ExportError(f"status: unknown {bad}; allowed: {', '.join(STATUSES)}")
    district = (args.get("district") or "").strip() or None
    codes = list(atlas.districts().code)
    if district and district not in codes:
        raise ExportError(f"district '{district}' is not a district code; use one of {', '.join(codes)}")
    verified = (args.get("verified") or "").strip().lower()
    if verified not in ("", "1", "0", "true", "false"):
        raise ExportError(f"verified '{verified}': use 1 (verified only), 0 (unverified only) or leave out")
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
        parts.append(f"{t('export_bbox', lang)}: " + ", ".join(f"{v:.4f}" for v in sel.bbox))
    return "; ".join(parts) or t("export_no_filter", lang)


def precision_note(lang: str) -> str:
    """One line saying what a hollow marker means."""
    names = " / ".join(PRECISIONS[p][lang] for p in IMPRECISE)
    if lang == "en":
        return f"Hollow markers: location known only to {names}; drawn at a reference point."
    return f"Ký hiệu rỗng: vị trí chỉ biết đến {names.lower()}; đặt tại điểm tham chiếu."


Progress = Callable[[str], None]


def quiet(_msg: str) -> None:
    """A progress callback that says nothing."""


def printer(stream=None) -> Progress:
    """A progress callback printing elapsed seconds and a message to stderr."""
    start = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=stream or sys.stderr, flush=True)
    return say


def investor_pack(atlas, sel: Selection, dest: Path, progress: Progress = quiet) -> Path:
    """One zip for a district or the province, for investors.

    Holds the map sheet PDF in Vietnamese and in English, the standalone HTML map,
    the XLSX workbook, the GeoPackage and a README. Written atomically.

    Parameters
    ----------
    atlas : Atlas
    sel : Selection
    dest : Path
        The ``.zip`` to write.
    progress : callable, optional
        Called with a short message before each step.
    """
    from . import downloads, sheet

    stem = file_stem(atlas, sel)
    dest = Path(dest)
    with io.atomic_path(dest) as tmp, tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        files = []
        for lang in ("vi", "en"):
            progress(f"map sheet PDF ({lang})")
            files.append(sheet.render_sheet(atlas, sel, work / f"{stem}-map-{lang}.pdf", lang=lang))
        for lang in ("vi", "en"):
            progress(f"standalone HTML map ({lang})")
            files.append(standalone_html(atlas, sel, work / f"{stem}-map-{lang}.html", lang=lang))
        for fmt in ("xlsx", "gpkg"):
            progress(f"data ({fmt})")
            files.append(downloads.write_data(atlas, sel, fmt, work / f"{stem}.{fmt}"))
        readme = work / "README.txt"
        readme.write_text(pack_readme(atlas, sel, [f.name for f in files]), encoding="utf-8")
        progress("zip")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for f in [readme, *files]:
                z.write(f, f"{stem}/{f.name}")
    progress(f"wrote {dest}")
    return dest


PACK_FILES = {  # file name ending -> (Vietnamese, English) description
    "-map-vi.pdf": ("Bản đồ in khổ A4, tiếng Việt", "Printable A4 map sheet, Vietnamese"),
    "-map-en.pdf": ("Bản đồ in khổ A4, tiếng Anh", "Printable A4 map sheet, English"),
    "-map-vi.html": ("Bản đồ tương tác tiếng Việt, mở bằng trình duyệt, dùng được khi không có mạng",
                     "Interactive map, Vietnamese: open in a web browser; works offline"),
    "-map-en.html": ("Bản đồ tương tác tiếng Anh, mở bằng trình duyệt, dùng được khi không có mạng",
                     "Interactive map, English: open in a web browser; works offline"),
    ".xlsx": ("Bảng tính: mỗi lớp một trang, trang 'about' giải thích các trường và nguồn",
              "Workbook: a sheet per layer, plus 'about' (fields, sources, licences)"),
    ".gpkg": ("GeoPackage cho QGIS/ArcGIS: mỗi lớp một bảng",
              "GeoPackage for QGIS/ArcGIS: a table per layer"),
}


def pack_readme(atlas, sel: Selection, names: list[str]) -> str:
    """The investor pack's README: contents, then the atlas facts in Vietnamese and English."""
    from .downloads import about_lines

    lines = [f"{atlas.metadata['title_vi']} - Bộ tài liệu nhà đầu tư / Investor pack",
             f"{scope_name(atlas, sel, 'vi')} / {scope_name(atlas, sel, 'en')}", "=" * 60, "",
             "Nội dung / Contents:"]
    for name in names:
        vi, en = next((d for end, d in PACK_FILES.items() if name.endswith(end)), ("", ""))
        lines += [f"  {name}", f"      {vi}", f"      {en}"]
    for lang in ("vi", "en"):
        lines += ["", "-" * 60] + about_lines(atlas, sel, lang)
    return "\n".join(lines) + "\n"


def standalone_html(atlas, sel: Selection, dest: Path, lang: str = "vi") -> Path:
    """One self-contained HTML file of the map (assets and data inlined). Atomic."""
    from .standalone import render_standalone

    html = render_standalone(atlas, sel, lang)
    with io.atomic_path(Path(dest)) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(dest)


def _add_selection_args(p) -> None:
    p.add_argument("--layers", help="comma-separated layer ids (default: all)")
    p.add_argument("--district", help="a pre-2025 district code, e.g. 884 (default: the province)")
    p.add_argument("--bbox", help="min_lon,min_lat,max_lon,max_lat in degrees")
    p.add_argument("--status", help="comma-separated statuses, e.g. operating,pilot")
    p.add_argument("--verified", choices=["1", "0"], help="1: verified figures only; 0: unverified only")
    p.add_argument("-o", "--output", help="output file (default: a safe name in the current folder)")


def register_cli(subparsers) -> None:
    """Add ``geo-kttt export sheet|html|data|pack``."""
    e = subparsers.add_parser("export", help="map sheets, standalone HTML, data files, investor packs")
    sub = e.add_subparsers(dest="export_command", required=True)
    s = sub.add_parser("sheet", help="print-ready map sheet (PDF or PNG)")
    _add_selection_args(s)
    s.add_argument("--lang", choices=SHEET_LANGS, default="vi", help="sheet language(s)")
    s.add_argument("--paper", choices=["A4", "A3"], default="A4")
    s.add_argument("--orientation", choices=["landscape", "portrait"], default="landscape")
    s.add_argument("--format", choices=["pdf", "png"], default="pdf")
    s.add_argument("--dpi", type=int, default=150, help="PNG resolution")
    h = sub.add_parser("html", help="one self-contained HTML map that opens offline")
    _add_selection_args(h)
    h.add_argument("--lang", choices=["vi", "en"], default="vi")
    d = sub.add_parser("data", help="data file: gpkg, geojson, shp (zip), kml, csv, xlsx")
    _add_selection_args(d)
    d.add_argument("--format", required=True, choices=["gpkg", "geojson", "shp", "kml", "csv", "xlsx"])
    k = sub.add_parser("pack", help="investor pack zip (sheets vi+en, HTML, XLSX, GeoPackage, README)")
    _add_selection_args(k)
    k.add_argument("--each-district", action="store_true",
                   help="one pack per district (plus the province) into the --output folder")
    for p, func in ((s, _cmd_sheet), (h, _cmd_html), (d, _cmd_data), (k, _cmd_pack)):
        p.set_defaults(func=func)


def _open(args):
    from . import settings
    from .store import open_atlas

    atlas = open_atlas(args.database or settings.get("DATABASE_URL") or settings.path("ATLAS", args.atlas))
    query = {k: getattr(args, k) for k in ("layers", "district", "bbox", "status", "verified")
             if getattr(args, k)}
    return atlas, selection_from_query(query, atlas)


def _out(args, atlas, sel, suffix: str) -> Path:
    return Path(args.output) if args.output else Path(file_stem(atlas, sel) + suffix)


def _cmd_sheet(args) -> int:
    from .sheet import render_sheet

    atlas, sel = _open(args)
    say = printer()
    dest = _out(args, atlas, sel, f"-map-{args.lang}.{args.format}")
    say(f"drawing {args.paper} {args.orientation} sheet ({args.lang})")
    render_sheet(atlas, sel, dest, args.paper, args.orientation, args.lang, args.dpi)
    say(f"wrote {dest}")
    return 0


def _cmd_html(args) -> int:
    atlas, sel = _open(args)
    dest = _out(args, atlas, sel, "-map.html")
    standalone_html(atlas, sel, dest, args.lang)
    print(f"wrote {dest}")
    return 0


def _cmd_data(args) -> int:
    from .downloads import FORMATS, write_data

    atlas, sel = _open(args)
    dest = _out(args, atlas, sel, FORMATS[args.format][0])
    write_data(atlas, sel, args.format, dest)
    print(f"wrote {dest}")
    return 0


def _cmd_pack(args) -> int:
    atlas, sel = _open(args)
    say = printer()
    if not args.each_district:
        investor_pack(atlas, sel, _out(args, atlas, sel, "-pack.zip"), say)
        return 0
    folder = Path(args.output or "packs")
    scopes = [sel] + [Selection(sel.layers, code, None, sel.statuses, sel.verified)
                      for code in atlas.districts().code]
    for i, one in enumerate(scopes, start=1):
        say(f"pack {i}/{len(scopes)}: {scope_name(atlas, one, 'en')}")
        investor_pack(atlas, one, folder / f"{file_stem(atlas, one)}-pack.zip", quiet)
    say(f"wrote {len(scopes)} packs in {folder}")
    return 0
