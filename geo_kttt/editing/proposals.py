"""A proposed change to a site: its values, its position, its evidence, and its validation.

A proposal is built from a form (plain strings) against the site's current record: the
layer file's row with the changes already approved but not yet published laid over it.
The proposed record passes :func:`geo_kttt.validate.validate_layer`, the same rules as
``geo-kttt validate``; each problem names its field. The evidence (a document reference
or an http(s) URL, optionally a file) is required and is added to the site's ``sources``,
so the public popup cites it once the change is published.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from .. import io
from ..catalog import COLUMNS, FIELDS, SOURCE_SEP
from ..i18n import register
from ..imports import crs as crsmod
from ..sites import METRIC_CRS, locate, typed
from ..text import nfc, safe_cell, slug
from ..validate import validate_layer
from . import db
from . import evidence as ev
from .errors import EditingError, NotAllowed
from .messages import vietnamese

KINDS = ("edit", "close", "new", "remove")  # "remove" is made only by reverting a new site
STATES = ("pending", "returned", "approved", "published", "rejected")
CLAIMS = ("exact", "approximate")
METHODS = ("map", "wgs84", "vn2000", "geolocation")
VN2000_CRS = ("EPSG:9208", "EPSG:3405")
# Fields a contributor types; position, precision, id and sources are set by the form's logic.
TYPED = [c for c in COLUMNS if c not in ("id", "lon", "lat", "location_precision", "sources")]
MAX_TEXT = 2000

register({
    "err_layer": {"vi": "Không có lớp '{layer}'.", "en": "There is no layer '{layer}'."},
    "err_site": {"vi": "Không có cơ sở '{site}' trong lớp {layer}.",
                 "en": "No site '{site}' in layer {layer}."},
    "err_district_denied": {"vi": "Tài khoản của bạn chỉ được đề xuất cho huyện {allowed}, không cho {code}.",
                            "en": "Your account may propose only for district(s) {allowed}, not {code}."},
    "err_not_contributor": {"vi": "Cần vai trò contributor để đề xuất thay đổi.",
                            "en": "Proposing a change needs the contributor role."},
    "err_no_close": {"vi": "Lớp {layer} không có tình trạng 'closed'.",
                     "en": "Layer {layer} has no 'closed' status."},
    "iss_evidence": {"vi": "Cần bằng chứng: số/tên văn bản hoặc một đường dẫn (URL).",
                     "en": "Evidence is required: a document reference or a URL."},
    "iss_url": {"vi": "Đường dẫn phải bắt đầu bằng http:// hoặc https://.",
                "en": "The URL must start with http:// or https://."},
    "iss_too_long": {"vi": "Quá dài (tối đa {n} ký tự).", "en": "Too long (at most {n} characters)."},
    "iss_number": {"vi": "'{value}' không phải là số.", "en": "'{value}' is not a number."},
    "iss_method": {"vi": "Cách nhập vị trí '{value}' không có; dùng: {allowed}.",
                   "en": "Unknown way of giving the position '{value}'; use: {allowed}."},
    "iss_vn_crs": {"vi": "Hệ tọa độ VN-2000 phải là EPSG:9208 hoặc EPSG:3405.",
                   "en": "The VN-2000 grid must be EPSG:9208 or EPSG:3405."},
    "iss_swapped": {"vi": "Có vẻ số Bắc (N) và số Đông (E) bị đổi chỗ.",
                    "en": "Northing (N) and easting (E) look swapped."},
    "iss_claim": {"vi": "Chọn độ chính xác của vị trí mới: chính xác hoặc gần đúng.",
                  "en": "Choose the precision of the new position: exact or approximate."},
    "iss_nothing": {"vi": "Không có gì thay đổi so với dữ liệu hiện tại.",
                    "en": "Nothing differs from the current data."},
    "err_draft": {"vi": "Đề xuất còn {count} lỗi; sửa rồi gửi lại.",
                  "en": "The proposal still has {count} problem(s); fix them and send it again."},
    "iss_formula": {"vi": "'{value}' bắt đầu như một công thức bảng tính (= + - @); gõ giá trị thường.",
                    "en": "'{value}' starts like a spreadsheet formula (= + - @); type the plain value."},
    "iss_name": {"vi": "Cơ sở mới cần tên tiếng Việt.", "en": "A new site needs a Vietnamese name."},
})


@dataclass(frozen=True)
class Issue:
    """One problem with a proposal, naming its field; ``vi``/``en`` are the message and fix."""

    field: str
    vi: str
    en: str
    severity: str = "error"

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


def _issue(field_name: str, key: str, **params) -> Issue:
    e = EditingError(key, **params)
    return Issue(field_name, e.text("vi"), e.text("en"))


@dataclass
class Position:
    """A new position in WGS 84, how it was given, its claimed precision and reported accuracy."""

    lon: float
    lat: float
    method: str
    claim: str
    accuracy_m: float | None = None


@dataclass
class Draft:
    """A proposal being prepared: the base and proposed records, what changed, what is wrong."""

    kind: str
    layer: str
    site_id: str
    base: dict
    new: dict
    version: int
    position: Position | None = None
    evidence_ref: str = ""
    evidence_url: str = ""
    comment: str = ""
    issues: list = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [c for c in COLUMNS if self.base.get(c, "") != self.new.get(c, "")]

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


# --- the current state of a site ------------------------------------------------------------

def layer_frame(ws, layer: str) -> pd.DataFrame:
    """The layer file as text, every column of the schema present."""
    if layer not in ws.catalog:
        raise EditingError("err_layer", status=404, layer=layer)
    path = ws.layers_dir / f"{layer}.csv"
    df = io.read_layer_file(path) if path.is_file() else pd.DataFrame(columns=COLUMNS)
    return df.reindex(columns=COLUMNS).fillna("").astype(str)


def version_of(conn, layer: str, site_id: str) -> int:
    row = conn.execute(sa.select(db.site_versions.c.version).where(
        (db.site_versions.c.layer == layer) & (db.site_versions.c.site_id == site_id))).first()
    return row[0] if row else 0


def approved_unpublished(conn, layer: str | None = None, site_id: str | None = None) -> list[dict]:
    """Approved proposals not yet written to the layer files, in the order they were approved."""
    p = db.proposals.c
    q = sa.select(db.proposals).where(p.state == "approved")
    if layer is not None:
        q = q.where((p.layer == layer) & (p.site_id == site_id))
    return [dict(r) for r in conn.execute(q.order_by(p.approved_seq, p.id)).mappings()]


def apply(record: dict | None, proposal: dict) -> dict | None:
    """``record`` with a proposal's changed fields laid over it (None: the site is removed)."""
    if proposal["kind"] == "remove":
        return None
    new = json.loads(proposal["new_record"])
    out = dict(record or dict.fromkeys(COLUMNS, ""))
    for f in json.loads(proposal["changed"]):
        out[f] = new.get(f, "")
    return out


