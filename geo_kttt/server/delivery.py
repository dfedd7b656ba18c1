"""HTTP as browsers and proxies expect: compression, validators for data, long caching of assets.

- **gzip** for text responses (HTML, JSON, GeoJSON, CSS, JS, SVG, CSV, KML) when the request's
  ``Accept-Encoding`` allows it, with ``Vary: Accept-Encoding``; compressed bodies of responses
  with an ETag are kept in a small cache, so repeated asset and data requests compress once.
- **ETag + Cache-Control** on the data responses (``/api/…`` and ``/ogcapi/…`` JSON), which
  depend only on the built atlas, the URL and the negotiated format: the ETag is derived from
  those before the view runs, so a matching ``If-None-Match`` gets ``304 Not Modified`` without
  any work. ``Cache-Control: public, no-cache``: stored, and revalidated on every use, so a
  rebuilt atlas shows at once. HTML pages carry a per-response CSP nonce and get neither.
- **Versioned assets** (``?v=<hash of the file>``, added by :func:`geo_kttt.maps.assets.versioned`
  and to every ``url_for('static', …)``) are cached for a year (``immutable``).

:func:`init_app` installs it all; the Flask adapter calls it from ``create_app``.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from threading import Lock

from flask import Flask, Response, g, request

from ..errors import AtlasError
from ..maps.assets import AssetMissing, asset_version
from .common import get_atlas

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "application/geo+json", "application/schema+json", "application/vnd.oai.openapi+json",
                "image/svg+xml", "text/csv", "text/plain", "application/xml", "text/xml",
                "application/vnd.google-earth.kml+xml"}
MIN_BYTES = 512
GZIP_LEVEL = 6
YEAR = "public, max-age=31536000, immutable"
DATA_CACHE = "public, no-cache"
DATA_PREFIXES = ("/api/", "/ogcapi")
JSON_TYPES = {"application/json", "application/geo+json", "application/schema+json",
              "application/vnd.oai.openapi+json"}


class _Compressed:
    """A bounded LRU of gzipped bodies by ETag (thread-safe)."""

    def __init__(self, size: int = 128):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0 or request.accept_encodings["x-gzip"] > 0


def _is_data_request() -> bool:
    return request.method in ("GET", "HEAD") and request.path.startswith(DATA_PREFIXES)


def data_etag() -> str:
    """The validator of a data response: the atlas build, the URL, the language, the format asked.

    The build is the request's own (``Atlas.version``: the build id and the file's identity), so
    two builds within one second never share a validator.
    """
    key = "\n".join([get_atlas().version, request.full_path, g.get("lang", ""),
                     request.headers.get("Accept", "")])
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _asset_cache(resp: Response) -> None:
    """A year for /static and /vendor files asked for with their current ?v=."""
    v = request.args.get("v")
    if not v or not request.path.startswith(("/static/", "/vendor/")):
        return
    try:
        current = asset_version(request.path.lstrip("/"))
    except AssetMissing:
        return
    if v == current and resp.status_code in (200, 304):
        resp.headers["Cache-Control"] = YEAR


def _compress(resp: Response, cache: _Compressed) -> None:
    if resp.mimetype not in COMPRESSIBLE:
        return
    resp.vary.add("Accept-Encoding")
    if (request.method == "HEAD" or resp.status_code != 200 or "Content-Encoding" in resp.headers
            or not _accepts_gzip() or (resp.is_streamed and not resp.direct_passthrough)):
        return
    resp.direct_passthrough = False  # files (static, send_file) are read into memory here
    body = resp.get_data()
    if len(body) < MIN_BYTES:
        return
    etag, _weak = resp.get_etag()
    if etag:
        packed = cache.get((etag, len(body)), lambda: gzip.compress(body, GZIP_LEVEL, mtime=0))
        resp.set_etag(etag, weak=True)  # another representation than the identity one
    else:
        packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
    resp.set_data(packed)
    resp.headers["Content-Encoding"] = "gzip"


def init_app(app: Flask) -> None:
    """Install compression, data validators and asset caching on ``app``."""
    cache = _Compressed()

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            try:
                values["v"] = asset_version("static/" + values["filename"])
            except AtlasError:
                pass  # a missing file: its 404 says so

    @app.before_request
    def _not_modified():
        if not _is_data_request():
            return None
        try:
            etag = data_etag()
        except AtlasError:
            return None  # no atlas: the view answers with the error
        g.data_etag = etag
        if request.if_none_match.contains_weak(etag.removeprefix("W/").strip('"')):
            resp = Response(status=304)
            resp.headers["ETag"] = etag
            resp.headers["Cache-Control"] = DATA_CACHE
            resp.vary.add("Accept")
            resp.vary.add("Accept-Encoding")
            return resp
        return None

    @app.after_request
    def _http(resp: Response):
        if g.get("data_etag") and resp.status_code == 200 and resp.mimetype in JSON_TYPES:
            resp.headers["ETag"] = g.data_etag
            resp.headers["Cache-Control"] = DATA_CACHE
            resp.vary.add("Accept")
        _asset_cache(resp)
        _compress(resp, cache)
        return resp
