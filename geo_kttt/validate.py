"""Rules a site must pass, each failure with a message a person can act on."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import io
from .admin import AdminUnits
from .catalog import FIELDS, PRECISIONS, SOURCE_SEP, CatalogError, Layer, load_atlas_meta, load_catalog
from .crs import reproject
from .errors import AtlasError
from .i18n import Codes, Msg, Num, say, t
from .sites import METRIC_CRS, SITE_COORDINATE, locate, to_bool, to_number, typed
from .text import safe_cell

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# NUL and the other control characters (tab and line breaks excepted): never meant as text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
YEARS = (1900, 2100)  # a plausible year of a site (commissioning, report)
# The tables of layers/ besides the layers, and the columns the pages read from them.
ATLAS_TABLES = {"indicators.csv": ("id", "name_vi", "name_en", "value", "unit", "year", "verified",
                                   "sources"),
                "errata.csv": ("id", "topic_vi", "topic_en", "claim", "finding"),
                "changes.csv": ("date", "layer", "id", "action")}
PROVINCE_TOLERANCE_M = 2000  # generalised boundaries: ~150 m median, up to ~1.2 km off
UNIT_TOLERANCE_M = 1500


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the layer files."""

    severity: str  # "error" or "warning"
    file: str
    row: int | None  # 1-based data row (the header is row 1, so add 1 for a spreadsheet)
    site_id: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str = "vi") -> str:
        """The problem as one line in ``lang`` (messages and fixes are :class:`~geo_kttt.i18n.Msg`)."""
        where = f"{self.file}" + (f", {t('val_row', lang)} {self.row}" if self.row else "")
        who = f" [{self.site_id}]" if self.site_id else ""
        return (f"{t('val_' + self.severity, lang)}: {where}{who}, {self.field}: {say(self.message, lang)}. "
                f"{t('val_fix', lang)}: {say(self.fix, lang)}")

    def as_dict(self) -> dict:
        return asdict(self)


def problem(severity, file, row, site_id, field, key, **params) -> Problem:
    """A :class:`Problem` whose message and fix are the string table's ``val_<key>`` and
    ``val_<key>_fix``, filled with ``params`` (English as text; :meth:`Problem.text` for any)."""
    return Problem(severity, file, row, site_id, field, Msg(f"val_{key}", **params),
                   Msg(f"val_{key}_fix", **params))


class ValidationFailed(AtlasError, ValueError):
    """Raised by the build when any error remains."""

    exit_code = 1

    def __init__(self, problems):
        self.problems = problems
        super().__init__(self.text("en"))

    note = Msg("note_atlas_unchanged")

    def text(self, lang: str = "vi") -> str:
        """The message in ``lang``: how many errors, then each of them."""
        errors = [p for p in self.problems if p.severity == "error"]
        return "\n".join([t("val_failed", lang).format(n=len(errors)), *(p.text(lang) for p in errors)])


def cell_problem(value) -> tuple[str, dict] | None:
    """The one rule on the text of a cell, for layer files and imported files alike.

    Returns
    -------
    (key, params) or None
        The string table's ``val_<key>`` (and ``val_<key>_fix``) with its values:
        A control character, or text that a spreadsheet would run as a formula
        (starting with = + - @, a plain negative number excepted).
    """
    if not isinstance(value, str):
        return None
    bad = CONTROL_RE.search(value)
    if bad:
        return "control", {"code": f"{ord(bad.group()):04X}"}
    if safe_cell(value) != value:
        return "formula", {"value": value[:60]}
    return None


def _check_values(layer: Layer, df: pd.DataFrame, add) -> None:
    """Per-cell rules: text, required, types, allowed values."""
    allowed = {"status": layer.statuses, "kind": tuple(layer.kinds),
               "capacity_unit": ("",) + tuple(layer.units), "location_precision": tuple(PRECISIONS)}
    for i, r in enumerate(df.to_dict("records"), start=1):
        sid = r.get("id", "")
        for name, v in r.items():
            if (bad := cell_problem(v)):
                add("error", i, sid, name, bad[0], **bad[1])
        for name, (kind, required, _vi, _en) in FIELDS.items():
            v = r.get(name, "")
            if required and v == "":
                add("error", i, sid, name, "empty", column=name)
                continue
            try:
                if kind == "bool":
                    to_bool(v)
                elif kind in ("float", "int"):
                    to_number(v, kind)
            except ValueError:
                add("error", i, sid, name, "not_bool" if kind == "bool" else "not_number", value=v, kind=kind)
                continue
            if name == "year" and v != "" and not YEARS[0] <= int(v) <= YEARS[1]:
                add("error", i, sid, name, "not_year", value=v[:30], low=YEARS[0], high=YEARS[1])
            if name in allowed and v not in allowed[name] and v != "":
                labels = layer.kinds if name == "kind" else {}
                add("error", i, sid, name, "not_allowed", value=v, layer=layer.id,
                    allowed=Codes(a + (f" ({labels[a]['vi']} / {labels[a]['en']})" if a in labels else "")
                                  for a in allowed[name] if a))
        if sid and not ID_RE.match(sid):
            add("error", i, sid, "id", "id_chars")
        if r.get("capacity") and not r.get("capacity_unit"):
            add("error", i, sid, "capacity_unit", "unit_needed" if layer.units else "unit_undeclared",
                allowed=Codes(layer.units))
        prec = r.get("location_precision")
        has_xy = bool(r.get("lon")) and bool(r.get("lat"))
        if prec in ("exact", "approximate") and not has_xy:
            add("error", i, sid, "lon/lat", "needs_xy", precision=prec)
        if prec == "commune" and not r.get("commune_code"):
            add("error", i, sid, "commune_code", "needs_commune")
        if bool(r.get("lon")) != bool(r.get("lat")):
            add("error", i, sid, "lon/lat", "one_coordinate")
        if not r.get("sources", "").strip(" |"):
            add("error", i, sid, "sources", "no_source")


