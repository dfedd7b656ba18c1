"""Reading and writing files: the one module that talks to pyogrio.

pyogrio rather than Fiona: it reads and writes whole columns at once (several times
faster for GeoPackage builds and exports) and exposes GDAL's layer metadata and
dataset creation options directly. Fiona is not a dependency.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io as _io
import os
import re
import tempfile
import threading
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl.worksheet.properties import PageSetupProperties

from .crs import reproject
from .errors import AtlasError
from .i18n import Msg
from .text import nfc

DRIVERS = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".kml": "KML",
    ".fgb": "FlatGeobuf",
}
ENGINE = "pyogrio"
# GeoPackage 1.2, not GDAL's default 1.4: Debian's GDAL 3.6 and QGIS LTR open 1.4 with a warning.
GPKG_OPTIONS = {"VERSION": "1.2"}


def driver_for(path: Path) -> str:
    try:
        return DRIVERS[Path(path).suffix.lower()]
    except KeyError:
        raise ValueError(f"{path}: unknown vector format; use one of {', '.join(DRIVERS)}") from None


def read_vector(path: Path, layer=None, **kw) -> gpd.GeoDataFrame:
    """Read a vector file (any GDAL format) into a GeoDataFrame."""
    return gpd.read_file(path, layer=layer, engine=ENGINE, **kw)


def list_layers(path: Path) -> list[str]:
    import pyogrio

    return [name for name, _ in pyogrio.list_layers(path)]


def write_vector(gdf: gpd.GeoDataFrame, path: Path, layer=None, **kw) -> None:
    """Write one layer; Shapefiles get UTF-8 and a .cpg; GeoJSON follows RFC 7946; GeoPackage 1.2."""
    path = Path(path)
    driver = driver_for(path)
    if driver == "ESRI Shapefile":
        kw.setdefault("encoding", "utf-8")
    if driver == "GeoJSON":
        kw.setdefault("RFC7946", "YES")
        gdf = reproject(gdf, 4326)
    if driver == "GPKG":
        kw = GPKG_OPTIONS | kw
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, layer=layer, driver=driver, engine=ENGINE, **kw)


@contextlib.contextmanager
def atomic_path(dest: Path, suffix=None):
    """Yield a temporary path beside ``dest``; move it over ``dest`` only on success.

    The temporary is ``.{stem}-XXXXXXXX{suffix}``. Writers of one folder take turns (a lock on
    the folder, across processes), so any such file found when a writer starts was left by one
    that was killed: it is removed then.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix or dest.suffix
    with _folder_lock(dest.parent):
        remove_stale_temporaries(dest, suffix)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}-", suffix=suffix, dir=dest.parent)
        os.close(fd)
        os.unlink(tmp)  # GDAL drivers want to create the file themselves
        try:
            yield Path(tmp)
            os.replace(tmp, dest)
        finally:
            for leftover in Path(tmp).parent.glob(Path(tmp).name + "*"):
                leftover.unlink()


