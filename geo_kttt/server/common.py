"""What the blueprints share: the atlas a request reads, and one shape for every error response."""

from __future__ import annotations

import json

from flask import Response, current_app, g, has_app_context, jsonify, render_template, request
from werkzeug.http import HTTP_STATUS_CODES

from .atlas_state import holder_for

OGC_PREFIX = "/ogcapi"  # where errors are OGC API exceptions (JSON {code, description})


def get_atlas():
    """The atlas this request reads: the newest build when the request started, for all of it
    (:mod:`.atlas_state` notices a rebuild and opens the new build once per process)."""
    if "geo_kttt_atlas" not in g:
        g.geo_kttt_atlas = holder_for(current_app.config["ATLAS"]).current()
    return g.geo_kttt_atlas


def reload_atlas(app) -> None:
    """After this process built the atlas again (publishing): the rest of the request and every
    request after it read the new build, without waiting for the holder's next check."""
    holder_for(app.config["ATLAS"]).expire()
    if has_app_context():  # in a request: drop the build it pinned
        g.pop("geo_kttt_atlas", None)


def error_response(status: int, message: str, ogc_code: str | None = None, title: str | None = None,
                   headers: dict | None = None):
    """An error as OGC JSON under /ogcapi, JSON under /api/ (or when asked for), else a page.

    ``title`` heads the page (default: by status); ``headers`` are added to the response
    (``Retry-After`` on a 503).
    """
    name = HTTP_STATUS_CODES.get(status, "Error")
    if request.path == OGC_PREFIX or request.path.startswith(OGC_PREFIX + "/"):
        body = {"code": ogc_code or name.replace(" ", ""), "description": message}
        resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    elif request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        resp = jsonify({"status": status, "error": name, "message": message})
        resp.status_code = status
    else:
        if "lang" not in g:
            g.lang = current_app.config["LANG"]
        resp = Response(render_template("error.html", code=status, message=message, title=title),
                        status=status, mimetype="text/html")
    resp.headers.update(headers or {})
    return resp
