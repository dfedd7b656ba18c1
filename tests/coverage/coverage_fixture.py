"""A tiny synthetic province for coverage tests, drawn in EPSG:9208 metres, stored in EPSG:4326.

Two districts (901, 902) of 20 x 20 km side by side, each split into two communes of
10 x 20 km (90001-90004) whose reference points are the centres. Coordinates below are
metres east/north of ORIGIN, so distances can be worked out by hand.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from conftest import LAYERS
from shapely.geometry import Point, box

from geo_kttt.catalog import load_catalog
from geo_kttt.coverage.analysis import AtlasFrames

ORIGIN = (549000.0, 1161000.0)  # inside An Giang, EPSG:9208
CRS = "EPSG:9208"


def at(x, y) -> Point:
    return Point(ORIGIN[0] + x, ORIGIN[1] + y)


def rect(x0, y0, x1, y1):
    return box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1)


COMMUNES = {"90001": ("901", 0), "90002": ("901", 10000), "90003": ("902", 20000),
            "90004": ("902", 30000)}

# id, name, kind, status, commune, precision, position (m), serves, sources, capacity
SITES = [
    ("f1", "Bãi rác Một", "landfill", "operating", "90001", "exact", (5000, 13000), "", "s", 100.0),
    ("f2", "Lò đốt Hai", "incinerator", "operating", "90004", "commune", (38000, 6000), "90003", "s",
     None),
    ("f3", "Khu liên hợp Ba", "complex", "planned", "90003", "exact", (25000, 10000), "", "s", 500.0),
    ("f5", "BÃI RÁC MỘT", "landfill", "closed", "90001", "commune", (5000, 10000), "", "s", None),
    ("f6", "Bãi cũ", "landfill", "closed", "90001", "exact", (12000, 5000), "", "", None),
]


def _sites(sites) -> gpd.GeoDataFrame:
    rows = []
    for sid, name, kind, status, com, prec, (x, y), serves, src, cap in sites:
        rows.append({"layer": "waste_facilities", "id": sid, "name_vi": name, "name_en": name,
                     "kind": kind, "district_code": COMMUNES[com][0], "commune_code": com,
                     "status": status, "capacity": cap, "capacity_max": None,
                     "capacity_unit": "t/day" if cap else "", "location_precision": prec,
                     "verified": True, "in_report": False, "serves": serves, "sources": src,
                     "position_source": "site coordinate" if prec in ("exact", "approximate")
                     else f"commune reference point {com}", "geometry": at(x, y)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).to_crs(4326)


def frames(sites=SITES, with_polygons=True) -> AtlasFrames:
    """The synthetic atlas tables; ``sites`` overrides the facility rows."""
    districts = gpd.GeoDataFrame({"code": ["901", "902"], "name": ["Huyện Một", "Huyện Hai"],
                                  "population": ["50000", ""]},
                                 geometry=[rect(0, 0, 20000, 20000), rect(20000, 0, 40000, 20000)],
                                 crs=CRS).to_crs(4326)
    codes = list(COMMUNES)
    polys = [rect(x, 0, x + 10000, 20000) for _, x in COMMUNES.values()]
    communes = gpd.GeoDataFrame({"code": codes, "name": [f"Xã {c}" for c in codes],
                                 "district_code": [d for d, _ in COMMUNES.values()]},
                                geometry=polys, crs=CRS).to_crs(4326)
    points = gpd.GeoDataFrame({"code": codes, "district_code": communes.district_code},
                              geometry=[at(x + 5000, 10000) for _, x in COMMUNES.values()],
                              crs=CRS).to_crs(4326)
    crosswalk = pd.DataFrame({"new_code": ["90001", "90001", "90003", "90003"],
                              "new_full_name": ["Xã Mới Một"] * 2 + ["Xã Mới Hai"] * 2,
                              "old_code": codes, "old_district_code": list(communes.district_code),
                              "old_province_code": ["89"] * 4, "merge_type": ["full"] * 4})
    new = gpd.GeoDataFrame({"new_code": ["90001", "90003"], "new_full_name": ["Xã Mới Một", "Xã Mới Hai"],
                            "has_partial_merge": ["False", "False"],
                            "n_old_units_from_pre2025_kien_giang": ["0", "0"]},
                           geometry=[rect(0, 0, 20000, 20000), rect(20000, 0, 40000, 20000)],
                           crs=CRS).to_crs(4326)
    return AtlasFrames(sites=_sites(sites), districts=districts, commune_points=points,
                       crosswalk=crosswalk, catalog=load_catalog(LAYERS),
                       communes=communes if with_polygons else None,
                       new_communes=new if with_polygons else None)
