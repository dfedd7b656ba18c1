"""Benchmark: OGC API items with town-sized bboxes, `geo-kttt serve` defaults vs pygeoapi at its best.

The atlas is built through the harness with N synthetic features in one layer (default
100,000). Ours: ``geo-kttt serve`` exactly as a user starts it (its defaults: gunicorn
worker processes on Linux). Baseline, same run, same GeoPackage: pygeoapi (the ``bench``
extra's version) with its **OGR** provider (GDAL's Python bindings: Debian's python3-gdal in
a venv made with ``--system-site-packages``, ``.venv/pygeoapi-ogr``, made on first use)
behind gunicorn worker processes, as its documentation recommends for production; it is
tried with 2 and with as many workers as ours, and the better is the baseline. Each server
gets the same requests (bbox 0.05° ≈ 5.5 km square, ``limit=100``) from ``--clients``
keep-alive threads, bounded in count and time; both must return the same features.

    python -m benchmarks.ogcapi [--features 100000] [--clients 8] [--requests 3000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import yaml

from benchmarks import harness

LAYER = "waste_facilities"  # the synthetic features all go into this collection
VENV = harness.ROOT / ".venv" / "pygeoapi-ogr"


def boxes(extent, count: int, half: float, seed: int) -> list[str]:
    rng = np.random.default_rng(seed + 1)
    x0, y0, x1, y1 = extent
    cx, cy = rng.uniform(x0 + half, x1 - half, count), rng.uniform(y0 + half, y1 - half, count)
    return [f"{x - half:.5f},{y - half:.5f},{x + half:.5f},{y + half:.5f}"
            for x, y in zip(cx, cy, strict=True)]


def pygeoapi_python() -> Path:
    """Debian's Python with its GDAL bindings, in a venv with pygeoapi and gunicorn (made once)."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print("making the pygeoapi baseline venv (Debian python3 + python3-gdal) …", flush=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(harness.ROOT / "constraints.txt"),
                        "pygeoapi", "gunicorn"], check=True)
    subprocess.run([str(py), "-c", "from osgeo import ogr; import pygeoapi, gunicorn"], check=True)
    return py


def pygeoapi_config(folder: Path, gpkg: Path, port: int, py: Path) -> dict:
    """A pygeoapi configuration serving LAYER of ``gpkg`` through its OGR provider."""
    url = f"http://127.0.0.1:{port}"
    contact = {k: "bench" for k in ("name", "position", "address", "city", "stateorprovince",
                                    "postalcode", "country", "phone", "fax", "email", "url", "hours",
                                    "instructions", "role")}
    cfg = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US"], "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "none", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "url": url, "terms_of_service": url},
                     "license": {"name": "CC-BY 4.0", "url": url}, "provider": {"name": "bench", "url": url},
                     "contact": contact},
        "resources": {LAYER: {
            "type": "collection", "title": "Synthetic", "description": "Synthetic benchmark points",
            "keywords": ["bench"], "links": [],
            "extents": {"spatial": {"bbox": [104.7, 10.1, 105.6, 11.0],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "OGR", "id_field": "id", "layer": LAYER,
                           "data": {"source_type": "GPKG", "source": str(gpkg),
                                    "source_srs": "EPSG:4326", "target_srs": "EPSG:4326",
                                    "source_capabilities": {"paging": True}}}]}},
    }
    cfg_path, oas = folder / "pygeoapi.yml", folder / "pygeoapi-openapi.yml"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg_path), "PYGEOAPI_OPENAPI": str(oas)}
    env.pop("PYTHONPATH", None)
    out = subprocess.run([str(py.with_name("pygeoapi")), "openapi", "generate", str(cfg_path),
                          "--output-file", str(oas)], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"pygeoapi openapi generate failed: {out.stderr[-2000:]}")
    return env


