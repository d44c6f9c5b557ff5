import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import X0, Y0, box

from peuplement import CRSError, assign_points, qpv_communes


def test_qpv_communes_ignores_sliver(four_communes, one_qpv):
    table = qpv_communes(one_qpv, four_communes)
    # Q covers 500 × 500 m² = 250 000 m² in C1 and 0.5 × 500 = 250 m² in C2 (0.1 % < 1 %).
    assert table[
        ["code_insee", "surface_m2", "liste_officielle", "retenue", "controle"]
    ].values.tolist() == [
        ["59001", pytest.approx(250_000), True, True, "ok"],
        ["59002", pytest.approx(250), False, False, "liseré ignoré"],
    ]
    assert table["part_surface_qpv"].sum() == pytest.approx(1.0)


def test_qpv_communes_without_list_uses_overlay(four_communes, one_qpv):
    qpv = one_qpv.assign(communes_qpv=pd.array([pd.NA], dtype="string"))
    qpv = qpv.set_geometry([box(500, 200, 1500, 700)])  # half in C1, half in C2
    table = qpv_communes(qpv, four_communes)
    assert table["retenue"].tolist() == [True, True]
    assert table["controle"].tolist() == ["hors liste retenue"] * 2


def test_qpv_communes_listed_name_not_found(four_communes, one_qpv):
    # A listed commune merged since: its name matches nothing, the overlay decides.
    qpv = one_qpv.assign(communes_qpv=pd.array(["Ancienne Commune"], dtype="string"))
    table = qpv_communes(qpv, four_communes)
    assert table[["code_insee", "retenue", "controle"]].fillna("?").astype(str).values.tolist() == [
        ["59001", "True", "hors liste retenue"],
        ["59002", "False", "liseré ignoré"],
        ["?", "False", "listée sans intersection"],
    ]


def test_geographic_crs_refused(four_communes, one_qpv):
    with pytest.raises(CRSError, match="needs a projected CRS"):
        qpv_communes(one_qpv.to_crs(4326), four_communes.to_crs(4326))
    with pytest.raises(CRSError, match="different CRS"):
        qpv_communes(one_qpv.to_crs(3857), four_communes)


def test_assign_points(four_communes):
    pts = gpd.GeoSeries(
        shapely.points(
            [X0 + 10, X0 + 1500, X0 + 1500, X0 - 10, X0 + 1000],
            [Y0 + 10, Y0 + 10, Y0 + 1500, Y0, Y0 + 500],
        ),
        crs="EPSG:2154",
    )
    got = assign_points(pts, four_communes, key="code_insee")
    # The last point lies on the C1/C2 boundary: within neither polygon's interior.
    assert got.tolist() == ["59001", "59002", "59004", pd.NA, pd.NA]
