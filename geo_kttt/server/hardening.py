"""The edge of the app: what a request may carry, where absolute links point, and the answers
when it may not (413, 400/404 for control characters, 503 when the atlas cannot be read).

- Links back to "this page" are rebuilt as ``url_for(endpoint, **view_args)`` plus the
  request's parameters as an urlencoded query string (:func:`query_url`): a parameter name
  never becomes a keyword argument of ``url_for`` (``?endpoint=``, ``?_anchor=``, ``?code=``
  on ``/districts/<code>`` used to crash every page).
- NUL and the other control characters: a path holding one is no page of the atlas (404), a
  parameter holding one is refused (400).
- Request bodies: at most ``MAX_UPLOAD_MB`` (Flask's ``MAX_CONTENT_LENGTH``; ``geo-kttt
  serve`` gives waitress the same ``max_request_body_size``), 413 above it.
- Absolute links (the OGC API's) start at ``PUBLIC_URL``; with ``PROXIES`` set,
  werkzeug's ProxyFix takes scheme, host and prefix from that many proxies' X-Forwarded-*
  headers; otherwise they start at the address the server listens on. Never at the Host
  header as the client sent it.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlencode

from flask import Flask, abort, current_app, g, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import settings
from ..i18n import t
from ..store import AtlasMissing, AtlasUnreadable
from .common import error_response

CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL: never part of a page's address
URL_SAFE = "!$'()*,/:;?@"  # left as they are in a query string, as url_for (werkzeug) leaves them
RETRY_AFTER_S = 30  # what a 503 for an unreadable atlas suggests
CONFIG = ("MAX_UPLOAD_MB", "PUBLIC_URL", "PROXIES", "HOST", "PORT")


def install(app: Flask) -> None:
    """Settings (env unless the app's config gives them), ProxyFix, the guards and error replies.

    The one body limit and the one ProxyFix of the app are set here (login, evidence uploads
    and imports share them).
    """
    for name in CONFIG:
        app.config.setdefault(name, settings.get(name))
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit
        app.config["MAX_CONTENT_LENGTH"] = int(float(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)
    proxies = int(app.config["PROXIES"] or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies, x_prefix=proxies)
    app.before_request(_guard)
    app.jinja_env.globals["query_url"] = query_url
    app.register_error_handler(413, _too_large)
    app.register_error_handler(sqlite3.DatabaseError, atlas_unavailable)  # not an AtlasError


def _too_large(_e):
    """413, in the page's language: the limit, and that nothing was stored."""
    lang, limit = _lang(), current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return error_response(413, t("body_over_limit", lang).format(mb=limit / 1024 / 1024), None,
                          t("request_too_large", lang))


def waitress_options(app: Flask) -> dict:
    """What ``geo-kttt serve`` gives waitress besides host, port and threads: the body limit."""
    return {"max_request_body_size": int(app.config["MAX_CONTENT_LENGTH"])}


def serve_notes(app: Flask, threads: int) -> list[str]:
    """Warnings printed by ``geo-kttt serve`` about its settings."""
    notes = []
    if not app.config.get("PUBLIC_URL") and not int(app.config.get("PROXIES") or 0) \
            and app.config.get("HOST") not in ("127.0.0.1", "localhost", "::1"):
        notes.append(f"Note: absolute links (OGC API) start at {public_base_of(app.config)}; set "
                     "GEO_KTTT_PUBLIC_URL to the address users reach (docs/security.md).")
    waiting = int(app.config.get("HEAVY_WORKERS") or 1) + int(app.config.get("HEAVY_QUEUE") or 0)
    if threads <= waiting:
        notes.append(f"Note: {threads} threads and up to {waiting} exports waiting: light pages may "
                     "wait behind exports; give --threads more than HEAVY_WORKERS + HEAVY_QUEUE.")
    return notes


def _guard():
    """Control characters and oversize bodies, before any view (and before a 404/405)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413, f"The request body is larger than the limit of {limit / 1024 / 1024:g} MB "
                   "(MAX_UPLOAD_MB).")
    if CONTROL.search(request.path):
        abort(404, t("not_found", _lang()))
    for key, value in request.args.items(multi=True):
        bad = CONTROL.search(key) or CONTROL.search(value)
        if bad:
            name = CONTROL.sub("?", key)
            abort(400, t("control_char", _lang()).format(name=name, code=ord(bad.group())))


def _lang() -> str:
    lang = g.get("lang") or current_app.config["LANG"]
    return lang if lang in ("vi", "en") else "vi"


def query_url(endpoint: str | None = None, view_args: dict | None = None, **changes) -> str:
    """``url_for(endpoint, **view_args)`` and the request's query string with ``changes``.

    Without ``endpoint``: this page (the request's endpoint and view arguments). Query
    parameters are copied as text into the query string, never passed to ``url_for``; a
    change of ``None`` drops the parameter.
    """
    if endpoint is None:
        endpoint, view_args = request.endpoint or "pages.index", request.view_args
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, v) for k, v in changes.items() if v is not None]
    base = url_for(endpoint, **(view_args or {}))
    return base + ("?" + urlencode(args, safe=URL_SAFE) if args else "")


def public_base() -> str:
    """Where absolute links start (no trailing slash): PUBLIC_URL, the proxy's address
    (PROXIES), or the address the server listens on."""
    cfg = current_app.config
    if cfg.get("PUBLIC_URL"):
        return cfg["PUBLIC_URL"].rstrip("/")
    if int(cfg.get("PROXIES") or 0):
        return request.host_url.rstrip("/")  # rebuilt by ProxyFix from X-Forwarded-*
    return public_base_of(cfg) + request.script_root


def public_base_of(cfg) -> str:
    """PUBLIC_URL, or the address the server listens on (``http://HOST:PORT``)."""
    if cfg.get("PUBLIC_URL"):
        return cfg["PUBLIC_URL"].rstrip("/")
    host, port = str(cfg.get("HOST") or "127.0.0.1"), str(cfg.get("PORT") or "8050")
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{host}" + ("" if port == "80" else f":{port}")


def atlas_unavailable(e: Exception):
    """503 with Retry-After: the atlas is missing, damaged or being replaced (the reason in the log).

    The app's one handler of :class:`~geo_kttt.errors.AtlasError` sends AtlasMissing (and its
    AtlasUnreadable) here; SQLite errors while reading come here directly.
    """
    current_app.logger.error("atlas unavailable: %s", e)
    lang = _lang()
    never_built = isinstance(e, AtlasMissing) and not isinstance(e, AtlasUnreadable)
    return error_response(503, t("atlas_not_built" if never_built else "atlas_unreadable", lang), None,
                          t("unavailable", lang),
                          {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"})
