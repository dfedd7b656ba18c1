"""The whole editing path in headless Chromium against a live server (issue 13, proof).

An admin creates a contributor and a reviewer on the command line; the contributor logs in,
opens a site from the map's popup, drags its marker and sends the move with evidence; the
reviewer sees old and new positions on the map and approves; the public map shows the site
at its new position with precision 'exact' and the evidence in the popup; the site's history
lists the change; an admin's revert restores it. Screenshots go to test-artifacts/ (and, with
GEO_KTTT_DOC_SCREENSHOTS=1, to docs/img/ for docs/editing.md).
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from conftest import ARTIFACTS
from editing_fixtures import PASSWORD, SECRET, SITE
from PIL import Image
from werkzeug.serving import make_server

from geo_kttt.cli import main as cli

pytestmark = pytest.mark.browser
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture()
def live_editing(ws):
    from geo_kttt.server import create_app

    app = create_app({"ATLAS": ws.atlas, "TILE_URL": "none", "SECRET_KEY": SECRET, "LOGIN_DELAY_S": 0,
                      "LAYERS_DIR": str(ws.layers_dir), "DATA_DIR": str(ws.data_dir),
                      "EDITING_DATABASE_URL": ws.database_url, "EVIDENCE_DIR": str(ws.evidence_dir)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _cli_add(ws, monkeypatch, name, *roles):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["--layers-dir", str(ws.layers_dir), "--atlas", ws.atlas, "users", "--editing-database",
            ws.database_url, "add", name, "--password-stdin"]
    assert cli([*args, *(x for r in roles for x in ("--role", r))]) == 0


def _person(browser, base, name, **context):
    page = browser.new_context(viewport=DESKTOP, **context).new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    if name:
        page.goto(base + "/login")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(base + "/")
    return page


def _shot(page, name, locator=None):
    target = page.locator(locator) if locator else page
    target.screenshot(path=ARTIFACTS / f"editing-{name}.png")
    if os.environ.get("GEO_KTTT_DOC_SCREENSHOTS"):
        DOCS_IMG.mkdir(exist_ok=True)
        with Image.open(ARTIFACTS / f"editing-{name}.png") as im:  # 64 colours: small in git, still sharp
            im.convert("RGB").quantize(colors=64).save(DOCS_IMG / f"editing-{name}.png", optimize=True)


def _popup(page, base):
    page.goto(f"{base}/?focus=site:{SITE[0]}/{SITE[1]}")
    page.wait_for_function("() => document.querySelector('.site-popup table')", timeout=10000)
    return page.locator(".leaflet-popup-content .site-popup")


def test_move_a_marker_review_publish_history_revert(browser, live_editing, ws, monkeypatch):
    base = live_editing
    _cli_add(ws, monkeypatch, "boss", "admin")
    _cli_add(ws, monkeypatch, "xa-binh-hoa", "contributor")
    _cli_add(ws, monkeypatch, "so-tnmt", "reviewer")

    # The contributor: from the map's popup to the site page to the form; drags the pin.
    con = _person(browser, base, "xa-binh-hoa")
    _popup(con, base).locator("a.site-page-link").click()
    con.wait_for_selector("#propose-link")
    con.click("#propose-link")
    con.wait_for_selector("#edit-map .edit-pin.new")
    con.locator("#edit-map").scroll_into_view_if_needed()
    pin = con.locator("#edit-map .edit-pin.new").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    con.mouse.move(x, y)
    con.mouse.down()
    con.mouse.move(x + 20, y - 10, steps=5)
    con.mouse.move(x + 40, y - 20, steps=5)
    con.mouse.up()
    con.wait_for_function("() => document.getElementById('distance').textContent.includes('m')")
    assert con.locator("input[name=position_method][value=map]").is_checked()
    metres = int(con.locator("#edit-map").get_attribute("data-distance"))
    assert 100 < metres < 1500
    con.check("input[name=precision_claim][value=exact]")
    con.fill("#f-evidence_ref", "Biên bản kiểm tra hiện trường số 12/BB-UBND ngày 01/12/2026")
    con.fill("#f-evidence_url", "https://example.org/bien-ban-12.pdf")
    _shot(con, "propose", ".propose-page")
    con.click("#send")
    con.wait_for_selector("#proposal-state[data-state=pending]")
    assert "geo_kttt_session" not in con.evaluate("document.cookie")  # HttpOnly: scripts cannot read it
    assert not con.problems, con.problems

    # The reviewer: the queue, the difference on the map, approve.
    rev = _person(browser, base, "so-tnmt")
    rev.click("#review-link")
    rev.wait_for_selector("#queue")
    assert "xa-binh-hoa" in rev.locator("#queue").inner_text()
    _shot(rev, "queue", ".page")
    rev.locator("#queue a").first.click()
    rev.wait_for_selector("#edit-map[data-points='2']")
    diff = rev.locator("#diff").inner_text()
    assert "Cấp xã (commune)" in diff and "Chính xác (exact)" in diff and "Kinh độ" in diff
    assert f"{metres}" in rev.locator("#distance-m").inner_text().replace(".", "")
    _shot(rev, "review", ".proposal-page")
    rev.click("#approve")
    rev.wait_for_selector("#proposal-state[data-state=published]")
    assert not rev.problems, rev.problems

    # The public: the site at its new position, precision exact, the evidence in the popup.
    public = _person(browser, base, None)
    popup = _popup(public, base)
    text = popup.inner_text()
    assert "Chính xác" in text and "https://example.org/bien-ban-12.pdf" in text
    assert "Biên bản kiểm tra hiện trường số 12/BB-UBND" in text
    assert public.locator(".leaflet-marker-pane .layer-solar_plants.precision-exact").count() >= 1
    _shot(public, "popup", ".map-wrap")
    public.goto(f"{base}/sites/{SITE[0]}/{SITE[1]}")
    assert public.locator("#site-name").get_attribute("data-precision") == "exact"
    history = public.locator("#history").inner_text()
    assert "xa-binh-hoa" in history and "so-tnmt" in history and "12/BB-UBND" in history
    _shot(public, "history", ".site-page")

    # The admin reverts; the site is back at its commune point.
    admin = _person(browser, base, "boss")
    admin.goto(f"{base}/sites/{SITE[0]}/{SITE[1]}")
    admin.fill(".revert-form input[name=comment]", "Kiểm tra lại: biên bản ghi nhầm thửa đất")
    admin.click(".revert-form button")
    admin.wait_for_selector("#proposal-state[data-state=published]")
    public.goto(f"{base}/sites/{SITE[0]}/{SITE[1]}")
    assert public.locator("#site-name").get_attribute("data-precision") == "commune"
    assert "Kiểm tra lại" in public.locator("#history").inner_text()
    assert "Cấp xã" in _popup(public, base).inner_text()
    assert not (con.problems or rev.problems or public.problems or admin.problems)


def test_login_page_and_english(browser, live_editing, ws, monkeypatch):
    _cli_add(ws, monkeypatch, "xa-binh-hoa", "contributor")
    page = _person(browser, live_editing, None)
    page.goto(live_editing + "/login")
    _shot(page, "login", ".page")
    page.fill("#username", "xa-binh-hoa")
    page.fill("#password", "wrong password!")
    page.click("#login-form button[type=submit]")
    assert "không đúng" in page.locator("#login-error").inner_text()
    page.problems.clear()  # the browser logs the expected 401 of the wrong password
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_editing}/propose/{SITE[0]}/{SITE[1]}?lang=en")
    assert "Propose a change" in page.locator("h1").inner_text()
    assert "Evidence" in page.locator("#evidence legend").inner_text()
    assert not page.problems, page.problems


def test_my_location_and_vn2000_in_the_form(browser, live_editing, ws, monkeypatch):
    from geo_kttt.imports import crs as crsmod

    _cli_add(ws, monkeypatch, "xa-binh-hoa", "contributor")
    here = {"latitude": 10.4503, "longitude": 105.3389, "accuracy": 8.5}
    page = _person(browser, live_editing, "xa-binh-hoa", geolocation=here, permissions=["geolocation"])
    page.goto(f"{live_editing}/propose/{SITE[0]}/{SITE[1]}")
    page.check("input[name=position_method][value=geolocation]")
    page.wait_for_function("() => document.getElementById('f-accuracy').value === '8.5'")
    assert (page.input_value("#f-lon"), page.input_value("#f-lat")) == ("105.338900", "10.450300")
    page.wait_for_function("() => document.getElementById('distance').textContent.includes('m')")
    e, n = crsmod.transformer("EPSG:9208").transform(105.3370, 10.4490, direction="INVERSE")
    page.check("input[name=position_method][value=vn2000]")
    page.fill("#f-easting", f"{e:.2f}")
    page.fill("#f-northing", f"{n:.2f}")
    page.wait_for_function("() => document.getElementById('f-lon').value.startsWith('105.337')")
    assert page.input_value("#f-lat").startswith("10.449")
    page.check("input[name=precision_claim][value=approximate]")
    page.fill("#f-evidence_ref", "Trích đo địa chính thửa 120, tờ 15")
    page.click("#send")
    page.wait_for_selector("#proposal-state[data-state=pending]")
    assert "Gần đúng (approximate)" in page.locator("#diff").inner_text()
    assert not page.problems, page.problems


def test_a_whole_file_in_the_browser(browser, live_editing, ws, monkeypatch):
    from editing_fixtures import SITE as site

    _cli_add(ws, monkeypatch, "ubnd-chau-thanh", "contributor")
    _cli_add(ws, monkeypatch, "so-tnmt", "reviewer")
    csv = ("id,name_vi,name_en,kind,district_code,commune_code,status,capacity,capacity_unit,"
           "location_precision,verified,in_report,sources\n"
           f"{site[1]},,,,,,,12,MWp,,,,\n"
           ",Điện mặt trời mái nhà KCN Bình Hòa,Binh Hoa IP rooftop solar,utility,892,30607,operating,1.5,"
           "MWp,commune,false,false,Báo cáo KCN 2026\n").encode()
    con = _person(browser, live_editing, "ubnd-chau-thanh")
    con.click("#account-link")
    con.click("#file-link")
    con.select_option("#f-layer", site[0])
    con.set_input_files("#f-file", files=[{"name": "cap-nhat-dien-mat-troi.csv", "mimeType": "text/csv",
                                            "buffer": csv}])
    con.click("#check")
    con.wait_for_selector("#plan-changes")
    assert "Thêm mới: 1" in con.locator("#plan-counts").inner_text()
    con.fill("#f-evidence_ref", "Báo cáo BQL các KCN số 5/BC-BQL ngày 01/12/2026")
    _shot(con, "file", ".page")
    con.click("#send-file")
    con.wait_for_selector(".batch-item")
    url = con.url
    rev = _person(browser, live_editing, "so-tnmt")
    rev.goto(url)
    rev.click("#approve")
    rev.wait_for_selector(".batch-item [data-state=published]")
    assert rev.locator(".batch-item [data-state=published]").count() == 2
    assert not (con.problems or rev.problems), con.problems + rev.problems
