"""Parts of a map sheet: the locator map and the per-district summary table."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
from matplotlib.patches import Rectangle
from shapely.geometry import box

from ..i18n import number, percent, t
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
    """An Giang among its neighbours, the Cambodian border and the map's frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_edgecolor("#888888")
    ax.set_title(_l("sheet_locator", lang, "\n"), fontsize=7 * k, loc="left")
    ax.set_facecolor("#f4f8fb")
    ctx = atlas.table("context")
    districts = atlas.districts().to_crs(METRIC_CRS)
    if ctx is not None:
        ctx = ctx.to_crs(METRIC_CRS)
        neigh = ctx[ctx.role.str.startswith("neighbour")]
        neigh.plot(ax=ax, color="#e4e4e4", edgecolor="#9a9a9a", linewidth=0.4)
        for _, n in neigh.iterrows():
            p = n.geometry.representative_point()
            ax.text(p.x, p.y, n["name"], fontsize=5 * k, ha="center", color="#555555", clip_on=True)
        border = ctx[ctx.role.str.startswith("international")]
        border.plot(ax=ax, color="#a0522d", linewidth=0.9, linestyle=(0, (4, 2)))
        _cambodia_label(ax, ctx, lang, k)
        bounds = ctx[ctx.role.str.startswith(("neighbour", "focus"))].total_bounds
    else:
        bounds = districts.total_bounds
    districts.plot(ax=ax, color="#f3c98b", edgecolor="#c08a3e", linewidth=0.3)
    a = districts.union_all().representative_point()
    ax.text(a.x, a.y, "An Giang", fontsize=6 * k, weight="bold", ha="center", bbox=HALO)
    ax.add_patch(Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], fill=False,
                           edgecolor="#c00000", linewidth=1.0 * k, zorder=5))
    _fit(ax, bounds)


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


def _cambodia_label(ax, ctx, lang, k):
    """Label the land beyond the border line (not covered by any Vietnamese unit)."""
    border = ctx[ctx.role.str.startswith("international")]
    if border.empty:
        return
    land = ctx[ctx.role.str.startswith(("neighbour", "focus"))].union_all()
    b = border.union_all()
    x0, y0, x1, y1 = b.bounds
    span = max(x1 - x0, y1 - y0)
    near = box(x0 - span * 0.3, y0, x1, y1 + span * 0.3).difference(land)
    if near.is_empty:
        return
    p = near.representative_point()
    ax.text(p.x, p.y, _l("sheet_cambodia", lang, "\n"), fontsize=5 * k, ha="center", va="center",
            color="#a0522d", style="italic")


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


def draw_table(ax, atlas, sel, sites, shown, lang, k):
    """The summary table; header cells carry each layer's colour."""
    ax.axis("off")
    df = summary_frame(atlas, sel, sites, shown, lang)
    head_lang = "vi" if lang == "both" else lang
    ncols = len(shown) + 3
    first = 0.18 if ncols > 6 else 0.3
    widths = [first] + [(1 - first) / (ncols - 1)] * (ncols - 1)
    col_pt = widths[1] * ax.get_position().width * ax.figure.get_figwidth() * 72
    names = [atlas.catalog[lid].title[head_lang] for lid in shown]
    longest = max([len(w) for n in names for w in re.split(r"[\s-]+", n)] + [6])
    head_pt = max(4.5 * k, min(5.5 * k, col_pt / (longest * 0.6)))  # long words fit their cell
    chars = max(longest, int(col_pt / (head_pt * 0.58)))
    wrap = lambda text, n: textwrap.fill(text, n, break_long_words=False)  # noqa: E731
    header = ([wrap(_l("sheet_district", lang), int(chars * widths[0] / widths[1]))]
              + [wrap(n, chars) for n in names]
              + [wrap(_l(key, lang), chars) for key in ("sheet_sites", "sheet_verified")])
    cells = [[str(v) for v in row] for row in df.itertuples(index=False)]
    ax.set_title(_l("sheet_table", lang), fontsize=7.5 * k, loc="left")
    table = ax.table(cellText=cells, colLabels=header, colWidths=widths, loc="upper center",
                     cellLoc="right", colLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(6 * k)
    lines = max(h.count("\n") + 1 for h in header)
    row_h = min(0.9 / (len(cells) + lines), 0.075)
    for (r, c), cell in table.get_celld().items():
        cell.set_height(row_h * (lines if r == 0 else 1))
        cell.set_edgecolor("#bbbbbb")
        cell.set_linewidth(0.4)
        if c == 0:
            cell.set_text_props(ha="left")
        if r == 0:
            cell.set_text_props(weight="bold", fontsize=head_pt)
            if 1 <= c <= len(shown):
                cell.set_facecolor(atlas.catalog[shown[c - 1]].color + "33")
        if r == len(cells):
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#f0f0f0")
    return df
