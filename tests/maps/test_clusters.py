"""Server-side clusters (maps.clusters) and the embedded site table (maps.embed), checked against
plain per-site arithmetic: every site in exactly one tile, cells of 64 px, filters as masks."""

from __future__ import annotations

import base64
import gzip
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_kttt.maps import embed
from geo_kttt.maps.build import embedded_sites
from geo_kttt.maps.clusters import CELL_BITS, CLUSTER_OFF_ZOOM, ClusterIndex, cluster_index, mercator
from geo_kttt.maps.data import Filters, all_sites, filter_sites, unit_names


def synthetic(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` sites of two layers over An Giang, a tenth of them on one shared point."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(104.8, 105.6, n), rng.uniform(10.2, 10.9, n)
    lon[: n // 10], lat[: n // 10] = 105.1, 10.5
    return gpd.GeoDataFrame({
        "layer": np.where(np.arange(n) % 3 == 0, "a", "b"), "id": [f"s{i}" for i in range(n)],
        "name_vi": [f"Điểm {i}" for i in range(n)], "name_en": [f"Site {i}" for i in range(n)],
        "status": rng.choice(["operating", "planned", "pilot"], n),
        "district_code": rng.choice(["883", "884"], n), "verified": rng.random(n) < 0.3,
        "location_precision": rng.choice(["exact", "commune"], n)},
        geometry=gpd.points_from_xy(lon, lat), crs=4326)


def tile_of(lon, lat, z):
    x, y = mercator(lon, lat)
    return (x * 2**z).astype(int), (y * 2**z).astype(int)


def test_every_site_is_in_exactly_one_tile_and_counts_add_up():
    sites = synthetic(3000)
    index = ClusterIndex(sites, ["a", "b"])
    for z in (6, 9, 12, 16):
        tx, ty = tile_of(sites.geometry.x, sites.geometry.y, z)
        total = 0
        for x, y in set(zip(tx, ty, strict=True)):
            d = index.tile_dict(z, int(x), int(y), Filters(), "vi")
            expect = int(((tx == x) & (ty == y)).sum())
            assert d["count"] == expect
            got = sum(c[2] for part in d["layers"].values() for c in part["clusters"]) + \
                sum(len(part["sites"]) for part in d["layers"].values())
            assert got == expect
            total += expect
        assert total == len(sites)


def test_clusters_are_the_64px_cells_of_one_layer():
    sites = synthetic(2000)
    index = ClusterIndex(sites, ["a", "b"])
    z = 10
    x, y = mercator(sites.geometry.x, sites.geometry.y)
    cx, cy = (x * 2 ** (z + CELL_BITS)).astype(int), (y * 2 ** (z + CELL_BITS)).astype(int)
    tx, ty = cx >> CELL_BITS, cy >> CELL_BITS
    cells = pd.DataFrame({"layer": sites.layer, "cx": cx, "cy": cy, "lon": sites.geometry.x,
                          "lat": sites.geometry.y})
    x0, y0 = int(tx[0]), int(ty[0])
    d = index.tile_dict(z, x0, y0, Filters(), "en")
    mine = cells[(tx == x0) & (ty == y0)]
    for lid, group in mine.groupby("layer"):
        per = group.groupby(["cx", "cy"])
        many = per.filter(lambda g: len(g) > 1).groupby(["cx", "cy"])
        expected = sorted((len(g), round(g.lon.mean(), 6), round(g.lat.mean(), 6)) for _, g in many)
        got = sorted((c[2], c[0], c[1]) for c in d["layers"][lid]["clusters"])
        assert [g[0] for g in got] == [e[0] for e in expected]
        assert all(math.isclose(a[1], b[1], abs_tol=2e-6) and math.isclose(a[2], b[2], abs_tol=2e-6)
                   for a, b in zip(got, expected, strict=True))
        singles = {s[2] for s in d["layers"][lid]["sites"]}
        assert singles == set(sites.id[per.filter(lambda g: len(g) == 1).index])
        assert all(s[3].startswith("Site ") for s in d["layers"][lid]["sites"])


def test_filters_are_masks_and_counts_match_filter_sites():
    sites = synthetic(2500)
    index = ClusterIndex(sites, ["a", "b"])
    f = Filters(statuses=("operating", "pilot"), district="884", verified=True)
    expected = filter_sites(sites, f)
    assert index.counts(f) == {lid: int((expected.layer == lid).sum()) for lid in ("a", "b")}
    z = 7
    tx, ty = tile_of(sites.geometry.x, sites.geometry.y, z)
    tiles = set(zip(tx, ty, strict=True))
    total = sum(index.tile_dict(z, int(x), int(y), f, "vi")["count"] for x, y in tiles)
    assert total == len(expected)
    only_a = index.tile_dict(z, int(tx[0]), int(ty[0]), Filters(layers=("a",)), "vi")
    assert set(only_a["layers"]) <= {"a"}


def test_from_the_cluster_off_zoom_every_site_is_by_itself():
    sites = synthetic(500)
    index = ClusterIndex(sites, ["a", "b"])
    tx, ty = tile_of(np.array([105.1]), np.array([10.5]), CLUSTER_OFF_ZOOM)
    d = index.tile_dict(CLUSTER_OFF_ZOOM, int(tx[0]), int(ty[0]), Filters(), "vi")
    assert all(not part["clusters"] for part in d["layers"].values())
    assert sum(len(part["sites"]) for part in d["layers"].values()) == d["count"] >= 50


def test_alone_zoom_is_where_a_site_stops_sharing_its_cell():
    sites = synthetic(800)
    index = ClusterIndex(sites, ["a", "b"])
    assert index.zoom_of("a", "s0") == CLUSTER_OFF_ZOOM  # on the shared point: never alone before
    assert index.zoom_of("a", "nope") is None and index.zoom_of("x", "s0") is None
    for row in range(100, 130):
        lid, sid, z = sites.layer[row], sites.id[row], index.zoom_of(sites.layer[row], sites.id[row])
        same = sites[sites.layer == lid]
        x, y = mercator(same.geometry.x, same.geometry.y)
        cells = list(zip((x * 2 ** (z + CELL_BITS)).astype(int), (y * 2 ** (z + CELL_BITS)).astype(int),
                         strict=True))
        mine = cells[list(same.id).index(sid)]
        assert z == CLUSTER_OFF_ZOOM or cells.count(mine) == 1


def test_bad_tiles_are_refused():
    index = ClusterIndex(synthetic(10), ["a", "b"])
    with pytest.raises(ValueError):
        index.tile_dict(3, 8, 0, Filters(), "vi")


def test_real_atlas_tiles_cover_every_site(atlas):
    index = cluster_index(atlas)
    assert cluster_index(atlas) is index  # built once per atlas
    sites = all_sites(atlas)
    tx, ty = tile_of(sites.geometry.x, sites.geometry.y, 9)
    docs = [json.loads(index.tile(9, int(x), int(y))) for x, y in set(zip(tx, ty, strict=True))]
    assert sum(d["count"] for d in docs) == len(sites)
    assert index.extent[0] <= sites.geometry.x.min() and index.extent[3] >= sites.geometry.y.max()


def _unpack(table: dict) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(table["packed"]))) if "packed" in table else table


@pytest.mark.parametrize("pack_above", [embed.PACK_ABOVE, 10])
def test_site_table_round_trips(atlas, monkeypatch, pack_above):
    monkeypatch.setattr(embed, "PACK_ABOVE", pack_above)
    sites = all_sites(atlas)
    table = embedded_sites(atlas, sites, "vi")
    assert ("packed" in table) == (pack_above == 10)
    t = _unpack(table)
    districts, communes = unit_names(atlas)
    value = lambda name, i: (t["columns"][name]["v"][i] if "v" in t["columns"][name]  # noqa: E731
                             else t["columns"][name]["d"][t["columns"][name]["c"][i]])
    assert t["n"] == len(sites)
    for i, row in enumerate(sites.itertuples()):
        assert (value("id", i), value("layer", i), value("name_vi", i)) == (row.id, row.layer, row.name_vi)
        assert abs(t["lon"][i] / 1e6 - row.geometry.x) < 1e-6
        assert abs(t["lat"][i] / 1e6 - row.geometry.y) < 1e-6
        assert value("precision", i) == row.location_precision and value("verified", i) == int(row.verified)
        assert value("district_name", i) == districts[row.district_code]
        assert value("commune_name", i) == (communes.get(row.commune_code) if row.commune_code else None)
        assert (value("capacity_text", i) is None) == pd.isna(row.capacity)
        assert value("capacity", i) == (None if pd.isna(row.capacity) else row.capacity)
        assert [s["text"] for s in value("sources", i)] == [p.strip() for p in row.sources.split("|")
                                                            if p.strip()]