# Lists of administrative codes (dvhcvn's dvhcvn.json, the GSO list): they confirm a commune
# code, never a site, so they belong in notes, not in sources.
CODE_LIST_RE = re.compile(r"dvhcvn|danhmuchanhchinh\.gso\.gov\.vn|\bGSO\b[^|]*\b(?:code|codes|list)\b"
                          r"|danh mục (?:các )?đơn vị hành chính", re.IGNORECASE)


def _check_sources(df: pd.DataFrame, add) -> None:
    """A ``sources`` entry that is only an administrative code list is refused."""
    for i, r in enumerate(df.to_dict("records"), start=1):
        for entry in str(r.get("sources", "")).split(SOURCE_SEP.strip()):
            if CODE_LIST_RE.search(entry):
                add("error", i, r.get("id", ""), "sources", "code_list", entry=entry.strip())


def _check_codes(df: pd.DataFrame, admin: AdminUnits, add) -> None:
    districts = set(admin.districts.code)
    commune_district = dict(zip(admin.commune_points.code, admin.commune_points.district_code,
                                strict=True))
    for i, r in enumerate(df.to_dict("records"), start=1):
        d, c = r.get("district_code", ""), r.get("commune_code", "")
        if d and d not in districts:
            add("error", i, r["id"], "district_code", "bad_district", code=d,
                allowed=Codes(sorted(districts)))
        if c and c not in commune_district:
            add("error", i, r["id"], "commune_code", "bad_commune", code=c)
        elif c and d and commune_district[c] != d:
            add("error", i, r["id"], "commune_code", "commune_elsewhere", code=c,
                actual=commune_district[c], district=d)


def _check_precision(gdf: gpd.GeoDataFrame, add) -> None:
    """Precision and position source never disagree: ``exact``/``approximate`` exactly when the
    site is drawn at its own coordinate."""
    for idx, r in gdf.iterrows():
        own, prec = r.position_source == SITE_COORDINATE, r.location_precision
        if prec in ("exact", "approximate") and not own:
            add("error", idx + 1, r["id"], "lon/lat", "reference_not_site", precision=prec,
                lon=r.lon, lat=r.lat, source=r.position_source)
        elif prec in ("commune", "district") and own:
            add("error", idx + 1, r["id"], "location_precision", "site_not_reference", precision=prec,
                lon=r.lon, lat=r.lat)


def _check_positions(gdf: gpd.GeoDataFrame, admin: AdminUnits, add) -> None:
    """Coordinates inside the province and inside the declared district and commune.

    Vectorised (a million sites are checked in seconds): ``contains_xy`` on the prepared
    shapes first, distances only for the points outside; problems in row order.
    """
    own = gdf[gdf.position_source == SITE_COORDINATE]
    if own.empty:
        return
    m = reproject(own, METRIC_CRS)
    geoms = m.geometry.to_numpy()
    province = reproject(gpd.GeoSeries([admin.province], crs=4326), METRIC_CRS).iloc[0]
    dist = reproject(admin.districts.set_index("code"), METRIC_CRS).geometry
    comm = (reproject(admin.communes.set_index("code"), METRIC_CRS).geometry
            if admin.communes is not None else None)
    off = _distances(geoms, np.zeros(len(m), dtype=int), [province])
    checks = []
    for field, codes, shapes in (("district_code", m.district_code, dist),
                                 ("commune_code", m.commune_code, comm)):
        if shapes is None:
            continue
        codes = codes.fillna("").astype(str).to_numpy()
        shapes = shapes[~shapes.index.duplicated()]
        known = pd.Index(shapes.index)
        which = known.get_indexer(codes)  # -1: no code, or an unknown one (checked elsewhere)
        checks.append((field, codes, _distances(geoms, which, list(shapes.values))))
    bad = (off > PROVINCE_TOLERANCE_M) | np.logical_or.reduce([d > 0 for _, _, d in checks] or [off < 0])
    for i in np.flatnonzero(bad):
        row, sid, r = m.index[i] + 1, m["id"].iloc[i], m.iloc[i]
        if off[i] > PROVINCE_TOLERANCE_M:
            add("error", row, sid, "lon/lat", "outside_province", lon=r.lon, lat=r.lat,
                km=Num(off[i] / 1000, 1))
            continue
        for field, codes, d in checks:
            if d[i] > UNIT_TOLERANCE_M:
                add("error", row, sid, field, "outside_unit", km=Num(d[i] / 1000, 1), code=codes[i])
            elif d[i] > 0:
                add("warning", row, sid, field, "near_unit", m=Num(d[i], 0), code=codes[i])


