"""Flask client tests for every route of the web atlas (pages, API, errors, assets, CSP)."""

from __future__ import annotations

import re

import pytest
from conftest import LAYERS

XSS = "<img src=x onerror=alert(1)>"
PAGES = ["/", "/?lang=en", "/new-communes", "/search?q=chau+doc", "/districts", "/districts/884",
         "/districts/883?lang=en"]
HOST = re.compile(r"""(?:https?:)?//([a-z0-9.-]+\.[a-z]{2,})""", re.I)
# Hosts a page may name as text or links in data (sources) and XML namespaces; never as src/href of assets.
ALLOWED_TEXT_HOSTS = ("www.w3.org",)


def test_map_page(client, atlas):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'lang="vi"' in html
    for layer in atlas.catalog.values():
        assert layer.title["vi"] in html
    # The page names the clusters of each tile of the view, never the whole site list.
    assert "/api/clusters/{z}/{x}/{y}.json" in html and "/api/sites.geojson" not in html


def test_map_page_in_english_keeps_other_parameters(client, atlas):
    r = client.get("/?status=operating&district=884&lang=vi")
    html = r.get_data(as_text=True)
    link = re.search(r'href="([^"]*lang=en[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "status=operating" in link and "district=884" in link
    en = client.get(link).get_data(as_text=True)
    assert 'lang="en"' in en and "Layers" in en


@pytest.mark.parametrize("url", ["/?status=finished", "/?layers=nope", "/?district=1",
                                 "/?verified=perhaps", "/?metric=bogus", "/?lang=fr",
                                 "/api/sites.geojson?status=x", "/?focus=planet:x"])
def test_bad_parameter_gives_400_with_message(client, url):
    r = client.get(url)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    name = re.split(r"[?=&]", url)[1]
    assert name in body


@pytest.mark.parametrize("url", ["/districts/000", "/api/sites/solar_plants/nope", "/api/sites/x/y",
                                 "/?focus=site:solar_plants/nope", "/vendor/jquery/x.js", "/no-such-page"])
def test_unknown_gives_404(client, url):
    assert client.get(url).status_code == 404


def test_404_page_is_html_with_link_home(client):
    r = client.get("/districts/000")
    html = r.get_data(as_text=True)
    assert r.mimetype == "text/html" and "404" in html and 'href="/"' in html


def test_sites_geojson_follows_filters(client, atlas):
    all_ = client.get("/api/sites.geojson").get_json(force=True)
    assert len(all_["features"]) == len(atlas.sites())
    op = client.get("/api/sites.geojson?status=operating&verified=1").get_json(force=True)
    sites = atlas.sites()
    expected = sites[(sites.status == "operating") & sites.verified]
    assert {f["properties"]["id"] for f in op["features"]} == set(expected.id)


def test_site_endpoint(client, atlas):
    row = atlas.sites().iloc[3]
    f = client.get(f"/api/sites/{row.layer}/{row.id}").get_json(force=True)
    assert f["properties"]["name_vi"] == row.name_vi
    assert f["properties"]["precision"] == row.location_precision


def test_search_api(client):
    for q in ("chau doc", "CHAU DOC", "Châu Đốc"):
        res = client.get("/api/search", query_string={"q": q}).get_json()["results"]
        assert res[0]["name_vi"] == "Thành phố Châu Đốc"
    assert client.get("/api/search?q=" + "x" * 201).status_code == 400


def test_search_page_links_to_map_focus(client):
    html = client.get("/search?q=chau+doc").get_data(as_text=True)
    assert "focus=district:884" in html.replace("%3A", ":")


def test_focus_on_site(client, atlas):
    row = atlas.sites().iloc[0]
    r = client.get(f"/?focus=site:{row.layer}/{row.id}")
    assert r.status_code == 200 and f'"id":"{row.id}"' in r.get_data(as_text=True).replace('": "', '":"')


def test_new_communes_page(client, atlas):
    html = client.get("/new-communes").get_data(as_text=True)
    cw = atlas.crosswalk()
    cw = cw[cw.old_province_code == "89"]
    for name in cw.new_full_name.unique()[:5]:
        assert name in html
    split = cw.groupby("old_code").new_code.nunique()
    assert (split > 1).any() and "⚠" in html


def test_csp_header_and_nonce(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = r.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert client.get("/").headers["Content-Security-Policy"] != csp  # a fresh nonce per response


def test_csp_names_configured_tile_server(atlas_path):
    from geo_kttt.server import create_app

    app = create_app({"TESTING": True, "ATLAS": str(atlas_path),
                      "TILE_URL": "https://{s}.tiles.example.test/{z}/{x}/{y}.png"})
    r = app.test_client().get("/")
    assert "https://*.tiles.example.test" in r.headers["Content-Security-Policy"]
    assert "tiles.example.test" in r.get_data(as_text=True)


@pytest.mark.parametrize("url", PAGES)
def test_pages_name_no_outside_host(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    html = r.get_data(as_text=True)
    for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not HOST.match(attr), f"{url} loads {attr}"
    hosts = {h for h in HOST.findall(html)} - set(ALLOWED_TEXT_HOSTS)
    assert not hosts, f"{url} names outside hosts {hosts}"


def test_vendor_assets_served(client):
    with client.get("/vendor/leaflet/dist/leaflet.js") as r:
        assert r.status_code == 200 and b"Leaflet" in r.data[:400]
    with client.get("/vendor/leaflet/../../package.json") as r:
        assert r.status_code == 404


@pytest.fixture(scope="module")
def xss_client(admin, tmp_path_factory):
    """An app over an atlas whose first solar plant is named (and operated by) an HTML tag."""
    import csv
    import shutil

    from geo_kttt.server import create_app
    from geo_kttt.store import build

    layers = tmp_path_factory.mktemp("xss") / "layers"
    shutil.copytree(LAYERS, layers)
    path = layers / "solar_plants.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(name_vi=XSS, name_en=XSS, operator=XSS, notes=XSS)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    build(layers, admin, layers.parent / "atlas.gpkg")
    app = create_app({"TESTING": True, "ATLAS": str(layers.parent / "atlas.gpkg"), "TILE_URL": "none"})
    return app.test_client()


@pytest.mark.parametrize("url", ["/search?q=img+src", "/", "/?focus=site:solar_plants/solar-binh-hoa"])
def test_escaping_of_data_values(xss_client, url):
    html = xss_client.get(url).get_data(as_text=True)
    assert XSS not in html
    assert "onerror=alert(1)" not in html or "\\u003cimg" in html or "&lt;img" in html


def test_xss_values_travel_as_json(xss_client):
    res = xss_client.get("/api/search?q=onerror").get_json()["results"]
    assert res and res[0]["name_vi"] == XSS  # JSON data; atlas.js writes it as a text node
    f = xss_client.get("/api/sites/solar_plants/solar-binh-hoa").get_json(force=True)
    assert f["properties"]["operator"] == XSS


def test_province_page_totals_match_summary(client, atlas):
    from geo_kttt.summary import district_summary, reconcile

    html = client.get("/districts").get_data(as_text=True)
    total = next(s for s in district_summary(atlas) if s["code"] == "total")
    foot = html[html.index("<tfoot>"):html.index("</tfoot>")]
    assert f'<td class="num">{total["sites"]}</td>' in foot
    for code, name in zip(atlas.districts().code, atlas.districts().name, strict=True):
        assert f'href="/districts/{code}"' in html and name in html
    for r in reconcile(atlas):
        if r["reported_count"]:
            assert f"định vị {r['located']} / {r['reported_count']} theo báo cáo" in html


def test_district_page_lists_its_sites_and_new_communes(client, atlas):
    code = "890"
    html = client.get(f"/districts/{code}?lang=en").get_data(as_text=True)
    sites = atlas.sites()
    for name in sites[sites.district_code == code].name_en:
        assert name.replace("'", "&#39;") in html
    cw = atlas.crosswalk()
    for name in cw[cw.old_district_code == code].new_full_name.unique():
        assert name in html
    assert f'"fit":"{code}"' in html.replace('": "', '":"') and f"district={code}" in html


def test_serve_command_is_registered(capsys):
    from geo_kttt.cli import main, parser

    args = parser().parse_args(["serve", "--port", "0", "--host", "127.0.0.1"])
    assert args.command == "serve" and args.port == "0"
    assert main(["--atlas", "/nonexistent/atlas.gpkg", "serve", "--port", "0"]) == 2
    assert "geo-kttt build" in capsys.readouterr().err


def test_province_table_keeps_capacity_ranges(client):
    html = client.get("/districts").get_data(as_text=True)
    assert "12–15" in html  # Vĩnh Gia incinerator, 12-15 t/day, in Tri Tôn


def test_side_panel_keeps_capacity_ranges(client):
    html = client.get("/?district=891").get_data(as_text=True)
    assert "12–15" in html  # Vĩnh Gia incinerator, 12-15 t/day: not just its lower bound


def test_ha_totals_are_never_added_across_layers(client, atlas):
    """Issue 12 §2: the province table, the side panel and the choropleth options show the
    industrial parks' ha apart from the rice models' ha, as `geo-kttt summary` does."""
    from geo_kttt.i18n import number
    from geo_kttt.summary import capacity_groups

    groups = capacity_groups(atlas.sites(), atlas.catalog)
    parks = groups["industrial_parks/industrial_park:ha"]
    wrong = sum(c["min"] for c in groups.values() if c["unit"] == "ha")  # what the page added up
    fmt = lambda v: number(v, "vi")  # noqa: E731  (the pages write numbers the Vietnamese way)
    province = client.get("/districts").get_data(as_text=True)
    foot = province[province.index("<tfoot>"):province.index("</tfoot>")]
    assert f"{fmt(parks['min'])}–{fmt(parks['max'])}" in foot and fmt(wrong) not in province
    assert 'data-capacity="rice_models/srp:ha"' in province and "(ha)</th>" in province
    panel = client.get("/").get_data(as_text=True)
    assert "Lúa SRP (ha)" in panel and fmt(wrong) not in panel
    assert 'value="capacity:industrial_parks/industrial_park:ha"' in panel
    assert 'value="capacity:ha"' not in panel


def test_docs_say_what_an_unknown_district_code_gives(client):
    """Issue 12 §20: docs/web.md and the code agree (a filter value: 400; a path: 404)."""
    from conftest import ROOT

    doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    assert "`/?district=999` gives **400**" in doc and "(`/districts/999`" in doc
    assert client.get("/?district=999").status_code == 400
    assert client.get("/api/sites.geojson?district=999").status_code == 400
    assert client.get("/districts/999").status_code == 404


def test_new_communes_page_is_fast(client):
    """Issue 12 §16: the view is computed once per atlas, not on every request (2-2.5 s)."""
    import time

    assert client.get("/new-communes").status_code == 200  # the first request computes it
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        assert client.get("/new-communes").status_code == 200
        times.append(time.perf_counter() - t0)
    assert sorted(times)[2] < 0.2, times
