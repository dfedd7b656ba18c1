"""Map sheets: read back with poppler (pdftotext, pdfinfo, pdffonts, pdftoppm)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from PIL import Image

from geo_kttt.export.selection import Selection, select_sites
from geo_kttt.export.sheet import draw_sheet, render_sheet
from geo_kttt.i18n import date


def _text(pdf) -> str:
    out = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True)
    return re.sub(r"\s+", " ", out.stdout)


def _png(pdf, tmp_path):
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(tmp_path / "page")],
                   check=True)
    with Image.open(tmp_path / "page.png") as img:
        return np.asarray(img.convert("RGB"))


def _has_colour(img, hex_colour: str) -> bool:
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return bool((np.abs(img.astype(int) - rgb).sum(axis=2) <= 6).any())


@pytest.fixture(scope="module")
def province_pdf(atlas, tmp_path_factory):
    return render_sheet(atlas, Selection(), tmp_path_factory.mktemp("sheet") / "p.pdf", lang="vi")


def test_province_sheet_text_round_trips(atlas, province_pdf):
    text = _text(province_pdf)
    assert atlas.metadata["title_vi"] in text
    for name in atlas.districts().name:  # every district named on the map and in the table
        assert text.count(name) >= 2, name
    for lid, layer in atlas.catalog.items():
        n = int((atlas.sites().layer == lid).sum())
        assert f"{layer.title['vi']} ({n})" in text
    assert date(atlas.metadata["data_date"], "vi") in text and atlas.metadata["version"] in text
    for a in atlas.metadata["attribution"]:  # the Vietnamese sheet's licence footer is Vietnamese
        assert a["text_vi"][:40] in text and a["text_en"][:40] not in text
    assert "Ký hiệu rỗng" in text  # hollow-marker note


def test_fonts_are_embedded(province_pdf):
    out = subprocess.run(["pdffonts", str(province_pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows and all("yes" == r[-5] for r in rows), out  # the 'emb' column


def test_page_shows_each_layer_colour(atlas, province_pdf, tmp_path):
    img = _png(province_pdf, tmp_path)
    assert img.shape[1] > img.shape[0]  # landscape
    for layer in atlas.catalog.values():
        assert _has_colour(img, layer.color), layer.id


def test_legend_lists_exactly_the_layers_shown(atlas, tmp_path):
    sel = Selection(layers=("solar_plants", "rice_models", "sorting_pilots"), district="891")
    _fig, info = draw_sheet(atlas, sel)
    with_sites = set(select_sites(atlas, sel).layer)
    assert info.legend_layers == info.drawn_layers
    assert set(info.legend_layers) == with_sites and with_sites < set(sel.layers) | with_sites
    pdf = render_sheet(atlas, sel, tmp_path / "s.pdf", lang="en")
    text = _text(pdf).split("Filters:")[0]  # the footer names the chosen layers
    for lid, layer in atlas.catalog.items():
        assert (layer.title["en"] in text) == (lid in with_sites), lid
    img = _png(pdf, tmp_path)
    for lid, layer in atlas.catalog.items():
        if lid not in with_sites and lid != "industrial_parks":  # grey is also text anti-aliasing
            assert not _has_colour(img, layer.color), lid


def test_both_languages_and_a3_portrait(atlas, tmp_path):
    pdf = render_sheet(atlas, Selection(district="884"), tmp_path / "b.pdf", paper="A3",
                       orientation="portrait", lang="both")
    text = _text(pdf)
    assert atlas.metadata["title_vi"] in text and atlas.metadata["title_en"] in text
    assert "Châu Đốc" in text and "Chú giải / Legend" in text
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(w), round(h)) == (842, 1191)  # A3 portrait in points


def test_png_sheet(atlas, tmp_path):
    png = render_sheet(atlas, Selection(district="890"), tmp_path / "s.png", dpi=80)
    with Image.open(png) as img:
        assert abs(img.size[0] - 11.69 * 80) <= 1 and abs(img.size[1] - 8.27 * 80) <= 1
        assert np.asarray(img.convert("L")).std() > 10  # not blank


def test_scale_bar_is_true_to_metres(atlas):
    from geo_kttt.sites import METRIC_CRS

    fig, info = draw_sheet(atlas, Selection(district="884"))
    ax = fig.axes[1]
    x0, x1 = ax.get_xlim()
    width_km = (x1 - x0) / 1000
    d = atlas.districts().to_crs(METRIC_CRS)
    district_w = np.ptp(d[d.code == "884"].total_bounds[[0, 2]]) / 1000
    assert width_km >= district_w and info.scale_km <= width_km / 4 < info.scale_km * 2.5


def test_map_frame_prints_vn2000_grid_ticks(atlas, province_pdf):
    """Eastings and northings (EPSG:9208 metres) at a round interval along the frame."""
    from geo_kttt.crs import reproject
    from geo_kttt.export.sheet_parts import grid_step

    text = _text(province_pdf)
    x0, y0, x1, y1 = reproject(atlas.districts(), "EPSG:9208").total_bounds
    step = grid_step(max(x1 - x0, y1 - y0) * 1.06)
    eastings = [v for v in range(int(x0 // step + 1) * step, int(x1), step)]
    northings = [v for v in range(int(y0 // step + 1) * step, int(y1), step)]
    group = lambda v: f"{v:,}".replace(",", "\u2009")  # noqa: E731
    found = [v for v in eastings + northings if group(v) in text or f"{v:,}".replace(",", " ") in text]
    assert len(found) >= 0.8 * len(eastings + northings) and len(eastings) >= 3, (found, eastings, northings)
    assert "VN-2000 / TM-3 104-45 (EPSG:9208)" in text


def test_empty_selection_still_renders(atlas, tmp_path):
    pdf = render_sheet(atlas, Selection(district="886"), tmp_path / "e.pdf", lang="en")
    assert "No located site in An Phú" in _text(pdf)  # not "no site matches the filter"


def test_bad_options_leave_no_file(atlas, tmp_path):
    for kw in ({"lang": "fr"}, {"paper": "A5"}, {"orientation": "diagonal"}):
        with pytest.raises(ValueError):
            render_sheet(atlas, Selection(), tmp_path / "x.pdf", **kw)
    with pytest.raises(ValueError):
        render_sheet(atlas, Selection(), tmp_path / "x.svg")
    assert list(tmp_path.iterdir()) == []
