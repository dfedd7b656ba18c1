"""`geo-kttt serve`: the web atlas with waitress (a production WSGI server)."""

from __future__ import annotations

import waitress

from .. import settings
from ..i18n import t
from ..server import create_app
from ..server.common import get_atlas
from .common import ui_lang


def cmd_serve(args) -> int:
    """Serve the atlas with waitress (a production WSGI server)."""
    atlas = args.database or args.atlas
    app = create_app({"ATLAS": str(atlas)} if atlas else None)
    with app.app_context():
        get_atlas()  # fail early, with the message of AtlasMissing, when nothing is built
    host, port = args.host or settings.get("HOST"), int(args.port or settings.get("PORT"))
    print(t("cli_serving", ui_lang(args)).format(url=f"http://{host}:{port}/"))
    waitress.serve(app, host=host, port=port, threads=int(args.threads))
    return 0


def register(subparsers) -> None:
    """Add `geo-kttt serve` to the command line."""
    p = subparsers.add_parser("serve", help="serve the web atlas (waitress)")
    p.add_argument("--host", help="address to listen on (GEO_KTTT_HOST, default 127.0.0.1)")
    p.add_argument("--port", help="port (GEO_KTTT_PORT, default 8050)")
    p.add_argument("--threads", default=4, help="worker threads (default 4)")
    p.set_defaults(func=cmd_serve)
