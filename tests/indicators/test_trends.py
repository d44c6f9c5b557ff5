"""Multi-year indicators, each on a small table computed by hand."""

import pandas as pd
import pytest

from peuplement._errors import SchemaError
from peuplement.indicators.trends import (
    aggregate_departements,
    changes,
    compare_with_references,
    financing_class,
    first_last_changes,
    mutations_rehousing,
    pressure_by_size,
    rents_vacancy_mobility,
    stock_by_financing,
)


@pytest.fixture()
def panel():
    # Two quartiers, three years; Q2's 2019 poverty rate is secret (missing).
    return pd.DataFrame(
        {
            "code_qpv": ["Q1", "Q1", "Q1", "Q2", "Q2", "Q2"],
            "annee": [2017, 2019, 2021, 2017, 2019, 2021],
            "part_pauvres": [0.40, 0.42, 0.45, 0.30, None, 0.27],
            "population": [1000, 1000, 1100, 500, 500, 400],
            "recensement": [2013, 2013, 2018, 2013, 2013, 2018],
        }
    )


def test_changes_points_percent_and_rupture(panel):
    out = changes(panel, ["part_pauvres", "population"], by=["code_qpv"], definition="recensement")
    q1 = out[(out["code_qpv"] == "Q1") & (out["indicateur"] == "part_pauvres")]
    # 0.40 → 0.42: +2 points; 0.42 → 0.45: +3 points.
    assert q1["variation"].tolist() == pytest.approx([float("nan"), 2.0, 3.0], nan_ok=True)
    assert q1["annee_precedente"].tolist()[1:] == [2017, 2019]
    pop = out[(out["code_qpv"] == "Q1") & (out["indicateur"] == "population")]
    # 1000 → 1100: +10 %, across the census change 2013 → 2018: marked.
    assert pop["variation"].iloc[2] == pytest.approx(10.0)
    assert pop["rupture"].tolist() == [False, False, True]
    assert set(pop["unite_variation"]) == {"%"}
    q2 = out[(out["code_qpv"] == "Q2") & (out["indicateur"] == "part_pauvres")]
    # A secret year gives no change on either side.
    assert q2["variation"].isna().all()


def test_first_last_skips_secret_years(panel):
    out = first_last_changes(panel, {"part_pauvres": "points"}, by=["code_qpv"])
    out = out.set_index("code_qpv")
    # Q1: 0.40 (2017) → 0.45 (2021): +5 points; Q2: 0.30 → 0.27: −3 points, 2 known years.
    assert out.loc["Q1", "variation"] == pytest.approx(5.0)
    assert out.loc["Q2", "variation"] == pytest.approx(-3.0)
    assert out.loc["Q2", "nb_annees"] == 2
    ruptured = first_last_changes(panel, ["population"], by=["code_qpv"], definition="recensement")
    assert ruptured["rupture"].all()
    # Q2: 500 → 400 is −20 %.
    assert ruptured.set_index("code_qpv").loc["Q2", "variation"] == pytest.approx(-20.0)


def test_changes_refuses_duplicates_and_missing_columns(panel):
    with pytest.raises(SchemaError, match="plusieurs lignes"):
        changes(panel, ["part_pauvres"])  # two quartiers, no by
    with pytest.raises(SchemaError, match="colonnes"):
        changes(panel, ["revenu"], by=["code_qpv"])


def test_pressure_by_size():
    demandes = pd.DataFrame({"annee": [2024] * 5 + [2025] * 2, "nb_pieces": [1, 1, 2, 2, 5, 3, 6]})
    attributions = pd.DataFrame({"annee": [2024, 2024, 2025], "nb_pieces": [2, 0, 7]})
    out = pressure_by_size(demandes, attributions, by=["annee"]).set_index(["annee", "typologie"])
    # 2024 T1: 2 requests, 1 attribution (0 rooms counts as T1): pressure 2, satisfaction 1/3.
    assert out.loc[(2024, "T1"), "pression"] == pytest.approx(2.0)
    assert out.loc[(2024, "T1"), "taux_satisfaction"] == pytest.approx(1 / 3)
    # 2024 T5+: one request, no attribution: pressure undefined, satisfaction 0.
    assert pd.isna(out.loc[(2024, "T5+"), "pression"])
    assert out.loc[(2024, "T5+"), "taux_satisfaction"] == 0.0
    # 2025 T5+: 1 request (6 rooms), 1 attribution (7 rooms): pressure 1, satisfaction 1/2.
    assert out.loc[(2025, "T5+"), "pression"] == 1.0
    assert out["nb_demandes"].sum() == 7 and out["nb_attributions"].sum() == 3


