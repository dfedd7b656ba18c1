"""Editing core: proposals (positions, evidence, validation), review with versions, publish, revert."""

from __future__ import annotations

import hashlib

import pytest
from editing_fixtures import NEAR, SITE, edit_form, make_people

from geo_kttt import io
from geo_kttt.editing import proposals, publish, review
from geo_kttt.editing.errors import Conflict, EditingError, NotAllowed
from geo_kttt.imports import crs as crsmod
from geo_kttt.store import open_atlas


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _propose(ws, user, **form):
    d = proposals.draft(ws, user, "edit", *SITE, edit_form(**form))
    assert d.ok, [i.en for i in d.issues]
    return proposals.submit(ws, user, d)


def _site(ws):
    sites = open_atlas(ws.atlas).sites(SITE[0])
    return sites[sites.id == SITE[1]].iloc[0]


def test_move_with_evidence_changes_only_position_precision_and_sources(ws, people):
    d = proposals.draft(ws, people["con"], "edit", *SITE, edit_form())
    assert d.ok and d.changed == ["location_precision", "lon", "lat", "sources"]
    assert d.new["location_precision"] == "exact" and d.new["lon"] == str(NEAR[0])
    assert d.new["sources"].endswith("https://example.org/giay-phep | Công văn 123/UBND-KT")


def test_vn2000_coordinates_go_through_the_pinned_transformation(ws, people):
    inverse = crsmod.transformer("EPSG:9208")
    e, n = inverse.transform(NEAR[0], NEAR[1], direction="INVERSE")
    d = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(
        position_method="vn2000", easting=f"{e:.3f}", northing=f"{n:.3f}", vn_crs="EPSG:9208",
        lon="", lat=""))
    assert d.ok, [i.en for i in d.issues]
    assert (float(d.new["lon"]), float(d.new["lat"])) == pytest.approx(NEAR, abs=1e-6)
    swapped = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(
        position_method="vn2000", easting=f"{n:.3f}", northing=f"{e:.3f}", vn_crs="EPSG:9208"))
    assert [i.field for i in swapped.issues] == ["easting"]
    bad_grid = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(
        position_method="vn2000", easting="1", northing="2", vn_crs="EPSG:4326"))
    assert "vn_crs" in [i.field for i in bad_grid.issues]


def test_geolocation_keeps_its_accuracy(ws, people):
    pid = _propose(ws, people["con"], position_method="geolocation", accuracy_m="12.5",
                   precision_claim="approximate")
    p = review.detail(ws, pid)
    assert (p["accuracy_m"], p["precision"], p["position_method"]) == (12.5, "approximate", "geolocation")
    assert 300 < p["distance_m"] < 500  # from the commune reference point, in EPSG:9208 metres


@pytest.mark.parametrize("form, field", [
    ({"evidence_ref": "", "evidence_url": ""}, "evidence_ref"),
    ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ({"precision_claim": ""}, "precision_claim"),
    ({"lon": "106.5"}, "lon/lat"),  # far outside An Giang: the rule of geo-kttt validate
    ({"capacity": "lots"}, "capacity"),
    ({"status": "finished"}, "status"),
    ({"capacity": "5", "capacity_unit": "kg"}, "capacity_unit"),
    ({"operator": "=HYPERLINK(\"http://x\")"}, "operator"),  # never a formula in layers/ or changes.csv
])
def test_problems_name_their_field(ws, people, form, field):
    d = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(**form))
    assert not d.ok
    assert field in [i.field for i in d.issues], [(i.field, i.en) for i in d.issues]
    assert all(i.vi and i.en for i in d.issues)
    with pytest.raises(EditingError):
        proposals.submit(ws, people["con"], d)


def test_validation_problems_read_in_vietnamese_first(ws, people):
    far = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(lon="106.5"))
    words = proposals.draft(ws, people["con"], "edit", *SITE, edit_form(capacity="lots"))
    texts = {i.field: i for i in far.issues + words.issues}
    assert "nằm ngoài An Giang" in texts["lon/lat"].vi and texts["lon/lat"].vi.startswith("Kinh độ/Vĩ độ")
    assert "không phải là số" in texts["capacity"].vi and "Cách sửa" in texts["capacity"].vi
    assert texts["lon/lat"].en.startswith("Longitude/Latitude: point (106.5")


