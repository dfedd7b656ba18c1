"""A whole file as one proposal, in the browser: upload, the import's dry run, send; review the batch.

The Flask side of :mod:`geo_kttt.editing.batch`. The preview lists what ``geo-kttt import
--dry-run`` lists (added, changed field by field, unchanged, not in the file, problems, with
the rules in Vietnamese first); sending makes one proposal per site, decided together.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..catalog import FIELDS
from ..editing import batch, review
from ..editing.errors import EditingError
from ..editing.positions import VN2000_CRS
from ..i18n import say, t
from .auth import LOGGED_IN, atlas_changed, requires, workspace
from .editing import lang_arg, shown_value
from .review import publish_and_say

bp = Blueprint("batch", __name__)
GRIDS = ("", "EPSG:4326", *VN2000_CRS)


def _problems(result) -> list[dict]:
    """The importer's problems as rows for the page, in the page's language."""
    return [{"row": p.row, "site": p.site_id, "field": p.field,
             "text": f"{say(p.message, g.lang)}. {t('val_fix', g.lang)}: {say(p.fix, g.lang)}"}
            for p in (result.problems if result else [])]


def _render(ws, preview=None, status=200, **form):
    layers = [(lid, layer.title[g.lang]) for lid, layer in ws.catalog.items()]
    col = 2 if g.lang == "vi" else 3
    warnings = [say(w, g.lang) for w in (preview.result.warnings if preview and preview.result else [])]
    return render_template(
        "editing/file.html", layers=layers, warnings=warnings, grids=GRIDS, preview=preview, form=form,
        problems=_problems(preview.result) if preview else [], labels={f: s[col] for f, s in FIELDS.items()},
        shown=shown_value(ws, preview.layer, g.lang) if preview else None), status


def _form_values() -> dict:
    return {k: request.form.get(k, "") for k in ("layer", "crs", "filename", "evidence_ref", "evidence_url",
                                                  "comment")}


@bp.route("/propose-file", methods=["GET", "POST"])
@requires("contributor")
def upload():
    """Upload a file; the page shows the import's dry run and, when it passes, the send form."""
    ws = workspace()
    if request.method == "GET":
        return _render(ws, layer=request.args.get("layer", ""))
    form = _form_values()
    if form["layer"] not in ws.catalog or form["crs"] not in GRIDS:
        abort(400, "layer or crs: choose one of the listed values")
    f = request.files.get("file")
    if f is None or not f.filename:
        return _render(ws, None, 422, **form)
    form["filename"] = f.filename
    stored = batch.stash(ws, f.filename, f.read(int(ws.max_mb * 2**20) + 1))
    p = batch.preview(ws, g.user, form["layer"], stored, form["crs"], f.filename)
    return _render(ws, p, 200 if p.ok else 422, **form)


@bp.post("/propose-file/send")
@requires("contributor")
def send():
    """Send a checked file as one batch of proposals, with its evidence."""
    ws, form = workspace(), _form_values()
    if form["layer"] not in ws.catalog or form["crs"] not in GRIDS:
        abort(400, "layer or crs: choose one of the listed values")
    stored = request.form.get("stored", "")
    p = batch.preview(ws, g.user, form["layer"], stored, form["crs"], form["filename"])
    try:
        key, ids = batch.submit(ws, g.user, p, form["evidence_ref"], form["evidence_url"], form["comment"],
                                ip=request.remote_addr or "")
    except EditingError as e:
        flash(e.text(g.lang), "error")
        return _render(ws, p, 422, **form)
    flash(t("batch_sent", g.lang).format(n=len(ids)), "ok")
    return redirect(url_for("batch.page", key=key, **lang_arg()), code=303)


@bp.get("/review/batch/<key>")
@requires(LOGGED_IN)
def page(key):
    """Every proposal of a batch with its differences; reviewers decide on all of them at once."""
    ws, user = workspace(), g.user
    items = [review.detail(ws, pid) for pid in batch.batch_ids(ws, key)]
    if not (user.has("reviewer") or user.has("admin") or items[0]["proposer_id"] == user.id):
        abort(403, t("forbidden", g.lang))
    col = 2 if g.lang == "vi" else 3
    pending = all(p["state"] == "pending" for p in items)
    return render_template("editing/batch.html", key=key, items=items,
                           labels={f: s[col] for f, s in FIELDS.items()},
                           shown=shown_value(ws, items[0]["layer"], g.lang),
                           may_decide=user.has("reviewer") and pending and items[0]["proposer_id"] != user.id)


@bp.post("/review/batch/<key>/decide")
@requires("reviewer")
def decide(key):
    """Approve (and publish), reject or send back the whole batch."""
    ws = workspace()
    try:
        state = batch.decide_batch(ws, g.user, key, request.form.get("action", ""),
                                   request.form.get("comment", ""), ip=request.remote_addr or "")
    except EditingError as e:
        flash(e.text(g.lang), "error")
        return redirect(url_for("batch.page", key=key, **lang_arg()), code=303)
    if state == "approved":
        publish_and_say(ws)
    else:
        flash(t(f"decided_{state}", g.lang), "ok")
    atlas_changed()
    return redirect(url_for("batch.page", key=key, **lang_arg()), code=303)
