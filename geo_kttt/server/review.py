"""Reviewers' pages: the queue, one proposal with its differences, decisions, publishing, revert.

The Flask side of :mod:`geo_kttt.editing.review` and :mod:`geo_kttt.editing.publish`.
Approving publishes at once; when the build fails the approval stays recorded, the page
says why, and "Publish now" (or ``geo-kttt publish``) retries. Evidence files are served
only to reviewers and admins, as downloads that the browser never runs.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..catalog import FIELDS
from ..editing import db, evidence, publish, review
from ..editing.errors import Conflict
from ..i18n import t
from .auth import LOGGED_IN, atlas_changed, requires, workspace
from .editing import lang_arg, map_data, shown_value

bp = Blueprint("review", __name__)


def publish_and_say(ws) -> None:
    """Publish what is approved and tell the reviewer how it went."""
    _published_message(publish.publish(ws, g.user.username, ip=request.remote_addr or ""))


def _published_message(result) -> None:
    if result.error:
        flash(t("publish_failed", g.lang).format(why=result.error), "error")
    else:
        atlas_changed()
        if result.proposals:
            flash(t("published_ok", g.lang), "ok")


def _back(pid: int):
    return redirect(url_for("review.proposal", pid=pid, **lang_arg()), code=303)


@bp.get("/review")
@requires("reviewer")
def queue():
    """Pending proposals (who, when, which site, the evidence) and approved ones not yet published."""
    ws = workspace()
    col = 2 if g.lang == "vi" else 3
    return render_template("editing/queue.html", pending=review.queue(ws),
                           labels={f: s[col] for f, s in FIELDS.items()},
                           waiting=review.queue(ws, states=("approved",)))


@bp.get("/review/<int:pid>")
@requires(LOGGED_IN)
def proposal(pid):
    """One proposal: reviewers see everything and decide; its proposer sees its state."""
    ws, user = workspace(), g.user
    p = review.detail(ws, pid)
    if not (user.has("reviewer") or user.has("admin") or p["proposer_id"] == user.id):
        abort(403, t("forbidden", g.lang))
    col = 2 if g.lang == "vi" else 3
    points = [dict(kind=k, lon=pos[0], lat=pos[1]) for k, pos in
              (("old", p["old_position"]), ("new", p["new_position"])) if pos]
    shown = shown_value(ws, p["layer"], g.lang) if p["layer"] in ws.catalog else (lambda f, v: v)
    return render_template("editing/proposal.html", p=p, labels={f: s[col] for f, s in FIELDS.items()},
                           shown=shown,
                           may_decide=user.has("reviewer") and p["state"] == "pending"
                           and p["proposer_id"] != user.id, data=map_data(ws, g.lang, points=points))


@bp.post("/review/<int:pid>/decide")
@requires("reviewer")
def decide(pid):
    """Approve (and publish), reject with a reason, or send back with a comment."""
    ws, action = workspace(), request.form.get("action", "")
    try:
        state = review.decide(ws, g.user, pid, action, request.form.get("comment", ""),
                              ip=request.remote_addr or "")
    except Conflict as e:
        flash(e.text(g.lang), "error")
        return _back(pid)
    if state == "approved":
        _published_message(publish.publish(ws, g.user.username, ip=request.remote_addr or ""))
    else:
        flash(t(f"decided_{state}", g.lang), "ok")
    return _back(pid)


@bp.post("/review/publish")
@requires("reviewer")
def publish_now():
    """Publish every approved change still waiting (after a failed build or a crash)."""
    _published_message(publish.publish(workspace(), g.user.username, ip=request.remote_addr or ""))
    return redirect(url_for("review.queue", **lang_arg()), code=303)


@bp.post("/review/<int:pid>/revert")
@requires("admin")
def revert(pid):
    """Undo a published change; the revert is itself a logged, published change."""
    ws = workspace()
    try:
        new = publish.revert(ws, g.user, pid, request.form.get("comment", ""), ip=request.remote_addr or "")
    except Conflict as e:
        flash(e.text(g.lang), "error")
        return _back(pid)
    _published_message(publish.publish(ws, g.user.username, ip=request.remote_addr or ""))
    flash(t("reverted", g.lang).format(pid=new), "ok")
    return _back(new)


@bp.get("/review/evidence/<int:eid>")
@requires("reviewer")
def evidence_file(eid):
    """An evidence file, to reviewers only, as a download (never rendered by the browser as a page)."""
    ws = workspace()
    with ws.engine.connect() as conn:
        row = conn.execute(sa.select(db.evidence).where(db.evidence.c.id == eid)).mappings().first()
    if row is None:
        abort(404, f"no evidence file {eid}")
    path = evidence.path_of(ws.evidence_dir, row["stored_name"])
    if not path.is_file():
        abort(404, f"evidence file {eid} is missing from the evidence folder")
    resp = send_file(path, mimetype=row["content_type"], as_attachment=True, download_name=row["filename"],
                     max_age=0)
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
