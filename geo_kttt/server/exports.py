"""Export endpoints: map sheets, standalone HTML, data files and investor packs.

Every endpoint reads the current selection from the query string (``layers``,
``district``, ``bbox``, ``status``, ``verified``; see docs/exports.md), writes the file
into a temporary folder and returns it with an ASCII file name and its content type.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, send_file

from ..export.downloads import FORMATS, write_data
from ..export.grid import export_crs
from ..export.pack import investor_pack, standalone_html
from ..export.selection import describe, file_stem, selection_from_query
from ..export.sheet import render_sheet
from ..i18n import Code, Codes, Msg, t
from .common import get_atlas
from .hardening import query_url

bp = Blueprint("exports", __name__, url_prefix="/export")

SHEET_FORMATS = {"pdf": "application/pdf", "png": "image/png"}
DATA_LABELS = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile (zip)",
               "kml": "KML (Google Earth)", "kmz": "KMZ (Google Earth, offline)", "csv": "CSV (Excel)",
               "csvzip": "CSV + .csvt (QGIS/GDAL, zip)", "xlsx": "XLSX (Excel)"}
# The coordinate systems the data form offers (formats that carry a CRS; see export.grid).
CRS_LABELS = {"EPSG:4326": "WGS 84 (kinh độ/vĩ độ, lon/lat)",
              "EPSG:9208": "VN-2000 / TM-3 104-45 (EPSG:9208)",
              "EPSG:3405": "VN-2000 / UTM 48N (EPSG:3405)"}


FILTER_KEYS = ("layers", "district", "bbox", "status", "verified")


@bp.app_context_processor
def _template_helpers():
    """``export_t`` and the panel's data for templates that include exports/_panel.html."""
    return {"export_t": lambda key: t(key, g.get("lang", "vi")), "export_filter_keys": FILTER_KEYS,
            "export_data_labels": DATA_LABELS, "export_crs_labels": CRS_LABELS}


def _selection():
    atlas = get_atlas()
    return atlas, selection_from_query(request.args, atlas)


def _choice(name: str, allowed, default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        abort(400, Msg("err_choice", name=Code(name), allowed=Codes(allowed)))
    return value


def _send(make, name: str, mimetype: str):
    """Run ``make(path)`` in a scratch folder and send the file's bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / name
        make(path)  # an ExportError becomes a 400 page in the app's error handler
        data = path.read_bytes()
    resp = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    resp.headers["Content-Type"] = mimetype  # as given: Flask would add a second charset
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/")
def panel():
    """A page with just the export panel (the map and district pages include the partial)."""
    atlas, sel = _selection()
    return render_template("exports/panel.html", export_query=sel.query(), export_no_map=True,
                           export_filters=describe(atlas, sel, g.lang))


@bp.get("/sheet.<fmt>")
def sheet(fmt):
    """The map sheet as PDF or PNG."""
    if fmt not in SHEET_FORMATS:
        abort(404)
    atlas, sel = _selection()
    paper = _choice("paper", ("A4", "A3"), "A4")
    orientation = _choice("orientation", ("landscape", "portrait"), "landscape")
    lang = _choice("sheet_lang", ("vi", "en", "both"), g.lang)
    name = f"{file_stem(atlas, sel)}-map-{lang}-{paper.lower()}.{fmt}"
    return _send(lambda p: render_sheet(atlas, sel, p, paper, orientation, lang), name,
                 SHEET_FORMATS[fmt])


@bp.get("/data.<fmt>")
def data(fmt):
    """The selection as a data file."""
    if fmt not in FORMATS:
        abort(404)
    atlas, sel = _selection()
    crs = export_crs(request.args.get("crs"), fmt)  # a 400 naming the allowed ones
    suffix, mimetype = FORMATS[fmt]
    grid = f"-{crs.split(':')[1]}" if crs else ""
    return _send(lambda p: write_data(atlas, sel, fmt, p, g.lang, crs=crs),
                 file_stem(atlas, sel) + grid + suffix, mimetype)


@bp.get("/data")
def data_form():
    """The data form (format and CRS, works without JavaScript): redirects to /export/data.<fmt>."""
    fmt = _choice("format", FORMATS, "gpkg")
    changes = {"format": None}  # the other parameters as a query string, never url_for arguments
    if request.args.get("crs") in ("", "EPSG:4326"):
        changes["crs"] = None
    return redirect(query_url("exports.data", {"fmt": fmt}, **changes))


@bp.get("/map.html")
def html_map():
    """The standalone HTML map (all assets inlined)."""
    atlas, sel = _selection()
    return _send(lambda p: standalone_html(atlas, sel, p, g.lang), f"{file_stem(atlas, sel)}-map.html",
                 "text/html; charset=utf-8")


@bp.get("/pack.zip")
def pack():
    """The investor pack for the district or the province."""
    atlas, sel = _selection()
    return _send(lambda p: investor_pack(atlas, sel, p), f"{file_stem(atlas, sel)}-pack.zip",
                 "application/zip")
