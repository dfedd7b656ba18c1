"""Where a unit's name goes: inside the unit, clear of the markers drawn in it.

One rule for the web map and the printed sheets: the name's box (its width and height in
metres at the scale it is drawn) is set at the candidate point inside the unit nearest its
inner point (shapely's ``representative_point``) whose box touches no marker; when no point
is clear, at the one with the most room. Coordinates are metres (EPSG:9208).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

GRID = 28  # candidates per side of the unit's bounding box


def obstacles_array(obstacles) -> np.ndarray:
    """Obstacles as rows (x, y, half-width, half-height, radius): circles (x, y, r) become
    (x, y, 0, 0, r); boxes are given as (x, y, hw, hh, 0)."""
    a = np.asarray(obstacles, dtype=float)
    if a.size == 0:
        return np.zeros((0, 5))
    if a.ndim == 1:
        a = a[None, :]
    if a.shape[1] == 3:
        a = np.column_stack([a[:, :2], np.zeros((len(a), 2)), a[:, 2]])
    return a


DENSE = 200_000  # candidate × obstacle pairs computed at once; past it, only those in reach


def clearance(xy: np.ndarray, size: tuple[float, float], obstacles) -> np.ndarray:
    """For each candidate centre in ``xy`` (M×2), the gap between its box of ``size`` (w, h)
    and the nearest obstacle (see :func:`obstacles_array`); negative where they overlap.

    Many pairs (a sheet of 100,000 sites): an upper bound from every 64th obstacle, then for
    each candidate only the obstacles (sorted by x) that can come nearer than it: a gap is
    never less than its x or y separation minus the obstacle's radius. Same answers.
    """
    obs = obstacles_array(obstacles)
    if len(obs) == 0:
        return np.full(len(xy), np.inf)
    if len(xy) * len(obs) <= DENSE:
        return _gaps(xy, size, obs)
    upper = _gaps(xy, size, obs[::64])
    obs = obs[np.argsort(obs[:, 0], kind="stable")]
    slack = 1.0 + 1e-9 * np.abs(obs[:, :2]).max()  # margin for rounding: only adds obstacles
    reach_x = upper + size[0] / 2 + (obs[:, 2] + obs[:, 4]).max() + slack
    reach_y = upper + size[1] / 2 + (obs[:, 3] + obs[:, 4]).max() + slack
    lo = np.searchsorted(obs[:, 0], xy[:, 0] - reach_x, "left")
    hi = np.searchsorted(obs[:, 0], xy[:, 0] + reach_x, "right")
    out = np.empty(len(xy))
    for i in range(len(xy)):
        near = obs[lo[i]:hi[i]]
        near = near[np.abs(near[:, 1] - xy[i, 1]) <= reach_y[i]]
        out[i] = _gaps(xy[i:i + 1], size, near)[0]
    return out


def _gaps(xy: np.ndarray, size: tuple[float, float], obs: np.ndarray) -> np.ndarray:
    """:func:`clearance` over every pair of ``xy`` and obstacle rows ``obs`` (at least one)."""
    w, h = size[0] / 2, size[1] / 2
    px = np.abs(xy[:, None, 0] - obs[None, :, 0]) - w - obs[None, :, 2]  # signed, per axis
    py = np.abs(xy[:, None, 1] - obs[None, :, 1]) - h - obs[None, :, 3]
    outside = np.hypot(np.maximum(px, 0), np.maximum(py, 0))
    gap = np.where((px > 0) | (py > 0), outside, np.maximum(px, py))  # < 0: boxes overlap
    return (gap - obs[None, :, 4]).min(axis=1)


def label_point(shape, size: tuple[float, float], obstacles, with_room: bool = False):
    """The centre for a name of ``size`` (w, h) inside ``shape``, clear of ``obstacles``.

    Parameters
    ----------
    shape : shapely geometry
        The unit (or the part of it that is drawn).
    size : (float, float)
        The label's width and height, in the units of ``shape``.
    obstacles : array
        Marker circles (N×3: x, y, r) or boxes and circles (N×5, :func:`obstacles_array`).
    with_room : bool
        Also return the gap to the nearest obstacle (negative: no clear point was found).

    Returns
    -------
    shapely.geometry.Point, or (Point, float) with ``with_room``
    """
    obstacles = obstacles_array(obstacles)
    x0, y0, x1, y1 = shape.bounds
    ox, oy, hw, hh, r = obstacles.T
    gap_x = np.maximum.reduce([x0 - ox - hw, ox - hw - x1, np.zeros(len(ox))])
    gap_y = np.maximum.reduce([y0 - oy - hh, oy - hh - y1, np.zeros(len(oy))])
    obstacles = obstacles[(gap_x < size[0] + r) & (gap_y < size[1] + r)]  # only those in reach
    xy = candidates(shape, size)
    room = clearance(xy, size, obstacles)
    clear = room > size[1] * 0.25  # a little air between name and marker
    best = int(np.flatnonzero(clear)[0]) if clear.any() else int(np.argmax(room))
    point = Point(xy[best])
    return (point, float(room[best])) if with_room else point


def candidates(shape, size: tuple[float, float]) -> np.ndarray:
    """Points where a label of ``size`` may go in ``shape`` (M×2), best first: the unit's inner
    point, then grid points at least half the label's height inside it, nearest first."""
    inner = shape.representative_point()
    x0, y0, x1, y1 = shape.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    core = shape.buffer(-size[1] / 2)
    xy = xy[shapely.contains_xy(core if not core.is_empty else shape, xy[:, 0], xy[:, 1])]
    xy = xy[np.argsort(np.hypot(xy[:, 0] - inner.x, xy[:, 1] - inner.y), kind="stable")]
    return np.vstack([[inner.x, inner.y], xy])


