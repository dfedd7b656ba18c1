"""OGC API – Features over the atlas: Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS by
reference: CRS84, EPSG:4326, VN-2000 EPSG:9208 and EPSG:3405, through the pinned transformation
of :mod:`geo_kttt.crs`) and Part 3's queryables, with ``sortby`` and ``properties``.

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

from . import crs as crsmod
from .catalog import FIELDS
from .errors import AtlasError
from .i18n import STRINGS, t

CRS84 = crsmod.OGC_CRS84
# Part 2: what every collection can be served in (storage: CRS84).
CRS_LIST = [CRS84] + [crsmod.crs_uri(c) for c in ("EPSG:4326", "EPSG:9208", "EPSG:3405")]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GEOJSON, JSON, HTML = "application/geo+json", "application/json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
LIMIT_DEFAULT, LIMIT_MAX, OFFSET_MAX = 10, 10_000, 2**31 - 1
RESERVED = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "sortby", "properties")
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
            "itemType": "feature", "crs": list(CRS_LIST), "storageCrs": CRS84,
            "links": _self_links(url, JSON, lang=lang) + [
                _link(f"{url}/items?f=json", "items", GEOJSON, t("ogc_link_items_json", lang)),
                _link(f"{url}/items?f=html", "items", HTML, t("ogc_link_items_html", lang)),
                _link(f"{url}/queryables", QUERYABLES_REL, SCHEMA_JSON, t("ogc_link_queryables", lang)),
                _link(f"{url}/queryables", "queryables", SCHEMA_JSON, t("ogc_link_queryables", lang)),
                # GDAL's OAPIF driver types the fields from this schema (rel spelt as it looks for it)
                _link(f"{url}/schema", "describedBy", SCHEMA_JSON, t("ogc_link_schema", lang))]}
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


def parse_bbox(raw: str | None, bbox_crs: str = CRS84):
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) in ``bbox_crs`` -> 4 CRS84 floats, or None.

    The numbers follow the axis order of ``bbox_crs`` (EPSG:4326: latitude first; the VN-2000
    grids: easting, northing in metres); a projected box is converted through the pinned
    transformation, its edges densified, to the CRS84 box that contains it.
    """
    if raw is None:
        return None
    how = ("bbox must be 4 (or 6) comma-separated numbers minLon,minLat,maxLon,maxLat in CRS84"
           if bbox_crs == CRS84 else f"bbox must be 4 (or 6) comma-separated numbers in {bbox_crs}")
    try:
        nums = [float(v) for v in raw.split(",")]
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", f"{how}; got '{raw}'") from None
    if len(nums) not in (4, 6) or not all(math.isfinite(v) for v in nums):
        raise ApiError(400, "InvalidParameterValue", f"{how}; got '{raw}'")
    box = nums if len(nums) == 4 else [nums[0], nums[1], nums[3], nums[4]]
    name = crsmod.from_uri(bbox_crs)
    if crsmod.northing_first(name):
        box = [box[1], box[0], box[3], box[2]]
    geographic = crsmod.parse(name).is_geographic
    if box[0] > box[2] or box[1] > box[3] or (geographic and (box[1] < -90 or box[3] > 90)):
        raise ApiError(400, "InvalidParameterValue",
                       f"{how}, with min <= max and latitudes within -90..90; got '{raw}'")
    if geographic:
        return box
    ring = shapely.box(*box).segmentize(max(box[2] - box[0], box[3] - box[1], 1.0) / 16)
    return list(crsmod.transform_geometries([ring], name, "OGC:CRS84")[0].bounds)


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


def parse_crs(args, name: str = "crs") -> str:
    """The ``crs`` (or ``bbox-crs``) asked for, one of :data:`CRS_LIST`; CRS84 when absent."""
    value = args.get(name)
    if value is None:
        return CRS84
    if value not in CRS_LIST:
        raise ApiError(400, "InvalidParameterValue",
                       f"{name}: use one of {', '.join(CRS_LIST)}; got '{value}'")
    return value


def parse_sortby(args, columns: dict) -> list[tuple[str, bool]]:
    """``sortby=name_vi,-capacity`` -> [(column, descending)]; '+' or nothing is ascending."""
    out = []
    for part in (args.get("sortby") or "").split(","):
        key = part.strip()  # a '+' sent unencoded arrives as a space
        desc = key.startswith("-")
        key = key.lstrip("+-").strip()
        if not key and not part.strip():
            continue
        if key not in columns:
            raise ApiError(400, "InvalidParameterValue",
                           f"sortby: unknown property '{key}'; properties: {', '.join(columns)}")
        out.append((key, desc))
    return out


def parse_properties(args, columns: dict) -> list[str] | None:
    """``properties=name_vi,status``: the properties to return (None: all)."""
    raw = args.get("properties")
    if raw is None:
        return None
    names = [p.strip() for p in raw.split(",") if p.strip()]
    unknown = [p for p in names if p not in columns]
    if unknown:
        raise ApiError(400, "InvalidParameterValue",
                       f"properties: unknown {unknown}; properties: {', '.join(columns)}")
    return names


def _check_datetime(args) -> None:
    if args.get("datetime") is not None:
        raise ApiError(400, "InvalidParameterValue",
                       "datetime: the features of this collection carry no date or time (the 'year' "
                       "property is a plain number: filter it with year=2020)")


def _in_crs(geoms, uri: str):
    """Geometries (CRS84) in the output CRS ``uri``, in that CRS's axis order."""
    if uri == CRS84:
        return geoms
    name = crsmod.from_uri(uri)
    out = crsmod.transform_geometries(geoms, "OGC:CRS84", name)
    if crsmod.northing_first(name):
        out = shapely.transform(out, lambda xy: xy[:, ::-1])
    return out


