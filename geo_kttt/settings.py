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
    "SECRET_KEY_FILE": (None, "File with the key (32+ characters) that signs login sessions; "
                               "without it (or SECRET_KEY) login is off."),
    "SECRET_KEY": (None, "The session key itself, instead of SECRET_KEY_FILE (never commit it)."),
    "EDITING_DATABASE_URL": (None, "Accounts, proposals, audit log: sqlite:///… or postgresql://…; "
                                   "default: DATABASE_URL, else editing.sqlite beside the atlas."),
    "EVIDENCE_DIR": (None, "Folder for uploaded evidence files, outside the web root; "
                           "default: evidence/ beside the atlas."),
    "EVIDENCE_MAX_MB": ("10", "Largest evidence file (PDF, JPEG, PNG) accepted, in MB."),
    "SESSION_HOURS": ("8", "Hours a login lasts before the officer signs in again."),
    "PROXIES": ("0", "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted "
                     "(1 behind one nginx; 0: none)."),
    "HOST": ("127.0.0.1", "Address `geo-kttt serve` listens on."),
    "PORT": ("8050", "Port `geo-kttt serve` listens on."),
    "PUBLIC_URL": (None, "Public address of the atlas (https://…), where absolute links such as the "
                         "OGC API's start; default http://HOST:PORT."),
    "MAX_UPLOAD_MB": ("50", "Largest request body accepted (413 above), in MB; the import limit "
                            "(keep it above EVIDENCE_MAX_MB)."),
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
