"""The "what changed since <date>" page, read from the atlas's ``changes`` table.

``geo-kttt import`` appends every added, changed and removed record to
``layers/changes.csv``; the build copies it into the atlas as the ``changes`` table.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, render_template, request

from ..catalog import FIELDS, PRECISIONS, STATUSES
from ..i18n import number, t
from ..maps.data import unit_label
from .common import get_atlas

bp = Blueprint("imports", __name__)
DEFAULT_DAYS = 90
ACTIONS = ("added", "changed", "removed")


def _since() -> dt.date:
    raw = request.args.get("since", "").strip()
    if not raw:
        return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=DEFAULT_DAYS)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, t("changes_bad_date", g.lang))


def changes_since(atlas, since: dt.date) -> list[dict] | None:
    """Rows of the atlas's change log on or after ``since``, newest first; None without a log."""
    df = atlas.table("changes")
    if df is None:
        return None
    df = df[df["date"].astype(str) >= since.isoformat()]
    df = df.iloc[::-1].sort_values("date", ascending=False, kind="stable")
    return df.to_dict("records")


@bp.get("/changes")
def changes():
    """What changed in the atlas since ``?since=YYYY-MM-DD`` (default: the last 90 days)."""
    since, lang = _since(), g.lang
    atlas = get_atlas()
    rows = changes_since(atlas, since)
    titles = {lid: layer.title[lang] for lid, layer in atlas.catalog.items()}
    col = 2 if lang == "vi" else 3
    labels = {f: spec[col] for f, spec in FIELDS.items()}
    counts = {a: len({(r["layer"], r["id"]) for r in rows or [] if r["action"] == a}) for a in ACTIONS}
    return render_template("imports/changes.html", rows=rows, since=since.isoformat(), titles=titles,
                           labels=labels, counts=counts, t=lambda k, **kw: t(k, lang).format(**kw),
                           lang=lang, value=lambda r, v: _value(atlas, r, v, lang))


def _value(atlas, row: dict, value, lang: str):
    """An old or new value in words: a status, precision, kind or unit code as its label."""
    layer, field = atlas.catalog.get(row["layer"]), row["field"]
    labels = {"status": STATUSES, "location_precision": PRECISIONS}.get(field, {})
    if layer is not None and field == "kind":
        labels = layer.kinds
    if value in labels:
        return labels[value][lang]
    if field == "capacity_unit" and value:
        return unit_label(atlas.catalog, value, lang)
    if FIELDS.get(field, ("str",))[0] == "float" and str(value).strip():
        try:
            return number(float(value), lang, max_places=6)
        except ValueError:
            return value
    return value
