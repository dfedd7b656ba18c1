"""Coverage on the real atlas, checked against a brute-force computation; completeness; CLI."""

import json

import pytest
import shapely

from geo_kttt.cli import main
from geo_kttt.coverage.analysis import AtlasFrames, compute, radius_km
from geo_kttt.coverage.checks import district_layer_states, layer_completeness
from geo_kttt.summary import reconcile

METRIC = "EPSG:9208"


def brute_force(atlas, by, statuses, radius=None):
    """Unserved codes and nearest distance (m) by pairwise shapely distances, in EPSG:9208."""
    sites = atlas.sites("waste_facilities")
    fac = sites[sites.status.isin(statuses)].to_crs(METRIC)
    assert (fac.serves.fillna("") == "").all()  # the real layer declares no service areas
    if by == "commune":
        pts = atlas.table("commune_points").set_index("code").to_crs(METRIC).geometry
        refs = {code: pts[code.split(";")[0]] for code in atlas.communes().code}
    elif by == "district":
        d = atlas.districts().set_index("code").to_crs(METRIC)
        refs = dict(d.representative_point().items())
    else:
        new = atlas.table("new_communes")
        new = new[new.geometry.notna()].set_index("new_code").to_crs(METRIC)
        refs = dict(new.geometry.representative_point().items())
    unserved, nearest = [], {}
    for code, p in refs.items():
        dists = [(shapely.distance(p, f.geometry), radius_km(f.layer, f.kind, override=radius))
                 for f in fac.itertuples()]
        nearest[code] = min(d for d, _ in dists)
        if not any(d <= r * 1000 for d, r in dists):
            unserved.append(code)
    return sorted(unserved), nearest


@pytest.mark.parametrize("by", ["commune", "district", "new-commune"])
@pytest.mark.parametrize("statuses,radius", [(("operating",), None), (("operating",), 20.0),
                                             (("operating", "under_construction", "planned"), 12.0)])
def test_unserved_equals_brute_force(atlas, by, statuses, radius, request):
    if by != "district":  # old and 2025 communes are drawn from the commune polygons
        request.getfixturevalue("commune_polygons")
    cov = compute(atlas, by=by, statuses=statuses, radius=radius)
    unserved, nearest = brute_force(atlas, by, statuses, radius)
    assert cov.unserved() == unserved
    for code, km in zip(cov.units.code, cov.units.nearest_km, strict=True):
        assert abs(km * 1000 - nearest[code]) < 1.0


def test_real_atlas_has_unserved_communes_at_a_tight_radius(atlas):
    cov = compute(atlas, by="commune", radius=5)
    assert cov.unserved() and len(cov.unserved()) < len(cov.units)
    assert set(cov.units.basis) <= {"radius", "none"}


def test_completeness_follows_the_reconciliation(atlas):
    comp = {c["layer"]: c for c in layer_completeness(AtlasFrames.of(atlas))}
    for r in reconcile(atlas):
        if r["reported_count"] is not None and r["located"] < r["reported_count"]:
            assert comp[r["layer"]]["state"] == "incomplete"
    states = district_layer_states(AtlasFrames.of(atlas))
    for lid, c in comp.items():
        zeros = states[states[lid] == 0][f"{lid}:state"]
        expected = {"complete": "none", "incomplete": "missing", "no_figure": "unknown"}[c["state"]]
        assert set(zeros) <= {expected}
        assert sum(c["precision"].values()) == c["located"] == len(atlas.sites(lid))


def test_cli_json_table_and_csv(capsys, atlas_path, atlas, commune_polygons):
    args = ["--atlas", str(atlas_path), "coverage", "--layer", "waste_facilities", "--radius-km", "20",
            "--status", "operating"]
    assert main(args + ["--by", "commune", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unserved"] == brute_force(atlas, "commune", ("operating",), 20.0)[0]
    assert data["completeness"] and data["level"] == "commune"
    assert main(args + ["--by", "district", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Level: district (pre-2025)" in out and "EPSG:9208" in out
    assert main(args + ["--by", "new-commune", "--format", "csv", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Code,Unit,District (pre-2025),Served")
    assert len(lines) == 1 + atlas.table("new_communes").geometry.notna().sum()


def test_cli_rejects_a_bad_status_and_radius(capsys, atlas_path):
    assert main(["--atlas", str(atlas_path), "coverage", "--status", "pilot", "--lang", "en"]) == 2
    assert "use planned" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="KIND=KM"):
        main(["--lang", "en", "--atlas", str(atlas_path), "coverage", "--radius", "landfill"])
    with pytest.raises(SystemExit, match="LOẠI=KM"):  # Vietnamese by default
        main(["--atlas", str(atlas_path), "coverage", "--radius", "landfill"])


def test_default_statuses_count_running_sites_of_the_layer(atlas):
    waste = compute(atlas, "waste_facilities", "district")
    assert waste.statuses == ("operating",)
    pilots = compute(atlas, "sorting_pilots", "district")
    assert pilots.statuses == ("operating", "pilot")
    running = atlas.sites("sorting_pilots").status.isin(["operating", "pilot"]).sum()
    assert len(pilots.facilities) == running > 0
