"""A whole file as one proposal: the import's dry run in the page, one batch, decided together."""

from __future__ import annotations

import io
import zipfile

import pytest
from editing_fixtures import SITE, csrf, login

from geo_kttt.editing import batch, publish, review
from geo_kttt.editing.errors import Conflict, EditingError, NotAllowed
from geo_kttt.store import open_atlas

HEADER = ("id,name_vi,name_en,kind,district_code,commune_code,status,capacity,capacity_unit,"
          "location_precision,verified,in_report,sources\n")
GOOD = (HEADER + f"{SITE[1]},,,,,,,12,MWp,,,,\n"
        ",Điện mặt trời mái nhà KCN Bình Hòa,Binh Hoa IP rooftop solar,utility,892,30607,operating,1.5,MWp,"
        "commune,false,false,Báo cáo KCN 2026\n").encode()
BAD = (HEADER + f"{SITE[1]},,,,,,,lots,MWp,,,,\n").encode()


def _preview(ws, user, data=GOOD, name="cap-nhat.csv"):
    return batch.preview(ws, user, SITE[0], batch.stash(ws, name, data), filename=name)


def test_a_file_becomes_one_batch_decided_and_published_together(ws, people):
    p = _preview(ws, people["con"])
    assert p.ok and [(c.kind, c.site_id) for c in p.changes] == [
        ("new", "dien-mat-troi-mai-nha-kcn-binh-hoa"), ("edit", SITE[1])]
    assert p.changes[1].fields == ["capacity"] and len(p.result.plan.unchanged) == 0
    key, ids = batch.submit(ws, people["con"], p, "Công văn 5/KCN", "")
    assert [review.detail(ws, i)["batch"] for i in ids] == [key, key]
    with pytest.raises(NotAllowed):
        batch.decide_batch(ws, people["con"], key, "approve")
    assert batch.decide_batch(ws, people["rev"], key, "approve") == "approved"
    assert publish.publish(ws, "rev").proposals == ids
    sites = open_atlas(ws.atlas).sites(SITE[0]).set_index("id")
    assert sites.loc[SITE[1], "capacity"] == 12 and "Công văn 5/KCN" in sites.loc[SITE[1], "sources"]
    assert sites.loc["dien-mat-troi-mai-nha-kcn-binh-hoa", "location_precision"] == "commune"


def test_row_problems_are_listed_and_nothing_can_be_sent(ws, people):
    p = _preview(ws, people["con"], BAD)
    assert not p.ok and p.result.problems and p.result.problems[0].field == "capacity"
    with pytest.raises(EditingError):
        batch.submit(ws, people["con"], p, "x", "")
    assert review.queue(ws) == []


def test_one_conflict_stops_the_whole_batch(ws, people):
    key, ids = batch.submit(ws, people["con"], _preview(ws, people["con"]), "Công văn 5/KCN", "")
    other = batch.submit(ws, people["con"], _preview(ws, people["con"], GOOD.replace(b",12,", b",13,")),
                         "Công văn 6/KCN", "")[0]
    batch.decide_batch(ws, people["rev"], key, "approve")
    with pytest.raises(Conflict):
        batch.decide_batch(ws, people["rev2"], other, "approve")
    assert {review.detail(ws, i)["state"] for i in batch.batch_ids(ws, other)} == {"pending"}


def test_district_limits_apply_to_every_row(ws, people):
    p = _preview(ws, people["lim"])  # both rows are in district 892, "lim" may propose only in 883
    assert not p.ok and {i.field for i in p.issues} == {SITE[1], "dien-mat-troi-mai-nha-kcn-binh-hoa"}


def test_files_that_are_not_import_files_or_bombs_are_refused(ws):
    with pytest.raises(EditingError):
        batch.stash(ws, "x.exe", b"MZ")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 300 * 2**20)
    with pytest.raises(EditingError) as e:
        batch.stash(ws, "bang.xlsx", buf.getvalue())
    assert e.value.key == "err_zip_bomb"
    assert not (ws.evidence_dir / batch.STASH).exists() or not any((ws.evidence_dir / batch.STASH).iterdir())


def test_upload_preview_send_and_decide_in_the_browser_forms(edit_app, ws):
    con, rev = edit_app.test_client(), edit_app.test_client()
    login(con, "con")
    r = con.post("/propose-file", data={"csrf_token": csrf(con, "/propose-file"), "layer": SITE[0], "crs": "",
                                        "file": (io.BytesIO(BAD), "cap-nhat.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 422 and "không phải là số" in r.get_data(as_text=True)
    r = con.post("/propose-file", data={"csrf_token": csrf(con, "/propose-file"), "layer": SITE[0], "crs": "",
                                        "file": (io.BytesIO(GOOD), "cap-nhat.csv")},
                 content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Thêm mới: 1" in html and "Thay đổi: 1" in html
    assert 'id="send-form"' in html and "mã mới" in html and "từ tên" in html
    stored = html.split('name="stored" value="')[1].split('"')[0]
    r = con.post("/propose-file/send", data={"csrf_token": csrf(con, "/propose-file"), "stored": stored,
                                             "layer": SITE[0], "crs": "", "filename": "cap-nhat.csv",
                                             "evidence_ref": "Công văn 5/KCN"})
    assert r.status_code == 303
    key = r.headers["Location"].rsplit("/", 1)[1].split("?")[0]
    login(rev, "rev")
    page = rev.get(f"/review/batch/{key}").get_data(as_text=True)
    assert "Điện mặt trời mái nhà KCN Bình Hòa" in page and 'id="decide"' in page
    r = rev.post(f"/review/batch/{key}/decide", data={"action": "approve",
                                                      "csrf_token": csrf(rev, f"/review/batch/{key}")})
    assert r.status_code == 303
    assert rev.get(f"/api/sites/{SITE[0]}/dien-mat-troi-mai-nha-kcn-binh-hoa").status_code == 200


@pytest.mark.parametrize("url", ["/propose-file", "/propose-file/send", "/review/batch/abc/decide"])
def test_batch_writes_refuse_anonymous_and_lower_roles(edit_app, url):
    anonymous = edit_app.test_client()
    assert anonymous.post(url, data={"csrf_token": csrf(anonymous)}).status_code == 401
    lower = edit_app.test_client()
    login(lower, "rev" if "propose" in url else "con")
    assert lower.post(url, data={"csrf_token": csrf(lower, "/account")}).status_code == 403
