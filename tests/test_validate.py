import shutil

import pandas as pd
import pytest
from conftest import LAYERS

from geo_kttt import io
from geo_kttt.catalog import COLUMNS, load_catalog
from geo_kttt.validate import validate_all, validate_layer


@pytest.fixture()
def solar():
    return load_catalog(LAYERS)["solar_plants"]


def record(**kw):
    base = {"id": "solar-test", "name_vi": "Nhà máy thử", "name_en": "Test plant", "kind": "utility",
            "operator": "", "district_code": "890", "commune_code": "30538", "status": "operating",
            "capacity": "10", "capacity_max": "", "capacity_unit": "MWp", "year": "2020",
            "location_precision": "commune", "lon": "", "lat": "", "verified": "false",
            "in_report": "false", "serves": "", "sources": "https://example.org/a", "notes": ""}
    return {**base, **kw}


def problems(layer, admin, *records):
    _, found = validate_layer(layer, pd.DataFrame(list(records)), admin, "solar_plants.csv")
    return found


def test_real_layers_pass(admin):
    catalog, frames, found = validate_all(LAYERS, admin)
    assert [p for p in found if p.severity == "error"] == []
    assert sum(len(f) for f in frames.values()) == sum(
        len(io.read_layer_file(LAYERS / f"{lid}.csv")) for lid in catalog)


def test_good_record_passes(solar, admin):
    assert problems(solar, admin, record()) == []


@pytest.mark.parametrize("change, field, text", [
    ({"status": "running"}, "status", "'running' is not allowed"),
    ({"kind": "wind"}, "kind", "'wind' is not allowed"),
    ({"name_vi": ""}, "name_vi", "is empty"),
    ({"sources": ""}, "sources", "is empty"),
    ({"capacity": "ten"}, "capacity", "'ten' is not a float"),
    ({"verified": "maybe"}, "verified", "not a bool"),
    ({"capacity_unit": "t/day"}, "capacity_unit", "'t/day' is not allowed"),
    ({"district_code": "999"}, "district_code", "not a district of An Giang"),
    ({"commune_code": "30280"}, "commune_code", "lies in district 883, not 890"),
    ({"location_precision": "exact"}, "lon/lat", "needs a coordinate"),
    ({"commune_code": "", "location_precision": "commune"}, "commune_code", "needs a commune code"),
    ({"id": "Solar Test"}, "id", "characters other than"),
])
def test_each_rule_names_row_field_and_fix(solar, admin, change, field, text):
    found = problems(solar, admin, record(**change))
    errors = [p for p in found if p.severity == "error" and p.field == field]
    assert errors, found
    assert text in errors[0].message and errors[0].fix and errors[0].row == 1
    assert "solar_plants.csv, row 1" in str(errors[0])


@pytest.mark.parametrize("sources", [
    "https://github.com/daohoangson/dvhcvn/blob/master/data/dvhcvn.json | https://example.org/a",
    "https://example.org/a | dvhcvn data/dvhcvn.json",
    "GSO code list 2025-03-01",
    "https://danhmuchanhchinh.gso.gov.vn/",
])
def test_code_list_is_not_a_source(solar, admin, sources):
    errors = [p for p in problems(solar, admin, record(sources=sources)) if p.field == "sources"]
    assert len(errors) == 1 and errors[0].severity == "error" and errors[0].row == 1
    assert "administrative codes" in errors[0].message and "notes" in errors[0].fix


def test_code_look_up_in_notes_passes(solar, admin):
    note = "Commune code checked against dvhcvn data/dvhcvn.json"
    assert problems(solar, admin, record(notes=note)) == []


def test_duplicate_ids(solar, admin):
    found = problems(solar, admin, record(), record())
    assert any(p.field == "id" and "used 2 times" in p.message for p in found)


def test_point_in_cambodia_is_outside_the_province(solar, admin):
    found = problems(solar, admin, record(location_precision="exact", lon="104.92", lat="11.56"))
    assert any(p.field == "lon/lat" and "km outside An Giang" in p.message for p in found)


