"""Heavy exports run in a bounded process pool with a cache (server/heavy.py); no timings here."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from geo_kttt.server import create_app
from geo_kttt.server.heavy import HeavyPool, pool_for


@pytest.fixture()
def heavy_app(atlas_path, tmp_path):
    """An app over a copy of the atlas (so the test can 'rebuild' it), with its own pool."""
    dest = tmp_path / "atlas.gpkg"
    shutil.copy(atlas_path, dest)
    return create_app({"TESTING": True, "ATLAS": str(dest), "TILE_URL": "none",
                       "HEAVY_WORKERS": "1", "HEAVY_QUEUE": "0", "HEAVY_CACHE_MB": "16"})


def test_answers_are_cached_per_build_and_selection(heavy_app):
    client, pool = heavy_app.test_client(), pool_for(heavy_app)
    first = client.get("/export/data.csv?district=884&layers=solar_plants,waste_facilities")
    assert first.status_code == 200 and first.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert first.headers["Content-Disposition"].startswith("attachment;")
    again = client.get("/export/data.csv?layers=solar_plants,waste_facilities&district=884")
    assert again.data == first.data and (pool.computed, pool.hits) == (1, 1)
    assert client.get("/export/data.csv?district=884&lang=en").status_code == 200
    assert pool.computed == 2  # another selection (language) is another answer
    bad = client.get("/export/data.csv?district=../../etc")  # answered by the worker, not cached
    assert bad.status_code == 400 and client.get("/export/data.csv?district=../../etc").status_code == 400
    assert pool.computed == 4

    dest = heavy_app.config["ATLAS"]  # a new build (a new file at the path) is a new key
    shutil.copy(dest, dest + ".new")
    os.replace(dest + ".new", dest)
    rebuilt = client.get("/export/data.csv?district=884&layers=solar_plants,waste_facilities")
    assert rebuilt.status_code == 200 and pool.computed == 5
    assert rebuilt.headers["X-Atlas-Build"] != first.headers["X-Atlas-Build"]


def test_beyond_the_queue_an_export_gets_503_with_retry_after(heavy_app):
    client, pool = heavy_app.test_client(), pool_for(heavy_app)
    results = {}
    slow = threading.Thread(target=lambda: results.update(
        sheet=heavy_app.test_client().get("/export/sheet.pdf?district=891&paper=A3")))
    slow.start()
    deadline = time.monotonic() + 120
    while pool.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.waiting == 1  # the one worker is taken and the queue (0) is full
    busy = client.get("/export/pack.zip?district=886")
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
    assert "try again" in client.get("/export/map.html?lang=en").get_data(as_text=True)
    assert client.get("/districts").status_code == 200  # light pages do not queue behind exports
    assert client.get("/export/data.csv?district=884").status_code in (200, 503)  # cached or refused
    slow.join(timeout=300)
    assert results["sheet"].status_code == 200 and results["sheet"].data.startswith(b"%PDF")
    assert pool.refused >= 2 and pool.waiting == 0
    assert client.get("/export/pack.zip?district=886").status_code == 200  # the queue has room again


def test_the_cache_keeps_to_its_size(atlas_path):
    pool = HeavyPool({"HEAVY_WORKERS": 1, "HEAVY_QUEUE": 0, "HEAVY_CACHE_MB": 1 / 1024}, create_app)
    for i in range(30):
        pool._store(("build", f"/export/{i}", (), "vi", False), (200, [], b"x" * 100))
        assert pool._cached <= 1024
    assert len(pool._cache) == 10 and ("build", "/export/29", (), "vi", False) in pool._cache
    pool._store(("build", "/export/big", (), "vi", False), (200, [], b"x" * 2000))  # larger than it all
    assert ("build", "/export/big", (), "vi", False) not in pool._cache and pool._cached == 1000
