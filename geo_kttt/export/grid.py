"""Exports in a VN-2000 grid: which CRSs and formats, and the frame reprojected with x/y columns.

Land offices work in VN-2000 / TM-3 104-45 (EPSG:9208) or VN-2000 / UTM 48N (EPSG:3405).
Formats that carry a CRS (GeoPackage, Shapefile, CSV with its .prj, XLSX) can be written in
either; GeoJSON (RFC 7946), KML and KMZ are WGS 84 by definition. The reprojection is the
package's one pinned transformation (:func:`geo_kttt.crs.reproject`).

Imports nothing of its family but :mod:`.selection` and :mod:`.sidecars`.
"""

from __future__ import annotations

import geopandas as gpd

from ..crs import CrsProblem, epsg_name, reproject
from ..i18n import Codes, Msg
from .selection import ExportError
from .sidecars import GRID_COLUMNS

# The CRSs an export can be written in; GeoJSON (RFC 7946), KML and KMZ are WGS 84 only.
EXPORT_CRS = {"EPSG:4326": "WGS 84", "EPSG:9208": "VN-2000 / TM-3 104-45",
              "EPSG:3405": "VN-2000 / UTM zone 48N"}
WGS84_ONLY = {"geojson": "GeoJSON (RFC 7946)", "kml": "KML", "kmz": "KMZ"}


def export_crs(value, fmt: str | None = None) -> str | None:
    """The CRS asked for: None for WGS 84 (the default), else 'EPSG:9208' or 'EPSG:3405'.

    Raises
    ------
    ExportError
        For any other CRS, or a VN-2000 grid asked of a WGS 84-only format.
    """
    if value is None or str(value).strip() == "":
        return None
    try:
        name = epsg_name(str(value).strip())
    except CrsProblem:
        name = str(value)
    if name not in EXPORT_CRS:
        allowed = [f"{k} ({v})" for k, v in EXPORT_CRS.items()]
        raise ExportError(Msg("err_export_crs", value=value, allowed=Codes(allowed)))
    if name == "EPSG:4326":
        return None
    if fmt in WGS84_ONLY:
        raise ExportError(Msg("err_export_wgs84_only", crs=name, format=WGS84_ONLY[fmt]))
    return name


def in_grid(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """The frame reprojected to ``crs`` (pinned), with its x_easting, y_northing in metres (mm)."""
    out = reproject(gdf, crs)
    out[GRID_COLUMNS[0]] = out.geometry.x.round(3)
    out[GRID_COLUMNS[1]] = out.geometry.y.round(3)
    return out


def grid_crs(gdf) -> str | None:
    """The export's VN-2000 grid ('EPSG:9208'), None when it is in WGS 84."""
    code = gdf.crs.to_epsg() if gdf.crs is not None else 4326
    return None if code == 4326 else f"EPSG:{code}"
