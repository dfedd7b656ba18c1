"""The Flask adapter: ``create_app(config)``; thin over the core, reads only the built atlas."""

from __future__ import annotations

import importlib
import json
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, jsonify, render_template, request, url_for

from .. import settings
from ..errors import AtlasError
from ..i18n import LANGS, register
from ..i18n import t as translate
from ..store import open_atlas

# Blueprint modules of this package, registered when present: each defines ``bp``.
BLUEPRINTS = ("pages", "districts", "exports", "coverage", "ogcapi", "imports", "report")
OGC_PREFIX = "/ogcapi"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` overrides settings (ATLAS, TILE_URL, LANG, …)."""
    app = Flask(__name__, template_folder="../../web/templates", static_folder="../../web/static")
    app.config.update(
        ATLAS=settings.get("DATABASE_URL") or settings.get("ATLAS"),
        TILE_URL=settings.get("TILE_URL"),
        TILE_ATTRIBUTION=settings.get("TILE_ATTRIBUTION"),
        LANG=settings.get("LANG"),
    )
    app.config.update(test_config or {})
    for name in BLUEPRINTS:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            continue
        app.register_blueprint(mod.bp)

    @app.before_request
    def _request_state():
        lang = request.args.get("lang", app.config["LANG"])
        if lang not in LANGS:
            abort(400, f"lang must be one of {', '.join(LANGS)}")
        g.lang = lang
        g.csp_nonce = secrets.token_urlsafe(16)

    _install_web(app)
    return app


register({
    "data_date": {"vi": "Số liệu đến ngày", "en": "Data as of"},
    "basemap": {"vi": "Nền bản đồ", "en": "Basemap"},
    "error": {"vi": "Lỗi", "en": "Error"},
    "back_to_map": {"vi": "Về bản đồ", "en": "Back to the map"},
})


def _tile_source(tile_url: str | None) -> str:
    """The CSP source of the configured tile server ('' in the no-basemap mode)."""
    if not tile_url or tile_url.lower() == "none":
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _install_web(app: Flask) -> None:
    """Jinja globals (t, lang_url, lurl, atlas_meta), the CSP header and the 400/404 pages."""
    app.jinja_env.globals["t"] = lambda key: translate(key, g.get("lang", app.config["LANG"]))

    def lang_url(lang: str) -> str:
        """This page in ``lang``, keeping the other query parameters."""
        args = request.args.to_dict(flat=False)
        args["lang"] = lang
        return url_for(request.endpoint or "pages.index", **(request.view_args or {}), **args)

    def lurl(endpoint: str, **values) -> str:
        """url_for that keeps the current language."""
        if g.get("lang") and g.lang != app.config["LANG"]:
            values.setdefault("lang", g.lang)
        return url_for(endpoint, **values)

    app.jinja_env.globals.update(lang_url=lang_url, lurl=lurl,
                                 has_endpoint=lambda e: e in app.view_functions)

    @app.context_processor
    def _atlas_meta():
        try:
            meta = get_atlas().metadata
        except Exception:  # noqa: BLE001 - error pages must render without an atlas
            meta = {}
        return {"atlas_meta": meta}

    @app.after_request
    def _csp(resp):
        nonce = g.get("csp_nonce", "")
        tiles = _tile_source(app.config.get("TILE_URL"))
        resp.headers.setdefault("Content-Security-Policy", (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
            f"img-src 'self' data:{tiles}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"))
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    def _error(e):
        return error_response(e.code, e.name, e.description)

    def _atlas_error(e: AtlasError):
        """The one handler of the atlas's own errors: their status, their message."""
        return error_response(e.http_status, e.code, str(e))

    app.register_error_handler(400, _error)
    app.register_error_handler(404, _error)
    app.register_error_handler(AtlasError, _atlas_error)


def error_response(status: int, name: str, message: str):
    """An error as OGC JSON under /ogcapi, JSON under /api/ (or when asked for), else a page."""
    if request.path == OGC_PREFIX or request.path.startswith(OGC_PREFIX + "/"):
        body = json.dumps({"code": name.replace(" ", ""), "description": message}, ensure_ascii=False)
        return Response(body, status=status, mimetype="application/json")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"status": status, "error": name, "message": message}), status
    if "lang" not in g:
        g.lang = current_app.config["LANG"]
    return render_template("error.html", code=status, message=message), status


# Top-bar links added by blueprints: (endpoint, i18n key), shown when the endpoint exists.
NAV_EXTRA: list[tuple[str, str]] = []


def nav_link(endpoint: str, key: str) -> None:
    """Add a top-bar link to ``endpoint`` labelled ``t(key)`` (once)."""
    if (endpoint, key) not in NAV_EXTRA:
        NAV_EXTRA.append((endpoint, key))


def get_atlas():
    """The atlas of the current app, opened once per process."""
    ext = current_app.extensions
    if "geo_kttt_atlas" not in ext:
        ext["geo_kttt_atlas"] = open_atlas(current_app.config["ATLAS"])
    return ext["geo_kttt_atlas"]


def cmd_serve(args) -> int:
    """Serve the atlas with waitress (a production WSGI server)."""
    import waitress

    atlas = args.database or args.atlas
    app = create_app({"ATLAS": str(atlas)} if atlas else None)
    with app.app_context():
        get_atlas()  # fail early, with the message of AtlasMissing, when nothing is built
    host, port = args.host or settings.get("HOST"), int(args.port or settings.get("PORT"))
    print(f"Serving the atlas on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=int(args.threads))
    return 0


def register_cli(subparsers) -> None:
    """Add `geo-kttt serve` to the command line."""
    p = subparsers.add_parser("serve", help="serve the web atlas (waitress)")
    p.add_argument("--host", help="address to listen on (GEO_KTTT_HOST, default 127.0.0.1)")
    p.add_argument("--port", help="port (GEO_KTTT_PORT, default 8050)")
    p.add_argument("--threads", default=4, help="worker threads (default 4)")
    p.set_defaults(func=cmd_serve)