def test_district_limited_contributor_cannot_propose_elsewhere(ws, people):
    with pytest.raises(NotAllowed):  # the site is in district 892, "lim" may propose only in 883
        proposals.draft(ws, people["lim"], "edit", *SITE, edit_form())
    with pytest.raises(NotAllowed):
        proposals.draft(ws, people["rev"], "edit", *SITE, edit_form())


def test_new_site_and_closing(ws, people):
    form = {"name_vi": "Điểm thu gom Mỹ Hòa", "name_en": "My Hoa collection point", "kind": "complex",
            "district_code": "883", "commune_code": "", "status": "planned", "evidence_ref": "QĐ 45/QĐ-UBND"}
    d = proposals.draft(ws, people["lim"], "new", "waste_facilities", "", form)
    assert d.ok, [i.en for i in d.issues]
    assert d.site_id == "diem-thu-gom-my-hoa" and d.new["location_precision"] == "district"
    c = proposals.draft(ws, people["con"], "close", *SITE, {"evidence_ref": "Biên bản 7/2026"})
    assert c.ok and c.new["status"] == "closed" and "status" in c.changed


def test_contributor_cannot_approve_and_nobody_approves_their_own(ws, people):
    pid = _propose(ws, people["con"])
    with pytest.raises(NotAllowed):
        review.decide(ws, people["con"], pid, "approve")
    both = make_people.__globals__["accounts"].grant(ws.engine, "rev", "contributor")
    own = _propose(ws, both)
    with pytest.raises(NotAllowed):
        review.decide(ws, both, own, "approve")
    with pytest.raises(EditingError):
        review.decide(ws, people["rev"], pid, "reject")  # a reason is required
    assert review.decide(ws, people["rev"], pid, "return", "Ảnh chụp không rõ") == "returned"
    assert [p["state"] for p in review.queue(ws, proposer=people["con"])] == ["returned"]


def test_second_reviewer_on_the_same_site_sees_a_conflict(ws, people):
    first, second = _propose(ws, people["con"]), _propose(ws, people["con"], capacity="12")
    assert review.decide(ws, people["rev"], first, "approve") == "approved"
    with pytest.raises(Conflict):
        review.decide(ws, people["rev"], first, "reject", "late")  # already decided
    assert review.detail(ws, second)["conflict"]
    with pytest.raises(Conflict) as e:
        review.decide(ws, people["rev2"], second, "approve")
    assert e.value.key == "err_version"
    detail = review.detail(ws, second)
    assert ("lon", "", str(NEAR[0]), str(NEAR[0])) in detail["diff"]  # the current values are shown


def test_publish_writes_layers_log_and_atlas_then_revert_restores(ws, people):
    layer_file = ws.layers_dir / f"{SITE[0]}.csv"
    before = layer_file.read_text(encoding="utf-8")
    pid = _propose(ws, people["con"])
    review.decide(ws, people["rev"], pid, "approve")
    result = publish.publish(ws, "rev")
    assert result.proposals == [pid] and not result.error
    site = _site(ws)
    assert (site.lon, site.lat, site.location_precision) == (NEAR[0], NEAR[1], "exact")
    assert "https://example.org/giay-phep" in site.sources
    log = io.read_table(ws.layers_dir / "changes.csv")
    assert set(log.field) == {"location_precision", "lon", "lat", "sources"}
    assert set(log.proposed_by) == {"con"} and set(log.approved_by) == {"rev"}
    assert set(log.proposal) == {str(pid)}
    rid = publish.revert(ws, people["adm"], pid, "Vị trí nhầm")
    with pytest.raises(NotAllowed):
        publish.revert(ws, people["rev"], pid, "x")
    assert publish.publish(ws, "adm").proposals == [rid]
    assert layer_file.read_text(encoding="utf-8") == before
    assert _site(ws).location_precision == "commune"
    assert len(io.read_table(ws.layers_dir / "changes.csv")) == 8


