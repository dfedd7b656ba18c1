"""Benchmark: the map page at N sites (default 100,000) in headless Chromium, until clusters show.

Ours: a synthetic atlas through layers/ -> validate -> build, served by ``geo-kttt serve`` with
its defaults; the page asks for the clusters of the tiles in view (geo_kttt.maps.clusters).
Baseline, same run: plain folium with every point embedded in the page (``FastMarkerCluster``,
its fastest way to draw many markers: one JavaScript array, leaflet.markercluster in the
browser), assets from the same server. For each: bytes transferred until the first clusters
show, the time until then and the JavaScript heap (fresh browser context per run, cache
empty), plus the server's time for the page and one tile.

    python -m benchmarks.web [--sites 100000] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks import harness

OURS_VISIBLE = ("() => document.querySelector('.leaflet-marker-pane .site-cluster, "
                ".leaflet-marker-pane .site-marker')")
BASE_VISIBLE = "() => document.querySelector('.leaflet-marker-pane .marker-cluster')"


CENTRE_TILE = (9, 405, 241)  # the zoom-9 tile at the province's centre (105.2 E, 10.45 N)


def baseline_page(atlas_path: Path, folder: Path, assets_base: str) -> Path:
    """folium's FastMarkerCluster with every site embedded; its assets from ``assets_base``."""
    import folium
    from folium.plugins import FastMarkerCluster

    from geo_kttt.maps import assets
    from geo_kttt.store import open_atlas

    sites = open_atlas(atlas_path).sites()
    m = folium.Map(location=[10.45, 105.2], zoom_start=9, tiles=None)
    m.options["max_zoom"] = 19  # clustering needs it; folium sets it only with a tile layer
    points = list(zip(sites.geometry.y.round(6), sites.geometry.x.round(6), strict=True))
    # Leaflet's own marker icon (folium's default callback needs Awesome Markers and jQuery)
    FastMarkerCluster(points, callback="function (row) { return L.marker(new L.LatLng(row[0], row[1])); }") \
        .add_to(m)
    assets.localize(m, assets_base)
    page = folder / "baseline.html"
    m.save(str(page))
    return page


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def static_server(folder: Path):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def visit(browser, url: str, visible: str, timeout_s: float) -> dict:
    """Open ``url`` in a fresh context; bytes, seconds and JS heap when ``visible`` first holds."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Performance.enable")
    sizes, errors = {}, []
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_s * 1000, wait_until="commit")
    try:
        page.wait_for_function(visible, timeout=timeout_s * 1000, polling=20)
    except Exception as e:
        raise SystemExit(f"{url}: nothing visible within {timeout_s} s; page errors: {errors}") from e
    seconds = time.perf_counter() - t0
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    out = {"s": seconds, "bytes": sum(sizes.values()), "heap_mb": metrics.get("JSHeapUsedSize", 0) / 1e6,
           "requests": len(sizes)}
    context.close()
    return out


def timed_get(url: str, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as r:
            size = len(r.read())
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), size


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def standalone_file(atlas_path: Path, folder: Path) -> Path:
    """The standalone HTML map of the whole atlas (what `geo-kttt export html` writes)."""
    from geo_kttt.export.pack import standalone_html
    from geo_kttt.export.selection import Selection
    from geo_kttt.store import open_atlas

    return standalone_html(open_atlas(atlas_path), Selection(), folder / "standalone.html", lang="vi")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="page visits per page (median)")
    ap.add_argument("--quick", action="store_true", help="2,000 sites, one run (CI)")
    ap.add_argument("--no-baseline", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.sites, a.runs = 2000, 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        folder = Path(tmp)
        with harness.timer() as t:
            atlas = harness.synthetic_atlas(a.sites, folder)
        print(f"synthetic atlas: {a.sites:,} sites + the real ones, validated and built ({t():.1f} s)")
        port = harness.free_port()
        cmd = harness.serve_command(atlas, port)
        env = harness.child_env(GEO_KTTT_TILE_URL="none")
        with harness.timer() as t, harness.Server(cmd, port, env, folder / "serve.log", 900) as server:
            print(f"geo-kttt serve answered its first page after {t():.1f} s (start, read, index)")
            page_ms, page_size = timed_get(server.url + "/", 5)
            tile_ms, tile_size = timed_get(server.url + "/api/clusters/{}/{}/{}.json".format(*CENTRE_TILE), 5)
            base = None
            if not a.no_baseline:
                with harness.timer() as t:
                    page = baseline_page(atlas, folder, server.url + "/")
                print(f"baseline page built in {t():.1f} s ({page.stat().st_size / 1e6:.1f} MB)")
                static, static_url = static_server(folder)
            alone = alone_mb = alone_build = None
            if a.sites <= 200_000:  # the standalone target is for 100,000 sites
                with harness.timer() as t:
                    alone = standalone_file(atlas, folder)
                alone_build, alone_mb = t(), alone.stat().st_size / 1e6
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS)
                ours = [visit(browser, server.url + "/", OURS_VISIBLE, 120) for _ in range(a.runs)]
                print(f"geo-kttt page visits: {ours}", flush=True)
                offline = [visit(browser, alone.as_uri(), OURS_VISIBLE, 300) for _ in range(a.runs)] \
                    if alone else None
                if not a.no_baseline:
                    base = [visit(browser, static_url + "/baseline.html", BASE_VISIBLE, 900)
                            for _ in range(a.runs)]
                    for r in base:
                        r["page_mb"] = page.stat().st_size / 1e6
                    print(f"baseline page visits: {base}", flush=True)
                browser.close()
            if not a.no_baseline:
                static.shutdown()
    big = a.sites >= 500_000
    table = harness.Table(f"Map page at {a.sites:,} synthetic sites, Chromium 1366x768, until clusters show"
                          f" (median of {a.runs})", "geo-kttt", "folium FastMarkerCluster")
    b = (lambda k: median(base, k)) if base else (lambda k: None)
    table.add("until clusters show", median(ours, "s"), b("s"), "s", "<= 2 s" if big else "<= 1.0 s")
    table.add("transferred", median(ours, "bytes") / 1e6, b("bytes") and b("bytes") / 1e6, "MB",
              "<= 2 MB" if big else "<= 1 MB")
    table.add("JS heap", median(ours, "heap_mb"), b("heap_mb"), "MB")
    table.add("requests", median(ours, "requests"), b("requests"), "")
    if alone_mb:
        table.add("standalone HTML file (one offline file)", alone_mb, b("page_mb"), "MB", "<= 5 MB")
        table.add("standalone: until clusters show (file://)", median(offline, "s"), b("s"), "s")
    table.print()
    if alone_mb:
        print(f"standalone HTML written in {alone_build:.1f} s; the baseline's page is "
              f"{b('page_mb') or 0:.1f} MB without its scripts (they load from the server)")
    print(f"server, median of 5: page {page_ms:.0f} ms ({page_size / 1024:.0f} KB), "
          f"one tile at zoom 9 {tile_ms:.1f} ms ({tile_size / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
