"""/report: the provincial report's figures beside the atlas, its other indicators, and errata."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from ..catalog import PRECISIONS, STATUSES
from ..summary import reconcile
from .common import get_atlas

bp = Blueprint("report", __name__)


@bp.app_context_processor
def _labels():
    return {"status_label": lambda s: STATUSES.get(s, {}).get(g.lang, s),
            "precision_label": lambda p: PRECISIONS.get(p, {}).get(g.lang, p).lower()}


@bp.route("/report")
def page():
    """The report's figures, indicators and errata, side by side with the atlas."""
    atlas = get_atlas()
    return render_template("report/page.html", rows=reconcile(atlas), catalog=atlas.catalog,
                           indicators=atlas.table("indicators").to_dict("records"),
                           errata=atlas.table("errata").to_dict("records"))
