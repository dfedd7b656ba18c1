"""Parts of a map sheet: the locator map and the per-district summary table."""

from __future__ import annotations

import functools
import re
import textwrap

import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextPath
from shapely.geometry import box

from ..crs import reproject
from ..i18n import number, percent, t
from ..maps.labels import box_obstacle, label_point, line_obstacles, obstacles_array
from ..sites import METRIC_CRS
from ..summary import unit_summary
from .selection import extent_districts

# A light box behind labels (path effects would turn PDF text into unsearchable paths).
HALO = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.7, "edgecolor": "none"}


def words(metadata: dict, key: str, lang: str) -> str:
    """``metadata[key_vi]`` / ``key_en`` or both joined."""
    if lang == "both":
        return f"{metadata[key + '_vi']} / {metadata[key + '_en']}"
    return metadata[f"{key}_{lang}"]


def _l(key, lang, sep=" / "):
    return sep.join(t(key, x) for x in ("vi", "en")) if lang == "both" else t(key, lang)


def draw_locator(ax, atlas, view, lang, k):
    """An Giang among its neighbours, the Cambodian border and the map's frame; the names are
    set where they cross neither the frame nor each other (:mod:`geo_kttt.maps.labels`)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_edgecolor("#888888")
    ax.set_title(_l("sheet_locator", lang, "\n"), fontsize=7 * k, loc="left")
    ax.set_facecolor("#f4f8fb")
    ctx = atlas.table("context")
    districts = reproject(atlas.districts(), METRIC_CRS)
    names, land, border = [], None, None  # names: (text, where it may go, points, style)
    if ctx is not None:
        ctx = reproject(ctx, METRIC_CRS)
        neigh = ctx[ctx.role.str.startswith("neighbour")]
        neigh.plot(ax=ax, color="#e4e4e4", edgecolor="#9a9a9a", linewidth=0.4)
        border = ctx[ctx.role.str.startswith("international")]
        border.plot(ax=ax, color="#a0522d", linewidth=0.9, linestyle=(0, (4, 2)))
        land = ctx[ctx.role.str.startswith(("neighbour", "focus"))].union_all()
        bounds = land.bounds
        if not border.empty:  # show some of the land beyond the border, to name it
            reach = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 0.12
            bounds = box(*bounds).union(border.union_all().buffer(reach)).bounds
        names = [(n["name"], n.geometry, 5 * k, {"color": "#555555"}) for _, n in neigh.iterrows()]
    else:
        bounds = districts.total_bounds
    districts.plot(ax=ax, color="#f3c98b", edgecolor="#c08a3e", linewidth=0.3)
    ax.add_patch(Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], fill=False,
                           edgecolor="#c00000", linewidth=1.0 * k, zorder=5))
    _fit(ax, bounds)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    shown = box(x0, y0, x1, y1)
    if border is not None and not border.empty:  # beyond the border line, near it
        beyond = shown.difference(land).intersection(border.union_all().buffer((x1 - x0) * 0.15))
        names.insert(0, (_l("sheet_cambodia", lang, "\n"), beyond, 5 * k,
                         {"color": "#a0522d", "style": "italic"}))
    names.insert(0, ("An Giang", districts.union_all(), 6 * k, {"weight": "bold", "bbox": HALO}))
    _place_names(ax, names, shown, box(*view), k, districts.union_all())


def _place_names(ax, names, shown, frame, k, province=None):
    """Each name where it crosses neither the map's frame nor a name set before it (nor, after
    the first, the province's outline: a neighbour's name stays outside An Giang); a name with
    no such place is left out (An Giang's, first, always shows)."""
    m_pt = (shown.bounds[2] - shown.bounds[0]) / (ax.get_position().width * ax.figure.get_figwidth() * 72)
    placed = [obstacles_array(line_obstacles(frame, 1.2 * k * m_pt, 4 * k * m_pt))]
    for i, (text, where, pt, style) in enumerate(names):
        region = where.intersection(shown)
        if region.is_empty:
            continue
        lines = text.split("\n")
        for size_pt in (pt, pt * 0.8):  # a little smaller where the full size finds no room
            wide = max(_text_pt(x, size_pt, style.get("weight") == "bold") for x in lines)
            size = ((wide + 4) * m_pt, (len(lines) * 1.3 * size_pt + 2) * m_pt)
            p, room = label_point(region, size, np.vstack(placed), with_room=True)
            if room >= 0:
                break
        if room < 0 and i > 0:
            continue  # better no name than one across the frame or another name
        ax.text(p.x, p.y, text, fontsize=size_pt, ha="center", va="center", clip_on=True, zorder=6, **style)
        placed.append(np.array([box_obstacle(p.x, p.y, size)]))
        if i == 0 and province is not None:
            placed.append(obstacles_array(line_obstacles(province, 1.0 * k * m_pt, 3 * k * m_pt)))


def _fit(ax, bounds):
    """Equal-aspect limits around ``bounds`` that fill the axes box; no axis labels."""
    pos, fig = ax.get_position(), ax.figure
    aspect = (pos.width * fig.get_figwidth()) / (pos.height * fig.get_figheight())
    w, h = (bounds[2] - bounds[0]) * 1.04, (bounds[3] - bounds[1]) * 1.04
    w, h = max(w, h * aspect), max(h, w / aspect)
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")


def summary_frame(atlas, sel, sites, shown, lang) -> pd.DataFrame:
    """The per-district counts of the shown layers for the extent, with a total row."""
    units = extent_districts(atlas, sel)[["code", "name"]]
    catalog = {lid: atlas.catalog[lid] for lid in shown}
    rows = unit_summary(sites, sites.district_code, units, catalog) if len(sites) else []
    out = []
    for r in rows:
        name = _l("sheet_total", lang) if r["code"] == "total" else r["name"]
        share = r["verified_share"]
        num = "vi" if lang == "both" else lang
        out.append([name] + [number(r["layers"][lid]["count"], num) for lid in shown]
                   + [number(r["sites"], num), "" if share is None else percent(share, num)])
    if not rows:
        out = [[n] + [0] * len(shown) + [0, ""] for n in units.name] + \
              [[_l("sheet_total", lang)] + [0] * len(shown) + [0, ""]]
    return pd.DataFrame(out, columns=["name", *shown, "sites", "verified"])


@functools.lru_cache(maxsize=4096)  # ~10 ms each (exact path extents); headers repeat per sheet
def _text_pt(text: str, pt: float, bold: bool = True) -> float:
    """The width in points of one line of ``text`` in the sheet's font (DejaVu Sans)."""
    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal", size=pt)
    return TextPath((0, 0), text, prop=prop).get_extents().width if text.strip() else 0.0


def _wrap_pt(text: str, width_pt: float, pt: float) -> list[str] | None:
    """``text`` in lines no wider than ``width_pt`` (breaks at spaces and after '/' or '-'), or
    None when a single word is wider."""
    out = []
    for para in text.split("\n"):
        words = [w for w in re.split(r"(?<=[/-])|\s+", para) if w]
        line = ""
        for w in words:
            joined = line + ("" if not line or line.endswith(("/", "-")) else " ") + w
            if _text_pt(joined, pt) <= width_pt:
                line = joined
            elif _text_pt(w, pt) > width_pt:
                return None
            else:
                out.append(line)
                line = w
        out.append(line)
    return out


def fit_headers(texts: list[str], widths_pt: list[float], max_pt: float, min_pt: float):
    """The largest font size (≤ ``max_pt``) at which every header fits its cell's width, and
    the headers wrapped at that size; at ``min_pt`` long words are left to overflow."""
    pt = max_pt
    while pt > min_pt:
        lines = [_wrap_pt(t, w, pt) for t, w in zip(texts, widths_pt, strict=True)]
        if all(x is not None and len(x) <= 6 for x in lines):
            return pt, ["\n".join(x) for x in lines]
        pt -= 0.25
    return min_pt, [textwrap.fill(t, 14, break_long_words=False) for t in texts]


def _header_texts(atlas, shown, lang) -> list[str]:
    """District, each layer's title, sites and verified: in one language, or vi then en."""
    langs = ("vi", "en") if lang == "both" else (lang,)

    def both(texts: dict) -> str:
        return "\n".join(dict.fromkeys(texts[x] for x in langs))

    keys = [both({x: t(key, x) for x in langs})
            for key in ("sheet_district", "sheet_sites", "sheet_verified")]
    return [keys[0], *(both(atlas.catalog[lid].title) for lid in shown), keys[1], keys[2]]


def draw_table(ax, atlas, sel, sites, shown, lang, k):
    """The summary table, bilingual with ``lang='both'``; header cells carry each layer's
    colour, their text set at the size at which every header fits its cell."""
    ax.axis("off")
    df = summary_frame(atlas, sel, sites, shown, lang)
    ncols = len(shown) + 3
    first = 0.16 if ncols > 6 else 0.3
    widths = [first] + [(1 - first) / (ncols - 1)] * (ncols - 1)
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    # a cell's text is inset by a tenth of the cell's width on each side (matplotlib's Cell.PAD)
    head_pt, header = fit_headers(_header_texts(atlas, shown, lang), [w * width_pt * 0.8 for w in widths],
                                  6 * k, 3.6 * k)
    cells = [[str(v) for v in row] for row in df.itertuples(index=False)]
    title = _l("sheet_table", lang)  # on one line: smaller rather than over the parts above
    title_pt = next((p * k for p in (7.5, 7, 6.5, 6) if _text_pt(title, p * k, False) <= width_pt),
                    5.5 * k)
    ax.set_title(title, fontsize=title_pt, loc="left")
    table = ax.table(cellText=cells, colLabels=header, colWidths=widths, loc="upper center",
                     cellLoc="right", colLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(6 * k)
    lines = max(h.count("\n") + 1 for h in header)
    row_h = min(6 * k * 1.9 / height_pt, 0.075)
    head_h = (lines * head_pt * 1.22 + 4 * k) / height_pt
    if head_h + row_h * len(cells) > 0.98:  # a long table: rows shrink to fit the box
        row_h = (0.98 - head_h) / max(len(cells), 1)
    for (r, c), cell in table.get_celld().items():
        cell.set_height(head_h if r == 0 else row_h)
        cell.set_edgecolor("#bbbbbb")
        cell.set_linewidth(0.4)
        if c == 0:
            cell.set_text_props(ha="left")
        if r == 0:
            cell.set_text_props(weight="bold", fontsize=head_pt, linespacing=1.1)
            if 1 <= c <= len(shown):
                cell.set_facecolor(atlas.catalog[shown[c - 1]].color + "33")
        if r == len(cells):
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#f0f0f0")
    return df


GRID_STEPS = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)


def grid_step(span_m: float, most: int = 7) -> int:
    """The grid interval in metres: the smallest 1-2-5 step giving at most ``most`` lines."""
    return next((s for s in GRID_STEPS if span_m / s <= most), GRID_STEPS[-1])


def draw_grid_ticks(ax, view, k) -> list[float]:
    """VN-2000 / TM-3 grid ticks on the map frame (the map is drawn in EPSG:9208 metres).

    Short ticks point inwards on all four edges at a round interval; the easting and northing
    values (metres, grouped by thin spaces) stand inside the bottom and left edges.

    Returns
    -------
    list of float
        The eastings ticked (for tests).
    """
    x0, y0, x1, y1 = view
    step = grid_step(max(x1 - x0, y1 - y0))
    tick = (y1 - y0) * 0.012
    xs = [v for v in range(int(x0 // step + 1) * step, int(x1), step)]
    ys = [v for v in range(int(y0 // step + 1) * step, int(y1), step)]
    style = {"color": "#444444", "linewidth": 0.7 * k, "zorder": 7, "solid_capstyle": "butt"}
    label = {"fontsize": 5.5 * k, "color": "#444444", "zorder": 7, "bbox": HALO}
    for x in xs:
        ax.plot([x, x], [y0, y0 + tick], **style)
        ax.plot([x, x], [y1, y1 - tick], **style)
        ax.text(x, y0 + tick * 1.3, f"{x:,.0f}".replace(",", "\u2009"), ha="center", va="bottom", **label)
    for y in ys:
        ax.plot([x0, x0 + tick], [y, y], **style)
        ax.plot([x1, x1 - tick], [y, y], **style)
        ax.text(x0 + tick * 1.3, y, f"{y:,.0f}".replace(",", "\u2009"), ha="left", va="center",
                rotation=90, **label)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return [float(x) for x in xs]