def box_obstacle(x: float, y: float, size: tuple[float, float]) -> list[float]:
    """A placed label of ``size`` centred at (x, y), as an obstacle row."""
    return [x, y, size[0] / 2, size[1] / 2, 0.0]


def line_obstacles(geom, width: float, step: float) -> np.ndarray:
    """A line (a frame's edge, a border) as circles of radius ``width`` every ``step``."""
    line = geom.boundary if geom.geom_type in ("Polygon", "MultiPolygon") else geom
    n = max(2, int(line.length / step))
    pts = [line.interpolate(i / n, normalized=True) for i in range(n + 1)]
    return np.array([[p.x, p.y, width] for p in pts])


# The web map at the zoom that shows the province (~9.7 on an office screen): metres per pixel
# at An Giang's latitude, and the sizes of its markers and names in pixels (map.css).
WEB_M_PER_PX = 180.0
WEB_MARKER_PX, WEB_RING_PX = 17.0, 26.0  # a cluster's radius; the ring of layers sharing a point
WEB_CHAR_PX, WEB_LINE_PX = 6.8, 15.0  # .district-label: 600 11px system-ui


def web_obstacles(points: np.ndarray, layers) -> np.ndarray:
    """Marker circles (x, y, r in metres) of sites at ``points`` (N×2, EPSG:9208): a point
    shared by several layers carries a ring of markers around it (atlas.js ``ringOffset``)."""
    if len(points) == 0:
        return np.zeros((0, 3))
    df = pd.DataFrame({"x": np.round(points[:, 0]), "y": np.round(points[:, 1]), "layer": layers})
    n = df.groupby(["x", "y"])["layer"].nunique().reset_index()
    r = (WEB_MARKER_PX + np.where(n.layer > 1, WEB_RING_PX, 0)) * WEB_M_PER_PX
    return np.column_stack([n.x, n.y, r])


def web_label_size(name: str) -> tuple[float, float]:
    """(w, h) in metres of a district name on the web map at the province's zoom."""
    return ((len(name) * WEB_CHAR_PX + 8) * WEB_M_PER_PX, WEB_LINE_PX * WEB_M_PER_PX)
