"""Resources, children and the household calculator: the definitions of the yearly arrêtés."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peuplement import SchemaError
from peuplement.cli import app
from peuplement.io import load_attributions, read_sne_xml
from peuplement.lec import (
    Thresholds,
    classify,
    household_quartile,
    read_official,
    thresholds,
    units_of_consumption,
)
from peuplement.validation import LoadReport

Q1, Q2, Q3 = 8772.0, 12771.0, 18000.0  # Cœur d'Ostrevent, arrêté 2026
T = Thresholds(q1=Q1, q2=Q2, q3=Q3, source="arrêté 2026")


def couple_two_children(resources, children):
    return pd.DataFrame(
        {
            "id_attribution": [f"T{i}" for i in range(len(resources))],
            "annee": 2026,
            "code_insee": "59574",
            "bailleur": "B",
            "reservataire": "Bailleur",
            "ressources_annuelles": [float(r) for r in resources],
            "nb_personnes": 4,
            "nb_moins_14": pd.array(children, dtype="Int64"),
            "bail_signe": True,
            "relogement_ru": False,
            "public_prioritaire": False,
        }
    )


def test_unknown_children_classified_only_when_not_decisive():
    # 4 persons: with 0 children UC = 1 + 3 × 0.5 = 2.5; with 3 (the most) UC = 1 + 3 × 0.3 = 1.9.
    # RUC grows with children, so both ends decide:
    #   15,000 €: 6,000 and 7,894.7, both ≤ Q1            -> Q1 whatever the count: kept
    #   23,000 €: 9,200 and 12,105.3, both in (Q1, Q2]    -> Q2: kept
    #   20,000 €: 8,000 ≤ Q1 but 10,526.3 > Q1            -> decisive: rejected
    #   20,000 € with 2 children known: UC 2.1, RUC 9,523.8 -> Q2
    data = couple_two_children([15000, 23000, 20000, 20000], [None, None, None, 2])
    report = LoadReport("a.csv")
    c = classify(data, q1=Q1, q2=Q2, q3=Q3, report=report)
    assert c["id_attribution"].tolist() == ["T0", "T1", "T3"]
    assert c["quartile"].tolist() == [1, 2, 2]
    assert (c["q1"] == (c["quartile"] == 1)).all()  # quartile and q1 always agree
    assert c["nb_moins_14_inconnu"].tolist() == [True, True, False]
    assert c["uc"].iloc[2] == pytest.approx(2.1) and c["ruc"].iloc[2] == pytest.approx(20000 / 2.1)
    (row,) = report.rejections.itertuples()
    assert row.ligne == 3 and row.valeur == "inconnu : Q1 à Q2 selon le nombre"
    assert row.motif.startswith("nombre d'enfants de moins de 14 ans inconnu et décisif")


def test_missing_children_are_not_read_as_zero(tmp_path):
    # The case: a couple with two young children has 2.1 UC, not 2.5.
    assert units_of_consumption([4], [2])[0] == pytest.approx(2.1)
    path = tmp_path / "a.csv"
    path.write_text(
        "id_attribution;annee;code_insee;nb_personnes;nb_moins_14;ressources_mensuelles\n"
        "A1;2026;59574;4;;1500\n"
    )
    data, report = load_attributions(path)
    assert data["nb_moins_14"].isna().all()
    assert any("nb_moins_14 vide sur 1 ligne(s)" in n for n in report.notes)


def test_montant_moins1_is_the_fiscal_income_not_resources(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "id_attribution;annee;code_insee;nb_personnes;nb_moins_14;ressources_mensuelles;montantMoins1\n"
        "A1;2026;59574;1;0;1000;21000\n"
        "A2;2026;59574;1;0;;21000\n"
    )
    data, report = load_attributions(path)
    # Resources = 12 × 1,000 declared monthly; the RFR of N−1 has its own column.
    assert data["ressources_annuelles"].tolist() == [12000.0]
    assert data["revenu_fiscal_reference"].tolist() == [21000.0]
    (reason,) = report.rejections["motif"]
    assert reason.startswith("ressources non renseignées") and "revenu fiscal" in reason


def test_sne_xml_fictitious_request(shared_data):
    xml = read_sne_xml(shared_data / "sne" / "sne_interface_nuu_v02.00_exemple_fictif.xml")
    row = xml.iloc[0]
    # Applicant's receipts 100+140+100+400+150+400+300+100+100+1500+150+150+130+290 = 4,010;
    # co-holder's 100+140+20+1000+50+600+75+150+200+120+50+100+200+360 = 3,165; no housing benefit.
    assert row["ressources_mensuelles"] == 4010 + 3165
    assert row["revenu_fiscal_reference"] == 21000 and row["annee_revenu_fiscal"] == "2017"
    # Applicant + co-holder + one dependant (Léa, born 2010: 8 in March 2018, under 14).
    assert (row["nb_personnes"], row["nb_moins_14"]) == (3, 1)
    assert row["nb_autres_enfants"] == 3  # two in shared custody, one unborn: left to decide


@pytest.mark.parametrize(("k", "bound"), [(1, Q1), (2, Q2), (3, Q3)])
def test_calculator_at_below_and_above_each_threshold(k, bound):
    # One person, 1 UC: RUC = 12 × monthly. At the threshold, the household is in quartile k
    # ("le niveau de ressources le plus élevé du quartile"); one cent a month above, in k + 1.
    at = household_quartile(bound / 12, 1, 0, seuils=T)
    below = household_quartile(bound / 12 - 1, 1, 0, seuils=T)
    above = household_quartile(bound / 12 + 0.01, 1, 0, seuils=T)
    assert at.ruc == bound and at.quartile == k and below.quartile == k
    assert above.ruc == pytest.approx(bound + 0.12) and above.quartile == k + 1
    assert "le niveau de ressources le plus élevé du quartile" in at.classement_au_seuil


def test_calculator_family_and_bad_households():
    # Couple + 2 children under 14: UC 2.1; 1,535.10 € a month = 18,421.20 € a year = 8,772 € per UC.
    h = household_quartile(1535.10, 4, 2, seuils=T)
    assert (h.uc, h.ruc, h.libelle) == (pytest.approx(2.1), 8772.0, "Q1")
    assert household_quartile(1535.11, 4, 2, seuils=T).libelle == "Q2"
    only_q1 = Thresholds(q1=Q1, q2=None, q3=None, source="calculé")
    assert household_quartile(2000, 1, 0, seuils=only_q1).libelle == "au-dessus de Q1"
    with pytest.raises(SchemaError, match="au moins un membre de 14 ans ou plus"):
        household_quartile(1000, 2, 2, seuils=T)


def test_ile_de_france_regional_threshold(shared_data):
    official = read_official(shared_data)
    paris = thresholds("217500016", 2024, official=official)
    assert paris.regional and "seuil régional Île-de-France" in paris.source
    # An Île-de-France EPCI missing from the table gets the region's single threshold.
    absent = thresholds("999999999", 2024, official=official, departements=["93"])
    assert (absent.q1, absent.regional) == (paris.q1, True)
    assert not thresholds("245901152", 2024, official=official).regional


def test_quartile_command(shared_data):
    result = CliRunner().invoke(
        app,
        ["quartile", "--ressources-mensuelles", "1535.10", "--personnes", "4", "--moins-14", "2",
         "--epci", "245901152", "--annee", "2026", "--data-dir", str(shared_data)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split("\n"))
    assert "2,1" in text and "8\u202f772,00 €" in text and "Q1" in text
    assert "arrêté 2026" in text and "le niveau de ressources le plus élevé du quartile" in text
    bad = CliRunner().invoke(
        app, ["quartile", "--ressources-mensuelles", "10", "--personnes", "1", "--moins-14", "1"]
    )
    assert bad.exit_code == 2 and "14 ans ou plus" in bad.output


@settings(max_examples=200, deadline=None)
@given(
    resources=st.floats(min_value=0, max_value=80_000, allow_nan=False),
    persons=st.integers(min_value=1, max_value=9),
)
def test_unknown_children_rule_property(resources, persons):
    # Kept rows have the quartile every possible count 0 … n−1 gives; rejected rows do not.
    data = couple_two_children([resources], [None]).assign(nb_personnes=persons)
    c = classify(data, q1=Q1, q2=Q2, q3=Q3)
    # The rule, written out: RUC = resources / UC(n, e); quartile = 1 + number of thresholds below RUC.
    possible = {
        1 + sum(resources / units_of_consumption([persons], [e])[0] > q for q in (Q1, Q2, Q3))
        for e in range(persons)
    }
    if len(c):
        assert possible == {int(c["quartile"].iloc[0])} and bool(c["q1"].iloc[0]) == (
            possible == {1}
        )
    else:
        assert len(possible) > 1


def test_quartile_command_requires_the_children_count():
    # Omitted, the count would be 0: 4 persons at 1 600 €/month would weigh 1 + 3 × 0.5 =
    # 2.5 UC (7 680 € per UC, Q1) instead of 1 + 0.5 + 2 × 0.3 = 2.1 UC (9 142.86 €, Q2).
    assert 1600 * 12 / 2.5 < 8772 < 1600 * 12 / 2.1
    result = CliRunner().invoke(
        app, ["quartile", "--ressources-mensuelles", "1600", "--personnes", "4"]
    )
    assert result.exit_code == 2 and "--moins-14" in result.output
