"""The GeoPackage as QGIS 3.22 opens it (PyQGIS, headless): default styles like the web map,
districts and communes as layers, the metadata in Layer Properties, and the rendered colours.

PyQGIS lives in Debian's /usr/bin/python3 (python3-qgis, scripts/apt-packages-test.txt), not in
the project's virtualenv: tests/export/qgis_render.py runs there, with QT_QPA_PLATFORM=offscreen,
and prints what QGIS found; the PNGs it renders are checked here, pixel by pixel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTIFACTS
from export_fixtures import tweaked_atlas
from matplotlib.image import imread

from geo_kttt.export.downloads import write_data
from geo_kttt.export.selection import Selection

QGIS_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_render.py")


def _qgis_missing() -> str | None:
    if not Path(QGIS_PYTHON).exists():
        return f"{QGIS_PYTHON} not found"
    r = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"PyQGIS not importable by {QGIS_PYTHON}: {r.stderr.strip()[-200:]}"


@pytest.fixture(scope="module")
def qgis_report(admin, tmp_path_factory):
    """(atlas, report, output folder): the exported GeoPackage opened and rendered by QGIS."""
    why = _qgis_missing()
    if why:
        pytest.skip(f"{why}; apt-get install python3-qgis qgis (scripts/apt-packages-test.txt)")
    folder = tmp_path_factory.mktemp("qgis")
    atlas, _bad, _exact = tweaked_atlas(admin, folder)
    path = write_data(atlas, Selection(), "gpkg", folder / "kttt.gpkg")
    out = folder / "png"
    out.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(folder)}
    env.pop("PYTHONPATH", None)
    r = subprocess.run([QGIS_PYTHON, str(SCRIPT), str(path), str(out)], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(out / "all.png", ARTIFACTS / "qgis-geopackage.png")  # for people to look at
    return atlas, json.loads(r.stdout), out


def test_every_layer_opens_with_its_default_style(qgis_report):
    atlas, report, _ = qgis_report
    layers = report["layers"]
    assert report["qgis"].startswith("3.")
    assert set(atlas.catalog) | {"districts"} <= set(layers)
    for lid, layer in atlas.catalog.items():
        got = layers[lid]
        assert got["valid"] and got["styles_for_layer"] == [lid], got.get("style_error")
        assert got["renderer"] == "categorizedSymbol" and got["attr"] == "location_precision"
        assert set(got["categories"]) == {"exact", "approximate", "commune", "district"}
        assert "SvgMarker" in got["categories"]["exact"]  # the layer's symbol, embedded
        for p in ("exact", "approximate"):
            assert got["fill"][p] == layer.color and got["stroke"][p] == "#ffffff"
        for p in ("commune", "district"):  # hollow rings, as on the web map
            assert got["fill"][p] == "#ffffff" and got["stroke"][p] == layer.color
        assert got["aliases"]["name_vi"] == "Tên (tiếng Việt)"
    d = layers["districts"]
    assert d["valid"] and d["features"] == len(atlas.districts()) and d["renderer"] == "singleSymbol"
    assert d["labels"] is True and d["styles_for_layer"] == ["districts"]
    if atlas.communes() is not None:
        assert layers["communes"]["features"] == len(atlas.communes())


def test_layer_properties_show_title_abstract_rights_licence_and_data_date(qgis_report):
    atlas, report, _ = qgis_report
    meta = atlas.metadata
    texts = [a["text"] for a in meta["attribution"]]
    for name, got in report["layers"].items():
        if name in atlas.catalog:
            title = atlas.catalog[name].title
            assert got["title"] == f"{title['vi']} / {title['en']}"
            assert atlas.catalog[name].description["en"] in got["abstract"]
            assert any("CC BY 4.0" in x for x in got["licenses"])
        else:
            assert got["title"].startswith(("Huyện", "Xã")) and got["licenses"]
        assert meta["data_date"] in got["abstract"] and meta["data_date"] in got["history"][0]
        assert got["rights"] == texts


def _ring(img, x, y, r0, r1):
    """The RGB pixels between radii r0 and r1 around (x, y)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot(xx - x, yy - y)
    return img[(d >= r0) & (d <= r1)][:, :3]


def _near(pixels, hex_rgb, tol=0.16) -> float:
    want = np.array([int(hex_rgb[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return float(np.mean(np.abs(pixels - want).max(axis=1) < tol))


def test_rendered_markers_have_the_expected_colours(qgis_report):
    atlas, report, out = qgis_report
    r = report["marker_px"] / 2
    seen = {"filled": 0, "hollow": 0}
    for lid, layer in atlas.catalog.items():
        img = imread(out / f"{lid}.png")
        pts = report["layers"][lid]["pixels"]
        xy = np.array([p[2:] for p in pts])
        for sid, precision, x, y in pts:
            others = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
            if (others < 2.6 * r).sum() > 1:
                continue  # overlapping markers: not a clean sample
            inside = _ring(img, x, y, 0.62 * r, 0.75 * r)
            if precision in ("commune", "district"):
                assert _near(inside, "#ffffff", 0.1) > 0.6, (lid, sid, "hollow inside")
                assert _near(_ring(img, x, y, 0.88 * r, 1.05 * r), layer.color) > 0.15, (lid, sid, "ring")
                seen["hollow"] += 1
            else:
                assert _near(inside, layer.color) > 0.6, (lid, sid, "filled disc")
                seen["filled"] += 1
    assert seen["filled"] >= 1 and seen["hollow"] >= 10, seen
