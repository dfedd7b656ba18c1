"""Site records: typing the text columns of a layer file and placing each site on the map.

A site is drawn at its own coordinate only when one is known (``exact`` or
``approximate``). Otherwise it sits at its commune's reference point or at a point
inside its district, and ``position_source`` says which. Nothing is invented.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .admin import AdminUnits
from .catalog import FIELDS
from .crs import reproject

METRIC_CRS = "EPSG:9208"  # VN-2000 / TM-3 104-45, An Giang's cadastral grid

TRUE, FALSE = {"true", "1", "yes", "có", "x"}, {"false", "0", "no", "không", ""}


def to_bool(value: str) -> bool:
    v = str(value).strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise ValueError(f"'{value}' is not true/false")


def to_number(value: str, kind: str):
    v = str(value).strip().replace(",", ".") if kind == "float" else str(value).strip()
    if v == "":
        return None
    return float(v) if kind == "float" else int(v)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Convert a validated text frame to typed columns (floats, nullable ints, bools)."""
    out = df.copy()
    for name, (kind, *_rest) in FIELDS.items():
        if name not in out:
            out[name] = ""
        if kind == "float":
            out[name] = pd.to_numeric(out[name].map(lambda v: to_number(v, "float")),
                                      errors="coerce").astype("float64")
        elif kind == "int":
            out[name] = pd.array([to_number(v, "int") for v in out[name]], dtype="Int64")
        elif kind == "bool":
            out[name] = out[name].map(to_bool).astype(bool)
        else:
            out[name] = out[name].astype(str)
    return out


def district_points(districts: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The point inside each district (by code, in EPSG:9208) where district-level sites sit."""
    return reproject(districts.set_index("code"), METRIC_CRS).representative_point()


def locate(df: pd.DataFrame, admin: AdminUnits) -> gpd.GeoDataFrame:
    """Give every typed record a point and say where the point came from.

    Parameters
    ----------
    df : DataFrame
        Typed records (see :func:`typed`).
    admin : AdminUnits

    Returns
    -------
    GeoDataFrame in EPSG:4326 with a ``position_source`` column.
    """
    cpts = admin.commune_points.set_index("code")
    dpts = reproject(district_points(admin.districts), 4326)
    geoms, how = [], []
    for r in df.itertuples():
        if pd.notna(r.lon) and pd.notna(r.lat):
            geoms.append(gpd.points_from_xy([r.lon], [r.lat])[0])
            how.append("site coordinate")
        elif r.commune_code and r.commune_code in cpts.index:
            geoms.append(cpts.geometry[r.commune_code])
            how.append(f"commune reference point {r.commune_code}")
        elif r.district_code in dpts.index:
            geoms.append(dpts[r.district_code])
            how.append(f"point inside district {r.district_code}")
        else:
            geoms.append(None)
            how.append("")
    gdf = gpd.GeoDataFrame(df.assign(position_source=how), geometry=geoms, crs=4326)
    gdf["lon"], gdf["lat"] = gdf.geometry.x.round(6), gdf.geometry.y.round(6)
    return gdf
