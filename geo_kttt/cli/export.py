"""`geo-kttt export sheet|html|data|pack`: map sheets, standalone HTML, data files, packs."""

from __future__ import annotations

from pathlib import Path

from ..export.downloads import FORMATS, write_data
from ..export.pack import investor_pack, standalone_html
from ..export.selection import (
    SHEET_LANGS,
    Selection,
    file_stem,
    printer,
    quiet,
    scope_name,
    selection_from_query,
)
from ..export.sheet import render_sheet
from ..i18n import t
from ..store import open_atlas
from .common import paths, ui_lang


def _add_selection_args(p) -> None:
    p.add_argument("--layers", help="comma-separated layer ids (default: all)")
    p.add_argument("--district", help="a pre-2025 district code, e.g. 884 (default: the province)")
    p.add_argument("--bbox", help="min_lon,min_lat,max_lon,max_lat in degrees")
    p.add_argument("--status", help="comma-separated statuses, e.g. operating,pilot")
    p.add_argument("--verified", choices=["1", "0"], help="1: verified figures only; 0: unverified only")
    p.add_argument("-o", "--output", help="output file (default: a safe name in the current folder)")


def register(subparsers) -> None:
    """Add ``geo-kttt export sheet|html|data|pack``."""
    e = subparsers.add_parser("export", help="map sheets, standalone HTML, data files, investor packs")
    sub = e.add_subparsers(dest="export_command", required=True)
    s = sub.add_parser("sheet", help="print-ready map sheet (PDF or PNG)")
    _add_selection_args(s)
    s.add_argument("--lang", choices=SHEET_LANGS, help="sheet language(s) (default: the messages' language)")
    s.add_argument("--paper", choices=["A4", "A3"], default="A4")
    s.add_argument("--orientation", choices=["landscape", "portrait"], default="landscape")
    s.add_argument("--format", choices=["pdf", "png"], default="pdf")
    s.add_argument("--dpi", type=int, default=150, help="PNG resolution")
    h = sub.add_parser("html", help="one self-contained HTML map that opens offline")
    _add_selection_args(h)
    h.add_argument("--lang", choices=["vi", "en"], help="map language (default: the messages' language)")
    d = sub.add_parser("data", help="data file: gpkg, geojson, shp (zip), kml, kmz, csv, csvzip, xlsx")
    _add_selection_args(d)
    d.add_argument("--format", required=True, choices=list(FORMATS))
    d.add_argument("--crs", help="EPSG:9208 (VN-2000 / TM-3 104-45) or EPSG:3405 (VN-2000 / UTM 48N) "
                                 "for gpkg, shp, csv, csvzip, xlsx (default: WGS 84)")
    d.add_argument("--lang", choices=["vi", "en"],
                   help="language of the labels beside the codes and of the XLSX headers")
    k = sub.add_parser("pack", help="investor pack zip (sheets vi+en, HTML, XLSX, GeoPackage, README)")
    _add_selection_args(k)
    k.add_argument("--each-district", action="store_true",
                   help="one pack per district (plus the province) into the --output folder")
    for p, func in ((s, _cmd_sheet), (h, _cmd_html), (d, _cmd_data), (k, _cmd_pack)):
        p.set_defaults(func=func)


def _open(args):
    atlas = open_atlas(paths(args)[1])
    query = {k: getattr(args, k) for k in ("layers", "district", "bbox", "status", "verified")
             if getattr(args, k)}
    return atlas, selection_from_query(query, atlas)


def _out(args, atlas, sel, suffix: str) -> Path:
    """-o FILE, or the safe default name: in the current folder, or in -o FOLDER when it is one."""
    name = file_stem(atlas, sel) + suffix
    if args.output and Path(args.output).is_dir():
        return Path(args.output) / name
    return Path(args.output) if args.output else Path(name)


def _cmd_sheet(args) -> int:
    atlas, sel = _open(args)
    say, lang = printer(), ui_lang(args)
    sheet_lang = args.lang or lang
    dest = _out(args, atlas, sel, f"-map-{sheet_lang}.{args.format}")
    say(t("cli_drawing", lang).format(paper=args.paper, orientation=args.orientation, lang=sheet_lang))
    render_sheet(atlas, sel, dest, args.paper, args.orientation, sheet_lang, args.dpi)
    say(t("cli_wrote", lang).format(path=dest))
    return 0


def _cmd_html(args) -> int:
    atlas, sel = _open(args)
    lang = ui_lang(args)
    dest = _out(args, atlas, sel, "-map.html")
    standalone_html(atlas, sel, dest, lang)
    print(t("cli_wrote", lang).format(path=dest))
    return 0


def _cmd_data(args) -> int:
    atlas, sel = _open(args)
    lang = ui_lang(args)
    dest = _out(args, atlas, sel, FORMATS[args.format][0])
    write_data(atlas, sel, args.format, dest, lang, crs=args.crs)
    print(t("cli_wrote", lang).format(path=dest))
    return 0


def _cmd_pack(args) -> int:
    atlas, sel = _open(args)
    say, lang = printer(), ui_lang(args)
    if not args.each_district:
        investor_pack(atlas, sel, _out(args, atlas, sel, "-pack.zip"), say)
        return 0
    folder = Path(args.output or "packs")
    scopes = [sel] + [Selection(sel.layers, code, None, sel.statuses, sel.verified)
                      for code in atlas.districts().code]
    for i, one in enumerate(scopes, start=1):
        say(t("cli_pack_progress", lang).format(i=i, n=len(scopes), scope=scope_name(atlas, one, lang)))
        investor_pack(atlas, one, folder / f"{file_stem(atlas, one)}-pack.zip", quiet)
    say(t("cli_wrote_packs", lang).format(n=len(scopes), folder=folder))
    return 0
