"""The in-memory point index (geo_kttt.store.points) answers bbox pages as the SQL path does."""

import numpy as np
import shapely

from geo_kttt.store import open_atlas
from geo_kttt.store.points import PointIndex


def _boxes(atlas, lid, rng):
    """Random boxes, the whole extent, and boxes whose edges pass exactly through sites."""
    x0, y0, x1, y1 = atlas.extent(lid)
    out = [[x0, y0, x1, y1], [x1 + 1, y0, x1 + 2, y1], [x1, y1, x0, y0]]
    for _ in range(20):
        cx, cy, h = rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(0.01, 0.3)
        out.append([cx - h, cy - h, cx + h, cy + h])
    pts = atlas.sites(lid).geometry
    for p in pts.iloc[:5]:
        out += [[p.x, p.y, p.x + 0.1, p.y + 0.1], [p.x - 0.1, p.y - 0.1, p.x, p.y], [p.x, p.y, p.x, p.y]]
    return out


def test_bbox_pages_from_memory_equal_the_sql_path(atlas_path):
    fast, sql = open_atlas(atlas_path), open_atlas(atlas_path)
    rng = np.random.default_rng(5)
    for lid in fast.catalog:
        sql.memo(f"points:{lid}", lambda: None)  # no index: the R-tree and row fetch
        for bbox in _boxes(fast, lid, rng):
            for limit, offset in ((10, 0), (3, 2), (1000, 0), (5, 10_000)):
                a, b = fast.page(lid, bbox, limit=limit, offset=offset), sql.page(lid, bbox, limit=limit,
                                                                                offset=offset)
                assert (a.columns, a.rows, a.matched) == (b.columns, b.rows, b.matched), (lid, bbox)
                assert shapely.equals_exact(a.geometries, b.geometries, 0).all()
        assert fast.memo(f"points:{lid}", lambda: None) is not None  # the index was used


def test_only_tables_of_2d_points_are_indexed(atlas):
    rows = [[1], [2], [3]]
    assert PointIndex.of(rows, shapely.points([[0, 0], [1, 1], [2, 2]])) is not None
    assert PointIndex.of(rows, np.array([shapely.Point(0, 0), None, shapely.Point()])) is not None
    assert PointIndex.of(rows, shapely.points([[0, 0, 1], [1, 1, 1], [2, 2, 1]])) is None
    assert PointIndex.of(rows[:2], np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)])) is None
    assert atlas.page("districts", [104, 9, 107, 12]).matched == 11  # polygons: the SQL path
    assert atlas.memo("points:districts", lambda: "unset") is None


def test_null_and_empty_points_never_match():
    index = PointIndex([[1], [2], [3]], np.array([shapely.Point(0, 0), None, shapely.Point()]))
    rows, geoms, matched = index.page([-1, -1, 1, 1], 10, 0)
    assert (rows, matched) == ([[1]], 1) and geoms[0].equals(shapely.Point(0, 0))
