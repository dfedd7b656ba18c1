"""Coverage on a synthetic province with hand-computed distances (see coverage_fixture)."""

import math
import re

import pandas as pd
import pytest
from conftest import ROOT
from coverage_fixture import SITES, frames

from geo_kttt.coverage.analysis import DEFAULT_RADII_KM, compute, parse_serves, radius_km
from geo_kttt.coverage.checks import data_checks
from geo_kttt.coverage.report import rows, summary_lines

# Distances worked out by hand from the positions in coverage_fixture (metres).
HAND = {"90001": ("f1", 3000.0), "90002": ("f1", math.hypot(10000, 3000)),
        "90003": ("f2", math.hypot(13000, 4000)), "90004": ("f2", math.hypot(3000, 4000))}


def by_code(cov):
    return cov.units.set_index("code")


def test_nearest_distances_match_hand_computation_within_1_m():
    u = by_code(compute(frames(), by="commune"))
    for code, (fid, metres) in HAND.items():
        assert u.loc[code, "nearest_id"] == fid
        assert abs(u.loc[code, "nearest_km"] * 1000 - metres) < 1.0, code


def test_declared_area_wins_over_radius_and_result_says_which():
    cov = compute(frames(), by="commune")
    u = by_code(cov)
    assert u.loc["90001", "basis"] == "radius" and u.loc["90002", "basis"] == "radius"
    assert u.loc["90003", "basis"] == "declared" and u.loc["90003", "served_by"] == "f2"
    # f2 is 5 km from 90004 but declares only 90003: 90004 stays unserved
    assert u.loc["90004", "basis"] == "none" and cov.unserved() == ["90004"]


def test_declared_district_code_covers_its_communes_and_the_district():
    sites = [s if s[0] != "f2" else s[:7] + ("902",) + s[8:] for s in SITES]
    u = by_code(compute(frames(sites), by="commune"))
    assert u.loc["90004", "basis"] == "declared"
    d = by_code(compute(frames(sites), by="district"))
    assert d.loc["902", "basis"] == "declared"


def test_planned_facilities_and_radius_override():
    u = by_code(compute(frames(), statuses=("operating", "planned")))
    assert u.loc["90004", "basis"] == "radius" and u.loc["90004", "served_by"] == "f3"
    assert u.loc["90003", "nearest_id"] == "f3" and u.loc["90003", "nearest_km"] == 0
    # 25 km for all: f1 reaches 90003 (20.2 km) but not 90004 (30.1 km)
    cov = compute(frames(), radius=25)
    assert set(cov.facilities.radius_km) == {25.0} and cov.unserved() == ["90004"]
    tight = compute(frames(), radii={"landfill": 10})
    assert by_code(tight).loc["90002", "basis"] == "none"  # 10.44 km > 10 km


def test_area_within_radius_and_precision_note():
    cov = compute(frames())
    u = by_code(cov)
    assert u.loc["90001", "area_within_radius"] == 1.0  # farthest corner 13.9 km < 15 km
    assert u.loc["90004", "area_within_radius"] == 0.0
    assert 0 < u.loc["90002", "area_within_radius"] < 1
    table = rows(cov, "en").set_index("code")
    assert table.loc["90004", "distance_note"] == "distance approximate: facility position at commune level"
    assert table.loc["90001", "distance_note"] == ""


def test_without_commune_polygons_runs_at_district_level_and_says_so():
    cov = compute(frames(with_polygons=False), by="commune")
    assert cov.level == "district" and cov.requested == "commune"
    assert "district level" in cov.notes[0]["en"] and "cấp huyện" in cov.notes[0]["vi"]
    assert list(cov.units.code) == ["901", "902"]


def test_capacity_per_1000_only_at_district_level():
    d = by_code(compute(frames(), by="district"))
    assert d.loc["901", "capacity_t_day"] == 100 and d.loc["901", "population"] == 50000
    assert d.loc["901", "capacity_per_1000"] == pytest.approx(100 / 50000 * 1000)
    assert pd.isna(d.loc["902", "capacity_per_1000"])  # no population
    cov = compute(frames(), by="commune")
    assert rows(cov, "en").capacity_per_1000.isna().all()
    unknown = "Capacity per 1,000 inhabitants: unknown (population known only per district)."
    assert unknown in summary_lines(cov, "en")
    assert unknown not in summary_lines(compute(frames(), by="district"), "en")


def test_new_communes_through_the_crosswalk():
    u = by_code(compute(frames(), by="new-commune"))
    assert list(u.index) == ["90001", "90003"]
    # f2 declares only one of the two old communes of 90003: not a declared area
    assert u.loc["90003", "basis"] != "declared"


def test_data_checks_find_outside_duplicate_and_sourceless():
    checks = {(c["check"], c["id"]) for c in data_checks(frames())}
    assert ("outside", "f6") in checks and ("outside", "f1") not in checks
    assert ("duplicate", "f1") in checks and ("duplicate", "f5") in checks
    assert ("no_source", "f6") in checks
    outside = next(c for c in data_checks(frames()) if c["check"] == "outside")
    assert outside["detail_en"] == "2000 m outside its declared commune 90001"


def test_parse_serves_and_radius_table():
    assert parse_serves("883 | 30280") == ("883", "30280") and parse_serves("") == ()
    assert radius_km("waste_facilities", "landfill") == DEFAULT_RADII_KM[("waste_facilities", "landfill")]
    assert radius_km("solar_plants", "utility") == DEFAULT_RADII_KM[("*", "*")]
    assert radius_km("waste_facilities", "landfill", {"landfill": 7}) == 7
    assert radius_km("waste_facilities", "landfill", {"landfill": 7}, override=3) == 3


def test_bad_arguments_say_what_to_use():
    with pytest.raises(ValueError, match="use planned, under_construction, operating, closed"):
        compute(frames(), statuses=("pilot",))
    with pytest.raises(ValueError, match="unknown layer"):
        compute(frames(), layer="nope")


def test_docs_radius_table_matches_the_code():
    doc = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+) \| (\S+) \| ([\d.]+) \|$", doc, re.M)
    assert {(layer, kind): float(km) for layer, kind, km in rows} == DEFAULT_RADII_KM


def test_sorting_pilot_lines_name_units_with_and_without_pilots():
    pilot = [("p1", "Thí điểm", "community", "pilot", "90002", "commune", (15000, 10000), "", "s", None)]
    f = frames(SITES + pilot)
    f.sites.loc[f.sites.id == "p1", "layer"] = "sorting_pilots"
    lines = summary_lines(compute(f, by="district"), "en")
    assert "Districts with a sorting pilot: Huyện Một" in lines
    assert "Districts with no sorting pilot located: Huyện Hai" in lines
    assert "Units with a sorting pilot: Xã 90002" in summary_lines(compute(f, by="commune"), "en")
