#!/usr/bin/env python3
"""Benchmark exports: time and peak memory of a province map sheet and an investor pack.

Each task runs in its own Python process (so peak memory is that task's alone): the
process imports geo_kttt, opens the atlas, runs the task once cold, then ``--repeat``
times warm. Peak memory is the child's maximum resident set size (ru_maxrss).

    python scripts/bench_export.py [--atlas build/atlas.gpkg] [--repeat 3]

Targets on the 2-core development machine: <= 3 s per sheet, <= 10 s per pack.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASKS = {
    "sheet: province A4 PDF (vi)": "sheet.render_sheet(atlas, Selection(), out / 'p.pdf')",
    "sheet: province A4 PNG 150 dpi": "sheet.render_sheet(atlas, Selection(), out / 'p.png')",
    "sheet: province A3 PDF (vi+en)": "sheet.render_sheet(atlas, Selection(), out / 'p3.pdf', 'A3', "
                                      "lang='both')",
    "sheet: district A4 PDF (en)": "sheet.render_sheet(atlas, Selection(district='883'), out / 'd.pdf', "
                                   "lang='en')",
    "pack: province": "pack.investor_pack(atlas, Selection(), out / 'p.zip')",
    "pack: district 890": "pack.investor_pack(atlas, Selection(district='890'), out / 'd.zip')",
    "data: all six formats, province": "[downloads.write_data(atlas, Selection(), f, out / ('x.' + f)) "
                                       "for f in downloads.FORMATS]",
}
CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from geo_kttt.export import downloads, pack, sheet
from geo_kttt.export.selection import Selection
from geo_kttt.store import open_atlas
atlas = open_atlas(sys.argv[1]); atlas.sites(); atlas.districts(); atlas.table("context")
out = Path(sys.argv[2])
t1 = time.perf_counter()
{task}
t2 = time.perf_counter()
warm = []
for _ in range(int(sys.argv[3])):
    s = time.perf_counter(); {task}; warm.append(time.perf_counter() - s)
print(json.dumps({{"import_open": t1 - t0, "cold": t2 - t1, "warm": warm}}))
"""


def run(task: str, atlas: Path, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.Popen([sys.executable, "-c", CHILD.format(task=task), str(atlas), out,
                                 str(repeat)], stdout=subprocess.PIPE, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        stdout = proc.stdout.read()
        proc.stdout.close()
    if status != 0:
        raise SystemExit(f"benchmark task failed: {task}")
    result = json.loads(stdout)
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def ensure_atlas(path: str | None) -> Path:
    if path:
        return Path(path)
    default = ROOT / "build" / "atlas.gpkg"
    if default.is_file():
        return default
    from geo_kttt.admin import load_admin
    from geo_kttt.store import build

    build(ROOT / "layers", load_admin(), default)
    return default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--atlas", help="built atlas (default build/atlas.gpkg, built if missing)")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per task")
    args = ap.parse_args()
    atlas = ensure_atlas(args.atlas)
    print(f"atlas {atlas}; {os.cpu_count()} CPUs; {args.repeat} warm runs per task")
    print(f"{'task':36} {'startup s':>9} {'cold s':>7} {'warm s (median)':>16} {'peak MB':>8}")
    for name, task in TASKS.items():
        r = run(task, atlas, args.repeat)
        warm = statistics.median(r["warm"]) if r["warm"] else float("nan")
        print(f"{name:36} {r['import_open']:9.2f} {r['cold']:7.2f} {warm:16.2f} {r['peak_mb']:8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
