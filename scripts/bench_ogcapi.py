#!/usr/bin/env python3
"""Benchmark: OGC API items requests with town-sized bboxes on a synthetic collection.

Loopback only, bounded in count and time. Builds the real atlas into a temporary folder,
adds a SYNTHETIC layer of N random points over An Giang's extent (benchmark only; never
shipped), then serves the same GeoPackage with
  * geo-kttt's own OGC API (waitress), and
  * pygeoapi 0.21 (its SQLiteGPKG provider, under waitress) as the baseline,
and drives each with the same requests from concurrent client threads (keep-alive).
Prints median/p95 latency, requests per second and errors, and checks that both servers
report the same numberMatched for a sample of boxes.

    python scripts/bench_ogcapi.py [--features 100000] [--clients 8] [--requests 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from geo_kttt.admin import load_admin  # noqa: E402
from geo_kttt.store import build, open_atlas  # noqa: E402
from geo_kttt.store.base import SITE_COLUMNS  # noqa: E402

LAYER = "bench_synthetic"
OURS = """
import sys
from waitress import serve
from geo_kttt.server import create_app
serve(create_app({"ATLAS": sys.argv[1], "TILE_URL": "none"}), host="127.0.0.1",
      port=int(sys.argv[2]), threads=int(sys.argv[3]), _quiet=True)