def current(ws, layer: str, site_id: str) -> tuple[dict | None, int]:
    """The site's record as it will be once every approved change is published, and its version."""
    df = layer_frame(ws, layer)
    rows = df[df.id == site_id].to_dict("records")
    record = rows[0] if rows else None
    with ws.engine.connect() as conn:
        for prop in approved_unpublished(conn, layer, site_id):
            record = apply(record, prop)
        return record, version_of(conn, layer, site_id)


def drawn_at(ws, record: dict) -> tuple[float, float] | None:
    """Where the build draws ``record``: its coordinate, or its commune or district point."""
    try:
        gdf = locate(typed(pd.DataFrame([record]).reindex(columns=COLUMNS).fillna("")), ws.admin)
    except (ValueError, TypeError):
        return None
    g = gdf.geometry.iloc[0]
    return None if g is None or g.is_empty else (round(g.x, 6), round(g.y, 6))


def distance_m(a, b) -> float | None:
    """Distance in metres between two (lon, lat) points, measured in EPSG:9208."""
    if a is None or b is None:
        return None
    pts = gpd.GeoSeries(gpd.points_from_xy([a[0], b[0]], [a[1], b[1]]), crs=4326).to_crs(METRIC_CRS)
    return float(pts.iloc[0].distance(pts.iloc[1]))


# --- reading the form -----------------------------------------------------------------------

