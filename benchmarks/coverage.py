"""Benchmark: coverage of N synthetic households (default 1,000,000) vs every facility and the communes.

Per household: the nearest facility and its distance in metres (EPSG:9208), served when
within the radius of any facility, and the commune polygon it lies in; then households and
unserved households per commune. Ours: :func:`geo_kttt.coverage.points.cover_points`.
Baseline, same run, same points: the implementation before it (shapely
``STRtree.query_nearest`` over point geometries, once for the nearest and once per radius,
then a geopandas ``sjoin`` within). Each runs in its own process, so its peak memory is its
own; the answers are compared point by point.

    python -m benchmarks.coverage [--points 1000000] [--quick]

The households are uniform random points inside the province, not real households.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from benchmarks import harness
from geo_kttt.coverage.analysis import nearest, radius_km
from geo_kttt.coverage.points import cover_points
from geo_kttt.sites import METRIC_CRS
from geo_kttt.store import build, open_atlas


def inputs(atlas_path: str, n: int, seed: int = 1):
    """Facilities (every site, metric, with radius), commune polygons (metric) and n households."""
    atlas = open_atlas(atlas_path)
    communes = atlas.communes().to_crs(METRIC_CRS)[["code", "geometry"]].reset_index(drop=True)
    fac = atlas.sites().to_crs(METRIC_CRS).reset_index(drop=True)
    fac["radius_km"] = [radius_km(lid, k) for lid, k in zip(fac.layer, fac.kind, strict=True)]
    province = atlas.districts().to_crs(METRIC_CRS).union_all()
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = province.bounds
    shapely.prepare(province)
    xs, ys, need = [], [], n
    while need > 0:
        x, y = rng.uniform(x0, x1, int(need * 1.8) + 1000), rng.uniform(y0, y1, int(need * 1.8) + 1000)
        keep = shapely.contains_xy(province, x, y)
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        need -= len(xs[-1])
    return fac, communes, np.concatenate(xs), np.concatenate(ys)


def baseline(x, y, fac, communes):
    """The implementation before cover_points: STRtree over point geometries + sjoin within."""
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=METRIC_CRS)
    idx, dist = nearest(points, fac)
    served = np.zeros(len(points), dtype=bool)
    for r, group in fac.groupby("radius_km"):
        served |= nearest(points, group.reset_index(drop=True))[1] <= r * 1000
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points), communes, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    codes = np.array([None if c != c else c for c in joined.code.values], dtype=object)
    per = joined.assign(unserved=~served).groupby("code").agg(households=("unserved", "size"),
                                                              unserved=("unserved", "sum"))
    return idx, dist, served, codes, per


def ours(x, y, fac, communes):
    cov = cover_points(x, y, fac, communes)
    return cov.nearest, cov.distance_m, cov.served, cov.unit, cov.per_unit()


def child(which: str, atlas_path: str, n: int, out: str) -> None:
    """One implementation in this process: time (inputs excluded), peak RSS, answers to ``out``."""
    fac, communes, x, y = inputs(atlas_path, n)
    before = harness.peak_mb()
    t0 = time.perf_counter()
    idx, dist, served, codes, per = (ours if which == "ours" else baseline)(x, y, fac, communes)
    seconds = time.perf_counter() - t0
    np.savez(out, idx=idx, dist=dist, served=served, codes=codes.astype(str),
             per=per.reset_index().to_numpy().astype(str), fx=fac.geometry.x, fy=fac.geometry.y, x=x, y=y)
    print(json.dumps({"s": seconds, "peak_mb": harness.peak_mb(), "before_mb": before,
                      "facilities": len(fac), "communes": len(communes)}))


def run(which: str, atlas_path, n: int, folder: Path) -> tuple[dict, dict]:
    out = folder / f"{which}.npz"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.coverage", "--child", which, "--atlas",
                           str(atlas_path), "--points", str(n), "--out", str(out)],
                          env=harness.child_env(), capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{which} failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), dict(np.load(out, allow_pickle=False))


def same(a: dict, b: dict) -> dict:
    """Where the two answers agree: distance (1e-6 m), served, commune, the chosen facility's
    distance (ties between equidistant facilities may pick either), the per-commune table."""
    def to_chosen(r):
        return np.hypot(r["x"] - r["fx"][r["idx"]], r["y"] - r["fy"][r["idx"]])
    return {"distance": bool(np.all(np.abs(a["dist"] - b["dist"]) < 1e-6)),
            "served": bool(np.array_equal(a["served"], b["served"])),
            "commune": bool(np.array_equal(a["codes"], b["codes"])),
            "nearest facility (or one as near)": bool(np.all((a["idx"] == b["idx"])
                                                             | (np.abs(to_chosen(a) - to_chosen(b)) < 1e-6))),
            "per-commune counts": bool(np.array_equal(a["per"], b["per"]))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="50,000 points (CI)")
    ap.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    ap.add_argument("--atlas", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child, a.atlas, a.points, a.out)
        return 0
    if a.quick:
        a.points = 50_000
    with tempfile.TemporaryDirectory(prefix="bench-coverage-") as tmp:
        folder = Path(tmp)
        atlas_path = folder / "atlas.gpkg"
        build(harness.LAYERS, harness.admin_units(), atlas_path)
        if open_atlas(atlas_path).communes() is None:
            print("The data folder has no commune polygons (GEO_KTTT_DATA_DIR): nothing to benchmark.")
            return 0
        (mine, a_ours), (theirs, a_base) = run("ours", atlas_path, a.points, folder), \
            run("baseline", atlas_path, a.points, folder)
    table = harness.Table(f"Coverage of {a.points:,} households vs {mine['facilities']} facilities and "
                          f"{mine['communes']} commune polygons", "geo-kttt cover_points",
                          "STRtree + sjoin (before)")
    table.add("time", mine["s"], theirs["s"], "s", "<= 4 s")
    table.add("peak memory (process)", mine["peak_mb"], theirs["peak_mb"], "MB", "<= 1 GB")
    table.print()
    agree = same(a_ours, a_base)
    print("same answers: " + ", ".join(f"{k}: {v}" for k, v in agree.items()))
    print(f"(each in its own process; inputs and imports before the timer: {mine['before_mb']:.0f} MB)")
    return 0 if all(agree.values()) else 1


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
