"""One error base: every error class derives from AtlasError; one handler in the app, one in the CLI."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import geo_kttt
from geo_kttt import cli, errors
from geo_kttt.errors import AtlasError
from geo_kttt.export.selection import ExportError
from geo_kttt.ogcapi import ApiError
from geo_kttt.server import create_app
from geo_kttt.store import open_atlas
from geo_kttt.store import postgis as postgis_store
from geo_kttt.store.base import AtlasMissing
from geo_kttt.validate import ValidationFailed


def _error_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(geo_kttt.__path__, "geo_kttt."):
        if info.name.endswith("__main__"):
            continue  # running it is the CLI itself
        module = importlib.import_module(info.name)
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, BaseException) and c.__module__ == info.name]
    return found


def test_every_error_class_derives_from_atlas_error_and_is_listed():
    classes = _error_classes()
    names = {c.__name__ for c in classes}
    assert len(classes) >= 12 and {"CatalogError", "ApiError", "ExportError", "ImportFailed"} <= names
    assert [c for c in classes if not issubclass(c, AtlasError)] == []
    assert [n for n in names - {"AtlasError"} if f"``{n}``" not in errors.__doc__] == []


def test_errors_keep_their_builtin_bases():
    assert issubclass(ExportError, ValueError) and issubclass(AtlasMissing, FileNotFoundError)
    assert ExportError.http_status == 400 and AtlasMissing.http_status == 503
    assert ValidationFailed.exit_code == 1 and AtlasError.exit_code == 2
    assert ApiError(404, "NotFound", "x").http_status == 404


@pytest.fixture()
def failing_app(atlas_path):
    app = create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none"})

    def boom():
        raise ExportError("district '999' is not a district code")

    def api_boom():
        raise ApiError(400, "InvalidParameterValue", "limit must be a number")

    for rule in ("/boom", "/api/boom", "/ogcapi/boom"):
        app.add_url_rule(rule, rule, boom)
    app.add_url_rule("/ogcapi/api-boom", "api-boom", api_boom)
    return app.test_client()


def test_one_handler_answers_html_json_and_ogc_json(failing_app):
    page = failing_app.get("/boom")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "district &#39;999&#39; is not a district code" in page.get_data(as_text=True)
    api = failing_app.get("/api/boom")
    assert api.status_code == 400 and api.get_json() == {
        "status": 400, "error": "Bad Request", "message": "district '999' is not a district code"}
    ogc = failing_app.get("/ogcapi/boom")
    assert ogc.status_code == 400 and ogc.get_json() == {
        "code": "BadRequest", "description": "district '999' is not a district code"}
    own = failing_app.get("/ogcapi/api-boom")
    assert own.status_code == 400 and own.get_json()["code"] == "InvalidParameterValue"


def test_no_atlas_is_a_503_page(tmp_path):
    app = create_app({"TESTING": True, "ATLAS": str(tmp_path / "none.gpkg"), "TILE_URL": "none"})
    r = app.test_client().get("/districts")
    assert r.status_code == 503 and "geo-kttt build" in r.get_data(as_text=True)


def test_the_cli_prints_the_message_and_exits_with_the_code(capsys, monkeypatch, tmp_path):
    assert cli.main(["--lang", "en", "--atlas", str(tmp_path / "none.gpkg"), "summary"]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("error: No atlas at") and "Traceback" not in out.err and out.out == ""
    assert cli.main(["--atlas", str(tmp_path / "none.gpkg"), "summary"]) == 2  # Vietnamese by default
    assert capsys.readouterr().err.startswith("lỗi: Không có atlas ở")

    class Odd(AtlasError):
        exit_code, note = 7, "Nothing was touched."

    def fail(args):
        raise Odd("it went wrong")

    monkeypatch.setattr(cli.atlas, "cmd_validate", fail)
    assert cli.main(["--lang", "en", "validate"]) == 7
    assert capsys.readouterr().err == "error: it went wrong\nNothing was touched.\n"


def test_postgis_without_its_extra_says_what_to_install(monkeypatch):
    monkeypatch.setattr(postgis_store, "sa", None)
    with pytest.raises(postgis_store.PostgisMissing, match=r"geo-kttt\[postgis\]") as e:
        open_atlas("postgresql://nobody@localhost/nothing")
    assert isinstance(e.value, AtlasError) and isinstance(e.value, ImportError)
