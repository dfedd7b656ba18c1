"""Benchmark: past one machine. Stateless app processes over one PostGIS, and vector-tile costs.

1. The atlas (N synthetic features in one layer, through layers/ -> build) is built into
   PostGIS. The same OGC API items load (town-sized bboxes, limit 100) is sent to ONE app
   process (``geo-kttt serve --workers 1``), then to TWO such processes on two ports (the
   clients split between them), all reading the one database: throughput should rise with
   the processes, since an app process keeps no state of its own.
2. Per-tile cost of Mapbox vector tiles made by PostGIS (``ST_AsMVT`` of ``ST_AsMVTGeom``
   points in ``ST_TileEnvelope``), and of grid clusters made by PostGIS for low zooms
   (``ST_SnapToGrid`` + count), on a table of ``--tile-points`` random points over the
   province (made with ``generate_series``, GiST-indexed): median milliseconds and bytes per
   tile at each zoom, for the sizing in docs/scale.md.

Needs a database: ``eval "$(scripts/pg start)"`` (GEO_KTTT_TEST_DATABASE_URL), or ``--database``.

    python -m benchmarks.postgis [--features 100000] [--tile-points 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.ogcapi import LAYER, boxes

BOX = (104.75, 10.15, 105.6, 10.98)  # the province's extent (lon, lat)


def drive_split(ports: list[int], paths: list[str], clients: int, max_seconds: float) -> dict:
    """``clients`` threads split evenly over ``ports``, each part with its share of ``paths``."""
    parts, threads = [None] * len(ports), []
    for i, port in enumerate(ports):
        share = paths[i::len(ports)]
        t = threading.Thread(target=lambda i=i, port=port, share=share: parts.__setitem__(
            i, harness.drive(port, share, clients // len(ports), max_seconds)))
        threads.append(t)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    n = sum(p["requests"] for p in parts)
    return {"requests": n, "errors": sum(p["errors"] for p in parts), "req_per_s": n / wall,
            "p95_ms": max(p["p95_ms"] for p in parts),
            "median_ms": statistics.median(p["median_ms"] for p in parts)}


def app_processes(url: str, count: int, folder: Path):
    ports = [harness.free_port() for _ in range(count)]
    env = harness.child_env(GEO_KTTT_TILE_URL="none")
    cmd = [sys.executable, "-m", "geo_kttt.cli", "--database", url, "serve", "--host", "127.0.0.1",
           "--workers", "1", "--port"]
    return [harness.Server([*cmd, str(p)], p, env, folder / f"app-{p}.log", 300) for p in ports]


def throughput(url: str, a, folder: Path) -> tuple[dict, dict]:
    from geo_kttt.store import open_atlas

    bb = boxes(open_atlas(url).extent(LAYER), a.requests, 0.025, 7)
    paths = [f"/ogcapi/collections/{LAYER}/items?bbox={b}&limit=100&f=json" for b in bb]
    out = {}
    for count in (1, 2):
        servers = app_processes(url, count, folder)
        for s in servers:
            s.__enter__()
        try:
            ports = [s.port for s in servers]
            drive_split(ports, paths[:200], a.clients, 20)  # warm
            apps = [pid for s in servers for pid in harness.processes(s.proc.pid)]
            master = harness.postmaster(url)
            db = harness.processes(master) if master else []  # this cluster's processes only
            before = harness.cpu_seconds(apps), harness.cpu_seconds(db)
            out[count] = drive_split(ports, paths, a.clients, a.max_seconds)
            n = out[count]["requests"] or 1
            out[count]["app_ms"] = (harness.cpu_seconds(apps) - before[0]) / n * 1000
            out[count]["db_ms"] = (harness.cpu_seconds(db) - before[1]) / n * 1000
        finally:
            for s in servers:
                s.__exit__()
        r = out[count]
        print(f"{count} app process(es): {r['requests']} requests, {r['errors']} errors, "
              f"{r['req_per_s']:.0f} req/s, p95 {r['p95_ms']:.1f} ms; CPU per request: app "
              f"{r['app_ms']:.2f} ms, PostgreSQL {r['db_ms']:.2f} ms (load {harness.load()})", flush=True)
    return out[1], out[2]


def tile_table(engine, n: int) -> None:
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS bench_tiles"))
        conn.execute(sa.text(
            "CREATE TABLE bench_tiles AS SELECT g AS id, 'Điểm giả lập ' || g AS name, "
            "ST_SetSRID(ST_MakePoint(:x0 + random() * (:x1 - :x0), :y0 + random() * (:y1 - :y0)), 4326) "
            "AS geom FROM generate_series(1, :n) g"), {"n": n, "x0": BOX[0], "x1": BOX[2], "y0": BOX[1],
                                                       "y1": BOX[3]})
        conn.execute(sa.text("CREATE INDEX ON bench_tiles USING gist (geom)"))
        conn.execute(sa.text("ANALYZE bench_tiles"))


MVT = ("SELECT ST_AsMVT(q, 'sites', 4096, 'geom') FROM (SELECT id, name, ST_AsMVTGeom("
       "ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom FROM bench_tiles "
       "WHERE geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.016), 4326)) q")
CLUSTERS = ("SELECT ST_AsMVT(q, 'clusters', 4096, 'geom') FROM (SELECT count(*) AS n, ST_AsMVTGeom("
            "ST_Centroid(ST_Collect(g)), ST_TileEnvelope(:z, :x, :y), 4096, 0, true) AS geom FROM ("
            "SELECT ST_Transform(geom, 3857) AS g FROM bench_tiles "
            "WHERE geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) p "
            "GROUP BY ST_SnapToGrid(g, :cell)) q")


def tiles_at(z: int, count: int, seed: int) -> list[tuple[int, int, int]]:
    """``count`` random tiles of zoom ``z`` inside the province."""
    rng = np.random.default_rng(seed + z)

    def tile(lon, lat):
        s = math.sin(math.radians(lat))
        y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
        return int((lon + 180) / 360 * 2**z), int(y * 2**z)
    (x0, y1), (x1, y0) = tile(BOX[0], BOX[1]), tile(BOX[2], BOX[3])
    every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    pick = rng.choice(len(every), min(count, len(every)), replace=False)
    return [every[i] for i in pick]


def tile_costs(engine, zooms, per_zoom: int) -> list[dict]:
    import sqlalchemy as sa

    rows = []
    with engine.connect() as conn:
        for z in zooms:
            for name, sql in (("points", MVT), ("clusters", CLUSTERS)):
                if name == "clusters" and z > 14:
                    continue
                ms, size = [], []
                cell = 40075016.686 / 2**z / 4  # a quarter tile (64 px) in web-Mercator metres
                for t in tiles_at(z, per_zoom, 1):
                    t0 = time.perf_counter()
                    args = {"z": t[0], "x": t[1], "y": t[2], "cell": cell}
                    body = conn.execute(sa.text(sql), args).scalar()
                    ms.append((time.perf_counter() - t0) * 1000)
                    size.append(len(body or b""))
                rows.append({"zoom": z, "kind": name, "tiles": len(ms), "median_ms": statistics.median(ms),
                             "max_ms": max(ms), "median_kb": statistics.median(size) / 1024})
                print(f"zoom {z:2} {name:8}: {len(ms)} tiles, median {rows[-1]['median_ms']:.1f} ms "
                      f"(max {rows[-1]['max_ms']:.0f}), median {rows[-1]['median_kb']:.1f} KB "
                      f"(load {harness.load()})", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", default=os.environ.get("GEO_KTTT_TEST_DATABASE_URL"))
    ap.add_argument("--features", type=int, default=100_000)
    ap.add_argument("--skip-tiles", action="store_true", help="only the app processes")
    ap.add_argument("--tile-points", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--max-seconds", type=float, default=40)
    ap.add_argument("--quick", action="store_true", help="2,000 features, 20,000 tile points (CI)")
    a = ap.parse_args(argv)
    if a.quick:
        a.features, a.tile_points, a.requests, a.max_seconds = 2000, 20_000, 400, 15
    if not a.database:
        print("No database: start one with eval \"$(scripts/pg start)\" (GEO_KTTT_TEST_DATABASE_URL).")
        return 0
    from geo_kttt.store.postgis import engine_for

    with tempfile.TemporaryDirectory(prefix="bench-postgis-") as tmp:
        folder = Path(tmp)
        with harness.timer() as t:
            harness.synthetic_atlas(a.features, folder, dest=a.database, only=LAYER)
        print(f"PostGIS atlas with {a.features:,} synthetic features built ({t():.1f} s)", flush=True)
        one, two = throughput(a.database, a, folder)
    if a.skip_tiles:
        return _report(a, one, two, [])
    engine = engine_for(a.database)
    try:
        tile_table(engine, a.tile_points)
        zooms = (8, 10, 12) if a.quick else (8, 9, 10, 11, 12, 13, 14, 15, 16)
        costs = tile_costs(engine, zooms, 5 if a.quick else 25)
    finally:
        engine.dispose()
    return _report(a, one, two, costs)


def _report(a, one, two, costs) -> int:
    table = harness.Table(f"OGC API items over one PostGIS ({a.features:,} features, {a.clients} clients)",
                          "2 app processes", "1 app process")
    table.add("throughput", two["req_per_s"], one["req_per_s"], "req/s", "rises", better="higher")
    table.add("p95 latency", two["p95_ms"], one["p95_ms"], "ms")
    table.add("requests answered (bounded)", two["requests"], one["requests"], "", better="higher")
    table.add("errors", two["errors"], one["errors"], "", "0")
    table.add("app CPU per request", two["app_ms"], one["app_ms"], "ms")
    table.add("PostgreSQL CPU per request", two["db_ms"], one["db_ms"], "ms")
    table.print()
    ceiling = 1000 / one["db_ms"] if one["db_ms"] else float("inf")
    print(f"One database core answers at most ~{ceiling:.0f} req/s of these; one app core ~"
          f"{1000 / max(one['app_ms'], 1e-9):.0f} req/s. Here the database, the app processes and the "
          f"clients share {os.cpu_count()} cores.")
    if costs:
        print(f"\nST_AsMVT per tile over {a.tile_points:,} points in the province (PostGIS, one connection):")
    for r in costs:
        print(f"  zoom {r['zoom']:2} {r['kind']:8} median {r['median_ms']:7.1f} ms  "
              f"max {r['max_ms']:7.1f} ms  median {r['median_kb']:7.1f} KB")
    return 0 if one["errors"] == two["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
