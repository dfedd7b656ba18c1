"""Serving through faults and rebuilds: a damaged atlas, a killed build, a rebuild while
requests run (server/atlas_state.py, store.Atlas)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import LAYERS, ROOT
from werkzeug.serving import make_server

from geo_kttt.server import create_app
from geo_kttt.store import AtlasUnreadable, build, open_atlas


def _serve_cli(atlas, timeout=90):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "geo_kttt.cli", "--atlas", str(atlas), "serve",
                           "--port", "0"], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "no metadata"])
def test_serve_refuses_to_start_on_a_damaged_atlas(damage, atlas_path, tmp_path):
    bad = tmp_path / "atlas.gpkg"
    data = atlas_path.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        bad.write_bytes(b"This is not a GeoPackage.\n" * 100)
    elif damage == "empty":
        bad.write_bytes(b"")
    else:
        bad.write_bytes(data)
        with sqlite3.connect(bad) as db:
            db.execute("DROP TABLE metadata")
    out = _serve_cli(bad)
    assert out.returncode == 2, out
    assert "cannot be read" in out.stderr and str(bad) in out.stderr
    assert "Serving" not in out.stdout and "Traceback" not in out.stderr


def test_serve_refuses_to_start_without_an_atlas(tmp_path):
    out = _serve_cli(tmp_path / "nothing.gpkg")
    assert out.returncode == 2 and "geo-kttt build" in out.stderr and "Serving" not in out.stdout


def test_open_atlas_says_why_it_cannot_read(atlas_path, tmp_path):
    bad = tmp_path / "a.gpkg"
    bad.write_bytes(atlas_path.read_bytes()[:4096])
    with pytest.raises(AtlasUnreadable, match="cannot be read"):
        open_atlas(bad)


def _replace(dest, data: bytes):
    """Put ``data`` at ``dest`` the way a build does (a new file, os.replace)."""
    tmp = dest.with_name(".swap")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def test_an_atlas_that_becomes_unreadable_gives_503_then_recovers(atlas_path, tmp_path):
    dest = tmp_path / "atlas.gpkg"
    shutil.copy(atlas_path, dest)
    client = create_app({"TESTING": True, "ATLAS": str(dest), "TILE_URL": "none"}).test_client()
    assert client.get("/").status_code == 200
    _replace(dest, b"SQLite format 3\x00" + b"\x00" * 300)
    page = client.get("/districts?lang=en")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] and "try again" in page.get_data(as_text=True).lower()
    assert str(dest) not in page.get_data(as_text=True)  # the reason goes to the log, not the page
    api = client.get("/api/sites.geojson")
    assert api.status_code == 503 and api.get_json()["status"] == 503
    ogc = client.get("/ogcapi/collections")
    assert ogc.status_code == 503 and ogc.get_json()["code"] == "ServiceUnavailable"
    with open(dest, "r+b") as fh:  # damaged in place (same file) rather than replaced
        fh.truncate(10)
    assert client.get("/report").status_code == 503
    _replace(dest, atlas_path.read_bytes())
    assert client.get("/districts").status_code == 200


def test_a_killed_build_leaves_nothing_behind(tmp_path, admin):
    dest = tmp_path / "atlas.gpkg"
    left = [tmp_path / ".atlas-k1ll3d00.gpkg", tmp_path / ".atlas-k1ll3d00.gpkg-journal",
            tmp_path / ".atlas-zz_9.gpkg"]
    for p in left:
        p.write_bytes(b"half a build")
    keep = [tmp_path / "atlas-notes.txt", tmp_path / ".other-k1ll3d00.gpkg"]
    for p in keep:
        p.write_text("not ours")
    build(LAYERS, admin, dest)
    assert not any(p.exists() for p in left)
    assert all(p.exists() for p in keep) and open_atlas(dest).catalog
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["atlas.gpkg", *(p.name for p in keep)])


# --- a rebuild while many requests run -------------------------------------------------------

NEW_SITE = ("waste-test-rebuild,Lò đốt thử nghiệm,Test incinerator,incinerator,,883,30280,planned,,,,,"
            "commune,,,false,false,,https://example.org/test,\n")
NONCE = re.compile(r' nonce="[^"]+"')


def _get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.headers.get("X-Atlas-Build"), r.read()


def _ids_of_sites(body) -> frozenset:
    return frozenset(f["properties"]["id"] for f in json.loads(body)["features"])


def _ogc_items(body) -> frozenset:
    doc = json.loads(body)
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])  # one build
    return frozenset(f["id"] for f in doc["features"])


BBOX_ITEMS = "/ogcapi/collections/waste_facilities/items?limit=1000&bbox=104,9.5,107,11.5"
CHECKS = {"/api/sites.geojson?layers=waste_facilities": _ids_of_sites,
          "/ogcapi/collections/waste_facilities/items?limit=1000": _ogc_items,
          BBOX_ITEMS: _ogc_items,  # from the in-memory point index, which follows the build
          "/districts": lambda body: NONCE.sub("", body.decode())}


@pytest.fixture()
def rebuild_server(tmp_path, admin):
    layers, dest = tmp_path / "layers", tmp_path / "atlas.gpkg"
    shutil.copytree(LAYERS, layers)
    build(layers, admin, dest)
    app = create_app({"ATLAS": str(dest), "TILE_URL": "none"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", layers, dest
    server.shutdown()


def test_a_rebuild_while_serving_switches_every_answer_at_once(rebuild_server, admin):
    base, layers, dest = rebuild_server
    old = {path: CHECKS[path](_get(base + path)[2]) for path in CHECKS}
    log, stop, failures = [], threading.Event(), []

    def client(path):
        while not stop.is_set():
            started = time.monotonic()
            try:
                status, version, body = _get(base + path)
                log.append((path, started, status, version, CHECKS[path](body)))
            except Exception as e:  # noqa: BLE001 - every failure is a test failure
                failures.append((path, repr(e)))

    threads = [threading.Thread(target=client, args=(p,)) for p in CHECKS for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    with open(layers / "waste_facilities.csv", "a", encoding="utf-8") as fh:
        fh.write(NEW_SITE)
    build(layers, admin, dest)
    built = time.monotonic()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    new = {path: CHECKS[path](_get(base + path)[2]) for path in CHECKS}
    new_version = _get(base + "/districts")[1]

    assert failures == []
    assert "waste-test-rebuild" in new["/api/sites.geojson?layers=waste_facilities"]
    assert new["/ogcapi/collections/waste_facilities/items?limit=1000"] == \
        old["/ogcapi/collections/waste_facilities/items?limit=1000"] | {"waste-test-rebuild"}
    assert new[BBOX_ITEMS] == old[BBOX_ITEMS] | {"waste-test-rebuild"}
    assert new["/districts"] != old["/districts"]
    after = [entry for entry in log if entry[1] > built]
    assert len(after) > 6 and len(log) > len(after)
    for path, started, status, version, answer in log:
        assert status == 200
        assert answer in (old[path], new[path]), f"{path} mixed two builds"
        if started > built:
            assert answer == new[path] and version == new_version, f"{path} still on the old build"


@pytest.mark.postgis
def test_a_postgis_atlas_switches_to_a_new_build_within_a_second(pg_url, admin, tmp_path):
    import sqlalchemy as sa

    from geo_kttt.server.atlas_state import AtlasHolder
    from geo_kttt.store.postgis import build_postgis

    name = "geo_kttt_rebuild_test"
    admin_engine = sa.create_engine(sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"),
                                    isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        layers = tmp_path / "layers"
        shutil.copytree(LAYERS, layers)
        build_postgis(layers, admin, url)
        holder = AtlasHolder(url)
        old = holder.current()
        assert "waste-test-rebuild" not in set(old.sites().id)
        with open(layers / "waste_facilities.csv", "a", encoding="utf-8") as fh:
            fh.write(NEW_SITE)
        build_postgis(layers, admin, url)
        old._checked = time.monotonic()  # just asked: the database is not asked again within a second
        assert holder.current() is old
        time.sleep(1.1)
        new = holder.current()
        assert new is not old and new.identity != old.identity
        assert "waste-test-rebuild" in set(new.sites().id)
        page = new.page("waste_facilities", limit=1000)
        assert page.matched == len(page.rows) == len(new.sites("waste_facilities"))
        assert "waste-test-rebuild" not in set(old.sites().id)  # the old build's tables stay as read
    finally:
        for atlas in (locals().get("old"), locals().get("new")):
            if atlas is not None:
                atlas.close()
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin_engine.dispose()
