"""What to export: query parsing, filtering, names and messages."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from geo_kttt.export.selection import (
    ExportError,
    Selection,
    describe,
    extent_districts,
    file_stem,
    select_sites,
    selection_from_query,
)


def test_query_round_trip(atlas):
    sel = Selection(("solar_plants", "waste_facilities"), "890", None, ("operating",), True)
    assert selection_from_query(sel.query(), atlas) == sel


def test_repeated_and_comma_layers(atlas):
    args = MultiDict([("layer", "rice_models"), ("layers", "solar_plants,rice_models")])
    sel = selection_from_query(args, atlas)
    assert set(sel.layers) == {"solar_plants", "rice_models"}
    assert sel.layer_ids(atlas.catalog) == [lid for lid in atlas.catalog if lid in sel.layers]


@pytest.mark.parametrize("args, words", [
    ({"layers": "solar,nope"}, ["layers", "nope", "solar_plants"]),
    ({"status": "open"}, ["status", "open", "operating"]),
    ({"district": "../../etc/passwd"}, ["district", "../../etc/passwd", "884"]),
    ({"bbox": "1,2,3"}, ["bbox", "four numbers"]),
    ({"bbox": "105.5,10,105.0,10.5"}, ["min < max"]),
    ({"bbox": "0,0,1,1"}, ["outside"]),
    ({"verified": "maybe"}, ["verified", "maybe"]),
])
def test_bad_query_names_parameter_and_fix(atlas, args, words):
    with pytest.raises(ExportError) as e:
        selection_from_query(args, atlas)
    for w in words:
        assert w in str(e.value)


def test_filters_select_matching_sites(atlas):
    sites = atlas.sites()
    sel = Selection(district="890", statuses=("operating",), verified=True)
    got = select_sites(atlas, sel)
    want = sites[(sites.district_code == "890") & (sites.status == "operating") & sites.verified]
    assert sorted(got.id) == sorted(want.id) and len(got) > 0


def test_bbox_selects_inside_points_and_meeting_districts(atlas):
    sites = atlas.sites()
    x0, y0, x1, y1 = 105.3, 10.3, 105.5, 10.5
    got = select_sites(atlas, Selection(bbox=(x0, y0, x1, y1)))
    inside = sites[sites.geometry.x.between(x0, x1) & sites.geometry.y.between(y0, y1)]
    assert sorted(got.id) == sorted(inside.id) and 0 < len(got) < len(sites)
    codes = set(extent_districts(atlas, Selection(bbox=(x0, y0, x1, y1))).code)
    assert set(got.district_code) <= codes < set(atlas.districts().code)


def test_file_stem_is_safe_ascii(atlas):
    for code in atlas.districts().code:
        stem = file_stem(atlas, Selection(district=code))
        assert stem.isascii() and "/" not in stem and ".." not in stem and code in stem
    assert file_stem(atlas, Selection()) == "kttt-an-giang"


def test_describe_in_both_languages(atlas):
    sel = Selection(("solar_plants",), "890", statuses=("operating",))
    vi, en = describe(atlas, sel, "vi"), describe(atlas, sel, "en")
    assert "Nhà máy điện mặt trời" in vi and "Tịnh Biên" in vi and "Đang hoạt động" in vi
    assert "Solar power plants" in en and "Operating" in en
