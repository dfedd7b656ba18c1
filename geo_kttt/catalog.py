"""Layer definitions read from ``layers/*.toml``, validated into frozen dataclasses.

One definition feeds every output: the web map, the legend, the printed sheet,
the downloads and the API.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import AtlasError
from .i18n import STRINGS

# Status and precision codes; their labels (and what a precision means) are in the string
# table (status_<code>, precision_<code>, precision_<code>_help).
# unverified: no recent source confirms the status (e.g. a plant last reported as being built in 2020).
STATUSES = {code: STRINGS[f"status_{code}"] for code in
            ("planned", "under_construction", "operating", "pilot", "closed", "unverified")}
PRECISIONS = {code: {**STRINGS[f"precision_{code}"],
                     **{f"help_{lang}": text for lang, text in STRINGS[f"precision_{code}_help"].items()}}
              for code in ("exact", "approximate", "commune", "district")}

ENGLISH_FIELDS = ("name_en", "notes")  # text written in English (the notes are the researchers')
# The record schema shared by every layer: name -> (type, required, vi label, en label).

FIELDS = {
    "id": ("str", True, "Mã", "ID"),
    "name_vi": ("str", True, "Tên (tiếng Việt)", "Name (Vietnamese)"),
    "name_en": ("str", True, "Tên (tiếng Anh)", "Name (English)"),
    "kind": ("str", True, "Loại", "Kind"),
    "operator": ("str", False, "Đơn vị vận hành/chủ đầu tư", "Operator or owner"),
    "district_code": ("str", True, "Mã huyện (trước 2025)", "District code (pre-2025)"),
    "commune_code": ("str", False, "Mã xã (trước 2025)", "Commune code (pre-2025)"),
    "status": ("str", True, "Tình trạng", "Status"),
    "capacity": ("float", False, "Công suất/quy mô", "Capacity"),
    "capacity_max": ("float", False, "Công suất tối đa (khoảng)", "Capacity, upper bound"),
    "capacity_unit": ("str", False, "Đơn vị", "Unit"),
    "year": ("int", False, "Năm", "Year"),
    "location_precision": ("str", True, "Độ chính xác vị trí", "Location precision"),
    "lon": ("float", False, "Kinh độ", "Longitude"),
    "lat": ("float", False, "Vĩ độ", "Latitude"),
    "verified": ("bool", True, "Số liệu đã kiểm chứng", "Figures verified"),
    "in_report": ("bool", True, "Có trong báo cáo tỉnh", "Named in the provincial report"),
    "serves": ("str", False, "Địa bàn phục vụ (mã huyện/xã theo quyết định)",
               "Declared service area (district/commune codes)"),
    "sources": ("str", True, "Nguồn", "Sources"),
    "notes": ("str", False, "Ghi chú", "Notes"),
}
COLUMNS = list(FIELDS)
SOURCE_SEP = " | "
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Names a layer id may not take: the atlas's own tables (store.base.TABLES), the tables of a
# GeoPackage and of PostGIS, and the OGC API's districts collection.
RESERVED_IDS = ("districts", "communes", "commune_points", "new_communes", "crosswalk", "indicators",
                "errata", "catalog", "metadata", "changes", "context", "layer_styles",
                "spatial_ref_sys", "geometry_columns", "geography_columns", "raster_columns",
                "raster_overviews", "topology", "layer")
RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_", "pg_", "ogr_")


class CatalogError(AtlasError, ValueError):
    """A layer definition that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class Reported:
    """A figure the provincial report gives for a layer, to reconcile against."""

    label: dict
    source: str
    count: int | None = None
    capacity: float | None = None
    unit: str | None = None
    status: str | None = None
    kind: str | None = None
    sites: tuple = ()


@dataclass(frozen=True)
class Layer:
    """One kind of site: titles, styling and allowed values."""

    id: str
    order: int
    geometry: str
    color: str
    icon: str
    title: dict
    description: dict
    statuses: tuple
    kinds: dict
    units: dict
    reported: tuple = field(default=())

    def label(self, lang: str = "vi") -> str:
        return self.title[lang]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Layer:
        d = json.loads(text)
        d["statuses"] = tuple(d["statuses"])
        d["reported"] = tuple(Reported(**{**r, "sites": tuple(r["sites"])}) for r in d["reported"])
        return cls(**d)


def _bilingual(value, where: str) -> dict:
    if not (isinstance(value, dict) and value.get("vi") and value.get("en")):
        raise CatalogError(f"{where}: needs both 'vi' and 'en' text, e.g. {{ vi = \"…\", en = \"…\" }}")
    return {"vi": value["vi"], "en": value["en"]}


def _unit(value, where: str) -> dict:
    """A unit's labels, and optionally ``base``: the general unit it is a measure in
    (``t_raw/day`` is a ``t/day``), so that imported figures in that unit convert."""
    out = _bilingual(value, where)
    if "base" in value:
        if not isinstance(value["base"], str) or not value["base"]:
            raise CatalogError(f"{where}: 'base' names a general unit, e.g. base = \"t/day\"")
        out["base"] = value["base"]
    return out


