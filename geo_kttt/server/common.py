"""What the blueprints share: the atlas of the app, and one shape for every error response."""

from __future__ import annotations

import json

from flask import Response, current_app, g, jsonify, render_template, request
from werkzeug.http import HTTP_STATUS_CODES

from ..store import open_atlas

OGC_PREFIX = "/ogcapi"  # where errors are OGC API exceptions (JSON {code, description})


def get_atlas():
    """The atlas of the current app, opened once per process."""
    ext = current_app.extensions
    if "geo_kttt_atlas" not in ext:
        ext["geo_kttt_atlas"] = open_atlas(current_app.config["ATLAS"])
    return ext["geo_kttt_atlas"]


def error_response(status: int, message: str, ogc_code: str | None = None):
    """An error as OGC JSON under /ogcapi, JSON under /api/ (or when asked for), else a page."""
    name = HTTP_STATUS_CODES.get(status, "Error")
    if request.path == OGC_PREFIX or request.path.startswith(OGC_PREFIX + "/"):
        body = {"code": ogc_code or name.replace(" ", ""), "description": message}
        return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"status": status, "error": name, "message": message}), status
    if "lang" not in g:
        g.lang = current_app.config["LANG"]
    return render_template("error.html", code=status, message=message), status
