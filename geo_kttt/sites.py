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


# A coordinate this close (in degrees, ~0.2 m) to a reference point is that point: exports
# write the drawn point with 6 decimals, and it must read back as the reference point.
SAME_POINT_DEG = 2e-6
SITE_COORDINATE = "site coordinate"


class Places:
    """Where a site without its own coordinate is drawn: commune reference points and a
    point inside each district, both in EPSG:4326."""

    def __init__(self, admin: AdminUnits):
        self.communes = admin.commune_points.set_index("code").geometry
        self.districts = reproject(district_points(admin.districts), 4326)

    def reference(self, commune_code, district_code):
        """(point, position source) of the reference point for these codes, or (None, "")."""
        if commune_code and commune_code in self.communes.index:
            return self.communes[commune_code], f"commune reference point {commune_code}"
        if district_code and district_code in self.districts.index:
            return self.districts[district_code], f"point inside district {district_code}"
        return None, ""

    def is_reference(self, lon, lat, commune_code, district_code) -> bool:
        """True when (lon, lat) is the reference point these codes place a site at: not a
        coordinate of the site itself (e.g. the drawn point of an export read back)."""
        point, _ = self.reference(commune_code, district_code)
        if point is None or lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
            return False
        return abs(point.x - float(lon)) <= SAME_POINT_DEG and abs(point.y - float(lat)) <= SAME_POINT_DEG


def locate(df: pd.DataFrame, admin: AdminUnits) -> gpd.GeoDataFrame:
    """Give every typed record a point and say where the point came from.

    A coordinate equal to the reference point of the record's commune (or district) is that
    reference point, not a site coordinate.

    Parameters
    ----------
    df : DataFrame
        Typed records (see :func:`typed`).
    admin : AdminUnits

    Returns
    -------
    GeoDataFrame in EPSG:4326 with a ``position_source`` column.
    """
    places = Places(admin)
    geoms, how = [], []
    for r in df.itertuples():
        own = pd.notna(r.lon) and pd.notna(r.lat)
        if own and not places.is_reference(r.lon, r.lat, r.commune_code, r.district_code):
            geoms.append(gpd.points_from_xy([r.lon], [r.lat])[0])
            how.append(SITE_COORDINATE)
        else:
            point, source = places.reference(r.commune_code, r.district_code)
            geoms.append(point)
            how.append(source)
    gdf = gpd.GeoDataFrame(df.assign(position_source=how), geometry=geoms, crs=4326)
    gdf["lon"], gdf["lat"] = gdf.geometry.x.round(6), gdf.geometry.y.round(6)
    return gdf
