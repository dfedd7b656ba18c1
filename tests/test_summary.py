import pytest
from conftest import LAYERS

from geo_kttt import io
from geo_kttt.summary import capacity_groups, district_summary, flat_rows, new_commune_summary, reconcile


def test_province_totals_reconcile_with_the_report(atlas):
    rep = {r["layer"]: r for r in reconcile(atlas)}
    solar = rep["solar_plants"]
    assert (solar["reported_count"], solar["located"]) == (4, 4)
    assert solar["reported_capacity"] == solar["located_capacity"] == 320
    waste = rep["waste_facilities"]
    assert waste["located_capacity"] == waste["reported_capacity"] == 1200
    assert waste["located_status"] == ["planned"]
    pang = rep["pangasius_processors"]
    assert pang["reported_count"] == 19
    assert pang["located"] == len(io.read_layer_file(LAYERS / "pangasius_processors.csv"))
    rice = rep["rice_models"]
    srp = io.read_layer_file(LAYERS / "rice_models.csv").query("kind == 'srp'")
    assert (rice["reported_count"], rice["located"]) == (30, len(srp))


def test_district_rows_add_up_to_the_total(atlas):
    summary = district_summary(atlas)
    assert [s["code"] for s in summary][-1] == "total"
    units, total = summary[:-1], summary[-1]
    assert len(units) == 11
    assert sum(s["sites"] for s in units) == total["sites"] == len(atlas.sites())
    tinh_bien = next(s for s in units if s["code"] == "890")
    assert tinh_bien["layers"]["solar_plants"]["capacity"]["solar_plants:MWp"]["min"] == 310
    assert sum(total["precision"].values()) == total["sites"]


def test_ranges_are_kept_as_ranges(atlas):
    total = district_summary(atlas)[-1]
    cap = total["layers"]["waste_facilities"]["capacity"]["waste_facilities/incinerator:t/day"]
    assert cap["max"] - cap["min"] == 3  # Vĩnh Gia: 12-15 t/day


def test_new_commune_summary_keeps_unplaceable_sites_apart(atlas):
    summary = new_commune_summary(atlas)
    codes = [s["code"] for s in summary]
    assert len(codes) == 54 + 2  # 54 new units from old An Giang, '-' and 'total'
    unassigned = next(s for s in summary if s["code"] == "-")
    district_level = (atlas.sites().location_precision == "district").sum()
    assert unassigned["sites"] >= district_level
    assert sum(s["sites"] for s in summary[:-1]) == summary[-1]["sites"]


def test_flat_rows_have_one_row_per_unit(atlas):
    df = flat_rows(district_summary(atlas), atlas.catalog)
    assert len(df) == 12 and "solar_plants:MWp" in df.columns


def test_capacity_totals_add_only_like_things(atlas):
    """Issue 12 §2: within one layer, one kind where the layer has several, and one unit."""
    sites = atlas.sites()
    groups = capacity_groups(sites, atlas.catalog)
    for key, c in groups.items():
        part = sites[(sites.layer == c["layer"]) & (sites.capacity_unit == c["unit"])]
        part = part[part.capacity.notna()]
        if c["kind"]:
            part = part[part.kind == c["kind"]]
        assert len(atlas.catalog[c["layer"]].kinds) > 1 or c["kind"] is None, key
        assert (c["min"], c["sites"]) == (pytest.approx(part.capacity.sum()), len(part)), key
    ha = {k for k, c in groups.items() if c["unit"] == "ha"}
    assert ha == {"industrial_parks/industrial_park:ha", "industrial_parks/industrial_cluster:ha",
                  "rice_models/srp:ha"}
    total = district_summary(atlas)[-1]
    assert total["capacity"] == groups  # the one function behind summaries and pages
    df = flat_rows(district_summary(atlas), atlas.catalog)
    assert "industrial_parks/industrial_park:ha" in df.columns and "industrial_parks:ha" not in df.columns
