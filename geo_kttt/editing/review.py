"""Review: the queue, one proposal with its differences, and the decisions on it.

Approving checks the site's version: a proposal made against version *n* may be approved
only while the site is still at *n*, and approving moves it to *n + 1* in the same
transaction. A second reviewer approving another proposal for the same site therefore sees
a conflict and the current values; nothing is overwritten silently. Nobody approves their
own proposal: every change to the published atlas is seen by two people.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from ..catalog import COLUMNS
from . import db
from .accounts import User, user_by_id
from .errors import Conflict, EditingError, NotAllowed
from .positions import distance_m, drawn_at
from .proposals import current, version_of

DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}


def _row(conn, pid: int) -> dict:
    row = conn.execute(sa.select(db.proposals).where(db.proposals.c.id == pid)).mappings().first()
    if row is None:
        raise EditingError("err_no_proposal", status=404, pid=pid)
    return dict(row)


def _names(conn) -> dict:
    return {r.id: (r.username, r.display_name) for r in conn.execute(
        sa.select(db.users.c.id, db.users.c.username, db.users.c.display_name))}


def _summary(p: dict, names: dict, conn) -> dict:
    new, old = json.loads(p["new_record"]), json.loads(p["old_record"])
    out = {k: p[k] for k in ("id", "kind", "layer", "site_id", "state", "created_at", "reviewed_at",
                             "review_comment", "evidence_ref", "evidence_url", "comment", "published_at",
                             "publish_error", "base_version", "precision", "position_method", "accuracy_m",
                             "reverts", "batch")}
    out["name"] = new.get("name_vi") or old.get("name_vi") or p["site_id"]
    out["proposer"] = names.get(p["proposer_id"], ("?", ""))[0]
    out["reviewer"] = names.get(p["reviewer_id"], ("", ""))[0] if p["reviewer_id"] else ""
    out["proposer_id"] = p["proposer_id"]
    out["changed"] = json.loads(p["changed"])
    out["files"] = [dict(r) for r in conn.execute(
        sa.select(db.evidence.c.id, db.evidence.c.filename, db.evidence.c.content_type, db.evidence.c.size)
        .where(db.evidence.c.proposal_id == p["id"])).mappings()]
    out["conflict"] = (p["state"] == "pending"
                       and version_of(conn, p["layer"], p["site_id"]) != p["base_version"])
    return out


def queue(ws, states=("pending",), proposer: User | None = None, limit: int = 500) -> list[dict]:
    """Proposals in ``states`` (oldest first), or every proposal of ``proposer`` (newest first)."""
    c = db.proposals.c
    q = sa.select(db.proposals)
    q = q.where(c.proposer_id == proposer.id).order_by(c.id.desc()) if proposer else \
        q.where(c.state.in_(states)).order_by(c.id)
    with ws.engine.connect() as conn:
        names = _names(conn)
        return [_summary(dict(p), names, conn) for p in conn.execute(q.limit(limit)).mappings()]


def site_proposals(ws, layer: str, site_id: str) -> list[dict]:
    c = db.proposals.c
    with ws.engine.connect() as conn:
        names = _names(conn)
        rows = conn.execute(sa.select(db.proposals).where((c.layer == layer) & (c.site_id == site_id))
                            .order_by(c.id.desc())).mappings()
        return [_summary(dict(p), names, conn) for p in rows]


def detail(ws, pid: int) -> dict:
    """One proposal: its summary, the field-by-field difference, both positions and their distance.

    ``diff`` lists (field, old, new, current) for every field that differs; ``current`` is
    the value now (it differs from ``old`` when another change was approved in between).
    """
    with ws.engine.connect() as conn:
        p = _row(conn, pid)
        out = _summary(p, _names(conn), conn)
        out["version"] = version_of(conn, p["layer"], p["site_id"])
    old, new = json.loads(p["old_record"]), json.loads(p["new_record"])
    now, _ = current(ws, p["layer"], p["site_id"]) if p["kind"] != "new" else (None, 0)
    now = now or {}
    moved = out["conflict"]
    out["diff"] = [(f, old.get(f, ""), new.get(f, ""), now.get(f, "")) for f in COLUMNS
                   if old.get(f, "") != new.get(f, "") or (moved and now.get(f, "") != old.get(f, ""))]
    out["old_position"] = drawn_at(ws, old) if p["kind"] != "new" else None
    out["new_position"] = drawn_at(ws, new) if p["kind"] != "remove" else None
    out["distance_m"] = distance_m(out["old_position"], out["new_position"])
    out["old"], out["new"], out["current"] = old, new, now
    return out


def checked_decision(reviewer: User, action: str, comment: str) -> str:
    """The comment of a decision a reviewer may make (a known action; a reason to reject or send
    back), trimmed; EditingError or NotAllowed otherwise."""
    if action not in DECISIONS:
        raise EditingError("err_decision", action=action)
    if not reviewer.has("reviewer"):
        raise NotAllowed("err_not_reviewer")
    comment = (comment or "").strip()[:2000]
    if action in ("reject", "return") and not comment:
        raise EditingError("err_reason")
    return comment


def decide(ws, reviewer: User, pid: int, action: str, comment: str = "", ip: str = "") -> str:
    """Approve, reject (with a reason) or send back (with a comment) a pending proposal.

    Returns the new state.

    Raises
    ------
    NotAllowed
        Without the reviewer role, or for one's own proposal.
    Conflict
        When the proposal was decided already, or (approve) the site's version has moved on.
    """
    comment = checked_decision(reviewer, action, comment)
    state = DECISIONS[action]
    with ws.engine.begin() as conn:
        p = _row(conn, pid)
        if p["state"] != "pending":
            raise Conflict("err_decided", pid=pid, state=p["state"])
        if p["proposer_id"] == reviewer.id and action == "approve":
            raise NotAllowed("err_own")
        values = {"state": state, "reviewer_id": reviewer.id, "reviewed_at": db.now(),
                  "review_comment": comment}
        if action == "approve":
            bump_version(conn, p["layer"], p["site_id"], p["base_version"])
            values["approved_seq"] = next_seq(conn)
        c = db.proposals.c
        done = conn.execute(db.proposals.update().where((c.id == pid) & (c.state == "pending"))
                            .values(**values))
        if done.rowcount != 1:
            raise Conflict("err_decided", pid=pid, state="?")
        db.audit(conn, reviewer.username, f"proposal.{action}", f"{p['layer']}/{p['site_id']}",
                 {"proposal": pid, "comment": comment}, ip)
    return state


def bump_version(conn, layer: str, site_id: str, base: int) -> int:
    """Move the site from version ``base`` to ``base + 1``; Conflict when it is not at ``base``."""
    v = db.site_versions.c
    where = (v.layer == layer) & (v.site_id == site_id)
    if base == 0 and conn.execute(sa.select(v.version).where(where)).first() is None:
        try:
            with conn.begin_nested():
                conn.execute(db.site_versions.insert().values(layer=layer, site_id=site_id, version=1,
                                                              updated_at=db.now()))
            return 1
        except sa.exc.IntegrityError:
            pass
    done = conn.execute(db.site_versions.update().where(where & (v.version == base))
                        .values(version=base + 1, updated_at=db.now()))
    if done.rowcount != 1:
        raise Conflict("err_version", base=base, now=version_of(conn, layer, site_id))
    return base + 1


def next_seq(conn) -> int:
    top = conn.execute(sa.select(sa.func.max(db.proposals.c.approved_seq))).scalar()
    return (top or 0) + 1


def proposer_of(ws, p: dict) -> User | None:
    return user_by_id(ws.engine, p["proposer_id"])
