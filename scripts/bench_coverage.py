#!/usr/bin/env python
"""Benchmark: coverage of N synthetic household points (default 1,000,000).

For each point: the nearest facility and its distance in metres (EPSG:9208, shapely
STRtree.query_nearest), served when within the radius of any facility (one nearest query
per distinct radius), and the commune it falls in (point-in-polygon, geopandas.sjoin).
Then households and unserved households per commune. A naive per-point Python loop on a
sample gives the baseline ratio.

Usage: scripts/bench_coverage.py [--points 1000000] [--sample 2000] [--atlas build/atlas.gpkg]
The points are synthetic (uniform inside the province); they are not real households.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_kttt import settings  # noqa: E402
from geo_kttt.coverage.analysis import nearest, radius_km  # noqa: E402
from geo_kttt.sites import METRIC_CRS  # noqa: E402
from geo_kttt.store import build, open_atlas  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def get_atlas(path):
    if path and Path(path).is_file():
        return open_atlas(path)
    from geo_kttt.admin import load_admin

    dest = Path(tempfile.mkdtemp()) / "atlas.gpkg"
    build(ROOT / "layers", load_admin(), dest)
    return open_atlas(dest)


def households(province, n: int, seed: int = 1) -> gpd.GeoSeries:
    """``n`` uniform random points inside ``province`` (metric), vectorised rejection sampling."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = province.bounds
    shapely.prepare(province)
    xs, ys = [], []
    need = n
    while need > 0:
        x = rng.uniform(x0, x1, int(need * 1.8) + 1000)
        y = rng.uniform(y0, y1, len(x))
        keep = shapely.contains_xy(province, x, y)
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        need -= len(xs[-1])
    return gpd.GeoSeries(gpd.points_from_xy(np.concatenate(xs), np.concatenate(ys)), crs=METRIC_CRS)


def vectorised(points, fac, communes):
    idx, dist = nearest(points, fac)
    served = np.zeros(len(points), dtype=bool)
    for r, group in fac.groupby("radius_km"):  # served: within the radius of ANY facility
        served |= nearest(points, group.reset_index(drop=True))[1] <= r * 1000
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points), communes[["code", "geometry"]],
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    per = joined.assign(unserved=~served).groupby("code").agg(households=("unserved", "size"),
                                                              unserved=("unserved", "sum"))
    return dist, served, joined.code.values, per


def naive(points, fac, communes):
    fgeoms, fr = list(fac.geometry), list(fac.radius_km * 1000)
    # fresh, unprepared copies: sjoin prepares the polygons it indexed, which a naive loop would not
    cgeoms = list(shapely.from_wkb(shapely.to_wkb(np.asarray(communes.geometry.values))))
    ccodes = list(communes.code)
    out = []
    for p in points:
        d = [p.distance(f) for f in fgeoms]
        i = int(np.argmin(d))
        code = next((c for c, g in zip(ccodes, cgeoms, strict=True) if g.contains(p)), None)
        out.append((d[i], any(dj <= rj for dj, rj in zip(d, fr, strict=True)), code))
    return out


def report(a, n_fac, n_com, t_vec, base, t_naive, same, served, codes) -> None:
    per_point_naive = t_naive / a.sample
    print(f"points: {a.points:,} synthetic households; facilities: {n_fac} (every layer); "
          f"communes: {n_com} polygons; CRS {METRIC_CRS}")
    print(f"vectorised (STRtree.query_nearest + sjoin within + groupby): {t_vec:.2f} s "
          f"({t_vec / a.points * 1e6:.2f} µs/point); target <= 10 s: {'met' if t_vec <= 10 else 'NOT met'}")
    print(f"peak RSS: {peak_mb():.0f} MB (before the run: {base:.0f} MB)")
    print(f"naive per-point loop on {a.sample:,} points: {t_naive:.2f} s "
          f"({per_point_naive * 1e6:.0f} µs/point; {per_point_naive * a.points:.0f} s projected "
          f"for {a.points:,})")
    print(f"speed-up vectorised vs naive: {per_point_naive * a.points / t_vec:.0f}x; "
          f"results agree on the sample: {same}")
    print(f"unserved households: {int((~served).sum()):,} of {a.points:,}; "
          f"outside every commune polygon: {int(np.sum(codes != codes)):,}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=2000, help="points for the naive per-point loop")
    ap.add_argument("--atlas", default=str(settings.path("ATLAS")))
    a = ap.parse_args(argv)
    atlas = get_atlas(a.atlas)
    communes = atlas.communes()
    if communes is None:
        print("The data has no commune polygons: point-in-commune cannot be benchmarked.")
        return 1
    communes = communes.to_crs(METRIC_CRS)
    fac = atlas.sites().to_crs(METRIC_CRS).reset_index(drop=True)
    fac["radius_km"] = [radius_km(lid, k) for lid, k in zip(fac.layer, fac.kind, strict=True)]
    province = atlas.districts().to_crs(METRIC_CRS).union_all()
    pts = households(province, a.points)
    base = peak_mb()
    t0 = time.perf_counter()
    dist, served, codes, per = vectorised(pts, fac, communes)
    t_vec = time.perf_counter() - t0
    sample = pts.iloc[: a.sample]
    t0 = time.perf_counter()
    slow = naive(list(sample), fac, communes)
    t_naive = time.perf_counter() - t0
    same = all(abs(d - dist[i]) < 1e-6 and s == served[i]
               and (c == codes[i] or (c is None and codes[i] != codes[i]))
               for i, (d, s, c) in enumerate(slow))
    report(a, len(fac), len(communes), t_vec, base, t_naive, same, served, codes)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
