"""Data is never code: template, markup and TeX payloads in every text field, through the
import path and the catalogue, reach every output as literal text (issue 10 §1)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geo_kttt.imports.merge import run_import
from geo_kttt.store import build

ROOT = Path(__file__).resolve().parents[2]
# If any of these were compiled as Jinja, the page would show 49/42 or fail with a 500.
TEMPLATE = "{{7*7}}Q1 {% print 6*7 %}Q2 {# Q3"
MARKERS = ("{{7*7}}Q1", "{% print 6*7 %}Q2", "{# Q3")
EVALUATED = ("49Q1", "42Q2")
TEXT_FIELDS = ("name_vi", "name_en", "operator", "sources", "notes")
ROW = {"id": "waste-payload", "name_vi": "Lò đốt " + TEMPLATE, "name_en": "Store {{ số 3 " + TEMPLATE,
       "kind": "incinerator", "operator": "Op " + TEMPLATE, "district_code": "886",
       "commune_code": "30337", "status": "operating", "capacity": "12", "capacity_max": "",
       "capacity_unit": "t/day", "year": "2024", "location_precision": "commune", "lon": "",
       "lat": "", "verified": "false", "in_report": "false", "serves": "",
       "sources": "Doc " + TEMPLATE, "notes": "Kho {# 3 " + TEMPLATE}
# Markup, script and URL-scheme payloads: each would set window.__xss or add an element if it ran.
MARKUP = {"name_vi": "<img src=x onerror=window.__xss=1> Bãi <b>đậm</b>",
          "name_en": "<script>window.__xss=2</script><svg onload=window.__xss=3>",
          "operator": "\"><iframe src=javascript:window.__xss=4></iframe>",
          "sources": "javascript:window.__xss=5 | data:text/html,<script>x</script> | https://example.invalid/\"><b>",
          "notes": "</script><script>window.__xss=6</script> <a href=javascript:window.__xss=7>x</a>"}


@pytest.fixture(scope="module")
def payload_atlas(admin, tmp_path_factory):
    """The real layers plus one imported site with payloads in every text field, and a
    layer title with markup, a template and TeX."""
    tmp = tmp_path_factory.mktemp("payload")
    layers = tmp / "layers"
    shutil.copytree(ROOT / "layers", layers)
    toml = layers / "waste_facilities.toml"
    title = "Xử lý rác $x^2$ {{7*7}}Q1 <meta http-equiv=refresh content=0;url=about:blank>"
    text = toml.read_text(encoding="utf-8").replace('vi = "Cơ sở xử lý chất thải rắn"', f'vi = "{title}"')
    assert title in text
    toml.write_text(text, encoding="utf-8")
    src = tmp / "officer.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ROW))
        w.writeheader()
        w.writerow(ROW)
        w.writerow(ROW | MARKUP | {"id": "waste-markup", "commune_code": "30346"})
    result = run_import(src, "waste_facilities", layers, admin)
    assert result.written, result.problems
    path = tmp / "atlas.gpkg"
    build(layers, admin, path)
    return {"path": path, "layers": layers, "tmp": tmp}


@pytest.fixture(scope="module")
def payload_client(payload_atlas):
    from geo_kttt.server import create_app

    app = create_app({"TESTING": True, "ATLAS": str(payload_atlas["path"]), "TILE_URL": "none"})
    return app.test_client()


def _literal(body: str) -> None:
    for bad in EVALUATED:
        assert bad not in body, f"data was evaluated as a template: {bad}"


PAGES = ["/", "/?lang=en", "/?layers=waste_facilities&lang=en", "/districts", "/districts/886",
         "/coverage", "/coverage?lang=en", "/new-communes", "/report", "/changes",
         "/api/sites.geojson", "/api/sites/waste_facilities/waste-payload", "/api/search?q=Q1",
         "/search?q=Q1", "/export/", "/export/map.html", "/export/map.html?lang=en",
         "/export/data.csv", "/export/data.geojson", "/export/data.kml", "/coverage.csv",
         "/ogcapi/collections/waste_facilities/items/waste-payload?f=json",
         "/ogcapi/collections/waste_facilities/items/waste-payload?f=html"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_show_payloads_as_text(payload_client, url):
    r = payload_client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    _literal(r.get_data(as_text=True))


def test_map_page_carries_literal_text(payload_client):
    body = payload_client.get("/export/map.html").get_data(as_text=True)
    # JSON in the page escapes "{" only where it would open a template tag: the text is whole.
    # (The embedded table carries what the popups show: names, operator, sources; not notes.)
    assert "\\u007b{7*7}}Q1" in body and "Op \\u007b{7*7}}Q1 \\u007b% print 6*7 %}Q2 \\u007b# Q3" in body


def test_pack_and_sheet_with_payloads(payload_client):
    r = payload_client.get("/export/pack.zip?district=886")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        for name in z.namelist():
            if name.endswith((".html", ".md", ".txt", ".csv", ".kml")):
                _literal(z.read(name).decode("utf-8", "replace"))
    # "$x^2$" in a layer title is printed as it is, not parsed as TeX (it crashed before).
    assert payload_client.get("/export/sheet.png?layers=waste_facilities").status_code == 200


def test_cli_exports_with_payloads(payload_atlas):
    out = payload_atlas["tmp"] / "out"
    out.mkdir()
    base = [sys.executable, "-m", "geo_kttt.cli", "--atlas", str(payload_atlas["path"])]
    for args, name in ((["export", "html", "-o"], "map.html"), (["export", "data", "--format", "csv", "-o"],
                       "sites.csv"), (["export", "sheet", "--layers", "waste_facilities", "-o"], "s.pdf")):
        p = subprocess.run(base + args + [str(out / name)], capture_output=True, text=True, cwd=ROOT)
        assert p.returncode == 0, p.stderr
    _literal((out / "map.html").read_text(encoding="utf-8"))
    assert "{{7*7}}Q1" in (out / "sites.csv").read_text(encoding="utf-8-sig")


def test_validate_refuses_control_characters(admin, tmp_path):
    from geo_kttt.validate import validate_all

    layers = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", layers)
    f = layers / "solar_plants.csv"
    rows = f.read_text(encoding="utf-8").splitlines()
    cells = rows[1].split(",", 2)
    rows[1] = ",".join([cells[0], cells[1][:3] + "\x00" + cells[1][3:], cells[2]])
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _, _, problems = validate_all(layers, admin)
    bad = [p for p in problems if p.severity == "error" and "control character" in p.message]
    assert bad and bad[0].row == 1 and bad[0].field == "name_vi", problems


@pytest.mark.browser
def test_standalone_layer_control_shows_markup_as_text(browser, payload_client, tmp_path):
    """Leaflet's layer control writes names with innerHTML: a <meta refresh> in a layer title
    must stay text (it navigated the browser away before)."""
    page_file = tmp_path / "map.html"
    page_file.write_bytes(payload_client.get("/export/map.html").data)
    page = browser.new_page()
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(page_file.as_uri())
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(1500)
    assert page.url == page_file.as_uri()
    labels = page.inner_text(".leaflet-control-layers")
    assert "<meta http-equiv=refresh" in labels and "{{7*7}}Q1" in labels
    assert not page.query_selector(".leaflet-control-layers meta")
    # Nothing but the page itself and the configured basemap's tiles.
    allowed = ("file:", "data:", "https://tile.openstreetmap.org/")
    assert [u for u in requests if not u.startswith(allowed)] == []
    page.close()


@pytest.fixture(scope="module")
def payload_server(payload_atlas):
    import threading

    from werkzeug.serving import make_server

    from geo_kttt.server import create_app

    app = create_app({"ATLAS": str(payload_atlas["path"]), "TILE_URL": "none"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/?layers=waste_facilities&focus=site:waste_facilities/waste-markup",
                                  "/?lang=en&layers=waste_facilities&focus=site:waste_facilities/waste-markup",
                                  "/coverage", "/districts/886", "/search?q=bai"])
def test_markup_corpus_never_runs_in_chromium(browser, payload_server, path):
    """No script runs, no element is injected, no request leaves the server, on any page."""
    page = browser.new_page()
    outside, dialogs = [], []
    page.on("request", lambda req: req.url.startswith(payload_server) or req.url.startswith("data:")
            or outside.append(req.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert page.goto(payload_server + path).status == 200
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert page.query_selector_all("img[src=x], iframe, b, svg[onload], a[href^=javascript]") == []
    assert outside == [] and dialogs == []
    if "focus=" in path:  # the focused site's popup is open: its text is shown literally
        text = page.inner_text(".leaflet-popup-content")
        assert "<img src=x onerror=window.__xss=1>" in text or "<script>window.__xss=2</script>" in text
    page.close()
