"""What QGIS reads from an exported GeoPackage: default styles (``layer_styles``) and metadata.

QGIS opens a GeoPackage layer with the style marked ``useAsDefault`` in the ``layer_styles``
table (the table and columns QGIS itself writes) and shows the QGIS metadata document that
``gpkg_metadata`` holds for the table (``md_standard_uri`` ``http://mrcc.com/qgis.dtd``, the
metadata extension of GeoPackage 1.2) in Layer Properties > Metadata / Information.

The styles follow the web map: each site layer a categorised renderer on
``location_precision``: a disc of the layer's colour with a white rim and the layer's
symbol (``web/static/img/icons.svg``) in white for exact/approximate positions, a hollow
white disc with a dashed ring and the symbol in the layer's colour for commune/district
positions; districts as dark outlines labelled with their names, communes as thin grey
outlines. The QML is written as QGIS 3.x reads it (``<prop k v>`` symbol properties).

Imports nothing of its family; :mod:`.downloads` calls :func:`style_geopackage`.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from pyproj import CRS

from ..catalog import FIELDS, PRECISIONS
from ..web import STATIC

ICONS_SVG = STATIC / "img" / "icons.svg"
SVG_NS = "http://www.w3.org/2000/svg"
QGIS_DTD = "http://mrcc.com/qgis.dtd"
MARKER_MM, ICON_MM = 5.5, 3.0
DISTRICT_LINE, COMMUNE_LINE = "60,60,60,255", "150,150,150,255"
LAYER_STYLES_DDL = (  # exactly as QGIS 3.22 creates it in a GeoPackage
    'CREATE TABLE IF NOT EXISTS "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"
HOLLOW = ("commune", "district")


def _rgba(hex_rgb: str, alpha: int = 255) -> str:
    """#rrggbb -> QGIS's 'r,g,b,a'."""
    return ",".join(str(int(hex_rgb[i:i + 2], 16)) for i in (1, 3, 5)) + f",{alpha}"


def icon_svg(icon: str, color: str) -> str:
    """A standalone SVG of the symbol ``icon`` of icons.svg (``dot`` if unknown), in ``color``."""
    ET.register_namespace("", SVG_NS)
    root = ET.parse(ICONS_SVG).getroot()
    symbols = {s.get("id"): s for s in root.iter(f"{{{SVG_NS}}}symbol")}
    sym = symbols.get(icon, symbols["dot"])
    svg = ET.Element(f"{{{SVG_NS}}}svg", width="24", height="24", viewBox=sym.get("viewBox", "0 0 24 24"))
    svg.extend(list(sym))
    text = ET.tostring(svg, encoding="unicode")
    return text.replace("currentColor", color).replace('fill="#fff"', f'fill="{_invert(color)}"')


def _invert(color: str) -> str:
    """The contrasting detail colour (the fish's eye): the disc's colour on a white symbol."""
    return "#ffffff" if color.lower() != "#ffffff" else "#000000"


def _layer(symbol, cls: str, props: dict) -> None:
    el = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    for k, v in props.items():
        ET.SubElement(el, "prop", k=k, v=str(v))


def _marker(name: str, color: str, icon: str, hollow: bool) -> ET.Element:
    """The web map's badge: halo, disc and symbol (filled), or a dashed ring (hollow)."""
    sym = ET.Element("symbol", {"name": name, "type": "marker", "alpha": "1", "clip_to_extent": "1",
                                "force_rhr": "0"})
    base = {"angle": "0", "horizontal_anchor_point": "1", "vertical_anchor_point": "1",
            "offset": "0,0", "offset_unit": "MM", "size_unit": "MM", "outline_width_unit": "MM",
            "scale_method": "diameter"}
    if not hollow:
        _layer(sym, "SimpleMarker", {**base, "name": "circle", "color": "0,0,0,115", "outline_style": "no",
                                     "outline_color": "0,0,0,0", "outline_width": "0",
                                     "size": f"{MARKER_MM + 0.5}"})
    _layer(sym, "SimpleMarker", {
        **base, "name": "circle", "size": f"{MARKER_MM}",
        "color": "255,255,255,217" if hollow else _rgba(color),
        "outline_color": _rgba(color) if hollow else "255,255,255,255",
        "outline_style": "dash" if hollow else "solid", "outline_width": "0.55" if hollow else "0.5",
        "joinstyle": "miter", "cap_style": "flat"})
    svg = icon_svg(icon, color if hollow else "#ffffff")
    _layer(sym, "SvgMarker", {**base, "name": "base64:" + base64.b64encode(svg.encode()).decode(),
                              "size": f"{ICON_MM}", "color": _rgba(color), "outline_color": "0,0,0,0",
                              "outline_width": "0", "fixedAspectRatio": "0"})
    return sym


