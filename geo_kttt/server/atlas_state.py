"""Which build of the atlas a request reads: one build per request, the newest for every worker.

A process keeps one :class:`AtlasHolder` per atlas location (:func:`holder_for`), shared by
every app of the process. Each request asks it once (``get_atlas`` pins the answer in ``g``)
and reads that :class:`~geo_kttt.store.Atlas` only, so no response mixes two builds:

- GeoPackage: each ask ``os.stat``\\ s the file (a few microseconds). When a build has replaced
  it, the first thread to notice opens the new build (every table read, SQLite connections
  opened, the file's identity checked before and after) under a lock; the threads that also
  noticed wait for it, the requests already running finish with the build they started with
  (their connections still read the old file). Then every request gets the new build.
- PostGIS: the build id in the ``metadata`` table is read at most once a second; when it
  changed, the new build is opened the same way (see docs/security.md for what that means
  for consistency there).

An atlas that cannot be opened raises :class:`~geo_kttt.store.AtlasMissing` (or its
``AtlasUnreadable``): the app answers 503. A GeoPackage that failed is not opened again until
the file changes (or :data:`RETRY_S` passed), so a broken file does not cost every request
an attempt.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, g

from ..store import AtlasMissing, file_identity, open_atlas

RETRY_S = 30.0  # try a broken atlas again after this long even when the file did not change
RETRY_URL_S = 2.0  # … and a database after this long

MAX_HOLDERS = 16  # atlases a process keeps open (tests open many; a server has one)
_HOLDERS: OrderedDict[str, AtlasHolder] = OrderedDict()
_HOLDERS_LOCK = threading.Lock()


def install(app: Flask) -> None:
    """Every response says which build it was read from (``X-Atlas-Build``, an opaque id)."""

    @app.after_request
    def _build_header(resp):
        atlas = g.get("geo_kttt_atlas")
        if atlas is not None:
            resp.headers.setdefault("X-Atlas-Build", atlas.version)
        return resp


def holder_for(location) -> AtlasHolder:
    """The process's one holder of the atlas at ``location`` (a path or a postgresql:// URL)."""
    key = str(location)
    with _HOLDERS_LOCK:
        if key not in _HOLDERS:
            _HOLDERS[key] = AtlasHolder(key)
            while len(_HOLDERS) > MAX_HOLDERS:  # the least recently asked goes (reopened if asked)
                _HOLDERS.popitem(last=False)
        _HOLDERS.move_to_end(key)
        return _HOLDERS[key]


class AtlasHolder:
    """The open atlas at one location, replaced when a new build appears there."""

    def __init__(self, location: str):
        self.location = location
        self._atlas = None
        self._lock = threading.Lock()
        self._failure: tuple | None = None  # (what the location looked like, when, the error)
        self._expired = False  # set by expire(): open the location again at the next ask
        self.opened = 0  # how many builds were opened (for tests and the load script)

    def current(self):
        """The newest readable build; raises AtlasMissing/AtlasUnreadable when there is none."""
        seen = self._atlas
        if seen is not None and not self._expired and seen.is_current():
            return seen
        with self._lock:
            if self._atlas is not seen:  # another thread opened the new build while we waited
                return self._atlas
            if self._expired:
                self._expired, self._failure = False, None
            probe = self._probe()
            if self._failure is not None:
                f_probe, f_when, error = self._failure
                fresh = time.monotonic() - f_when < (RETRY_URL_S if f_probe is None else RETRY_S)
                if f_probe == probe and fresh:
                    raise error
            try:
                atlas = open_atlas(self.location)
            except AtlasMissing as e:
                self._failure = (probe, time.monotonic(), e)
                raise
            self._failure, self._atlas = None, atlas
            self.opened += 1
            return atlas

    def expire(self) -> None:
        """This process has just built the atlas again: open it at the next ask, without waiting
        for the check (a database is asked at most once a second) or a failure's retry time."""
        self._expired = True

    def _probe(self):
        """What the file looks like now (None for a database, or when there is no file)."""
        if self.location.startswith(("postgresql://", "postgres://")):
            return None
        try:
            return file_identity(self.location)
        except OSError:
            return None
