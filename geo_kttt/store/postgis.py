"""The atlas in PostGIS, for a shared departmental server (optional extra ``postgis``).

``build_postgis`` writes the same tables as the GeoPackage build (from ``store.base.assemble``)
in ONE transaction: a failed build leaves the previous atlas in the database untouched.
``PostgisAtlas`` offers the same read API as :class:`geo_kttt.store.base.Atlas`, and the same
indexed page queries (``columns``, ``extent``, ``items``) with bound parameters only;
table and column names come from the database's own catalogue (a whitelist), never from input.
"""

from __future__ import annotations

import time
import warnings
import weakref
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..admin import AdminUnits
from ..crs import pinned_crs
from ..errors import AtlasError
from ..i18n import Msg
from .base import OPEN_ATTEMPTS, TABLES, Atlas, AtlasMissing, AtlasUnreadable, Page, assemble, order_by_clause

try:
    import sqlalchemy as sa
except ImportError:  # the optional extra ``postgis`` is not installed: GeoPackage only
    sa = None

VN2000_EPSG = 9208  # VN-2000 / TM-3 104-45 (An Giang's official plane grid); PostGIS 3.3 lacks it
VN2000_SRIDS = (9208, 3405)  # the two VN-2000 grids, both given the pinned parameters
SRID_AUTHORITY = "geo_kttt"  # not "EPSG": see ensure_srid
PG_TYPES = {"text": "string", "character varying": "string", "bigint": "integer",
            "integer": "integer", "smallint": "integer", "double precision": "number",
            "real": "number", "numeric": "number", "boolean": "boolean"}


class PostgisMissing(AtlasError, ImportError):
    """A PostGIS atlas was asked for, but the ``postgis`` extra is not installed."""


def engine_for(url: str) -> sa.Engine:
    """A pooled SQLAlchemy engine (psycopg 3 driver) for a ``postgresql://`` URL."""
    if sa is None:
        raise PostgisMissing(Msg("postgis_missing"))
    u = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(u, pool_size=8, max_overflow=8)


