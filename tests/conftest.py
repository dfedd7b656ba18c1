"""Shared fixtures: the reference data, a real atlas built once, the app and a live server."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from geo_kttt.admin import load_admin
from geo_kttt.store import build, open_atlas

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots for people to look at (git-ignored)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
pytest_plugins = ["ogc_fixtures"]  # both backends (GeoPackage, PostGIS) for the API and store tests


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = Path(os.environ.get("GEO_KTTT_DATA_DIR") or ROOT.parent / "shared" / "data")
    if not (d / "boundaries").is_dir():
        pytest.fail(f"reference data not found at {d}; set GEO_KTTT_DATA_DIR")
    return d


@pytest.fixture(scope="session")
def admin(data_dir):
    return load_admin(data_dir)


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
