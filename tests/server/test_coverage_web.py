"""The /coverage page, its downloads, escaping, and a headless-Chromium check of map and table."""

from __future__ import annotations

import io
import re
import shutil

import openpyxl
import pytest
from conftest import ARTIFACTS, LAYERS

from geo_kttt.coverage.analysis import compute
from geo_kttt.store import build

XSS = "<img src=x onerror=alert(1)>"


def test_page_lists_every_unit_and_marks_the_unserved(client, atlas):
    cov = compute(atlas, by="commune")
    html = client.get("/coverage").get_data(as_text=True)
    assert 'lang="vi"' in html and "Độ bao phủ cơ sở xử lý chất thải" in html
    assert len(re.findall(r'<tr data-code="', html)) == len(cov.units)
    assert len(re.findall(r'<tr data-code="[^"]+" class="unserved"', html)) == len(cov.unserved())
    assert "EPSG:9208" in html and 'href="/coverage.csv?' in html and 'href="/coverage.xlsx?' in html


def test_english_district_level_with_parameters(client, atlas):
    cov = compute(atlas, by="district", statuses=("operating", "planned"), radius=12)
    r = client.get("/coverage?lang=en&by=district&status=operating&status=planned&radius_km=12")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Coverage of waste facilities" in html
    assert f"{len(cov.unserved())} of {len(cov.units)} units unserved" in html
    assert "Capacity per 1,000 inhabitants" in html  # shown at district level only


@pytest.mark.parametrize("url", ["/coverage?by=village", "/coverage?layer=nope", "/coverage?status=pilot",
                                 "/coverage?radius_km=far", "/coverage?radius_km=-3", "/coverage.csv?by=x"])
def test_bad_parameters_give_400_saying_what_is_allowed(client, url):
    r = client.get(url)
    assert r.status_code == 400
    assert re.search(r"dùng một trong|không phải là số|không quá 200", r.get_data(as_text=True))  # vi first
    r = client.get(url + "&lang=en")
    assert r.status_code == 400
    assert re.search(r"allowed|number|between", r.get_data(as_text=True))


def test_csv_download(client, atlas):
    r = client.get("/coverage.csv?by=new-commune&lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert "coverage-waste-facilities-new-commune-en.csv" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    lines = r.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Code,Unit,District (pre-2025),Served,Basis")
    assert len(lines) - 1 == len(compute(atlas, by="new-commune").units)


def test_xlsx_download_has_coverage_completeness_and_checks(client, atlas):
    r = client.get("/coverage.xlsx?by=district")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["coverage", "completeness", "checks", "about"]
    ws = wb["coverage"]
    assert ws.max_row - 1 == len(atlas.districts())
    assert [c.value for c in ws[1]][:4] == ["Mã", "Đơn vị", "Huyện (trước 2025)", "Được phục vụ"]
    assert wb["completeness"].max_row - 1 == len(atlas.catalog)


def test_page_names_no_outside_host(client):
    html = client.get("/coverage").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(?:https?:)?//", url), url


@pytest.fixture(scope="module")
def xss_app(admin, tmp_path_factory):
    from geo_kttt.server import create_app

    layers = tmp_path_factory.mktemp("layers") / "layers"
    shutil.copytree(LAYERS, layers)
    csv = layers / "waste_facilities.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("Bãi rác An Cư", XSS.replace(",", "")),
                   encoding="utf-8")
    dest = layers.parent / "atlas.gpkg"
    build(layers, admin, dest)
    return create_app({"TESTING": True, "ATLAS": str(dest), "TILE_URL": "none"})


def test_facility_names_are_escaped(xss_app):
    client = xss_app.test_client()
    html = client.get("/coverage?by=district").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the table (nearest facility)
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # the map's JSON
    body = client.get("/coverage.csv?by=district").data.decode("utf-8-sig")
    assert XSS in body  # CSV carries the text as it is; it is data, not markup


@pytest.mark.browser
def test_browser_renders_map_table_and_popup(browser, live_server, atlas):
    cov = compute(atlas, by="commune")
    first_unserved = cov.units.set_index("code").loc[cov.unserved()[0], "name"]
    errors = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/coverage")
        page.wait_for_selector(".leaflet-overlay-pane path")
        paths = page.locator(".leaflet-overlay-pane path")
        red = page.locator('.leaflet-overlay-pane path[stroke="#d7301f"]')
        assert red.count() == len(cov.unserved())
        assert paths.count() >= len(cov.units) + len(cov.facilities)
        assert page.locator("#coverage-table tbody tr").count() == len(cov.units)
        assert page.locator("#coverage-table tbody tr.unserved").count() == len(cov.unserved())
        page.screenshot(path=str(ARTIFACTS / "coverage.png"))
        km = page.locator("#coverage-table thead th").nth(6)
        km.click()
        km.click()  # descending: the farthest unit first
        assert km.get_attribute("aria-sort") == "descending"
        top = page.locator("#coverage-table tbody tr").first.get_attribute("data-code")
        assert top == cov.units.loc[cov.units.nearest_km.idxmax(), "code"]
        page.locator(f'button[data-show-unit="{cov.unserved()[0]}"]').click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert first_unserved in popup.inner_text() and "km" in popup.inner_text()
        assert "Chưa được phục vụ" in popup.inner_text()
        page.screenshot(path=str(ARTIFACTS / "coverage-popup.png"))
    finally:
        page.close()
    assert errors == []


def test_without_commune_polygons_the_page_runs_at_district_level(data_dir, tmp_path, capsys):
    from geo_kttt.admin import load_admin
    from geo_kttt.cli import main
    from geo_kttt.coverage.units import FALLBACK_NOTE
    from geo_kttt.server import create_app

    root = tmp_path / "data"
    (root / "boundaries").mkdir(parents=True)
    for f in (data_dir / "boundaries").iterdir():
        if "communes_c2008" not in f.name and "official" not in f.name:
            (root / "boundaries" / f.name).symlink_to(f)
    (root / "research").symlink_to(data_dir / "research")
    admin = load_admin(root)
    assert admin.communes is None
    dest = tmp_path / "atlas.gpkg"
    build(LAYERS, admin, dest)
    html = create_app({"TESTING": True, "ATLAS": str(dest), "TILE_URL": "none"}).test_client() \
        .get("/coverage?by=commune").get_data(as_text=True)
    assert FALLBACK_NOTE["vi"] in html
    assert len(re.findall(r'<tr data-code="', html)) == len(admin.districts)
    assert main(["--atlas", str(dest), "coverage", "--by", "new-commune", "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == FALLBACK_NOTE["en"]
