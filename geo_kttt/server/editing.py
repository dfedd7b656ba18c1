"""Officers' pages: a site's page with its history, the proposal form and its position preview.

The Flask side of :mod:`geo_kttt.editing.proposals`. Data reaches the pages as JSON (one
``application/json`` block read by ``editing.js``) and becomes DOM text; form values are
rendered by Jinja's autoescaping, never put into a template's source.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..catalog import ENGLISH_FIELDS, FIELDS, PRECISIONS, STATUSES
from ..editing import evidence, positions, proposals, review
from ..editing.errors import EditingError, Issue
from ..i18n import Msg, t
from ..maps.data import district_geojson, site_detail
from .auth import LOGGED_IN, requires, workspace
from .common import get_atlas

bp = Blueprint("editing", __name__)


@bp.app_template_filter("when")
def when(ts: str | None) -> str:
    """'2026-12-02T01:25:01+00:00' -> '2026-12-02 01:25 UTC'."""
    return f"{ts[:10]} {ts[11:16]} UTC" if ts and len(ts) >= 16 else (ts or "")


def _options(ws, layer, name: str, lang: str) -> list[tuple[str, str]] | None:
    """Allowed values of a field for ``layer`` as (value, label); None for free text."""
    lay = ws.catalog[layer]
    if name == "kind":
        return [(k, v[lang]) for k, v in lay.kinds.items()]
    if name == "status":
        return [(s, STATUSES[s][lang]) for s in lay.statuses]
    if name == "capacity_unit":
        return [("", "")] + [(u, v[lang]) for u, v in lay.units.items()]
    if name == "district_code":
        d = ws.admin.districts
        return [(c, f"{n} ({c})") for c, n in zip(d.code, d.full_name, strict=True)]
    if name == "commune_code":
        c = ws.admin.commune_points.sort_values(["district_code", "name"])
        return [("", "")] + [(code, f"{n} — {dn} ({code})") for code, n, dn in
                             zip(c.code, c.full_name, c.district_name, strict=True)]
    if FIELDS[name][0] == "bool":
        return [("true", t("true", lang)), ("false", t("false", lang))]
    return None


def shown_value(ws, layer: str, lang: str):
    """A function (field, value) -> text: allowed values by their name in ``lang``, with the code."""
    names = {f: dict(opts) for f in ("kind", "status", "verified", "in_report")
             if (opts := _options(ws, layer, f, lang))}
    names["location_precision"] = {k: v[lang] for k, v in PRECISIONS.items()}

    def shown(field: str, value: str) -> str:
        label = names.get(field, {}).get(value)
        return f"{label} ({value})" if label and label != value else value
    return shown


def form_fields(ws, layer: str, lang: str, values: dict, issues) -> list[dict]:
    """What the form shows for each typed field: label, allowed values, unit, value, problems."""
    col = 2 if lang == "vi" else 3
    wrong = {}
    for i in issues:
        for f in i.field.split("/"):
            wrong.setdefault(f, []).append(i.text(lang))
    out = []
    for name in proposals.TYPED:
        kind, required, *_ = FIELDS[name]
        out.append({"name": name, "label": FIELDS[name][col], "required": required,
                    "options": _options(ws, layer, name, lang), "value": values.get(name, ""),
                    "numeric": kind in ("float", "int"), "long": name in ("notes", "serves"),
                    "problems": wrong.get(name, [])})
    return out


def _site_or_404(layer: str, site_id: str) -> dict:
    feature = site_detail(get_atlas(), layer, site_id, g.lang)
    if feature is None:
        abort(404, Msg("err_no_site", site=site_id, layer=layer))
    return feature


def _history(layer: str, site_id: str) -> list[dict]:
    changes = get_atlas().table("changes")
    if changes is None:
        return []
    rows = changes[(changes["layer"] == layer) & (changes["id"] == site_id)]
    return rows.iloc[::-1].to_dict("records")


def map_data(ws, lang: str, **extra) -> dict:
    c = current_app.config
    return {"lang": lang, "tiles": c["TILE_URL"], "attribution": c["TILE_ATTRIBUTION"],
            "districts": district_geojson(get_atlas()),
            "strings": {k: t(k, lang) for k in ("geo_unavailable", "distance_from")}} | extra


@bp.get("/sites/<layer>/<site_id>")
def site_page(layer, site_id):
    """One site: its fields, a small map, the history of its changes with their evidence."""
    feature = _site_or_404(layer, site_id)
    p, user, lang = feature["properties"], g.get("user"), g.lang
    enabled = current_app.config.get("EDITING_ENABLED")
    ws = workspace() if enabled else None
    own = review.site_proposals(ws, layer, site_id) if ws and user and (
        user.has("reviewer") or user.has("admin")) else []
    lay = get_atlas().catalog[layer]
    labels = {f: s[2 if lang == "vi" else 3] for f, s in FIELDS.items()}
    return render_template(
        "editing/site.html", feature=feature, p=p, layer=lay, proposals=own, labels=labels,
        history=_history(layer, site_id), rows=site_rows(p, lay, labels, lang),
        shown=shown_value(ws, layer, lang) if ws else (lambda f, v: v),
        where=_position_source(p["position_source"], lang), may_close="closed" in lay.statuses,
        data=map_data(None, lang, current=feature["geometry"]["coordinates"]))


POSITION_SOURCES = {"commune reference point": "pos_commune_point",
                    "point inside district": "pos_district_point"}


def _position_source(text: str, lang: str) -> str:
    """The build's ``position_source`` ('commune reference point 30607', …) in ``lang``."""
    kind, _, code = text.rpartition(" ")
    if text == "site coordinate":
        return t("pos_site", lang)
    key = POSITION_SOURCES.get(kind)
    return t(key, lang).format(code=code) if key else text


