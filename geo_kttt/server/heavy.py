"""Heavy exports run outside the serving interpreter: a small process pool, a bounded queue, a cache.

``/export/pack.zip``, ``/export/sheet.*``, ``/export/map.html`` and ``/export/data.*`` take
seconds of CPU (matplotlib, folium, GDAL, zip); run in the server's own threads they held the
interpreter lock and light pages waited (p50 10 ms -> 4.8 s under four export clients). Here
the request thread only waits for a future:

- A :class:`concurrent.futures.ProcessPoolExecutor` of ``HEAVY_WORKERS`` processes (default
  1, started with ``spawn``, niced) each holds its own app over the same atlas and answers
  the request exactly as the view would (same code, same errors: a bad parameter is its 400).
- At most ``HEAVY_WORKERS + HEAVY_QUEUE`` request threads wait for heavy work; one more gets
  503 with ``Retry-After`` (the rest of the server's threads stay free for light pages).
- Answers (200 only) are cached per (atlas build, path, sorted query, language) in at most
  ``HEAVY_CACHE_MB``, least recently used first out; identical requests in flight share one
  job. A new build has a new id, so nothing of the old build is served after a rebuild.

The pool of an app is shared by every app of the process with the same settings (tests build
many apps over one atlas); :func:`pool_for` returns it.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import Flask, Response, current_app, g, request

from .. import settings
from ..errors import AtlasError
from ..i18n import t
from .common import error_response

HEAVY_ENDPOINTS = frozenset({"exports.pack", "exports.sheet", "exports.html_map", "exports.data"})
WAIT_S = 600  # longest a request waits for its export
FIRST_GUESS_S = 10.0  # what an export is assumed to take before one was timed
MAX_POOLS = 3  # pools kept per process (one per distinct app configuration)
KEEP_HEADERS = ("content-type", "content-disposition", "cache-control", "x-content-type-options",
                "content-security-policy", "x-atlas-build")


class Busy(AtlasError):
    """More heavy requests wait than the queue allows (answered where it is raised: 503 with
    its ``retry_after``)."""

    http_status = 503

    def __init__(self, retry_after: int):
        super().__init__(f"busy; retry after {retry_after} s")
        self.retry_after = retry_after


def install(app: Flask, get_atlas, create_app) -> None:
    """Send the heavy endpoints to the pool (not in the pool's own workers: HEAVY_INLINE).

    ``get_atlas`` gives the request's atlas; ``create_app`` builds the workers' apps.
    """
    for name in ("HEAVY_WORKERS", "HEAVY_QUEUE", "HEAVY_CACHE_MB"):
        app.config.setdefault(name, settings.get(name))
    app.config.setdefault("HEAVY_INLINE", False)
    app.extensions["geo_kttt_heavy"] = create_app
    app.before_request(lambda: _heavy(get_atlas))


def _heavy(get_atlas):
    if request.endpoint not in HEAVY_ENDPOINTS or current_app.config["HEAVY_INLINE"]:
        return None
    version = get_atlas().version
    query = tuple(sorted(request.args.items(multi=True)))
    accept = request.headers.get("Accept", "")
    key = (version, request.path, query, g.lang, "json" in accept)
    try:
        status, headers, body = pool_for(current_app).answer(key, request.full_path, accept)
    except Busy as e:
        return error_response(503, t("heavy_busy", g.lang).format(s=e.retry_after), None,
                              t("unavailable", g.lang),
                              {"Retry-After": str(e.retry_after), "Cache-Control": "no-store"})
    except (BrokenProcessPool, TimeoutError, OSError) as e:
        current_app.logger.error("heavy export failed: %r", e)
        return error_response(503, t("heavy_failed", g.lang), None, t("unavailable", g.lang),
                              {"Retry-After": "10"})
    return Response(body, status=status, headers=headers)


_POOLS: OrderedDict = OrderedDict()
_POOLS_LOCK = threading.Lock()


def pool_for(app: Flask) -> HeavyPool:
    """The process's pool for ``app``'s configuration."""
    config = {k: v for k, v in app.config.items()
              if k.isupper() and isinstance(v, str | int | float | bool | type(None))}
    key = tuple(sorted(config.items()))
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = HeavyPool(config, app.extensions["geo_kttt_heavy"])
            while len(_POOLS) > MAX_POOLS:
                _POOLS.popitem(last=False)[1].shutdown()
        _POOLS.move_to_end(key)
        return _POOLS[key]


class HeavyPool:
    """Worker processes, the queue limit and the cache of one app configuration."""

    def __init__(self, config: dict, create_app):
        self.config, self.create_app = {**config, "HEAVY_INLINE": True}, create_app
        self.workers = max(1, int(config.get("HEAVY_WORKERS") or 1))
        self.limit = self.workers + max(0, int(config.get("HEAVY_QUEUE") or 0))
        self.cache_bytes = int(float(config.get("HEAVY_CACHE_MB") or 0) * 1024 * 1024)
        self._lock = threading.RLock()  # RLock: a job that ends at once calls back under it
        self._executor: ProcessPoolExecutor | None = None
        self._cache: OrderedDict = OrderedDict()  # key -> (status, headers, body)
        self._cached = 0  # bytes in the cache
        self._inflight: dict = {}  # key -> Future
        self.waiting = 0  # request threads waiting for heavy work now
        self.computed = self.hits = self.refused = 0
        self._seconds = FIRST_GUESS_S  # moving average of one job's duration

    def answer(self, key, full_path: str, accept: str):
        """(status, headers, body) of the request ``full_path``, from the cache or a worker."""
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return hit
            if self.waiting >= self.limit:
                self.refused += 1
                raise Busy(self.retry_after())
            self.waiting += 1
            future = self._inflight.get(key)
            if future is None:
                future = self._submit(key, full_path, accept)
        try:
            return future.result(timeout=WAIT_S)
        finally:
            with self._lock:
                self.waiting -= 1

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead, at the average job's pace."""
        return max(1, min(120, math.ceil(self._seconds * self.waiting / self.workers)))

    def _submit(self, key, full_path: str, accept: str) -> Future:
        """Start the job (lock held); its answer is cached when it ends, waited for or not."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(self.create_app, self.config))
        started = time.monotonic()
        try:
            job = self._executor.submit(_run, full_path, accept)
        except BrokenProcessPool:
            self._executor = None
            raise
        self.computed += 1
        done: Future = Future()
        self._inflight[key] = done

        def finished(job: Future):
            with self._lock:
                self._inflight.pop(key, None)
                if job.exception() is not None:
                    if isinstance(job.exception(), BrokenProcessPool):
                        self._executor = None  # a worker died: the next job starts new ones
                    done.set_exception(job.exception())
                    return
                self._seconds = 0.7 * self._seconds + 0.3 * (time.monotonic() - started)
                status, headers, body, version = job.result()
                answer = (status, headers, body)
                if status == 200 and version:
                    self._store((version, *key[1:]), answer)
                    if version != key[0]:
                        self._store(key, answer)  # a request pinned to the old build asked
            done.set_result(answer)

        job.add_done_callback(finished)
        return done

    def _store(self, key, answer) -> None:
        size = len(answer[2])
        if size > self.cache_bytes:
            return
        if key in self._cache:
            self._cached -= len(self._cache.pop(key)[2])
        self._cache[key] = answer
        self._cached += size
        while self._cached > self.cache_bytes:
            self._cached -= len(self._cache.popitem(last=False)[1][2])

    def shutdown(self, kill: bool = False) -> None:
        """Stop taking jobs; with ``kill``, end the workers now rather than after their job."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        workers = list((getattr(executor, "_processes", None) or {}).values())  # CPython's, 3.8+
        executor.shutdown(wait=False, cancel_futures=True)
        if kill:
            for proc in workers:
                proc.terminate()


def shutdown_all() -> None:
    """End every pool of the process and its workers (``geo-kttt serve`` on its way out)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown(kill=True)


# --- in the worker processes -----------------------------------------------------------------

_APP = None


def _init_worker(create_app, config: dict) -> None:
    """A worker: lower priority than the server, and its own app (same settings, same atlas)."""
    global _APP
    try:
        os.nice(10)  # light pages first when the cores are busy
    except OSError:
        pass
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _APP = create_app(config)


def _exit_with_parent(parent: int) -> None:
    """End the worker when the server is gone (killed, so it could not shut the pool down)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _run(full_path: str, accept: str) -> tuple:
    """Answer one request like the server would: (status, headers, body, build id)."""
    headers = {"Accept": accept} if accept else {}
    resp = _APP.test_client().get(full_path, headers=headers)
    kept = [(k, v) for k, v in resp.headers.items() if k.lower() in KEEP_HEADERS]
    return resp.status_code, kept, resp.get_data(), resp.headers.get("X-Atlas-Build")
