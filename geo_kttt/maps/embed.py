"""The sites of a self-contained map as one compact table, for ``static/js/atlas-sources.js``.

A standalone HTML file (or the coverage page's facility layer) carries its sites with it. As
GeoJSON with every popup field, 100,000 sites would be tens of megabytes; as a table it is
one list per column: positions as integer micro-degrees, repeated texts (layer, status,
kind, operator, sources, …) as a dictionary and small integer codes. Past
:data:`PACK_ABOVE` characters the table is gzipped and base64-encoded (the browser unpacks
it with ``DecompressionStream``), so 100,000 sites fit a file of a few megabytes. The map
script clusters the table the way the server does (:mod:`.clusters`).
"""

from __future__ import annotations

import base64
import gzip
import json
import math

import numpy as np
import pandas as pd

from .clusters import ClusterIndex
from .data import sources

PACK_ABOVE = 1_000_000  # characters of JSON above which the table travels gzipped
TEXT = ("layer", "status", "kind", "operator", "capacity_unit", "district_code")
PLAIN = ("id", "name_vi", "name_en")
NUMBERS = ("capacity", "capacity_max", "year")
WORDS = ("district_name", "commune_name", "capacity_text")  # what popups say in words, if given


def _column(values: list) -> dict:
    """A plain list ``{"v": [...]}``, or ``{"d": distinct values, "c": codes}`` when that is shorter."""
    codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    if len(distinct) * 2 > len(values):
        return {"v": list(values)}
    return {"d": [_number(v) if isinstance(v, float) else v for v in distinct], "c": codes.tolist()}


def _number(v):
    """A JSON number (an int when whole), or None for a missing value."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if float(v).is_integer() else float(v)


def site_table(sites: pd.DataFrame, layers) -> dict:
    """The table of ``sites`` (rows of :func:`geo_kttt.maps.data.all_sites`) with every popup field.

    Parameters
    ----------
    sites : DataFrame
        The sites to embed.
    layers : sequence of str
        The catalogue's layer ids (for the zoom at which each site stands alone).

    The columns of :data:`WORDS` that ``sites`` has (names and the capacity in the map's
    language, :func:`geo_kttt.maps.build.embedded_sites`) travel as they are.

    Returns
    -------
    dict
        ``{"n", "lon", "lat", "columns": {name: column}}``, or ``{"packed": base64}`` when large.
    """
    sites = sites.reset_index(drop=True)
    n = len(sites)
    lon = np.round(sites.geometry.x.to_numpy() * 1e6).astype(np.int64).tolist() if n else []
    lat = np.round(sites.geometry.y.to_numpy() * 1e6).astype(np.int64).tolist() if n else []
    cols = {name: _column(sites[name].astype(str).tolist()) for name in TEXT}
    cols.update({name: {"v": sites[name].astype(str).tolist()} for name in PLAIN})
    cols.update({name: _column([_number(v) for v in sites[name]]) for name in NUMBERS})
    cols["precision"] = _column(sites["location_precision"].astype(str).tolist())
    cols["verified"] = _column([int(bool(v)) for v in sites["verified"]])
    cols.update({name: _column([None if pd.isna(v) else v for v in sites[name]]) for name in WORDS
                 if name in sites})
    raw = sites["sources"].fillna("").astype(str).tolist()
    src = _column(raw)
    cols["sources"] = ({"d": [sources(v) for v in src["d"]], "c": src["c"]} if "d" in src
                       else {"v": [sources(v) for v in raw]})
    zoom = ClusterIndex(sites, layers).zoom.tolist() if n else []
    cols["zoom"] = _column(zoom)
    table = {"n": n, "lon": lon, "lat": lat, "columns": cols}
    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if len(text) <= PACK_ABOVE:
        return table
    packed = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    return {"packed": base64.b64encode(packed).decode("ascii")}