def test_failed_build_publishes_nothing_and_keeps_the_approval(ws, people):
    pid = _propose(ws, people["con"])
    review.decide(ws, people["rev"], pid, "approve")
    other = ws.layers_dir / "waste_facilities.csv"
    good = other.read_text(encoding="utf-8")
    other.write_text(good.replace(",operating,", ",exploded,", 1), encoding="utf-8")  # an unrelated error
    files = {p.name: _digest(p) for p in ws.layers_dir.iterdir()}
    atlas = _digest(ws.layers_dir.parent / "atlas.gpkg")
    result = publish.publish(ws, "rev")
    assert result.proposals == [] and "exploded" in result.error
    assert {p.name: _digest(p) for p in ws.layers_dir.iterdir()} == files
    assert _digest(ws.layers_dir.parent / "atlas.gpkg") == atlas
    kept = review.detail(ws, pid)
    assert kept["state"] == "approved" and "exploded" in kept["publish_error"]
    other.write_text(good, encoding="utf-8")
    assert publish.publish(ws, "rev").proposals == [pid]


def test_crash_between_writing_and_rebuilding_loses_nothing(ws, people, monkeypatch):
    pid = _propose(ws, people["con"])
    review.decide(ws, people["rev"], pid, "approve")
    real_replace = publish.os.replace

    def crash(src, dst):
        raise SystemExit("power cut")  # after the layer files, before the new atlas goes live

    monkeypatch.setattr(publish.os, "replace", crash)
    with pytest.raises(SystemExit):
        publish.publish(ws, "rev")
    monkeypatch.setattr(publish.os, "replace", real_replace)
    assert review.detail(ws, pid)["state"] == "approved"  # still recorded, still publishable
    assert _site(ws).location_precision == "commune"  # readers kept the previous atlas
    assert publish.publish(ws, "rev").proposals == [pid]
    assert _site(ws).location_precision == "exact"
    assert len(io.read_table(ws.layers_dir / "changes.csv")) == 4  # applied once, not twice


def test_approved_but_unpublished_changes_are_the_base_of_the_next_proposal(ws, people):
    pid = _propose(ws, people["con"])
    review.decide(ws, people["rev"], pid, "approve")
    record, version = proposals.current(ws, *SITE)
    assert record["location_precision"] == "exact" and version == 1
    d = proposals.draft(ws, people["con"], "edit", *SITE, {"capacity": "12", "evidence_ref": "Báo cáo 2026",
                                                           "position_method": ""})
    assert d.ok and d.version == 1 and d.changed == ["capacity", "sources"]


@pytest.mark.postgis
def test_the_whole_path_against_postgresql(pg_ws):
    people = make_people(pg_ws)
    pid = _propose(pg_ws, people["con"])
    second = _propose(pg_ws, people["con"], capacity="12")
    review.decide(pg_ws, people["rev"], pid, "approve")
    with pytest.raises(Conflict):
        review.decide(pg_ws, people["rev2"], second, "approve")
    assert publish.publish(pg_ws, "rev").proposals == [pid]
    assert (_site(pg_ws).lon, _site(pg_ws).location_precision) == (NEAR[0], "exact")
    rid = publish.revert(pg_ws, people["adm"], pid, "nhầm")
    assert publish.publish(pg_ws, "adm").proposals == [rid]
    assert _site(pg_ws).location_precision == "commune"
    assert open_atlas(pg_ws.atlas).table("changes").proposal.tolist().count(str(rid)) == 4


def _race(w, people):
    """Two reviewers approve two proposals for the same site at the same moment."""
    import threading

    first, second = _propose(w, people["con"]), _propose(w, people["con"], capacity="12")
    barrier, outcome = threading.Barrier(2), {}

    def approve(who, pid):
        barrier.wait()
        try:
            outcome[pid] = review.decide(w, people[who], pid, "approve")
        except Conflict as e:
            outcome[pid] = e.key

    threads = [threading.Thread(target=approve, args=a) for a in (("rev", first), ("rev2", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcome.values())


def test_simultaneous_approvals_of_one_site_let_exactly_one_through(ws, people):
    assert _race(ws, people) == ["approved", "err_version"]
    assert proposals.current(ws, *SITE)[1] == 1


@pytest.mark.postgis
def test_simultaneous_approvals_against_postgresql(pg_ws):
    assert _race(pg_ws, make_people(pg_ws)) == ["approved", "err_version"]
