"""Household coverage (coverage.points) against a per-point brute force on the real atlas."""

import numpy as np
import pytest
import shapely

from geo_kttt.coverage import points
from geo_kttt.coverage.analysis import radius_km
from geo_kttt.sites import METRIC_CRS


@pytest.fixture(scope="module")
def setup(atlas, commune_polygons):
    fac = atlas.sites().to_crs(METRIC_CRS).reset_index(drop=True)
    fac["radius_km"] = [radius_km(lid, k) for lid, k in zip(fac.layer, fac.kind, strict=True)]
    communes = atlas.communes().to_crs(METRIC_CRS)[["code", "geometry"]].reset_index(drop=True)
    x0, y0, x1, y1 = communes.total_bounds
    rng = np.random.default_rng(5)
    x, y = rng.uniform(x0 - 2000, x1 + 2000, 1500), rng.uniform(y0 - 2000, y1 + 2000, 1500)
    x[:20], y[:20] = fac.geometry.x[:20], fac.geometry.y[:20]  # on a facility: distance 0
    return fac, communes, x, y


def brute_force(fac, communes, x, y):
    """Every point against every facility and every polygon, one shapely call at a time."""
    geoms = [shapely.from_wkb(shapely.to_wkb(g)) for g in communes.geometry]  # unprepared copies
    out = []
    for px, py in zip(x, y, strict=True):
        p = shapely.Point(px, py)
        d = [p.distance(f) for f in fac.geometry]
        served = any(di <= r * 1000 for di, r in zip(d, fac.radius_km, strict=True))
        code = next((c for c, g in zip(communes.code, geoms, strict=True) if g.contains(p)), None)
        out.append((min(d), served, code))
    return out


@pytest.mark.parametrize("brute_max", [points.BRUTE_MAX, 0])  # the brute-force and the STRtree path
def test_cover_points_equals_brute_force(setup, monkeypatch, brute_max):
    monkeypatch.setattr(points, "BRUTE_MAX", brute_max)
    monkeypatch.setattr(points, "CHUNK", 256)  # several chunks
    fac, communes, x, y = setup
    cov = points.cover_points(x, y, fac, communes)
    expected = brute_force(fac, communes, x, y)
    for i, (d, served, code) in enumerate(expected):
        assert abs(cov.distance_m[i] - d) < 1e-6, i
        chosen = fac.geometry.iloc[cov.nearest[i]]
        assert abs(shapely.Point(x[i], y[i]).distance(chosen) - d) < 1e-6, i  # the index is a nearest one
        assert cov.served[i] == served and cov.unit[i] == code, i
    assert cov.unit[0] is None or isinstance(cov.unit[0], str)
    per = cov.per_unit()
    inside = [c for _, _, c in expected if c is not None]
    assert per.households.sum() == len(inside)
    assert per.unserved.sum() == sum(1 for _, s, c in expected if c is not None and not s)


def test_no_facilities_and_no_points(setup):
    fac, communes, x, y = setup
    cov = points.cover_points(x[:5], y[:5], fac.iloc[:0], communes)
    assert (cov.nearest == -1).all() and np.isnan(cov.distance_m).all() and not cov.served.any()
    empty = points.cover_points(np.array([]), np.array([]), fac, communes)
    assert len(empty.unit) == 0 and empty.per_unit().empty
