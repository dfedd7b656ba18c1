"""Server-side clusters: what the map draws in one web-map tile at one zoom, as small JSON.

The browser never receives every site. It asks for the tiles of its view (``z/x/y``, the
usual 256-pixel web-map tiles) and gets, per layer, the clusters and single sites in each.
A cluster is every site of one layer in one *cell* (a tile split into 4 × 4 cells of 64 px):
drawn at its sites' mean position, with their count and bounding box. A cell holding one
site sends that site (id, name, precision), so sites appear one by one as the user zooms
in; from zoom :data:`CLUSTER_OFF_ZOOM` on every site is sent by itself. Cells never
straddle tiles, so no site is counted twice and tiles can be cached independently.

:class:`ClusterIndex` is built once per opened atlas (:func:`cluster_index`, cached like the
other map data): each layer's sites sorted by a Morton (Z-order) code of their web-Mercator
position at zoom :data:`DEPTH`. The sites of any tile, and of any cell, are then one
contiguous run of that order (a prefix of the code), found by binary search; filters
(status, district, verified) are masks on small integer codes. A tile costs the sites in it,
never a pass over the atlas; answers are cached per tile and filter.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from ..catalog import STATUSES
from .data import Filters, all_sites

DEPTH = 24  # Morton code precision: tiles and cells up to zoom 24 (0.01 m at the equator)
CELL_BITS = 2  # a tile holds 2**2 x 2**2 cells: 64 px clusters
CLUSTER_OFF_ZOOM = 15  # from this zoom on every site is drawn by itself (Leaflet: 0-based zooms)
TILE_CACHE = 4096  # tile answers kept per atlas (each a few KB)
CLIENT = {"offZoom": CLUSTER_OFF_ZOOM, "cellBits": CELL_BITS}  # what atlas-sources.js needs to know
_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def mercator(lon, lat):
    """Web-Mercator position in [0, 1) x [0, 1) (x east, y south) of arrays of degrees."""
    lon, lat = np.asarray(lon, dtype=float), np.clip(np.asarray(lat, dtype=float), -85.0511, 85.0511)
    x = (lon + 180.0) / 360.0
    s = np.sin(np.radians(lat))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * np.pi)
    return np.clip(x, 0, 1 - 1e-12), np.clip(y, 0, 1 - 1e-12)


def _spread(v: np.ndarray) -> np.ndarray:
    """The bits of 32-bit integers moved to the even bit positions of 64-bit ones."""
    v = v.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def morton(ix, iy) -> np.ndarray:
    """Z-order codes of integer cell positions (x in the even bits, y in the odd ones)."""
    return _spread(np.asarray(ix)) | (_spread(np.asarray(iy)) << np.uint64(1))


def codes_of(lon, lat) -> np.ndarray:
    """Morton codes at zoom :data:`DEPTH` of positions in degrees."""
    x, y = mercator(lon, lat)
    scale = float(1 << DEPTH)
    return morton((x * scale).astype(np.uint64), (y * scale).astype(np.uint64))


@dataclass
class _Layer:
    """One layer's sites in Morton order: codes, positions, filter codes and rows of ``all_sites``."""

    codes: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    status: np.ndarray
    district: np.ndarray
    verified: np.ndarray
    rows: np.ndarray


