"""OGC API – Features at /ogcapi: JSON (GeoJSON) or HTML by ``?f=`` or the Accept header.

Thin over :mod:`geo_kttt.ogcapi`; client errors come back as JSON ``{code, description}``.
"""

from __future__ import annotations

import json

import orjson
from flask import Blueprint, Response, g, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from .. import ogcapi as core
from ..catalog import ENGLISH_FIELDS, FIELDS, PRECISIONS, STATUSES
from ..i18n import STRINGS, number, t
from ..maps.data import position_label, unit_label
from .common import OGC_PREFIX, error_response, get_atlas
from .hardening import public_base

PREFIX = OGC_PREFIX
bp = Blueprint("ogcapi", __name__, url_prefix=PREFIX)
FORMATS = {"json": "json", "html": "html"}


class FeatureIdConverter(PathConverter):
    """Any feature id, even one with '/' or a newline, reaches the view (and gets a JSON 404)."""

    regex = r"[\s\S]+"
    part_isolating = False


bp.record_once(lambda state: state.app.url_map.converters.setdefault("featureid", FeatureIdConverter))


def _base() -> str:
    return public_base() + PREFIX  # PUBLIC_URL or the trusted proxy's, never the Host header as sent


def _format() -> str:
    f = request.args.get("f")
    if f is not None:
        if f not in FORMATS:
            raise core.ApiError(400, "InvalidParameterValue", "f must be json or html")
        return f
    best = request.accept_mimetypes.best_match([core.JSON, core.GEOJSON, core.HTML], core.JSON)
    return "html" if best == core.HTML else "json"


# Properties shown in words on the HTML pages (the JSON keeps the codes): (key) -> label key
DISTRICT_FIELDS = ("code", "name", "full_name", "name_ascii", "type", "type_en", "province_code",
                   "province_name", "area_km2", "valid_in_source", "source_name", "source", "note",
                   "official_area_km2", "population", "population_year")
ENGLISH = (*ENGLISH_FIELDS, "type_en")  # text written in English: marked lang="en" on the page
NOT_NUMBERS = ("code", "district_code", "commune_code", "province_code", "year", "population_year")


def _label(key: str) -> str:
    """A property's header on the HTML pages, in the page's language."""
    if key in FIELDS:
        return FIELDS[key][2 if g.lang == "vi" else 3]
    for name in (f"ogc_prop_{key}", f"dl_{key}"):
        if name in STRINGS:
            return t(name, g.lang)
    return key


def _show(cid: str, key: str, value):
    """A property's value in words and numbers of the page's language (codes become labels)."""
    atlas, lang = get_atlas(), g.lang
    layer = atlas.catalog.get(cid)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or key in ("verified", "in_report", "valid_in_source"):
        return t("yes" if value in (True, "true", "True", 1) else "no", lang)
    labels = {"status": STATUSES, "location_precision": PRECISIONS}.get(key)
    if labels and value in labels:
        return labels[value][lang]
    if key == "layer" and value in atlas.catalog:
        return atlas.catalog[value].title[lang]
    if key == "kind" and layer and value in layer.kinds:
        return layer.kinds[value][lang]
    if key == "capacity_unit":
        return unit_label(atlas.catalog, value, lang)
    if key == "position_source":
        return position_label(value, lang)
    if key == "type" and f"unit_type_{value}" in STRINGS:
        return t(f"unit_type_{value}", lang)
    if key in ("lon", "lat"):
        return number(value, lang, max_places=6)
    if isinstance(value, int | float) and key not in NOT_NUMBERS:
        return number(value, lang)
    return value


def _reply(doc: dict, kind: str, json_type: str = core.JSON, heading: str | None = None) -> Response:
    if _format() == "html":
        heading = heading or doc.get("title") or doc.get("id") or t("ogc.title", g.lang)
        cid = (request.view_args or {}).get("cid", "")
        html = render_template("ogcapi/page.html", doc=doc, kind=kind, heading=heading,
                               label=_label, show=lambda k, v: _show(cid, k, v), english=ENGLISH,
                               pretty=json.dumps(doc, ensure_ascii=False, indent=1)[:20000])
        return Response(html, mimetype="text/html")
    # orjson: ~5x faster than json on feature pages (UTF-8 out, Vietnamese text unescaped)
    return Response(orjson.dumps(doc), mimetype=json_type)


def _http_error(err: HTTPException):
    """Errors raised before the view (e.g. a bad ?lang=) also come back as JSON here."""
    return error_response(err.code, err.description)


# by code too: the app's own 400/404 pages (HTML) would otherwise win over a class handler
for _code in (HTTPException, 400, 404, 405):
    bp.register_error_handler(_code, _http_error)


def _under_prefix() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def _app_errors(state) -> None:
    """Errors raised before any view (405 on a path of ours, 406, 413…) and server errors are
    JSON under /ogcapi too; elsewhere they stay what they were."""

    def http_error(err: HTTPException):
        return error_response(err.code, err.description) if _under_prefix() else err

    def server_error(err: HTTPException):
        if _under_prefix():
            return error_response(500, "internal error; the server log has the details", "ServerError")
        return err

    state.app.register_error_handler(HTTPException, http_error)
    state.app.register_error_handler(500, server_error)


bp.record_once(_app_errors)


@bp.get("/")
def landing():
    return _reply(core.landing(get_atlas(), _base(), g.lang), "landing")


@bp.get("/conformance")
def conformance():
    return _reply(core.conformance(), "conformance")


@bp.get("/api")
def api():
    doc = core.openapi(get_atlas(), _base())
    if _format() == "html":
        return _reply(doc, "api")
    return Response(json.dumps(doc, ensure_ascii=False), mimetype=core.OPENAPI)


@bp.get("/collections")
def collections():
    return _reply(core.collection_list(get_atlas(), _base(), g.lang), "collections")


@bp.get("/collections/<cid>")
def collection(cid):
    atlas = get_atlas()
    return _reply(core.collection_info(atlas, core.get_collection(atlas, cid), _base(), g.lang),
                  "collection")


@bp.get("/collections/<cid>/queryables")
def queryables(cid):
    """Part 3: the queryable properties as a JSON Schema."""
    doc = core.queryables(get_atlas(), cid, _base(), g.lang)
    return _reply(doc, "api", core.SCHEMA_JSON)


@bp.get("/collections/<cid>/schema")
def schema(cid):
    """The feature schema (GDAL's OAPIF driver types the fields from it)."""
    doc = core.feature_schema(get_atlas(), cid, _base(), g.lang)
    return _reply(doc, "api", core.SCHEMA_JSON)


def _with_crs(resp: Response) -> Response:
    """Part 2: every feature response says its CRS (``Content-Crs: <uri>``)."""
    resp.headers["Content-Crs"] = f"<{core.parse_crs(request.args)}>"
    return resp


@bp.get("/collections/<cid>/items")
def items(cid):
    atlas = get_atlas()
    doc = core.items(atlas, cid, request.args, _base(), g.lang)
    return _with_crs(_reply(doc, "items", core.GEOJSON, core.get_collection(atlas, cid).title[g.lang]))


@bp.get("/collections/<cid>/items/<featureid:fid>")
def item(cid, fid):
    atlas = get_atlas()
    doc = core.item(atlas, cid, fid, _base(), g.lang, request.args)
    props = doc.get("properties") or {}
    name = props.get(f"name_{g.lang}") or props.get("full_name") or props.get("name") or fid
    title = f"{core.get_collection(atlas, cid).title[g.lang]}: {name}"
    return _with_crs(_reply(doc, "item", core.GEOJSON, title))
