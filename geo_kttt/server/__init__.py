"""The Flask adapter: ``create_app(test_config)``; thin over the core, reads only the built atlas.

Every blueprint module is imported here by name and registered by :func:`create_app`, as in
Flask's tutorial (flaskr); the top bar's links are the static :data:`NAV`. The blueprints
share :mod:`.common`: the app's atlas and the one shape of error responses.

May import: anything in the package but ``cli``; only ``cli/serve.py`` imports it. Flask is
imported here, in ``server/``, and nowhere else.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request, url_for

from .. import settings
from ..catalog import ENGLISH_FIELDS, attribution_texts
from ..errors import AtlasError
from ..i18n import LANGS, Codes, Msg, date, number, number_span, percent, say
from ..i18n import t as translate
from ..maps.data import unit_label
from ..store import AtlasMissing
from ..web import STATIC, TEMPLATES
from . import (
    atlas_state,
    auth,
    batch,
    coverage,
    delivery,
    districts,
    editing,
    exports,
    hardening,
    heavy,
    imports,
    ogcapi,
    pages,
    report,
    review,
)
from .common import error_response, get_atlas

BLUEPRINTS = (pages, districts, exports, coverage, ogcapi, imports, report, auth, editing, review, batch)

# The top bar: (endpoint, i18n key, the blueprint all of whose pages mark the link active).
NAV = (
    ("pages.index", "nav_map", None),
    ("districts.province", "nav_districts", "districts"),
    ("pages.new_communes", "nav_new_communes", None),
    ("coverage.page", "nav_coverage", None),
    ("ogcapi.landing", "ogc.nav", None),
    ("imports.changes", "nav_changes", None),
    ("report.page", "nav_report", None),
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` overrides settings (ATLAS, TILE_URL, LANG, …)."""
    app = Flask(__name__, template_folder=TEMPLATES, static_folder=STATIC)
    app.config.update(
        ATLAS=settings.get("DATABASE_URL") or settings.get("ATLAS"),
        TILE_URL=settings.get("TILE_URL"),
        TILE_ATTRIBUTION=settings.get("TILE_ATTRIBUTION"),
        LANG=settings.get("LANG"),
    )
    app.config.update(test_config or {})
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint.bp)

    @app.before_request
    def _request_state():
        lang = request.args.get("lang", app.config["LANG"])
        if lang not in LANGS:
            abort(400, Msg("err_lang", allowed=Codes(LANGS)))
        g.lang = lang
        g.csp_nonce = secrets.token_urlsafe(16)

    _install_web(app)
    hardening.install(app)
    atlas_state.install(app)
    heavy.install(app, get_atlas, create_app)
    delivery.init_app(app)  # gzip, ETag/304 for data, a year for versioned assets
    return app



def _tile_source(tile_url: str | None) -> str:
    """The CSP source of the configured tile server ('' in the no-basemap mode)."""
    if not tile_url or tile_url.lower() == "none":
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _install_web(app: Flask) -> None:
    """Jinja globals (t, lang_url, lurl, nav, atlas_meta), filters for numbers and dates in the
    page's language (num, span, pct, date, say), the CSP header and the error handlers."""
    lang = lambda: g.get("lang", app.config["LANG"])  # noqa: E731
    app.jinja_env.globals["t"] = lambda key: translate(key, lang())
    app.jinja_env.filters.update(
        num=lambda v, places=None: number(v, lang(), places),
        span=lambda lo_hi, places=None: number_span(*lo_hi, lang(), places),
        pct=lambda v, places=0: percent(v, lang(), places), date=lambda v: date(v, lang()),
        say=lambda v: say(v, lang()), say_html=lambda v: say(v, lang(), html=True))

    def lang_url(lang: str) -> str:
        """This page in ``lang``, keeping the other query parameters (as a query string)."""
        return hardening.query_url(lang=lang)

    def lurl(endpoint: str, **values) -> str:
        """url_for that keeps the current language."""
        if g.get("lang") and g.lang != app.config["LANG"]:
            values.setdefault("lang", g.lang)
        return url_for(endpoint, **values)

    def unit(code: str) -> str:
        """A capacity unit's label in the page's language ('t/day' -> 'tấn/ngày')."""
        return unit_label(get_atlas().catalog, code, lang())

    app.jinja_env.globals.update(lang_url=lang_url, lurl=lurl, nav=NAV, unit=unit,
                                 english=ENGLISH_FIELDS)  # fields whose text is English: lang="en"

    @app.context_processor
    def _atlas_meta():
        try:
            meta = get_atlas().metadata
        except Exception:  # noqa: BLE001 - error pages must render without an atlas
            meta = {}
        return {"atlas_meta": meta, "attributions": attribution_texts(meta, lang())}

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
        """werkzeug's own errors (an unknown address) say it in the page's words, not werkzeug's."""
        own = e.description != type(e).description and e.description
        return error_response(e.code, own or Msg(f"err_http_{e.code}"))

    def _atlas_error(e: AtlasError):
        """The one handler of the atlas's own errors: their status, their message (a Msg is said
        in the page's language); an atlas that is missing or cannot be read is a 503 with
        Retry-After, its reason in the log."""
        if isinstance(e, AtlasMissing):
            return hardening.atlas_unavailable(e)
        message = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], Msg) else str(e)
        return error_response(e.http_status, message, e.code)

    app.register_error_handler(400, _error)
    app.register_error_handler(404, _error)
    app.register_error_handler(AtlasError, _atlas_error)
