"""Helpers for the export tests: a tweaked copy of the atlas with hostile text and one
site with its own coordinate, built once per module that asks for it; and the KML check
against the OGC KML 2.2 schema (xmllint, offline: tests/data/kml22/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
from conftest import ROOT

from geo_kttt.store import build, open_atlas

KML_SCHEMA = ROOT / "tests" / "data" / "kml22" / "ogckml22.xsd"


def validate_kml(path: Path) -> None:
    """Fail unless ``path`` is valid OGC KML 2.2 (xmllint against the schema, no network)."""
    if shutil.which("xmllint") is None:
        raise AssertionError("xmllint not found: scripts/setup test installs libxml2-utils")
    r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(KML_SCHEMA), str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "validates" in r.stderr, r.stderr[-2000:]


HOSTILE = {"operator": '=HYPERLINK("http://example.invalid","x")', "notes": "@SUM(A1:A9) ghi chú",
           "name_en": "<b>Bold</b> & <script>alert(1)</script>"}


def tweaked_atlas(admin, folder: Path):
    """Copy layers/, make one record hostile and one 'approximate' with a coordinate, build.

    Returns (atlas, id of the hostile record, id of the record with a coordinate).
    """
    layers = folder / "layers"
    shutil.copytree(ROOT / "layers", layers)
    path = layers / "sorting_pilots.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    first = df.index[0]
    for col, value in HOSTILE.items():
        df.loc[first, col] = value
    row = df.index[(df.commune_code != "") & (df.index != first)][0]
    point = admin.commune_points.set_index("code").geometry[df.loc[row, "commune_code"]]
    df.loc[row, ["location_precision", "lon", "lat"]] = ["approximate", f"{point.x:.6f}", f"{point.y:.6f}"]
    df.to_csv(path, index=False)
    build(layers, admin, folder / "atlas.gpkg")
    return open_atlas(folder / "atlas.gpkg"), df.loc[first, "id"], df.loc[row, "id"]
