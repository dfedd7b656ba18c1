"""`geo-kttt serve`: gunicorn worker processes (preload off, each warmed before it serves)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT

from geo_kttt.cli import parser
from geo_kttt.cli.serve import default_server, default_workers, gunicorn_options


def test_defaults_are_processes_on_posix():
    assert default_server() == ("gunicorn" if os.name == "posix" else "waitress")
    assert default_workers() == 2 * len(os.sched_getaffinity(0)) + 1
    opts = gunicorn_options("127.0.0.1", 8050, 5, 1, 300)
    assert opts["preload_app"] is False and opts["worker_class"] == "gthread" and opts["workers"] == 5
    args = parser().parse_args(["serve", "--server", "waitress", "--threads", "2"])
    assert args.server == "waitress" and args.threads == "2"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.name != "posix", reason="gunicorn needs fork()")
def test_gunicorn_workers_serve_every_page_kind(atlas_path, tmp_path):
    port = _port()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "GEO_KTTT_TILE_URL": "none"}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "geo_kttt.cli", "--atlas", str(atlas_path), "serve",
                             "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=30).close()
                break
            except OSError:
                alive = proc.poll() is None and time.monotonic() < deadline
                assert alive, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        for path in ("/", "/api/clusters/9/405/241.json", "/ogcapi/collections?f=json", "/districts"):
            for _ in range(4):  # both workers, in turn
                with urllib.request.urlopen(base + path, timeout=30) as r:
                    assert r.status == 200, path
        text = (tmp_path / "serve.log").read_text()
        assert text.count("ready (") == 2 and "gunicorn, 2 worker processes" in text
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
