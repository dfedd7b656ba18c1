"""An in-memory index of a point table, for the API's bbox pages (one per table and build).

A bbox page through SQLite costs an R-tree query, the exact test of the envelopes across the
box's edge and a fetch of the page's rows by id (~1.3 ms of a ~3.3 ms page at 100,000
features). For a table of points this index answers the same page from memory: the points
sorted by x (one binary search per edge of the box, as the map's index does), the y test on
that slice, then the rows of the page, read once from the same SELECT and kept as they come
from the database. The answer is the same: a point matches when ``x0 <= x <= x1`` and
``y0 <= y <= y1`` (the exact test of the SQL path), in id order.

The atlas keeps one per build in its memo (:meth:`geo_kttt.store.base.Atlas.memo`), so a
rebuild, which opens a new atlas, gets a new index. ``geo-kttt serve`` builds it in each
worker before it serves. The cost is memory: ~1.8 KB per row per worker (the rows as Python
objects: 185 MB and 1.2 s of CPU for 100,000 synthetic sites), so tables of other geometries,
or larger than :data:`MAX_ROWS`, keep the SQL path.
"""

from __future__ import annotations

import numpy as np
import shapely

MAX_ROWS = 200_000  # ~370 MB per worker at most


class PointIndex:
    """The points of one table (x-sorted) and its rows (id order), as :meth:`page` needs them."""

    def __init__(self, rows: list, geometries: np.ndarray):
        self.rows = rows  # every row in id order, as the SQL path returns them
        self.geometries = geometries
        x, y = np.full(len(geometries), np.nan), np.full(len(geometries), np.nan)
        some = (shapely.get_type_id(geometries) == 0) & ~shapely.is_empty(geometries)
        x[some], y[some] = shapely.get_x(geometries[some]), shapely.get_y(geometries[some])
        self.order = np.argsort(x, kind="stable")  # row positions by x
        self.x, self.y = x[self.order], y[self.order]

    @classmethod
    def of(cls, rows: list, geometries: np.ndarray) -> PointIndex | None:
        """The index of ``rows`` and their ``geometries``; None unless all are 2D points or empty."""
        kinds = shapely.get_type_id(geometries)
        ok = geometries[kinds != -1]  # NULL geometries never match a bbox (nor do empty points)
        if ((kinds != 0) & (kinds != -1)).any() or shapely.has_z(ok).any():
            return None
        return cls(rows, geometries)

    def match(self, bbox) -> np.ndarray:
        """Row positions (ascending: id order) of the points inside ``bbox`` (edges included)."""
        x0, y0, x1, y1 = bbox
        lo, hi = np.searchsorted(self.x, x0, "left"), np.searchsorted(self.x, x1, "right")
        ys = self.y[lo:hi]
        return np.sort(self.order[lo:hi][(ys >= y0) & (ys <= y1)])

    def page(self, bbox, limit: int, offset: int) -> tuple[list, np.ndarray, int]:
        """(rows as lists, geometries, number matched) of one page of the points in ``bbox``."""
        hits = self.match(bbox)
        wanted = hits[offset:offset + limit]
        return [list(self.rows[i]) for i in wanted.tolist()], self.geometries[wanted], len(hits)
