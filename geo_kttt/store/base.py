"""The built atlas as one GeoPackage (the default backend), and the read API of both backends.

``assemble`` validates the layer files and gathers every table in memory (both backends
write what it returns); ``build_geopackage`` writes them atomically: a failed build leaves
the previous atlas untouched. :class:`Atlas` reads a GeoPackage; ``store.postgis``
subclasses it. ``geo_kttt.store.build`` and ``open_atlas`` pick the backend.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import queue
import sqlite3
import threading
import uuid
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import __version__, io
from ..admin import AdminUnits
from ..catalog import COLUMNS, Layer, load_atlas_meta
from ..errors import AtlasError
from ..i18n import Msg
from ..validate import ValidationFailed, validate_all
from .points import MAX_ROWS, PointIndex

SITE_COLUMNS = ["layer"] + COLUMNS + ["position_source"]
TABLES = ("districts", "communes", "commune_points", "new_communes", "crosswalk",
          "indicators", "errata", "catalog", "metadata", "changes", "context")


# GeoPackage column types -> JSON Schema types (also what the OGC API advertises).
JSON_TYPES = {"TEXT": "string", "INTEGER": "integer", "REAL": "number", "BOOLEAN": "boolean",
              "BIGINT": "integer", "DOUBLE PRECISION": "number"}
_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # GeoPackage binary header envelope sizes


class Page(NamedTuple):
    """One page of features: column names, rows (lists), shapely geometries, total matched."""

    columns: list
    rows: list
    geometries: np.ndarray
    matched: int


class AtlasMissing(AtlasError, FileNotFoundError):
    """No built atlas where one was expected."""

    http_status = 503


class AtlasUnreadable(AtlasMissing):
    """An atlas that is there but cannot be read (truncated, corrupt, not a GeoPackage):
    to its readers as good as missing."""


POOL_SIZE = 8  # SQLite connections of one open atlas, handed out one query at a time
OPEN_ATTEMPTS = 5


def file_identity(path) -> tuple:
    """(device, inode, mtime in ns, size) of ``path``: changes whenever a build replaces it."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _table(df: pd.DataFrame, path: Path, name: str, description: str = "") -> None:
    """Write one table (spatial or not) into the GeoPackage at ``path``."""
    meta = {"IDENTIFIER": name, "DESCRIPTION": description} if description else None
    if isinstance(df, gpd.GeoDataFrame):
        pyogrio.write_dataframe(df, path, layer=name, driver="GPKG", layer_metadata=meta,
                                append=path.exists(), **io.GPKG_OPTIONS)
    else:
        pyogrio.write_dataframe(df.astype(str), path, layer=name, driver="GPKG",
                                layer_metadata=meta, append=path.exists(), **io.GPKG_OPTIONS)


def assemble(layers_dir: Path, admin: AdminUnits):
    """Validate the layer files and gather every table of the atlas, in memory.

    Returns
    -------
    (tables: dict[str, DataFrame], catalog: dict[str, Layer], warnings: list)

    Raises
    ------
    ValidationFailed
        When any layer file has an error.
    """
    catalog, frames, problems = validate_all(layers_dir, admin)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)
    meta = load_atlas_meta(layers_dir)
    tables = {lid: frames[lid][SITE_COLUMNS + ["geometry"]] for lid in catalog}
    tables["districts"] = admin.districts
    if admin.communes is not None:
        tables["communes"] = admin.communes
    tables["commune_points"] = admin.commune_points
    if admin.context is not None:  # neighbours and border, for locator maps
        tables["context"] = admin.context
    tables["new_communes"] = admin.new_communes
    tables["crosswalk"] = admin.crosswalk
    tables["indicators"] = io.read_table(Path(layers_dir) / "indicators.csv")
    tables["errata"] = io.read_table(Path(layers_dir) / "errata.csv")
    if (Path(layers_dir) / "changes.csv").is_file():  # written by `geo-kttt import`
        tables["changes"] = io.read_table(Path(layers_dir) / "changes.csv")
    tables["catalog"] = pd.DataFrame({"id": list(catalog),
                                      "definition": [c.to_json() for c in catalog.values()]})
    info = {"title_vi": meta["title"]["vi"], "title_en": meta["title"]["en"],
            "data_date": meta["data_date"], "report": meta.get("report", ""),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "build_id": uuid.uuid4().hex,  # what servers compare to notice a new build
            "version": __version__,
            "attribution": json.dumps(meta["attribution"], ensure_ascii=False),
            "admin_sources": json.dumps(list(admin.sources), ensure_ascii=False),
            "has_commune_polygons": str(admin.communes is not None).lower()}
    tables["metadata"] = pd.DataFrame({"key": list(info), "value": list(info.values())})
    return tables, catalog, [p for p in problems if p.severity == "warning"]


