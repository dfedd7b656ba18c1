"""Helpers for the export tests: a tweaked copy of the atlas with hostile text and one
site with its own coordinate, built once per module that asks for it; and the KML check
against the OGC KML 2.2 schema (xmllint, offline: tests/data/kml22/)."""

from __future__ import annotations

import shutil
import sqlite3
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
    """Copy layers/, make one record 'approximate' with a coordinate, build, then make one
    record hostile in the built atlas.

    `validate` refuses formula-like text in the layer files, so the hostile text is written
    into the built GeoPackage: the exports must stay safe whatever the store holds.

    Returns (atlas, id of the hostile record, id of the record with a coordinate).
    """
    layers = folder / "layers"
    shutil.copytree(ROOT / "layers", layers)
    path = layers / "sorting_pilots.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    first = df.index[0]
    row = df.index[(df.commune_code != "") & (df.index != first)][0]
    point = admin.commune_points.set_index("code").geometry[df.loc[row, "commune_code"]]
    # ~100 m from the commune's reference point: a coordinate of the site, not that point
    df.loc[row, ["location_precision", "lon", "lat"]] = ["approximate", f"{point.x + 0.001:.6f}",
                                                         f"{point.y:.6f}"]
    df.to_csv(path, index=False)
    build(layers, admin, folder / "atlas.gpkg")
    with sqlite3.connect(folder / "atlas.gpkg") as db:
        # the R-tree triggers call SpatiaLite functions sqlite3 lacks; they are not needed for a
        # change of text: set aside, then put back as they were
        triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                              "AND tbl_name = 'sorting_pilots'").fetchall()
        for name, _sql in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        sets = ", ".join(f'"{col}" = ?' for col in HOSTILE)
        db.execute(f"UPDATE sorting_pilots SET {sets} WHERE id = ?",
                   [*HOSTILE.values(), df.loc[first, "id"]])
        for _name, sql in triggers:
            db.execute(sql)
    return open_atlas(folder / "atlas.gpkg"), df.loc[first, "id"], df.loc[row, "id"]
