import shutil
import subprocess

import pytest
from conftest import LAYERS

from geo_kttt import io
from geo_kttt.store import build, open_atlas
from geo_kttt.store.base import AtlasMissing
from geo_kttt.validate import ValidationFailed


def test_atlas_holds_every_layer_and_table(atlas):
    names = set(io.list_layers(atlas.path))
    assert set(atlas.catalog) <= names
    assert {"districts", "commune_points", "new_communes", "crosswalk", "indicators",
            "errata", "catalog", "metadata"} <= names
    # commune polygons are never bundled: the table is there exactly when the data folder has them
    assert ("communes" in names) == (atlas.metadata["has_commune_polygons"] == "true")
    for lid in atlas.catalog:
        expected = len(io.read_layer_file(LAYERS / f"{lid}.csv"))
        assert len(atlas.sites(lid)) == expected
    assert atlas.metadata["data_date"] and atlas.metadata["attribution"]


def test_gdal_reads_the_geopackage_with_vietnamese_intact(atlas):
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(atlas.path), "solar_plants"],
                         capture_output=True, text=True, check=True).stdout
    assert "Nhà máy điện mặt trời Sao Mai" in out
    assert out.count("OGRFeature(solar_plants)") == len(atlas.sites("solar_plants"))
    info = subprocess.run(["ogrinfo", "-ro", "-so", str(atlas.path), "solar_plants"],
                          capture_output=True, text=True, check=True).stdout
    assert "EPSG" in info and "4326" in info


def test_imprecise_sites_sit_on_reference_points(atlas, admin):
    sites = atlas.sites()
    pts = admin.commune_points.set_index("code")
    commune = sites[sites.location_precision == "commune"]
    assert len(commune) > 0
    for r in commune.itertuples():
        assert (r.lon, r.lat) == pytest.approx((float(pts.lon[r.commune_code]),
                                                float(pts.lat[r.commune_code])), abs=1e-6)
        assert r.position_source == f"commune reference point {r.commune_code}"
    district = sites[sites.location_precision == "district"]
    for r in district.itertuples():
        shape = admin.districts.set_index("code").geometry[r.district_code]
        assert shape.contains(r.geometry)


def test_failed_build_leaves_previous_atlas_untouched(tmp_path, admin):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    dest = tmp_path / "atlas.gpkg"
    build(layers, admin, dest)
    before = dest.read_bytes()
    csv = layers / "solar_plants.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",operating,", ",running,", 1),
                   encoding="utf-8")
    with pytest.raises(ValidationFailed, match="'running' is not allowed"):
        build(layers, admin, dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.gpkg", "layers"]


def test_missing_atlas_says_how_to_build(tmp_path):
    with pytest.raises(AtlasMissing, match="geo-kttt build"):
        open_atlas(tmp_path / "none.gpkg")
