"""`geo-kttt serve`: the web atlas on a production WSGI server, several processes where possible.

On Linux (any POSIX system) the default is **gunicorn** with ``--workers`` processes (default
2 × cores + 1) of ``--threads`` threads each (``gthread`` workers: keep-alive connections, and
a slow request, such as an export, holds one thread, never a whole worker or the others).
A page costs a few milliseconds of CPU under the interpreter lock, so threads of one process
queue behind each other; processes run on every core. On Windows, or with
``--server waitress``, waitress serves the app from one process with ``--threads`` threads.
Heavy exports run in each worker's own process pool (``server.heavy``, started on the first
export, shut down with the worker), so ``HEAVY_WORKERS`` is per worker.

Preload is **off**: every worker calls :func:`geo_kttt.server.create_app` itself after the fork
and opens its own atlas (SQLite connections, the PostGIS connection pool, locks and any export
process pool must never cross a fork), then answers one request to itself before it accepts
any (:func:`warm`), so the first visitor does not wait for the atlas to be read and the map's
cluster index built. Preloading would share little anyway: CPython's reference counts write
to nearly every page of the shared objects, so copy-on-write copies them per worker.
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import quote

import waitress

from .. import settings
from ..i18n import t
from ..server import create_app, hardening, heavy
from ..server.common import get_atlas
from .common import ui_lang

try:  # not on Windows: gunicorn needs fork()
    from gunicorn.app.base import BaseApplication
except ImportError:  # pragma: no cover - Windows, or gunicorn not installed
    BaseApplication = None

SERVERS = ("gunicorn", "waitress")
WARM_PATHS = ("/",)  # read the atlas, build the caches and the map's cluster index


def default_server() -> str:
    """gunicorn where it runs (POSIX, installed), else waitress."""
    return "gunicorn" if BaseApplication is not None and os.name == "posix" else "waitress"


def default_workers() -> int:
    """gunicorn's rule for CPU-bound work: 2 × the cores this process may use + 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 2 * cores + 1


def warm(app) -> float:
    """Answer :data:`WARM_PATHS` once inside ``app`` (no socket), then one bbox page of every
    OGC API collection (its in-memory point index, :mod:`geo_kttt.store.points`); returns
    the seconds it took."""
    t0 = time.perf_counter()
    client = app.test_client()
    for path in WARM_PATHS:
        client.get(path).close()
    listing = client.get("/ogcapi/collections?f=json")
    ids = [c["id"] for c in listing.get_json().get("collections", [])] if listing.status_code == 200 else []
    listing.close()
    for cid in ids:
        client.get(f"/ogcapi/collections/{quote(cid)}/items?bbox=0,0,0,0&limit=1&f=json").close()
    return time.perf_counter() - t0


if BaseApplication is not None:
    class AtlasGunicorn(BaseApplication):
        """gunicorn running :func:`create_app` in each worker (preload off), warmed before it serves."""

        def __init__(self, config: dict | None, options: dict):
            self.app_config, self.options = config, options
            super().__init__()

        def load_config(self):
            for key, value in self.options.items():
                self.cfg.set(key, value)
            self.cfg.set("post_worker_init", _warm_worker)
            self.cfg.set("worker_exit", _worker_exit)

        def load(self):
            return create_app(self.app_config)


def _warm_worker(worker) -> None:
    seconds = warm(worker.wsgi)
    print(f"worker {worker.pid} ready ({seconds:.1f} s to read the atlas and build its caches)", flush=True)


def _worker_exit(_server, _worker) -> None:
    heavy.shutdown_all()  # the worker's own export process pool, if it started one


def gunicorn_options(host: str, port: int, workers: int, threads: int, timeout: int) -> dict:
    """The gunicorn settings of ``geo-kttt serve`` (see the module docstring)."""
    return {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
            "preload_app": False, "timeout": timeout, "graceful_timeout": 30, "keepalive": 5,
            "accesslog": None, "errorlog": "-", "loglevel": "warning"}


def cmd_serve(args) -> int:
    """Serve the atlas (gunicorn worker processes, or waitress threads)."""
    atlas = args.database or args.atlas
    given = {"ATLAS": str(atlas) if atlas else None, "LAYERS_DIR": args.layers_dir, "DATA_DIR": args.data_dir}
    host, port = args.host or settings.get("HOST"), int(args.port or settings.get("PORT"))
    # the layers and data (for publishing), and where absolute links start without PUBLIC_URL
    config = {k: v for k, v in given.items() if v} | {"HOST": host, "PORT": str(port)}
    app = create_app(config)
    with app.app_context():
        get_atlas()  # open and read it: nothing built, or a damaged atlas, stops here with the reason
    server = args.server or default_server()
    if server == "gunicorn" and BaseApplication is None:
        print("gunicorn is not available here (it needs a POSIX system); serving with waitress")
        server = "waitress"
    workers = int(args.workers or default_workers()) if server == "gunicorn" else 1
    threads = int(args.threads or (1 if server == "gunicorn" else 8))
    how = (f"gunicorn, {workers} worker processes × {threads} thread(s)" if server == "gunicorn"
           else f"waitress, {threads} threads")
    print(t("cli_serving", ui_lang(args)).format(url=f"http://{host}:{port}/ ({how})"), flush=True)
    print("Officers' login: on" if app.config.get("EDITING_ENABLED") else
          "Officers' login: off (no secret key: set GEO_KTTT_SECRET_KEY_FILE, see docs/editing.md)")
    for note in hardening.serve_notes(app, workers * threads):
        print(note, flush=True)
    if server == "gunicorn":
        AtlasGunicorn(config, gunicorn_options(host, port, workers, threads, int(args.timeout))).run()
        return 0
    signal.signal(signal.SIGTERM, _stop)  # like Ctrl+C: waitress closes, the export pool shuts down
    try:
        waitress.serve(app, host=host, port=port, threads=threads, **hardening.waitress_options(app))
    finally:
        heavy.shutdown_all()
    return 0


def _stop(_signum, _frame):
    raise SystemExit(0)


def register(subparsers) -> None:
    """Add `geo-kttt serve` to the command line."""
    p = subparsers.add_parser("serve", help="serve the web atlas (gunicorn workers; waitress on Windows)")
    p.add_argument("--host", help="address to listen on (GEO_KTTT_HOST, default 127.0.0.1)")
    p.add_argument("--port", help="port (GEO_KTTT_PORT, default 8050)")
    p.add_argument("--server", choices=SERVERS,
                   help=f"WSGI server (default here: {default_server()}; waitress on Windows)")
    p.add_argument("--workers",
                   help=f"gunicorn worker processes (default 2 × cores + 1 = {default_workers()})")
    p.add_argument("--threads",
                   help="threads per gunicorn worker (default 1), or waitress threads (default 8)")
    p.add_argument("--timeout", default=300,
                   help="gunicorn: seconds a worker may stay silent before it is restarted (default 300)")
    p.set_defaults(func=cmd_serve)
