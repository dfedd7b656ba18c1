import geopandas as gpd
import pytest

from geo_kttt.admin import BUNDLED, DataMissing, load_admin, reference_file


def test_districts_and_crosswalk(admin):
    assert len(admin.districts) == 11
    assert set(admin.districts.code) == {"883", "884", *[str(c) for c in range(886, 895)]}
    ag = admin.crosswalk[admin.crosswalk.old_province_code == "89"]
    assert ag.new_code.nunique() == 54
    assert admin.new_communes.new_code.nunique() == 102
    assert admin.districts.crs.to_epsg() == 4326


def test_without_a_data_folder_the_bundled_files_are_used(monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    admin = load_admin()
    assert len(admin.districts) == 11 and len(admin.commune_points) == 155
    assert admin.new_communes.new_code.nunique() == 102 and admin.context is not None
    assert admin.communes is None  # the development-only polygons are never bundled
    assert all(s.endswith("(bundled)") for s in admin.sources)
    assert reference_file("boundaries/angiang_districts.geojson") == \
        BUNDLED / "boundaries" / "angiang_districts.geojson"
    assert not list(BUNDLED.rglob("*dev_only*")) and not (BUNDLED / "research" / "sites.csv").exists()


def test_a_data_folder_overrides_file_by_file(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    stats = tmp_path / "research" / "districts.csv"
    stats.parent.mkdir()
    text = (BUNDLED / "research" / "districts.csv").read_text(encoding="utf-8")
    stats.write_text(text.replace(",115.36,", ",999.5,"), encoding="utf-8")
    for admin in (load_admin(tmp_path), _with_env(monkeypatch, tmp_path)):
        lx = admin.districts.set_index("code").loc["883"]
        assert lx.official_area_km2 == "999.5"  # from the data folder…
        assert len(admin.commune_points) == 155  # …everything else bundled
        assert "research/districts.csv (data folder)" in admin.sources
        assert "boundaries/angiang_districts.geojson (bundled)" in admin.sources


def _with_env(monkeypatch, folder):
    monkeypatch.setenv("GEO_KTTT_DATA_DIR", str(folder))
    return load_admin()


def test_a_wrong_data_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    with pytest.raises(DataMissing, match="does not exist") as err:
        load_admin(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(err.value) and "GEO_KTTT_DATA_DIR" in str(err.value)
    (tmp_path / "boundaries").mkdir()
    with pytest.raises(DataMissing, match="neither boundaries/ nor research/") as err:
        load_admin(tmp_path / "boundaries")  # pointed one level too deep
    assert "geo-kttt admin import" in str(err.value)


def test_import_official_vn2000_shapefile(tmp_path, admin):
    from geo_kttt import io
    from geo_kttt.admin import import_boundaries

    official = admin.districts[["code", "name", "geometry"]].rename(
        columns={"code": "MA_HUYEN", "name": "TEN_HUYEN"}).to_crs("EPSG:9208")
    shp = tmp_path / "official" / "huyen.shp"
    io.write_vector(official, shp)
    dest = import_boundaries(shp, "district", tmp_path / "data", code_field="MA_HUYEN",
                             name_field="TEN_HUYEN")
    back = io.read_vector(dest)
    assert back.crs.to_epsg() == 4326 and list(back.code) == list(admin.districts.code)
    assert "Châu Đốc" in set(back.name)
    moved = back.to_crs(9208).hausdorff_distance(admin.districts.to_crs(9208), align=False)
    assert moved.max() < 1.0


def test_import_without_crs_or_fields_is_refused(tmp_path, admin):
    from geo_kttt import io
    from geo_kttt.admin import import_boundaries

    shp = tmp_path / "huyen.shp"
    io.write_vector(admin.districts[["code", "geometry"]], shp)
    with pytest.raises(ValueError, match="no column 'TEN'"):
        import_boundaries(shp, "district", tmp_path, name_field="TEN")


def test_every_new_commune_of_old_an_giang_has_a_shape(admin, commune_polygons):
    from_ag = set(admin.crosswalk[admin.crosswalk.old_province_code == "89"].new_code)
    shaped = admin.new_communes[admin.new_communes.geometry.notna()]
    assert set(shaped.new_code) == from_ag  # incl. Long Phú, drawn from the joint Tân Châu polygon


def _official_communes(admin):
    """Four synthetic 'official' communes: the west and east halves of districts 884 and 890,
    in VN-2000 with a land office's column names; one polygon stands for two units."""
    import shapely

    rows = []
    for dcode, codes in (("884", ["99001", "99002"]), ("890", ["99003", "99004;99005"])):
        d = admin.districts.set_index("code").to_crs(9208).geometry[dcode]
        x0, y0, x1, y1 = d.bounds
        mid = (x0 + x1) / 2
        for code, (a, b) in zip(codes, [(x0, mid), (mid, x1)], strict=True):
            rows.append({"MA_XA": code, "TEN_XA": f"Xã Thử {code}", "MA_HUYEN": dcode,
                         "geometry": d.intersection(shapely.box(a, y0, b, y1))})
    # 99001 drawn as two features, as land offices do for islands: one point for the commune
    whole = rows[0]["geometry"]
    cut = shapely.box(*whole.bounds[:3], (whole.bounds[1] + whole.bounds[3]) / 2)
    rows[0:1] = [{**rows[0], "geometry": whole.intersection(cut)},
                 {**rows[0], "geometry": whole.difference(cut)}]
    return gpd.GeoDataFrame(rows, crs=9208)


def test_commune_import_derives_the_reference_points(tmp_path, admin, monkeypatch):
    from geo_kttt import io
    from geo_kttt.admin import OPTIONAL_FILES, import_boundaries

    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    shp = tmp_path / "official" / "xa.shp"
    io.write_vector(_official_communes(admin), shp)
    data = tmp_path / "data"
    dest = import_boundaries(shp, "commune", data, code_field="MA_XA", name_field="TEN_XA",
                             district_field="MA_HUYEN")
    assert dest == data / OPTIONAL_FILES["communes"][0]
    imported = load_admin(data)
    polygons = imported.communes.set_index("code").geometry
    points = imported.commune_points.set_index("code")
    assert list(points.index) == ["99001", "99002", "99003", "99004", "99005"]  # defaults replaced
    for code, p in points.geometry.items():
        assert polygons[polygons.index.str.contains(code)].union_all().contains(p)
    assert points.loc["99004"].geometry.equals(points.loc["99005"].geometry)
    assert set(points.method) == {"representative point of the imported commune polygon",
                                  "representative point of the imported commune polygon "
                                  "shared by several units"}
    assert points.source.str.startswith("xa.shp, imported ").all()
    assert list(points.district_name.unique()) == ["Châu Đốc", "Tịnh Biên"]
    assert points.loc["99001"].full_name == "Xã Thử 99001"
    assert "boundaries/angiang_commune_points.csv (data folder)" in imported.sources
    assert "boundaries/angiang_districts.geojson (bundled)" in imported.sources


def test_cli_commune_import_needs_a_data_folder_and_reports_the_points(tmp_path, admin, capsys,
                                                                      monkeypatch):
    from geo_kttt import io
    from geo_kttt.cli import main

    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    gpkg = tmp_path / "xa.gpkg"
    io.write_vector(_official_communes(admin), gpkg)
    args = ["--lang", "en", "admin", "import", str(gpkg), "--level", "commune", "--code-field", "MA_XA",
            "--name-field", "TEN_XA", "--district-field", "MA_HUYEN"]
    assert main(args) == 2
    assert "pass --data-dir DIR or set GEO_KTTT_DATA_DIR" in capsys.readouterr().err
    monkeypatch.setenv("GEO_KTTT_DATA_DIR", str(tmp_path / "data"))
    assert main(args) == 0
    assert "derived commune reference points" in capsys.readouterr().out
    assert (tmp_path / "data" / "boundaries" / "angiang_commune_points.csv").is_file()


def test_official_polygons_without_their_points_are_refused(tmp_path, admin, monkeypatch):
    from geo_kttt import io

    monkeypatch.delenv("GEO_KTTT_DATA_DIR", raising=False)
    communes = _official_communes(admin).rename(columns={"MA_XA": "code", "TEN_XA": "name",
                                                         "MA_HUYEN": "district_code"})
    io.write_vector(communes.to_crs(4326), tmp_path / "boundaries" / "communes_official.gpkg")
    with pytest.raises(DataMissing, match="no commune reference points"):
        load_admin(tmp_path)
