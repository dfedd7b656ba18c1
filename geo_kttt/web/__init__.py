"""The web files: page templates and static files, package data shipped in the wheel.

``templates/`` has one folder per blueprint of :mod:`geo_kttt.server` (``pages/``,
``districts/``, ``exports/``, ``coverage/``, ``ogcapi/``, ``imports/``, ``report/``,
``editing/`` for the auth, editing and review blueprints) and, at
top, what they share: ``base.html``, ``error.html`` and the ``_map.html`` macros.
``static/`` has our own ``js/``, ``css/`` and ``img/``, and ``vendor/<package>/``: the dist
files of Leaflet and its plugins that the atlas uses, pinned by ``web/package-lock.json``
and copied from ``web/node_modules`` by ``scripts/vendor``, so that running the atlas needs
no npm and a built wheel serves every page.

Imports nothing: it only names the folders, for the server, the map assets and the
standalone export.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
VENDOR = STATIC / "vendor"
