"""Editing in the browser's HTTP terms: login, sessions, CSRF, roles on every write, the pages."""

from __future__ import annotations

import io

import pytest
from editing_fixtures import NEAR, PASSWORD, SITE, csrf, edit_form, login

from geo_kttt.editing import accounts, review

XSS = "<img src=x onerror=alert(1)>"
PROPOSE = f"/propose/{SITE[0]}/{SITE[1]}"
# Every write endpoint, with the role it needs.
WRITES = [(PROPOSE, "contributor"), (f"/propose/{SITE[0]}", "contributor"), ("/review/1/decide", "reviewer"),
          ("/review/publish", "reviewer"), ("/review/1/revert", "admin"), ("/logout", "login")]
READS = [("/review", "reviewer"), ("/review/1", "login"), ("/account", "login"), (PROPOSE, "contributor"),
         (f"/api/editing/position/{SITE[0]}/{SITE[1]}?position_method=map&lon=105.3&lat=10.4", "contributor"),
         ("/review/evidence/1", "reviewer")]


def _propose(web, **form):
    data = edit_form(**form) | {"csrf_token": csrf(web, PROPOSE)}
    return web.post(PROPOSE, data=data, content_type="multipart/form-data")


def _pid(r) -> int:
    return int(r.headers["Location"].rsplit("/", 1)[1].split("?")[0])


def test_login_sets_a_safe_session_cookie(web):
    r = login(web, "con")
    cookie = r.headers["Set-Cookie"]
    assert "geo_kttt_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on localhost
    assert web.get("/account").status_code == 200


def test_session_cookie_is_secure_over_https(edit_app):
    client = edit_app.test_client()
    token = csrf(client, "https://localhost/login")
    data = {"username": "con", "password": PASSWORD, "csrf_token": token}
    assert client.post("https://localhost/login", data=data).status_code == 400  # no same-origin Referer
    r = client.post("https://localhost/login", data=data, headers={"Referer": "https://localhost/login"})
    assert r.status_code == 303 and "Secure" in r.headers["Set-Cookie"]


def test_wrong_password_is_refused_and_counted(web, ws):
    token = csrf(web)
    r = web.post("/login", data={"username": "con", "password": "not it at all", "csrf_token": token})
    assert r.status_code == 401 and "geo_kttt_session" not in r.headers.get("Set-Cookie", "uid")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in r.get_data(as_text=True)
    assert web.get("/account").status_code == 401


def test_login_without_csrf_token_is_refused(web):
    r = web.post("/login", data={"username": "con", "password": PASSWORD})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert web.get("/account").status_code == 401


def test_next_never_leaves_the_site(web):
    r = web.post("/login", data={"username": "con", "password": PASSWORD, "csrf_token": csrf(web),
                                 "next": "//evil.example/x"})
    assert r.headers["Location"] == "/"


@pytest.mark.parametrize("url, role", WRITES)
def test_anonymous_users_reach_no_write_endpoint(web, url, role):
    token = csrf(web)  # even with a valid CSRF token
    r = web.post(url, data=edit_form() | {"csrf_token": token, "action": "approve", "comment": "x"})
    assert r.status_code == 401


@pytest.mark.parametrize("url, role", WRITES + READS)
def test_lower_roles_are_refused_everywhere(edit_app, url, role):
    lower = {"contributor": "rev", "reviewer": "con", "admin": "rev", "login": None}[role]
    if lower is None:
        return
    client = edit_app.test_client()
    login(client, lower)
    if url in dict(WRITES) and (url, role) in WRITES:
        r = client.post(url, data=edit_form() | {"csrf_token": csrf(client, "/account"), "action": "approve"})
    else:
        r = client.get(url)
    assert r.status_code == 403, (url, lower)


@pytest.mark.parametrize("url, role", READS)
def test_anonymous_reads_of_editing_pages_get_401(web, url, role):
    assert web.get(url).status_code == 401


def test_write_without_csrf_token_is_refused(web, ws):
    login(web, "con")
    r = web.post(PROPOSE, data=edit_form())
    assert r.status_code == 400
    assert review.queue(ws) == []


