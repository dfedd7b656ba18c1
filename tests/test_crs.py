"""One transformation everywhere: geo_kttt.crs pins "VN-2000 to WGS 84 (2)" (EPSG:6960) for
every VN-2000 <-> WGS 84 step, in Python and in PostGIS, and nothing else reprojects."""

from __future__ import annotations

import ast
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from conftest import ROOT
from pyproj.transformer import TransformerGroup
from shapely.geometry import Point, box

from geo_kttt import crs
from geo_kttt.store import postgis

# One point, pinned both ways (values of EPSG:6960 as PROJ 9 applies it; see
# tests/imports/test_importer.py for the same Helmert coded by hand).
GRID = (550000.0, 1160000.0)  # EPSG:9208 easting, northing
LONLAT = (105.2085710316, 10.4892273845)
LONLAT_2 = (105.2, 10.5)
GRID_2 = {"EPSG:9208": (549060.0802, 1161190.1300), "EPSG:3405": (521689.0656, 1160813.6125)}


def test_one_point_pinned_both_ways():
    lon, lat = crs.transform_xy([GRID[0]], [GRID[1]], "EPSG:9208", "EPSG:4326")
    assert abs(lon[0] - LONLAT[0]) < 1e-9 and abs(lat[0] - LONLAT[1]) < 1e-9  # 0.1 mm
    for epsg, (e, n) in GRID_2.items():
        x, y = crs.transform_xy([LONLAT_2[0]], [LONLAT_2[1]], "EPSG:4326", epsg)
        assert abs(x[0] - e) < 1e-3 and abs(y[0] - n) < 1e-3
        back = crs.transform_xy(x, y, epsg, "EPSG:4326")
        assert abs(back[0][0] - LONLAT_2[0]) < 1e-8 and abs(back[1][0] - LONLAT_2[1]) < 1e-8  # 1 mm
    assert crs.OPERATION_NAME in crs.transformer("EPSG:4326", "EPSG:9208").description
    assert crs.OPERATION_NAME in crs.transformer("EPSG:3405", "OGC:CRS84").description


def test_the_pin_is_not_what_proj_picks_by_itself():
    """geopandas' to_crs (PROJ's choice) lands ~0.8 m away: why nothing may call it."""
    pt = gpd.GeoSeries([Point(*LONLAT_2)], crs=4326)
    ours = crs.reproject(pt, "EPSG:9208").iloc[0]
    theirs = pt.to_crs(9208).iloc[0]
    assert 0.3 < ours.distance(theirs) < 1.5
    alt = next(t for t in TransformerGroup(4326, 9208, always_xy=True).transformers
               if "VN-2000 to WGS 84 (1)" in t.description)
    assert Point(alt.transform(*LONLAT_2)).distance(theirs) < 1e-6


def test_grids_agree_through_either_path():
    e, n = GRID_2["EPSG:9208"]
    direct = crs.transform_xy([e], [n], "EPSG:9208", "EPSG:3405")
    via = crs.transform_xy(*crs.transform_xy([e], [n], "EPSG:9208", "EPSG:4326"), "EPSG:4326", "EPSG:3405")
    assert np.allclose(direct, via, atol=1e-3)


def test_reproject_frames_keeps_columns_index_and_missing_shapes():
    gdf = gpd.GeoDataFrame({"code": ["a", "b", "c"], "n": [1, 2, 3]},
                           geometry=[box(105.1, 10.4, 105.2, 10.5), None, Point(*LONLAT_2)],
                           crs=4326, index=[7, 8, 9])
    out = crs.reproject(gdf, "EPSG:9208")
    assert out.crs.to_epsg() == 9208 and list(out.columns) == list(gdf.columns)
    assert list(out.index) == [7, 8, 9] and out.geometry.iloc[1] is None
    assert out.geometry.iloc[2].distance(Point(GRID_2["EPSG:9208"])) < 1e-3
    ring = shapely.get_coordinates(out.geometry.iloc[0])
    want = np.column_stack(crs.transform_xy(*shapely.get_coordinates(gdf.geometry.iloc[0]).T,
                                            "EPSG:4326", "EPSG:9208"))
    assert np.allclose(ring, want)
    back = crs.reproject(out, 4326)
    assert back.geom_equals_exact(gdf.geometry, 1e-8).iloc[[0, 2]].all()
    assert gdf.crs.to_epsg() == 4326  # the input is left alone
    with pytest.raises(crs.CrsProblem):
        crs.reproject(gpd.GeoSeries([Point(1, 1)]), 4326)
    with pytest.raises(crs.CrsProblem, match="unknown CRS"):
        crs.transformer("EPSG:999999")


