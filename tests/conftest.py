"""Shared fixtures: the reference data, a real atlas built once, the app and a live server."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from geo_kttt.admin import BUNDLED, load_admin
from geo_kttt.store import build, open_atlas

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots for people to look at (git-ignored)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
NO_COMMUNE_POLYGONS = (
    "needs commune polygons, which are never bundled: the development-only "
    "boundaries/angiang_communes_c2008_dev_only.geojson (or an imported communes_official.gpkg) in "
    "GEO_KTTT_DATA_DIR; `source scripts/env.sh` points it at ../shared/data when that exists")
pytest_plugins = ["ogc_fixtures",  # both backends (GeoPackage, PostGIS) for the API and store tests
                  "editing_fixtures"]  # private layers, atlas and database for the editing tests


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """GEO_KTTT_DATA_DIR when set (scripts/env.sh sets it to ../shared/data when that exists), else
    the reference data bundled in the package: every file of a data folder overrides its bundled copy."""
    d = os.environ.get("GEO_KTTT_DATA_DIR")
    if d and not (Path(d) / "boundaries").is_dir():
        pytest.fail(f"GEO_KTTT_DATA_DIR={d} has no boundaries/ folder")
    return Path(d) if d else BUNDLED


@pytest.fixture(scope="session")
def admin(data_dir):
    return load_admin(data_dir)


@pytest.fixture(scope="session")
def commune_polygons(admin):
    """The commune polygons; tests that need them skip when the data folder has none."""
    if admin.communes is None:
        pytest.skip(NO_COMMUNE_POLYGONS)
    return admin.communes


@pytest.fixture(scope="session")
def atlas_path(admin, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("atlas") / "atlas.gpkg"
    build(LAYERS, admin, path)
    return path


@pytest.fixture(scope="session")
def atlas(atlas_path):
    return open_atlas(atlas_path)


@pytest.fixture()
def app(atlas_path):
    from geo_kttt.server import create_app

    return create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none"})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (one per test module)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found; scripts/setup installs Debian's chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live_server(atlas_path):
    """The app served on a free loopback port in a thread; yields its base URL."""
    from geo_kttt.server import create_app

    app = create_app({"ATLAS": str(atlas_path), "TILE_URL": "none"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # absolute links (OGC API)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["PUBLIC_URL"]
    server.shutdown()
