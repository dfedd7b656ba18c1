"""The one harness of geo-kttt's benchmarks: a synthetic atlas, servers, timers, load, the table.

Every benchmark (``benchmarks/<name>.py``) builds what it measures from here, so all of them
measure the same thing the same way:

- :func:`synthetic_atlas`: the real ``layers/`` plus N synthetic sites (random points inside
  the province, spread over every layer, ``exact`` positions, labelled "Synthetic site N"),
  written as layer files and put through the real validate -> build (GeoPackage, or PostGIS
  with a database URL). They exist only in a temporary folder.
- :class:`Server`: a server process on a free loopback port, started and stopped (with its
  log kept for errors); :func:`drive`: keep-alive HTTP load from client threads, bounded in
  count and time, latency per request.
- :class:`Table`: each figure printed beside its strongest baseline from the same run, with
  the ratio, the target and the load average of the machine when it was taken.

Run one benchmark with ``python -m benchmarks.<name>`` (``--quick`` for a small N, as CI
does), or all: ``python -m benchmarks [--quick]``. Loopback only; nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo_kttt import io
from geo_kttt.admin import load_admin
from geo_kttt.catalog import COLUMNS, load_catalog
from geo_kttt.store import build

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as printed beside every figure."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def peak_mb() -> float:
    """This process's peak resident set size so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` is the elapsed seconds."""
    t0 = time.perf_counter()
    end = []
    yield lambda: (end[0] if end else time.perf_counter()) - t0
    end.append(time.perf_counter())


def default_workers() -> int:
    """The worker count ``geo-kttt serve`` starts by default (2 × cores + 1)."""
    return 2 * (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()) + 1


def admin_units():
    return load_admin(os.environ.get("GEO_KTTT_DATA_DIR") or None)


def random_points(admin, n: int, seed: int):
    """``n`` uniform random points inside the province, with the district each falls in."""
    rng = np.random.default_rng(seed)
    districts = admin.districts[["code", "geometry"]].reset_index(drop=True)
    x0, y0, x1, y1 = districts.total_bounds
    xs, ys, codes, need = [], [], [], n
    while need > 0:
        x, y = rng.uniform(x0, x1, int(need * 2.2) + 100), rng.uniform(y0, y1, int(need * 2.2) + 100)
        code = np.full(len(x), "", dtype=object)
        for c, g in zip(districts.code, districts.geometry, strict=True):
            shapely.prepare(g)
            code[(code == "") & shapely.contains_xy(g, x, y)] = c
        keep = code != ""
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        codes.append(code[keep][:need])
        need -= len(xs[-1])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(codes)


def synthetic_layers(n: int, dest: Path, seed: int = 42, admin=None, only: str | None = None) -> Path:
    """A copy of ``layers/`` with ``n`` synthetic sites added, spread over the layers in turn
    (or all in layer ``only``).

    Each synthetic site copies the kind, status, operator, capacity and first source of one of
    its layer's real sites; it gets its own id, names and a random exact position (with the
    district it lies in). Returns the new layers folder.
    """
    admin = admin or admin_units()
    layers = Path(dest) / "layers"
    shutil.copytree(LAYERS, layers)
    catalog = load_catalog(layers)
    lon, lat, district = random_points(admin, n, seed)
    ids = [only] if only else list(catalog)
    which = np.arange(n) % len(ids)
    for k, lid in enumerate(ids):
        real = io.read_layer_file(layers / f"{lid}.csv")
        rows = np.flatnonzero(which == k)
        if not len(rows):
            continue
        tpl = real.iloc[np.arange(len(rows)) % len(real)].reset_index(drop=True)
        syn = pd.DataFrame({c: tpl[c] if c in tpl else "" for c in COLUMNS})
        syn["id"] = [f"synthetic-{i}" for i in rows]
        syn["name_vi"] = [f"Điểm giả lập {i}" for i in rows]
        syn["name_en"] = [f"Synthetic site {i}" for i in rows]
        syn["district_code"], syn["commune_code"] = district[rows], ""
        syn["location_precision"] = "exact"
        syn["lon"], syn["lat"] = [f"{v:.6f}" for v in lon[rows]], [f"{v:.6f}" for v in lat[rows]]
        syn["in_report"], syn["serves"], syn["notes"] = "false", "", "synthetic benchmark site"
        syn["sources"] = tpl["sources"].str.split("|").str[0].str.strip()
        io.write_layer_file(pd.concat([real, syn], ignore_index=True), layers / f"{lid}.csv", COLUMNS)
    return layers


CACHE = Path(tempfile.gettempdir()) / "geo-kttt-bench"
SYNTHETIC_VERSION = 1  # raise when synthetic_layers writes different sites


