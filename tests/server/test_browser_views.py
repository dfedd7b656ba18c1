"""Views that keep what the link says, and maps that read well (issue 12 §1, §12, §13, §18, §20),
in headless Chromium against a live local server. Screenshots go to test-artifacts/."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import ARTIFACTS

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
