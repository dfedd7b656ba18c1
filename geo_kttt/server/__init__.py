"""The Flask adapter: ``create_app(config)``; thin over the core, reads only the built atlas."""

from __future__ import annotations

import importlib
import secrets
import signal
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, render_template, request, url_for

from .. import settings
from ..i18n import LANGS, register
from ..i18n import t as translate
from . import atlas_state, hardening, heavy
from .atlas_state import holder_for

# Blueprint modules of this package, registered when present: each defines ``bp``.
BLUEPRINTS = ("pages", "districts", "exports", "coverage", "ogcapi", "imports", "report")


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
    hardening.install(app)
    atlas_state.install(app)
    heavy.install(app, get_atlas, create_app)
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
        """This page in ``lang``, keeping the other query parameters (as a query string)."""
        return hardening.query_url(lang=lang)

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
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"status": e.code, "error": e.name, "message": e.description}), e.code
        if "lang" not in g:
            g.lang = app.config["LANG"]
        return render_template("error.html", code=e.code, message=e.description), e.code

    app.register_error_handler(400, _error)
    app.register_error_handler(404, _error)


# Top-bar links added by blueprints: (endpoint, i18n key), shown when the endpoint exists.
NAV_EXTRA: list[tuple[str, str]] = []


def nav_link(endpoint: str, key: str) -> None:
    """Add a top-bar link to ``endpoint`` labelled ``t(key)`` (once)."""
    if (endpoint, key) not in NAV_EXTRA:
        NAV_EXTRA.append((endpoint, key))


def get_atlas():
    """The atlas this request reads: the newest build when the request started, for all of it."""
    if "geo_kttt_atlas" not in g:
        g.geo_kttt_atlas = holder_for(current_app.config["ATLAS"]).current()
    return g.geo_kttt_atlas


def cmd_serve(args) -> int:
    """Serve the atlas with waitress (a production WSGI server)."""
    import waitress

    atlas = args.database or args.atlas
    app = create_app({"ATLAS": str(atlas)} if atlas else None)
    host, port = args.host or settings.get("HOST"), int(args.port or settings.get("PORT"))
    app.config.update(HOST=host, PORT=str(port))  # where absolute links start without PUBLIC_URL
    with app.app_context():
        get_atlas()  # open and read it: nothing built, or a damaged atlas, stops here with the reason
    signal.signal(signal.SIGTERM, _stop)  # like Ctrl+C: waitress closes, the export pool shuts down
    print(f"Serving the atlas on http://{host}:{port}/ (Ctrl+C to stop)")
    for note in hardening.serve_notes(app, int(args.threads)):
        print(note)
    try:
        waitress.serve(app, host=host, port=port, threads=int(args.threads),
                       **hardening.waitress_options(app))
    finally:
        heavy.shutdown_all()
    return 0


def _stop(_signum, _frame):
    raise SystemExit(0)


def register_cli(subparsers) -> None:
    """Add `geo-kttt serve` to the command line."""
    p = subparsers.add_parser("serve", help="serve the web atlas (waitress)")
    p.add_argument("--host", help="address to listen on (GEO_KTTT_HOST, default 127.0.0.1)")
    p.add_argument("--port", help="port (GEO_KTTT_PORT, default 8050)")
    p.add_argument("--threads", default=8, help="worker threads (default 8)")
    p.set_defaults(func=cmd_serve)
