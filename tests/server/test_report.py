def test_report_page_shows_figures_indicators_and_errata(client, atlas):
    html = client.get("/report").get_data(as_text=True)
    assert "4 nhà máy điện mặt trời, tổng 320 MWp" in html
    assert "320 / 320 MWp" in html
    pang = len(atlas.sites("pangasius_processors"))
    assert f"{pang} / 19" in html
    assert "Điện mặt trời mái nhà" in html and "183 MWp" in html
    assert "Huyện Tri Tôn" in html and "Tịnh Biên" in html  # Sao Mai erratum
    en = client.get("/report?lang=en").get_data(as_text=True)
    assert "Rooftop solar capacity" in en and "Location of the Sao Mai solar plant" in en
