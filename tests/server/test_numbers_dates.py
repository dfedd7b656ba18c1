"""Numbers and dates in the page's language (issue 12 §9): 1.300 and 02/12/2026 in Vietnamese,
1,300 and 2 Dec 2026 in English; the same quantity written the same way in tables and popups."""

from __future__ import annotations

from geo_kttt.i18n import number_span


def test_province_table_writes_numbers_for_the_language(client):
    vi = client.get("/districts").get_data(as_text=True)
    en = client.get("/districts?lang=en").get_data(as_text=True)
    assert ">1.300<" in vi and ">1,300<" not in vi  # Châu Thành: t/day
    assert ">1,300<" in en
    assert "Nhà máy/lò đốt (tấn/ngày)" in vi and "(t/day)" not in vi


def test_footer_dates_follow_the_language(client):
    assert "Số liệu đến ngày: 02/12/2026" in client.get("/report").get_data(as_text=True)
    assert "Data as of: 2 Dec 2026" in client.get("/report?lang=en").get_data(as_text=True)


def test_report_values_and_units(client):
    vi = client.get("/report").get_data(as_text=True)
    assert "660 triệu kWh/năm" in vi and "35,5 %" in vi and "1.220 tấn/ngày" in vi
    assert "Province-wide total" not in vi and "million kWh/yr" not in vi
    en = client.get("/report?lang=en").get_data(as_text=True)
    assert "660 million kWh/yr" in en and "35.5 %" in en and "Province-wide total" in en


def test_popup_capacity_is_written_as_the_tables_write_it(client, atlas):
    sites = atlas.sites()
    site = sites[sites.capacity >= 1000].iloc[0]
    for lang in ("vi", "en"):
        p = client.get(f"/api/sites/{site.layer}/{site.id}?lang={lang}").get_json()["properties"]
        unit = atlas.catalog[site.layer].units[site.capacity_unit][lang]
        assert p["capacity_text"] == f"{number_span(site.capacity, site.capacity_max, lang)} {unit}"
    assert "." in client.get(f"/api/sites/{site.layer}/{site.id}").get_json()["properties"]["capacity_text"]


def test_popups_name_district_and_commune(client, atlas):
    sites = atlas.sites()
    site = sites[sites.location_precision == "commune"].iloc[0]
    p = client.get(f"/api/sites/{site.layer}/{site.id}").get_json()["properties"]
    communes = atlas.table("commune_points").set_index("code")
    assert p["commune_name"] == communes.loc[site.commune_code, "name"]
    assert p["district_name"] == atlas.districts().set_index("code").loc[site.district_code, "name"]


def test_choropleth_menu_and_legend_use_unit_labels(client):
    vi = client.get("/?metric=capacity:waste_facilities/incinerator:t/day").get_data(as_text=True)
    assert "Tổng công suất: Cơ sở xử lý chất thải rắn – Nhà máy/lò đốt (tấn/ngày)" in vi
    assert "Khí sinh học (biogas) (hộ)" in vi
    assert "(t/day)" not in vi and "(households)" not in vi and "t_paddy/day)" not in vi