class ClusterIndex:
    """Every site of an atlas, per layer in Morton order; answers :meth:`tile` and :meth:`counts`.

    Parameters
    ----------
    sites : DataFrame
        :func:`geo_kttt.maps.data.all_sites` (layer, id, names, status, district_code,
        verified, location_precision, geometry in EPSG:4326).
    layers : sequence of str
        The catalogue's layer ids, in order.
    """

    def __init__(self, sites, layers):
        self.layer_ids = list(layers)
        self.statuses = list(STATUSES)
        self.districts = sorted(set(sites["district_code"].astype(str)))
        lon, lat = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
        codes = codes_of(lon, lat)
        status = _codes(sites["status"], self.statuses)
        district = _codes(sites["district_code"].astype(str), self.districts)
        verified = sites["verified"].astype(bool).to_numpy()
        layer = sites["layer"].to_numpy()
        self.ids = sites["id"].to_numpy(dtype=object)
        self.names = {"vi": sites["name_vi"].to_numpy(dtype=object),
                      "en": sites["name_en"].to_numpy(dtype=object)}
        self.precision = sites["location_precision"].to_numpy(dtype=object)
        self.layers = {}
        for lid in self.layer_ids:
            rows = np.flatnonzero(layer == lid)
            rows = rows[np.argsort(codes[rows], kind="stable")]
            self.layers[lid] = _Layer(codes[rows], lon[rows], lat[rows], status[rows], district[rows],
                                      verified[rows], rows)
        self.zoom = self._alone_zoom(len(sites))
        self.extent = ([float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
                       if len(lon) else None)
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def _alone_zoom(self, n: int) -> np.ndarray:
        """Per site (row of ``all_sites``): the first zoom at which no other site of its layer
        shares its cell, so it is drawn by itself (at the latest :data:`CLUSTER_OFF_ZOOM`)."""
        out = np.full(n, CLUSTER_OFF_ZOOM, dtype=np.int8)
        for lay in self.layers.values():
            todo = np.ones(len(lay.codes), dtype=bool)
            for z in range(CLUSTER_OFF_ZOOM):
                cells = lay.codes >> np.uint64(2 * (DEPTH - z - CELL_BITS))
                same = cells[1:] == cells[:-1]
                alone = ~(np.r_[False, same] | np.r_[same, False])
                hit = todo & alone
                out[lay.rows[hit]] = z
                todo &= ~alone
        return out

    def zoom_of(self, layer: str, site_id: str) -> int | None:
        """The zoom at which site ``layer``/``site_id`` is drawn by itself (None: no such site)."""
        lay = self.layers.get(layer)
        if lay is None:
            return None
        hit = lay.rows[self.ids[lay.rows] == site_id]
        return int(self.zoom[hit[0]]) if len(hit) else None

    def mask(self, lay: _Layer, f: Filters, lo: int = 0, hi: int | None = None) -> np.ndarray | None:
        """Which of ``lay``'s sites in ``lo:hi`` pass the filters (None: all of them)."""
        parts = []
        if f.statuses:
            wanted = [self.statuses.index(s) for s in f.statuses if s in self.statuses]
            parts.append(np.isin(lay.status[lo:hi], wanted))
        if f.district:
            code = self.districts.index(f.district) if f.district in self.districts else -1
            parts.append(lay.district[lo:hi] == code)
        if f.verified:
            parts.append(lay.verified[lo:hi])
        if not parts:
            return None
        return np.logical_and.reduce(parts)

    def counts(self, f: Filters) -> dict[str, int]:
        """Sites per layer that pass ``f`` (its ``layers`` aside), for the legend and the panel."""
        out = {}
        for lid, lay in self.layers.items():
            m = self.mask(lay, f)
            out[lid] = len(lay.codes) if m is None else int(m.sum())
        return out

    def tile(self, z: int, x: int, y: int, f: Filters | None = None, lang: str = "vi") -> bytes:
        """The clusters and single sites of tile ``z/x/y`` as JSON (see :func:`tile_dict`)."""
        f = f or Filters()
        key = (z, x, y, f, lang)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        body = orjson.dumps(self.tile_dict(z, x, y, f, lang))
        with self._lock:
            self._cache[key] = body
            while len(self._cache) > TILE_CACHE:
                self._cache.popitem(last=False)
        return body

    def tile_dict(self, z: int, x: int, y: int, f: Filters, lang: str) -> dict:
        """``{"z", "x", "y", "count", "layers": {id: {"clusters": [...], "sites": [...]}}}``.

        A cluster is ``[lon, lat, count, west, south, east, north]``; a site is
        ``[lon, lat, id, name, precision]``. Layers with nothing in the tile are left out.
        """
        if not (0 <= z <= DEPTH and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            raise ValueError(f"no tile {z}/{x}/{y}")
        shift = np.uint64(2 * (DEPTH - z))
        first = morton(np.array([x]), np.array([y]))[0] << shift
        last = first + (np.uint64(1) << shift)
        out, total = {}, 0
        for lid, lay in self.layers.items():
            if f.layers is not None and lid not in f.layers:
                continue
            lo, hi = np.searchsorted(lay.codes, [first, last])
            if lo == hi:
                continue
            sel = np.arange(lo, hi)
            m = self.mask(lay, f, lo, hi)
            if m is not None:
                sel = sel[m]
            if not len(sel):
                continue
            total += len(sel)
            out[lid] = self._cells(lay, sel, z, lang)
        return {"z": z, "x": x, "y": y, "count": total, "layers": out}

    def _cells(self, lay: _Layer, sel: np.ndarray, z: int, lang: str) -> dict:
        """Clusters and single sites of the sites ``sel`` (ascending) of one layer."""
        if z >= CLUSTER_OFF_ZOOM:
            return {"clusters": [], "sites": self._sites(lay, sel, lang)}
        cells = lay.codes[sel] >> np.uint64(2 * (DEPTH - z - CELL_BITS))
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        n = np.diff(np.r_[starts, len(sel)])
        lon, lat = lay.lon[sel], lay.lat[sel]
        many = n > 1
        clusters = np.column_stack([
            np.add.reduceat(lon, starts) / n, np.add.reduceat(lat, starts) / n, n,
            np.minimum.reduceat(lon, starts), np.minimum.reduceat(lat, starts),
            np.maximum.reduceat(lon, starts), np.maximum.reduceat(lat, starts)])[many]
        clusters = np.round(clusters, 6).tolist()
        for c in clusters:
            c[2] = int(c[2])
        return {"clusters": clusters, "sites": self._sites(lay, sel[starts[~many]], lang)}

    def _sites(self, lay: _Layer, sel: np.ndarray, lang: str) -> list:
        rows = lay.rows[sel]
        lon, lat = np.round(lay.lon[sel], 6).tolist(), np.round(lay.lat[sel], 6).tolist()
        return [[a, b, self.ids[r], self.names[lang][r], self.precision[r]]
                for a, b, r in zip(lon, lat, rows.tolist(), strict=True)]


def _codes(values, vocabulary: list) -> np.ndarray:
    """Positions of ``values`` in ``vocabulary`` (-1 for any other value), as small integers."""
    return pd.Categorical(np.asarray(values, dtype=object), categories=vocabulary).codes.astype(np.int16)


def cluster_index(atlas) -> ClusterIndex:
    """The atlas's :class:`ClusterIndex`, built on first use and kept as long as the atlas."""
    with _LOCK:
        index = _INDEXES.get(atlas)
        if index is None:
            index = _INDEXES[atlas] = ClusterIndex(all_sites(atlas), list(atlas.catalog))
    return index