def _geometries(arr) -> list:
    """GeoJSON geometries; points (the site layers) the fast, vectorised way."""
    kinds = shapely.get_type_id(arr)
    if len(arr) and (kinds == 0).all():
        return [{"type": "Point", "coordinates": xy} for xy in shapely.get_coordinates(arr).tolist()]
    return [None if g is None else g.__geo_interface__ for g in arr]


def _features(page, id_field: str, crs: str = CRS84, keep=None) -> list:
    cols = page.columns
    out = []
    for row, geom in zip(page.rows, _geometries(_in_crs(page.geometries, crs)), strict=True):
        props = dict(zip(cols, row, strict=True))  # values straight from the database: no NaN
        fid = props[id_field]
        if keep is not None:
            props = {k: props[k] for k in keep}
        out.append({"type": "Feature", "id": fid, "properties": props, "geometry": geom})
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
    bbox = parse_bbox(args.get("bbox"), parse_crs(args, "bbox-crs"))
    out_crs = parse_crs(args)
    _check_datetime(args)
    columns = atlas.columns(cid)
    filters = parse_filters(args, columns)
    sortby, keep = parse_sortby(args, columns), parse_properties(args, columns)
    if any(isinstance(v, str) and "\x00" in v for v in filters.values()):
        filters, bbox = {col.id_field: ""}, [0, 0, 0, 0]  # no stored text holds NUL: match nothing
    page = atlas.page(cid, bbox=bbox, filters=filters, limit=limit, offset=offset, sortby=sortby)
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
            "numberReturned": len(page.rows), "features": _features(page, col.id_field, out_crs, keep),
            "links": links}


def item(atlas, cid: str, fid: str, base: str, lang: str = "vi", args=None) -> dict:
    """One feature by its id (``id`` for sites, ``code`` for districts); 404 when unknown.

    ``args`` may carry ``crs`` and ``properties``, as for :func:`items`.
    """
    col = get_collection(atlas, cid)
    args = args or {}
    out_crs, keep = parse_crs(args), parse_properties(args, atlas.columns(cid))
    page = atlas.page(cid, filters={col.id_field: fid}, limit=1) if "\x00" not in fid else None
    if page is None or not page.rows:
        raise ApiError(404, "NotFound", f"no feature '{fid}' in collection '{cid}'")
    feature = _features(page, col.id_field, out_crs, keep)[0]
    url = f"{base}/collections/{cid}/items/{quote(fid, safe='')}"
    feature["links"] = _self_links(url, GEOJSON, lang=lang) + [
        _link(f"{base}/collections/{cid}", "collection", JSON, col.title[lang])]
    return feature


def _property_schemas(atlas, cid: str, lang: str) -> dict:
    """Each property's JSON Schema: its type (from the store) and its label in ``lang``."""
    out = {}
    for name, kind in atlas.columns(cid).items():
        spec = {"type": kind}
        if name in FIELDS:
            spec["title"] = FIELDS[name][2 if lang == "vi" else 3]
        out[name] = spec
    return out


def queryables(atlas, cid: str, base: str, lang: str = "vi") -> dict:
    """Part 3: the properties a client may filter on (``name=value``), as a JSON Schema."""
    col = get_collection(atlas, cid)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/collections/{cid}/queryables", "type": "object", "title": col.title[lang],
            "description": "Every property is a query parameter (equality); bbox filters space.",
            "properties": _property_schemas(atlas, cid, lang), "additionalProperties": False}


def feature_schema(atlas, cid: str, base: str, lang: str = "vi") -> dict:
    """A GeoJSON Feature's JSON Schema with the typed properties (GDAL's OAPIF driver reads it)."""
    col = get_collection(atlas, cid)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/collections/{cid}/schema", "type": "object", "title": col.title[lang],
            "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": {"type": "string"}, "geometry": {"type": "object"},
                           "properties": {"type": "object",
                                          "properties": _property_schemas(atlas, cid, lang)}}}


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
        _param("bbox-crs", {"type": "string", "format": "uri", "enum": CRS_LIST},
               description="CRS of bbox (axis order of that CRS)"),
        _param("sortby", {"type": "string", "pattern": r"^[+-]?\w+( *, *[+-]?\w+)*$"},
               description="Properties to sort by, '-' for descending: sortby=-capacity,name_vi"),
        _param("datetime", {"type": "string"}, description="Refused (400): no temporal property")]
OUTPUT = [_param("crs", {"type": "string", "format": "uri", "enum": CRS_LIST},
                 description="CRS of the geometries returned (Content-Crs header)"),
          _param("properties", {"type": "string"}, description="Comma-separated properties to return")]
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
        paths[f"/collections/{cid}/items"] = _op(f"{col.title['en']}: items", PAGE + OUTPUT + props,
                                                  _responses(fc, (GEOJSON, HTML)), f"items_{cid}")
        paths[f"/collections/{cid}/items/{{featureId}}"] = _op(
            f"{col.title['en']}: one feature",
            [_param("featureId", {"type": "string"}, "path", True, f"The feature's {col.id_field}")] + OUTPUT,
            _responses({"$ref": "#/components/schemas/feature"}, (GEOJSON, HTML)), f"item_{cid}")
        for part in ("queryables", "schema"):
            paths[f"/collections/{cid}/{part}"] = _op(f"{col.title['en']}: {part}", [],
                                                      _responses(doc, (SCHEMA_JSON, HTML)), f"{part}_{cid}")
    meta = atlas.metadata
    return {"openapi": "3.0.3",
            "info": {"title": meta["title_en"], "version": str(meta.get("version", "0")),
                     "description": f"{meta['title_vi']} / {meta['title_en']}: OGC API – Features"},
            "servers": [{"url": base}], "paths": paths, "components": {"schemas": SCHEMAS}}
