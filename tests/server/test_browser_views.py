"""Views that keep what the link says, and maps that read well (issue 12 §1, §12, §13, §18, §20),
in headless Chromium against a live local server. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
import socket
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import ARTIFACTS
from PIL import Image
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def page(browser):
    """A desktop page that records console errors and page errors."""
    pg = browser.new_page(viewport=DESKTOP)
    pg.problems = []
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    yield pg
    pg.close()


def _open_map(page, url: str) -> int:
    page.goto(url)
    page.wait_for_function("() => { const m = document.querySelector('.folium-map');"
                           " return m && /^[0-9]+$/.test(m.dataset.sitesLoaded || ''); }", timeout=15000)
    page.wait_for_timeout(300)  # cluster animation
    return int(page.locator(".folium-map").get_attribute("data-sites-loaded"))


def _shown(page) -> int:
    """The sites the view shows: the summary's count (visible layers, filtered)."""
    return int(page.locator("#shown-total").inner_text())


def _statuses(page) -> list[str]:
    return page.eval_on_selector_all("#f-status input:checked", "bs => bs.map(b => b.value)")


def _apply(page) -> list[tuple[str, str]]:
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    page.wait_for_function("() => /^[0-9]+$/.test(document.querySelector('.folium-map').dataset.sitesLoaded"
                           " || '')", timeout=15000)
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


def test_status_filter_keeps_every_status_of_the_link(page, live_server, atlas):
    """§1: `status=operating,pilot` shows both, and Apply without a change keeps both."""
    sites = atlas.sites()
    want = sites[sites.layer.isin(["waste_facilities", "sorting_pilots"])
                 & sites.status.isin(["operating", "pilot"])]
    _open_map(page, live_server + "/?layers=waste_facilities,sorting_pilots&status=operating,pilot")
    assert _shown(page) == len(want) and sorted(_statuses(page)) == ["operating", "pilot"]
    page.screenshot(path=ARTIFACTS / "map-status-filter.png")
    params = _apply(page)
    assert all(v for _, v in params), f"empty parameters in {page.url}"
    assert dict(params) == {"lang": "vi", "layers": "waste_facilities,sorting_pilots",
                            "status": "operating,pilot"}
    assert _shown(page) == len(want) and sorted(_statuses(page)) == ["operating", "pilot"]
    assert not page.problems, page.problems


def test_apply_without_a_change_leaves_the_view_and_a_clean_link(page, live_server, atlas):
    n = _open_map(page, live_server + "/?district=884")
    before = page.locator("#summary").inner_text()
    params = _apply(page)
    assert params == [("lang", "vi"), ("district", "884")], page.url  # no layers=, status=, metric=
    assert int(page.locator(".folium-map").get_attribute("data-sites-loaded")) == n
    assert page.locator("#summary").inner_text() == before
    assert len(_statuses(page)) == len(page.locator("#f-status input").all())  # all: none left out


def test_unticking_a_status_filters_and_the_link_says_so(page, live_server, atlas):
    _open_map(page, live_server + "/?lang=en")
    page.uncheck("#f-status input[value=planned]")
    params = dict(_apply(page))
    sites = atlas.sites()
    assert params["status"].split(",") == [s for s in ("under_construction", "operating", "pilot",
                                                       "closed", "unverified")]
    assert int(page.locator(".folium-map").get_attribute("data-sites-loaded")) == \
        int((sites.status != "planned").sum()) == _shown(page)
    assert "planned" not in _statuses(page) and len(_statuses(page)) == 5


# --- §12 district names and markers -----------------------------------------------------------

LABEL_OVERLAPS = """() => {
  const labels = [...document.querySelectorAll('.district-label')].map(e => [e, e.getBoundingClientRect()]);
  const marks = [...document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon')]
    .map(e => e.getBoundingClientRect());
  const z = sel => Number(getComputedStyle(document.querySelector(sel)).zIndex);
  const hits = [];
  for (const [e, a] of labels) for (const b of marks) {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      hits.push([e.textContent, z('.leaflet-districtLabels-pane') < z('.leaflet-marker-pane')]);
  }
  return {labels: labels.length, hits: hits};
}"""


# The two cities are smaller than their markers at the province's zoom: nowhere clear there.
CROWDED = {"/": {"Long Xuyên", "Châu Đốc"}, "/?lang=en": {"Long Xuyên", "Châu Đốc"},
           "/new-communes": {"Long Xuyên", "Châu Đốc"}, "/?district=883": set(), "/?district=884": set()}


@pytest.mark.parametrize("url", list(CROWDED))
def test_district_names_never_on_top_of_markers(page, live_server, atlas, url):
    _open_map(page, live_server + url)
    found = page.evaluate(LABEL_OVERLAPS)
    assert found["labels"] == len(atlas.districts())
    assert all(below for _, below in found["hits"]), found  # under a marker, never over it
    crowded = {name for name, _ in found["hits"]}
    assert crowded <= CROWDED[url], found  # clear of the markers wherever the district has room
    page.screenshot(path=ARTIFACTS / f"labels-{url.strip('/?').replace('=', '-') or 'map'}.png")


# --- §13 framing ----------------------------------------------------------------------------

