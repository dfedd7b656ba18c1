"""The vendored Leaflet files: pinned by npm, copied by scripts/vendor, equal to node_modules."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from geo_kttt.maps import assets
from geo_kttt.web import STATIC, VENDOR

NODE_MODULES = ROOT / "web" / "node_modules"
PINNED = json.loads((ROOT / "web" / "package.json").read_text(encoding="utf-8"))["dependencies"]
VENDORED = sorted(p for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md")


def test_the_vendored_packages_are_the_pinned_ones():
    assert {p.relative_to(VENDOR).parts[0] for p in VENDORED} == set(PINNED) == set(assets.VENDOR_PACKAGES)
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert [f"{n} {v}" for n, v in PINNED.items() if f"{n} {v}" not in readme] == []
    for name in PINNED:  # each package's licence travels with its files
        assert any(p.stem.upper().startswith(("LICENSE", "MIT-LICENCE")) for p in (VENDOR / name).iterdir())


@pytest.mark.skipif(not NODE_MODULES.is_dir(), reason="web/node_modules is not installed (npm ci in web/); "
                    "the vendored copies cannot be compared with npm's")
def test_vendored_files_equal_node_modules():
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    for name in PINNED:
        installed = json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))["version"]
        assert installed == lock[f"node_modules/{name}"]["version"], f"{name}: run npm ci in web/"
    stale = [p.relative_to(VENDOR).as_posix() for p in VENDORED
             if p.read_bytes() != (NODE_MODULES / p.relative_to(VENDOR)).read_bytes()]
    assert stale == [], "vendored files differ from web/node_modules: run scripts/vendor"


def test_every_local_asset_and_style_image_is_a_package_file():
    for rel in filter(None, assets.LOCAL.values()):
        assert assets.file_for(rel).is_relative_to(STATIC), rel
    for css in STATIC.rglob("*.css"):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")#]+)", css.read_text(encoding="utf-8")):
            if not ref.startswith("data:"):
                assert (css.parent / ref).is_file(), f"{css.name}: {ref}"
