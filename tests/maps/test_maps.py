"""maps.py, mapdata.py, search.py and assets.py against the real built atlas."""

from __future__ import annotations

import json

import pytest

from geo_kttt.maps import assets
from geo_kttt.maps.build import build_map, choropleth
from geo_kttt.maps.data import (
    FilterError,
    Filters,
    filter_sites,
    metric_options,
    metric_values,
    parse_filters,
    site_detail,
    sites_geojson,
)
from geo_kttt.maps.search import search

XSS = "<img src=x onerror=alert(1)>"


def test_build_map_uses_only_local_assets(atlas):
    parts = assets.components(build_map(atlas, "vi", tiles="none"))
    assert parts["js"] and parts["css"]
    for url in parts["js"] + parts["css"]:
        assert url.startswith("/vendor/") or url.startswith("/static/"), url
        assets.file_for(url.lstrip("/"))  # the file exists
    assert "cdn" not in parts["script"].lower() and "geoKttt.init(" in parts["script"]


def test_embedded_map_has_every_site_and_layer(atlas):
    parts = assets.components(build_map(atlas, "en", tiles="none", embed=True))
    config = _config(parts["script"])
    assert config["sites"]["n"] == len(atlas.sites()) == len(config["sites"]["lon"])
    assert [layer["id"] for layer in config["layers"]] == list(atlas.catalog)
    assert config["strings"]["ui"]["legend"] == "Legend"
    assert config["layerControl"] is True


def _config(script: str) -> dict:
    start = script.index("geoKttt.init(")
    body = script[script.index(",", start) + 1:script.rindex(");")]
    return json.loads(body)


def test_data_values_are_escaped_in_the_script(atlas):
    sites = atlas.sites()
    sites.loc[0, "name_vi"] = XSS + "</script><script>alert(2)</script>"
    feature = {"type": "Feature", "properties": {"name_vi": sites.loc[0, "name_vi"]}}
    m = build_map(atlas, "vi", tiles="none", units={"type": "FeatureCollection", "features": [feature]})
    script = assets.components(m)["script"]
    assert "</script>" not in script and "<img" not in script
    assert _config(script)["units"]["features"][0]["properties"]["name_vi"].startswith(XSS)


def test_unknown_cdn_resource_is_refused(atlas):
    import folium

    m = build_map(atlas, "vi", tiles="none")
    folium.Marker([10.4, 105.2], icon=folium.Icon()).add_to(m)  # needs awesome-markers
    m.default_js = m.default_js + [("someplugin", "https://cdn.example.org/x.js")]
    with pytest.raises(assets.AssetMissing, match="someplugin"):
        assets.components(m)


def test_tile_layer_configurable(atlas):
    parts = assets.components(build_map(atlas, "vi", tiles="https://tiles.example.test/{z}/{x}/{y}.png",
                                        attribution="© Example"))
    assert "tiles.example.test" in parts["script"] and "\\u00a9 Example" in parts["script"] or \
        "© Example" in parts["script"]
    none = assets.components(build_map(atlas, "vi", tiles="none"))
    assert "tileLayer" not in none["script"]


def test_filters_parse_and_apply(atlas):
    f = parse_filters({"layers": "solar_plants,waste_facilities", "status": "operating", "verified": "1"},
                      atlas)
    assert f == Filters(("solar_plants", "waste_facilities"), ("operating",), None, True)
    shown = filter_sites(atlas.sites(), f)
    assert set(shown.layer) <= {"solar_plants", "waste_facilities"}
    assert set(shown.status) <= {"operating"} and shown.verified.all()
    gj = json.loads(sites_geojson(atlas, f))
    assert len(gj["features"]) == len(shown)
    assert parse_filters({}, atlas) == Filters()
    assert parse_filters({"layers": ""}, atlas).layers == ()


BAD = [({"layers": "nope"}, "layers"), ({"status": "done"}, "status"),
       ({"district": "999"}, "district"), ({"verified": "maybe"}, "verified")]