def build_geopackage(layers_dir: Path, admin: AdminUnits, dest: Path) -> list:
    """Build the atlas GeoPackage at ``dest``; returns the validation warnings."""
    tables, catalog, warnings = assemble(layers_dir, admin)
    with io.atomic_path(Path(dest)) as tmp:
        for name, df in tables.items():
            desc = catalog[name].title["vi"] + " / " + catalog[name].title["en"] \
                if name in catalog else ""
            _table(df, tmp, name, desc)
    return warnings


class Atlas:
    """Read-only access to a built atlas GeoPackage: ONE build of the file, whatever happens later.

    Opening reads every table and opens a small pool of SQLite connections, and checks that the
    file was the same build before and after (retrying when a build replaced it meanwhile).
    A connection keeps reading the file it opened after ``os.replace`` puts a new build at the
    path (POSIX), so an open Atlas never mixes two builds; :attr:`identity` says which one it
    holds and :meth:`is_current` whether the path still holds it.

    Raises
    ------
    AtlasMissing
        No file at ``path``.
    AtlasUnreadable
        A file that is not a readable atlas (its reason in the message).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache = {}
        self._pool: queue.LifoQueue = queue.LifoQueue()
        self._open()

    def _open(self) -> None:
        for _attempt in range(OPEN_ATTEMPTS):
            try:
                before = file_identity(self.path)
                conns = [sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                         check_same_thread=False) for _ in range(POOL_SIZE)]
                conns[0].execute("SELECT count(*) FROM gpkg_contents").fetchone()
                tables = {name: pyogrio.read_dataframe(self.path, layer=name)
                          for name in io.list_layers(self.path)}
                same = file_identity(self.path) == before
            except FileNotFoundError as e:
                raise AtlasMissing(Msg("atlas_missing", location=self.path)) from e
            except (sqlite3.Error, OSError, RuntimeError, ValueError) as e:
                raise self._unreadable(e) from e
            if same:
                break
            for db in conns:
                db.close()
        else:
            raise AtlasUnreadable(Msg("atlas_kept_changing", location=self.path, n=OPEN_ATTEMPTS))
        self.identity, self._cache = before, tables
        for db in conns:
            self._pool.put(db)
        try:  # parse the definitions now: a broken atlas fails here, not in a request
            self.catalog, self.metadata, self._schemas  # noqa: B018
        except (KeyError, TypeError, ValueError, AttributeError, sqlite3.Error) as e:
            raise self._unreadable(e) from e

    def _unreadable(self, e: Exception) -> AtlasUnreadable:
        return AtlasUnreadable(f"The atlas at {self.path} cannot be read ({type(e).__name__}: {e}). "
                               "It is damaged or not a geo-kttt atlas: build it again with "
                               "`geo-kttt build` (a build replaces the file atomically).")

    @cached_property
    def version(self) -> str:
        """Which build this is: the build's id and the file's identity (the X-Atlas-Build header)."""
        digest = hashlib.sha1(repr(self.identity).encode()).hexdigest()[:8]
        return f"{self.metadata.get('build_id') or 'atlas'}-{digest}"

    def is_current(self) -> bool:
        """Whether the file at :attr:`path` is still the build this atlas holds."""
        try:
            return file_identity(self.path) == self.identity
        except OSError:
            return False

    def close(self) -> None:
        """Close the pooled connections (readers still holding one finish with it)."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return

    @contextlib.contextmanager
    def _conn(self):
        """A read-only SQLite connection of this build, for one query."""
        db = self._pool.get(timeout=60)
        try:
            yield db
        finally:
            self._pool.put(db)

    _MEMO_LOCK = threading.RLock()  # one computation at a time: concurrent askers wait for it

    def memo(self, key: str, make):
        """``make()``, computed once per open atlas: a build never changes (summaries use it)."""
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            with self._MEMO_LOCK:
                if key not in memo:
                    memo[key] = make()
        return memo[key]

    def _read(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str):
        return None  # every table of the GeoPackage was read when it was opened

    @cached_property
    def catalog(self) -> dict[str, Layer]:
        df = self._read("catalog")
        return {r.id: Layer.from_json(r.definition) for r in df.itertuples()}

    @cached_property
    def metadata(self) -> dict:
        meta = dict(zip(self._read("metadata").key, self._read("metadata").value, strict=True))
        meta["attribution"] = json.loads(meta["attribution"])
        return meta

    def sites(self, layer: str | None = None) -> gpd.GeoDataFrame:
        """One layer's sites, or all layers' with a ``layer`` column."""
        ids = [layer] if layer else list(self.catalog)
        frames = [self._read(lid) for lid in ids]
        gdf = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
        return gpd.GeoDataFrame(gdf, geometry="geometry", crs=4326)

    def table(self, name: str):
        """Any other table by name (see TABLES); None when the atlas has no such table."""
        return self._read(name)

    def districts(self) -> gpd.GeoDataFrame:
        return self._read("districts")

    def communes(self):
        return self._read("communes")

    def crosswalk(self) -> pd.DataFrame:
        return self._read("crosswalk")

    # --- Queries for the API: indexed, one page at a time (never the whole table) ---

    @cached_property
    def _schemas(self) -> dict:
        with self._conn() as db:
            names = [r[0] for r in db.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
            return {n: {r[1]: JSON_TYPES.get(r[2], "string") for r in
                        db.execute("SELECT * FROM pragma_table_info(?)", (n,)) if r[1] not in ("fid", "geom")}
                    for n in names}

    def columns(self, name: str) -> dict[str, str]:
        """Attribute columns of spatial table ``name`` -> JSON Schema type; KeyError if unknown."""
        return dict(self._schemas[name])

    def extent(self, name: str) -> list | None:
        """[minx, miny, maxx, maxy] of spatial table ``name``, None when empty."""
        self.columns(name)  # whitelist check
        with self._conn() as db:
            row = db.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                             "WHERE table_name = ?", (name,)).fetchone()
        return None if row[0] is None else list(row)

    def items(self, name: str, bbox=None, filters=None, limit: int = 10, offset: int = 0, sortby=()):
        """One page of a spatial table, filtered by bbox (index first) and equal properties.

        Parameters
        ----------
        name : str
            A spatial table (a layer id or ``districts``); see :meth:`columns`.
        bbox : sequence of 4 floats, optional
            minx, miny, maxx, maxy in EPSG:4326; features whose geometry intersects it.
        filters : dict, optional
            column -> value (already of the column's type); all must be equal.
        limit, offset : int
            The page: at most ``limit`` features after skipping ``offset``, in storage order.
        sortby : sequence of (column, descending), optional
            Sort keys before storage order; empty values last either way, text by code point
            (the same order in both backends).

        Returns
        -------
        (GeoDataFrame, int)
            The page (EPSG:4326) and how many features match in total.

        Raises
        ------
        KeyError
            For a table or column that is not in the atlas (names are never taken on trust).
        """
        page = self.page(name, bbox, filters, limit, offset, sortby)
        df = pd.DataFrame(page.rows, columns=page.columns, dtype=object)
        return gpd.GeoDataFrame(df, geometry=list(page.geometries), crs=4326), page.matched

    def page(self, name: str, bbox=None, filters=None, limit: int = 10, offset: int = 0,
             sortby=()) -> Page:
        """Like :meth:`items`, as plain rows (no DataFrame): what the API serialises.

        A bbox alone on a table of points is answered from memory (:mod:`.points`).
        """
        cols = self.columns(name)
        if bbox is not None and not filters and not sortby:
            index = self.memo(f"points:{name}", lambda: self._point_index(name))
            if index is not None:
                return Page(list(cols), *index.page(bbox, limit, offset))
        order = order_by_clause(sortby, cols)
        where, params = ["1 = 1"], []
        for key, value in (filters or {}).items():
            if key not in cols:
                raise KeyError(key)
            where.append(f't."{key}" = ?')
            params.append(value)
        cond = " AND ".join(where)
        select = ", ".join(f'"{c}"' for c in cols)
        with self._conn() as db:
            rows, matched = self._page_rows(db, name, select, cond, params, bbox, limit, offset,
                                            order, bool(sortby))
        records, geoms = _records(rows, cols)
        return Page(list(cols), records, geoms, matched)

    def _point_index(self, name: str) -> PointIndex | None:
        """Every row of table ``name`` in memory, if it holds points only and not too many."""
        cols = self.columns(name)
        select = ", ".join(f'"{c}"' for c in cols)
        with self._conn() as db:
            if db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] > MAX_ROWS:
                return None
            rows = db.execute(f'SELECT {select}, geom FROM "{name}" ORDER BY fid').fetchall()
        return PointIndex.of(*_records(rows, cols))

    def _page_rows(self, db, name, select, cond, params, bbox, limit, offset, order="fid",
                   sorted_=False) -> tuple[list, int]:
        """The page's rows and the number matched, both from one read transaction of ``db``."""
        db.execute("BEGIN")  # count and rows see the same snapshot
        try:
            if bbox is None:
                matched = db.execute(f'SELECT count(*) FROM "{name}" AS t WHERE {cond}', params).fetchone()[0]
                rows = db.execute(f'SELECT {select}, geom FROM "{name}" AS t WHERE {cond} ORDER BY {order} '
                                  "LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
            else:
                fids = self._bbox_fids(db, name, bbox, cond, params)
                if sorted_:
                    fids = self._sorted(db, name, fids, order)
                matched, wanted = len(fids), fids[offset:offset + limit]
                marks = ", ".join("?" * len(wanted))  # placeholders only; the values are bound
                sql = f'SELECT {select}, geom, fid FROM "{name}" WHERE fid IN ({marks})'
                got = {r[-1]: r[:-1] for r in db.execute(sql, wanted)} if wanted else {}
                rows = [got[f] for f in wanted]
        finally:
            db.execute("COMMIT")
        return rows, matched

    def _bbox_fids(self, db, name: str, bbox, cond: str, params: list) -> list[int]:
        """Feature ids (ascending) whose geometry intersects ``bbox``.

        The R-tree holds float32 envelopes rounded outwards: an envelope inside the box is a
        hit; only envelopes across the box's edge need the exact test on the geometry.
        """
        x0, y0, x1, y1 = bbox
        rtree = f'"rtree_{name}_geom"'
        box = "r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?"
        if params:
            sql = (f'SELECT r.id, r.minx, r.maxx, r.miny, r.maxy FROM {rtree} AS r '
                   f'JOIN "{name}" AS t ON t.fid = r.id WHERE {box} AND {cond}')
        else:
            sql = f"SELECT r.id, r.minx, r.maxx, r.miny, r.maxy FROM {rtree} AS r WHERE {box}"
        rows = db.execute(sql, [x0, x1, y0, y1, *params]).fetchall()
        if not rows:
            return []
        env = np.array(rows, dtype=float)
        ids = env[:, 0].astype(np.int64)
        inside = (env[:, 1] >= x0) & (env[:, 2] <= x1) & (env[:, 3] >= y0) & (env[:, 4] <= y1)
        hits = [ids[inside]]
        edge = ids[~inside].tolist()
        for k in range(0, len(edge), 10_000):
            chunk = edge[k:k + 10_000]
            marks = ", ".join("?" * len(chunk))  # placeholders only; the values are bound
            got = db.execute(f'SELECT fid, geom FROM "{name}" WHERE fid IN ({marks})', chunk).fetchall()
            geoms = shapely.from_wkb([_gpkg_wkb(g) for _, g in got])
            keep = shapely.intersects(geoms, shapely.box(x0, y0, x1, y1))
            hits.append(np.array([fid for (fid, _), k_ in zip(got, keep, strict=True) if k_], dtype=np.int64))
        return np.sort(np.concatenate(hits)).tolist()


    def _sorted(self, db, name: str, fids: list[int], order: str) -> list[int]:
        """``fids`` in the order of ``order`` (SQLite sorts them in a temporary table)."""
        db.execute("CREATE TEMP TABLE IF NOT EXISTS _hits (fid INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM _hits")
        db.executemany("INSERT INTO _hits VALUES (?)", [(f,) for f in fids])
        out = [r[0] for r in db.execute(f'SELECT t.fid FROM "{name}" AS t JOIN _hits USING (fid) '
                                        f"ORDER BY {order}")]
        db.execute("DELETE FROM _hits")
        return out


def order_by_clause(sortby, cols: dict, collate: str = "") -> str:
    """An ORDER BY clause from (column, descending) pairs of known columns, then ``fid``.

    Empty values sort last in both directions; text compares by code point (SQLite's BINARY,
    PostgreSQL's "C"), so both backends page in the same order.
    """
    parts = []
    for key, desc in sortby:
        if key not in cols:
            raise KeyError(key)
        text = collate if cols[key] == "string" else ""
        parts.append(f't."{key}"{text} {"DESC" if desc else "ASC"} NULLS LAST')
    return ", ".join(parts + ["t.fid"])


def _records(rows: list, cols: dict) -> tuple[list, np.ndarray]:
    """SQLite rows (the columns, then the geometry blob) as lists (booleans from 0/1) and shapely."""
    flags = [i for i, kind in enumerate(cols.values()) if kind == "boolean"]  # stored as 0/1
    records = [list(r[:-1]) for r in rows]
    for rec in records:
        for i in flags:
            rec[i] = None if rec[i] is None else bool(rec[i])
    geoms = shapely.from_wkb([_gpkg_wkb(r[-1]) for r in rows]) if rows else np.array([], dtype=object)
    return records, geoms


def _gpkg_wkb(blob):
    """The WKB inside a GeoPackage geometry blob (None for NULL)."""
    if blob is None:
        return None
    return bytes(blob[8 + _ENVELOPE[(blob[3] >> 1) & 7]:])
