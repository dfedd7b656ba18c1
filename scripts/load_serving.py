#!/usr/bin/env python
"""Load test of a real `geo-kttt serve` (waitress) on loopback: light pages, heavy exports and a
rebuild in the middle, bounded in time.

A built atlas in a temporary folder is served by `python -m geo_kttt.cli serve` on 127.0.0.1.
Light clients loop over the map, the province and district pages, the GeoJSON, search and
OGC API; heavy clients loop over investor packs and map sheets (a changing selection, so the
export pool works rather than only its cache). Half-way, a site is added to the layer file and
`geo-kttt build` replaces the atlas. Prints requests, errors, light p50/p95, the heavy answers
(done, refused with 503 by design), and whether every response that started after the build
finished came from the new atlas, with none mixing two builds. Exit 1 on any error, stale or
mixed answer.

    python scripts/load_serving.py            # ~45 s of load, under 60 s in all
    python scripts/load_serving.py --quick    # ~10 s of load (CI)

Needs the reference data (GEO_KTTT_DATA_DIR or ../shared/data), like the tests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only
NEW_ID = "waste-load-test-rebuild"
NEW_SITE = (f"{NEW_ID},Lò đốt thử tải,Load-test incinerator,incinerator,,883,30280,planned,,,,,commune,,,"
            "false,false,,https://example.org/load-test,\n")
SITES = "/api/sites.geojson?layers=waste_facilities"
ITEMS = "/ogcapi/collections/waste_facilities/items?limit=1000"
LIGHT = ["/", "/districts", "/districts/883", "/districts/890?lang=en", SITES, "/api/sites.geojson",
         ITEMS, "/ogcapi/collections", "/api/search?q=chau+doc", "/search?q=long+xuyen", "/report",
         "/new-communes", "/changes"]
DISTRICTS = ["883", "884", "886", "887", "888", "889", "890", "891", "892", "893", "894"]


def heavy_urls():
    """Packs and sheets over a changing selection (district, language, paper)."""
    i = 0
    while True:
        d = DISTRICTS[i % len(DISTRICTS)]
        yield f"/export/pack.zip?district={d}"
        yield f"/export/sheet.pdf?district={d}&sheet_lang={('vi', 'en', 'both')[i % 3]}&paper=A{3 + i % 2}"
        i += 1


class Log:
    """Every response: (kind, path, started, seconds, status, build id, new site seen, mixed)."""

    def __init__(self):
        self.rows, self.errors, self.lock, self.closed = [], [], threading.Lock(), False

    def add(self, *row):
        with self.lock:
            if not self.closed:  # an export still running when the load ended is not counted
                self.rows.append(row)

    def error(self, what):
        with self.lock:
            if not self.closed:
                self.errors.append(what)


def _content(path: str, body: bytes):
    """(new site seen?, mixed?) for the routes whose body shows the build; (None, False) else."""
    if path in (SITES, ITEMS):
        doc = json.loads(body)
        ids = {f["properties"]["id"] if path == SITES else f["id"] for f in doc["features"]}
        mixed = path == ITEMS and not doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])
        return NEW_ID in ids, mixed
    return None, False


def client(base_port: int, urls, kind: str, log: Log, stop: threading.Event):
    conn = http.client.HTTPConnection(HOST, base_port, timeout=120)
    for path in urls:
        if stop.is_set():
            break
        started = time.monotonic()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as e:
            log.error(f"{kind} {path}: {e!r}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, base_port, timeout=120)
            continue
        seconds = time.monotonic() - started
        if resp.status == 503 and kind == "heavy":
            log.add(kind, path, started, seconds, 503, resp.getheader("X-Atlas-Build"), None, False)
            stop.wait(min(1.0, float(resp.getheader("Retry-After") or 1)))
            continue
        if resp.status != 200:
            log.error(f"{kind} {path}: HTTP {resp.status}")
            continue
        kept = body if path in (SITES, ITEMS) else None  # read after the run: no parsing under load
        log.add(kind, path, started, seconds, resp.status, resp.getheader("X-Atlas-Build"), kept, False)
    conn.close()


def _cycle(items):
    while True:
        yield from items


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(load_s: float, rebuild_at: float, light: int, heavy: int, threads: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GEO_KTTT_TILE_URL": "none"}
    data = env.get("GEO_KTTT_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    env["GEO_KTTT_DATA_DIR"] = data
    with tempfile.TemporaryDirectory(prefix="geo-kttt-load-") as tmp:
        layers, atlas = Path(tmp) / "layers", Path(tmp) / "atlas.gpkg"
        shutil.copytree(ROOT / "layers", layers)
        base = [sys.executable, "-m", "geo_kttt.cli", "--layers-dir", str(layers), "--atlas", str(atlas)]
        subprocess.run([*base, "build"], env=env, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen([*base, "serve", "--host", HOST, "--port", str(port), "--threads",
                                   str(threads)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            _wait_up(port)
            return _measure(port, base, env, layers, load_s, rebuild_at, light, heavy, threads)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/districts")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def _measure(port, base, env, layers, load_s, rebuild_at, light, heavy, threads) -> int:
    log, stop = Log(), threading.Event()
    workers = [threading.Thread(target=client, args=(port, _cycle(LIGHT[i::light] + LIGHT), "light", log,
                                                     stop), name=f"light-{i}", daemon=True)
               for i in range(light)]
    workers += [threading.Thread(target=client, args=(port, _skip(heavy_urls(), i), "heavy", log, stop),
                                 name=f"heavy-{i}", daemon=True) for i in range(heavy)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(rebuild_at)
    with open(layers / "waste_facilities.csv", "a", encoding="utf-8") as fh:
        fh.write(NEW_SITE)
    rebuild_started = time.monotonic()
    subprocess.run([*base, "build"], env=env, check=True, capture_output=True)
    built = time.monotonic()
    time.sleep(max(0.0, t0 + load_s - time.monotonic(), 2.0 if load_s < 20 else 5.0))
    stop.set()
    ended = time.monotonic()
    for w in workers:
        w.join(timeout=30 if w.name.startswith("light") else 1)
    with log.lock:
        log.closed = True
    return _report(log, t0, rebuild_started, built, ended, light, heavy, threads)


def _skip(gen, n):
    for _ in range(n * 3):
        next(gen)
    return gen


def _report(log: Log, t0, rebuild_started, built, t1, light, heavy, threads) -> int:
    rows = [(*r[:6], *_content(r[1], r[6])) if r[6] is not None else r for r in log.rows]
    light_s = sorted(r[3] for r in rows if r[0] == "light")
    done = [r for r in rows if r[0] == "heavy" and r[4] == 200]
    refused = [r for r in rows if r[0] == "heavy" and r[4] == 503]
    new_builds = {r[5] for r in rows if r[6] is True}
    old_builds = {r[5] for r in rows if r[6] is False}
    after = [r for r in rows if r[2] > built and r[4] == 200]
    stale = [r for r in after if r[5] not in new_builds or r[6] is False]
    mixed = [r for r in rows if r[7] or (r[6] is True and r[5] in old_builds)
             or (r[6] is False and r[5] in new_builds)]
    during = [r[3] for r in rows if r[0] == "light" and rebuild_started <= r[2] <= built]
    q = statistics.quantiles(light_s, n=100) if len(light_s) > 1 else [float("nan")] * 99
    print(f"geo-kttt serve (waitress, {threads} threads) on {HOST}, {light} light + {heavy} heavy clients, "
          f"{t1 - t0:.1f} s of load; rebuild {rebuild_started - t0:.1f}-{built - t0:.1f} s")
    print(f"requests: {len(rows) + len(log.errors)}  errors: {len(log.errors)}")
    print(f"light: {len(light_s)} requests, p50 {1000 * statistics.median(light_s):.0f} ms, "
          f"p95 {1000 * q[94]:.0f} ms, max {1000 * light_s[-1]:.0f} ms"
          + (f" (during the rebuild: {len(during)} requests, max {1000 * max(during):.0f} ms)"
             if during else ""))
    print(f"heavy: {len(done)} exports answered (200), {len(refused)} refused with 503 + Retry-After "
          "(queue full)")
    print(f"after the rebuild: {len(after)} responses, {len(after) - len(stale)} from the new atlas, "
          f"{len(stale)} stale; mixed answers: {len(mixed)}; builds seen: old {len(old_builds)}, "
          f"new {len(new_builds)}")
    slow = sorted((r for r in rows if r[0] == "light"), key=lambda r: -r[3])[:5]
    print("slowest light: " + ", ".join(f"{r[1]} at {r[2] - t0:.1f} s: {1000 * r[3]:.0f} ms" for r in slow))
    if os.environ.get("LOAD_ROUTES"):
        for path in LIGHT:
            t = sorted(r[3] for r in rows if r[0] == "light" and r[1] == path)
            if len(t) > 1:
                print(f"  {path:55s} n={len(t):4d} p50 {1000 * statistics.median(t):5.0f} ms "
                      f"p95 {1000 * statistics.quantiles(t, n=20)[18]:5.0f} ms")
    for e in log.errors[:10]:
        print(f"  error: {e}")
    ok = not log.errors and not stale and not mixed and new_builds and after
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="about 10 s of load (CI)")
    p.add_argument("--light", type=int, default=4, help="light clients (default 4)")
    p.add_argument("--heavy", type=int, default=4, help="heavy clients (default 4)")
    p.add_argument("--threads", type=int, default=8, help="server threads (default 8, as geo-kttt serve)")
    a = p.parse_args(argv)
    load_s, rebuild_at = (10.0, 2.0) if a.quick else (42.0, 15.0)
    return run(load_s, rebuild_at, a.light, a.heavy, a.threads)


if __name__ == "__main__":
    sys.exit(main())
