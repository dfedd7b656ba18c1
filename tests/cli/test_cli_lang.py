"""The command line speaks Vietnamese (officers read it), English with --lang en or
GEO_KTTT_LANG=en: the validator's problems, the importer's summary, errors, table headers;
and its tables are aligned as a terminal shows them (issue 11 §1, issue 12 §17)."""

from __future__ import annotations

import shutil

from conftest import LAYERS

from geo_kttt.cli import main
from geo_kttt.cli.common import fmt_table, width
from geo_kttt.coverage.report import HEADERS


def _broken_layers(tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    csv = layers / "waste_facilities.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",892,", ",999,", 1), encoding="utf-8")
    return layers


def test_validator_problems_and_fixes_in_vietnamese_then_english(tmp_path, capsys, data_dir, monkeypatch):
    args = ["--data-dir", str(data_dir), "--layers-dir", str(_broken_layers(tmp_path)), "validate"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "LỖI: " in out and ", dòng " in out and "'999' không phải huyện của An Giang" in out
    assert "Cách sửa: dùng một trong 883, 884" in out and "2 lỗi, 0 cảnh báo" in out
    assert "is not a district" not in out and "Fix:" not in out
    assert main(["--lang", "en", *args]) == 1
    assert "ERROR: " in (out := capsys.readouterr().out) and "'999' is not a district of An Giang" in out
    monkeypatch.setenv("GEO_KTTT_LANG", "en")
    assert main(args) == 1
    assert "Fix: use one of 883" in capsys.readouterr().out


def test_build_error_and_its_note_in_vietnamese(tmp_path, capsys, data_dir):
    args = ["--data-dir", str(data_dir), "--layers-dir", str(_broken_layers(tmp_path)),
            "--atlas", str(tmp_path / "a.gpkg"), "build"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("lỗi: 2 lỗi trong các tệp lớp dữ liệu:") and "Atlas cũ được giữ nguyên." in err


def test_importer_summary_and_row_errors_in_vietnamese(tmp_path, capsys, data_dir):
    from conftest import ROOT

    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    corpus = ROOT / "tests" / "data" / "import"
    base = ["--data-dir", str(data_dir), "--layers-dir", str(layers), "import"]
    assert main([*base, str(corpus / "utf8_bom.csv"), "--layer", "solar_plants", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "thêm mới: 1" in out and "Chạy thử: chưa ghi gì (0 lỗi)." in out and "dòng, đọc theo" in out
    assert main([*base, str(corpus / "swapped.csv"), "--layer", "solar_plants"]) == 1
    out = capsys.readouterr().out
    assert "kinh độ và vĩ độ có vẻ bị đảo" in out and "Cách sửa: ghi giá trị ~105" in out
    assert "Chưa ghi gì: " in out and "look swapped" not in out
    assert main([*base, str(corpus / "truncated.zip"), "--layer", "solar_plants"]) == 2
    err = capsys.readouterr().err
    assert "tệp bị hỏng hoặc không trọn vẹn" in err and "Chưa ghi gì cả." in err


def test_coverage_table_headers_in_the_language_aligned_and_no_row_below_the_rule(capsys, atlas_path):
    for lang in ("vi", "en"):
        assert main(["--atlas", str(atlas_path), "coverage", "--by", "district", "--lang", lang]) == 0
        lines = capsys.readouterr().out.splitlines()
        head = next(i for i, line in enumerate(lines) if HEADERS["name"][lang] in line)
        table = lines[head:]
        rules = [i for i, line in enumerate(table) if set(line) == {"-"}]
        assert rules == [1], "one rule, under the headers; no row below a closing rule"
        assert len(table) == 2 + 11  # headers, rule, the 11 districts
        for key in ("code", "served", "basis", "nearest", "nearest_km"):
            assert HEADERS[key][lang] in table[0]
        start = width(table[0][:table[0].index(HEADERS["nearest"][lang])])
        km = HEADERS["nearest_km"][lang]
        end = width(table[0][:table[0].index(km)]) + width(km)
        for row in table[2:]:
            assert row[len(_cut(row, start)) - 1] == " " and row[len(_cut(row, start))] != " "
            assert _cut(row, end)[-1].isdigit() and row[len(_cut(row, end))] == " "
    assert "," in table[2].split("  ")[-2] or "." in table[2]  # 17,0 (vi) / 17.0 (en)


def _cut(text: str, columns: int) -> str:
    """The start of ``text`` that fills ``columns`` terminal columns."""
    out = ""
    for ch in text:
        if width(out + ch) > columns:
            break
        out += ch
    return out


def test_fmt_table_aligns_by_display_width_and_writes_numbers_for_the_language():
    import pandas as pd

    df = pd.DataFrame({"name": ["Tân Châu", "An Phú", "Tổng"], "km": [1300.5, 2.25, 1302.75]})
    vi = fmt_table(df, ["name", "km"], "vi", ["Đơn vị", "km"], total=True).splitlines()
    assert vi[2].endswith("1.300,5") and vi[3].endswith("2,25") and set(vi[4]) == {"-"}
    assert len({width(line) for line in vi}) == 1
    en = fmt_table(df, ["name", "km"], "en").splitlines()
    assert en[2].endswith("1,300.5") and len([x for x in en if set(x) == {"-"}]) == 1
