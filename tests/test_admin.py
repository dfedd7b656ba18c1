import pytest

from geo_kttt.admin import DataMissing, load_admin, new_units_of_district, search_units


def test_districts_and_crosswalk(admin):
    assert len(admin.districts) == 11
    assert set(admin.districts.code) == {"883", "884", *[str(c) for c in range(886, 895)]}
    ag = admin.crosswalk[admin.crosswalk.old_province_code == "89"]
    assert ag.new_code.nunique() == 54
    assert admin.new_communes.new_code.nunique() == 102
    assert admin.districts.crs.to_epsg() == 4326


def test_new_units_of_a_district(admin):
    units = new_units_of_district(admin, "890")  # Tịnh Biên
    assert "Núi Cấm" in set(units.new_name)
    assert set(units.old_name) >= {"An Hảo", "Tân Lập"}


def test_search_folds_diacritics(admin):
    hits = search_units(admin, "chau doc")
    assert {"type": "district", "code": "884", "name": "Châu Đốc"} in hits
    assert search_units(admin, "CHÂU ĐỐC") == hits


def test_missing_folder_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    with pytest.raises(DataMissing, match="No reference data folder is configured"):
        load_admin()
    with pytest.raises(DataMissing, match="Missing boundaries/angiang_districts.geojson") as err:
        load_admin(tmp_path)
    assert str(tmp_path) in str(err.value) and "geo-kttt admin import" in str(err.value)