def test_logout_ends_the_session_everywhere(edit_app):
    a, b = edit_app.test_client(), edit_app.test_client()
    login(a, "con")
    login(b, "con")
    assert a.post("/logout", data={"csrf_token": csrf(a, "/account")}).status_code == 303
    assert a.get("/account").status_code == 401 and b.get("/account").status_code == 401


def test_session_expires(edit_app, monkeypatch):
    import time as real_time

    client = edit_app.test_client()
    login(client, "con")
    hours = float(edit_app.config["SESSION_HOURS"])
    later = real_time.time() + hours * 3600 + 5
    monkeypatch.setattr("geo_kttt.server.auth.time.time", lambda: later)
    assert client.get("/account").status_code == 401


def test_disabled_account_loses_its_session(web, ws):
    login(web, "con")
    accounts.set_active(ws.engine, "con", False)
    assert web.get("/account").status_code == 401


def test_login_is_off_without_a_secret_key(client):
    assert client.get("/login").status_code == 503
    assert "GEO_KTTT_SECRET_KEY_FILE" in client.get("/login").get_data(as_text=True)
    assert client.get(PROPOSE).status_code == 503
    assert "login-link" not in client.get("/").get_data(as_text=True)


def test_district_limited_contributor_cannot_propose_elsewhere(web, ws):
    login(web, "lim")
    assert web.get(PROPOSE).status_code == 403
    r = web.post(PROPOSE, data=edit_form() | {"csrf_token": csrf(web, "/account")})
    assert r.status_code == 403 and review.queue(ws) == []
    assert web.get("/propose/waste_facilities").status_code == 200  # a new site in their district is fine


def test_form_shows_every_field_with_allowed_values_in_vietnamese(web, ws):
    login(web, "con")
    html = web.get(PROPOSE).get_data(as_text=True)
    for label in ("Tên (tiếng Việt)", "Công suất/quy mô", "Tình trạng", "Mã xã (trước 2025)", "Bằng chứng"):
        assert label in html
    assert 'value="operating" selected' in html and "Đang hoạt động" in html and "MWp" in html
    assert "Longitude (WGS 84)" in web.get(PROPOSE + "?lang=en").get_data(as_text=True)


