"""A built wheel holds every template and static file, and the app reads only package files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

from geo_kttt.export import standalone
from geo_kttt.maps import assets
from geo_kttt.server import create_app
from geo_kttt.web import ROOT as WEB
from geo_kttt.web import STATIC, TEMPLATES

WEB_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (TEMPLATES, STATIC)
                   for p in p.rglob("*") if p.is_file())


def test_web_files_are_all_inside_the_package():
    assert WEB == ROOT / "geo_kttt" / "web"
    assert sum(f.endswith(".html") for f in WEB_FILES) >= 15
    assert {"geo_kttt/web/static/js/atlas.js", "geo_kttt/web/static/css/site.css",
            "geo_kttt/web/static/img/icons.svg",
            "geo_kttt/web/static/vendor/leaflet/dist/leaflet.js"} <= set(WEB_FILES)


def test_the_app_and_the_exports_read_only_package_files():
    app = create_app({"TESTING": True, "TILE_URL": "none"})
    assert Path(app.template_folder) == TEMPLATES and Path(app.static_folder) == STATIC
    assert {bp.template_folder for bp in app.blueprints.values()} == {None}
    assert standalone.TEMPLATES == TEMPLATES
    for rel in filter(None, assets.LOCAL.values()):
        assert assets.file_for(rel).is_relative_to(STATIC), rel


def test_the_wheel_holds_every_module_template_and_static_file(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "geo_kttt", src / "geo_kttt", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(src)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("geo_kttt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "geo_kttt").rglob("*.py"))
    assert [f for f in modules + WEB_FILES if f not in names] == []
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "geo-kttt = geo_kttt.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
