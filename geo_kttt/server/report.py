"""/report: the provincial report's figures beside the atlas, its other indicators, and errata."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from ..catalog import PRECISIONS, STATUSES
from ..i18n import register
from ..summary import reconcile
from .common import get_atlas

bp = Blueprint("report", __name__)

register({
    "nav_report": {"vi": "Đối chiếu báo cáo", "en": "Report check"},
    "rep_title": {"vi": "Đối chiếu với báo cáo của tỉnh", "en": "Checked against the provincial report"},
    "rep_intro": {"vi": "Số liệu báo cáo nêu, bên cạnh những gì bản đồ đã định vị được.",
                  "en": "What the report states, beside what the atlas has located."},
    "rep_figure": {"vi": "Báo cáo nêu", "en": "The report states"},
    "rep_located": {"vi": "Đã định vị", "en": "Located"},
    "rep_capacity": {"vi": "Công suất định vị / báo cáo", "en": "Capacity located / reported"},
    "rep_verified": {"vi": "Đã kiểm chứng", "en": "Verified"},
    "rep_precision": {"vi": "Độ chính xác vị trí", "en": "Location precision"},
    "rep_status": {"vi": "Tình trạng", "en": "Status"},
    "rep_source": {"vi": "Nguồn", "en": "Source"},
    "rep_indicators": {"vi": "Chỉ tiêu không gắn với điểm", "en": "Figures that are not sites"},
    "rep_indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "rep_value": {"vi": "Giá trị", "en": "Value"},
    "rep_year": {"vi": "Năm", "en": "Year"},
    "rep_errata": {"vi": "Sai lệch giữa báo cáo và nghiên cứu",
                   "en": "Where the research contradicts the report"},
    "rep_topic": {"vi": "Nội dung", "en": "Topic"},
    "rep_claim": {"vi": "Nguồn kia nói", "en": "Claimed"},
    "rep_finding": {"vi": "Nghiên cứu cho thấy", "en": "Found"},
    "yes": {"vi": "có", "en": "yes"},
    "no": {"vi": "chưa", "en": "no"},
})


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