def pygeoapi_server(folder: Path, gpkg: Path, workers: int) -> harness.Server:
    py, port = pygeoapi_python(), harness.free_port()
    env = pygeoapi_config(folder, gpkg, port, py)
    cmd = [str(py.with_name("gunicorn")), "pygeoapi.flask_app:APP", "--workers", str(workers),
           "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return harness.Server(cmd, port, env, folder / f"pygeoapi-{workers}.log", ready_path="/collections")


def run(server: harness.Server, items: str, bb: list[str], a) -> tuple[dict, list[int]]:
    """Check 10 boxes in full (feature ids), then the load; returns (figures, matched counts)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    matched = []
    for b in bb[:10]:
        status, body = harness.get(conn, f"{items}?{urlencode({'bbox': b, 'limit': 10000, 'f': 'json'})}")
        feats = json.loads(body)["features"]
        matched.append(sorted(str(f.get("id", f["properties"].get("id"))) for f in feats))
    conn.close()
    paths = [f"{items}?{urlencode({'bbox': b, 'limit': a.limit, 'f': 'json'})}" for b in bb]
    harness.drive(server.port, paths[:200], a.clients, 30)  # warm every worker
    return harness.drive(server.port, paths, a.clients, a.max_seconds), matched


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=3000, help="per server (bounded)")
    ap.add_argument("--max-seconds", type=float, default=60, help="per server (bounded)")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--half", type=float, default=0.025, help="half bbox side, degrees (~2.8 km)")
    ap.add_argument("--serve", nargs=argparse.REMAINDER, default=[], help="extra `geo-kttt serve` options")
    ap.add_argument("--skip-pygeoapi", action="store_true")
    ap.add_argument("--quick", action="store_true", help="2,000 features, 300 requests (CI)")
    a = ap.parse_args(argv)
    if a.quick:
        a.features, a.requests, a.max_seconds = 2000, 300, 20
    with tempfile.TemporaryDirectory(prefix="bench-ogcapi-") as tmp:
        folder = Path(tmp)
        with harness.timer() as t:
            gpkg = harness.synthetic_atlas(a.features, folder, only=LAYER)
        print(f"atlas with {a.features:,} synthetic features in {LAYER} ({t():.1f} s)", flush=True)
        from geo_kttt.store import open_atlas

        bb = boxes(open_atlas(gpkg).extent(LAYER), a.requests, a.half, 7)
        port = harness.free_port()
        ours_cmd = harness.serve_command(gpkg, port, *a.serve)
        with harness.Server(ours_cmd, port, harness.child_env(GEO_KTTT_TILE_URL="none"),
                            folder / "geo-kttt.log", 300) as server:
            ours, ours_ids = run(server, f"/ogcapi/collections/{LAYER}/items", bb, a)
        print(f"geo-kttt serve {' '.join(a.serve) or '(defaults)'}: {_line(ours)}", flush=True)
        best, base_ids, label = None, None, "pygeoapi OGR + gunicorn"
        if not a.skip_pygeoapi:
            workers = harness.default_workers()
            for w in [2] if a.quick else sorted({2, workers}):
                with pygeoapi_server(folder, gpkg, w) as server:
                    res, base_ids = run(server, f"/collections/{LAYER}/items", bb, a)
                print(f"pygeoapi OGR, gunicorn {w} workers: {_line(res)}", flush=True)
                res["workers"] = w
                if best is None or res["req_per_s"] > best["req_per_s"]:
                    best = res
            label = f"pygeoapi OGR + gunicorn {best['workers']}w"
    table = harness.Table(f"OGC API items, {a.features:,} features, {a.clients} clients, bbox {2 * a.half}°, "
                          f"limit {a.limit}", "geo-kttt serve", label)
    b = (lambda k: best[k]) if best else (lambda k: None)
    table.add("p95 latency", ours["p95_ms"], b("p95_ms"), "ms", "<= 25 ms")
    table.add("median latency", ours["median_ms"], b("median_ms"), "ms")
    table.add("throughput", ours["req_per_s"], b("req_per_s"), "req/s", ">= 400", better="higher")
    table.add("requests answered (bounded)", ours["requests"], b("requests"), "", better="higher")
    table.add("errors", ours["errors"], b("errors"), "", "0")
    table.print()
    if base_ids is not None:
        print(f"same features in 10 full boxes: {ours_ids == base_ids} "
              f"(ours {[len(x) for x in ours_ids]}, pygeoapi {[len(x) for x in base_ids]})")
    return 0 if ours["errors"] == 0 else 1


def _line(r: dict) -> str:
    return (f"{r['requests']} requests, {r['errors']} errors, median {r['median_ms']:.1f} ms, "
            f"p95 {r['p95_ms']:.1f} ms, {r['req_per_s']:.0f} req/s (load {r['load']})")


if __name__ == "__main__":
    sys.exit(main())