def remove_stale_temporaries(dest: Path, suffix: str | None = None) -> list[Path]:
    """Remove what killed writers of ``dest`` left beside it (``.{stem}-XXXX{suffix}`` and the
    journals SQLite/GDAL put next to it). Call with the folder's lock held (atomic_path does)."""
    dest = Path(dest)
    pattern = re.compile(rf"\.{re.escape(dest.stem)}-[a-z0-9_]+{re.escape(suffix or dest.suffix)}"
                         r"(-journal|-wal|-shm|\.aux\.xml)?")
    gone = [p for p in dest.parent.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


_FOLDER_LOCKS: dict[str, list] = {}  # folder -> [RLock, fd of the folder or None, depth]
_FOLDER_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """One atomic writer at a time in ``folder``: flock on the folder across processes, an RLock
    across threads (re-entrant, so a writer may nest another write in the same folder)."""
    key = str(Path(folder).resolve())
    with _FOLDER_LOCKS_GUARD:
        entry = _FOLDER_LOCKS.setdefault(key, [threading.RLock(), None, 0])
    with entry[0]:
        if entry[2] == 0:
            fd = os.open(key, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # a filesystem without flock: threads still take turns
                pass
            entry[1] = fd
        entry[2] += 1
        try:
            yield
        finally:
            entry[2] -= 1
            if entry[2] == 0:
                os.close(entry[1])  # closing the folder releases the flock
                entry[1] = None


def read_table(path: Path) -> pd.DataFrame:
    """Read a UTF-8 CSV as text columns, NFC-normalised, with no NaN guessing.

    Raises
    ------
    TableError
        For bytes that are not UTF-8, an empty file, broken quoting, a repeated column
        name or a row whose number of cells differs from the header's (file, row, fix).
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _not_utf8(path, data, e) from None
    rows, lines = parse_csv(text, path)
    if not rows:
        raise TableError(path, None, Msg("tbl_file"), "empty")
    header = rows[0]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise TableError(path, None, twice[0], "column_twice")
    for rec, line in zip(rows[1:], lines[1:], strict=True):
        if len(rec) != len(header):
            raise TableError(path, line - 1, Msg("tbl_line", line=line), "cells", line,
                             n=len(rec), m=len(header))
    return pd.DataFrame(rows[1:], columns=header, dtype=str).map(nfc)


class TableError(AtlasError, ValueError):
    """A CSV file that cannot be read as a table: which file, row and field, and what to do.

    ``row`` is the data row (the header is row 0; a spreadsheet shows it as row + 1).
    """

    exit_code = 1  # like ValidationFailed: a file to fix

    def __init__(self, file, row: int | None, field: str, key: str, line: int | None = None, **params):
        """``key``: the string table's ``tbl_<key>`` (what is wrong) and ``tbl_<key>_fix``."""
        self.file, self.row, self.field = str(file), row, field
        self.what, self.fix = Msg(f"tbl_{key}", **params), Msg(f"tbl_{key}_fix", **params)
        self.line = line or (row + 1 if row else None)  # the line of the file (the header is line 1)
        where = Msg("tbl_at_row", file=self.file, row=row) if row else self.file
        super().__init__(Msg("tbl_error", where=where, field=field, what=self.what, fix=self.fix))


def parse_csv(text: str, path, delimiter: str = ",",
              blank: bool = False) -> tuple[list[list[str]], list[int]]:
    """The records of CSV ``text`` (blank lines skipped, or kept as ``[]``) and the line each starts on.

    Strict about quoting (a quote that never closes, text after a closing quote): a
    :class:`TableError` names the line where the bad record starts.
    """
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, lines, start = [], [], 1
    try:
        for rec in reader:
            if rec or blank:
                rows.append(rec)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise TableError(path, start - 1 if start > 1 else None, Msg("tbl_line", line=start), "quoting",
                         start, error=str(e)) from None
    return rows, lines


def _not_utf8(path: Path, data: bytes, e: UnicodeDecodeError) -> TableError:
    """Which line and column hold the bytes that are not UTF-8."""
    line = data.count(b"\n", 0, e.start) + 1
    begin = data.rfind(b"\n", 0, e.start) + 1
    header = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
    names = next(csv.reader([header]), [])
    cell = len(next(csv.reader([data[begin:e.start].decode("utf-8", "replace")]), [""])) - 1
    field = names[cell] if line > 1 and 0 <= cell < len(names) else Msg("tbl_line", line=line)
    return TableError(path, line - 1 if line > 1 else None, field, "not_utf8",
                      bytes=repr(data[e.start:e.start + 4]), at=line)


def read_layer_file(path: Path) -> pd.DataFrame:
    """Read a layer's data file (``layers/<id>.csv``) as text; validation types it."""
    return read_table(path)


def write_layer_file(df: pd.DataFrame, path: Path, columns: list[str]) -> None:
    """Write a layer file deterministically: ``columns`` (the schema's, ``catalog.COLUMNS``)
    in order, sorted by id, LF endings."""
    out = df.reindex(columns=columns).fillna("").astype(str).sort_values("id")
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                   quoting=csv.QUOTE_MINIMAL)


def xlsx_print_setup(ws) -> None:
    """An openpyxl sheet that prints on readable pages: landscape A4, every column fitted to the
    page's width (as many pages down as needed), the header row repeated, the header frozen."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4 (write-only sheets lack the PAPERSIZE_A4 name)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.freeze_panes = "A2"
