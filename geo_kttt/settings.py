"""Every setting, its default and one line of help. Each is read from GEO_KTTT_<NAME>.

The README's settings table is checked against this one by a test.
"""

from __future__ import annotations

import os
from pathlib import Path

SETTINGS = {
    "DATA_DIR": (None, "Folder whose boundaries/ and research/ files replace the bundled reference "
                       "data (geo_kttt/reference/), file by file; none: the bundled data only."),
    "LAYERS_DIR": ("layers", "Folder with the layer definitions (*.toml) and data (*.csv)."),
    "ATLAS": ("build/atlas.gpkg", "The built atlas GeoPackage that every output reads."),
    "DATABASE_URL": (None, "postgresql://… URL; when set, the atlas is read from PostGIS instead."),
    "TILE_URL": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "Basemap tile URL template; 'none' shows boundaries on a plain background."),
    "TILE_ATTRIBUTION": ("© OpenStreetMap contributors", "Attribution shown for the basemap."),
    "LANG": ("vi", "Default language of the pages and of the command line's messages and tables: vi or en."),
    "HOST": ("127.0.0.1", "Address `geo-kttt serve` listens on."),
    "PORT": ("8050", "Port `geo-kttt serve` listens on."),
}


def get(name: str, override=None):
    """The value of setting ``name``: an explicit override, the environment, or the default."""
    if name not in SETTINGS:
        raise KeyError(f"unknown setting {name}; known: {', '.join(SETTINGS)}")
    if override not in (None, ""):
        return override
    return os.environ.get(f"GEO_KTTT_{name}") or SETTINGS[name][0]


def path(name: str, override=None) -> Path | None:
    value = get(name, override)
    return Path(value) if value else None