def _qgis_root(labels: bool = False) -> ET.Element:
    return ET.Element("qgis", {"version": "3.22.0", "styleCategories": "Symbology|Labeling|Fields",
                               "labelsEnabled": "1" if labels else "0"})


def _aliases(root, columns: list[str], lang: str) -> None:
    """Field aliases from the catalogue's labels (Vietnamese first, as the atlas)."""
    aliases = ET.SubElement(root, "aliases")
    i = 2 if lang == "vi" else 3
    for index, name in enumerate(columns):
        label = FIELDS[name][i] if name in FIELDS else ""
        if label:
            ET.SubElement(aliases, "alias", field=name, index=str(index), name=label)


def _qml(root) -> str:
    return f"<!DOCTYPE qgis PUBLIC '{QGIS_DTD}' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def site_qml(layer, columns: list[str]) -> str:
    """The default style of one site layer: categories by ``location_precision``."""
    root = _qgis_root()
    renderer = ET.SubElement(root, "renderer-v2", {"type": "categorizedSymbol", "attr": "location_precision",
                                                   "forceraster": "0", "symbollevels": "0",
                                                   "enableorderby": "0", "referencescale": "-1"})
    cats, syms = ET.SubElement(renderer, "categories"), ET.SubElement(renderer, "symbols")
    for i, (p, words) in enumerate(PRECISIONS.items()):
        ET.SubElement(cats, "category", value=p, symbol=str(i), render="true",
                      label=f"{layer.title['vi']}: {words['vi'].lower()} / {words['en'].lower()}")
        syms.append(_marker(str(i), layer.color, layer.icon, p in HOLLOW))
    ET.SubElement(root, "previewExpression").text = '"name_vi"'
    _aliases(root, columns, "vi")
    return _qml(root)


def _fill(name: str, line: str, width: str, style: str = "solid") -> ET.Element:
    sym = ET.Element("symbol", {"name": name, "type": "fill", "alpha": "1", "clip_to_extent": "1",
                                "force_rhr": "0"})
    _layer(sym, "SimpleFill", {"style": "no", "color": "255,255,255,0", "outline_color": line,
                               "outline_style": style, "outline_width": width, "outline_width_unit": "MM",
                               "joinstyle": "round", "offset": "0,0", "offset_unit": "MM"})
    return sym


def boundary_qml(kind: str) -> str:
    """Districts: dark outlines labelled with the name; communes: thin grey outlines."""
    district = kind == "districts"
    root = _qgis_root(labels=district)
    renderer = ET.SubElement(root, "renderer-v2", {"type": "singleSymbol", "forceraster": "0",
                                                   "symbollevels": "0", "enableorderby": "0",
                                                   "referencescale": "-1"})
    ET.SubElement(renderer, "symbols").append(
        _fill("0", DISTRICT_LINE if district else COMMUNE_LINE, "0.5" if district else "0.2",
              "solid" if district else "dash"))
    if district:
        settings = ET.SubElement(ET.SubElement(root, "labeling", type="simple"), "settings",
                                 calloutType="simple")
        style = ET.SubElement(settings, "text-style", {
            "fieldName": "name", "isExpression": "0", "fontSize": "9", "fontSizeUnit": "Point",
            "textColor": "51,51,51,255", "fontFamily": "DejaVu Sans", "fontWeight": "50",
            "textOpacity": "1", "namedStyle": "Regular"})
        ET.SubElement(style, "text-buffer", {"bufferDraw": "1", "bufferSize": "1", "bufferSizeUnits": "MM",
                                             "bufferColor": "255,255,255,200", "bufferOpacity": "1"})
        # above the inner point, where district-level sites sit (as on the web map and sheets)
        ET.SubElement(settings, "placement", {"placement": "1", "quadOffset": "1", "xOffset": "0",
                                              "yOffset": "-5", "offsetUnits": "MM",
                                              "centroidInside": "1", "centroidWhole": "0"})
        ET.SubElement(settings, "rendering", {"obstacle": "0", "displayAll": "1"})
    ET.SubElement(root, "previewExpression").text = '"name"'
    return _qml(root)


# --- the QGIS metadata document ------------------------------------------------------------

def _licences(attribution: list[dict], what: str) -> list[str]:
    return [a["text"] for a in attribution if a["what"].lower().startswith(what)]


