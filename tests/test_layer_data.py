"""Facts corrected by the December 2026 review (../shared/data/research/review-2026-12.md).

Each assertion is a fact a source settled; if a later edit undoes one, it should say why.
"""

import pytest
from conftest import LAYERS

from geo_kttt import io
from geo_kttt.catalog import STATUSES, load_catalog
from geo_kttt.coverage.analysis import compute
from geo_kttt.summary import district_summary
from geo_kttt.validate import CODE_LIST_RE

REPORT = "Báo cáo UBND tỉnh An Giang 2024"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LAYERS)


@pytest.fixture(scope="module")
def records(catalog):
    """Every record of the layer files, by id, as text (as written)."""
    out = {}
    for lid in catalog:
        for r in io.read_layer_file(LAYERS / f"{lid}.csv").to_dict("records"):
            out[r["id"]] = {**r, "layer": lid}
    return out


def sources(r) -> list[str]:
    return [s.strip() for s in r["sources"].split("|")]


def test_no_source_is_a_code_list(records):
    cited = {sid: r["sources"] for sid, r in records.items()
             if "dvhcvn" in r["sources"].lower() or CODE_LIST_RE.search(r["sources"])}
    assert cited == {}
    for sid in ("solar-van-giao-1", "solar-van-giao-2", "solar-binh-hoa",
                "rice-gap-an-tuc", "rice-gap-nui-to", "rice-gap-tan-tuyen"):
        notes = records[sid]["notes"]
        assert "commune code" in notes.lower() and "dvhcvn data/dvhcvn.json" in notes, sid


def test_van_giao_2_is_verified_by_vietnam_news(records):
    r = records["solar-van-giao-2"]
    assert any("vietnamnews.vn" in s and "van-giao-ii" in s for s in sources(r))
    assert r["verified"] == "true" and r["capacity"] == "50" and r["capacity_unit"] == "MWp"
    assert "18/04/2019" in r["notes"]


@pytest.mark.parametrize("sid", ["solar-van-giao-1", "solar-binh-hoa"])
def test_report_only_solar_plants_stay_unverified(records, sid):
    r = records[sid]
    assert r["verified"] == "false" and all(s.startswith(REPORT) for s in sources(r))


def test_report_page_splits_the_320_mwp(client):
    html = client.get("/report").get_data(as_text=True)
    assert "320 / 320 MWp" in html  # all four plants are still counted against the report
    assert "260 MWp có nguồn khác xác nhận" in html and "60 MWp chỉ có trong báo cáo" in html
    en = client.get("/report?lang=en").get_data(as_text=True)
    assert "Total capacity of the 4 solar plants" in en


def test_unverified_status_is_defined_and_allowed_for_waste(catalog):
    assert STATUSES["unverified"] == {"vi": "Chưa rõ tình trạng", "en": "Status unverified"}
    assert "unverified" in catalog["waste_facilities"].statuses


@pytest.mark.parametrize("sid, was", [("waste-vinh-gia-incinerator", "operating"),
                                      ("waste-chau-doc-plant", "planned"),
                                      ("waste-binh-hoa-incinerator", "under_construction")])
def test_stale_waste_statuses_are_unverified(records, sid, was):
    r = records[sid]
    assert r["status"] == "unverified"
    assert f"was {was}" in r["notes"] and "12/2020" in r["notes"]


def test_vinh_gia_keeps_both_capacities(records):
    r = records["waste-vinh-gia-incinerator"]
    assert (r["capacity"], r["capacity_max"]) == ("12", "15") and "12 vs 15" in r["notes"]


def test_binh_hoa_incinerator_is_kept_apart_from_the_1000_t_plant(records):
    r = records["waste-binh-hoa-incinerator"]
    assert r["capacity"] == "300" and r["year"] == ""
    assert "waste-long-xuyen-wte" in r["notes"] and any(s.startswith(REPORT) for s in sources(r))
    assert "waste-binh-hoa-incinerator" in records["waste-long-xuyen-wte"]["notes"]


def test_unverified_facilities_do_not_count_as_running(atlas):
    cov = compute(atlas, "waste_facilities", "district")
    assert "waste-vinh-gia-incinerator" not in set(cov.facilities.id)


def test_unverified_status_filters_the_map(client):
    data = client.get("/api/sites.geojson?status=unverified").get_json(force=True)
    assert sorted(f["properties"]["id"] for f in data["features"]) == [
        "waste-binh-hoa-incinerator", "waste-chau-doc-plant", "waste-vinh-gia-incinerator"]
    html = client.get("/?status=unverified&lang=en").get_data(as_text=True)
    assert "Status unverified" in html


def test_phu_thanh_200_is_the_2024_call(records):
    r = records["waste-phu-thanh-incinerator"]
    assert r["capacity"] == "200" and "2024 investor call" in r["notes"]
    assert "120 t/day was the 2020 tender" in r["notes"]


def test_navico_company_wide_capacity_is_not_counted(records, atlas):
    r = records["pangasius-navico"]
    assert r["capacity"] == r["capacity_max"] == r["capacity_unit"] == ""
    assert "Cần Thơ" in r["notes"] and "viet-jo.com" in r["sources"]
    total = district_summary(atlas)[-1]
    assert total["layers"]["pangasius_processors"]["capacity"] == {}


def test_agifish_is_on_upcom(records):
    r = records["pangasius-agifish"]
    assert "HOSE" not in r["operator"] and "UPCoM" in r["operator"]
    assert "17/02/2020" in r["notes"] and "chatluongvacuocsong.vn" in r["sources"]


def test_rice_layer_has_a_kind_for_certified_or_safe_models(catalog, records):
    kind = catalog["rice_models"].kinds["certified_safe"]
    assert kind["vi"] and kind["en"]
    for sid in ("rice-gap-an-tuc", "rice-gap-nui-to", "rice-gap-tan-tuyen"):
        r = records[sid]
        assert r["kind"] == "certified_safe" and "lúa" not in r["name_vi"].lower()
        assert r["verified"] == "false" and r["in_report"] == "true"
    assert not [sid for sid, r in records.items() if r["kind"] == "gap_organic"]


def test_sorting_plan_date_and_candidate_wards(records):
    assert "752/KH-UBND of 31/07/2024" in records["sorting-chau-doc-pilot-ward"]["notes"]
    long_xuyen = records["sorting-long-xuyen-pilot-ward"]
    assert "Đông Xuyên (GSO 30285)" in long_xuyen["notes"] and long_xuyen["commune_code"] == ""
    vinh_phu = records["sorting-vinh-phu-hamlet"]
    assert vinh_phu["commune_code"] == "30478" and "assumption" in vinh_phu["notes"]


def test_vam_cong_area_note(records):
    r = records["ip-vam-cong"]
    assert r["capacity"] == "193.31" and "199.2 ha" in r["notes"] and "5.89 ha" in r["notes"]
    assert "vneconomy.vn" in r["sources"]


def test_workers_housing_has_889_dwellings_report_only(catalog, records):
    assert catalog["circular_models"].units["dwellings"] == {"vi": "căn", "en": "dwellings"}
    r = records["circular-binh-hoa-workers-housing"]
    assert (r["capacity"], r["capacity_unit"], r["verified"]) == ("889", "dwellings", "false")
