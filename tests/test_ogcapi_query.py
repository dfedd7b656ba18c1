"""The page queries behind the API (``atlas.items``), the same on GeoPackage and PostGIS."""

from __future__ import annotations

import pytest
import shapely


def _town_box(sites, half=0.05):
    p = sites.geometry.iloc[len(sites) // 2]
    return [p.x - half, p.y - half, p.x + half, p.y + half]


def test_bbox_query_matches_an_exact_geometric_selection(any_atlas):
    for lid in any_atlas.catalog:
        sites = any_atlas.sites(lid)
        box = _town_box(sites)
        expected = sites[sites.intersects(shapely.box(*box))]
        page, matched = any_atlas.items(lid, bbox=box, limit=10_000)
        assert matched == len(expected) == len(page) >= 1
        assert sorted(page.id) == sorted(expected.id)


def test_point_on_the_bbox_edge_counts_and_a_hair_outside_does_not(any_atlas):
    lid = next(iter(any_atlas.catalog))
    p = any_atlas.sites(lid).geometry.iloc[0]
    _, on_edge = any_atlas.items(lid, bbox=[p.x, p.y, p.x + 0.1, p.y + 0.1])
    _, outside = any_atlas.items(lid, bbox=[p.x + 1e-7, p.y, p.x + 0.1, p.y + 0.1])
    assert on_edge >= 1
    assert outside == on_edge - 1 or outside < on_edge


def test_paging_covers_every_feature_once_in_a_stable_order(any_atlas):
    lid = max(any_atlas.catalog, key=lambda x: len(any_atlas.sites(x)))
    ids = list(any_atlas.sites(lid).id)
    seen = []
    for offset in range(0, len(ids) + 3, 3):
        page, matched = any_atlas.items(lid, limit=3, offset=offset)
        assert matched == len(ids)
        seen += list(page.id)
    assert seen == ids


def test_property_filters_are_typed_and_combined(any_atlas):
    sites = any_atlas.sites()
    lid = sites.layer.value_counts().index[0]
    layer = sites[sites.layer == lid]
    status, district = layer.status.iloc[0], layer.district_code.iloc[0]
    want = layer[(layer.status == status) & (layer.district_code == district) & layer.verified]
    page, matched = any_atlas.items(lid, filters={"status": status, "district_code": district,
                                                  "verified": True}, limit=100)
    assert matched == len(want)
    assert sorted(page.id) == sorted(want.id)
    assert all(v is True for v in page.verified)


def test_columns_extent_and_unknown_names(any_atlas):
    cols = any_atlas.columns("districts")
    assert cols["code"] == "string" and cols["area_km2"] == "number"
    ext = any_atlas.extent("districts")
    assert shapely.box(*ext).buffer(1e-6).contains(any_atlas.districts().union_all())
    with pytest.raises(KeyError):
        any_atlas.columns("catalog")  # not a spatial table: never queried
    with pytest.raises(KeyError):
        any_atlas.items("districts", filters={"code; DROP TABLE districts": "x"})
    with pytest.raises(KeyError):
        any_atlas.items("no_such_table")


def test_text_filter_values_are_bound_not_spliced(any_atlas):
    page, matched = any_atlas.items("districts", filters={"code": "' OR '1'='1"})
    assert matched == 0 and len(page) == 0
    assert len(any_atlas.districts()) > 0