@pytest.mark.parametrize("params, name", BAD)
def test_bad_filters_name_the_parameter(atlas, params, name):
    with pytest.raises(FilterError, match=name):
        parse_filters(params, atlas)


def test_geojson_is_rfc7946(atlas):
    gj = json.loads(sites_geojson(atlas))
    sites = atlas.sites()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(sites)
    lon, lat = gj["features"][0]["geometry"]["coordinates"]
    assert 104 < lon < 107 and 9 < lat < 12


def test_site_detail_has_popup_fields(atlas):
    row = atlas.sites().iloc[0]
    f = site_detail(atlas, row.layer, row.id)
    p = f["properties"]
    for key in ("name_vi", "name_en", "operator", "status", "capacity", "year", "precision", "verified",
                "sources", "district_name"):
        assert key in p
    assert all(s["url"] is None or s["url"].startswith("http") for s in p["sources"])
    assert site_detail(atlas, row.layer, "no-such-id") is None


def test_choropleth_counts_match_sites(atlas):
    values, _ = metric_values(atlas, Filters(), "count", "vi")
    assert sum(values.values()) == len(atlas.sites())
    ch = choropleth(atlas, Filters(), "capacity:solar_plants:MWp", "en")
    solar = atlas.sites()
    solar = solar[solar.capacity_unit == "MWp"]
    assert sum(ch["values"].values()) == pytest.approx(solar.capacity.sum())
    with pytest.raises(FilterError):
        metric_values(atlas, Filters(), "bogus", "vi")
    with pytest.raises(FilterError):  # ha of industrial parks and of rice models: not one total
        metric_values(atlas, Filters(), "capacity:ha", "vi")


def test_capacity_metrics_add_only_like_things(atlas):
    """Issue 12 §2: one option per layer (and kind) and unit, never 'ha' of parks plus rice."""
    options = dict(metric_options(atlas, "vi"))
    caps = [k for k in options if k.startswith("capacity:")]
    assert "capacity:industrial_parks/industrial_park:ha" in caps and "capacity:rice_models/srp:ha" in caps
    assert "capacity:industrial_parks/industrial_cluster:ha" in caps
    assert options["capacity:solar_plants:MWp"] == "Tổng công suất: Nhà máy điện mặt trời (MWp)"
    sites = atlas.sites()
    park = sites[(sites.layer == "industrial_parks") & (sites.kind == "industrial_park")]
    values, _ = metric_values(atlas, Filters(), "capacity:industrial_parks/industrial_park:ha", "vi")
    assert sum(values.values()) == pytest.approx(park.capacity.sum())


def test_count_classes_are_whole_numbers(atlas):
    ch = choropleth(atlas, Filters(), "count:waste_facilities", "vi")
    top = max(ch["values"].values())
    assert all(isinstance(c["from"], int) and isinstance(c["to"], int) for c in ch["classes"])
    assert ch["classes"][0]["from"] == 1 and ch["classes"][-1]["to"] >= top
    darkest = [code for code, v in ch["values"].items() if v == top]
    assert all(ch["colors"][code] == ch["classes"][-1]["color"] for code in darkest)
    assert all(ch["colors"][code] == "#f4f4f4" for code, v in ch["values"].items() if v == 0)


@pytest.mark.parametrize("q", ["chau doc", "CHAU DOC", "Châu Đốc", "châu đốc"])
def test_search_folds_diacritics(atlas, q):
    results = search(atlas, q)
    assert results[0]["kind"] == "district" and results[0]["name_vi"] == "Thành phố Châu Đốc"


def test_search_finds_sites_without_diacritics(atlas):
    site = atlas.sites().iloc[0]
    from geo_kttt.text import fold

    hits = search(atlas, fold(site.name_vi))
    assert any(h["kind"] == "site" and h["id"] == site.id for h in hits)
    assert search(atlas, "   ") == []
