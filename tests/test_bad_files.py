"""Broken layer, reference and import files end in one message (file, row, field, fix), never a
traceback; `validate` refuses everything `build` would fail on."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys

import pytest
from conftest import LAYERS, ROOT

from geo_kttt.catalog import RESERVED_IDS
from geo_kttt.cli import main
from geo_kttt.store.base import TABLES


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests read the English messages (the command line speaks Vietnamese by default;
    tests/cli/test_cli_lang.py checks the Vietnamese)."""
    monkeypatch.setenv("GEO_KTTT_LANG", "en")


def _rewrite(path, fn):
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")


def _set_cell(path, row: int, column: str, value: str):
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _rename_layer(layers, old, new):
    for ext in ("csv", "toml"):
        shutil.move(layers / f"{old}.{ext}", layers / f"{new}.{ext}")
    _rewrite(layers / f"{new}.toml", lambda t: t.replace(f'id = "{old}"', f'id = "{new}"'))


W = "waste_facilities.csv"
# name -> (how to break a copy of layers/, what the message must say)
BREAKS = {
    "unclosed quote": (lambda L: _rewrite(L / W, lambda t: t.replace("Bãi rác An Cư", '"Bãi rác An Cư', 1)),
                       [W, "row 1", "broken quoting", "Fix:"]),
    "text after a quote": (lambda L: _rewrite(L / W, lambda t: t.replace("Bãi rác An Cư", '"Bãi" rác', 1)),
                           [W, "row 1", "broken quoting", "double quotes"]),
    "too many fields": (lambda L: _rewrite(L / W, lambda t: t.replace("\n", ",x,y\n", 2)
                                           .replace(",x,y", "", 1)),
                        [W, "row 1", "22 cells but the header has 20 columns"]),
    "20-digit year": (lambda L: _set_cell(L / "solar_plants.csv", 1, "year", "1" * 20),
                      ["solar_plants.csv", "row 1", "year", "is not a year", "four-digit year"]),
    "undecodable bytes": (lambda L: (L / W).write_bytes((L / W).read_bytes()
                                                        .replace("Bãi".encode(), b"B\xe3i", 1)),
                          [W, "row 1", "name_vi", "not UTF-8", "CSV UTF-8"]),
    "empty csv": (lambda L: (L / W).write_text(""), [W, "the file is empty", "header row"]),
    "_atlas.toml syntax": (lambda L: _rewrite(L / "_atlas.toml", lambda t: t + "\nbroken = [\n"),
                           ["_atlas.toml", "not valid TOML"]),
    "title without en": (lambda L: _rewrite(L / "_atlas.toml", lambda t: t.replace(
        ', en = "An Giang circular-economy atlas"', "", 1)), ["_atlas.toml", "'title'", "'vi' and 'en'"]),
    "broken indicators.csv": (lambda L: _rewrite(L / "indicators.csv", lambda t: t + 'x,"province\n'),
                              ["indicators.csv", "row 12", "broken quoting"]),
    "missing errata.csv": (lambda L: (L / "errata.csv").unlink(), ["errata.csv", "file is missing"]),
    "layer named districts": (lambda L: _rename_layer(L, "waste_facilities", "districts"),
                              ["districts.toml", "name of a table of the atlas"]),
    "layer named metadata": (lambda L: _rename_layer(L, "solar_plants", "metadata"),
                             ["metadata.toml", "name of a table of the atlas"]),
    "layer named catalog": (lambda L: _rename_layer(L, "solar_plants", "catalog"),
                            ["catalog.toml", "name of a table of the atlas"]),
    "layer named gpkg_contents": (lambda L: _rename_layer(L, "solar_plants", "gpkg_contents"),
                                  ["gpkg_contents.toml", "name of a table of the atlas"]),
}


