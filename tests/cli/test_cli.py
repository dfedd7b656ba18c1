import json
import shutil

from conftest import LAYERS

from geo_kttt.cli import main


def test_validate_passes_on_layers(capsys, data_dir):
    assert main(["--lang", "en", "--data-dir", str(data_dir), "--layers-dir", str(LAYERS), "validate"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_summary_prints_the_district_table(capsys, atlas_path):
    assert main(["--atlas", str(atlas_path), "summary"]) == 0
    out = capsys.readouterr().out
    for name in ("Long Xuyên", "Châu Đốc", "Tịnh Biên", "Thoại Sơn", "Toàn tỉnh"):
        assert name in out
    assert "định vị 4/4 theo báo cáo; 320/320 MWp" in out  # Vietnamese by default
    assert main(["--lang", "en", "--atlas", str(atlas_path), "summary"]) == 0
    out = capsys.readouterr().out
    assert "located 4 of 4 reported; 320 of 320 MWp" in out
    assert "of 19 reported" in out and "of 30 reported" in out


def test_summary_json_and_csv(capsys, atlas_path):
    main(["--atlas", str(atlas_path), "summary", "--format", "json", "--by", "new-commune"])
    data = json.loads(capsys.readouterr().out)
    assert data["units"][-1]["code"] == "total" and data["reported"]
    main(["--atlas", str(atlas_path), "summary", "--format", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("code,name,sites") and len(lines) == 13


def test_broken_layer_exits_1_and_keeps_atlas(tmp_path, capsys, data_dir, atlas_path):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    dest = tmp_path / "atlas.gpkg"
    shutil.copy(atlas_path, dest)
    before = dest.read_bytes()
    csv = layers / "waste_facilities.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",892,", ",999,", 1), encoding="utf-8")
    args = ["--lang", "en", "--data-dir", str(data_dir), "--layers-dir", str(layers), "--atlas", str(dest)]
    assert main(args + ["validate"]) == 1
    assert "'999' is not a district of An Giang" in capsys.readouterr().out
    assert main(args + ["build"]) == 1
    err = capsys.readouterr().err
    assert "waste_facilities.csv, row" in err and "previous atlas was left unchanged" in err
    assert dest.read_bytes() == before


def test_missing_data_gives_one_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    assert main(["--lang", "en", "--data-dir", str(tmp_path / "nowhere"), "validate"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "GEO_KTTT_DATA_DIR" in err
