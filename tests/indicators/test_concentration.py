import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peuplement import load_parc_bailleurs, load_parc_communes
from peuplement.datasets import get_path
from peuplement.indicators import (
    commune_concentration,
    count_dwellings,
    gini,
    herfindahl,
    landlord_concentration,
    lorenz,
    territory_concentration,
    top_share,
)


@pytest.fixture()
def ostrevent():
    c, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    b, _ = load_parc_bailleurs(get_path("coeur_ostrevent/parc_bailleurs_2014"))
    return c.assign(siren_epci="245901152"), b.assign(siren_epci="245901152")


def test_cil_statements_recomputed(ostrevent):
    communes, landlords = ostrevent
    t = territory_concentration(communes, landlords=landlords, by="siren_epci").loc["245901152"]
    # "68 % du parc dans 5 communes": (1635 + 1307 + 1246 + 905 + 849) / 8713
    assert t["part_top5_communes"] == pytest.approx(5942 / 8713)
    # Printed 47 % and 83 % by the presentation; its own table gives 45.6 % and 81.3 %.
    assert t["part_premier_bailleur"] == pytest.approx(3974 / 8713)
    assert t["part_3_premiers_bailleurs"] == pytest.approx((3974 + 1800 + 1314) / 8713)
    shares = np.array([3974, 1800, 1314, 794, 230, 179, 148, 125, 85, 23, 22, 15, 4]) / 8713
    assert t["hhi_bailleurs"] == pytest.approx((shares**2).sum())
    assert t["nb_bailleurs"] == 13 and t["nb_communes"] == 21 and t["nb_communes_avec_lls"] == 17


def test_commune_table(ostrevent):
    communes, _ = ostrevent
    out = commune_concentration(communes, by="siren_epci")
    somain = out.iloc[0]
    assert (somain["code_insee"], somain["rang"]) == ("59574", 1)
    assert somain["part_territoire"] == pytest.approx(1635 / 8713)
    assert out["part_cumulee"].iloc[-1] == pytest.approx(1.0)
    assert out["part_territoire"].sum() == pytest.approx(1.0)
    assert "taux_sru" not in out.columns  # no résidences principales given


def test_sru_and_qpv_by_hand():
    df = pd.DataFrame(
        {
            "code_insee": ["59001", "59002", "59003"],
            "nb_lls": [300, 100, 0],
            "nb_lls_qpv": [150, 0, 0],
            "residences_principales": [1000, 1000, pd.NA],
        }
    )
    out = commune_concentration(df, sru_target=0.25).set_index("code_insee")
    assert (
        out.loc["59001", "taux_sru"] == pytest.approx(0.30) and out.loc["59001", "deficit_sru"] == 0
    )
    assert out.loc["59002", "deficit_sru"] == 150  # 25 % × 1000 − 100
    assert pd.isna(out.loc["59003", "deficit_sru"]) and np.isnan(out.loc["59003", "part_lls_qpv"])
    # Territory QPV share 150/400; commune 1: 0.5 / 0.375
    assert out.loc["59001", "quotient_localisation_qpv"] == pytest.approx(0.5 / 0.375)


def test_gini_lorenz_by_hand():
    df = pd.DataFrame(
        {"code_insee": list("abcd"), "nb_lls": [0, 0, 0, 10], "population": [1, 1, 1, 1]}
    )
    # Σ|xi−xj| / (2 n² μ) = 60 / (2 × 16 × 2.5) = 0.75
    assert gini(df, "nb_lls").item() == pytest.approx(0.75)
    assert gini(df, "nb_lls", weight="population").item() == pytest.approx(0.75)
    pts = lorenz(df, "nb_lls")
    assert pts["part_unites_cumulee"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert pts["part_cumulee"].tolist() == [0, 0, 0, 0, 1]
    # Stock proportional to population: no inequality.
    equal = pd.DataFrame({"code_insee": list("ab"), "nb_lls": [10, 30], "population": [100, 300]})
    assert gini(equal, "nb_lls", weight="population").item() == pytest.approx(0)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
@settings(max_examples=80, deadline=None)
def test_gini_matches_pairwise_formula_and_bounds(values):
    df = pd.DataFrame({"nb_lls": values})
    g = gini(df, "nb_lls").item()
    x = np.array(values, dtype=float)
    if x.sum() == 0:
        assert np.isnan(g) or g == pytest.approx(0)
        return
    pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert g == pytest.approx(pairwise, abs=1e-9)
    assert 0 <= g < 1
    h = herfindahl(df, "nb_lls").item()
    assert 1 / (x > 0).sum() - 1e-12 <= h <= 1 + 1e-12


def test_top_share_and_hhi_grouped():
    df = pd.DataFrame(
        {"epci": ["A"] * 3 + ["B"] * 2, "bailleur": list("xyzxy"), "nb_lls": [50, 30, 20, 10, 0]}
    )
    assert top_share(df, "nb_lls", 1, by="epci").tolist() == [0.5, 1.0]
    assert herfindahl(df, "nb_lls", by="epci").tolist() == pytest.approx([0.25 + 0.09 + 0.04, 1.0])
    empty = herfindahl(pd.DataFrame({"epci": ["C"], "nb_lls": [0]}), "nb_lls", by="epci")
    assert empty.isna().all()


def test_dwellings_to_landlord_table():
    dwellings = pd.DataFrame(
        {
            "code_insee": ["59001", "59001", "59002", "59002", "59002"],
            "bailleur": ["A", "B", "A", "A", "B"],
            "code_qpv": ["QP059001", pd.NA, pd.NA, "QP059002", pd.NA],
        }
    )
    counts = count_dwellings(dwellings, by=["code_insee", "bailleur"])
    assert counts.values.tolist() == [
        ["59001", "A", 1, 1],
        ["59001", "B", 1, 0],
        ["59002", "A", 2, 1],
        ["59002", "B", 1, 0],
    ]
    out = landlord_concentration(counts).set_index("bailleur")
    assert out.loc["A", ["nb_lls", "nb_lls_qpv", "nb_communes", "rang"]].tolist() == [3, 2, 2, 1]
    assert out.loc["A", "part_lls_qpv"] == pytest.approx(2 / 3)
    t = territory_concentration(count_dwellings(dwellings), landlords=counts).iloc[0]
    assert t["part_lls_qpv"] == pytest.approx(2 / 5) and t["nb_bailleurs"] == 2


def test_sru_deficit_rounds_up_to_whole_dwellings():
    # 20 % × 1 234 RP = 246.8 dwellings required; 200 held → 46.8 missing. A commune cannot
    # build 0.8 of a dwelling: the deficit is the next whole number, 47 (46 would leave it
    # at 246 / 1 234 = 19.94 %, still under the target).
    df = pd.DataFrame(
        {
            "code_insee": ["59001", "59002"],
            "nb_lls": [200, 247],
            "residences_principales": [1234, 1234],
        }
    )
    out = commune_concentration(df, sru_target=0.20).set_index("code_insee")
    assert out.loc["59001", "deficit_sru"] == 47
    assert (200 + 46) / 1234 < 0.20 <= (200 + 47) / 1234
    # 247 / 1 234 = 20.02 % ≥ 20 %: nothing missing.
    assert out.loc["59002", "deficit_sru"] == 0