@pytest.fixture()
def layers(tmp_path):
    dest = tmp_path / "layers"
    shutil.copytree(LAYERS, dest)
    return dest


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_validate_and_build_refuse_a_broken_file_with_its_message(case, layers, tmp_path, data_dir, capsys):
    breaker, expected = BREAKS[case]
    breaker(layers)
    args = ["--data-dir", str(data_dir), "--layers-dir", str(layers), "--atlas", str(tmp_path / "a.gpkg")]
    assert main(args + ["validate"]) == 1
    out = capsys.readouterr().out
    for text in expected:
        assert text in out, (text, out)
    assert main(args + ["build"]) == 1
    err = capsys.readouterr().err
    for text in expected:
        assert text in err, (text, err)
    assert not (tmp_path / "a.gpkg").exists() and not list(tmp_path.glob(".a-*"))


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "geo_kttt.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("case", ["20-digit year", "broken indicators.csv"])
def test_the_command_line_prints_no_traceback(case, layers, tmp_path, data_dir):
    BREAKS[case][0](layers)
    args = ["--data-dir", str(data_dir), "--layers-dir", str(layers), "--atlas", str(tmp_path / "a.gpkg")]
    build = _cli(*args, "build")
    assert build.returncode == 1
    assert BREAKS[case][1][0] in build.stderr and "Fix:" in build.stderr
    assert "Traceback" not in build.stderr + build.stdout


def test_a_broken_reference_file_is_named(tmp_path, capsys, data_dir):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    points = data / "boundaries" / "angiang_commune_points.csv"
    _set_cell(points, 3, "lon", "ten five")
    assert main(["--data-dir", str(data), "validate"]) == 1
    err = capsys.readouterr().err
    assert "angiang_commune_points.csv, row 3, lon: 'ten five' is not a number" in err
    (data / "boundaries" / "angiang_districts.geojson").write_text("{ not json")
    assert main(["--data-dir", str(data), "validate"]) == 1
    assert "angiang_districts.geojson" in capsys.readouterr().err


HEADER = ("id,name_vi,name_en,kind,district_code,commune_code,status,location_precision,verified,in_report,"
          "sources,year\n")
ROW = "waste-new-kiln,Lò mới,New kiln,incinerator,883,30280,planned,commune,false,false,http://x.vn,2024\n"
IMPORTS = {
    "unclosed quote": (HEADER + ROW.replace("Lò mới", '"Lò mới'), 2, ["row 2", "broken quoting"]),
    "text after a quote": (HEADER + ROW.replace("Lò mới", '"Lò" mới'), 2, ["row 2", "broken quoting"]),
    "too many fields": (HEADER + ROW.replace("\n", ",extra,cells\n"), 2,
                        ["row 2", "more cells than the header has columns"]),
    "20-digit year": (HEADER + ROW.replace(",2024", "," + "9" * 20), 1, ["row 2", "year", "is not a year"]),
    "empty csv": ("", 2, ["no header row"]),
}


@pytest.mark.parametrize("case", sorted(IMPORTS))
def test_import_refuses_a_broken_file_with_its_message(case, layers, tmp_path, data_dir, capsys):
    text, code, expected = IMPORTS[case]
    src = tmp_path / "cap-nhat.csv"
    src.write_text(text, encoding="utf-8")
    before = (layers / W).read_bytes()
    assert main(["--data-dir", str(data_dir), "--layers-dir", str(layers), "import", str(src),
                 "--layer", "waste_facilities"]) == code
    out = capsys.readouterr()
    for word in expected:
        assert word in out.out + out.err, (word, out)
    assert (layers / W).read_bytes() == before


def test_import_of_undecodable_bytes_says_how_to_save_the_file(layers, tmp_path, data_dir, capsys):
    src = tmp_path / "cap-nhat.csv"
    src.write_bytes((HEADER + ROW).encode().replace("Lò".encode(), b"L\x81\x8d"))  # neither UTF-8 nor cp1258
    code = main(["--data-dir", str(data_dir), "--layers-dir", str(layers), "import", str(src),
                 "--layer", "waste_facilities"])
    out = capsys.readouterr()
    assert code == 2 and "CSV UTF-8" in out.err and "Nothing was written" in out.err  # the CLI's one except


def test_every_table_of_the_atlas_is_a_reserved_layer_id():
    assert set(TABLES) <= set(RESERVED_IDS)
