"""Investor packs, the standalone HTML map and the `geo-kttt export` commands."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pyogrio
import pytest
from export_fixtures import HOSTILE, tweaked_atlas
from openpyxl import load_workbook

from geo_kttt.cli import main
from geo_kttt.export.pack import investor_pack, standalone_html
from geo_kttt.export.selection import Selection
from geo_kttt.i18n import date


def test_district_pack_contents(atlas, tmp_path):
    said = []
    path = investor_pack(atlas, Selection(district="891"), tmp_path / "p.zip", said.append)
    stem = "kttt-891-tri-ton"
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(f"{stem}/{n}" for n in (
            "README.txt", f"{stem}-map-vi.pdf", f"{stem}-map-en.pdf",
            f"{stem}-map-vi.html", f"{stem}-map-en.html",
            f"{stem}.xlsx", f"{stem}.gpkg", f"{stem}.kmz", f"{stem}.csv", f"{stem}.csvt", f"{stem}.prj",
            f"{stem}-csv-README.txt"))
        z.extractall(tmp_path)
    folder = tmp_path / stem
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "Tri Tôn" in readme and "GPL-3.0" in readme
    day = atlas.metadata["data_date"]
    assert date(day, "vi") in readme and date(day, "en") in readme
    assert '<html lang="en"' in (folder / f"{stem}-map-en.html").read_text(encoding="utf-8")
    assert '<html lang="vi"' in (folder / f"{stem}-map-vi.html").read_text(encoding="utf-8")
    for lang, word in (("vi", "Chú giải"), ("en", "Legend")):
        text = subprocess.run(["pdftotext", str(folder / f"{stem}-map-{lang}.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert word in text and "Tri Tôn" in text
    sites = atlas.sites()
    want = sorted(sites[sites.district_code == "891"].id)
    got = sorted(i for name in atlas.catalog
                 for i in pyogrio.read_dataframe(folder / f"{stem}.gpkg", layer=name).id)
    assert got == want
    wb = load_workbook(folder / f"{stem}.xlsx", read_only=True)
    assert "about" in wb.sheetnames
    wb.close()
    assert ".kmz" in readme and "Google Earth" in readme and ".csvt" in readme
    assert len(said) >= 5 and said[-1].startswith("wrote")


def test_failed_pack_leaves_nothing(atlas, tmp_path):
    class Broken(Selection):
        def layer_ids(self, catalog):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        investor_pack(atlas, Broken(), tmp_path / "p.zip")
    assert list(tmp_path.iterdir()) == []


def test_standalone_html_is_self_contained(atlas, tmp_path):
    html = standalone_html(atlas, Selection(layers=("solar_plants",)), tmp_path / "m.html").read_text("utf-8")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="', html)  # nothing loaded from outside
    assert all("nonce=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "Content-Security-Policy" in html and "Nhà máy điện mặt trời" in html
    assert "leaflet" in html.lower() and "geoKttt.init" in html


@pytest.mark.browser
@pytest.mark.parametrize("packed", [False, True])  # a large table travels gzipped (maps.embed)
def test_standalone_html_opens_offline_in_chromium(browser, admin, tmp_path, monkeypatch, packed):
    atlas, bad_id, _ = tweaked_atlas(admin, tmp_path)
    from geo_kttt.export.standalone import render_standalone
    from geo_kttt.maps import embed

    monkeypatch.setattr(embed, "PACK_ABOVE", 10 if packed else embed.PACK_ABOVE)
    page_file = tmp_path / "m.html"
    html = render_standalone(atlas, Selection(), "en", tiles="none")
    assert ('"packed"' in html) == packed
    page_file.write_text(html, encoding="utf-8")
    outside, dialogs, errors = [], [], []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        def guard(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()
        page.route("**/*", guard)
        page.goto(page_file.as_uri())
        page.wait_for_selector(".atlas-legend .legend-layer")
        legend = page.locator(".atlas-legend").inner_text()
        for layer in atlas.catalog.values():
            assert layer.title["en"] in legend
        assert page.locator(".leaflet-marker-icon").count() > 0
        page.wait_for_timeout(500)  # let the initial fit finish
        for _ in range(4):  # zoomToShowLayer may miss while the map is still moving
            assert page.evaluate("id => geoKttt.focus({layer: 'sorting_pilots', id: id})", bad_id)
            if page.locator(".leaflet-popup-content").count():
                break
            page.wait_for_timeout(1500)
        page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        popup = page.locator(".leaflet-popup-content")
        assert HOSTILE["name_en"] in popup.inner_text()  # shown as text
        assert popup.locator("b, script").count() == 0
        page.screenshot(path=str(tmp_path / "standalone.png"))
    finally:
        page.close()
    assert outside == [] and dialogs == [] and errors == []


def test_cli_sheet_data_and_errors(atlas_path, tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["--lang", "en", "--atlas", str(atlas_path), "export", "sheet", "--district", "884",
                 "--format", "png",
                 "--dpi", "60", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    err = capsys.readouterr().err
    assert re.search(r"\[\s*\d+\.\d+s\] drawing A4 landscape sheet", err) and str(out) in err
    csv_out = tmp_path / "d.csv"
    assert main(["--atlas", str(atlas_path), "export", "data", "--format", "csv", "--layers",
                 "rice_models", "-o", str(csv_out)]) == 0
    assert csv_out.read_text(encoding="utf-8-sig").count("\nrice_models,") >= 1
    assert main(["--lang", "en", "--atlas", str(atlas_path), "export", "data", "--format", "csv",
                 "--district", "999",
                 "-o", str(tmp_path / "x.csv")]) == 2
    assert "district '999'" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


def test_pack_readme_names_the_place_once(atlas, tmp_path):
    """Issue 12 §15: 'Tịnh Biên', not 'Tịnh Biên / Tịnh Biên'; the province in both languages."""
    from geo_kttt.export.pack import pack_readme

    lines = pack_readme(atlas, Selection(district="890"), []).splitlines()
    assert lines[1] == "Tịnh Biên"
    assert pack_readme(atlas, Selection(), []).splitlines()[1] == "Tỉnh An Giang / An Giang province"


def test_cli_output_into_an_existing_folder(atlas_path, tmp_path, capsys):
    """Issue 12 §15: `export pack -o EXISTING_DIR` writes into it (an IsADirectoryError before)."""
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["--atlas", str(atlas_path), "export", "pack", "--district", "884", "-o", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["kttt-884-chau-doc-pack.zip"]
    assert main(["--atlas", str(atlas_path), "export", "data", "--format", "csv", "--layers", "solar_plants",
                 "-o", str(folder)]) == 0
    assert (folder / "kttt-an-giang.csv").is_file()
