"""Rules a site must pass, each failure with a message a person can act on."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io
from .admin import AdminUnits
from .catalog import FIELDS, PRECISIONS, SOURCE_SEP, CatalogError, Layer, load_catalog
from .errors import AtlasError
from .i18n import Codes, Msg, Num, say, t
from .sites import METRIC_CRS, locate, to_bool, to_number, typed

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# NUL and the other control characters (tab and line breaks excepted): never meant as text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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


def _check_values(layer: Layer, df: pd.DataFrame, add) -> None:
    """Per-cell rules: required, types, allowed values."""
    allowed = {"status": layer.statuses, "kind": tuple(layer.kinds),
               "capacity_unit": ("",) + tuple(layer.units), "location_precision": tuple(PRECISIONS)}
    for i, r in enumerate(df.to_dict("records"), start=1):
        sid = r.get("id", "")
        for name, v in r.items():
            bad = CONTROL_RE.search(v) if isinstance(v, str) else None
            if bad:
                add("error", i, sid, name, "control", code=f"{ord(bad.group()):04X}")
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
            if name in allowed and v not in allowed[name] and v != "":
                add("error", i, sid, name, "not_allowed", value=v, layer=layer.id,
                    allowed=Codes(a for a in allowed[name] if a))
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


def _check_positions(gdf: gpd.GeoDataFrame, admin: AdminUnits, add) -> None:
    """Coordinates inside the province and inside the declared district and commune."""
    own = gdf[gdf.position_source == "site coordinate"]
    if own.empty:
        return
    m = own.to_crs(METRIC_CRS)
    province = gpd.GeoSeries([admin.province], crs=4326).to_crs(METRIC_CRS).iloc[0]
    dist = admin.districts.set_index("code").to_crs(METRIC_CRS).geometry
    comm = (admin.communes.set_index("code").to_crs(METRIC_CRS).geometry
            if admin.communes is not None else None)
    for idx, r in m.iterrows():
        row, sid = idx + 1, r["id"]
        off = r.geometry.distance(province)
        if off > PROVINCE_TOLERANCE_M:
            add("error", row, sid, "lon/lat", "outside_province", lon=r.lon, lat=r.lat, km=Num(off / 1000, 1))
            continue
        for field, code, shapes in (("district_code", r.district_code, dist),
                                    ("commune_code", r.commune_code, comm)):
            if shapes is None or not code or code not in shapes.index:
                continue
            d = r.geometry.distance(shapes[code])
            if d > UNIT_TOLERANCE_M:
                add("error", row, sid, field, "outside_unit", km=Num(d / 1000, 1), code=code)
            elif d > 0:
                add("warning", row, sid, field, "near_unit", m=Num(d, 0), code=code)


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
                                Msg("val_definition_fix"))]
    frames, problems, seen = {}, [], {}
    for lid in catalog:
        path = layers_dir / f"{lid}.csv"
        if not path.is_file():
            problems.append(problem("error", str(path), None, "", "file", "no_file", name=path.name))
            continue
        df = io.read_layer_file(path)
        gdf, found = validate_layer(catalog[lid], df, admin, str(path))
        problems += found
        for i, sid in enumerate(df.get("id", []), start=1):
            if sid in seen and seen[sid] != lid:
                problems.append(problem("error", str(path), i, sid, "id", "id_other_layer", layer=seen[sid]))
            seen.setdefault(sid, lid)
        if gdf is not None:
            frames[lid] = gdf.assign(layer=lid)
    return catalog, frames, problems
