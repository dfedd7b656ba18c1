"""Benchmark `geo-kttt import`: a generated ~10 MB CSV (dry run), a 2,000-row XLSX, VN-2000 points.

Baselines, same run, same files: pandas ``read_csv`` of the CSV (text only: no validation),
openpyxl reading the XLSX, pyproj's default EPSG:9208 -> WGS 84 transformer (not the pinned
one). Works on a temporary copy of layers/; the repository's files are never touched.

    python -m benchmarks.imports [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyproj

from benchmarks import harness
from geo_kttt.admin import load_admin
from geo_kttt.imports.crs import to_wgs84
from geo_kttt.imports.merge import run_import

HEADER = ["id", "name_vi", "name_en", "kind", "district_code", "commune_code", "status",
          "location_precision", "verified", "in_report", "sources", "notes"]


def row(i: int) -> list[str]:
    return [f"gen-{i}", f"Cơ sở {i}", f"Site {i}", "utility", "890", "30538", "planned", "commune",
            "false", "false", "generated", "x" * 380]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 MB CSV, 200 rows, 10,000 points (CI)")
    a = ap.parse_args(argv)
    size, rows, points = (1_000_000, 200, 10_000) if a.quick else (10_000_000, 2000, 100_000)
    admin = load_admin(None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layers = tmp / "layers"
        shutil.copytree(harness.LAYERS, layers)
        big = tmp / "big.csv"
        with big.open("w", encoding="utf-8") as fh:
            fh.write(",".join(HEADER) + "\n")
            n = 0
            while fh.tell() < size:
                n += 1
                fh.write(",".join(row(n)) + "\n")
        table = harness.Table("Imports", "geo-kttt import", "plain read (see docstring)")
        ours = timed(lambda: run_import(big, "solar_plants", layers, admin, dry_run=True))
        base = timed(lambda: pd.read_csv(big, dtype=str, keep_default_na=False))
        table.add(f"CSV {big.stat().st_size / 1e6:.1f} MB, {n:,} rows, dry run", ours, base, "s")
        wb = openpyxl.Workbook()
        wb.active.append(HEADER)
        for i in range(rows):
            wb.active.append(row(i))
        xlsx = tmp / "rows.xlsx"
        wb.save(xlsx)
        ours = timed(lambda: run_import(xlsx, "solar_plants", layers, admin))
        base = timed(lambda: list(openpyxl.load_workbook(xlsx, read_only=True).active.values))
        table.add(f"XLSX {rows:,} rows, written", ours, base, "s")
        e = np.random.default_rng(1).uniform(505_000, 590_000, points)
        nn = np.random.default_rng(2).uniform(1_130_000, 1_215_000, points)
        ours = timed(lambda: to_wgs84(e, nn, "EPSG:9208"))
        base = timed(lambda: pyproj.Transformer.from_crs(9208, 4326, always_xy=True).transform(e, nn))
        table.add(f"EPSG:9208 -> WGS 84, {points:,} points", ours, base, "s")
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
