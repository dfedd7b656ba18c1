"""Fixtures shared by the OGC API and PostGIS store tests: both backends, and live servers.

The PostGIS side needs GEO_KTTT_TEST_DATABASE_URL (scripts/test starts a throwaway cluster
with scripts/pg and sets it); without it, only the PostGIS cases skip.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from geo_kttt.store import open_atlas

LAYERS = Path(__file__).resolve().parents[1] / "layers"
BACKENDS = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("GEO_KTTT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("GEO_KTTT_TEST_DATABASE_URL is not set (scripts/test starts PostGIS and sets it)")
    return url


@pytest.fixture(scope="session")
def pg_atlas_url(pg_url, admin) -> str:
    """The atlas built into the test database once per session."""
    from geo_kttt.store.postgis import build_postgis

    build_postgis(LAYERS, admin, pg_url)
    return pg_url


@pytest.fixture(scope="session", params=BACKENDS)
def location(request, atlas_path) -> str:
    """Where the atlas is: the GeoPackage path, or the PostGIS URL."""
    if request.param == "gpkg":
        return str(atlas_path)
    return request.getfixturevalue("pg_atlas_url")


@pytest.fixture(scope="session")
def any_atlas(location):
    return open_atlas(location)


@contextlib.contextmanager
def serve(location: str):
    """The app over ``location`` on a free loopback port in a thread; yields its base URL."""
    from geo_kttt.server import create_app

    app = create_app({"ATLAS": location, "TILE_URL": "none"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # absolute links (OGC API)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app.config["PUBLIC_URL"]
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def live_any(location):
    """Base URL of a live app over either backend."""
    with serve(location) as url:
        yield url