def test_problems_are_shown_naming_the_field(web, ws):
    login(web, "con")
    r = _propose(web, lon="106.9", evidence_ref="", evidence_url="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Kinh độ/Vĩ độ" in html and "nằm ngoài An Giang" in html and "Cần bằng chứng" in html
    assert "outside An Giang" not in html  # Vietnamese first: no English on a Vietnamese page
    data = edit_form(lon="106.9") | {"csrf_token": csrf(web, PROPOSE)}
    en = web.post(PROPOSE + "?lang=en", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Longitude/Latitude: point (106.9" in en and "outside An Giang" in en
    assert review.queue(ws) == []


def test_position_preview_gives_the_distance_in_metres(web):
    login(web, "con")
    r = web.get(f"/api/editing/position/{SITE[0]}/{SITE[1]}?position_method=map&lon={NEAR[0]}&lat={NEAR[1]}"
                "&precision_claim=exact")
    assert r.status_code == 200 and 300 < r.get_json()["distance_m"] < 500
    bad = web.get(f"/api/editing/position/{SITE[0]}/{SITE[1]}?position_method=vn2000&easting=x&northing=1"
                  "&vn_crs=EPSG:9208")
    assert bad.status_code == 200 and not bad.get_json()["ok"] and bad.get_json()["problems"]


def test_propose_review_publish_through_the_web(edit_app, ws):
    con, rev = edit_app.test_client(), edit_app.test_client()
    login(con, "con")
    r = _propose(con)
    assert r.status_code == 303
    pid = _pid(r)
    assert "Chờ duyệt" in con.get(f"/review/{pid}").get_data(as_text=True)
    login(rev, "rev")
    queue = rev.get("/review").get_data(as_text=True)
    assert f"#{pid}" in queue and "Công văn 123/UBND-KT" in queue and "con" in queue
    page = rev.get(f"/review/{pid}").get_data(as_text=True)
    assert 'data-field="lon"' in page and str(NEAR[0]) in page and "m</p>" in page
    r = rev.post(f"/review/{pid}/decide",
                 data={"action": "approve", "csrf_token": csrf(rev, f"/review/{pid}")})
    assert r.status_code == 303
    assert "Đã công bố" in rev.get(f"/review/{pid}").get_data(as_text=True)
    site = con.get(f"/api/sites/{SITE[0]}/{SITE[1]}").get_json()
    assert site["geometry"]["coordinates"] == list(NEAR) and site["properties"]["precision"] == "exact"
    assert "https://example.org/giay-phep" in [s["text"] for s in site["properties"]["sources"]]
    history = con.get(f"/sites/{SITE[0]}/{SITE[1]}").get_data(as_text=True)
    assert "Công văn 123/UBND-KT" in history and "rev" in history
    changes = con.get("/changes?since=2020-01-01").get_data(as_text=True)
    assert "con → rev" in changes
    assert "Đã công bố" in con.get("/account").get_data(as_text=True)


def test_evidence_file_is_stored_and_served_to_reviewers_only(edit_app, ws, tmp_path):
    con, rev = edit_app.test_client(), edit_app.test_client()
    login(con, "con")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = con.post(PROPOSE, data=edit_form() | {"csrf_token": csrf(con, PROPOSE),
                                              "evidence_file": (io.BytesIO(pdf), "giay-phep.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 303
    stored = list(ws.evidence_dir.iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == pdf
    assert "static" not in str(stored[0])
    eid = review.detail(ws, _pid(r))["files"][0]["id"]
    assert con.get(f"/review/evidence/{eid}").status_code == 403
    login(rev, "rev")
    f = rev.get(f"/review/evidence/{eid}")
    assert f.status_code == 200 and f.data == pdf and f.headers["Content-Type"] == "application/pdf"
    assert "attachment" in f.headers["Content-Disposition"]
    assert "sandbox" in f.headers["Content-Security-Policy"]
    f.close()


def _zip_bomb() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", b"0" * 20_000_000)
    return buf.getvalue()


def _png_bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)  # 10 gigapixels declared
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("name, data", [
    ("anh.jpg", b"#!/bin/sh\nrm -rf /\n"),  # a script renamed .jpg
    ("ho-so.pdf", None),  # a zip bomb renamed .pdf
    ("ho-so.zip", None),  # a zip bomb as it is
    ("ban-do.png", None),  # a PNG declaring 10 gigapixels
    ("trang.html", b"<html><script>alert(1)</script></html>"),
])
def test_uploads_that_lie_are_refused_and_nothing_is_stored(web, ws, name, data):
    if data is None:
        data = _png_bomb() if name.endswith(".png") else _zip_bomb()
    login(web, "con")
    form = edit_form() | {"csrf_token": csrf(web, PROPOSE), "evidence_file": (io.BytesIO(data), name)}
    r = web.post(PROPOSE, data=form, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "evidence_file" in r.get_data(as_text=True)
    assert review.queue(ws) == [] and not (ws.evidence_dir.exists() and any(ws.evidence_dir.iterdir()))


def test_a_200_mb_upload_is_refused_before_it_is_read(web, ws):
    login(web, "con")
    token = csrf(web, PROPOSE)
    body = (f"--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--x\r\n"
            "Content-Disposition: form-data; name=\"evidence_file\"; filename=\"big.pdf\"\r\n\r\n"
            "%PDF-").encode()  # the rest of the 200 MB never comes: the length alone is refused
    r = web.post(PROPOSE, input_stream=io.BytesIO(body), content_type="multipart/form-data; boundary=x",
                 environ_overrides={"CONTENT_LENGTH": str(200 * 2**20)})
    assert r.status_code == 413 and "quá lớn" in r.get_data(as_text=True)
    assert review.queue(ws) == [] and not ws.evidence_dir.exists()


def test_proposal_text_is_data_in_the_queue_popup_and_exports(edit_app, ws):
    con, rev = edit_app.test_client(), edit_app.test_client()
    login(con, "con")
    r = _propose(con, name_vi=XSS, notes=XSS)
    pid = _pid(r)
    login(rev, "rev")
    for html in (rev.get("/review").get_data(as_text=True), rev.get(f"/review/{pid}").get_data(as_text=True)):
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    rev.post(f"/review/{pid}/decide", data={"action": "approve", "csrf_token": csrf(rev, f"/review/{pid}")})
    site = con.get(f"/api/sites/{SITE[0]}/{SITE[1]}").get_json()
    assert site["properties"]["name_vi"] == XSS  # data, for the popup's DOM text nodes
    for url in (f"/sites/{SITE[0]}/{SITE[1]}", "/changes?since=2020-01-01", "/export/map.html"):
        body = con.get(url).get_data(as_text=True)
        assert XSS not in body, url
    geojson = con.get("/export/data.geojson").get_data(as_text=True)
    assert XSS in geojson or "\\u003cimg" in geojson


def test_a_new_site_is_published_and_its_revert_removes_it(edit_app, ws):
    lim, rev, adm = (edit_app.test_client() for _ in range(3))
    login(lim, "lim")
    url = "/propose/waste_facilities"
    form = {"name_vi": "Điểm tập kết rác Mỹ Hòa", "name_en": "My Hoa transfer point", "kind": "complex",
            "district_code": "883", "status": "planned", "verified": "false", "in_report": "false",
            "evidence_ref": "QĐ 45/QĐ-UBND ngày 2/12/2026", "csrf_token": csrf(lim, url)}
    pid = _pid(lim.post(url, data=form, content_type="multipart/form-data"))
    login(rev, "rev")
    rev.post(f"/review/{pid}/decide", data={"action": "approve", "csrf_token": csrf(rev, f"/review/{pid}")})
    site = rev.get("/api/sites/waste_facilities/diem-tap-ket-rac-my-hoa")
    assert site.status_code == 200 and site.get_json()["properties"]["precision"] == "district"
    login(adm, "adm")
    r = adm.post(f"/review/{pid}/revert", data={"comment": "trùng với cơ sở khác",
                                                "csrf_token": csrf(adm, f"/review/{pid}")})
    assert r.status_code == 303
    assert adm.get("/api/sites/waste_facilities/diem-tap-ket-rac-my-hoa").status_code == 404
    layer = (ws.layers_dir / "waste_facilities.csv").read_text(encoding="utf-8")
    assert "Điểm tập kết rác Mỹ Hòa" not in layer


def test_behind_a_proxy_the_forwarded_https_makes_the_cookie_secure(ws, people):
    from editing_fixtures import SECRET

    from geo_kttt.server import create_app

    app = create_app({"TESTING": True, "ATLAS": ws.atlas, "TILE_URL": "none", "SECRET_KEY": SECRET,
                      "LOGIN_DELAY_S": 0, "PROXIES": "1", "LAYERS_DIR": str(ws.layers_dir),
                      "DATA_DIR": str(ws.data_dir), "EDITING_DATABASE_URL": ws.database_url,
                      "EVIDENCE_DIR": str(ws.evidence_dir)})
    client = app.test_client()
    via = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "atlas.example.vn",
           "X-Forwarded-For": "203.0.113.7"}
    client.get("/login", headers=via)
    token = csrf(client)  # the same session, read again
    r = client.post("/login", data={"username": "con", "password": PASSWORD, "csrf_token": token},
                    headers=via | {"Referer": "https://atlas.example.vn/login"})
    assert r.status_code == 303 and "Secure" in r.headers["Set-Cookie"]
    from geo_kttt.editing import db

    assert db.audit_entries(ws.engine)[0]["ip"] == "203.0.113.7"


def test_site_page_without_login_shows_history_and_no_english_position_note(web):
    html = web.get(f"/sites/{SITE[0]}/{SITE[1]}").get_data(as_text=True)
    assert "điểm tham chiếu của xã 30607" in html and "commune reference point" not in html
    assert "propose-link" in html and "Lịch sử thay đổi" in html
