import pytest

from geo_kttt.admin import DataMissing, load_admin


def test_districts_and_crosswalk(admin):
    assert len(admin.districts) == 11
    assert set(admin.districts.code) == {"883", "884", *[str(c) for c in range(886, 895)]}
    ag = admin.crosswalk[admin.crosswalk.old_province_code == "89"]
    assert ag.new_code.nunique() == 54
    assert admin.new_communes.new_code.nunique() == 102
    assert admin.districts.crs.to_epsg() == 4326


def test_missing_folder_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    with pytest.raises(DataMissing, match="No reference data folder is configured"):
        load_admin()
    with pytest.raises(DataMissing, match="Missing boundaries/angiang_districts.geojson") as err:
        load_admin(tmp_path)
    assert str(tmp_path) in str(err.value) and "geo-kttt admin import" in str(err.value)


def test_import_official_vn2000_shapefile(tmp_path, admin):
    from geo_kttt import io
    from geo_kttt.admin import import_boundaries

    official = admin.districts[["code", "name", "geometry"]].rename(
        columns={"code": "MA_HUYEN", "name": "TEN_HUYEN"}).to_crs("EPSG:9208")
    shp = tmp_path / "official" / "huyen.shp"
    io.write_vector(official, shp)
    dest = import_boundaries(shp, "district", tmp_path / "data", code_field="MA_HUYEN",
                             name_field="TEN_HUYEN")
    back = io.read_vector(dest)
    assert back.crs.to_epsg() == 4326 and list(back.code) == list(admin.districts.code)
    assert "Châu Đốc" in set(back.name)
    moved = back.to_crs(9208).hausdorff_distance(admin.districts.to_crs(9208), align=False)
    assert moved.max() < 1.0


def test_import_without_crs_or_fields_is_refused(tmp_path, admin):
    from geo_kttt import io
    from geo_kttt.admin import import_boundaries

    shp = tmp_path / "huyen.shp"
    io.write_vector(admin.districts[["code", "geometry"]], shp)
    with pytest.raises(ValueError, match="no column 'TEN'"):
        import_boundaries(shp, "district", tmp_path, name_field="TEN")


def test_every_new_commune_of_old_an_giang_has_a_shape(admin):
    from_ag = set(admin.crosswalk[admin.crosswalk.old_province_code == "89"].new_code)
    shaped = admin.new_communes[admin.new_communes.geometry.notna()]
    assert set(shaped.new_code) == from_ag  # incl. Long Phú, drawn from the joint Tân Châu polygon