def metadata_xml(title: str, abstract: str, meta: dict, licences: list[str], crs: CRS,
                 keywords: list[str]) -> str:
    """A QGIS layer metadata document (qgis.dtd): what Layer Properties > Metadata shows."""
    root = ET.Element("qgis", version="3.22.0")
    for tag, text in (("identifier", title), ("parentidentifier", meta["title_en"]), ("language", "vie"),
                      ("type", "dataset"), ("title", title), ("abstract", abstract)):
        ET.SubElement(root, tag).text = text
    kw = ET.SubElement(root, "keywords", vocabulary="geo-kttt")
    for k in keywords:
        ET.SubElement(kw, "keyword").text = k
    ET.SubElement(root, "links")
    ET.SubElement(root, "history").text = (
        f"Ngày dữ liệu / Data date: {meta['data_date']}; atlas {meta['version']}, "
        f"built {meta['built_at']}")
    ET.SubElement(root, "fees").text = ""
    for a in meta["attribution"]:
        ET.SubElement(root, "rights").text = a["text"]
    for text in licences:
        ET.SubElement(root, "license").text = text
    ET.SubElement(root, "encoding").text = "UTF-8"
    ref = ET.SubElement(ET.SubElement(root, "crs"), "spatialrefsys")
    epsg = crs.to_epsg()
    for tag, text in (("wkt", crs.to_wkt()), ("authid", f"EPSG:{epsg}" if epsg else ""),
                      ("description", crs.name)):
        ET.SubElement(ref, tag).text = text
    extent = ET.SubElement(root, "extent")
    period = ET.SubElement(ET.SubElement(extent, "temporal"), "period")
    ET.SubElement(period, "start").text = ""
    ET.SubElement(period, "end").text = f"{meta['data_date']}T00:00:00"
    return f"<!DOCTYPE qgis PUBLIC '{QGIS_DTD}' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def layer_documents(atlas, tables: dict[str, tuple[str, CRS, list[str]]]) -> dict[str, tuple[str, str]]:
    """(QML, metadata XML) for each table written: site layers, ``districts``, ``communes``.

    ``tables`` maps a table name to (kind, CRS, columns), kind ``site`` or the table name.
    """
    meta, out = atlas.metadata, {}
    for name, (kind, crs, columns) in tables.items():
        if kind == "site":
            layer = atlas.catalog[name]
            title = f"{layer.title['vi']} / {layer.title['en']}"
            abstract = (f"{layer.description['vi']}\n{layer.description['en']}\n"
                        f"Ngày dữ liệu / Data date: {meta['data_date']}. location_precision: "
                        + "; ".join(f"{p} = {w['help_en']}" for p, w in PRECISIONS.items()))
            qml, lic, kws = site_qml(layer, columns), _licences(meta["attribution"], "site"), [name]
        else:
            district = name == "districts"
            title = ("Huyện, thị xã, thành phố (trước 2025) / Districts (pre-2025)" if district
                     else "Xã, phường, thị trấn (trước 2025) / Communes (pre-2025)")
            abstract = f"{title}. Ngày dữ liệu / Data date: {meta['data_date']}."
            what = "district" if district else "commune"
            qml, lic, kws = boundary_qml(name), _licences(meta["attribution"], what), [name]
        out[name] = (qml, metadata_xml(title, abstract, meta, lic, crs, kws + [meta["title_vi"]]))
    return out


def style_geopackage(path: Path, documents: dict[str, tuple[str, str]]) -> None:
    """Write ``layer_styles`` (one default style per table) and the QGIS metadata into ``path``.

    Parameters
    ----------
    path : Path
        A GeoPackage written by GDAL (closed), whose tables are the keys of ``documents``.
    documents : dict
        table name -> (QML, QGIS metadata XML), see :func:`layer_documents`.
    """
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(LAYER_STYLES_DDL)
            db.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
                       "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                       "'QGIS default styles, one per layer', ?)", (now,))
            _metadata_tables(db)
            for table, (qml, xml) in documents.items():
                geom = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                  (table,)).fetchone()[0]
                db.execute('INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, '
                           'f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, '
                           'owner, ui, update_time) VALUES (\'\', \'\', ?, ?, ?, ?, \'\', 1, ?, \'\', '
                           'NULL, ?)', (table, geom, _style_name(table), qml,
                                        "geo-kttt: the web map's colours and symbols", now))
                cur = db.execute("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                                 "VALUES ('dataset', ?, 'text/xml', ?)", (QGIS_DTD, xml))
                db.execute("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, "
                           "row_id_value, timestamp, md_file_id, md_parent_id) "
                           "VALUES ('table', ?, NULL, NULL, ?, ?, NULL)", (table, now, cur.lastrowid))
    finally:
        db.close()


def _style_name(table: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", table.lower())[:30]


def _metadata_tables(db) -> None:
    """The GeoPackage metadata extension's two tables (GDAL creates them only when it needs them)."""
    db.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC "
               "NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
               "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')")
    db.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, "
               "table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL "
               "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, "
               "md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES "
               "gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES "
               "gpkg_metadata(id))")
    for table in ("gpkg_metadata", "gpkg_metadata_reference"):
        if not db.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                          "'gpkg_metadata'", (table,)).fetchone():
            db.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
                       "scope) VALUES (?, NULL, 'gpkg_metadata', ?, 'read-write')",
                       (table, METADATA_EXTENSION))
