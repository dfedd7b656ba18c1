"""OGC API – Features beyond Part 1, on both backends: Part 2 CRS (crs, bbox-crs, Content-Crs) in
CRS84, EPSG:4326, VN-2000 EPSG:9208/3405 through the pinned transformation; Part 3 queryables;
sortby, properties, datetime; JSON errors for everything under /ogcapi; GDAL typing fields."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import shapely

from geo_kttt import crs, ogcapi
from geo_kttt.server import create_app

URI = {c: crs.crs_uri(c) for c in ("EPSG:4326", "EPSG:9208", "EPSG:3405")} | {"OGC:CRS84": ogcapi.CRS84}


@pytest.fixture()
def api(location):
    return create_app({"TESTING": True, "ATLAS": location, "TILE_URL": "none"}).test_client()


def _json(api, url, status=200):
    r = api.get(url)
    assert r.status_code == status, r.get_data(as_text=True)
    return r


def test_collections_advertise_the_four_crs_and_part_2_conformance(api, any_atlas):
    conf = _json(api, "/ogcapi/conformance").json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in conf
    for c in _json(api, "/ogcapi/collections").json["collections"]:
        assert c["crs"] == [URI["OGC:CRS84"], URI["EPSG:4326"], URI["EPSG:9208"], URI["EPSG:3405"]]
        assert c["storageCrs"] == ogcapi.CRS84
        rels = {link["rel"]: link for link in c["links"]}
        assert rels["describedBy"]["type"] == "application/schema+json"
        assert rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["href"].endswith("/queryables")


@pytest.mark.parametrize("name", ["EPSG:9208", "EPSG:3405", "EPSG:4326", "OGC:CRS84"])
def test_items_in_each_crs_with_content_crs(api, any_atlas, name):
    lid = "waste_facilities"
    base = _json(api, f"/ogcapi/collections/{lid}/items?limit=100")
    r = _json(api, f"/ogcapi/collections/{lid}/items?limit=100&crs={URI[name]}")
    assert r.headers["Content-Crs"] == f"<{URI[name]}>"
    lonlat = np.array([f["geometry"]["coordinates"] for f in base.json["features"]])
    got = np.array([f["geometry"]["coordinates"] for f in r.json["features"]])
    if name == "EPSG:4326":
        assert np.allclose(got, lonlat[:, ::-1])  # latitude first, as EPSG:4326 says
    elif name == "OGC:CRS84":
        assert np.allclose(got, lonlat)
    else:
        x, y = crs.transform_xy(lonlat[:, 0], lonlat[:, 1], "EPSG:4326", name)  # the pinned path
        assert np.abs(got[:, 0] - x).max() < 1e-3 and np.abs(got[:, 1] - y).max() < 1e-3
    one = r.json["features"][0]["id"]
    item = _json(api, f"/ogcapi/collections/{lid}/items/{one}?crs={URI[name]}")
    assert item.headers["Content-Crs"] == f"<{URI[name]}>"
    assert np.allclose(item.json["geometry"]["coordinates"], got[0])
    assert _json(api, f"/ogcapi/collections/{lid}/items").headers["Content-Crs"] == f"<{ogcapi.CRS84}>"


def test_districts_polygons_in_vn2000(api, any_atlas):
    r = _json(api, f"/ogcapi/collections/districts/items?limit=1&crs={URI['EPSG:9208']}")
    shape = shapely.geometry.shape(r.json["features"][0]["geometry"])
    want = crs.reproject(any_atlas.districts().iloc[[0]], "EPSG:9208").geometry.iloc[0]
    assert shape.equals_exact(want, 1e-3)


def test_bbox_crs_in_metres_and_latitude_first(api, any_atlas):
    lid = "waste_facilities"
    sites = any_atlas.sites(lid)
    p = sites.geometry.iloc[0]
    lonlat_box = [p.x - 0.05, p.y - 0.05, p.x + 0.05, p.y + 0.05]
    want = sites[sites.intersects(shapely.box(*lonlat_box))].id
    x, y = crs.transform_xy([p.x], [p.y], "EPSG:4326", "EPSG:9208")
    metres = f"{x[0] - 5000},{y[0] - 5000},{x[0] + 5000},{y[0] + 5000}"
    got = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&bbox={metres}&bbox-crs={URI['EPSG:9208']}")
    ids = {f["id"] for f in got.json["features"]}
    assert sites.id.iloc[0] in ids
    m = crs.reproject(sites, "EPSG:9208")
    inside = m[m.intersects(shapely.box(x[0] - 5000, y[0] - 5000, x[0] + 5000, y[0] + 5000))].id
    assert set(inside) <= ids  # the CRS84 box holding the metric box: never misses a site
    latlon = f"{lonlat_box[1]},{lonlat_box[0]},{lonlat_box[3]},{lonlat_box[2]}"
    got = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&bbox={latlon}&bbox-crs={URI['EPSG:4326']}")
    assert {f["id"] for f in got.json["features"]} == set(want)


def test_queryables_and_the_feature_schema(api, any_atlas):
    r = _json(api, "/ogcapi/collections/solar_plants/queryables")
    assert r.mimetype == "application/schema+json"
    q = r.json
    assert q["$schema"].startswith("https://json-schema.org/") and q["type"] == "object"
    assert q["properties"]["capacity_max"]["type"] == "number"
    assert q["properties"]["year"]["type"] == "integer" and q["properties"]["verified"]["type"] == "boolean"
    assert q["properties"]["name_vi"]["title"] == "Tên (tiếng Việt)"
    en = _json(api, "/ogcapi/collections/solar_plants/queryables?lang=en").json
    assert en["properties"]["name_vi"]["title"] == "Name (Vietnamese)"
    assert set(q["properties"]) == set(any_atlas.columns("solar_plants"))
    s = _json(api, "/ogcapi/collections/districts/schema").json
    assert s["properties"]["properties"]["properties"]["area_km2"]["type"] == "number"
    assert _json(api, "/ogcapi/collections/nope/queryables", 404).json["code"] == "NotFound"


def test_sortby_orders_both_ways_and_pages_stably(api, any_atlas):
    lid = "waste_facilities"
    sites = any_atlas.sites(lid)
    up = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&sortby=capacity,id").json["features"]
    caps = [f["properties"]["capacity"] for f in up]
    known = [c for c in caps if c is not None]
    assert known == sorted(known) and caps[:len(known)] == known  # empty values last
    down = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&sortby=-capacity,id").json["features"]
    dcaps = [f["properties"]["capacity"] for f in down]
    assert [c for c in dcaps if c is not None] == sorted(known, reverse=True) and dcaps[-1] is None
    plus = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&sortby=%2Bname_vi").json["features"]
    names = [f["properties"]["name_vi"] for f in plus]
    assert names == sorted(names) and len(names) == len(sites)
    paged = []
    for off in range(0, len(sites), 4):
        paged += [f["id"] for f in _json(api, f"/ogcapi/collections/{lid}/items?limit=4&offset={off}"
                                               "&sortby=-capacity").json["features"]]
    whole = [f["id"] for f in _json(api, f"/ogcapi/collections/{lid}/items?limit=1000"
                                         "&sortby=-capacity").json["features"]]
    assert paged == whole
    p = sites.geometry.iloc[0]
    box = f"{p.x - 0.3},{p.y - 0.3},{p.x + 0.3},{p.y + 0.3}"
    boxed = _json(api, f"/ogcapi/collections/{lid}/items?limit=1000&bbox={box}&sortby=-name_vi").json
    names = [f["properties"]["name_vi"] for f in boxed["features"]]
    assert names == sorted(names, reverse=True) and len(names) == boxed["numberMatched"]


def test_properties_returns_a_subset(api):
    r = _json(api, "/ogcapi/collections/solar_plants/items?properties=name_vi,status&limit=2").json
    assert all(set(f["properties"]) == {"name_vi", "status"} and f["id"] for f in r["features"])
    one = r["features"][0]["id"]
    item = _json(api, f"/ogcapi/collections/solar_plants/items/{one}?properties=capacity").json
    assert list(item["properties"]) == ["capacity"] and item["id"] == one


BAD = [
    ("/ogcapi/collections/solar_plants/items?datetime=2020-01-01/2024-12-31", 400, "datetime"),
    ("/ogcapi/collections/solar_plants/items?crs=EPSG:9208", 400, "crs"),
    ("/ogcapi/collections/solar_plants/items?crs=http://www.opengis.net/def/crs/EPSG/0/32648", 400, "crs"),
    ("/ogcapi/collections/solar_plants/items?bbox=1,2,3,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/1",
     400, "bbox-crs"),
    ("/ogcapi/collections/solar_plants/items?sortby=colour", 400, "sortby"),
    ("/ogcapi/collections/solar_plants/items?properties=name_vi,colour", 400, "properties"),
    ("/ogcapi/collections/solar_plants/items/x?crs=nope", 400, "crs"),
    ("/ogcapi/no/such/path", 404, "NotFound"),
]


@pytest.mark.parametrize(("url", "status", "says"), BAD)
def test_bad_parameters_are_refused_with_a_json_error(api, url, status, says):
    r = _json(api, url, status)
    assert r.mimetype == "application/json" and says in r.json["code"] + " " + r.json["description"]


def test_every_error_under_ogcapi_is_json(location):
    app = create_app({"ATLAS": location, "TILE_URL": "none"})  # not TESTING: errors are handled

    @app.get("/ogcapi/boom-test")
    def boom():
        raise RuntimeError("boom")

    c = app.test_client()
    for method, url, status in (("post", "/ogcapi/collections", 405), ("delete", "/ogcapi/", 405),
                                ("get", "/ogcapi/boom-test", 500)):
        r = getattr(c, method)(url)
        assert r.status_code == status and r.mimetype == "application/json", (url, r.get_data(as_text=True))
        assert r.json["code"] and r.json["description"]
    assert c.post("/").status_code == 405 and c.post("/").mimetype != "application/json"


def test_gdal_types_capacity_max_from_the_schema(live_any):
    if shutil.which("ogrinfo") is None:
        pytest.fail("ogrinfo not found: scripts/setup installs gdal-bin")
    out = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{live_any}/ogcapi", "solar_plants"],
                         capture_output=True, text=True, timeout=120,
                         env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}).stdout
    for field, kind in (("capacity_max", "Real"), ("capacity", "Real"), ("year", "Integer"),
                        ("verified", "Integer(Boolean)"), ("name_vi", "String")):
        assert f"{field}: {kind}" in out, out
