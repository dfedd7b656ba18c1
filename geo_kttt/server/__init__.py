"""The Flask adapter: ``create_app(config)``; thin over the core, reads only the built atlas."""

from __future__ import annotations

import importlib
import secrets

from flask import Flask, abort, current_app, g, request

from .. import settings
from ..i18n import LANGS
from ..store import open_atlas

# Blueprint modules of this package, registered when present: each defines ``bp``.
BLUEPRINTS = ("pages", "districts", "exports", "coverage", "ogcapi", "imports")


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

    return app


def get_atlas():
    """The atlas of the current app, opened once per process."""
    ext = current_app.extensions
    if "geo_kttt_atlas" not in ext:
        ext["geo_kttt_atlas"] = open_atlas(current_app.config["ATLAS"])
    return ext["geo_kttt_atlas"]
