"""Export endpoints: the filters come from the query string; safe names, right content types."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pyogrio
import pytest
from openpyxl import load_workbook

from geo_kttt.export.downloads import FORMATS

NAME = re.compile(r'attachment; filename="?([A-Za-z0-9._-]+)"?$')


def _download_name(resp) -> str:
    m = NAME.match(resp.headers["Content-Disposition"])
    assert m, resp.headers["Content-Disposition"]
    return m.group(1)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_data_downloads(client, fmt):
    resp = client.get(f"/export/data.{fmt}?district=884&layers=waste_facilities,sorting_pilots")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == FORMATS[fmt][1]
    assert _download_name(resp) == "kttt-884-chau-doc" + FORMATS[fmt][0]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert len(resp.data) > 100


def test_download_carries_filters(client, atlas, tmp_path):
    resp = client.get("/export/data.gpkg?district=890&layers=solar_plants&status=operating")
    path = tmp_path / "x.gpkg"
    path.write_bytes(resp.data)
    got = pyogrio.read_dataframe(path, layer="solar_plants")
    s = atlas.sites()
    want = s[(s.layer == "solar_plants") & (s.district_code == "890") & (s.status == "operating")]
    assert sorted(got.id) == sorted(want.id) and len(got) > 0
    layers = [n for n, _ in pyogrio.list_layers(path)]
    assert layers[0] == "solar_plants" and not set(layers) & (set(atlas.catalog) - {"solar_plants"})
    districts = pyogrio.read_dataframe(path, layer="districts")
    assert list(districts.code) == ["890"]  # the boundaries of the extent come along


def test_xlsx_download_opens(client):
    resp = client.get("/export/data.xlsx?layers=rice_models&lang=en")
    wb = load_workbook(io.BytesIO(resp.data), read_only=True)
    assert wb.sheetnames == ["rice_models", "about"]
    wb.close()


def test_sheet_pdf_and_png(client):
    pdf = client.get("/export/sheet.pdf?district=891&sheet_lang=both&paper=A4&orientation=portrait")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and _download_name(pdf) == "kttt-891-tri-ton-map-both-a4.pdf"
    png = client.get("/export/sheet.png?lang=en")
    assert png.data.startswith(b"\x89PNG") and _download_name(png) == "kttt-an-giang-map-en-a4.png"


@pytest.mark.parametrize("url, status", [
    ("/export/data.csv?district=../../etc/passwd", 400),
    ("/export/data.csv?layers=<script>", 400),
    ("/export/data.exe", 404),
    ("/export/sheet.svg", 404),
    ("/export/sheet.pdf?paper=A0", 400),
    ("/export/sheet.pdf?sheet_lang=fr", 400),
    ("/export/data.csv?bbox=1,2,3,4", 400),
    ("/export/data.csv?lang=xx", 400),
])
def test_bad_requests(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    assert b"<script>" not in resp.data  # the bad value is escaped in the message


def test_panel_page_links_carry_current_filters(client):
    resp = client.get("/export/?district=884&layers=solar_plants&status=operating&evil=1&lang=en")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Export maps and data" in page
    hrefs = re.findall(r'data-export-link href="([^"]+)"', page)
    assert len(hrefs) == len(FORMATS) + 2  # data files, HTML map, pack
    for href in hrefs:
        assert "district=884" in href and "layers=solar_plants" in href and "status=operating" in href
        assert "evil" not in href
    nonce = re.search(r'<script nonce="([^"]+)"', page)
    assert nonce and 'action="/export/sheet.pdf"' in page
    assert not re.search(r'(src|href)="https?://', page)


def test_pack_download(client):
    resp = client.get("/export/pack.zip?district=890")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/zip"
    assert _download_name(resp) == "kttt-890-tinh-bien-pack.zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert {n.split("/", 1)[1] for n in names} == {
        "README.txt", "kttt-890-tinh-bien-map-vi.pdf", "kttt-890-tinh-bien-map-en.pdf",
        "kttt-890-tinh-bien-map-vi.html", "kttt-890-tinh-bien-map-en.html",
        "kttt-890-tinh-bien.xlsx", "kttt-890-tinh-bien.gpkg", "kttt-890-tinh-bien.kmz",
        "kttt-890-tinh-bien.csv", "kttt-890-tinh-bien.csvt", "kttt-890-tinh-bien.prj",
        "kttt-890-tinh-bien-csv-README.txt"}


@pytest.mark.browser
def test_panel_script_carries_page_state_into_downloads(browser, live_server, tmp_path):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    try:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
        page.goto(f"{live_server}/export/?district=884&layers=solar_plants")
        page.screenshot(path=str(tmp_path / "panel.png"))
        page.evaluate("window.geoKtttExportState = () => ({district: '890', layers: 'waste_facilities'})")
        with page.expect_download() as info:
            page.click("a[href*='data.csv']")
        download = info.value
        assert download.suggested_filename == "kttt-890-tinh-bien.csv"
        rows = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()[1:]
        assert rows and all(r.startswith("waste_facilities,") for r in rows)
        with page.expect_download() as info:
            page.select_option("select[name=sheet_lang]", "en")
            page.click("button[formaction$='sheet.pdf']")
        assert info.value.suggested_filename == "kttt-890-tinh-bien-map-en-a4.pdf"
    finally:
        page.close()
    assert errors == []


def test_map_and_district_pages_carry_their_filters_into_the_export_panel(client):
    html = client.get("/?district=890&status=operating").get_data(as_text=True)
    assert 'id="export-panel"' in html
    assert "/export/data.xlsx?" in html and "district=890" in html and "status=operating" in html
    page = client.get("/districts/884?lang=en").get_data(as_text=True)
    assert 'id="export-panel"' in page and "/export/pack.zip?district=884" in page
