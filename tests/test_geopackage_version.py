"""Every GeoPackage the atlas writes is version 1.2, which Debian's GDAL 3.6 and QGIS LTR open
without the 'may only be partially supported' warning they give GDAL's default 1.4."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from geo_kttt import io
from geo_kttt.admin import import_boundaries
from geo_kttt.export.downloads import write_data
from geo_kttt.export.selection import Selection

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_1_2 = 10200


def _version(path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return (db.execute("PRAGMA application_id").fetchone()[0],
                db.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture(scope="module")
def written(atlas, admin, tmp_path_factory):
    """The built atlas, a data export and an imported commune file (io.write_vector)."""
    tmp = tmp_path_factory.mktemp("gpkg")
    export = write_data(atlas, Selection(layers=("solar_plants", "waste_facilities")), "gpkg",
                        tmp / "export.gpkg")
    src = tmp / "communes.geojson"  # the districts, posing as communes of themselves
    io.write_vector(admin.districts[["code", "name", "geometry"]].assign(district_code=admin.districts.code),
                    src)
    imported = import_boundaries(src, "commune", tmp / "data")
    assert imported.suffix == ".gpkg"
    return {"build": atlas.path, "export": export, "import": imported}


@pytest.mark.parametrize("what", ["build", "export", "import"])
def test_geopackages_are_version_1_2(written, what):
    assert _version(written[what]) == (GPKG_APPLICATION_ID, GPKG_1_2)


def test_debian_gdal_opens_the_atlas_without_a_warning(written):
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo not installed (scripts/setup test installs gdal-bin)")
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-q", str(written["build"])],
                         capture_output=True, text=True, check=True)
    assert "Warning" not in out.stderr + out.stdout
