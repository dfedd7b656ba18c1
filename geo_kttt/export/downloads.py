"""Data downloads of a :class:`~geo_kttt.export.selection.Selection`: GeoPackage, GeoJSON,
Shapefile (zip), KML, KMZ, CSV, CSV for GIS (zip with .csvt/.prj) and XLSX. Every file is
written atomically, in WGS 84 or (formats that carry a CRS) a VN-2000 grid, reprojected
through :func:`geo_kttt.crs.reproject`.

The GeoPackage also holds the districts (and communes, when the atlas has them) and, for
QGIS, a default style and metadata per table (:mod:`.qgis`); the KMZ carries its icons
(:mod:`.kmz`); the CSV for GIS has its .csvt, .prj and README (:mod:`.sidecars`).

Vector files are written by :mod:`geo_kttt.io` (pyogrio/GDAL); KML gets its styles
and per-layer folders added afterwards, because GDAL cannot write feature styles
through pyogrio. Spreadsheet cells pass through :func:`geo_kttt.text.safe_cell`.
"""

from __future__ import annotations

import csv
import html
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from ..catalog import COLUMNS, FIELDS, PRECISIONS, STATUSES, attribution_texts
from ..crs import reproject
from ..i18n import LANGS, Codes, Msg, date, t
from ..maps.data import capacity_texts, unit_names
from ..text import safe_cell
from . import kmz, qgis, sidecars, xlsx
from .grid import EXPORT_CRS, export_crs, grid_crs, in_grid
from .selection import (
    IMPRECISE,
    ExportError,
    Selection,
    describe,
    extent_districts,
    file_stem,
    scope_name,
    select_sites,
)

