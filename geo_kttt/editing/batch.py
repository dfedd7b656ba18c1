"""A whole file as one proposal: an officer's spreadsheet or GIS file, checked as ``geo-kttt import``.

The file (XLSX, CSV, GeoJSON, KML/KMZ, zipped Shapefile, GeoPackage; WGS 84 or VN-2000) is
imported by :func:`geo_kttt.imports.merge.run_import` into a staging copy of ``layers/``, so
the preview shows exactly what the command line's dry run would (added, changed field by
field, unchanged, problems), and the proposed records are those the importer would write.
Sent, it becomes one proposal per changed or added site, sharing a batch id, with the same
evidence; reviewers decide on the whole batch at once (all or nothing) or on each proposal,
and publishing is the one publish of every proposal.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa

from .. import io
from ..catalog import COLUMNS
from ..imports.merge import Result, run_import
from ..imports.source import TABLE_EXT, VECTOR_EXT, ImportFailed
from . import db
from .errors import Conflict, EditingError, Issue, NotAllowed, issue
from .proposals import layer_frame, version_of, with_sources
from .review import DECISIONS, bump_version, checked_decision, next_seq

FILE_EXT = (TABLE_EXT | VECTOR_EXT) - {".shp"}  # one file: a Shapefile comes zipped
MAX_UNPACKED_MB, MAX_RATIO = 200, 100  # zip-based files (xlsx, kmz, zip): bigger unpacked is a bomb
STASH = "imports"  # the evidence folder's sub-folder for uploaded files, named by their SHA-256


@dataclass
class Change:
    """One site the file adds (``new``) or changes (``edit``): its records before and after."""

    kind: str
    site_id: str
    before: dict | None
    after: dict
    fields: list


@dataclass
class Preview:
    """What sending the file would propose, and everything wrong with it."""

    layer: str
    stored_name: str
    result: Result | None
    changes: list = field(default_factory=list)
    issues: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.result) and not self.result.problems and not self.issues and bool(self.changes)


def _unpacked_mb(data: bytes) -> float:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return sum(i.file_size for i in z.infolist()) / 2**20


def stash(ws, filename: str, data: bytes) -> str:
    """Keep an uploaded file (checked: kind, size, no zip bomb) in the evidence folder; its name."""
    name = Path((filename or "file").replace("\\", "/")).name
    ext = Path(name).suffix.lower()
    if ext not in FILE_EXT:
        raise EditingError("err_file_kind", name=name[:80])
    if len(data) > ws.max_mb * 2**20:
        raise EditingError("err_file_size", status=413, name=name[:80], mb=len(data) / 2**20, max=ws.max_mb)
    if ext in (".xlsx", ".xlsm", ".zip", ".kmz"):
        try:
            mb = _unpacked_mb(data)
        except zipfile.BadZipFile:
            mb = 0.0  # damaged: the importer says so, with its message
        if mb > MAX_UNPACKED_MB or (data and mb * 2**20 / len(data) > MAX_RATIO and mb > 20):
            raise EditingError("err_zip_bomb", name=name[:80], mb=mb)
    folder = Path(ws.evidence_dir) / STASH
    folder.mkdir(parents=True, exist_ok=True)
    stored = hashlib.sha256(data).hexdigest() + ext
    if not (folder / stored).is_file():
        with io.atomic_path(folder / stored) as tmp:
            tmp.write_bytes(data)
    return stored


def _stashed(ws, stored_name: str) -> Path:
    stem, _, ext = stored_name.partition(".")
    path = Path(ws.evidence_dir) / STASH / stored_name
    if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem) or f".{ext}" not in FILE_EXT \
            or not path.is_file():
        raise EditingError("err_stash", status=404)
    return path


def preview(ws, user, layer: str, stored_name: str, crs: str | None = None, filename: str = "") -> Preview:
    """The file's import into a staging copy of the layers: its plan, problems and records.

    Raises
    ------
    EditingError
        For a user who is not a contributor, an unknown layer, a file that cannot be used.
    """
    if not user.has("contributor"):
        raise NotAllowed("err_not_contributor")
    before = {r["id"]: r for r in layer_frame(ws, layer).to_dict("records")}
    path = _stashed(ws, stored_name)
    with tempfile.TemporaryDirectory(prefix="geo-kttt-batch-") as scratch:
        staging = Path(scratch) / "layers"
        shutil.copytree(ws.layers_dir, staging, ignore=shutil.ignore_patterns(".*"))
        stem = "".join(ch for ch in Path(filename).stem if ch.isalnum() or ch in "-_. ")[:60] or "upload"
        source = Path(scratch) / f"{stem}{path.suffix}"  # its own name, not the hash, in messages
        shutil.copy(path, source)
        try:
            result = run_import(source, layer, staging, ws.admin, crs=crs or None, max_mb=ws.max_mb)
        except ImportFailed as e:
            raise EditingError("err_import", why=str(e)) from e
        after = {r["id"]: r for r in io.read_layer_file(staging / f"{layer}.csv")
                 .reindex(columns=COLUMNS).fillna("").to_dict("records")} if result.written else {}
    out = Preview(layer, stored_name, result)
    if result.problems:
        return out
    for kind, ids in (("new", result.plan.added), ("edit", sorted(result.plan.changed))):
        for sid in ids:
            old, new = before.get(sid), after[sid]
            fields = [c for c in COLUMNS if (old or {}).get(c, "") != new.get(c, "")]
            out.changes.append(Change(kind, sid, old, new, fields))
            for code in {(old or {}).get("district_code", ""), new.get("district_code", "")} - {""}:
                if not user.may_propose_in(code):
                    out.issues.append(issue(sid, "err_district_denied", code=code,
                                            allowed=", ".join(user.roles["contributor"])))
    if not out.changes:
        out.issues.append(issue("", "iss_batch_empty"))
    return out


def submit(ws, user, p: Preview, evidence_ref: str, evidence_url: str, comment: str = "", ip: str = ""):
    """Record a checked preview as one batch of pending proposals; returns (batch id, proposal ids)."""
    issues: list[Issue] = list(p.issues)
    ref, url = evidence_ref.strip()[:500], evidence_url.strip()[:500]
    if not ref and not url:
        issues.append(issue("evidence_ref", "iss_evidence"))
    if url and not url.startswith(("https://", "http://")):
        issues.append(issue("evidence_url", "iss_url"))
    if issues or not p.ok:
        raise EditingError("err_draft", count=len(issues) or len(p.result.problems if p.result else []))
    batch, ids = uuid.uuid4().hex[:12], []
    with ws.engine.begin() as conn:
        for c in p.changes:
            new = dict(c.after) | {"sources": with_sources(c.after.get("sources", ""), url, ref)}
            old = c.before or dict.fromkeys(COLUMNS, "")
            changed = [f for f in COLUMNS if old.get(f, "") != new.get(f, "")]
            pid = conn.execute(db.proposals.insert().values(
                kind=c.kind, layer=p.layer, site_id=c.site_id,
                base_version=version_of(conn, p.layer, c.site_id),
                old_record=json.dumps(old, ensure_ascii=False),
                new_record=json.dumps(new, ensure_ascii=False),
                changed=json.dumps(changed), evidence_ref=ref, evidence_url=url, comment=comment[:2000],
                state="pending", proposer_id=user.id, created_at=db.now(), batch=batch)
                .returning(db.proposals.c.id)).scalar_one()
            conn.execute(db.evidence.insert().values(
                proposal_id=pid, filename=f"{p.layer}{Path(p.stored_name).suffix}", stored_name=p.stored_name,
                content_type="application/octet-stream", size=_stashed(ws, p.stored_name).stat().st_size,
                sha256=p.stored_name.split(".")[0], uploaded_at=db.now()))
            ids.append(pid)
        db.audit(conn, user.username, "batch.submit", p.layer, {"batch": batch, "proposals": ids}, ip)
    return batch, ids


def batch_ids(ws, batch: str) -> list[int]:
    c = db.proposals.c
    with ws.engine.connect() as conn:
        ids = conn.execute(sa.select(c.id).where(c.batch == batch).order_by(c.id)).scalars().all()
    if not ids:
        raise EditingError("err_batch", status=404, batch=batch[:20])
    return list(ids)


def decide_batch(ws, reviewer, batch: str, action: str, comment: str = "", ip: str = "") -> str:
    """Approve, reject or send back every pending proposal of ``batch`` together (all or nothing)."""
    comment = checked_decision(reviewer, action, comment)
    ids, c = batch_ids(ws, batch), db.proposals.c
    with ws.engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(db.proposals).where(c.id.in_(ids))).mappings()]
        if any(r["state"] != "pending" for r in rows):
            raise Conflict("err_decided", pid=batch, state=", ".join(sorted({r["state"] for r in rows})))
        if action == "approve" and any(r["proposer_id"] == reviewer.id for r in rows):
            raise NotAllowed("err_own")
        seq = next_seq(conn)
        for r in rows:
            values = {"state": DECISIONS[action], "reviewer_id": reviewer.id, "reviewed_at": db.now(),
                      "review_comment": comment}
            if action == "approve":
                bump_version(conn, r["layer"], r["site_id"], r["base_version"])  # a conflict undoes all
                values["approved_seq"] = seq
            conn.execute(db.proposals.update().where(c.id == r["id"]).values(**values))
        db.audit(conn, reviewer.username, f"batch.{action}", batch,
                 {"proposals": ids, "comment": comment}, ip)
    return DECISIONS[action]