def parse_layer(path: Path) -> Layer:
    """Read and check one layer definition file.

    Parameters
    ----------
    path : Path
        A ``layers/<id>.toml`` file.

    Returns
    -------
    Layer

    Raises
    ------
    CatalogError
        With the file, the key and how to fix it.
    """
    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CatalogError(f"{path}: not valid TOML ({e})") from e
    where = lambda key: f"{path}: '{key}'"  # noqa: E731
    for key in ("id", "order", "geometry", "color", "icon", "title", "statuses", "kinds"):
        if key not in d:
            raise CatalogError(f"{where(key)} is missing; every layer definition needs it")
    if d["id"] != path.stem or not _ID.match(d["id"]):
        raise CatalogError(f"{where('id')} must be lower_snake_case and equal the file name "
                           f"'{path.stem}', found '{d['id']}'")
    if d["id"] in RESERVED_IDS or d["id"].startswith(RESERVED_PREFIXES):
        raise CatalogError(f"{where('id')}: '{d['id']}' is the name of a table of the atlas itself; "
                           f"rename the layer (file and id), e.g. '{d['id']}_sites'")
    if not isinstance(d["order"], int) or not isinstance(d["kinds"], dict) \
            or not isinstance(d["statuses"], list):
        raise CatalogError(f"{path}: 'order' must be a whole number, 'statuses' a list and 'kinds' "
                           "a table (see layers/README.md)")
    if d["geometry"] != "Point":
        raise CatalogError(f"{where('geometry')}: only 'Point' layers are supported")
    if not _COLOR.match(str(d["color"])):
        raise CatalogError(f"{where('color')}: use a #rrggbb colour, found '{d['color']}'")
    bad = [s for s in d["statuses"] if s not in STATUSES]
    if bad:
        raise CatalogError(f"{where('statuses')}: unknown {bad}; allowed: {sorted(STATUSES)}")
    kinds = {k: _bilingual(v, f"{where('kinds')}.{k}") for k, v in d["kinds"].items()}
    units = {k: _unit(v, f"{where('units')}.{k}") for k, v in d.get("units", {}).items()}
    reported = []
    for i, r in enumerate(d.get("reported", [])):
        if "label" not in r or "source" not in r:
            raise CatalogError(f"{where('reported')}[{i}] needs 'label' and 'source'")
        reported.append(Reported(**{**r, "label": _bilingual(r["label"], f"{where('reported')}[{i}]"),
                                    "sites": tuple(r.get("sites", ()))}))
    return Layer(id=d["id"], order=int(d["order"]), geometry=d["geometry"], color=d["color"],
                 icon=d["icon"], title=_bilingual(d["title"], where("title")),
                 description=_bilingual(d.get("description", d["title"]), where("description")),
                 statuses=tuple(d["statuses"]), kinds=kinds, units=units,
                 reported=tuple(reported))


def load_catalog(layers_dir: Path) -> dict[str, Layer]:
    """Every layer definition in ``layers_dir``, ordered by ``order``."""
    layers_dir = Path(layers_dir)
    paths = sorted(p for p in layers_dir.glob("*.toml") if not p.name.startswith("_"))
    if not paths:
        raise CatalogError(f"{layers_dir}: no layer definitions (*.toml) found; "
                           "point --layers-dir or GEO_KTTT_LAYERS_DIR at the atlas's layers/ folder")
    layers = [parse_layer(p) for p in paths]
    return {layer.id: layer for layer in sorted(layers, key=lambda x: (x.order, x.id))}


def load_atlas_meta(layers_dir: Path) -> dict:
    """Atlas-wide metadata from ``layers/_atlas.toml``: title, data date, attributions."""
    path = Path(layers_dir) / "_atlas.toml"
    if not path.is_file():
        raise CatalogError(f"{path}: missing; it gives the atlas title, data date and attributions")
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CatalogError(f"{path}: not valid TOML ({e}); check the quotes and brackets "
                           "near that line") from e
    for key in ("title", "data_date", "attribution"):
        if key not in meta:
            raise CatalogError(f"{path}: '{key}' is missing")
    meta["title"] = _bilingual(meta["title"], f"{path}: 'title'")
    attribution = meta["attribution"]
    if not isinstance(attribution, list) or not all(
            isinstance(a, dict) and isinstance(a.get("text"), str | dict) and a["text"] for a in attribution):
        raise CatalogError(f"{path}: 'attribution' must be a list of [[attribution]] tables, "
                           "each with a 'text'")
    if not isinstance(meta["data_date"], str | dt.date):
        raise CatalogError(f"{path}: 'data_date' must be a date, e.g. data_date = \"2025-07-01\"")
    meta["attribution"] = [_attribution(a, f"{path}: attribution[{i}]")
                           for i, a in enumerate(attribution)]
    return meta


def _attribution(a: dict, where: str) -> dict:
    """``what``/``text`` as given (one text, or ``{ vi = …, en = … }``) -> ``what_vi``, ``text_vi``, …;
    ``what`` and ``text`` keep the English for the files that carry one language."""
    out = dict(a)
    for key in ("what", "text"):
        value = a.get(key, "")
        value = _bilingual(value, f"{where}.{key}") if isinstance(value, dict) else {"vi": value, "en": value}
        out |= {key: value["en"], f"{key}_vi": value["vi"], f"{key}_en": value["en"]}
    return out


def attribution_texts(metadata: dict, lang: str) -> list[str]:
    """The atlas's attributions in ``lang`` (an atlas built before they were bilingual: as stored)."""
    return [a.get(f"text_{lang}") or a["text"] for a in metadata.get("attribution", [])]