FORMATS = {  # format -> (file suffix, content type)
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shp": ("-shp.zip", "application/zip"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "kmz": (".kmz", "application/vnd.google-earth.kmz"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "csvzip": ("-csv.zip", "application/zip"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# Beside a code, what it says in words (in the export's language): code column -> label column.
LABEL_COLUMNS = {"kind": "kind_label", "district_code": "district_name", "commune_code": "commune_name",
                 "status": "status_label"}
OUT_COLUMNS = ["layer"] + [c for col in COLUMNS for c in (col, LABEL_COLUMNS.get(col)) if c] \
    + ["position_source"]
EXTRA_FIELDS = {name: ("str", name in ("layer", "position_source"), *(t(f"dl_{name}", x) for x in LANGS))
                for name in ("layer", "position_source", *LABEL_COLUMNS.values())} \
    | {name: ("float", False, *(t(f"dl_{name}", x) for x in LANGS)) for name in sidecars.GRID_COLUMNS}
# Shapefile (dBase) field names are at most 10 characters.
SHP_NAMES = {"district_code": "dist_code", "commune_code": "comm_code", "capacity_max": "cap_max",
             "capacity_unit": "cap_unit", "location_precision": "loc_prec",
             "position_source": "pos_source", "kind_label": "kind_lbl", "district_name": "dist_name",
             "commune_name": "comm_name", "status_label": "stat_lbl"}
DBF_MAX_BYTES = 254
XLSX_WIDTHS = {"name_vi": 40, "name_en": 40, "sources": 60, "notes": 60, "district_name": 16,
               "commune_name": 16, "kind_label": 24, "status_label": 18}  # others: 14
KML_NS = "http://www.opengis.net/kml/2.2"
GRID_COLUMNS = sidecars.GRID_COLUMNS


def export_frame(atlas, sel: Selection, lang: str = "vi") -> gpd.GeoDataFrame:
    """The selected sites with the download columns, in catalog then id order; the names of
    district and commune and the status and kind labels in ``lang`` beside their codes."""
    sites = select_sites(atlas, sel)
    order = {lid: i for i, lid in enumerate(atlas.catalog)}
    sites = sites.assign(_o=sites.layer.map(order)).sort_values(["_o", "id"]).drop(columns="_o")
    sites["year"] = sites["year"].astype("Int64")
    districts, communes = unit_names(atlas)
    sites["district_name"] = sites.district_code.map(districts).fillna("")
    sites["commune_name"] = sites.commune_code.map(communes).fillna("")
    sites["status_label"] = sites.status.map(lambda s: STATUSES.get(s, {}).get(lang, s))
    sites["kind_label"] = [atlas.catalog[lid].kinds.get(k, {}).get(lang, k)
                           for lid, k in zip(sites.layer, sites.kind, strict=True)]
    return gpd.GeoDataFrame(sites[OUT_COLUMNS + ["geometry"]].reset_index(drop=True), crs=4326)


def column_label(name: str, lang: str) -> str:
    """A download column's header for people (the XLSX header row) in ``lang``."""
    return (FIELDS.get(name) or EXTRA_FIELDS[name])[2 if lang == "vi" else 3]


def write_data(atlas, sel: Selection, fmt: str, dest: Path, lang: str = "vi", crs=None) -> Path:
    """Write the selection as ``fmt`` (a key of FORMATS) to ``dest``, atomically.

    Parameters
    ----------
    atlas : Atlas
    sel : Selection
    fmt : str
        gpkg, geojson, shp (a zip), kml, kmz, csv, csvzip (CSV + .csvt + .prj) or xlsx.
    dest : Path
    lang : {'vi', 'en'}
        The language of the labels beside the codes (and of the XLSX headers and notes).
    crs : str, optional
        EPSG:9208 or EPSG:3405 for a VN-2000 grid (gpkg, shp, csv, csvzip, xlsx: the
        geometry and x_easting/y_northing columns); default WGS 84.

    Returns
    -------
    Path
        ``dest``.
    """
    writers = {"gpkg": _gpkg, "geojson": _geojson, "shp": _shp_zip, "kml": _kml, "csv": _csv,
               "xlsx": _xlsx, "kmz": _kmz, "csvzip": _csv_zip}
    if fmt not in writers:
        raise ExportError(Msg("err_export_format", value=fmt, allowed=Codes(FORMATS)))
    grid = export_crs(crs, fmt)
    dest = Path(dest)
    gdf = export_frame(atlas, sel, lang)
    if grid:
        gdf = in_grid(gdf, grid)
    with io.atomic_path(dest) as tmp:
        writers[fmt](atlas, sel, gdf, tmp, lang)
    return dest


def _by_layer(atlas, sel, gdf):
    """(layer id, its rows) for every chosen layer, empty ones included."""
    return [(lid, gdf[gdf.layer == lid]) for lid in sel.layer_ids(atlas.catalog)]


def _gpkg(atlas, sel, gdf, path, lang):
    meta = atlas.metadata
    dataset = {"TITLE": f"{meta['title_vi']} / {meta['title_en']}", "DATA_DATE": meta["data_date"],
               "VERSION": meta["version"], "FILTERS": describe(atlas, sel, "en"),
               "ATTRIBUTION": " | ".join(attribution_texts(meta, "en"))}
    for i, (lid, part) in enumerate(_by_layer(atlas, sel, gdf)):
        layer = atlas.catalog[lid]
        desc = (f"{layer.description['vi']} / {layer.description['en']} Data date {meta['data_date']}. "
                "location_precision says how exact each point is (see the atlas README).")
        io.write_vector(part, path, layer=lid, geometry_type="Point", append=i > 0,
                        layer_metadata={"IDENTIFIER": f"{layer.title['vi']} / {layer.title['en']}",
                                        "DESCRIPTION": desc},
                        dataset_metadata=dataset if i == 0 else None)
    tables = {lid: ("site", gdf.crs, [c for c in part.columns if c != "geometry"])
              for lid, part in _by_layer(atlas, sel, gdf)}
    for name, frame in admin_layers(atlas, sel, gdf.crs).items():
        io.write_vector(frame, path, layer=name, append=True,
                        layer_metadata={"IDENTIFIER": name, "DESCRIPTION": f"{name} ({meta['data_date']})"})
        tables[name] = (name, gdf.crs, [c for c in frame.columns if c != "geometry"])
    qgis.style_geopackage(path, qgis.layer_documents(atlas, tables))


def admin_layers(atlas, sel, crs) -> dict[str, gpd.GeoDataFrame]:
    """The districts of the extent and (when the atlas has them) their communes, in ``crs``."""
    districts = extent_districts(atlas, sel)
    out = {"districts": districts}
    communes = atlas.communes()
    if communes is not None:
        out["communes"] = communes[communes.district_code.isin(districts.code)].reset_index(drop=True)
    return {name: reproject(frame, crs) for name, frame in out.items()}


def _geojson(atlas, sel, gdf, path, lang):
    io.write_vector(gdf, path, layer="sites", geometry_type="Point")


def _dbf_text(value: str) -> str:
    """Cut text to what a dBase field holds (254 bytes of UTF-8), on a character boundary."""
    if len(value.encode("utf-8")) <= DBF_MAX_BYTES:
        return value
    out = value.encode("utf-8")[:DBF_MAX_BYTES - 3].decode("utf-8", errors="ignore")
    return out + "…"


def _shp_zip(atlas, sel, gdf, path, lang):
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for lid, part in _by_layer(atlas, sel, gdf):
            part = part.rename(columns=SHP_NAMES)
            for col in ("sources", "notes", "operator", "name_vi", "name_en", "serves"):
                part[col] = part[col].map(_dbf_text)
            shp = Path(scratch) / f"{lid}.shp"
            io.write_vector(part, shp, geometry_type="Point")
            for f in sorted(Path(scratch).glob(f"{lid}.*")):
                z.write(f, f.name)
        z.writestr("README.txt", shp_readme(atlas, sel))


def shp_readme(atlas, sel) -> str:
    """What each ≤10-character Shapefile field name stands for."""
    lines = ["Shapefile field names (dBase allows at most 10 characters)",
             "Tên trường trong Shapefile (tối đa 10 ký tự)", "",
             f"{'shapefile':<11} {'full name':<20} meaning / ý nghĩa"]
    for name in OUT_COLUMNS:
        kind, _req, vi, en = FIELDS.get(name) or EXTRA_FIELDS[name]
        lines.append(f"{SHP_NAMES.get(name, name):<11} {name:<20} {en} / {vi} ({kind})")
    lines += ["", "Encoding UTF-8 (see the .cpg files). Text longer than 254 bytes (sources, notes) is "
              "cut and ends with '…'; the GeoPackage, CSV and XLSX hold the full text.",
              "Mã hóa UTF-8. Văn bản dài hơn 254 byte bị cắt (kết thúc bằng '…'); "
              "GeoPackage, CSV và XLSX có đầy đủ.", ""]
    return "\n".join(lines + about_lines(atlas, sel, "en"))


def _kml(atlas, sel, gdf, path, lang, hrefs=None):
    out = gdf.assign(Name=gdf[f"name_{lang}"], Description=popups(atlas, gdf))
    io.write_vector(out, path, layer="sites", geometry_type="Point",
                    dataset_options={"NameField": "Name", "DescriptionField": "Description"})
    style_kml(path, atlas, gdf, hrefs)


def _kmz(atlas, sel, gdf, path, lang):
    """The KML with its icons inside (relative files/… hrefs), for Google Earth offline."""
    kmz.write_kmz(path, atlas.catalog, lambda kml, hrefs: _kml(atlas, sel, gdf, kml, lang, hrefs))


def popups(atlas, gdf) -> pd.Series:
    """The HTML of Google Earth's balloon for each site, in both languages; every value escaped.
    Built a column at a time (a Python call per site and field is ~10 s at 100,000 sites)."""
    def text(values) -> pd.Series:
        return pd.Series(values, index=gdf.index, dtype=object).fillna("").astype(str).map(html.escape)

    both = lambda d: text(gdf[d[0]].map(d[1]))  # noqa: E731  a code's labels, "vi / en"
    labels = lambda table: {k: f"{v['vi']} / {v['en']}" for k, v in table.items()}  # noqa: E731
    vi, en = (capacity_texts(atlas.catalog, gdf.capacity, gdf.capacity_max, gdf.capacity_unit, x)
              for x in LANGS)
    capacity = [f"{a} / {b}" if a else "" for a, b in zip(vi, en, strict=True)]
    rows = [("Lớp / Layer", both(("layer", {k: f"{v.title['vi']} / {v.title['en']}"
                                            for k, v in atlas.catalog.items()}))),
            ("Tên / Name", text(gdf.name_vi.astype(str) + " / " + gdf.name_en.astype(str))),
            ("Tình trạng / Status", text([labels(STATUSES).get(s, s) for s in gdf.status])),
            ("Công suất / Capacity", text(capacity)),
            ("Độ chính xác vị trí / Location precision", both(("location_precision", labels(PRECISIONS)))),
            ("Đã kiểm chứng / Verified", text(np.where(gdf.verified.astype(bool), "có / yes", "không / no"))),
            ("Nguồn / Sources", text(gdf.sources)), ("Ghi chú / Notes", text(gdf.notes))]
    out = pd.Series("<table>", index=gdf.index, dtype=object)
    for head, values in rows:
        out += np.where(values != "", f"<tr><th>{html.escape(head)}</th><td>" + values + "</td></tr>", "")
    return out + "</table>"


def _kml_color(hex_rgb: str, alpha="ff") -> str:
    """#rrggbb -> KML's aabbggrr."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha}{b}{g}{r}".lower()


def style_kml(path: Path, atlas, gdf, hrefs: dict | None = None) -> None:
    """Add one style per layer (filled) and per layer for imprecise sites (ring), give each
    placemark its site id and style, and put the placemarks into one folder per layer, titled
    vi / en.

    ``hrefs`` maps (layer id, 'filled'/'ring') to the href of an icon already in the layer's
    colour (the KMZ's files/…); without it the styles tint Google's remote icons.

    Works on GDAL's text (one ``sites`` folder of placemarks, in the rows' order) rather than an
    element tree: ElementTree takes ~45 s to parse and write 100,000 placemarks, this ~1 s.
    """
    text = Path(path).read_text(encoding="utf-8")
    head, rest = text.split("<Folder><name>sites</name>", 1)
    body, tail = rest.rsplit("</Folder>", 1)
    marks = body.split("<Placemark ")[1:]
    if len(marks) != len(gdf):
        raise ExportError(f"KML: {len(marks)} placemarks for {len(gdf)} sites")
    icons = {"filled": "http://maps.google.com/mapfiles/kml/shapes/shaded_dot.png",
             "ring": "http://maps.google.com/mapfiles/kml/shapes/donut.png"}
    styles = "".join(
        f'<Style id="{lid}-{kind}"><IconStyle><color>{"ffffffff" if hrefs else _kml_color(layer.color)}'
        f'</color><scale>1.1</scale><Icon><href>{xml_escape(hrefs[(lid, kind)] if hrefs else href)}</href>'
        "</Icon></IconStyle></Style>"
        for lid, layer in atlas.catalog.items() for kind, href in icons.items())
    out, current = [head.replace('<Document id="root_doc">', f'<Document id="root_doc">\n{styles}', 1)], None
    for mark, row in zip(marks, gdf.itertuples(), strict=True):
        if row.layer != current:  # the rows come in catalogue order: one folder per layer
            title = atlas.catalog[row.layer].title
            out.append(("</Folder>" if current else "") + f"<Folder><name>{xml_escape(title['vi'])} / "
                       f"{xml_escape(title['en'])}</name>")
            current = row.layer
        kind = "ring" if row.location_precision in IMPRECISE else "filled"
        rest = mark.split(">", 1)[1]  # after GDAL's id="sites.N": the site's id (LIBKML's 'id' field)
        rest = rest.replace("<ExtendedData>", f"<styleUrl>#{row.layer}-{kind}</styleUrl><ExtendedData>", 1)
        out.append(f'<Placemark id="{xml_escape(row.id, {chr(34): "&quot;"})}">{rest}')
    out.append(("</Folder>" if current else "") + tail)
    Path(path).write_text("".join(out), encoding="utf-8")


def _csv(atlas, sel, gdf, path, lang):
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    for col in ("verified", "in_report"):
        df[col] = df[col].map({True: "true", False: "false"})
    df = df.astype(object).where(df.notna(), "").map(safe_cell)
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def csv_set(atlas, sel, gdf, path: Path, lang: str = "vi") -> list[Path]:
    """The CSV at ``path`` with its .csvt and .prj beside it (GDAL/QGIS read them typed)."""
    _csv(atlas, sel, gdf, path, lang)
    grid = grid_crs(gdf)
    columns = [c for c in gdf.columns if c != "geometry"]
    extra = [(path.with_suffix(".csvt"), sidecars.csvt(columns, grid)),
             (path.with_suffix(".prj"), sidecars.prj(grid))]
    for p, text in extra:
        p.write_text(text, encoding="utf-8", newline="")
    return [path] + [p for p, _ in extra]


def csv_readme(gdf, name: str) -> str:
    """The README of a CSV for GIS: the point columns, the CRS and how GDAL/QGIS open it."""
    grid = grid_crs(gdf)
    return sidecars.csv_readme(name, grid, EXPORT_CRS[grid or "EPSG:4326"])


def _csv_zip(atlas, sel, gdf, path, lang):
    """The CSV, its .csvt and .prj, and a README, in one zip."""
    stem = file_stem(atlas, sel)
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in csv_set(atlas, sel, gdf, Path(scratch) / f"{stem}.csv", lang):
            z.write(f, f.name)
        z.writestr("README.txt", csv_readme(gdf, f"{stem}.csv"))


def _xlsx(atlas, sel, gdf, path, lang):
    """A sheet per chosen layer (headers in ``lang``), then 'about', through :mod:`.xlsx` (a whole
    column at a time: ten times openpyxl's speed); each sheet prints on readable pages
    (landscape, fitted to the width, header row repeated)."""
    columns = [c for c in gdf.columns if c != "geometry"]  # OUT_COLUMNS (+ x_easting, y_northing)
    heads = {c: column_label(c, lang) for c in columns}
    sheets = {lid[:31]: pd.DataFrame(part[columns]).rename(columns=heads)
              for lid, part in _by_layer(atlas, sel, gdf)}
    about = [t(f"about_head_{h}", "vi") + " / " + t(f"about_head_{h}", "en") for h in ("section", "key")]
    grid = grid_crs(gdf)
    crs_rows = [("crs", ", ".join(GRID_COLUMNS), f"{grid} ({EXPORT_CRS[grid]}), mét; lon/lat: WGS 84",
                 f"{grid} ({EXPORT_CRS[grid]}), metres; lon/lat: WGS 84")] if grid else []
    about += ["Tiếng Việt", "English"]
    sheets["about"] = pd.DataFrame(about_rows(atlas, sel) + crs_rows, columns=about)
    widths = {heads[c]: w for c, w in XLSX_WIDTHS.items() if c in heads}
    xlsx.write_xlsx(path, sheets, widths | dict(zip(about, (12, 22, 80, 80), strict=True)))


def about_lines(atlas, sel: Selection, lang: str) -> list[str]:
    """Title, extent, data date, version, filters, sources and precision meanings as text."""
    m = atlas.metadata
    lines = [t("about_atlas", lang).format(title=m["title_" + lang], version=m["version"],
                                           built=date(m["built_at"], lang)),
             f"{t('about_extent', lang)}: {scope_name(atlas, sel, lang)}",
             f"{t('sheet_data_date', lang)}: {date(m['data_date'], lang)}",
             f"{t('sheet_filters', lang)}: {describe(atlas, sel, lang)}",
             "", f"{t('sheet_sources', lang)}:"]
    lines += [f"  - {text}" for text in attribution_texts(m, lang)]
    lines += ["", f"{t('cov_precision', lang)}:"]
    lines += [f"  - {p} ({v[lang]}): {v['help_' + lang]}" for p, v in PRECISIONS.items()]
    return lines


def about_rows(atlas, sel: Selection) -> list[tuple]:
    """Rows of the XLSX 'about' sheet: (section, key, Vietnamese, English)."""
    m = atlas.metadata
    rows = [("atlas", "title", m["title_vi"], m["title_en"]),
            ("atlas", "version", m["version"], m["version"]),
            ("atlas", "built_at", *(date(m["built_at"], x) for x in LANGS)),
            ("atlas", "data_date", *(date(m["data_date"], x) for x in LANGS)),
            ("extent", "scope", scope_name(atlas, sel, "vi"), scope_name(atlas, sel, "en")),
            ("extent", "filters", describe(atlas, sel, "vi"), describe(atlas, sel, "en"))]
    rows += [("source", a["what"], *(f"{a.get('what_' + x) or a['what']}: {a.get('text_' + x) or a['text']}"
                                     for x in LANGS)) for a in m["attribution"]]
    rows += [("precision", p, f"{v['vi']}: {v['help_vi']}", f"{v['en']}: {v['help_en']}")
             for p, v in PRECISIONS.items()]
    rows += [("status", s, v["vi"], v["en"]) for s, v in STATUSES.items()]
    for name in OUT_COLUMNS:
        kind, req, vi, en = FIELDS.get(name) or EXTRA_FIELDS[name]
        rows.append(("field", name, *(f"{label} ({t('type_' + kind, x)}"
                                      f"{t('about_required', x) if req else ''})"
                                      for x, label in (("vi", vi), ("en", en)))))
    for lid, layer in atlas.catalog.items():
        rows.append(("layer", lid, f"{layer.title['vi']}: {layer.description['vi']}",
                     f"{layer.title['en']}: {layer.description['en']}"))
    return rows
