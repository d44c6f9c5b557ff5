"""LEC objectives over several years, each judged with its own year's threshold."""

import pandas as pd

from peuplement.lec import lec_by_year, read_official

SIREN = "245901152"  # CA Cœur d'Ostrevent: Q1 = 8 353 € (2024), 8 484 € (2025), 8 772 € (2026)


def attributions(annee, ruc_values):
    n = len(ruc_values)
    return pd.DataFrame(
        {
            "id_attribution": [f"{annee}-{i}" for i in range(n)],
            "annee": annee,
            "code_insee": "59574",
            "code_qpv": pd.array([None] * n, dtype="string"),
            "bailleur": "SIA Habitat",
            "reservataire": "Bailleur",
            "ressources_annuelles": [float(r) for r in ruc_values],
            "nb_personnes": 1,
            "nb_moins_14": 0,
            "bail_signe": True,
            "relogement_ru": False,
            "public_prioritaire": False,
            "mutation": False,
        }
    )


def test_each_year_is_judged_with_its_own_threshold(shared_data):
    # The same 12 single-person households each year, all outside QPV: 2 at 5 000 €,
    # 1 at 8 400 €, 9 at 20 000 €. 8 400 > 8 353 (2024): not Q1, so A = 2/12 = 16.7 %,
    # "non atteint", ceil(0.25 × 12 − 2) = 1 missing. 8 400 ≤ 8 484 (2025) and ≤ 8 772
    # (2026): Q1, so A = 3/12 = 25 %, "atteint".
    rucs = [5000] * 2 + [8400] + [20000] * 9
    data = pd.concat([attributions(y, rucs) for y in (2024, 2025, 2026)], ignore_index=True)
    table = lec_by_year(data, siren=SIREN, official=read_official(shared_data), secret=False)
    a = table[table["objectif"] == "A"].set_index("annee")
    assert a["seuil_q1"].tolist() == [8353, 8484, 8772]
    assert a["numerateur"].tolist() == [2, 3, 3] and a["denominateur"].tolist() == [12] * 3
    assert a["statut"].tolist() == ["non atteint", "atteint", "atteint"]
    assert a.loc[2024, "attributions_manquantes"] == 1
    assert (table["niveau"] == "epci").all() and len(table) == 3 * table["objectif"].nunique()


def test_rows_a_year_cannot_classify_are_counted_beside_it(shared_data):
    # A 2015 code (QP059040) in 2025, when the 2024 generation is in force (décret
    # 2023-1314): the row is rejected, and the year's table says 1 row was left out.
    data = attributions(2025, [5000, 20000])
    data.loc[0, "code_qpv"] = "QP059040"
    table = lec_by_year(data, siren=SIREN, official=read_official(shared_data), secret=False)
    a = table[table["objectif"] == "A"].iloc[0]
    assert (a["denominateur"], a["nb_lignes_rejetees"]) == (1, 1)
