"""Scenarios under real constraints: dwelling size, priority households, derived columns recomputed."""

import pandas as pd

from peuplement.lec import classify, rooms_needed, simulate

Q1, Q2, Q3 = 8772.0, 12771.0, 18000.0


def classified(rows):
    """rows: (persons, rooms, resources, priority, en_qpv)."""
    f = pd.DataFrame(rows, columns=["p", "rooms", "res", "prio", "qpv"])
    n = len(f)
    data = pd.DataFrame(
        {
            "id_attribution": [f"T{i}" for i in range(n)],
            "id_demande": [f"D{i}" for i in range(n)],
            "code_insee": "59574",
            "code_qpv": pd.array([("QN05940M" if q else None) for q in f["qpv"]], dtype="string"),
            "bailleur": "B",
            "reservataire": "Bailleur",
            "ressources_annuelles": f["res"].astype(float),
            "nb_personnes": f["p"],
            "nb_moins_14": 0,
            "nb_pieces": f["rooms"],
            "bail_signe": True,
            "relogement_ru": False,
            "public_prioritaire": f["prio"],
        }
    )
    return classify(data, q1=Q1, q2=Q2, q3=Q3)


def pool(rows):
    """rows: (id, persons, resources, priority)."""
    f = pd.DataFrame(
        rows, columns=["id_demande", "nb_personnes", "ressources_annuelles", "public_prioritaire"]
    )
    return f.assign(nb_moins_14=0, ressources_annuelles=f["ressources_annuelles"].astype(float))


def test_rooms_needed_rule():
    # max(1, n − 1): 1 person T1, 2 persons T1, 4 persons T3, 6 persons T5.
    assert rooms_needed(pd.Series([1, 2, 4, 6])).tolist() == [1, 1, 3, 5]


def test_replacements_fit_the_dwelling_and_keep_priority():
    # Two non-Q1 households outside QPV: a single person in a T1 (not priority), six persons
    # in a T5 (priority). Policy: 100 % Q1 outside QPV -> both replaced.
    c = classified([(1, 1, 15000, False, False), (6, 5, 40000, True, False)])
    # Q1 applicants: six persons not priority (fits no T1: needs 5 rooms), one person not
    # priority, six persons priority, one person priority.
    # T1 (±1 room: 1 to 3 persons) -> the single non-priority applicant P2;
    # T5 (4 to 6 rooms: 5 to 7 persons) -> the six-person priority applicant P3.
    demand = pool(
        [
            ("P1", 6, 3000, False),
            ("P2", 1, 3000, False),
            ("P3", 6, 9000, True),
            ("P4", 1, 3000, True),
        ]
    )
    sim, stats = simulate(c, demand, q1=Q1, q2=Q2, q3=Q3, part_q1_hors_qpv=1.0)
    assert sim["id_demande"].tolist() == ["P2", "P3"]
    assert stats["reattribuees"] == 2 and stats["manque_demandeurs_q1"] == 0
    assert stats["prioritaires_avant"] == stats["prioritaires_apres"] == 1
    # Derived columns recomputed: P3 has 6 persons, 1 + 5 × 0.5 = 3.5 UC, RUC 9,000 / 3.5 = 2,571.4.
    assert sim["uc"].tolist() == [1.0, 3.5] and sim["quartile"].tolist() == [1, 1]
    assert sim["q1"].tolist() == [True, True]
    assert "±1 pièce" in str(stats["contraintes"]) and "nb_pieces" in str(stats["contraintes"])


def test_no_fitting_applicant_says_so():
    c = classified([(1, 1, 15000, False, False)])
    sim, stats = simulate(c, pool([("P1", 6, 3000, False)]), q1=Q1, part_q1_hors_qpv=1.0)
    # The only Q1 applicant has six persons: a T1 cannot take them.
    assert stats["reattribuees"] == 0 and stats["manque_demandeurs_q1"] == 1
    assert "1 remplacement(s) impossible(s)" in str(stats["contraintes"])
    assert sim["quartile"].tolist() == [
        2
    ]  # 15,000 > Q1, recomputed without Q2: quartile 2 (above Q1)


def test_swaps_only_between_compatible_dwellings():
    # In QPV: a Q1 single person in a T1. Outside: a non-Q1 household of six in a T5 (no swap
    # possible) and a non-Q1 single person in a T2 (swap possible).
    c = classified(
        [(1, 1, 5000, False, True), (6, 5, 40000, False, False), (1, 2, 15000, False, False)]
    )
    sim, stats = simulate(c, pool([]), q1=Q1, deplacer_q1_vers_hors_qpv=2)
    assert stats["echanges"] == 1 and "échanges limités à 1 sur 2" in str(stats["contraintes"])
    assert sim["id_demande"].tolist() == ["D2", "D1", "D0"]
    assert sim["q1"].tolist() == [False, False, True]  # the Q1 household now outside QPV
