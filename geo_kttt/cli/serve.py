"""`geo-kttt serve`: the web atlas with waitress (a production WSGI server)."""

from __future__ import annotations

import signal

import waitress

from .. import settings
from ..server import create_app, hardening, heavy
from ..server.common import get_atlas


def cmd_serve(args) -> int:
    """Serve the atlas with waitress (a production WSGI server)."""
    atlas = args.database or args.atlas
    given = {"ATLAS": str(atlas) if atlas else None, "LAYERS_DIR": args.layers_dir, "DATA_DIR": args.data_dir}
    app = create_app({k: v for k, v in given.items() if v} or None)  # the layers and data: for publishing
    host, port = args.host or settings.get("HOST"), int(args.port or settings.get("PORT"))
    app.config.update(HOST=host, PORT=str(port))  # where absolute links start without PUBLIC_URL
    with app.app_context():
        get_atlas()  # open and read it: nothing built, or a damaged atlas, stops here with the reason
    signal.signal(signal.SIGTERM, _stop)  # like Ctrl+C: waitress closes, the export pool shuts down
    print(f"Serving the atlas on http://{host}:{port}/ (Ctrl+C to stop)")
    print("Officers' login: on" if app.config.get("EDITING_ENABLED") else
          "Officers' login: off (no secret key: set GEO_KTTT_SECRET_KEY_FILE, see docs/editing.md)")
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


def register(subparsers) -> None:
    """Add `geo-kttt serve` to the command line."""
    p = subparsers.add_parser("serve", help="serve the web atlas (waitress)")
    p.add_argument("--host", help="address to listen on (GEO_KTTT_HOST, default 127.0.0.1)")
    p.add_argument("--port", help="port (GEO_KTTT_PORT, default 8050)")
    p.add_argument("--threads", default=8, help="worker threads (default 8)")
    p.set_defaults(func=cmd_serve)
