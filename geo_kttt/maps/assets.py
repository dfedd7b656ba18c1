"""Local front-end assets: Leaflet and its plugins, pinned by ``web/package-lock.json``.

Folium's defaults point at CDNs. :func:`localize` rewrites every script and style link of a
folium map to local URLs (``/vendor/...`` for npm packages, ``/static/...`` for our own
files); :func:`components` renders a map into the parts a page template needs.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from branca.element import CssLink, Element, JavascriptLink

from ..errors import AtlasError
from ..web import STATIC, VENDOR

# npm packages whose files may be served under /vendor/<package>/...
VENDOR_PACKAGES = ("leaflet", "leaflet.markercluster", "leaflet.fullscreen")

# folium resource name -> local path (vendor/... from node_modules, static/... our own files).
# A name mapped to None is dropped: the atlas does not use jQuery, Bootstrap or awesome-markers.
LOCAL = {
    "leaflet": "vendor/leaflet/dist/leaflet.js",
    "leaflet_css": "vendor/leaflet/dist/leaflet.css",
    "markerclusterjs": "vendor/leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "vendor/leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/dist/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
    "geo_kttt_js": "static/js/atlas.js",
    "geo_kttt_sources_js": "static/js/atlas-sources.js",
    "geo_kttt_css": "static/css/map.css",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}


class AssetMissing(AtlasError, RuntimeError):
    """A front-end resource with no local copy (a CDN link would otherwise reach the page)."""


def file_for(rel: str) -> Path:
    """The file on disk behind a local asset path such as ``vendor/leaflet/dist/leaflet.js``
    (a ``?v=…`` version in the URL is ignored)."""
    rel = rel.split("?", 1)[0]
    if rel.startswith("vendor/"):
        path = VENDOR / rel.removeprefix("vendor/")
        hint = "add it to scripts/vendor and run it (it copies from web/node_modules)"
    else:
        path = STATIC / rel.removeprefix("static/")
        hint = "it belongs in geo_kttt/web/static/"
    if not path.is_file():
        raise AssetMissing(f"front-end asset {rel} not found at {path}; {hint}")
    return path


def asset_version(rel: str) -> str:
    """A short hash of the asset's bytes, for ``?v=`` in its URL (so it can be cached for a year)."""
    path = file_for(rel)
    return _digest(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=256)
def _digest(path: str, _mtime: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def versioned(url: str, base: str = "/") -> str:
    """``/vendor/leaflet/dist/leaflet.js`` -> ``…/leaflet.js?v=<hash>`` (local assets only)."""
    return f"{url}?v={asset_version(url[len(base):])}"


def _walk(element: Element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def localize(m, base: str = "/") -> None:
    """Point every JS/CSS link of folium map ``m`` (and its children) at local copies.

    Parameters
    ----------
    m : folium.Map
    base : str
        URL prefix of the local files: ``"/"`` in the web app, or a folder URL for a
        standalone file (the caller then ships ``web/static`` and ``web/node_modules``).

    Raises
    ------
    AssetMissing
        When a plugin needs a resource that has no local copy in :data:`LOCAL`.
    """
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            local = []
            for name, url in links:
                if name not in LOCAL:
                    raise AssetMissing(f"no local copy of '{name}' ({url}); add it to assets.LOCAL "
                                       "and web/package.json")
                if LOCAL[name] is not None:
                    local.append((name, versioned(base + LOCAL[name], base)))
            setattr(el, attr, local)


def components(m, base: str = "/") -> dict:
    """Render map ``m`` into the parts of a page: ``js`` and ``css`` (lists of local URLs),
    ``html`` (the map's div) and ``script`` (one inline script, to carry the CSP nonce).

    Folium's own header (inline styles and scripts, CDN links) is not used.
    """
    localize(m, base)
    root = m.get_root()
    root.render()
    js, css = [], []
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink):
            js.append(child.url)
        elif isinstance(child, CssLink):
            css.append(child.url)
    for url in js + css:
        if not url.startswith(base):
            raise AssetMissing(f"{url} is not a local asset")
    return {"js": js, "css": css, "html": root.html.render(), "script": root.script.render()}