def test_polygon_reprojection_stays_fast(commune_polygons):
    """All commune polygons, vectorised (shapely.transform + one pyproj call)."""
    many = gpd.GeoDataFrame(geometry=list(commune_polygons.geometry) * 10, crs=4326)
    crs.reproject(many.head(1), "EPSG:9208")  # transformer built and cached
    start = time.perf_counter()
    out = crs.reproject(many, "EPSG:9208")
    took = time.perf_counter() - start
    assert len(out) == len(many) and took < 2.0, f"{took:.2f} s for {len(many)} polygons"


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node.func.attr, node.lineno


def test_every_reprojection_in_the_package_goes_through_geo_kttt_crs():
    """No geopandas to_crs, no Transformer.from_crs/TransformerGroup outside geo_kttt/crs.py."""
    banned = {"to_crs", "from_crs", "from_proj"}
    wrong = []
    for path in sorted((ROOT / "geo_kttt").rglob("*.py")):
        if path.name == "crs.py" and path.parent.name == "geo_kttt":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT)
        wrong += [f"{rel}:{line} .{name}()" for name, line in _calls(tree) if name in banned]
        wrong += [f"{rel}: TransformerGroup" for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and node.id == "TransformerGroup"]
    assert not wrong, "reprojections outside geo_kttt.crs: " + "; ".join(wrong)


def test_pinned_crs_carries_the_parameters():
    wkt = crs.pinned_crs(9208).to_wkt("WKT1_GDAL")
    assert "TOWGS84[-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372," \
           "0.252906278]" in wkt  # coordinate frame rotations as WKT1's position vector
    with pytest.raises(crs.CrsProblem):
        crs.pinned_crs(4326)


@pytest.mark.postgis
@pytest.mark.parametrize("srid", [9208, 3405])
def test_postgis_st_transform_agrees_with_python_within_1_cm(pg_atlas_url, srid):
    lon = np.array([104.8, 105.0, 105.2, 105.45, 105.55])
    lat = np.array([10.25, 10.45, 10.5, 10.7, 10.95])
    x, y = crs.transform_xy(lon, lat, "EPSG:4326", f"EPSG:{srid}")
    engine = postgis.engine_for(pg_atlas_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), "
                ":s) AS p FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) AS u(lon, lat)) s"),
                {"s": srid, "lon": lon.tolist(), "lat": lat.tolist()}).all()
            back = conn.execute(sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), :s), 4326) "
                "AS p FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) AS u(x, y)) s"),
                {"s": srid, "x": x.tolist(), "y": y.tolist()}).all()
            row = conn.execute(sa.text("SELECT auth_name, auth_srid, proj4text FROM spatial_ref_sys "
                                       "WHERE srid = :s"), {"s": srid}).one()
            assert postgis.ensure_srid(conn, srid) is False  # already there: not written twice
    finally:
        engine.dispose()
    got, back = np.array(got), np.array(back)
    assert np.abs(got[:, 0] - x).max() < 0.01 and np.abs(got[:, 1] - y).max() < 0.01
    assert np.abs(back[:, 0] - lon).max() * 110_000 < 0.01 and np.abs(back[:, 1] - lat).max() * 110_000 < 0.01
    assert row.auth_name == postgis.SRID_AUTHORITY and row.auth_srid == srid and "+towgs84=" in row.proj4text