def _distances(geoms: np.ndarray, which: np.ndarray, shapes: list) -> np.ndarray:
    """Distance (m) of each point to ``shapes[which[i]]``; 0 inside, and where ``which`` is -1."""
    out = np.zeros(len(geoms))
    for k in np.unique(which[which >= 0]):
        rows = np.flatnonzero(which == k)
        shape = shapes[k]
        shapely.prepare(shape)
        outside = rows[~shapely.contains_xy(shape, shapely.get_x(geoms[rows]), shapely.get_y(geoms[rows]))]
        with np.errstate(invalid="ignore"):  # swapped lon/lat: infinitely far, as it should say
            out[outside] = shapely.distance(geoms[outside], shape)
    return out


def validate_layer(layer: Layer, df: pd.DataFrame, admin: AdminUnits, file: str):
    """Check one layer's records; return (located GeoDataFrame or None, problems)."""
    problems = []

    def add(sev, row, sid, field, key, **params):
        problems.append(problem(sev, file, row, sid, field, key, **params))

    missing = [c for c, spec in FIELDS.items() if spec[1] and c not in df.columns]
    for c in missing:
        add("error", None, "", c, "missing_column", column=c)
    for c in df.columns:
        if c not in FIELDS:
            add("warning", None, "", c, "unknown_column")
    if missing:
        return None, problems
    _check_values(layer, df, add)
    _check_sources(df, add)
    _check_codes(df, admin, add)
    for sid, n in df.id.value_counts().items():
        if n > 1 and sid:
            rows = [i + 1 for i in df.index[df.id == sid]]
            add("error", rows[1], sid, "id", "id_twice", n=n, rows=rows)
    if any(p.severity == "error" for p in problems):
        return None, problems
    gdf = locate(typed(df), admin)
    _check_precision(gdf, add)
    _check_positions(gdf, admin, add)
    return gdf, problems


def validate_all(layers_dir: Path, admin: AdminUnits):
    """Validate every layer in ``layers_dir``.

    Returns
    -------
    (catalog, {layer_id: GeoDataFrame}, [Problem])
    """
    layers_dir = Path(layers_dir)
    try:
        catalog = load_catalog(layers_dir)
    except CatalogError as e:
        return {}, {}, [Problem("error", str(e).split(":")[0], None, "", "definition", str(e),
                                Msg("val_definition_fix"))] + check_atlas_files(layers_dir)
    frames, problems, seen = {}, check_atlas_files(layers_dir), {}
    for lid in catalog:
        path = layers_dir / f"{lid}.csv"
        if not path.is_file():
            problems.append(problem("error", str(path), None, "", "file", "no_file", name=path.name))
            continue
        try:
            df = io.read_layer_file(path)
        except io.TableError as e:
            problems.append(table_problem(e))
            continue
        gdf, found = validate_layer(catalog[lid], df, admin, str(path))
        problems += found
        for i, sid in enumerate(df.get("id", []), start=1):
            if sid in seen and seen[sid] != lid:
                problems.append(problem("error", str(path), i, sid, "id", "id_other_layer", layer=seen[sid]))
            seen.setdefault(sid, lid)
        if gdf is not None:
            frames[lid] = gdf.assign(layer=lid)
    return catalog, frames, problems


def table_problem(e: io.TableError) -> Problem:
    """A file that cannot be read as a table, as a Problem."""
    return Problem("error", e.file, e.row, "", e.field, e.what, e.fix)


def check_atlas_files(layers_dir: Path) -> list[Problem]:
    """What the build reads from ``layers/`` besides the layers: ``_atlas.toml``, the indicators,
    the errata and (when present) the change log, each readable and with its columns."""
    layers_dir, problems = Path(layers_dir), []
    try:
        load_atlas_meta(layers_dir)
    except CatalogError as e:
        problems.append(Problem("error", str(layers_dir / "_atlas.toml"), None, "", "definition",
                                e.args[0], Msg("val_atlas_toml_fix")))
    for name, columns in ATLAS_TABLES.items():
        path = layers_dir / name
        if not path.is_file():
            if name != "changes.csv":  # written by the first `geo-kttt import`
                problems.append(problem("error", str(path), None, "", "file", "no_atlas_file", name=name,
                                        header=",".join(columns)))
            continue
        try:
            df = io.read_table(path)
        except io.TableError as e:
            problems.append(table_problem(e))
            continue
        problems += [problem("error", str(path), None, "", c, "missing_column", column=c)
                     for c in columns if c not in df.columns]
    return problems