FILL = """(sel) => {
  const m = window.geoKtttMap, size = m.getSize();
  let b = null;
  m.eachLayer(l => { if (l.feature && l.getBounds && sel(l.feature.properties)) {
    const lb = l.getBounds();
    b = b ? b.extend(lb) : L.latLngBounds(lb.getSouthWest(), lb.getNorthEast()); } });
  const nw = m.latLngToContainerPoint(b.getNorthWest()), se = m.latLngToContainerPoint(b.getSouthEast());
  return {inside: m.getBounds().contains(b), w: (se.x - nw.x) / size.x, h: (se.y - nw.y) / size.y};
}"""


def _fill(page, predicate: str) -> dict:
    return page.evaluate(f"() => ({FILL})(p => {predicate})")


def test_new_communes_open_fitted_to_the_province(page, live_server):
    _open_map(page, live_server + "/new-communes")
    fill = _fill(page, "p.code && p.code.length === 3")  # the 11 districts: the province
    assert fill["inside"] and max(fill["w"], fill["h"]) > 0.85, fill
    page.screenshot(path=ARTIFACTS / "new-communes-fitted.png")


def test_district_view_fits_and_outlines_the_district(page, live_server):
    _open_map(page, live_server + "/?district=890")
    fill = _fill(page, "p.code === '890'")
    assert fill["inside"] and max(fill["w"], fill["h"]) > 0.8, fill
    outline = page.locator("path.district-chosen")
    assert outline.count() == 1 and float(outline.get_attribute("stroke-width")) >= 3
    page.screenshot(path=ARTIFACTS / "map-district-890.png")


def test_district_page_legend_does_not_cover_its_map(page, live_server):
    page.goto(live_server + "/districts/890")
    page.wait_for_function("() => document.querySelector('.folium-map').dataset.sitesLoaded")
    legend = page.locator(".atlas-legend").bounding_box()
    box = page.locator(".unit-map").bounding_box()
    assert "collapsed" in page.locator(".atlas-legend").get_attribute("class")
    assert legend["width"] * legend["height"] < 0.05 * box["width"] * box["height"]
    fill = _fill(page, "p.code === '890'")
    assert fill["inside"] and max(fill["w"], fill["h"]) > 0.8, fill
    page.screenshot(path=ARTIFACTS / "district-890-map.png")


# --- §18 popups that scroll, a phone top bar that shows every link ----------------------------

def test_a_long_popup_shows_that_it_scrolls(page, live_server):
    _open_map(page, live_server + "/?focus=site:solar_plants/solar-sao-mai")
    page.wait_for_function("() => document.querySelector('.leaflet-popup-content .site-popup table')")
    box = page.locator(".leaflet-popup-content")
    state = box.evaluate("e => ({scrolls: e.scrollHeight > e.clientHeight + 1, cls: e.className,"
                         " bg: getComputedStyle(e).backgroundAttachment,"
                         " bar: getComputedStyle(e).scrollbarWidth})")
    assert state["scrolls"], "the Sao Mai popup (five sources) should be taller than its maximum"
    assert "leaflet-popup-scrolled" in state["cls"] and "local" in state["bg"] and state["bar"] != "none"
    inner = page.locator(".leaflet-popup-content .sources").evaluate(
        "e => e.scrollHeight <= e.clientHeight + 1")
    assert inner, "no second, hidden scroll area inside the popup"
    page.screenshot(path=ARTIFACTS / "popup-scrolls.png")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_phone_top_bar_shows_every_link(browser, live_server, lang):
    pg = browser.new_page(viewport=PHONE)
    pg.goto(f"{live_server}/?lang={lang}")
    links = pg.locator(".topnav a")
    for i in range(links.count()):
        b = links.nth(i).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] + 0.5, links.nth(i).inner_text()
        assert links.nth(i).evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    pg.screenshot(path=ARTIFACTS / f"phone-topbar-{lang}.png")
    pg.close()


# --- §20 scale bar, basemap attribution -------------------------------------------------------

def test_scale_bar_is_metric_only(page, live_server):
    _open_map(page, live_server + "/")
    lines = page.locator(".leaflet-control-scale-line")
    assert lines.count() == 1 and lines.first.inner_text().strip().endswith(("km", " m"))


def _serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture(scope="module")
def tile_servers(atlas_path):
    """Two atlases: one whose tile server answers (a local one serving a grey PNG), one whose
    tile server never answers (nothing listens on its port)."""
    from geo_kttt.server import create_app

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 200, 200)).save(buf, "PNG")
    png = buf.getvalue()

    def tiles(environ, start_response):
        start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(png)))])
        return [png]

    tile_url, tile_server = _serve(tiles)
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    servers = {}
    for name, url in (("loads", tile_url), ("fails", dead)):
        app = create_app({"ATLAS": str(atlas_path), "TILE_URL": url + "/{z}/{x}/{y}.png",
                          "TILE_ATTRIBUTION": "© Test tiles"})
        servers[name] = _serve(app)
    yield {k: v[0] for k, v in servers.items()}
    for _, server in servers.values():
        server.shutdown()
    tile_server.shutdown()


@pytest.mark.parametrize("case", ["loads", "fails"])
def test_basemap_attribution_only_once_a_tile_has_loaded(page, tile_servers, case):
    _open_map(page, tile_servers[case] + "/")
    if case == "loads":
        page.wait_for_function("() => document.querySelector('.folium-map').dataset.basemap === 'loaded'")
    else:
        page.wait_for_timeout(1500)
    credit = page.locator(".leaflet-control-attribution").inner_text()
    footer = page.locator("[data-basemap-credit]")
    assert ("© Test tiles" in credit) == (case == "loads"), credit
    assert footer.is_visible() == (case == "loads")
