"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over the atlas.

Framework-free: each function takes the atlas (GeoPackage or PostGIS, same API), the
service's base URL and the query arguments, and returns a JSON-ready dict, or raises
:class:`ApiError` with the HTTP status. The Flask blueprint (``server/ogcapi.py``) only
chooses JSON or HTML. Collections are the site layers of the catalogue plus the districts.
Item queries go through ``atlas.items`` (R-tree / GiST index, one page at a time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import shapely

from .errors import AtlasError
from .i18n import STRINGS, t

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON, JSON, HTML = "application/geo+json", "application/json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
LIMIT_DEFAULT, LIMIT_MAX, OFFSET_MAX = 10, 10_000, 2**31 - 1
RESERVED = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "datetime")
DISTRICTS = {"title": STRINGS["ogc_districts_title"], "description": STRINGS["ogc_districts_description"]}


class ApiError(AtlasError):
    """A client error: HTTP ``status``, OGC exception ``code`` and a readable ``description``."""

    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
        self.http_status = status

    def body(self) -> dict:
        return {"code": self.code, "description": self.description}


@dataclass(frozen=True)
class Collection:
    id: str
    title: dict
    description: dict
    id_field: str


def collections(atlas) -> dict[str, Collection]:
    """The collections served: every site layer (feature id ``id``) and the districts (``code``)."""
    out = {lid: Collection(lid, layer.title, layer.description, "id")
           for lid, layer in atlas.catalog.items()}
    out["districts"] = Collection("districts", DISTRICTS["title"], DISTRICTS["description"], "code")
    return out


def get_collection(atlas, cid: str) -> Collection:
    try:
        return collections(atlas)[cid]
    except KeyError:
        raise ApiError(404, "NotFound", f"no collection '{cid}'; see /collections") from None


