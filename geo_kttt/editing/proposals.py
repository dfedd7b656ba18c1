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
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from .. import io
from ..catalog import COLUMNS, FIELDS, SOURCE_SEP
from ..i18n import say, t
from ..text import nfc, safe_cell, slug
from ..validate import validate_layer
from . import db
from . import evidence as ev
from .errors import EditingError, Issue, NotAllowed
from .errors import issue as _issue
from .positions import Position, parse_position

KINDS = ("edit", "close", "new", "remove")  # "remove" is made only by reverting a new site
STATES = ("pending", "returned", "approved", "published", "rejected")
# Fields a contributor types; position, precision, id and sources are set by the form's logic.
TYPED = [c for c in COLUMNS if c not in ("id", "lon", "lat", "location_precision", "sources")]
MAX_TEXT = 2000


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


# --- reading the form -----------------------------------------------------------------------

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
    return tuple(f"{label}: {say(p.message, lang)}. {t('val_fix', lang)}: {say(p.fix, lang)}"
                 for label, lang in ((label_vi, "vi"), (label_en, "en")))


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