def site_rows(p: dict, layer, labels: dict, lang: str) -> list[tuple[str, str, bool]]:
    """(label, text, written in English) of a site's fields (a feature of
    :func:`~geo_kttt.maps.data.site_detail` in ``lang``): codes by their names, numbers for ``lang``."""
    shown = {"kind": layer.kinds.get(p["kind"], {}).get(lang, p["kind"]),
             "status": STATUSES.get(p["status"], {}).get(lang, p["status"]),
             "capacity": p["capacity_text"],
             "location_precision": PRECISIONS[p["precision"]][lang],
             "district_code": f"{p.get('district_name') or ''} ({p['district_code']})",
             "commune_code": p["commune_code"] and f"{p.get('commune_name') or ''} ({p['commune_code']})",
             "in_report": t("true" if p["in_report"] else "false", lang)}
    rows = []
    for f in ("kind", "operator", "status", "capacity", "year", "district_code", "commune_code",
              "location_precision", "serves", "in_report", "notes"):
        value = shown.get(f, p.get(f))
        if value not in (None, ""):
            rows.append((labels[f], str(value), f in ENGLISH_FIELDS))
    return rows


def _initial(ws, kind, layer, site_id) -> dict:
    """Form values to start from: the current record, or a returned proposal (``?from=<id>``)."""
    if kind == "new":
        values = {"status": ws.catalog[layer].statuses[0], "verified": "false", "in_report": "false"}
    else:
        values, _ = proposals.current(ws, layer, site_id)
        if values is None:
            abort(404, f"no site {site_id} in layer {layer}")
    src = request.args.get("from", type=int)
    if src:
        p = review.detail(ws, src)
        if p["proposer_id"] == g.user.id and p["layer"] == layer:
            values = dict(p["new"]) | {"evidence_ref": p["evidence_ref"], "evidence_url": p["evidence_url"],
                                       "comment": p["comment"]}
    return values


def _render_form(ws, kind, layer, site_id, values, issues, status=200):
    lang = g.lang
    base = None if kind == "new" else proposals.current(ws, layer, site_id)[0]
    here = positions.drawn_at(ws, base) if base else None
    cfg = map_data(ws, lang, current=here, preview=url_for("editing.api_position", layer=layer,
                                                              site_id=site_id or "-"))
    return render_template(
        "editing/propose.html", kind=kind, layer=ws.catalog[layer], site_id=site_id, base=base,
        fields=form_fields(ws, layer, lang, values, issues) if kind != "close" else [],
        values=values, issues=issues, methods=positions.METHODS, grids=positions.VN2000_CRS,
        claims=positions.CLAIMS, max_mb=ws.max_mb, data=cfg, action_url=url_for(
            request.endpoint, **request.view_args, **lang_arg(),
            **({"action": "close"} if kind == "close" else {}))), status


def _upload(ws, issues):
    f = request.files.get("evidence_file")
    if f is None or not f.filename:
        return None
    try:
        return evidence.check_upload(f.filename, f.read(int(ws.max_mb * 2**20) + 1), ws.max_mb)
    except EditingError as e:
        issues.append(Issue("evidence_file", e.text("vi"), e.text("en")))
        return None


@bp.route("/propose/<layer>/<site_id>", methods=["GET", "POST"], endpoint="propose")
@bp.route("/propose/<layer>", methods=["GET", "POST"], endpoint="propose_new", defaults={"site_id": ""})
@requires("contributor")
def propose(layer, site_id):
    """The proposal form: every field of the layer, the position, the evidence."""
    ws = workspace()
    if layer not in ws.catalog:
        abort(404, f"no layer {layer}")
    kind = "new" if not site_id else ("close" if request.values.get("action") == "close" else "edit")
    if request.method == "GET":
        values = _initial(ws, kind, layer, site_id)
        if kind != "new":
            proposals.check_district(g.user, values.get("district_code", ""))
        return _render_form(ws, kind, layer, site_id, values, [])
    d = proposals.draft(ws, g.user, kind, layer, site_id, request.form)
    upload = _upload(ws, d.issues)
    if not d.ok:
        values = request.form.to_dict() | {k: d.new.get(k, "") for k in ("lon", "lat")}
        return _render_form(ws, kind, layer, site_id, values, d.issues, 422)
    pid = proposals.submit(ws, g.user, d, upload, ip=request.remote_addr or "")
    flash(t("sent", g.lang).format(pid=pid), "ok")
    return redirect(url_for("review.proposal", pid=pid, **lang_arg()), code=303)


def lang_arg() -> dict:
    return {"lang": g.lang} if g.lang != current_app.config["LANG"] else {}


@bp.get("/api/editing/position/<layer>/<site_id>")
@requires("contributor")
def api_position(layer, site_id):
    """Where a typed or picked position lands (WGS 84) and how far it is from the current one."""
    ws = workspace()
    pos, issues = positions.parse_position(request.args)
    if pos is None:
        return jsonify({"ok": False, "problems": [i.text(g.lang) for i in issues]})  # a preview, not an error
    base = proposals.current(ws, layer, site_id)[0] if site_id != "-" and layer in ws.catalog else None
    here = positions.drawn_at(ws, base) if base else None
    return jsonify({"ok": not issues, "lon": pos.lon, "lat": pos.lat,
                    "distance_m": positions.distance_m(here, (pos.lon, pos.lat)),
                    "problems": [i.text(g.lang) for i in issues]})


@bp.get("/account")
@requires(LOGGED_IN)
def account():
    """The signed-in person's roles and proposals with their states."""
    ws = workspace()
    layers = [(lid, layer.title[g.lang]) for lid, layer in ws.catalog.items()]
    return render_template("editing/account.html", mine=review.queue(ws, proposer=g.user), layers=layers)