def test_stock_by_financing():
    rpls = pd.DataFrame(
        {
            "millesime": [2024] * 4 + [2025] * 5,
            "code_insee": ["59001"] * 9,
            "financement": ["PLAI", "PLUS", "PLUS", "HLM/O", "PLA-I", "PLUS", "PLUS", "PLS", "PLI"],
        }
    )
    out = stock_by_financing(rpls).set_index(["millesime", "financement"])
    # 2024: PLAI 1, PLUS 2, other 1 of 4; 2025: PLAI 1, PLUS 2, PLS 1, PLI 1 of 5.
    assert out.loc[(2024, "PLUS"), "part"] == pytest.approx(0.5)
    assert out.loc[(2024, "autre"), "nb_lls"] == 1
    assert out.loc[(2025, "PLAI"), "part"] == pytest.approx(0.2)
    assert out.groupby(level=0)["part"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert financing_class(pd.Series(["PLATS", "plus-cd"])).tolist() == ["PLAI", "PLUS"]


def test_rents_vacancy_mobility():
    rpls = pd.DataFrame(
        {
            "millesime": [2024, 2024, 2024, 2025],
            "bailleur": ["A", "A", "A", "A"],
            "loyer": [300.0, 400.0, None, 500.0],
            "surface_m2": [60.0, 40.0, 50.0, 100.0],
            "vacant": [True, False, True, False],
            "vacance_mois": [5, 0, 2, 0],
            "emmenagement": [False, True, False, True],
        }
    )
    out = rents_vacancy_mobility(rpls).set_index("millesime")
    # 2024: (300 + 400) / (60 + 40) = 7 €/m² (the dwelling without rent left out);
    # vacant 2 of 3, over 3 months 1 of 3; one move of 3.
    assert out.loc[2024, "loyer_m2"] == pytest.approx(7.0)
    assert out.loc[2024, "part_vacants"] == pytest.approx(2 / 3)
    assert out.loc[2024, "part_vacants_3mois"] == pytest.approx(1 / 3)
    assert out.loc[2024, "taux_mobilite"] == pytest.approx(1 / 3)
    assert out.loc[2025, "loyer_m2"] == pytest.approx(5.0)
    with pytest.raises(SchemaError, match="version loi"):
        rents_vacancy_mobility(rpls[["millesime", "bailleur"]])


def test_mutations_rehousing():
    attributions = pd.DataFrame(
        {
            "annee": [2024] * 5,
            "code_qpv": ["QP059040", None, None, None, "QP059040"],
            "type_mutation": ["interne", "inter-bailleurs", None, None, None],
            "relogement_ru": [False, False, True, True, True],
        }
    )
    out = mutations_rehousing(attributions).set_index("en_qpv")
    # Out of QPV: 3 attributions, 1 mutation between landlords, 2 rehousings of 3 in the year.
    assert out.loc[False, "nb_attributions"] == 3
    assert out.loc[False, "part_mutations"] == pytest.approx(1 / 3)
    assert out.loc[False, "part_relogements_ru_annee"] == pytest.approx(2 / 3)
    assert out.loc[True, "nb_mutations_internes"] == 1


def test_aggregate_and_compare():
    deps = pd.DataFrame(
        {
            "annee": [2022, 2022, 2022],
            "code_departement": ["59", "62", "75"],
            "nom_departement": ["Nord", "Pas-de-Calais", "Paris"],
            "code_region": ["32", "32", "11"],
            "nom_region": ["HAUTS-DE-FRANCE", "HAUTS-DE-FRANCE", "ILE-DE-FRANCE"],
            "nb_lls": [300, 100, 600],
            "loyer_moyen_m2": [6.0, 5.0, 8.0],
        }
    )
    region = aggregate_departements(deps).set_index("code_region")
    # Hauts-de-France: 400 dwellings; rent (300×6 + 100×5) / 400 = 5.75.
    assert region.loc["32", "nb_lls"] == 400 and region.loc["32", "loyer_moyen_m2"] == 5.75
    epci = pd.DataFrame({"annee": [2022], "indicateur": ["loyer_moyen_m2"], "valeur": [5.2]})
    out = compare_with_references(epci, deps, code_departement="59", nom_epci="CA X")
    # France: (1800 + 500 + 4800) / 1000 = 7.1.
    assert out["niveau"].tolist() == ["EPCI", "département", "région", "France"]
    assert out["valeur"].tolist() == pytest.approx([5.2, 6.0, 5.75, 7.1])
    with pytest.raises(SchemaError, match="absent"):
        compare_with_references(epci, deps, code_departement="2A")
