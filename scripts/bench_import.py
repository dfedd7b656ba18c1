"""Benchmark `geo-kttt import`: a generated ~10 MB CSV, a 2,000-row XLSX and VN-2000 conversion.

Usage: python scripts/bench_import.py   (needs GEO_KTTT_DATA_DIR). Prints measured seconds.
Works on a temporary copy of layers/; the repository's files are never touched.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_kttt.admin import load_admin  # noqa: E402
from geo_kttt.imports.crs import to_wgs84  # noqa: E402
from geo_kttt.imports.merge import run_import  # noqa: E402

HEADER = ["id", "name_vi", "name_en", "kind", "district_code", "commune_code", "status",
          "location_precision", "verified", "in_report", "sources", "notes"]


def row(i: int) -> list[str]:
    return [f"gen-{i}", f"Cơ sở {i}", f"Site {i}", "utility", "890", "30538", "planned", "commune",
            "false", "false", "generated", "x" * 380]


def timed(label: str, fn) -> None:
    t = time.perf_counter()
    out = fn()
    print(f"{label}: {time.perf_counter() - t:.2f} s{out or ''}")


def main() -> None:
    admin = load_admin(None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layers = tmp / "layers"
        shutil.copytree(ROOT / "layers", layers)
        big = tmp / "big.csv"
        with big.open("w", encoding="utf-8") as fh:
            fh.write(",".join(HEADER) + "\n")
            n = 0
            while fh.tell() < 10_000_000:
                n += 1
                fh.write(",".join(row(n)) + "\n")
        timed(f"CSV {big.stat().st_size / 1e6:.1f} MB, {n} rows, dry run",
              lambda: f" ({len(run_import(big, 'solar_plants', layers, admin, dry_run=True).plan.added)}"
                      " added)")
        wb = openpyxl.Workbook()
        wb.active.append(HEADER)
        for i in range(2000):
            wb.active.append(row(i))
        xlsx = tmp / "rows.xlsx"
        wb.save(xlsx)
        timed("XLSX 2,000 rows, written", lambda: run_import(xlsx, "solar_plants", layers, admin) and None)
        e = np.random.default_rng(1).uniform(505_000, 590_000, 100_000)
        nn = np.random.default_rng(2).uniform(1_130_000, 1_215_000, 100_000)
        timed("EPSG:9208 -> WGS 84, 100,000 points (pinned EPSG:6960)",
              lambda: to_wgs84(e, nn, "EPSG:9208") and None)


if __name__ == "__main__":
    main()
