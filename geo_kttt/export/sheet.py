"""Print-ready map sheets (PDF, PNG) drawn with matplotlib, offline.

The map is drawn in metres (VN-2000 / TM-3 104-45, EPSG:9208, through the pinned
transformation) so the scale bar is true; VN-2000 grid ticks with their eastings and
northings frame it. A sheet carries: title and subtitle (vi, en or both), the map with district
boundaries and names, a legend of exactly the layers drawn (catalog colours), a
precision key (hollow markers = location known to commune/district only), scale bar,
north arrow, a locator of An Giang among its neighbours, the per-district summary of
the extent, and a footer with data date, version, filters and attributions. The font
(DejaVu Sans) is embedded as TrueType so Vietnamese text can be searched and copied.
"""

from __future__ import annotations

import math
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from shapely.geometry import box

from .. import io
from ..catalog import attribution_texts
from ..crs import reproject
from ..i18n import date, number, t
from ..maps.labels import box_obstacle, label_point, obstacles_array
from ..sites import METRIC_CRS
from .selection import (
    IMPRECISE,
    SHEET_LANGS,
    Selection,
    describe,
    extent_districts,
    precision_note,
    scope_name,
    select_sites,
)
from .sheet_parts import draw_grid_ticks, draw_locator, draw_table, words

_LOCK = threading.RLock()
PAPER = {"A4": (8.27, 11.69), "A3": (11.69, 16.54)}
FONT = "DejaVu Sans"
# Text on a sheet is data, never TeX: "$…$" in a title prints as it is (text.parse_math off).
RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": FONT, "svg.fonttype": "none",
      "text.parse_math": False, "text.usetex": False}
# A light box behind labels (path effects would turn PDF text into unsearchable paths).
HALO = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.7, "edgecolor": "none"}
MARKER_PT = 4.2  # a site marker's radius in points (scatter s=34 k², edge 1.6 k), with some air


@dataclass
class SheetInfo:
    """What a rendered sheet shows, for callers and tests."""

    legend_layers: list
    drawn_layers: list
    sites: int
    scale_km: float


def _layout(orientation: str) -> dict:
    """Axes rectangles (figure fractions) for each part of the sheet."""
    if orientation == "landscape":
        return {"title": (0.02, 0.905, 0.96, 0.085), "map": (0.02, 0.135, 0.575, 0.76),
                "locator": (0.615, 0.665, 0.17, 0.21), "legend": (0.80, 0.585, 0.185, 0.31),
                "key": (0.615, 0.5, 0.37, 0.08), "table": (0.615, 0.135, 0.37, 0.33),
                "footer": (0.02, 0.0, 0.96, 0.125)}
    return {"title": (0.03, 0.925, 0.94, 0.07), "map": (0.03, 0.45, 0.94, 0.47),
            "locator": (0.03, 0.275, 0.27, 0.15), "legend": (0.33, 0.275, 0.36, 0.16),
            "key": (0.70, 0.275, 0.27, 0.16), "table": (0.03, 0.085, 0.94, 0.165),
            "footer": (0.03, 0.0, 0.94, 0.08)}


def new_figure(paper: str, orientation: str) -> Figure:
    if paper not in PAPER:
        raise ValueError(f"paper '{paper}': use one of {', '.join(PAPER)}")
    if orientation not in ("portrait", "landscape"):
        raise ValueError(f"orientation '{orientation}': use portrait or landscape")
    w, h = PAPER[paper]
    return Figure(figsize=(h, w) if orientation == "landscape" else (w, h))


