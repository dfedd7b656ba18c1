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
from ..i18n import t
from .common import OGC_PREFIX, error_response, get_atlas

PREFIX = OGC_PREFIX
bp = Blueprint("ogcapi", __name__, url_prefix=PREFIX)
FORMATS = {"json": "json", "html": "html"}


class FeatureIdConverter(PathConverter):
    """Any feature id, even one with '/' or a newline, reaches the view (and gets a JSON 404)."""

    regex = r"[\s\S]+"
    part_isolating = False


bp.record_once(lambda state: state.app.url_map.converters.setdefault("featureid", FeatureIdConverter))


def _base() -> str:
    return request.host_url.rstrip("/") + PREFIX


def _format() -> str:
    f = request.args.get("f")
    if f is not None:
        if f not in FORMATS:
            raise core.ApiError(400, "InvalidParameterValue", "f must be json or html")
        return f
    best = request.accept_mimetypes.best_match([core.JSON, core.GEOJSON, core.HTML], core.JSON)
    return "html" if best == core.HTML else "json"


def _reply(doc: dict, kind: str, json_type: str = core.JSON, heading: str | None = None) -> Response:
    if _format() == "html":
        heading = heading or doc.get("title") or doc.get("id") or t("ogc.title", g.lang)
        html = render_template("ogcapi/page.html", doc=doc, kind=kind, heading=heading,
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


@bp.get("/collections/<cid>/items")
def items(cid):
    atlas = get_atlas()
    doc = core.items(atlas, cid, request.args, _base(), g.lang)
    return _reply(doc, "items", core.GEOJSON, core.get_collection(atlas, cid).title[g.lang])


@bp.get("/collections/<cid>/items/<featureid:fid>")
def item(cid, fid):
    atlas = get_atlas()
    doc = core.item(atlas, cid, fid, _base(), g.lang)
    return _reply(doc, "item", core.GEOJSON, f"{core.get_collection(atlas, cid).title[g.lang]}: {fid}")
