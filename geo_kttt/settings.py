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
    "LANG": ("vi", "Default interface language: vi or en."),
    "HOST": ("127.0.0.1", "Address `geo-kttt serve` listens on."),
    "PORT": ("8050", "Port `geo-kttt serve` listens on."),
    "PUBLIC_URL": (None, "Public address of the atlas (https://…), where absolute links such as the "
                         "OGC API's start; default http://HOST:PORT."),
    "TRUSTED_PROXIES": ("0", "Number of reverse proxies in front of the server whose X-Forwarded-* "
                             "headers are trusted (0: none)."),
    "MAX_UPLOAD_MB": ("50", "Largest request body accepted (413 above), in MB; the import limit."),
    "HEAVY_WORKERS": ("1", "Processes that build heavy exports (packs, sheets, HTML maps, data files)."),
    "HEAVY_QUEUE": ("2", "Heavy exports that may wait for a worker; beyond: 503 with Retry-After."),
    "HEAVY_CACHE_MB": ("64", "Memory for finished heavy exports, reused per build and selection."),
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