def _number(form, name: str, issues: list) -> float | None:
    raw = str(form.get(name, "") or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        v = float(raw)
    except ValueError:
        issues.append(_issue(name, "iss_number", value=raw[:40]))
        return None
    if not math.isfinite(v):
        issues.append(_issue(name, "iss_number", value=raw[:40]))
        return None
    return v


def parse_position(form) -> tuple[Position | None, list[Issue]]:
    """The new position from the form's ``position_method`` and its fields (None: unchanged).

    ``map``, ``geolocation`` and ``wgs84`` give ``lon``/``lat`` in WGS 84; ``vn2000`` gives
    ``easting``/``northing`` in ``vn_crs`` (EPSG:9208 or EPSG:3405), converted with the
    project's pinned transformation (:func:`geo_kttt.crs.to_wgs84`).
    """
    method = str(form.get("position_method", "") or "").strip()
    issues: list[Issue] = []
    if not method:
        return None, issues
    if method not in METHODS:
        return None, [_issue("position_method", "iss_method", value=method[:20], allowed=", ".join(METHODS))]
    if method == "vn2000":
        e, n = _number(form, "easting", issues), _number(form, "northing", issues)
        grid = str(form.get("vn_crs", "")).strip()
        if grid not in VN2000_CRS:
            issues.append(_issue("vn_crs", "iss_vn_crs"))
        if e is None or n is None or issues:
            return None, issues or [_issue("easting", "iss_number", value="")]
        if crsmod.kind_of([e], [n]) == "northing-easting":
            return None, [_issue("easting", "iss_swapped")]
        lon, lat = (float(v[0]) for v in crsmod.to_wgs84([e], [n], grid))
    else:
        lon, lat = _number(form, "lon", issues), _number(form, "lat", issues)
        if lon is None or lat is None:
            return None, issues or [_issue("lon", "iss_number", value="")]
    claim = str(form.get("precision_claim", "")).strip()
    if claim not in CLAIMS:
        issues.append(_issue("precision_claim", "iss_claim"))
    accuracy = _number(form, "accuracy_m", issues) if method == "geolocation" else None
    return Position(round(lon, 6), round(lat, 6), method, claim, accuracy), issues


def _evidence(form, issues: list) -> tuple[str, str]:
    ref = nfc(form.get("evidence_ref", ""))
    url = nfc(form.get("evidence_url", ""))
    if not ref and not url:
        issues.append(_issue("evidence_ref", "iss_evidence"))
    if url and not url.startswith(("https://", "http://")):
        issues.append(_issue("evidence_url", "iss_url"))
    for name, v in (("evidence_ref", ref), ("evidence_url", url)):
        if len(v) > 500:
            issues.append(_issue(name, "iss_too_long", n=500))
        if safe_cell(v) != v:
            issues.append(_issue(name, "iss_formula", value=v[:40]))
    return ref, url


def with_sources(sources: str, *cited: str) -> str:
    """``sources`` with each of ``cited`` appended once (separated by `` | ``)."""
    parts = [s.strip() for s in str(sources or "").split(SOURCE_SEP.strip()) if s.strip()]
    parts += [c for c in cited if c and c not in parts]
    return SOURCE_SEP.join(parts)


# --- building and checking a proposal -------------------------------------------------------

def _new_id(ws, name: str, taken: set) -> str:
    base = slug(name)[:40].strip("-") or "site"
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    return sid


def _all_ids(ws) -> dict:
    """id -> layer over every layer file (ids are unique across the atlas)."""
    out = {}
    for lid in ws.catalog:
        out.update(dict.fromkeys(layer_frame(ws, lid).id, lid))
    return out


def _imprecise(record: dict) -> str:
    return "commune" if record.get("commune_code") else "district"


def draft(ws, user, kind: str, layer: str, site_id: str, form) -> Draft:
    """A :class:`Draft` of ``kind`` (edit, close, new) for ``layer``/``site_id`` from form values.

    Raises
    ------
    EditingError
        For an unknown layer or site (404), or a user who may not propose here (403).
    """
    if not user.has("contributor"):
        raise NotAllowed("err_not_contributor")
    catalog = ws.catalog
    if layer not in catalog:
        raise EditingError("err_layer", status=404, layer=layer)
    if kind == "new":
        base, version = dict.fromkeys(COLUMNS, ""), 0
    else:
        base, version = current(ws, layer, site_id)
        if base is None:
            raise EditingError("err_site", status=404, layer=layer, site=site_id)
    check_district(user, base.get("district_code", ""))
    issues: list[Issue] = []
    new = dict(base)
    if kind == "close":
        if "closed" not in catalog[layer].statuses:
            raise EditingError("err_no_close", layer=layer)
        new["status"] = "closed"
    else:
        for f in TYPED:
            if f in form:
                new[f] = nfc(form.get(f, ""))
                if len(new[f]) > MAX_TEXT:
                    issues.append(_issue(f, "iss_too_long", n=MAX_TEXT))
                if safe_cell(new[f]) != new[f]:
                    issues.append(_issue(f, "iss_formula", value=new[f][:40]))
    position, found = parse_position(form)
    issues += found
    if position is not None:
        new.update(lon=f"{position.lon:.6f}".rstrip("0").rstrip("."),
                   lat=f"{position.lat:.6f}".rstrip("0").rstrip("."), location_precision=position.claim)
    if kind == "new":
        if not new["name_vi"]:
            issues.append(_issue("name_vi", "iss_name"))
        new["id"] = _new_id(ws, new["name_vi"], set(_all_ids(ws)))
        new["verified"] = new["verified"] or "false"
        new["in_report"] = new["in_report"] or "false"
        if position is None:
            new["location_precision"] = _imprecise(new)
    elif position is None and new["location_precision"] in ("commune", "district"):
        new["location_precision"] = _imprecise(new)
    if new.get("district_code") != base.get("district_code"):
        check_district(user, new.get("district_code", ""))
    ref, url = _evidence(form, issues)
    new["sources"] = with_sources(base.get("sources", ""), url, ref)
    d = Draft(kind, layer, new["id"] if kind == "new" else site_id, base, new, version, position, ref, url,
              nfc(form.get("comment", ""))[:MAX_TEXT], issues)
    if not d.issues and not [c for c in d.changed if c != "sources"]:
        d.issues.append(_issue("", "iss_nothing"))
    d.issues += check(ws, d)
    return d


def check_district(user, code: str) -> None:
    if code and not user.may_propose_in(code):
        raise NotAllowed("err_district_denied", code=code, allowed=", ".join(user.roles["contributor"]))


def check(ws, d: Draft) -> list[Issue]:
    """The proposed record through :func:`geo_kttt.validate.validate_layer` (as ``geo-kttt validate``).

    Only the problems of the proposed row are returned; each names its field, with the fix.
    """
    df = layer_frame(ws, d.layer)
    df = df[df.id != d.site_id]
    frame = pd.concat([df, pd.DataFrame([d.new]).reindex(columns=COLUMNS).fillna("")], ignore_index=True)
    _gdf, problems = validate_layer(ws.catalog[d.layer], frame, ws.admin, f"{d.layer}.csv")
    row = len(frame)
    out = [Issue(p.field, *_translated(p), severity=p.severity) for p in problems if p.row == row]
    return out


def _translated(p) -> tuple[str, str]:
    """(vi, en) texts of a validation problem: the field's label first, then the rule and its fix."""
    label_vi = "/".join(FIELDS[f][2] for f in p.field.split("/") if f in FIELDS) or p.field
    label_en = "/".join(FIELDS[f][3] for f in p.field.split("/") if f in FIELDS) or p.field
    message, fix = vietnamese(p.message) or (p.message, p.fix)
    return f"{label_vi}: {message}. Cách sửa: {fix}", f"{label_en}: {p.message}. Fix: {p.fix}"


def submit(ws, user, d: Draft, upload=None, ip: str = "") -> int:
    """Record a checked draft (and its evidence file) as a pending proposal; returns its id.

    Raises
    ------
    EditingError
        When the draft still has errors.
    """
    if not d.ok:
        raise EditingError("iss_nothing" if not d.issues else "err_draft", count=len(d.issues))
    stored = ev.store(upload, ws.evidence_dir) if upload is not None else None
    try:
        with ws.engine.begin() as conn:
            pid = conn.execute(db.proposals.insert().values(
                kind=d.kind, layer=d.layer, site_id=d.site_id, base_version=d.version,
                old_record=_json(d.base), new_record=_json(d.new),
                changed=json.dumps(d.changed), precision=d.position.claim if d.position else "",
                position_method=d.position.method if d.position else "",
                accuracy_m=d.position.accuracy_m if d.position else None,
                evidence_ref=d.evidence_ref, evidence_url=d.evidence_url, comment=d.comment, state="pending",
                proposer_id=user.id, created_at=db.now()).returning(db.proposals.c.id)).scalar_one()
            if upload is not None:
                conn.execute(db.evidence.insert().values(
                    proposal_id=pid, filename=upload.filename, stored_name=upload.stored_name,
                    content_type=upload.content_type, size=len(upload.data), sha256=upload.sha256,
                    uploaded_at=db.now()))
            db.audit(conn, user.username, "proposal.submit", f"{d.layer}/{d.site_id}",
                     {"proposal": pid, "kind": d.kind, "changed": d.changed}, ip)
    except Exception:
        if stored is not None and not _referenced(ws, upload.stored_name):
            stored.unlink(missing_ok=True)
        raise
    return pid


def _referenced(ws, stored_name: str) -> bool:
    with ws.engine.connect() as conn:
        q = sa.select(db.evidence.c.id).where(db.evidence.c.stored_name == stored_name)
        return conn.execute(q).first() is not None


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)