"""
PYGEOAPI = """
import sys
from waitress import serve
from pygeoapi.flask_app import APP
serve(APP, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), _quiet=True)
"""


def make_atlas(folder: Path, n: int, seed: int) -> Path:
    """The real atlas plus a synthetic point layer of ``n`` features (in a temp folder)."""
    path = folder / "atlas.gpkg"
    build(ROOT / "layers", load_admin(), path)
    atlas = open_atlas(path)
    x0, y0, x1, y1 = atlas.extent("districts")
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    df = pd.DataFrame({c: [""] * n for c in SITE_COLUMNS})
    df["layer"] = LAYER
    df["id"] = [f"bench-{i:06d}" for i in range(n)]
    df["name_vi"] = [f"Điểm thử tổng hợp số {i}" for i in range(n)]
    df["name_en"] = [f"Synthetic test point {i}" for i in range(n)]
    df["status"] = rng.choice(["operating", "planned", "pilot"], n)
    df["capacity"], df["year"] = rng.uniform(0, 100, n), rng.integers(2000, 2026, n)
    df["lon"], df["lat"], df["verified"], df["in_report"] = xs, ys, False, False
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=4326)
    pyogrio.write_dataframe(gdf, path, layer=LAYER, driver="GPKG", append=True)
    first = next(iter(atlas.catalog.values()))
    layer = dataclasses.replace(first, id=LAYER, reported=(),
                                title={"vi": "Điểm thử tổng hợp", "en": "Synthetic benchmark points"})
    row = pd.DataFrame({"id": [LAYER], "definition": [layer.to_json()]})
    pyogrio.write_dataframe(row, path, layer="catalog", driver="GPKG", append=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def baseline_python() -> str:
    """A Python whose sqlite3 can load SpatiaLite (pygeoapi's GeoPackage provider needs it).

    pyenv/python.org builds often lack ``enable_load_extension``; then a bench-only venv is
    made once from Debian's /usr/bin/python3 in .venv/pygeoapi-baseline (pinned by constraints.txt).
    """
    import sqlite3

    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sys.executable
    venv = ROOT / ".venv" / "pygeoapi-baseline"
    py = venv / "bin" / "python"
    if not py.exists():
        print("making the bench-only pygeoapi venv with /usr/bin/python3 …", flush=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"),
                        "pygeoapi", "waitress"], check=True)
    return str(py)


def pygeoapi_config(folder: Path, gpkg: Path, port: int, python: str) -> dict:
    """A minimal pygeoapi configuration serving the synthetic layer of the same GeoPackage."""
    import yaml

    url = f"http://127.0.0.1:{port}"
    cfg = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US"], "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "none", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "url": url, "terms_of_service": url},
                     "license": {"name": "CC-BY 4.0", "url": url}, "provider": {"name": "bench", "url": url},
                     "contact": {k: "bench" for k in (
                         "name", "position", "address", "city", "stateorprovince", "postalcode", "country",
                         "phone", "fax", "email", "url", "hours", "instructions", "role")}},
        "resources": {LAYER: {
            "type": "collection", "title": "Synthetic", "description": "Synthetic benchmark points",
            "keywords": ["bench"], "links": [],
            "extents": {"spatial": {"bbox": [104.7, 10.1, 105.6, 11.0],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "SQLiteGPKG", "data": str(gpkg),
                           "id_field": "id", "table": LAYER}]}},
    }
    cfg_path, oas_path = folder / "pygeoapi.yml", folder / "pygeoapi-openapi.yml"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg_path), "PYGEOAPI_OPENAPI": str(oas_path)}
    cli = Path(python).with_name("pygeoapi")
    out = subprocess.run([str(cli), "openapi", "generate", str(cfg_path), "--output-file", str(oas_path)],
                         env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"pygeoapi openapi generate failed: {out.stderr[-2000:]}")
    return env


def start(cmd: list, env: dict, port: int, log: Path) -> subprocess.Popen:
    out = log.open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def get(conn: http.client.HTTPConnection, path: str):
    conn.request("GET", path, headers={"Accept": "application/geo+json"})
    r = conn.getresponse()
    return r.status, r.read()


def drive(port: int, paths: list[str], clients: int, max_seconds: float) -> dict:
    """Send ``paths`` (shared queue) from ``clients`` threads; latency per request."""
    lat, errors, lock, nxt = [], Counter(), threading.Lock(), iter(range(len(paths)))
    sample = {}  # status -> the first error body seen
    stop_at = time.monotonic() + max_seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                i = next(nxt, None)
            if i is None:
                break
            t0 = time.perf_counter()
            try:
                status, body = get(conn, paths[i])
            except (OSError, http.client.HTTPException):
                status, body = 0, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                if status != 200:
                    errors[status] += 1
                    sample.setdefault(status, body[:300].decode(errors="replace"))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in lat)
    return {"requests": len(ms), "errors": sum(errors.values()), "by_status": dict(errors),
            "sample": sample, "median_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))],
            "req_per_s": len(ms) / wall}


def boxes(extent, count: int, half: float, seed: int) -> list[str]:
    rng = np.random.default_rng(seed + 1)
    x0, y0, x1, y1 = extent
    cx, cy = rng.uniform(x0 + half, x1 - half, count), rng.uniform(y0 + half, y1 - half, count)
    return [f"{x - half:.5f},{y - half:.5f},{x + half:.5f},{y + half:.5f}"
            for x, y in zip(cx, cy, strict=True)]


def servers(a, folder: Path, gpkg: Path) -> dict:
    """name -> (start the server, items path); pygeoapi's port is fixed by its config."""
    ours = [sys.executable, "-c", OURS, str(gpkg)]
    port = free_port()
    out = {"geo-kttt": (lambda: start([*ours, str(port), str(a.threads)], dict(os.environ), port,
                                      folder / "geo-kttt.log"), f"/ogcapi/collections/{LAYER}/items")}
    if not a.skip_pygeoapi:
        pport, ppy = free_port(), baseline_python()
        penv = pygeoapi_config(folder, gpkg, pport, ppy)
        out["pygeoapi"] = (lambda: start([ppy, "-c", PYGEOAPI, str(pport), str(a.threads)], penv, pport,
                                         folder / "pygeoapi.log"), f"/collections/{LAYER}/items")
    return out


def report(a, results: dict, matched: dict, folder: Path) -> None:
    """Print the table, the baseline's errors and the cross-check of feature counts."""
    print(f"\n{a.clients} client threads, bbox {2 * a.half:.3f}° square, limit {a.limit}, "
          f"waitress threads {a.threads}, {os.cpu_count()} CPU cores\n")
    print(f"{'server':<10} {'requests':>8} {'errors':>6} {'median ms':>10} {'p95 ms':>8} {'req/s':>8}")
    for name, r in results.items():
        print(f"{name:<10} {r['requests']:>8} {r['errors']:>6} {r['median_ms']:>10.1f} "
              f"{r['p95_ms']:>8.1f} {r['req_per_s']:>8.1f}")
    for name, r in results.items():
        if r["errors"]:
            print(f"{name} errors by HTTP status (0 = connection error/timeout): {r['by_status']}")
            print(f"  first error bodies: {r['sample']}")
            log = (folder / f"{name}.log").read_text(errors="replace").splitlines()
            log = [x for x in log if "Error" in x or "error" in x]
            print(f"  last lines of the {name} log: {log[-3:]}")
    first = json.dumps({k: v[:5] for k, v in matched.items()})
    print(f"\nfeatures in the first 5 boxes (limit=10000): {first}")
    if "pygeoapi" in results:
        same = matched["geo-kttt"] == matched["pygeoapi"]
        print(f"same features counts on 10 boxes: {same}; throughput ratio geo-kttt/pygeoapi: "
              f"{results['geo-kttt']['req_per_s'] / results['pygeoapi']['req_per_s']:.1f}x")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--features", type=int, default=100_000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=2000, help="per server (bounded)")
    p.add_argument("--max-seconds", type=float, default=60, help="per server (bounded)")
    p.add_argument("--limit", type=int, default=100, help="items per page")
    p.add_argument("--half", type=float, default=0.025, help="half bbox side, degrees (~2.8 km)")
    p.add_argument("--threads", type=int, default=4, help="waitress threads per server (as geo-kttt serve)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--skip-pygeoapi", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ogcapi-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        gpkg = make_atlas(folder, a.features, a.seed)
        extent = open_atlas(gpkg).extent(LAYER)
        print(f"atlas with {a.features} synthetic features built in {time.perf_counter() - t0:.1f} s")
        bb = boxes(extent, a.requests, a.half, a.seed)
        results, matched = {}, {}
        for name, (launch, items) in servers(a, folder, gpkg).items():
            proc = launch()
            try:
                port = int(proc.args[-2])
                paths = [f"{items}?{urlencode({'bbox': b, 'limit': a.limit, 'f': 'json'})}" for b in bb]
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                full = [f"{items}?{urlencode({'bbox': b, 'limit': 10000, 'f': 'json'})}" for b in bb[:10]]
                matched[name] = [len(json.loads(get(conn, path)[1])["features"]) for path in full]
                conn.close()
                results[name] = drive(port, paths, a.clients, a.max_seconds)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        report(a, results, matched, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
