"""Benchmark: exports at N sites (default 100,000): the province map sheet and the investor pack.

Each task runs in its own Python process on a synthetic atlas (harness: layers/ -> build):
import and open first (not timed), then the task once cold and ``--repeat`` times warm;
wall and CPU seconds and the process's peak memory. Baselines, same run, same sites: for
the sheet, a bare geopandas plot of the same districts and sites saved as the same PDF
(no legend, table, locator or labels); for the pack, only its two data files written with
the plain tools (geopandas ``to_file`` GeoPackage and pandas ``to_excel``, openpyxl); for the
workbook, the same frames (one sheet per layer and "about", made before the clock starts)
written by :mod:`geo_kttt.export.xlsx` (the download's writer) and by openpyxl's write-only
mode (its writer before).

    python -m benchmarks.export [--sites 100000] [--repeat 1] [--quick] [--only sheet|pack|xlsx]
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

from benchmarks import harness

XLSX_FRAMES = (  # the workbook's frames, as downloads._xlsx cuts them (not timed)
    "gdf = downloads.export_frame(atlas, Selection()); cols = [c for c in gdf.columns if c != 'geometry']; "
    "sheets = {l: pd.DataFrame(gdf.loc[gdf.layer == l, cols]) for l in atlas.catalog}; "
    "sheets['about'] = pd.DataFrame(downloads.about_rows(atlas, Selection()), "
    "columns=['section', 'key', 'Tiếng Việt', 'English'])\n"
    "from openpyxl import Workbook\n"
    "def openpyxl_write(sheets, path):  # openpyxl's write-only mode, as the download used it before\n"
    "    wb = Workbook(write_only=True)\n"
    "    for name, df in sheets.items():\n"
    "        ws = wb.create_sheet(name)\n"
    "        ws.append(list(df.columns))\n"
    "        for row in df.astype(object).where(df.notna(), None).itertuples(index=False):\n"
    "            ws.append(list(row))\n"
    "    wb.save(path)")
TASKS = {  # name -> (ours, baseline, target seconds or None, untimed setup)
    "province sheet, A4 PDF": (
        "sheet.render_sheet(atlas, Selection(), out / 'p.pdf')",
        "ax = atlas.districts().to_crs(9208).plot(facecolor='none', edgecolor='k', figsize=(11.69, 8.27)); "
        "atlas.sites().to_crs(9208).plot(ax=ax, markersize=4); ax.figure.savefig(out / 'b.pdf'); "
        "plt.close(ax.figure)", 3, ""),
    "investor pack, province": (
        "pack.investor_pack(atlas, Selection(), out / 'p.zip')",
        "s = atlas.sites(); s.to_file(out / 'b.gpkg', driver='GPKG'); "
        "pd.DataFrame(s.drop(columns='geometry')).to_excel(out / 'b.xlsx', index=False)", 10, ""),
    "XLSX workbook (vs openpyxl write-only)": (
        "xlsx.write_xlsx(out / 'x.xlsx', sheets)",
        "openpyxl_write(sheets, out / 'o.xlsx')", None, XLSX_FRAMES),
}
SHORT = {"sheet": "province sheet, A4 PDF", "pack": "investor pack, province",
         "xlsx": "XLSX workbook (vs openpyxl write-only)"}
CHILD = """
import json, sys, time
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from geo_kttt.export import downloads, pack, sheet, xlsx
from geo_kttt.export.selection import Selection
from geo_kttt.store import open_atlas
atlas = open_atlas(sys.argv[1]); atlas.sites(); atlas.districts(); atlas.table("context")
out = Path(sys.argv[2])
{setup}
runs = []
for _ in range(1 + int(sys.argv[3])):
    w, c = time.perf_counter(), time.process_time()
    {task}
    runs.append((time.perf_counter() - w, time.process_time() - c))
print(json.dumps({{"cold": runs[0], "warm": runs[1:]}}))
"""


def run(task: str, atlas: Path, repeat: int, setup: str = "") -> dict:
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryFile("w+") as err:
        code = CHILD.format(task=task, setup=setup)
        proc = subprocess.Popen([sys.executable, "-c", code, str(atlas), out, str(repeat)],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=harness.child_env())
        stdout = proc.stdout.read()  # before waiting: a full pipe would block the child
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.stdout.close()
        err.seek(0)
        errors = err.read()
    if status != 0:
        raise SystemExit(f"benchmark task failed (wait status {status}): {task}\n{errors[-3000:]}")
    r = json.loads(stdout)
    best = r["warm"] or [r["cold"]]
    return {"wall": statistics.median(w for w, _ in best), "cpu": statistics.median(c for _, c in best),
            "cold": r["cold"][0], "peak_mb": usage.ru_maxrss / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1, help="warm runs per task")
    ap.add_argument("--quick", action="store_true", help="2,000 sites, no warm run (CI)")
    ap.add_argument("--only", choices=sorted(SHORT), action="append", help="just these tasks")
    a = ap.parse_args(argv)
    if a.quick:
        a.sites, a.repeat = 2000, 0
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        atlas = harness.synthetic_atlas(a.sites, Path(tmp))
        table = harness.Table(f"Exports at {a.sites:,} synthetic sites (warm, median of {max(a.repeat, 1)}; "
                              "own process each)", "geo-kttt", "plain tools (see docstring)")
        for name, (ours, base, target, setup) in TASKS.items():
            if a.only and name not in {SHORT[k] for k in a.only}:
                continue
            mine, theirs = run(ours, atlas, a.repeat, setup), run(base, atlas, a.repeat, setup)
            table.add(f"{name}: wall", mine["wall"], theirs["wall"], "s", f"<= {target} s" if target else "")
            table.add(f"{name}: CPU", mine["cpu"], theirs["cpu"], "s")
            table.add(f"{name}: peak memory", mine["peak_mb"], theirs["peak_mb"], "MB")
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
