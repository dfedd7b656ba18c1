from geo_kttt.text import fold, nfc, safe_cell, slug


def test_fold_ignores_case_diacritics_and_d_stroke():
    assert fold("Châu Đốc") == fold("chau doc") == fold("CHAU  DOC") == "chau doc"
    assert fold("Phú Hoà") == fold("Phú Hòa")


def test_nfc_composes_decomposed_text():
    decomposed = "Châu Đốc".encode().decode()  # already NFC
    assert nfc("Cha\u0302u") == "Châu" and nfc(decomposed) == "Châu Đốc"


def test_slug_is_safe_ascii():
    assert slug("../Châu Đốc/ bản đồ") == "chau-doc-ban-do"
    assert slug("") == "atlas"


def test_safe_cell_neutralises_formulas_but_not_numbers():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-3.5") == "-3.5"
    assert safe_cell("Bình Hòa") == "Bình Hòa" and safe_cell(12) == 12
