"""Fixtures of the editing tests: a private copy of the layers and atlas per test, people, the app.

Each test gets its own layers/, atlas.gpkg, SQLite database and evidence folder, so that
publishing never touches the repository's layers/ or the session atlas.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo_kttt.editing import accounts
from geo_kttt.editing.workspace import open_workspace
from geo_kttt.store import build

LAYERS = Path(__file__).resolve().parents[1] / "layers"
PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
SITE = ("solar_plants", "solar-binh-hoa")  # commune precision, commune 30607 (Bình Hòa, Châu Thành)
NEAR = (105.33858, 10.45029)  # ~400 m from the 30607 reference point, inside the commune
PEOPLE = {"con": ["contributor"], "rev": ["reviewer"], "rev2": ["reviewer"], "adm": ["admin"],
          "lim": ["contributor"]}


@pytest.fixture(scope="session")
def edit_template(admin, tmp_path_factory):
    """layers/ and its atlas, built once; tests copy them."""
    d = tmp_path_factory.mktemp("edit-template")
    shutil.copytree(LAYERS, d / "layers", ignore=shutil.ignore_patterns("changes.csv"))
    build(d / "layers", admin, d / "atlas.gpkg")
    return d


def _copy(edit_template, dest):
    shutil.copytree(edit_template / "layers", dest / "layers")
    shutil.copy(edit_template / "atlas.gpkg", dest / "atlas.gpkg")


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch):
    """argon2id with its smallest cost in tests (the real parameters are tested by argon2-cffi)."""
    import argon2

    quick = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", quick)


@pytest.fixture()
def ws(edit_template, tmp_path, data_dir):
    """A private workspace: layers, atlas, SQLite database and evidence folder in tmp_path."""
    _copy(edit_template, tmp_path)
    return open_workspace(layers_dir=tmp_path / "layers", data_dir=data_dir,
                          atlas=tmp_path / "atlas.gpkg", database_url=f"sqlite:///{tmp_path}/editing.sqlite",
                          evidence_dir=tmp_path / "evidence")


@pytest.fixture()
def pg_ws(pg_url, edit_template, tmp_path, data_dir):
    """The same with the editing tables and the atlas in a fresh PostgreSQL/PostGIS database."""
    from geo_kttt.store.postgis import build_postgis

    name = "edit_" + uuid.uuid4().hex[:10]
    admin_engine = sa.create_engine(sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg"),
                                    isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = str(sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False))
    _copy(edit_template, tmp_path)
    build_postgis(tmp_path / "layers", open_workspace(data_dir=data_dir).admin, url)
    w = open_workspace(layers_dir=tmp_path / "layers", data_dir=data_dir, atlas=url, database_url=url,
                       evidence_dir=tmp_path / "evidence")
    yield w
    w.engine.dispose()
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin_engine.dispose()


def make_people(w) -> dict:
    out = {name: accounts.add_user(w.engine, name, PASSWORD, roles, display_name=name.title(),
                                   districts=["883"] if name == "lim" else ())
           for name, roles in PEOPLE.items()}
    return out


@pytest.fixture()
def people(ws):
    return make_people(ws)


@pytest.fixture()
def edit_app(ws, people):
    from geo_kttt.server import create_app

    return create_app({"TESTING": True, "ATLAS": ws.atlas, "TILE_URL": "none", "SECRET_KEY": SECRET,
                       "LOGIN_DELAY_S": 0,
                       "LAYERS_DIR": str(ws.layers_dir), "DATA_DIR": str(ws.data_dir),
                       "EDITING_DATABASE_URL": ws.database_url, "EVIDENCE_DIR": str(ws.evidence_dir)})


@pytest.fixture()
def web(edit_app):
    return edit_app.test_client()


def csrf(client, url: str = "/login") -> str:
    """The CSRF token of the form at ``url``."""
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name: str, password: str = PASSWORD):
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf(client)})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    return r


def edit_form(**extra) -> dict:
    return {"position_method": "map", "lon": str(NEAR[0]), "lat": str(NEAR[1]), "precision_claim": "exact",
            "evidence_ref": "Công văn 123/UBND-KT", "evidence_url": "https://example.org/giay-phep"} | extra
