"""Map sheets that read well (issue 12 §12, §14): names clear of markers and of each other,
table headers inside their cells, bilingual tables, an honest empty-district message."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle
from shapely.geometry import Point, box

from geo_kttt.export.selection import Selection
from geo_kttt.export.sheet import RC, draw_sheet
from geo_kttt.sites import METRIC_CRS


def _drawn(atlas, sel, lang="vi"):
    with matplotlib.rc_context(RC):
        fig, info = draw_sheet(atlas, sel, lang=lang)
        FigureCanvasAgg(fig).draw()
    return fig, fig.canvas.get_renderer(), info


def _axes(fig, title_start: str):
    return next(ax for ax in fig.axes if ax.get_title(loc="left").startswith(title_start))


@pytest.mark.parametrize("sel", [Selection(), Selection(district="883"), Selection(district="890")])
def test_district_names_never_sit_on_markers(atlas, sel):
    fig, renderer, _ = _drawn(atlas, sel)
    ax = fig.axes[1]
    names = set(atlas.districts().name)
    labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_text() in names]
    assert labels
    for coll in ax.collections:
        if coll.get_gid() not in atlas.catalog:
            continue
        centres = coll.get_offset_transform().transform(coll.get_offsets())
        r = np.sqrt(coll.get_sizes()[0]) / 2 * fig.dpi / 72  # marker radius in pixels
        for bb in labels:
            inside = ((centres[:, 0] > bb.x0 - r) & (centres[:, 0] < bb.x1 + r)
                      & (centres[:, 1] > bb.y0 - r) & (centres[:, 1] < bb.y1 + r))
            assert not inside.any(), f"a {coll.get_gid()} marker under a district name"
    for i, a in enumerate(labels):  # nor on each other
        assert not any(a.overlaps(b) for b in labels[i + 1:])


@pytest.mark.parametrize("sel", [Selection(), Selection(district="890"), Selection(district="886")])
def test_locator_names_cross_neither_frame_nor_each_other(atlas, sel):
    fig, renderer, _ = _drawn(atlas, sel)
    ax = _axes(fig, "Vị trí")
    texts = [t for t in ax.texts if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    frame = next(p for p in ax.patches if isinstance(p, Rectangle)).get_window_extent(renderer)
    edges = [box(frame.x0, frame.y0, frame.x1, frame.y1).boundary]
    for t, bb in zip(texts, boxes, strict=True):
        assert not edges[0].intersects(box(bb.x0, bb.y0, bb.x1, bb.y1)), f"the frame cuts {t.get_text()!r}"
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1:]), texts[i].get_text()
    names = [t.get_text() for t in texts]
    assert "An Giang" in names and "CAMPUCHIA" in names
    cambodia = texts[names.index("CAMPUCHIA")]
    land = atlas.table("context").to_crs(METRIC_CRS)
    land = land[land.role.str.startswith(("neighbour", "focus"))].union_all()
    assert not land.contains(Point(cambodia.get_position())), "CAMPUCHIA printed on Vietnamese land"
    province = atlas.districts().to_crs(METRIC_CRS).union_all()  # no neighbour's name across An Giang
    to_data = ax.transData.inverted()
    for t, bb in zip(texts, boxes, strict=True):
        if t.get_text() != "An Giang":
            (x0, y0), (x1, y1) = to_data.transform([(bb.x0, bb.y0), (bb.x1, bb.y1)])
            assert not province.intersects(box(x0, y0, x1, y1)), f"{t.get_text()!r} is printed on An Giang"


@pytest.mark.parametrize("lang, sel", [("vi", Selection()), ("both", Selection(district="890")),
                                       ("en", Selection(district="883"))])
def test_table_headers_fit_their_cells(atlas, lang, sel):
    fig, renderer, _ = _drawn(atlas, sel, lang)
    ax = _axes(fig, {"vi": "Số cơ sở", "en": "Sites", "both": "Số cơ sở"}[lang])
    table = ax.tables[0]
    for (r, _c), cell in table.get_celld().items():
        if r != 0:
            continue
        outer, text = cell.get_window_extent(renderer), cell.get_text().get_window_extent(renderer)
        assert outer.x0 - 0.5 <= text.x0 and text.x1 <= outer.x1 + 0.5, cell.get_text().get_text()
        assert outer.y0 - 0.5 <= text.y0 and text.y1 <= outer.y1 + 0.5, cell.get_text().get_text()
    title = ax.title if ax.get_title() else ax._left_title
    assert title.get_window_extent(renderer).x1 <= ax.get_window_extent(renderer).x1 + 1


def test_both_languages_table_is_bilingual(atlas):
    fig, _renderer, _ = _drawn(atlas, Selection(district="890"), "both")
    ax = _axes(fig, "Số cơ sở")
    header = [c.get_text().get_text().replace("\n", " ") for (r, _c), c in ax.tables[0].get_celld().items()
              if r == 0]
    joined = " ".join(header)
    for word in ("Huyện", "District", "Số cơ sở", "Sites", "Đã kiểm chứng", "Verified"):
        assert word in joined, word
    for lid in ("solar_plants", "waste_facilities"):
        title = atlas.catalog[lid].title
        assert " ".join(title["vi"].split()) in joined and " ".join(title["en"].split()) in joined


def test_a_district_without_located_sites_says_so(atlas):
    fig, _r, info = _drawn(atlas, Selection(district="886"), "both")
    text = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert info.sites == 0 and "No located site in An Phú" in text and "tại An Phú" in text
    fig, _r, info = _drawn(atlas, Selection(district="890", statuses=("closed",)), "en")
    text = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert info.sites == 0 and "No site matches the filters" in text and "located" not in text
