"""OGC API – Features over both backends: documents, paging, filters, errors, HTML."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely

from geo_kttt import ogcapi
from geo_kttt.server import create_app


@pytest.fixture()
def api(location):
    return create_app({"TESTING": True, "ATLAS": location, "TILE_URL": "none"}).test_client()


def _get(api, url, status=200, **kw):
    r = api.get(url, **kw)
    assert r.status_code == status, r.get_data(as_text=True)
    return r


def test_landing_links_to_api_conformance_and_collections(api):
    r = _get(api, "/ogcapi/")
    rels = {link["rel"]: link for link in r.json["links"]}
    assert {"self", "alternate", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == ogcapi.OPENAPI
    doc = _get(api, urlsplit(rels["service-desc"]["href"]).path).get_json(force=True)
    assert doc["openapi"].startswith("3.0")
    conf = _get(api, "/ogcapi/conformance").json["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf) and any(c.endswith("/conf/oas30") for c in conf)


def test_collections_are_the_layers_and_districts_with_titles_in_the_language(api, any_atlas):
    vi = _get(api, "/ogcapi/collections").json["collections"]
    en = _get(api, "/ogcapi/collections?lang=en").json["collections"]
    assert [c["id"] for c in vi] == [*any_atlas.catalog, "districts"]
    for c_vi, c_en in zip(vi, en, strict=True):
        if c_vi["id"] in any_atlas.catalog:
            assert c_vi["title"] == any_atlas.catalog[c_vi["id"]].title["vi"]
            assert c_en["title"] == any_atlas.catalog[c_vi["id"]].title["en"]
        assert len(c_vi["extent"]["spatial"]["bbox"][0]) == 4


def test_items_count_and_pages_through_next_links(api, any_atlas):
    lid = max(any_atlas.catalog, key=lambda x: len(any_atlas.sites(x)))
    expected = list(any_atlas.sites(lid).id)
    url, seen = f"/ogcapi/collections/{lid}/items?limit=4", []
    while url:
        r = _get(api, url)
        assert r.mimetype == "application/geo+json"
        doc = r.json
        assert doc["numberMatched"] == len(expected)
        assert doc["numberReturned"] == len(doc["features"]) <= 4
        seen += [f["id"] for f in doc["features"]]
        nxt = [link for link in doc["links"] if link["rel"] == "next"]
        url = urlsplit(nxt[0]["href"])._replace(scheme="", netloc="").geturl() if nxt else None
    assert seen == expected
    last = _get(api, f"/ogcapi/collections/{lid}/items?limit=4&offset=4").json
    prev = [link for link in last["links"] if link["rel"] == "prev"][0]
    assert parse_qs(urlsplit(prev["href"]).query)["offset"] == ["0"]


def test_bbox_and_property_filters(api, any_atlas):
    sites = any_atlas.sites()
    lid = sites.layer.value_counts().index[0]
    layer = sites[sites.layer == lid]
    p = layer.geometry.iloc[0]
    box = [p.x - 0.1, p.y - 0.1, p.x + 0.1, p.y + 0.1]
    status = layer.status.iloc[0]
    want = layer[layer.intersects(shapely.box(*box)) & (layer.status == status)]
    doc = _get(api, f"/ogcapi/collections/{lid}/items?bbox={','.join(map(str, box))}"
                    f"&status={status}&limit=1000").json
    assert doc["numberMatched"] == len(want) >= 1
    assert sorted(f["id"] for f in doc["features"]) == sorted(want.id)
    district = layer.district_code.iloc[0]
    doc = _get(api, f"/ogcapi/collections/{lid}/items?district_code={district}&verified=true").json
    assert doc["numberMatched"] == int(((layer.district_code == district) & layer.verified).sum())


def test_one_feature_keeps_vietnamese_text_and_geometry(api, any_atlas):
    site = any_atlas.sites().iloc[0]
    r = _get(api, f"/ogcapi/collections/{site.layer}/items/{site.id}")
    doc = json.loads(r.get_data(as_text=True))
    assert doc["id"] == site.id and doc["properties"]["name_vi"] == site["name_vi"]
    assert doc["geometry"]["coordinates"] == pytest.approx([site.geometry.x, site.geometry.y])
    district = any_atlas.districts().iloc[0]
    doc = _get(api, f"/ogcapi/collections/districts/items/{district.code}").json
    assert doc["properties"]["name"] == district["name"]
    assert doc["geometry"]["type"] in ("Polygon", "MultiPolygon")


BAD = [
    ("/ogcapi/collections/nope", 404, "NotFound"),
    ("/ogcapi/collections/nope/items", 404, "NotFound"),
    ("/ogcapi/collections/districts/items/no-such-code", 404, "NotFound"),
    ("/ogcapi/collections/districts/items?bbox=1,2,3", 400, "bbox"),
    ("/ogcapi/collections/districts/items?bbox=a,b,c,d", 400, "bbox"),
    ("/ogcapi/collections/districts/items?bbox=106,10,105,11", 400, "bbox"),
    ("/ogcapi/collections/districts/items?bbox=105,-91,106,11", 400, "bbox"),
    ("/ogcapi/collections/districts/items?bbox=105,10,106,11&bbox-crs=EPSG:3405", 400, "bbox-crs"),
    ("/ogcapi/collections/districts/items?limit=0", 400, "limit"),
    ("/ogcapi/collections/districts/items?limit=10001", 400, "limit"),
    ("/ogcapi/collections/districts/items?limit=ten", 400, "limit"),
    ("/ogcapi/collections/districts/items?offset=-1", 400, "offset"),
    ("/ogcapi/collections/districts/items?colour=red", 400, "colour"),
    ("/ogcapi/collections/districts/items?area_km2=big", 400, "area_km2"),
    ("/ogcapi/collections/districts/items?valid_in_source=yes", 400, "valid_in_source"),
    ("/ogcapi/collections?f=xml", 400, "f must be"),
    ("/ogcapi/collections?lang=fr", 400, "lang"),
]


@pytest.mark.parametrize(("url", "status", "says"), BAD)
def test_bad_requests_get_the_right_status_and_a_json_error(api, url, status, says):
    r = _get(api, url, status)
    assert r.mimetype == "application/json"
    assert r.json["code"] and says in (r.json["code"] + " " + r.json["description"])


def test_html_by_f_or_accept_escapes_data(api, any_atlas):
    site = any_atlas.sites().iloc[0]
    r = _get(api, f"/ogcapi/collections/{site.layer}/items?f=html&lang=en")
    html = r.get_data(as_text=True)
    assert r.mimetype == "text/html" and '<html lang="en">' in html
    assert site["name_vi"] in html
    r = _get(api, "/ogcapi/collections", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.mimetype == "text/html"
    assert _get(api, "/ogcapi/collections", headers={"Accept": "*/*"}).mimetype == "application/json"
    r = _get(api, "/ogcapi/collections/districts/items/%3Cscript%3Ex?f=html", 404)
    assert r.mimetype == "application/json"  # errors are JSON whatever f says


def test_html_escapes_every_data_value(location):
    from flask import g

    from geo_kttt.server import ogcapi as view

    app = create_app({"TESTING": True, "ATLAS": location, "TILE_URL": "none"})
    evil = '<script>alert("x")</script>'
    doc = {"type": "FeatureCollection", "numberMatched": 1, "numberReturned": 1, "links": [],
           "features": [{"type": "Feature", "id": evil, "geometry": None,
                         "properties": {"id": evil, "name_vi": evil}}]}
    with app.test_request_context("/ogcapi/collections/x/items?f=html"):
        g.lang, g.csp_nonce = "vi", "n"
        html = view._reply(doc, "items").get_data(as_text=True)
    assert evil not in html and "&lt;script&gt;" in html