def _fingerprint(n: int, seed: int, only: str | None) -> str:
    """What a synthetic atlas depends on: N, the seed, layers/, the data folder, the store's code
    (and :data:`SYNTHETIC_VERSION` for the generator)."""
    h = hashlib.sha256(f"{SYNTHETIC_VERSION}:{n}:{seed}:{only}:{os.environ.get('GEO_KTTT_DATA_DIR', '')}"
                       .encode())
    for path in sorted([*LAYERS.iterdir(), *(ROOT / "geo_kttt" / "store").glob("*.py")]):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def synthetic_atlas(n: int, folder: Path, seed: int = 42, dest=None, cache: bool = True,
                    only: str | None = None) -> Path | str:
    """The real atlas plus ``n`` synthetic sites (all in layer ``only`` if given), validated and
    built at ``dest`` (default ``folder/atlas.gpkg``; a ``postgresql://`` URL builds into PostGIS).

    Validating and building a million sites takes minutes, so a GeoPackage is kept in
    :data:`CACHE` (in the temporary folder) and copied from there while layers/, the data
    folder and the store's code are unchanged.
    """
    admin = admin_units()
    kept = CACHE / f"atlas-{n}-{_fingerprint(n, seed, only)}.gpkg"
    if dest is None and cache and kept.is_file():
        shutil.copyfile(kept, Path(folder) / "atlas.gpkg")
        return Path(folder) / "atlas.gpkg"
    layers = synthetic_layers(n, folder, seed, admin, only)
    dest = dest or Path(folder) / "atlas.gpkg"
    build(layers, admin, dest)
    if cache and not str(dest).startswith("postgres"):
        CACHE.mkdir(exist_ok=True)
        shutil.copyfile(dest, kept)
    return dest


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    pid, rest = text.split(" (", 1)
    comm, fields = rest.rsplit(") ", 1)
    return [pid, comm, *fields.split()]


def processes(root: int | None = None, name: str | None = None) -> list[int]:
    """PIDs of ``root`` and its descendants, or of every process called ``name`` (Linux /proc)."""
    table = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and (st := _stat(int(d.name))):
            table[int(d.name)] = (st[1], int(st[3]))
    if name:
        return [pid for pid, (comm, _) in table.items() if comm == name]
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [c for c, (_, parent) in table.items() if parent == pid]
    return out


def postmaster(url: str) -> int | None:
    """The PID of the PostgreSQL server listening on ``url``'s port (from its postmaster.pid)."""
    port = url.rsplit(":", 1)[1].split("/")[0]
    for pidfile in Path(tempfile.gettempdir()).glob("*/data/postmaster.pid"):
        lines = pidfile.read_text().splitlines()
        if len(lines) > 3 and lines[3].strip() == port:
            return int(lines[0])
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (those still running)."""
    tick = os.sysconf("SC_CLK_TCK")
    return sum((int(st[13]) + int(st[14])) / tick for pid in pids if (st := _stat(pid)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra) -> dict:
    """The environment of a server process: this checkout first on PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


class Server:
    """A server process listening on ``port`` (loopback), stopped on exit; ``log`` keeps its output."""

    def __init__(self, cmd: list, port: int, env: dict | None = None, log: Path | None = None,
                 timeout: float = 180, ready_path: str | None = None):
        self.cmd, self.port, self.env = cmd, port, env or child_env()
        self.log = log or Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
        self.ready_path, self.timeout = ready_path, timeout
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Server:
        out = self.log.open("wb")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("GET", self.ready_path or "/")
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"server did not answer within {self.timeout} s: {self.log.read_text()[-2000:]}")

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve_command(atlas, port: int, *options) -> list:
    """``geo-kttt serve`` with its defaults (plus ``options``) on ``port``, no basemap."""
    return [sys.executable, "-m", "geo_kttt.cli", "--atlas", str(atlas), "serve", "--host", "127.0.0.1",
            "--port", str(port), *options]


def get(conn: http.client.HTTPConnection, path: str):
    conn.request("GET", path, headers={"Accept": "application/geo+json"})
    r = conn.getresponse()
    return r.status, r.read()


def drive(port: int, paths: list[str], clients: int, max_seconds: float) -> dict:
    """Send ``paths`` (one shared queue) from ``clients`` keep-alive threads; latency per request."""
    lat, errors, lock, nxt = [], Counter(), threading.Lock(), iter(range(len(paths)))
    sample = {}
    stop_at = time.monotonic() + max_seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                i = next(nxt, None)
            if i is None:
                break
            t0 = time.perf_counter()
            try:
                status, body = get(conn, paths[i])
            except (OSError, http.client.HTTPException):
                status, body = 0, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                if status != 200:
                    errors[status] += 1
                    sample.setdefault(status, body[:300].decode(errors="replace"))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in lat) or [float("nan")]
    return {"requests": len(lat), "errors": sum(errors.values()), "by_status": dict(errors), "sample": sample,
            "median_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))],
            "req_per_s": len(lat) / wall, "load": load()}


@dataclass
class Row:
    what: str
    ours: float
    base: float | None
    unit: str
    target: str = ""
    better: str = "lower"  # or "higher"
    load: str = field(default_factory=load)

    def ratio(self) -> str:
        if self.base is None or not self.ours or not self.base:
            return ""
        r = self.base / self.ours if self.better == "lower" else self.ours / self.base
        return f"{r:.1f}x"


class Table:
    """Figures beside their baselines, printed as one aligned table (and returned as rows)."""

    def __init__(self, title: str, ours: str, baseline: str):
        self.title, self.ours, self.baseline, self.rows = title, ours, baseline, []

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def print(self) -> None:
        def fmt(v, unit):
            if v is None:
                return "–"
            return f"{v:,.2f} {unit}" if abs(v) < 100 else f"{v:,.0f} {unit}"
        head = ("", self.ours, self.baseline, "ratio", "target", "load 1/5/15 min")
        lines = [head] + [(r.what, fmt(r.ours, r.unit), fmt(r.base, r.unit), r.ratio(), r.target, r.load)
                          for r in self.rows]
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
        print(f"\n{self.title} ({os.cpu_count()} cores)")
        for j, line in enumerate(lines):
            print("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                            for i, (v, w) in enumerate(zip(line, widths, strict=True))))
            if j == 0:
                print("-" * (sum(widths) + 2 * (len(widths) - 1)))
        sys.stdout.flush()