def test_swapped_coordinates_are_caught(solar, admin):
    found = problems(solar, admin, record(location_precision="exact", lon="10.6", lat="105.0"))
    assert any("outside An Giang" in p.message and "swapped" in p.fix for p in found)


def test_point_in_wrong_district(solar, admin):
    # Long Xuyên city centre declared as Tịnh Biên (890)
    found = problems(solar, admin, record(location_precision="exact", lon="105.435", lat="10.385",
                                          commune_code=""))
    assert any(p.field == "district_code" and "outside unit 890" in p.message for p in found)


def test_point_in_declared_commune_passes(solar, admin):
    # inside xã An Hảo, ~440 m from its reference point (which would not be a site coordinate)
    found = problems(solar, admin, record(location_precision="approximate", lon="105.016", lat="10.478"))
    assert [p for p in found if p.severity == "error"] == []


def test_unknown_column_is_a_warning(solar, admin):
    found = problems(solar, admin, record(colour="red"))
    assert [(p.severity, p.field) for p in found] == [("warning", "colour")]


def test_missing_data_file_and_cross_layer_duplicate(tmp_path, admin):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    df = io.read_layer_file(layers / "rice_models.csv")
    df.loc[0, "id"] = "solar-sao-mai"
    io.write_layer_file(df, layers / "rice_models.csv", COLUMNS)
    (layers / "industrial_parks.csv").unlink()
    _, _, found = validate_all(layers, admin)
    assert any(p.field == "file" and "industrial_parks.csv" in p.file for p in found)
    assert any("also used in layer solar_plants" in p.message for p in found)


@pytest.mark.parametrize("field, value", [
    ("notes", '=HYPERLINK("http://evil.example/","Xem")'), ("operator", "@SUM(A1:A9)"),
    ("name_en", "+84 296 123 456"), ("sources", "-cmd|' /C calc'!A0"),
])
def test_formula_like_text_is_refused(solar, admin, field, value):
    """One rule for layer files and imports (issue 12 §5): `validate` and `build` refuse it."""
    errors = [p for p in problems(solar, admin, record(**{field: value})) if p.field == field]
    assert errors and "starts like a spreadsheet formula" in errors[0].message, errors
    assert problems(solar, admin, record(notes="Công suất -3.5 MWp so với 2020")) == []


def test_formula_in_a_layer_file_fails_validate_all(admin, tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    df = io.read_layer_file(layers / "solar_plants.csv")
    df.loc[0, "notes"] = '=HYPERLINK("http://evil.example/","Xem")'
    io.write_layer_file(df, layers / "solar_plants.csv", COLUMNS)
    _, _, found = validate_all(layers, admin)
    bad = [p for p in found if p.severity == "error" and "spreadsheet formula" in p.message]
    assert [(p.row, p.field) for p in bad] == [(1, "notes")]


def test_reference_point_is_not_a_site_coordinate(solar, admin):
    """Issue 12 §3: a coordinate equal to the point a site was placed at is that point."""
    point = admin.commune_points.set_index("code").geometry["30538"]
    xy = {"lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}"}
    gdf, found = validate_layer(solar, pd.DataFrame([record(**xy)]), admin, "solar_plants.csv")
    assert found == [] and gdf.position_source.iloc[0] == "commune reference point 30538"


@pytest.mark.parametrize("precision, dlon, field, text", [
    ("approximate", 0.0, "lon/lat", "is the commune reference point 30538"),
    ("exact", 0.0, "lon/lat", "not a position of the site"),
    ("commune", 0.004, "location_precision", "give a coordinate of the site itself"),
    ("district", 0.004, "location_precision", "give a coordinate of the site itself"),
])
def test_precision_and_position_source_never_disagree(solar, admin, precision, dlon, field, text):
    point = admin.commune_points.set_index("code").geometry["30538"]
    rec = record(location_precision=precision, lon=f"{point.x + dlon:.6f}", lat=f"{point.y:.6f}")
    errors = [p for p in problems(solar, admin, rec) if p.severity == "error"]
    assert [p.field for p in errors] == [field] and text in errors[0].message, errors
    assert errors[0].fix
