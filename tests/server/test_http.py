"""HTTP as browsers and proxies see it, through a live server and urllib with real headers:
gzip for text, ETag/304 and Cache-Control on data, a year for versioned vendor assets."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request

import pytest

from geo_kttt.maps.assets import asset_version, file_for


def _get(url, **headers):
    """(status, headers, raw body) of a GET, without urllib decoding anything."""
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_versioned_leaflet_goes_out_gzipped_and_cached_for_a_year(live_server):
    _, _, page = _get(live_server + "/", **GZIP)
    html = gzip.decompress(page).decode("utf-8")
    src = re.search(r'src="(/vendor/leaflet/dist/leaflet\.js\?v=([0-9a-f]+))"', html)
    assert src and src.group(2) == asset_version("vendor/leaflet/dist/leaflet.js")
    status, headers, body = _get(live_server + src.group(1), **GZIP)
    raw = file_for("vendor/leaflet/dist/leaflet.js").read_bytes()
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body) == raw and len(body) < len(raw) / 2
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert int(headers["Content-Length"]) == len(body)
    for url in ("/vendor/leaflet/dist/leaflet.js", "/vendor/leaflet/dist/leaflet.js?v=old"):
        _, h, _ = _get(live_server + url, **GZIP)
        assert "immutable" not in h.get("Cache-Control", ""), url  # unversioned or stale: not a year
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]+)"', html).group(1)
    _, h, _ = _get(live_server + css, **GZIP)
    assert h["Content-Encoding"] == "gzip" and "immutable" in h["Cache-Control"]


@pytest.mark.parametrize("path", ["/", "/districts", "/api/sites.geojson", "/ogcapi/collections",
                                  "/ogcapi/collections/districts/items?limit=3", "/ogcapi/api",
                                  "/static/js/atlas.js"])
def test_text_responses_are_gzipped_only_when_asked(live_server, path):
    status, h, body = _get(live_server + path, **GZIP)
    assert status == 200 and h["Content-Encoding"] == "gzip", path
    plain_status, plain_h, plain = _get(live_server + path, **{"Accept-Encoding": "identity"})
    assert plain_status == 200 and "Content-Encoding" not in plain_h
    if "Content-Security-Policy" in h and path in ("/", "/districts"):
        return  # pages carry a fresh CSP nonce each time: bodies differ by it
    assert gzip.decompress(body) == plain
    _, refused, _ = _get(live_server + path, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused


@pytest.mark.parametrize("path", ["/api/sites.geojson?layers=solar_plants",
                                  "/ogcapi/collections/solar_plants/items?limit=5",
                                  "/ogcapi/collections/solar_plants/queryables"])
def test_data_responses_carry_an_etag_and_answer_304(live_server, path):
    status, h, body = _get(live_server + path, **GZIP)
    etag = h["ETag"]
    assert status == 200 and etag.startswith('W/"') and h["Cache-Control"] == "public, no-cache"
    again, h2, _ = _get(live_server + path, **GZIP)
    assert h2["ETag"] == etag  # depends only on the atlas and the request
    status, h304, empty = _get(live_server + path, **{**GZIP, "If-None-Match": etag})
    assert status == 304 and empty == b"" and h304["ETag"] == etag
    status, _, _ = _get(live_server + path, **{**GZIP, "If-None-Match": 'W/"something-else"'})
    assert status == 200
    other = path + ("&" if "?" in path else "?") + "lang=en"
    assert _get(live_server + other, **GZIP)[1]["ETag"] != etag


def test_pages_get_no_validator(live_server):
    _, h, _ = _get(live_server + "/", **GZIP)
    assert "ETag" not in h  # a page carries a per-response CSP nonce: never a 304 of an old one
