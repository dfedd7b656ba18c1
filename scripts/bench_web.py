#!/usr/bin/env python
"""Benchmark the web map at scale: a synthetic atlas of N sites (default 100,000).

Prints, for the atlas map page (sites from /api/sites.geojson, clustered) and, in the same
run, for plain folium with every feature embedded (MarkerCluster + one Marker with a tooltip per site):
page HTML size, server time (median of repeated requests; folium: build + render) and the
time until clustered markers are visible in headless Chromium.

    python scripts/bench_web.py [--sites 100000] [--repeat 15] [--no-baseline]

The synthetic sites are random points inside the province, labelled "Synthetic site N";
they exist only in a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_kttt import settings  # noqa: E402
from geo_kttt.admin import load_admin  # noqa: E402
from geo_kttt.maps import assets  # noqa: E402
from geo_kttt.store import build, open_atlas  # noqa: E402
from geo_kttt.store.base import SITE_COLUMNS, TABLES  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
VISIBLE = ("() => document.querySelectorAll('.leaflet-marker-pane .marker-cluster, "
           ".leaflet-marker-pane .site-cluster').length > 0")


def synthetic_atlas(n: int, folder: Path) -> Path:
    """Build the real atlas, then replace its site tables by ``n`` random sites in the province."""
    real = folder / "real.gpkg"
    admin = load_admin(settings.get("DATA_DIR"))
    build(ROOT / "layers", admin, real)
    atlas = open_atlas(real)
    template = atlas.sites()
    rng = np.random.default_rng(42)
    districts = atlas.districts()[["code", "geometry"]]
    w, s, e, nn = districts.total_bounds
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(w, e, n * 4), rng.uniform(s, nn, n * 4)),
                           crs=4326)
    pts = gpd.sjoin(pts, districts, predicate="within")
    pts = pts[~pts.index.duplicated()].iloc[:n]
    if len(pts) < n:
        raise SystemExit(f"only {len(pts)} random points fell inside the province; try again")
    layers = list(atlas.catalog)
    dest = folder / "synthetic.gpkg"
    for name in TABLES:
        df = atlas.table(name) if name not in ("districts", "communes") else getattr(atlas, name)()
        if df is not None:
            pyogrio.write_dataframe(df if isinstance(df, gpd.GeoDataFrame) else df.astype(str), dest,
                                    layer=name, driver="GPKG", append=dest.exists())
    rows = template.iloc[rng.integers(0, len(template), len(pts))].reset_index(drop=True)
    rows["id"] = [f"synthetic-{i}" for i in range(len(pts))]
    rows["name_vi"] = [f"Điểm giả lập {i}" for i in range(len(pts))]
    rows["name_en"] = [f"Synthetic site {i}" for i in range(len(pts))]
    rows["layer"] = [layers[i % len(layers)] for i in range(len(pts))]
    rows["district_code"] = pts["code"].to_numpy()
    rows["geometry"] = pts.geometry.to_numpy()
    rows["lon"], rows["lat"] = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    rows = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    for lid in layers:
        part = rows[rows.layer == lid][SITE_COLUMNS + ["geometry"]]
        pyogrio.write_dataframe(part, dest, layer=lid, driver="GPKG", append=True)
    return dest


def baseline_html(atlas, base: str) -> tuple[str, float]:
    """Plain folium: every site a Marker with a tooltip in one MarkerCluster; assets made local.

    (folium's popups need jQuery, which the atlas does not ship; tooltips carry the name.)
    """
    import folium
    from folium.plugins import MarkerCluster

    t0 = time.perf_counter()
    m = folium.Map(location=[10.45, 105.2], zoom_start=9, tiles=None)
    m.options["max_zoom"] = 19  # clustering needs it; folium sets it only with a tile layer
    cluster = MarkerCluster().add_to(m)
    for r in atlas.sites().itertuples():
        folium.Marker([r.geometry.y, r.geometry.x], tooltip=r.name_en).add_to(cluster)
    assets.localize(m, base)
    html = m.get_root().render()
    return html, time.perf_counter() - t0


def serve(app):
    WSGIRequestHandler.log_request = lambda *a, **k: None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def median_ms(client, url: str, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        size = len(r.data)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(times), size


def visible_s(browser, url: str, timeout_s: float) -> float:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_s * 1000, wait_until="commit")
    try:
        page.wait_for_function(VISIBLE, timeout=timeout_s * 1000, polling=50)
    except Exception as e:
        raise SystemExit(f"{url}: no clustered marker within {timeout_s} s; page errors: {errors}") from e
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from geo_kttt.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = synthetic_atlas(args.sites, Path(tmp))
        print(f"synthetic atlas: {args.sites:,} sites ({time.perf_counter() - t0:.1f} s to build)")
        app = create_app({"ATLAS": str(path), "TILE_URL": "none"})
        held = {}
        app.add_url_rule("/bench/baseline", "bench_baseline",
                         lambda: (held["html"], 200, {"Content-Security-Policy": "default-src 'self' "
                                                      "'unsafe-inline'; img-src 'self' data:"}))
        client = app.test_client()
        t0 = time.perf_counter()
        client.get("/api/sites.geojson")  # first request reads the atlas and builds the caches
        print(f"first GeoJSON request (cold caches): {time.perf_counter() - t0:.2f} s")
        page_ms, page_size = median_ms(client, "/", args.repeat)
        api_ms, api_size = median_ms(client, "/api/sites.geojson", max(3, args.repeat // 3))
        server, base = serve(app)
        baseline = None
        if not args.no_baseline:
            with app.app_context():
                from geo_kttt.server.common import get_atlas

                held["html"], build_s = baseline_html(get_atlas(), base + "/")
            baseline = (len(held["html"].encode()), build_s * 1000)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ours = statistics.median(visible_s(browser, base + "/", 60) for _ in range(3))
            theirs = visible_s(browser, base + "/bench/baseline", 600) if baseline else None
            browser.close()
        server.shutdown()
    print(f"\n{'':34}{'atlas (GeoJSON + clusters)':>28}{'plain folium, embedded':>26}")
    print(f"{'page HTML':34}{page_size / 1024:>25,.0f} KB"
          + (f"{baseline[0] / 1024:>23,.0f} KB" if baseline else ""))
    print(f"{'server time, median':34}{page_ms:>25,.0f} ms"
          + (f"{baseline[1]:>23,.0f} ms" if baseline else ""))
    print(f"{'markers visible in Chromium':34}{ours:>26.2f} s" + (f"{theirs:>24.2f} s" if baseline else ""))
    print(f"{'GeoJSON endpoint, median':34}{api_ms:>25,.0f} ms  ({api_size / 1e6:.1f} MB)")
    print("\ntargets at 100,000 sites: page HTML <= 500 KB, server time <= 300 ms, visible <= 3 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