def draw_sheet(atlas, sel: Selection, paper="A4", orientation="landscape", lang="vi"):
    """Draw a map sheet on a new figure.

    Parameters
    ----------
    atlas : Atlas
    sel : Selection
    paper : {'A4', 'A3'}
    orientation : {'landscape', 'portrait'}
    lang : {'vi', 'en', 'both'}

    Returns
    -------
    (Figure, SheetInfo)
    """
    if lang not in SHEET_LANGS:
        raise ValueError(f"lang '{lang}': use one of {', '.join(SHEET_LANGS)}")
    with matplotlib.rc_context(RC):
        fig = new_figure(paper, orientation)
        k = math.sqrt(fig.get_figwidth() * fig.get_figheight() / (8.27 * 11.69))
        box_ = _layout(orientation)
        sites = reproject(select_sites(atlas, sel), METRIC_CRS)
        shown = [lid for lid in sel.layer_ids(atlas.catalog) if (sites.layer == lid).any()]
        _title(fig.add_axes(box_["title"]), atlas, sel, lang, k)
        ax = fig.add_axes(box_["map"])
        view = _view(atlas, sel, ax, fig)
        drawn = _draw_map(ax, atlas, sel, sites, view, lang, k)
        _bare(ax, view)
        draw_grid_ticks(ax, view, k)
        scale = _scale_bar(ax, view, k, lang)
        _north(ax, lang, k)
        draw_locator(fig.add_axes(box_["locator"]), atlas, view, lang, k)
        legend = _legend(fig.add_axes(box_["legend"]), atlas, sites, shown, lang, k)
        _key(fig.add_axes(box_["key"]), lang, k)
        draw_table(fig.add_axes(box_["table"]), atlas, sel, sites, shown, lang, k)
        _footer(fig.add_axes(box_["footer"]), atlas, sel, lang, k)
    return fig, SheetInfo(legend, drawn, int(len(sites)), scale)


def render_sheet(atlas, sel: Selection, dest: Path, paper="A4", orientation="landscape",
                 lang="vi", dpi=150) -> Path:
    """Draw a sheet and save it as PDF or PNG (by ``dest``'s suffix), atomically.

    Returns
    -------
    Path
        ``dest``.
    """
    dest = Path(dest)
    fmt = dest.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise ValueError(f"{dest}: a map sheet is written as .pdf or .png")
    if lang not in SHEET_LANGS:
        raise ValueError(f"lang '{lang}': use one of {', '.join(SHEET_LANGS)}")
    title = f"{words(atlas.metadata, 'title', lang)} - {_scope(atlas, sel, lang)}"
    meta = ({"Title": title, "Subject": describe(atlas, sel, "en"), "Creator": "geo-kttt"}
            if fmt == "pdf" else {"Title": title, "Software": "geo-kttt"})
    # rcParams are global and matplotlib is not thread-safe: one sheet at a time per process.
    with _LOCK:
        fig, _info = draw_sheet(atlas, sel, paper, orientation, lang)
        with matplotlib.rc_context(RC), io.atomic_path(dest) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    return dest


def _l(key: str, lang: str, sep=" / ") -> str:
    return sep.join(t(key, x) for x in ("vi", "en")) if lang == "both" else t(key, lang)


def _scope(atlas, sel, lang) -> str:
    if lang != "both":
        return scope_name(atlas, sel, lang)
    vi, en = scope_name(atlas, sel, "vi"), scope_name(atlas, sel, "en")
    return vi if vi == en else f"{vi} / {en}"


def _title(ax, atlas, sel, lang, k):
    """Title, then (both languages) the English title, then the extent as subtitle."""
    ax.axis("off")
    main = words(atlas.metadata, "title", "vi" if lang == "both" else lang)
    ax.text(0, 1.0, main, fontsize=17 * k, weight="bold", va="top")
    sub = f"{_scope(atlas, sel, lang)} — {_l('sheet_subtitle', lang)}"
    if lang == "both":
        ax.text(0, 0.6, atlas.metadata["title_en"], fontsize=11 * k, style="italic", va="top")
        ax.text(0, 0.3, sub, fontsize=10 * k, va="top")
    else:
        ax.text(0, 0.45, sub, fontsize=12 * k, va="top")


