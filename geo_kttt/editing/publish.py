"""Publish approved changes: layer files, change log, atomic rebuild; and revert.

:func:`publish` takes every approved, unpublished proposal in the order of approval, lays it
over the layer files in a staging copy of ``layers/``, writes the staging files with the
importer's deterministic writer and change log, and builds the atlas from the staging copy
to a temporary file. Only when that build passes are the real layer files and
``layers/changes.csv`` written and the new atlas moved over the old one (readers keep the
previous atlas until then). A failed build writes nothing, leaves the proposals approved and
says why; publishing again retries them. A crash at any step leaves the approvals recorded:
proposals already in ``changes.csv`` (the ``proposal`` column) are not applied twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .. import io
from ..catalog import COLUMNS
from ..imports.merge import CHANGES_FILE, append_changes
from ..store import build
from ..store.postgis import build_postgis
from ..validate import ValidationFailed
from . import db
from .errors import Conflict, EditingError, NotAllowed
from .proposals import approved_unpublished, current, layer_frame
from .review import bump_version, next_seq


@dataclass
class Published:
    """The outcome of :func:`publish`: proposal ids written, and the error when the build failed."""

    proposals: list = field(default_factory=list)
    error: str = ""
    rows: int = 0


@contextlib.contextmanager
def _exclusive(ws):
    """One publisher at a time: a thread lock and a file lock (other processes) per layers folder."""
    key = hashlib.sha256(str(ws.layers_dir.resolve()).encode()).hexdigest()[:16]
    with ws.lock, open(Path(tempfile.gettempdir()) / f"geo-kttt-publish-{key}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _logged(layers_dir: Path) -> set[str]:
    path = layers_dir / CHANGES_FILE
    if not path.is_file():
        return set()
    df = io.read_table(path)
    return set(df["proposal"]) - {""} if "proposal" in df else set()


def _names(conn) -> dict:
    return dict(conn.execute(sa.select(db.users.c.id, db.users.c.username)).all())


def change_rows(p: dict, before: dict | None, after: dict | None, names: dict, date: str) -> list[dict]:
    """The change-log rows of one proposal: who proposed, who approved, the evidence."""
    ev = " | ".join(x for x in (p["evidence_ref"], p["evidence_url"]) if x)
    common = {"date": date, "layer": p["layer"], "id": p["site_id"], "source": f"proposal #{p['id']}",
              "proposed_by": names.get(p["proposer_id"], ""), "approved_by": names.get(p["reviewer_id"], ""),
              "evidence": ev, "proposal": str(p["id"])}
    if before is None:
        return [common | {"action": "added", "field": "", "old": "", "new": after["name_vi"]}]
    if after is None:
        return [common | {"action": "removed", "field": "", "old": before["name_vi"], "new": ""}]
    return [common | {"action": "changed", "field": f, "old": before.get(f, ""), "new": after.get(f, "")}
            for f in COLUMNS if before.get(f, "") != after.get(f, "")]


def _apply_all(ws, pending: list[dict], names: dict, date: str):
    """Lay ``pending`` over the layer files in memory: ({layer: frame}, change rows)."""
    frames, rows = {}, []
    for p in pending:
        df = frames.get(p["layer"])
        if df is None:
            df = frames[p["layer"]] = layer_frame(ws, p["layer"])
        hit = df.index[df.id == p["site_id"]]
        before = df.loc[hit[0]].to_dict() if len(hit) else None
        new = json.loads(p["new_record"])
        if p["kind"] == "remove":
            after = None
        else:
            after = dict(before or dict.fromkeys(COLUMNS, ""))
            after.update({f: new.get(f, "") for f in json.loads(p["changed"])})
        df = df[df.id != p["site_id"]]
        if after is not None:
            df = pd.concat([df, pd.DataFrame([after]).reindex(columns=COLUMNS)], ignore_index=True)
        frames[p["layer"]] = df.reset_index(drop=True)
        rows += change_rows(p, before, after, names, date)
    return frames, rows


def _rebuild(ws, staging: Path):
    """Build the atlas from ``staging``; returns the step that makes it the published one."""
    if ws.atlas.startswith(("postgresql://", "postgres://")):
        build_postgis(staging, ws.admin, ws.atlas)  # one transaction: all or nothing
        return lambda: None
    dest = Path(ws.atlas)
    tmp = dest.with_name(f".{dest.stem}-publish-{os.getpid()}.gpkg")
    tmp.unlink(missing_ok=True)
    build(staging, ws.admin, tmp)
    return lambda: os.replace(tmp, dest)


def publish(ws, actor: str = "system", ip: str = "", date: str | None = None) -> Published:
    """Write every approved change to the layer files and rebuild the atlas, atomically.

    Returns
    -------
    Published
        The proposal ids published; ``error`` says why when the build failed (then nothing
        was written and the proposals stay approved, with the error recorded on them).
    """
    date = date or db.now()[:10]
    with _exclusive(ws):
        with ws.engine.connect() as conn:
            pending, names = approved_unpublished(conn), _names(conn)
        if not pending:
            return Published()
        done = _logged(ws.layers_dir)
        todo = [p for p in pending if str(p["id"]) not in done]
        frames, rows = _apply_all(ws, todo, names, date)
        with tempfile.TemporaryDirectory(prefix="geo-kttt-publish-") as scratch:
            staging = Path(scratch) / "layers"
            shutil.copytree(ws.layers_dir, staging, ignore=shutil.ignore_patterns(".*"))
            for lid, df in frames.items():
                io.write_layer_file(df, staging / f"{lid}.csv", COLUMNS)
            if rows:
                append_changes(staging, rows)
            try:
                make_live = _rebuild(ws, staging)
            except (ValidationFailed, EditingError, ValueError, OSError) as e:
                return _failed(ws, pending, actor, ip, str(e))
            for lid, df in frames.items():
                io.write_layer_file(df, ws.layers_dir / f"{lid}.csv", COLUMNS)
            if rows:
                append_changes(ws.layers_dir, rows)
            make_live()
        ids = [p["id"] for p in pending]
        with ws.engine.begin() as conn:
            conn.execute(db.proposals.update().where(db.proposals.c.id.in_(ids))
                         .values(state="published", published_at=db.now(), publish_error=""))
            db.set_meta(conn, "atlas_generation", str(int(db.get_meta(conn, "atlas_generation", "0")) + 1))
            db.audit(conn, actor, "publish", "", {"proposals": ids, "rows": len(rows)}, ip)
        return Published(ids, "", len(rows))


def _failed(ws, pending, actor, ip, why: str) -> Published:
    short = why if len(why) < 4000 else why[:4000] + "…"
    ids = [p["id"] for p in pending]
    with ws.engine.begin() as conn:
        conn.execute(db.proposals.update().where(db.proposals.c.id.in_(ids)).values(publish_error=short))
        db.audit(conn, actor, "publish.failed", "", {"proposals": ids, "error": short}, ip)
    return Published([], short)


def generation(engine) -> str:
    """A value that changes at every publish (so app processes reopen the atlas)."""
    with engine.connect() as conn:
        return db.get_meta(conn, "atlas_generation", "0")


def revert(ws, admin, pid: int, reason: str, ip: str = "") -> int:
    """Undo a published change as a new, logged change approved by ``admin``; returns its id.

    The fields the change set go back to their earlier values (a new site is removed, a
    removed one comes back). Refused when a later change has touched the same fields.
    """
    if not admin.has("admin"):
        raise NotAllowed("err_not_admin")
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise EditingError("err_reason")
    with ws.engine.connect() as conn:
        target = conn.execute(sa.select(db.proposals).where(db.proposals.c.id == pid)).mappings().first()
    if target is None:
        raise EditingError("err_no_proposal", status=404, pid=pid)
    if target["state"] != "published":
        raise EditingError("err_not_published")
    now, version = current(ws, target["layer"], target["site_id"])
    old, new = json.loads(target["old_record"]), json.loads(target["new_record"])
    changed = json.loads(target["changed"])
    kind = {"new": "remove", "remove": "new"}.get(target["kind"], "edit")
    if kind == "edit":
        for f in changed:
            if (now or {}).get(f, "") != new.get(f, ""):
                raise Conflict("err_revert_conflict", field=f)
        restored = dict(now) | {f: old.get(f, "") for f in changed}
    else:
        restored = old if kind == "new" else dict(now or new)
    base = now or new
    with ws.engine.begin() as conn:
        bump_version(conn, target["layer"], target["site_id"], version)
        new_pid = conn.execute(db.proposals.insert().values(
            kind=kind, layer=target["layer"], site_id=target["site_id"], base_version=version,
            old_record=json.dumps(base, ensure_ascii=False),
            new_record=json.dumps(restored, ensure_ascii=False),
            changed=json.dumps(changed if kind == "edit" else COLUMNS),
            evidence_ref=f"revert of proposal #{pid}: {reason}", state="approved", proposer_id=admin.id,
            created_at=db.now(), reviewer_id=admin.id,
            reviewed_at=db.now(), review_comment=reason, approved_seq=next_seq(conn), reverts=pid)
            .returning(db.proposals.c.id)).scalar_one()
        db.audit(conn, admin.username, "proposal.revert", f"{target['layer']}/{target['site_id']}",
                 {"proposal": new_pid, "reverts": pid, "reason": reason}, ip)
    return new_pid