def _q(name: str) -> str:
    """A quoted SQL identifier (names come from the catalogue, quoting is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


def ensure_srid(conn, epsg: int = VN2000_EPSG) -> bool:
    """Make ``spatial_ref_sys`` convert EPSG:``epsg`` (VN-2000) with the atlas's pinned operation.

    The row carries the pin as TOWGS84 (WKT) and +towgs84 (proj4), from
    :func:`geo_kttt.crs.pinned_crs`, and ``auth_name`` ``geo_kttt`` rather than ``EPSG``:
    PostGIS asks PROJ for ``auth_name:auth_srid`` first, and PROJ would pick its own default
    (EPSG:5194, 0.8 m away) for EPSG:9208. PostGIS 3.3 lacks 9208 and has a plain EPSG
    row for 3405; both end up with the same parameters as the Python path.

    Returns True when the row was inserted or replaced.
    """
    crs = pinned_crs(epsg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "PROJ string loses information": known
        proj4 = crs.to_proj4()
    row = {"s": epsg, "a": SRID_AUTHORITY, "wkt": crs.to_wkt("WKT1_GDAL"), "p4": proj4}
    have = conn.execute(sa.text("SELECT auth_name, srtext, proj4text FROM spatial_ref_sys WHERE srid = :s"),
                        {"s": epsg}).first()
    if have is not None and tuple(have) == (row["a"], row["wkt"], row["p4"]):
        return False
    conn.execute(sa.text("DELETE FROM spatial_ref_sys WHERE srid = :s"), {"s": epsg})
    conn.execute(sa.text("INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
                         "VALUES (:s, :a, :s, :wkt, :p4)"), row)
    return True


def build_postgis(layers_dir: Path, admin: AdminUnits, url: str) -> list:
    """Build the atlas into the PostGIS database at ``url``, atomically.

    Parameters
    ----------
    layers_dir : Path
        Layer definitions and data, as for :func:`geo_kttt.store.base.build_geopackage`.
    admin : AdminUnits
        The administrative reference data.
    url : str
        ``postgresql://user@host:port/dbname``; the user must be allowed to create tables
        (and the postgis extension, unless it is already there).

    Returns
    -------
    list
        The validation warnings.
    """
    tables, catalog, problems = assemble(layers_dir, admin)
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            for srid in VN2000_SRIDS:
                ensure_srid(conn, srid)
            for old in _previous_tables(conn):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {_q(old)} CASCADE"))
            for name, df in tables.items():
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {_q(name)} CASCADE"))
                _write(conn, name, df)
    finally:
        engine.dispose()
    return problems


def _write(conn, name: str, df: pd.DataFrame) -> None:
    """Write one table with a ``fid`` primary key (storage order, as in the GeoPackage)."""
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.isna().all():
        # No shape at all (the 2025 communes without commune polygons): to_postgis cannot type
        # the column, so write the attributes and add an untyped, empty geometry column.
        geom = df.geometry.name
        pd.DataFrame(df.drop(columns=geom)).reset_index(drop=True).rename_axis("fid") \
            .to_sql(name, conn, index=True)
        conn.execute(sa.text(f"ALTER TABLE {_q(name)} ADD COLUMN {_q(geom)} geometry(Geometry, 4326)"))
    elif isinstance(df, gpd.GeoDataFrame):
        df = df.reset_index(drop=True).rename_axis("fid")
        df.to_postgis(name, conn, index=True)  # with a GiST index on geometry
        # to_postgis loads through COPY CSV, which reads '' as NULL: put the empty texts back
        for col in df.columns:
            if pd.api.types.is_string_dtype(df[col]) and not df[col].isna().any():
                conn.execute(sa.text(f"UPDATE {_q(name)} SET {_q(col)} = '' WHERE {_q(col)} IS NULL"))
    else:
        df.astype(str).reset_index(drop=True).rename_axis("fid").to_sql(name, conn, index=True)
    conn.execute(sa.text(f"ALTER TABLE {_q(name)} ADD PRIMARY KEY (fid)"))


def _previous_tables(conn) -> list[str]:
    """Layer tables named by an earlier build's catalog (so removed layers do not linger)."""
    if not conn.execute(sa.text("SELECT to_regclass('catalog')")).scalar():
        return []
    return [r[0] for r in conn.execute(sa.text("SELECT id FROM catalog"))]