def _view(atlas, sel, ax, fig) -> tuple:
    """The map's limits in metres: the extent, padded, stretched to the axes' shape."""
    if sel.bbox:
        import geopandas as gpd

        bounds = reproject(gpd.GeoSeries([box(*sel.bbox)], crs=4326), METRIC_CRS).total_bounds
    else:
        bounds = reproject(extent_districts(atlas, sel), METRIC_CRS).total_bounds
    x0, y0, x1, y1 = bounds
    pos = ax.get_position()
    aspect = (pos.width * fig.get_figwidth()) / (pos.height * fig.get_figheight())
    w, h = (x1 - x0) * 1.06, (y1 - y0) * 1.06
    w, h = max(w, h * aspect), max(h, w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _draw_map(ax, atlas, sel, sites, view, lang, k) -> list:
    """Context, districts, names and sites. Returns the layer ids drawn, in order."""
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal")
    _draw_context(ax, atlas, box(*view), k)
    m_pt = (view[2] - view[0]) / (ax.get_position().width * ax.figure.get_figwidth() * 72)
    xy = _spread(sites, m_pt * 72, k)
    _draw_districts(ax, atlas, sel, view, k, np.column_stack([xy, np.full(len(xy), MARKER_PT * k * m_pt)]))
    if sel.bbox:  # the box the sites were chosen in
        import geopandas as gpd

        outline = reproject(gpd.GeoSeries([box(*sel.bbox).segmentize(0.01)], crs=4326), METRIC_CRS)
        outline.boundary.plot(ax=ax, color="#c00000", linewidth=1.0 * k, linestyle=(0, (5, 3)), zorder=4)
    if sites.empty:  # nothing in the extent at all, or nothing that passes the filters
        none_here = select_sites(atlas, Selection(district=sel.district, bbox=sel.bbox)).empty
        text = "\n".join(t("sheet_no_located", x).format(place=scope_name(atlas, sel, x)) if none_here
                         else t("sheet_no_sites", x) for x in (("vi", "en") if lang == "both" else (lang,)))
        ax.text(0.5, 0.9, text, transform=ax.transAxes, ha="center",
                va="top", fontsize=12 * k, color="#aa0000", zorder=6, bbox=HALO)
        return []
    return _draw_sites(ax, atlas, sites, xy, k)


def _draw_context(ax, atlas, frame, k):
    """Neighbouring provinces (named when enough shows) and the Cambodian border."""
    ctx = atlas.table("context")
    if ctx is None:
        return
    ctx = reproject(ctx, METRIC_CRS)
    neighbours = ctx[ctx.role.str.startswith("neighbour")]
    neighbours.plot(ax=ax, color="#eeeeee", edgecolor="#b0b0b0", linewidth=0.5)
    for _, n in neighbours.iterrows():
        part = n.geometry.intersection(frame)
        if part.area > frame.area * 0.03:
            p = part.representative_point()
            ax.text(p.x, p.y, n["name"], fontsize=7 * k, color="#888888", ha="center", style="italic")
    border = ctx[ctx.role.str.startswith("international")]
    border.plot(ax=ax, color="#a0522d", linewidth=1.2, linestyle=(0, (6, 3)))


def _draw_districts(ax, atlas, sel, view, k, markers):
    """Districts of the extent in white, the others grey; each name inside its district, clear
    of the ``markers`` (x, y, r) and of the names before it (:mod:`geo_kttt.maps.labels`)."""
    frame = box(*view)
    allds = reproject(atlas.districts(), METRIC_CRS)
    inside = allds.code.isin(extent_districts(atlas, sel).code)
    if not inside.all():
        allds[~inside].plot(ax=ax, color="#f6f6f6", edgecolor="#a8a8a8", linewidth=0.5)
    allds[inside].plot(ax=ax, color="white", edgecolor="#555555", linewidth=0.8)
    m_pt = (view[2] - view[0]) / (ax.get_position().width * ax.figure.get_figwidth() * 72)
    placed = [obstacles_array(markers)]
    for _, d in allds.iterrows():
        part = d.geometry.intersection(frame)
        if part.is_empty or (not inside[d.name] and part.area < frame.area * 0.02):
            continue
        size = ((len(d["name"]) * 0.6 * 7.5 + 4) * k * m_pt, 7.5 * 1.5 * k * m_pt)
        p = label_point(part, size, np.vstack(placed))
        ax.text(p.x, p.y, d["name"], fontsize=7.5 * k, ha="center", va="center", zorder=3,
                color="#333333" if inside[d.name] else "#8a8a8a", bbox=HALO)
        placed.append(np.array([box_obstacle(p.x, p.y, size)]))


RASTER_ABOVE = 5000  # sites above which their markers are one image in the PDF (text stays vector)


def _draw_sites(ax, atlas, sites, xy, k) -> list:
    """Filled markers for precise sites, rings for commune/district-level ones, at ``xy``.

    Past :data:`RASTER_ABOVE` sites the markers are rasterised at the sheet's resolution: a
    PDF writes every vector marker as its own drawing command (100,000 sites: ~5 s and a
    large file), while the cloud looks the same as an image; titles, names and tables stay
    searchable text.
    """
    hollow = sites.location_precision.isin(IMPRECISE)
    drawn = []
    for lid in atlas.catalog:
        part = sites.layer == lid
        if not part.any():
            continue
        color = atlas.catalog[lid].color
        for mask, face in ((part & ~hollow, color), (part & hollow, "white")):
            if mask.any():
                ax.scatter(xy[mask.values, 0], xy[mask.values, 1], s=34 * k * k, marker="o",
                           facecolors=face, edgecolors=color, linewidths=1.6 * k, zorder=5, gid=lid,
                           rasterized=len(sites) > RASTER_ABOVE)
        drawn.append(lid)
    return drawn


def _bare(ax, view):
    """No ticks or axis labels (geopandas adds them); fixed limits in metres."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])


def _spread(sites, m_per_inch: float, k: float):
    """Marker positions: sites sharing a point (to the metre) are set on a small ring around it."""
    xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])
    if len(xy) == 0:
        return xy
    _, group, count = np.unique(np.round(xy), axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")  # each point's place in its group, in site order
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    j = np.empty(len(xy))
    j[order] = np.arange(len(xy)) - first[group[order]]
    n = count[group].astype(float)
    marker = 0.11 * k * m_per_inch  # about one marker diameter
    r = np.where(n > 1, marker * np.maximum(0.75, n / (2 * math.pi) * 1.05), 0.0)
    a = 2 * math.pi * j / n + math.pi / 2
    return xy + np.where(n[:, None] > 1, r[:, None] * np.column_stack([np.cos(a), np.sin(a)]), 0.0)


def _nice(length: float) -> float:
    """The largest 1-2-5 number not above ``length``."""
    p = 10 ** math.floor(math.log10(length))
    return max(m * p for m in (1, 2, 5) if m * p <= length)


def _scale_bar(ax, view, k, lang="vi") -> float:
    """A four-segment bar in the lower left; returns its length in km."""
    w, h = view[2] - view[0], view[3] - view[1]
    length = _nice(w * 0.25)
    x0, y0, bh = view[0] + w * 0.04, view[1] + h * 0.04, h * 0.008
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bh, zorder=6, linewidth=0.6 * k,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black"))
    km = length / 1000
    for x, label in ((x0, "0"), (x0 + length, f"{number(km, 'vi' if lang == 'both' else lang)} km")):
        ax.text(x, y0 + bh * 2, label, ha="center", va="bottom", fontsize=7 * k, zorder=6,
                bbox=HALO)
    return km


def _north(ax, lang, k):
    ax.annotate("", xy=(0.955, 0.95), xytext=(0.955, 0.86), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>", "linewidth": 1.6 * k, "color": "black",
                            "mutation_scale": 16 * k}, zorder=6)
    ax.text(0.955, 0.96, _l("sheet_north", lang, "/"), transform=ax.transAxes, ha="center",
            va="bottom", fontsize=10 * k, weight="bold", zorder=6, bbox=HALO)


def _legend(ax, atlas, sites, shown, lang, k) -> list:
    """The layer legend (exactly the layers drawn) and the precision key; returns the layer ids."""
    ax.axis("off")
    handles, labels = [], []
    for lid in shown:
        layer = atlas.catalog[lid]
        n = int((sites.layer == lid).sum())
        name = (f"{layer.title['vi']} ({n})\n{layer.title['en']}" if lang == "both"
                else f"{layer.title[lang]} ({n})")
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=7 * k,
                              markerfacecolor=layer.color, markeredgecolor=layer.color, label=lid))
        labels.append("\n".join(textwrap.fill(line, 30) for line in name.split("\n")))
    ax.legend(handles, labels, loc="upper left", frameon=False, fontsize=7.5 * k,
                    title=_l("sheet_legend", lang), title_fontsize=9 * k, alignment="left",
                    borderaxespad=0, labelspacing=0.55)
    return [h.get_label() for h in handles]


def _key(ax, lang, k):
    """What filled and hollow markers mean."""
    ax.axis("off")
    key = [Line2D([], [], marker="o", linestyle="", markersize=7 * k, markerfacecolor="#666666",
                  markeredgecolor="#666666"),
           Line2D([], [], marker="o", linestyle="", markersize=7 * k, markerfacecolor="white",
                  markeredgecolor="#666666", markeredgewidth=1.5 * k)]
    inches = ax.get_position().width * ax.figure.get_figwidth()
    ncol = 2 if inches > 3.4 else 1
    ax.legend(key, [_l("sheet_precise", lang, "\n"), _l("sheet_imprecise", lang, "\n")],
              loc="upper left", frameon=False, fontsize=6.5 * k, borderaxespad=0, ncol=ncol)
    langs = ("vi", "en") if lang == "both" else (lang,)
    lines = (2 // ncol) * len(langs)
    height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    top = 1 - (lines * 6.5 * k * 1.5 + 6) / height_pt
    note = " ".join(precision_note(x) + " " + t("sheet_spread", x) for x in langs)
    ax.text(0, top, textwrap.fill(note, int(fig_chars(ax, 5.8 * k))),
            transform=ax.transAxes, fontsize=5.8 * k, va="top", color="#444444")


def _footer(ax, atlas, sel, lang, k):
    ax.axis("off")
    m = atlas.metadata
    langs = ("vi", "en") if lang == "both" else (lang,)
    day = "vi" if lang == "both" else lang  # Vietnamese first: dates as Vietnamese write them
    line1 = " · ".join([
        f"{_l('sheet_data_date', lang)}: {date(m['data_date'], day)}",
        f"{_l('sheet_version', lang)}: {m['version']} ({date(m['built_at'], day)})",
        _l("sheet_crs", lang) if lang != "both" else t("sheet_crs", "en")])
    filters = " | ".join(describe(atlas, sel, x) for x in langs)
    sources = " · ".join(attribution_texts(m, day))
    width = int(fig_chars(ax, 6 * k))
    text = "\n".join([line1, textwrap.fill(f"{_l('sheet_filters', lang)}: {filters}", width),
                      textwrap.fill(f"{_l('sheet_sources', lang)}: {sources}", width)])
    ax.text(0, 0.92, text, fontsize=6 * k, va="top", color="#333333", linespacing=1.4)


def fig_chars(ax, size_pt: float) -> float:
    """About how many characters of ``size_pt`` text fit across ``ax``."""
    inches = ax.get_position().width * ax.figure.get_figwidth()
    return inches * 72 / (size_pt * 0.56)