def _link(href, rel, type_, title=None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


LINK_TITLES = {"json": STRINGS["ogc_link_json"], "html": STRINGS["ogc_link_html"]}


def _self_links(url: str, json_type: str, query: dict | None = None, lang: str = "vi") -> list:
    q = {k: v for k, v in (query or {}).items() if k != "f"}
    with_f = lambda f: f"{url}?{urlencode({**q, 'f': f})}"  # noqa: E731
    return [_link(with_f("json"), "self", json_type, LINK_TITLES["json"][lang]),
            _link(with_f("html"), "alternate", HTML, LINK_TITLES["html"][lang])]


def landing(atlas, base: str, lang: str = "vi") -> dict:
    """The landing page: title and the links to the API, conformance and collections."""
    meta = atlas.metadata
    return {"title": meta[f"title_{lang}"],
            "description": "OGC API – Features: " + meta[f"title_{lang}"],
            "links": _self_links(f"{base}/", JSON, lang=lang) + [
                _link(f"{base}/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
                _link(f"{base}/api?f=html", "service-doc", HTML, "OpenAPI 3.0 (HTML)"),
                _link(f"{base}/conformance", "conformance", JSON, t("ogc_link_conformance", lang)),
                _link(f"{base}/collections", "data", JSON, t("ogc_link_collections", lang))]}


def conformance() -> dict:
    return {"conformsTo": list(CONFORMANCE)}


def collection_info(atlas, col: Collection, base: str, lang: str = "vi") -> dict:
    """One collection's description: title, extent, CRS and links to its items."""
    url = f"{base}/collections/{col.id}"
    info = {"id": col.id, "title": col.title[lang], "description": col.description[lang],
            "itemType": "feature", "crs": [CRS84],
            "links": _self_links(url, JSON, lang=lang) + [
                _link(f"{url}/items?f=json", "items", GEOJSON, t("ogc_link_items_json", lang)),
                _link(f"{url}/items?f=html", "items", HTML, t("ogc_link_items_html", lang))]}
    extent = atlas.extent(col.id)
    if extent:
        info["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return info


def collection_list(atlas, base: str, lang: str = "vi") -> dict:
    return {"links": _self_links(f"{base}/collections", JSON, lang=lang),
            "collections": [collection_info(atlas, c, base, lang) for c in collections(atlas).values()]}


def _int(args, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", f"{name} must be an integer, got '{raw}'") from None
    if not lo <= value <= hi:
        raise ApiError(400, "InvalidParameterValue", f"{name} must be between {lo} and {hi}, got {value}")
    return value


def parse_bbox(raw: str | None):
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) in CRS84 -> 4 floats, or None."""
    if raw is None:
        return None
    how = "bbox must be 4 (or 6) comma-separated numbers minLon,minLat,maxLon,maxLat in CRS84"
    try:
        nums = [float(v) for v in raw.split(",")]
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", f"{how}; got '{raw}'") from None
    if len(nums) not in (4, 6) or not all(math.isfinite(v) for v in nums):
        raise ApiError(400, "InvalidParameterValue", f"{how}; got '{raw}'")
    box = nums if len(nums) == 4 else [nums[0], nums[1], nums[3], nums[4]]
    if box[0] > box[2] or box[1] > box[3] or box[1] < -90 or box[3] > 90:
        raise ApiError(400, "InvalidParameterValue",
                       f"{how}, with min <= max and latitudes within -90..90; got '{raw}'")
    return box


def _typed(name: str, kind: str, raw: str):
    """A property filter's text value as the column's type, or a 400 saying what is expected."""
    bad = lambda what: ApiError(400, "InvalidParameterValue",  # noqa: E731
                                f"property {name} is {what}; got '{raw}'")
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise bad("a boolean: use true or false")
        return raw == "true"
    if kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise bad("an integer") from None
        if not -(2**63) <= value < 2**63:
            raise bad("a 64-bit integer")
        return value
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            raise bad("a number") from None
        if not math.isfinite(value):
            raise bad("a finite number")
        return value
    return raw


def parse_filters(args, columns: dict) -> dict:
    """Property filters from the query; any other unknown parameter is a 400."""
    out = {}
    for key in args:
        if key in RESERVED:
            continue
        if key not in columns:
            raise ApiError(400, "InvalidParameterValue",
                           f"unknown parameter or property '{key}'; properties: {', '.join(columns)}")
        out[key] = _typed(key, columns[key], args.get(key))
    return out


def _check_crs(args) -> None:
    crs = args.get("bbox-crs")
    if crs is not None and crs != CRS84:
        raise ApiError(400, "InvalidParameterValue", f"bbox-crs: only {CRS84} is supported")


def _geometries(arr) -> list:
    """GeoJSON geometries; points (the site layers) the fast, vectorised way."""
    kinds = shapely.get_type_id(arr)
    if len(arr) and (kinds == 0).all():
        return [{"type": "Point", "coordinates": xy} for xy in shapely.get_coordinates(arr).tolist()]
    return [None if g is None else g.__geo_interface__ for g in arr]


def _features(page, id_field: str) -> list:
    cols = page.columns
    out = []
    for row, geom in zip(page.rows, _geometries(page.geometries), strict=True):
        props = dict(zip(cols, row, strict=True))  # values straight from the database: no NaN
        out.append({"type": "Feature", "id": props[id_field], "properties": props, "geometry": geom})
    return out


def items(atlas, cid: str, args, base: str, lang: str = "vi") -> dict:
    """One page of a collection's features as a GeoJSON FeatureCollection with paging links.

    Parameters
    ----------
    atlas : Atlas or PostgisAtlas
    cid : str
        Collection id.
    args : Mapping[str, str]
        The query: ``limit`` (1..10000, default 10), ``offset``, ``bbox``, ``bbox-crs``,
        and property filters ``name=value`` (equality, typed by the column).
    base : str
        The service's base URL (for links).

    Raises
    ------
    ApiError
        404 for an unknown collection, 400 for a bad parameter.
    """
    col = get_collection(atlas, cid)
    limit = _int(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    offset = _int(args, "offset", 0, 0, OFFSET_MAX)
    bbox = parse_bbox(args.get("bbox"))
    _check_crs(args)
    filters = parse_filters(args, atlas.columns(cid))
    if any(isinstance(v, str) and "\x00" in v for v in filters.values()):
        filters, bbox = {col.id_field: ""}, [0, 0, 0, 0]  # no stored text holds NUL: match nothing
    page = atlas.page(cid, bbox=bbox, filters=filters, limit=limit, offset=offset)
    url = f"{base}/collections/{cid}/items"
    query = {k: args.get(k) for k in args if k not in ("f", "offset")}
    links = _self_links(url, GEOJSON, {**query, "offset": offset} if offset else query, lang)
    paging = lambda off, rel: _link(  # noqa: E731
        f"{url}?{urlencode({**query, 'offset': off, 'f': 'json'})}", rel, GEOJSON)
    if offset + len(page.rows) < page.matched:
        links.append(paging(offset + limit, "next"))
    if offset > 0:
        links.append(paging(max(0, offset - limit), "prev"))
    links.append(_link(f"{base}/collections/{cid}", "collection", JSON, col.title[lang]))
    return {"type": "FeatureCollection", "numberMatched": int(page.matched),
            "numberReturned": len(page.rows), "features": _features(page, col.id_field), "links": links}


def item(atlas, cid: str, fid: str, base: str, lang: str = "vi") -> dict:
    """One feature by its id (``id`` for sites, ``code`` for districts); 404 when unknown."""
    col = get_collection(atlas, cid)
    page = atlas.page(cid, filters={col.id_field: fid}, limit=1) if "\x00" not in fid else None
    if page is None or not page.rows:
        raise ApiError(404, "NotFound", f"no feature '{fid}' in collection '{cid}'")
    feature = _features(page, col.id_field)[0]
    url = f"{base}/collections/{cid}/items/{quote(fid, safe='')}"
    feature["links"] = _self_links(url, GEOJSON, lang=lang) + [
        _link(f"{base}/collections/{cid}", "collection", JSON, col.title[lang])]
    return feature


# --- OpenAPI 3.0 ---------------------------------------------------------------------------

def _param(name, schema, where="query", required=False, description="", **kw) -> dict:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **kw}


def _responses(ok_schema: dict, ok_types=(JSON, HTML), errors=(400, 404)) -> dict:
    out = {"200": {"description": "OK", "content": {t: {"schema": ok_schema if t != HTML else
                                                         {"type": "string"}} for t in ok_types}}}
    for status in errors:
        out[str(status)] = {"description": "Client error",
                            "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}}}
    return out


COMMON = [_param("f", {"type": "string", "enum": ["json", "html"]}, description="Output format"),
          _param("lang", {"type": "string", "enum": ["vi", "en"]}, description="Language")]
PAGE = [_param("limit", {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT}),
        _param("offset", {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0}),
        _param("bbox", {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
               description="minLon,minLat,maxLon,maxLat (CRS84)", style="form", explode=False),
        _param("bbox-crs", {"type": "string", "format": "uri", "enum": [CRS84]})]
SCHEMAS = {
    "exception": {"type": "object", "required": ["code"],
                  "properties": {"code": {"type": "string"}, "description": {"type": "string"}}},
    "featureCollection": {"type": "object", "required": ["type", "features"],
                          "properties": {"type": {"enum": ["FeatureCollection"]},
                                         "features": {"type": "array"},
                                         "numberMatched": {"type": "integer", "minimum": 0},
                                         "numberReturned": {"type": "integer", "minimum": 0},
                                         "links": {"type": "array"}}},
    "feature": {"type": "object", "required": ["type", "geometry", "properties"],
                "properties": {"type": {"enum": ["Feature"]}, "properties": {"type": "object"}}},
    "document": {"type": "object"},
}


_PROP_SCHEMA = {"integer": {"type": "integer", "format": "int64", "minimum": -(2**63),
                            "maximum": 2**63 - 1}}


def _op(summary: str, params: list, responses: dict, op_id: str) -> dict:
    return {"get": {"summary": summary, "operationId": op_id, "parameters": params + COMMON,
                    "responses": responses}}


def openapi(atlas, base: str) -> dict:
    """The OpenAPI 3.0 document: one items path per collection, with its typed property filters."""
    doc = {"$ref": "#/components/schemas/document"}
    paths = {"/": _op("Landing page", [], _responses(doc, errors=(400,)), "landing"),
             "/conformance": _op("Conformance classes", [], _responses(doc, errors=(400,)), "conformance"),
             "/collections": _op("Collections", [], _responses(doc, errors=(400,)), "collections"),
             "/api": _op("This OpenAPI document", [], _responses(doc, (OPENAPI, HTML), (400,)), "api")}
    for cid, col in collections(atlas).items():
        cols = atlas.columns(cid)
        props = [_param(name, _PROP_SCHEMA.get(kind, {"type": kind}), description=f"Equal to ({name})")
                 for name, kind in cols.items()]
        fc = {"$ref": "#/components/schemas/featureCollection"}
        paths[f"/collections/{cid}"] = _op(col.title["en"], [], _responses(doc), f"collection_{cid}")
        paths[f"/collections/{cid}/items"] = _op(f"{col.title['en']}: items", PAGE + props,
                                                  _responses(fc, (GEOJSON, HTML)), f"items_{cid}")
        paths[f"/collections/{cid}/items/{{featureId}}"] = _op(
            f"{col.title['en']}: one feature",
            [_param("featureId", {"type": "string"}, "path", True, f"The feature's {col.id_field}")],
            _responses({"$ref": "#/components/schemas/feature"}, (GEOJSON, HTML)), f"item_{cid}")
    meta = atlas.metadata
    return {"openapi": "3.0.3",
            "info": {"title": meta["title_en"], "version": str(meta.get("version", "0")),
                     "description": f"{meta['title_vi']} / {meta['title_en']}: OGC API – Features"},
            "servers": [{"url": base}], "paths": paths, "components": {"schemas": SCHEMAS}}
