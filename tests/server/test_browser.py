"""The web atlas in headless Chromium (Debian's /usr/bin/chromium) against a live local server.

Screenshots are kept in test-artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import csv
import shutil
import threading

import pytest
from conftest import ARTIFACTS, LAYERS
from werkzeug.serving import make_server

from geo_kttt.text import fold

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture()
def page(browser):
    """A desktop page that records console errors, page errors and dialogs."""
    pg = browser.new_page(viewport=DESKTOP)
    pg.problems = []
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.on("dialog", lambda d: (pg.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    pg.close()


def _open_map(page, url: str):
    page.goto(url)
    page.wait_for_function("() => { const m = document.querySelector('.folium-map');"
                           " return m && /^[0-9]+$/.test(m.dataset.sitesLoaded || ''); }", timeout=10000)
    page.wait_for_timeout(300)  # cluster animation


def _shown(page, layer: str) -> int:
    return page.locator(f".leaflet-marker-pane .layer-{layer}").count()


def test_markers_of_every_layer_render(page, live_server, atlas):
    _open_map(page, live_server + "/")
    loaded = int(page.locator(".folium-map").get_attribute("data-sites-loaded"))
    assert loaded == len(atlas.sites())
    for lid in atlas.catalog:
        assert _shown(page, lid) > 0, f"no marker or cluster of {lid}"
    assert page.locator(".precision-commune").count() > 0  # hollow, dashed markers
    page.screenshot(path=ARTIFACTS / "map-desktop.png")
    assert not page.problems, page.problems


def test_sites_sharing_a_commune_point_stay_apart(page, live_server, atlas):
    sites = atlas.sites()
    here = sites[sites.commune_code == "30538"]  # An Hảo: Sao Mai solar and the Vồ Bà village
    assert set(here.layer) >= {"solar_plants", "circular_models"}
    _open_map(page, live_server + "/?district=890")
    boxes = []
    for layer in ("solar_plants", "circular_models"):
        title = here[here.layer == layer].iloc[0]["name_vi"]
        boxes.append(page.locator(f".leaflet-marker-icon[title='{title}']").bounding_box())
    (a, b) = boxes
    assert abs(a["x"] - b["x"]) + abs(a["y"] - b["y"]) >= 24  # at least one icon width apart


def test_toggling_a_layer_hides_its_markers(page, live_server, atlas):
    _open_map(page, live_server + "/")
    lid = next(iter(atlas.catalog))
    title = atlas.catalog[lid].title["vi"]
    assert title in page.locator(".atlas-legend").inner_text()
    page.locator(f"input[data-layer-toggle][value='{lid}']").uncheck()
    assert _shown(page, lid) == 0
    assert title not in page.locator(".atlas-legend").inner_text()
    assert "layers=" in page.url and lid not in page.url.split("layers=")[1]
    other = list(atlas.catalog)[1]
    assert _shown(page, other) > 0
    # The URL reproduces the view.
    _open_map(page, page.url)
    assert _shown(page, lid) == 0 and not page.locator(f"input[value='{lid}']").is_checked()
    assert not page.problems, page.problems


def test_search_without_diacritics_opens_the_site(page, live_server, atlas):
    site = atlas.sites().iloc[1]
    _open_map(page, live_server + "/")
    page.fill("#search-q", fold(site.name_vi).upper())
    first = page.locator("#search-results li a").first
    first.wait_for(timeout=5000)
    assert site.name_vi in first.inner_text()
    first.click()
    popup = page.locator(".leaflet-popup-content .site-popup h3")
    popup.wait_for(timeout=5000)
    assert site.name_vi in popup.inner_text()
    page.screenshot(path=ARTIFACTS / "map-search-popup.png")
    assert not page.problems, page.problems


def test_language_switch_changes_legend(page, live_server, atlas):
    _open_map(page, live_server + "/?status=operating")
    assert "Chú giải" in page.locator(".atlas-legend").inner_text()
    with page.expect_navigation():  # else the wait below may see the old page
        page.click(".lang a[hreflang=en]")
    page.wait_for_function("() => /^[0-9]+$/.test(document.querySelector('.folium-map').dataset.sitesLoaded"
                           " || '')")
    legend = page.locator(".atlas-legend").inner_text()
    assert "Legend" in legend and "Position at commune/district level" in legend
    assert "status=operating" in page.url and "lang=en" in page.url
    page.screenshot(path=ARTIFACTS / "map-english.png")
    assert not page.problems, page.problems


def test_district_page_shows_its_table(page, live_server, atlas):
    code = "884"
    page.goto(f"{live_server}/districts/{code}")
    sites = atlas.sites()
    n = int((sites.district_code == code).sum())
    assert page.locator("#site-list tbody tr").count() == max(n, 1)
    assert page.locator("#district-new-communes tbody tr").count() > 0
    page.wait_for_function(f"() => document.querySelector('.folium-map').dataset.sitesLoaded === '{n}'")
    page.screenshot(path=ARTIFACTS / "district-884.png", full_page=True)
    assert not page.problems, page.problems


def test_province_table_sorts(page, live_server, atlas):
    page.goto(live_server + "/districts")
    rows = page.locator("#province-table tbody tr")
    assert rows.count() == len(atlas.districts())
    total_col = page.locator("#province-table thead th").count() - 1
    page.locator("#province-table thead th").nth(total_col).click()
    page.locator("#province-table thead th").nth(total_col).click()  # descending
    first = int(rows.first.locator("td").nth(total_col).inner_text())
    totals = [int(rows.nth(i).locator("td").nth(total_col).inner_text()) for i in range(rows.count())]
    assert first == max(totals)
    page.screenshot(path=ARTIFACTS / "province.png", full_page=True)
    assert not page.problems, page.problems


@pytest.mark.parametrize("url", ["/", "/districts/890", "/new-communes"])
def test_phone_layout(browser, live_server, url):
    pg = browser.new_page(viewport=PHONE)
    problems = []
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.goto(live_server + url)
    pg.wait_for_timeout(800)
    if url == "/":
        assert not pg.locator("#panel").evaluate("p => p.open")  # the panel collapses on phones
        box = pg.locator(".folium-map").bounding_box()
        assert box["width"] >= PHONE["width"] - 2 and box["height"] > 300
    width = pg.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways"
    name = "phone-" + (url.strip("/").replace("/", "-") or "map") + ".png"
    pg.screenshot(path=ARTIFACTS / name)
    pg.close()
    assert not problems, problems


@pytest.fixture(scope="module")
def xss_server(admin, tmp_path_factory):
    """A live server over an atlas whose first solar plant is named with an HTML tag."""
    from geo_kttt.server import create_app
    from geo_kttt.store import build

    layers = tmp_path_factory.mktemp("xss-browser") / "layers"
    shutil.copytree(LAYERS, layers)
    path = layers / "solar_plants.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(name_vi=XSS, name_en=XSS, operator=XSS)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    build(layers, admin, layers.parent / "atlas.gpkg")
    app = create_app({"ATLAS": str(layers.parent / "atlas.gpkg"), "TILE_URL": "none"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", rows[0]["id"]
    server.shutdown()


def test_html_in_data_shows_as_text(page, xss_server):
    base, site_id = xss_server
    _open_map(page, f"{base}/?focus=site:solar_plants/{site_id}")
    popup = page.locator(".leaflet-popup-content .site-popup")
    popup.wait_for(timeout=5000)
    page.wait_for_function("() => document.querySelector('.site-popup table')")
    assert XSS in popup.inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    page.fill("#search-q", "onerror")
    page.locator("#search-results li a").first.wait_for(timeout=5000)
    assert XSS in page.locator("#search-results").inner_text()
    page.screenshot(path=ARTIFACTS / "xss-as-text.png")
    assert not page.problems, page.problems
