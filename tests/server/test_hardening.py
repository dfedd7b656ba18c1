"""Bad requests get clear answers, never a 500: parameter names, control characters, body size,
the Host header (server/hardening.py)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading

import pytest
import waitress

from geo_kttt.server import create_app
from geo_kttt.server.hardening import waitress_options

HTML_PAGES = ["/", "/districts", "/districts/883", "/new-communes", "/search?q=chau", "/coverage",
              "/changes", "/report", "/export/", "/ogcapi/?f=html", "/ogcapi/collections?f=html"]
# Names url_for takes as its own keyword arguments, and a view argument of /districts/<code>.
NAMES = ["endpoint", "_anchor", "_scheme", "_method", "_external", "code"]


@pytest.mark.parametrize("page", HTML_PAGES)
def test_parameter_names_never_reach_url_for(client, page):
    for name in NAMES:
        url = page + ("&" if "?" in page else "?") + f"{name}=x"
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        html = r.get_data(as_text=True)
        if 'hreflang="en"' in html:  # the language switch keeps the parameter, as text
            link = re.search(r'href="([^"]*)" hreflang="en"', html).group(1).replace("&amp;", "&")
            assert f"{name}=x" in link and "lang=en" in link


def test_the_language_link_of_a_district_keeps_its_code_and_parameters(client):
    html = client.get("/districts/883?code=1&status=operating").get_data(as_text=True)
    link = re.search(r'href="([^"]*)" hreflang="en"', html).group(1).replace("&amp;", "&")
    assert link.startswith("/districts/883?") and "code=1" in link and "status=operating" in link


def test_the_export_button_keeps_the_parameters_as_text(client):
    html = client.get("/districts?status=operating&endpoint=x&_anchor=y").get_data(as_text=True)
    export = re.search(r'href="([^"]*)" id="export-button"', html).group(1).replace("&amp;", "&")
    assert export.startswith("/export/?") and "status=operating" in export and "endpoint=x" in export
    assert "#" not in export


@pytest.mark.parametrize("extra", ["endpoint=x", "_anchor=y", "_external=1&_scheme=javascript", "fmt=kml"])
def test_the_data_form_redirect_keeps_the_parameters_as_text(client, extra):
    r = client.get(f"/export/data?format=csv&crs=EPSG:9208&district=884&{extra}")
    where = r.headers["Location"]
    assert r.status_code == 302 and where.startswith("/export/data.csv?"), where
    assert "crs=EPSG:9208" in where and "district=884" in where and extra in where
    assert "format=" not in where and "#" not in where


@pytest.mark.parametrize("url", ["/districts/883%00", "/districts/883%0A", "/districts/%7F",
                                 "/api/sites/solar_plants/x%00", "/report%00"])
def test_control_characters_in_the_path_are_404(client, url):
    assert client.get(url).status_code == 404


def test_control_characters_in_an_ogc_path_are_a_json_404(client):
    r = client.get("/ogcapi/collections/solar_plants/items/solar%00x")
    assert r.status_code == 404 and r.is_json


@pytest.mark.parametrize("url", ["/?status=%00", "/search?q=a%00b", "/api/search?q=%01",
                                 "/api/sites.geojson?district=883%00", "/coverage?layer=%1f",
                                 "/export/?district=%00", "/ogcapi/collections/solar_plants/items?id=%00",
                                 "/?x%00y=1", "/districts/883?lang=en%00"])
def test_control_characters_in_parameters_are_400(client, url):
    r = client.get(url)
    assert r.status_code == 400, (url, r.status_code)
    assert b"Traceback" not in r.data


def test_body_limit_default_is_max_upload_mb(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024


@pytest.fixture()
def small_app(atlas_path):
    return create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none",
                       "MAX_UPLOAD_MB": "0.01"})  # 10 KiB


@pytest.mark.parametrize("url", ["/", "/export/pack.zip", "/no-such-page", "/ogcapi/collections"])
def test_an_oversize_post_is_413(small_app, url):
    r = small_app.test_client().post(url, data=b"x" * 20_000, content_type="application/octet-stream")
    assert r.status_code == 413
    if url.startswith("/ogcapi"):
        assert r.is_json and r.get_json()["code"] == "RequestEntityTooLarge"
    else:
        assert r.mimetype == "text/html" and "413" in r.get_data(as_text=True)


def test_a_small_post_is_not_413(small_app):
    assert small_app.test_client().post("/", data=b"x" * 100).status_code == 405


@pytest.fixture()
def waitress_url(small_app):
    """``small_app`` behind waitress with geo-kttt serve's options; the app's own limit lifted,
    so only waitress's can answer 413."""
    server = waitress.create_server(small_app, host="127.0.0.1", port=0, threads=2,
                                    **waitress_options(small_app))
    small_app.config["MAX_CONTENT_LENGTH"] = None
    stop = threading.Event()

    def loop():  # waitress's own loop, a step at a time, so that it can stop before the close
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.effective_host, server.effective_port
    stop.set()
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()
    for channel in list(server._map.values()):  # the listening socket and any open connection
        channel.close()


@pytest.mark.parametrize("chunked", [False, True])
def test_waitress_refuses_an_oversize_body(waitress_url, chunked):
    head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
    if chunked:
        chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
        data = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunk * 8 + b"0\r\n\r\n"
    else:
        data = (head + "Content-Length: 40000\r\n\r\n").encode() + b"x" * 40_000
    with socket.create_connection(waitress_url, timeout=10) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # waitress answered and closed before the whole body was sent: as it should
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"max_body" in answer


def _links(doc) -> list[str]:
    out = [link["href"] for link in doc.get("links", [])]
    for c in doc.get("collections", []):
        out += _links(c)
    return out


def test_absolute_links_ignore_the_host_header(client):
    for path in ("/ogcapi/", "/ogcapi/collections", "/ogcapi/collections/solar_plants/items"):
        doc = client.get(path, headers={"Host": "evil.example"}).get_json(force=True)
        links = _links(doc)
        assert links and all(h.startswith("http://127.0.0.1:8050/ogcapi") for h in links), links


def test_absolute_links_start_at_public_url(atlas_path):
    app = create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none",
                      "PUBLIC_URL": "https://atlas.angiang.example/kttt/"})
    doc = app.test_client().get("/ogcapi/collections", headers={"Host": "evil.example"}).get_json()
    assert all(h.startswith("https://atlas.angiang.example/kttt/ogcapi/") for h in _links(doc))


def test_behind_a_trusted_proxy_links_follow_its_forwarded_headers(atlas_path):
    app = create_app({"TESTING": True, "ATLAS": str(atlas_path), "TILE_URL": "none", "PROXIES": "1"})
    doc = app.test_client().get("/ogcapi/", headers={
        "Host": "127.0.0.1:8050", "X-Forwarded-Host": "atlas.angiang.example",
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}).get_json()
    assert all(h.startswith("https://atlas.angiang.example/ogcapi") for h in _links(doc))
