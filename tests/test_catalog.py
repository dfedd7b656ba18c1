from pathlib import Path

import pytest

from geo_kttt.catalog import CatalogError, Layer, load_atlas_meta, load_catalog, parse_layer

LAYERS = Path(__file__).resolve().parents[1] / "layers"
GOOD = """id = "demo"
order = 1
geometry = "Point"
color = "#112233"
icon = "sun"
title = { vi = "Thử", en = "Demo" }
statuses = ["operating"]
[kinds]
a = { vi = "A", en = "A" }
"""


def test_real_catalog_has_every_required_layer():
    catalog = load_catalog(LAYERS)
    assert set(catalog) >= {"solar_plants", "waste_facilities", "sorting_pilots", "rice_models",
                            "pangasius_processors", "circular_models", "industrial_parks"}
    for layer in catalog.values():
        assert layer.title["vi"] and layer.title["en"]
        assert all(k["vi"] and k["en"] for k in layer.kinds.values())


def test_layer_round_trips_through_json():
    layer = load_catalog(LAYERS)["waste_facilities"]
    assert Layer.from_json(layer.to_json()) == layer


@pytest.mark.parametrize("change, message", [
    (('color = "#112233"', 'color = "red"'), "#rrggbb"),
    (('title = { vi = "Thử", en = "Demo" }', 'title = { vi = "Thử" }'), "'vi' and 'en'"),
    (('statuses = ["operating"]', 'statuses = ["running"]'), r"unknown \['running'\]"),
    (('id = "demo"', 'id = "other"'), "equal the file name"),
    (('icon = "sun"\n', ''), "'icon' is missing"),
])
def test_bad_definitions_name_file_and_fix(tmp_path, change, message):
    path = tmp_path / "demo.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as err:
        parse_layer(path)
    assert str(path) in str(err.value)


def test_good_definition_parses(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert parse_layer(path).kinds == {"a": {"vi": "A", "en": "A"}}


def test_empty_folder_says_what_to_do(tmp_path):
    with pytest.raises(CatalogError, match="no layer definitions"):
        load_catalog(tmp_path)


def test_atlas_meta_has_date_and_attributions():
    meta = load_atlas_meta(LAYERS)
    assert meta["data_date"] and len(meta["attribution"]) >= 3
