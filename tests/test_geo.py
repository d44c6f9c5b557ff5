import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import X0, Y0, box
from hypothesis import given, settings
from hypothesis import strategies as st

from peuplement import CRSError, assign_points, qpv_communes
from peuplement.geo import PolygonGrid, assign_xy


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
    with pytest.raises(CRSError, match="demande un SCR projeté"):
        qpv_communes(one_qpv.to_crs(4326), four_communes.to_crs(4326))
    with pytest.raises(CRSError, match="SCR différents"):
        qpv_communes(one_qpv.to_crs(3857), four_communes)


def test_qpv_communes_sliver_threshold_is_inclusive(four_communes, one_qpv):
    # Q's share in C2 is 250 / 250 250 m² (about 0.1 %); at exactly that threshold the
    # intersection is no longer a sliver (share >= min_share), just above it is.
    share = qpv_communes(one_qpv, four_communes)["part_surface_qpv"].iloc[1]
    assert share == pytest.approx(250 / 250_250)
    at = qpv_communes(one_qpv, four_communes, min_share=share)
    above = qpv_communes(one_qpv, four_communes, min_share=float(np.nextafter(share, 1)))
    assert at["controle"].tolist() == ["ok", "hors liste"]
    assert above["controle"].tolist() == ["ok", "liseré ignoré"]


# Points of the four 1 km squares: inside C1; on the C1/C2 edge; on the vertex the four
# share; on C1's outer edge; on the C3/C4 edge; outside everything.
EDGE_X = [X0 + 10, X0 + 1000, X0 + 1000, X0, X0 + 1000, X0 - 10, X0 + 2000]
EDGE_Y = [Y0 + 10, Y0 + 500, Y0 + 1000, Y0 + 500, Y0 + 1500, Y0, Y0 + 2000]
# Boundary rule: closed polygons, first in row order wins (C1 < C2 < C3 < C4).
EDGE_EXPECTED = ["59001", "59001", "59001", "59001", "59003", None, "59004"]


def test_assign_points_boundary_rule(four_communes):
    pts = gpd.GeoSeries(shapely.points(EDGE_X, EDGE_Y), crs="EPSG:2154")
    got = assign_points(pts, four_communes, key="code_insee")
    assert got.astype(object).where(got.notna(), None).tolist() == EDGE_EXPECTED
    # Reversed file order: the shared edges and vertex go to the other side.
    rev = assign_points(pts, four_communes.iloc[::-1], key="code_insee")
    assert rev.astype(object).where(rev.notna(), None).tolist() == [
        "59001",
        "59002",
        "59004",
        "59001",
        "59004",
        None,
        "59004",
    ]


@pytest.mark.parametrize("cell", [None, 10.0, 37.0, 250.0, 1000.0])
def test_assign_xy_boundary_rule(four_communes, cell):
    x, y = np.array(EDGE_X), np.array(EDGE_Y)
    assert assign_xy(x, y, four_communes, key="code_insee", cell=cell).tolist() == EDGE_EXPECTED
    grid = PolygonGrid(four_communes.iloc[::-1], key="code_insee", cell=cell)
    assert grid.assign(x, y).tolist() == [
        "59001",
        "59002",
        "59004",
        "59001",
        "59004",
        None,
        "59004",
    ]


def test_assign_xy_nan_far_and_empty(four_communes):
    x = np.array([np.nan, np.inf, -1e12, X0 + 10])
    y = np.array([Y0, Y0, Y0, np.nan])
    assert assign_xy(x, y, four_communes, key="code_insee").tolist() == [None] * 4
    assert assign_xy(np.array([]), np.array([]), four_communes, key="code_insee").tolist() == []
    holes = four_communes.assign(geometry=[shapely.Polygon()] * 4)
    assert assign_xy(
        np.array([X0 + 10]), np.array([Y0 + 10]), holes, key="code_insee"
    ).tolist() == [None]


def _ring_with_hole():
    outer = box(0, 0, 1000, 1000)
    return gpd.GeoDataFrame(
        {"code": ["donut", "inner", "multi"]},
        geometry=[
            outer.difference(box(250, 250, 750, 750)),
            box(250, 250, 750, 750),
            shapely.MultiPolygon([box(1200, 0, 1300, 100), box(1400, 0, 1500, 100)]),
        ],
        crs="EPSG:2154",
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-40, 1540), st.floats(-40, 1040)), min_size=1, max_size=60),
    st.sampled_from([None, 12.5, 25.0, 50.0, 100.0]),
    st.booleans(),
)
def test_assign_xy_equals_assign_points(coords, cell, reverse):
    """The grid gives the STRtree's answer for every point, edges and vertices included
    (coordinates on a 25 m lattice fall on edges, vertices and grid lines)."""
    layer = _ring_with_hole()
    layer = layer.iloc[::-1] if reverse else layer
    # Metres rounded to a 12.5 m lattice: many points on edges, vertices and grid lines.
    x = X0 + np.round(np.array([c[0] for c in coords]) / 12.5) * 12.5
    y = Y0 + np.round(np.array([c[1] for c in coords]) / 12.5) * 12.5
    fast = assign_xy(x, y, layer, key="code", cell=cell)
    slow = assign_points(gpd.GeoSeries(shapely.points(x, y), crs=2154), layer, key="code")
    assert fast.tolist() == slow.astype(object).where(slow.notna(), None).tolist()
    # The categorical form carries the same key for every point (NaN outside).
    cat = PolygonGrid(layer, key="code", cell=cell).assign_categorical(x, y)
    assert pd.Series(cat).astype(object).where(pd.notna(cat), None).tolist() == fast.tolist()


def test_assign_categorical_repeated_and_missing_keys(four_communes):
    """Two polygons with one key share a category; a polygon without key gives NaN."""
    layer = four_communes.assign(code=["A", "B", "A", None])
    # Centres of C1..C4 (C1, C2 in the first row of squares, C3, C4 above), then a far point.
    x = np.array([X0 + 500, X0 + 1500, X0 + 500, X0 + 1500, X0 + 5000])
    y = np.array([Y0 + 500, Y0 + 500, Y0 + 1500, Y0 + 1500, Y0])
    cat = PolygonGrid(layer, key="code").assign_categorical(x, y)
    assert list(cat.categories) == ["A", "B"]
    assert cat.codes.tolist() == [0, 1, 0, -1, -1]