class PostgisAtlas(Atlas):
    """Read-only access to an atlas built into PostGIS; same API as :class:`Atlas`."""

    CHECK_EVERY_S = 1.0  # how often is_current asks the database for its build id

    def __init__(self, url: str):
        self.path = url
        self._cache = {}
        self.engine = engine_for(url)
        # close the pooled connections when the atlas goes away (or at exit)
        self.close = weakref.finalize(self, self.engine.dispose)
        self._open()

    def _open(self) -> None:
        """Read every table of one build: the build id before and after must agree."""
        try:
            for _attempt in range(5):
                before = self._build_id()
                self._cache = {name: self._load(name) for name in ("catalog", "metadata")}
                self._cache.update({name: self._load(name) for name in (*TABLES, *self.catalog)
                                    if name not in self._cache})
                if self._build_id() == before:
                    break
                for prop in ("catalog", "metadata", "_tables", "_schemas"):
                    self.__dict__.pop(prop, None)
            else:
                raise AtlasUnreadable(Msg("atlas_kept_changing", location=self._safe_url, n=OPEN_ATTEMPTS))
        except (sa.exc.SQLAlchemyError, AttributeError, KeyError, TypeError, ValueError) as e:
            raise AtlasUnreadable(Msg("atlas_cannot_read", location=self._safe_url,
                                      error=f"{type(e).__name__}: {str(e).splitlines()[0]}")) from e
        self.identity, self._checked = before, time.monotonic()

    @property
    def _safe_url(self) -> str:
        return sa.engine.make_url(self.path).render_as_string(hide_password=True)

    def _build_id(self) -> str:
        """The id of the build in the database (its build_id, or built_at for older builds)."""
        with self.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT to_regclass('metadata')")).scalar():
                raise AtlasMissing(Msg("atlas_missing_database", location=self._safe_url))
            rows = dict(conn.execute(sa.text("SELECT key, value FROM metadata "
                                             "WHERE key IN ('build_id', 'built_at')")).all())
        return rows.get("build_id") or rows.get("built_at", "")

    @property
    def version(self) -> str:
        return self.identity

    def is_current(self) -> bool:
        """Whether the database still holds this build; asks at most every CHECK_EVERY_S seconds."""
        now = time.monotonic()
        if now - self._checked < self.CHECK_EVERY_S:
            return True
        self._checked = now
        try:
            return self._build_id() == self.identity
        except (sa.exc.SQLAlchemyError, AtlasMissing):
            return False

    @cached_property
    def _tables(self) -> set[str]:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text(sql))}

    def _load(self, name: str):
        if name not in self._tables:
            return None
        sql = sa.text(f"SELECT * FROM {_q(name)} ORDER BY fid")
        if name in self._schemas:
            gdf = gpd.read_postgis(sql, self.engine, geom_col="geometry").drop(columns="fid")
            for col, kind in self._schemas[name].items():  # the dtypes pyogrio gives
                if kind in ("integer", "number") and gdf[col].isna().any():
                    gdf[col] = pd.to_numeric(gdf[col]).astype("float64")
                elif kind == "string":
                    gdf[col] = gdf[col].astype("str")
            return gdf
        return pd.read_sql(sql, self.engine).drop(columns="fid")

    @cached_property
    def _schemas(self) -> dict:
        sql = ("SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
               "JOIN geometry_columns g ON g.f_table_name = c.table_name "
               "AND g.f_table_schema = c.table_schema "
               "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position")
        out: dict = {}
        with self.engine.connect() as conn:
            for table, col, kind in conn.execute(sa.text(sql)):
                if col not in ("fid", "geometry"):
                    out.setdefault(table, {})[col] = PG_TYPES.get(kind, "string")
        return out

    def extent(self, name: str) -> list | None:
        self.columns(name)  # whitelist check
        sql = (f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
               f"FROM (SELECT ST_Extent(geometry) AS e FROM {_q(name)}) s")
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(sql)).first()
        return None if row[0] is None else list(row)

    def page(self, name: str, bbox=None, filters=None, limit: int = 10, offset: int = 0,
             sortby=()) -> Page:
        """One page of a spatial table; see :meth:`geo_kttt.store.base.Atlas.items`."""
        cols = self.columns(name)
        order = order_by_clause(sortby, cols, ' COLLATE "C"')
        where, params = ["TRUE"], {"limit": limit, "offset": offset}
        if bbox is not None:
            where.append("geometry && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) AND "
                         "ST_Intersects(geometry, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))")
            params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
        for i, (key, value) in enumerate((filters or {}).items()):
            if key not in cols:
                raise KeyError(key)
            where.append(f"{_q(key)} = :p{i}")
            params[f"p{i}"] = value
        cond = " AND ".join(where)
        select = ", ".join(_q(c) for c in cols)
        # one snapshot for the count and the rows, even while a build commits
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            matched = conn.execute(sa.text(f"SELECT count(*) FROM {_q(name)} WHERE {cond}"), params).scalar()
            rows = conn.execute(sa.text(f"SELECT {select}, ST_AsBinary(geometry) FROM {_q(name)} AS t "
                                        f"WHERE {cond} ORDER BY {order} LIMIT :limit OFFSET :offset"),
                                params).all()
        geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows]) if rows \
            else np.array([], dtype=object)
        return Page(list(cols), [list(r[:-1]) for r in rows], geoms, matched)
