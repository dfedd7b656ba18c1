"""The PostGIS store: the same atlas as the GeoPackage, built atomically, with EPSG:9208."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from ogc_fixtures import LAYERS

from geo_kttt import crs
from geo_kttt.store import open_atlas, postgis

pytestmark = pytest.mark.postgis


def test_postgis_atlas_reads_the_same_tables_as_the_geopackage(pg_atlas_url, atlas):
    pg = open_atlas(pg_atlas_url)
    assert list(pg.catalog) == list(atlas.catalog)
    assert pg.catalog == atlas.catalog
    assert {k: v for k, v in pg.metadata.items() if k not in ("built_at", "build_id")} == \
        {k: v for k, v in atlas.metadata.items() if k not in ("built_at", "build_id")}
    pd.testing.assert_frame_equal(pg.sites().drop(columns="geometry"), atlas.sites().drop(columns="geometry"))
    assert pg.sites().geometry.geom_equals_exact(atlas.sites().geometry, 1e-9).all()
    for name in ("commune_points", "new_communes", "indicators", "errata"):
        pd.testing.assert_frame_equal(pg.table(name).drop(columns="geometry", errors="ignore"),
                                      atlas.table(name).drop(columns="geometry", errors="ignore"))
    pd.testing.assert_frame_equal(pg.crosswalk(), atlas.crosswalk())
    pd.testing.assert_frame_equal(pg.districts().drop(columns="geometry"),
                                  atlas.districts().drop(columns="geometry"))
    assert pg.districts().geometry.geom_equals_exact(atlas.districts().geometry, 1e-9).all()
    assert pg.table("no_such_table") is None


def test_vn2000_tm3_is_in_spatial_ref_sys_and_transforms_with_the_pin(pg_atlas_url, atlas):
    site = atlas.sites().iloc[0].geometry
    engine = postgis.engine_for(pg_atlas_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT auth_name, auth_srid FROM spatial_ref_sys "
                                   "WHERE srid = 9208")).one()
        x, y = conn.execute(sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 9208)"
            " AS p) s"), {"x": site.x, "y": site.y}).one()
        assert postgis.ensure_srid(conn) is False  # already there: not inserted twice
    engine.dispose()
    assert tuple(row) == (postgis.SRID_AUTHORITY, 9208)  # not EPSG: PROJ would pick its own default
    ex, ey = crs.transform_xy([site.x], [site.y], "EPSG:4326", "EPSG:9208")  # the pinned EPSG:6960
    assert abs(x - ex[0]) < 0.01 and abs(y - ey[0]) < 0.01


def test_failed_build_leaves_the_previous_atlas_untouched(pg_atlas_url, admin, monkeypatch):
    before = open_atlas(pg_atlas_url)
    built_at, counts = before.metadata["built_at"], before.sites().layer.value_counts()
    real_write, written = postgis._write, []

    def write_then_fail(conn, name, df):
        real_write(conn, name, df)  # the real writes happen inside the transaction…
        written.append(name)
        if len(written) == 3:
            raise RuntimeError("disk full (injected)")  # …and then the build fails mid-way

    monkeypatch.setattr(postgis, "_write", write_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        postgis.build_postgis(LAYERS, admin, pg_atlas_url)
    after = open_atlas(pg_atlas_url)
    assert after.metadata["built_at"] == built_at
    pd.testing.assert_series_equal(after.sites().layer.value_counts(), counts)


def test_cli_build_database_writes_the_atlas(pg_url, data_dir, capsys):
    from geo_kttt.cli import main

    args = ["--lang", "en", "--data-dir", str(data_dir), "--layers-dir", str(LAYERS), "--database", pg_url,
            "build"]
    assert main(args) == 0
    assert "Built atlas" in capsys.readouterr().out
    assert len(open_atlas(pg_url).sites()) > 0


def test_an_atlas_without_commune_polygons_builds_into_postgis(pg_url, tmp_path):
    """The bundled data alone has no commune polygons, so the 2025 communes have no shapes."""
    from geo_kttt.admin import BUNDLED, load_admin
    from geo_kttt.store import build

    bare = load_admin(BUNDLED)
    assert bare.communes is None and bare.new_communes.geometry.isna().all()
    server = postgis.engine_for(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:  # a database of its own: the session atlas stays untouched
        conn.execute(sa.text("DROP DATABASE IF EXISTS geo_kttt_bare"))
        conn.execute(sa.text("CREATE DATABASE geo_kttt_bare"))
    url = sa.engine.make_url(pg_url).set(database="geo_kttt_bare").render_as_string(hide_password=False)
    try:
        postgis.build_postgis(LAYERS, bare, url)
        build(LAYERS, bare, tmp_path / "bare.gpkg")
        pg, gpkg = open_atlas(url), open_atlas(tmp_path / "bare.gpkg")
        assert pg.table("communes") is None and pg.metadata["has_commune_polygons"] == "false"
        new = pg.table("new_communes")
        assert len(new) == 102 and new.geometry.isna().all()
        pd.testing.assert_frame_equal(new.drop(columns="geometry"),
                                      gpkg.table("new_communes").drop(columns="geometry"))
        assert len(pg.sites()) == len(gpkg.sites())
        pg.close()
    finally:
        with server.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS geo_kttt_bare WITH (FORCE)"))
        server.dispose()
