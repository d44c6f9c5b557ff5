"""Réservataire targets, the CIA's commitments, communes without a legal target, mutations."""

import pandas as pd
import pytest

from peuplement.io import load_engagements
from peuplement.lec import (
    CIA_SOURCE,
    RESERVATAIRE_RULES,
    LecStatus,
    classify,
    commitments_vs_achieved,
    lec_indicators,
    reservataire_kind,
)

Q1 = 8772.0
SIREN = "245901152"


def attributions(rows):
    """rows: (bailleur, reservataire, ruc, en_qpv, prioritaire, mutation, commune)."""
    f = pd.DataFrame(
        rows, columns=["bailleur", "reservataire", "ruc", "en_qpv", "prio", "mutation", "commune"]
    )
    n = len(f)
    return pd.DataFrame(
        {
            "id_attribution": [f"T{i}" for i in range(n)],
            "annee": 2026,
            "code_insee": f["commune"],
            "code_qpv": pd.array(
                [("QN05940M" if q else None) for q in f["en_qpv"]], dtype="string"
            ),
            "bailleur": f["bailleur"],
            "reservataire": f["reservataire"],
            "ressources_annuelles": f["ruc"].astype(float),
            "nb_personnes": 1,
            "nb_moins_14": 0,
            "bail_signe": True,
            "relogement_ru": False,
            "public_prioritaire": f["prio"],
            "mutation": f["mutation"],
        }
    )


def run(rows, **kwargs):
    c = classify(attributions(rows), q1=Q1)
    return lec_indicators(c, annee=2026, siren=SIREN, secret=False, **kwargs)


def row(t, niveau, unite, objectif):
    return t[(t["niveau"] == niveau) & (t["unite"] == unite) & (t["objectif"] == objectif)].iloc[0]


def test_kinds_of_reservataires():
    labels = pd.Series(
        [
            "Préfecture",
            "Etat - fonctionnaires",
            "Action Logement Services",
            "Commune de Somain",
            "SIA (non réservé)",
            "CAF",
        ]
    )
    assert reservataire_kind(labels).tolist() == [
        "etat", "etat_fonctionnaires", "action_logement", "collectivite", "bailleur", "autre",
    ]  # fmt: skip
    assert RESERVATAIRE_RULES.loc["etat", "cible_prioritaires"] == 1.0
    assert pd.isna(RESERVATAIRE_RULES.loc["etat_fonctionnaires", "cible_prioritaires"])


def test_etat_contingent_is_judged_against_every_attribution():
    # Préfecture: 1 priority household in 4. Under a 25 % target that was "atteint";
    # the contingent is for priority households (R.441-5): target 100 %, 3 missing.
    # Civil servants' part: no priority target. Collectivité: 1/4 = 25 % -> met.
    rows = [
        ("B", "Préfecture", 15000, False, p, False, "59574") for p in (True, False, False, False)
    ]
    rows += [("B", "Etat - fonctionnaires", 15000, False, False, False, "59574")] * 3
    rows += [
        ("B", "Commune de Somain", 15000, False, p, False, "59574")
        for p in (True, False, False, False)
    ]
    t = run(rows)
    etat = row(t, "reservataire", "Préfecture", "prioritaires")
    assert (etat["taux"], etat["cible"], etat["statut"]) == (0.25, 1.0, "non atteint")
    assert etat["attributions_manquantes"] == 3  # ceil(1.0 × 4 − 1)
    assert "R.441-5" in etat["source_cible"]
    fonct = row(t, "reservataire", "Etat - fonctionnaires", "prioritaires")
    assert fonct["statut"] == LecStatus.SANS_OBJECTIF and pd.isna(fonct["cible"])
    assert row(t, "reservataire", "Commune de Somain", "prioritaires")["statut"] == "atteint"
    # Landlord × réservataire rows take the réservataire's target.
    assert row(t, "bailleur_reservataire", "B × Préfecture", "prioritaires")["cible"] == 1.0
    # No legal target at EPCI level for priority households, none at all for communes.
    assert row(t, "epci", SIREN, "prioritaires")["statut"] == "sans objectif légal"
    communes = t[t["niveau"] == "commune"]
    assert (communes["statut"] == "sans objectif légal").all() and communes["taux"].notna().all()


def test_objective_a_target_is_a_parameter():
    # 8 outside QPV, 2 in Q1: 25 % -> met at 25 %, missed at 30 % by ceil(0.3 × 8 − 2) = 1.
    rows = [("B", "Bailleur", r, False, False, False, "59574") for r in [5000] * 2 + [15000] * 6]
    assert row(run(rows), "epci", SIREN, "A")["statut"] == "atteint"
    a30 = row(run(rows, cible_a=0.30), "epci", SIREN, "A")
    assert (a30["cible"], a30["statut"], a30["attributions_manquantes"]) == (0.30, "non atteint", 1)


def test_cia_commitments_per_landlord(tmp_path):
    # SIA Habitat: 10 outside QPV, 2 Q1 (20 %). Norevie: 10 outside QPV, 4 Q1 (40 %),
    # 2 priority households on Action Logement's 5.
    rows = [
        ("SIA Habitat", "Bailleur", r, False, False, False, "59574")
        for r in [5000] * 2 + [15000] * 8
    ]
    rows += [("Norevie", "Action Logement", r, False, p, False, "59574")
             for r, p in zip([5000] * 4 + [15000] * 6, [True, True] + [False] * 8, strict=True)]  # fmt: skip
    path = tmp_path / "engagements.csv"
    path.write_text(
        "annee;bailleur;reservataire;objectif;cible;nombre\n"
        "2026;SIA Habitat;;A;30;\n"  # 30 % (a percentage, read as 0.30)
        "2026;Norevie;;A;0,35;\n"
        "2026;Norevie;Action Logement;prioritaires;;3\n"  # a count: 3 priority households
        "2025;Norevie;;A;0,90;\n"  # another year: ignored
        "2026;Norevie;;Z;0,5;\n"  # unknown objective: rejected
    )
    eng, report = load_engagements(path)
    assert len(eng) == 4 and report.rejections["motif"].str.startswith("objectif inconnu").all()
    t = run(rows, engagements=eng)
    sia = row(t, "bailleur", "SIA Habitat", "A")
    # 2/10 = 20 % against 30 %: −10 points, ceil(0.30 × 10 − 2) = 1 attribution needed.
    assert (sia["cible"], sia["statut"], sia["attributions_manquantes"]) == (0.30, "non atteint", 1)
    assert sia["ecart_points"] == pytest.approx(-10) and sia["source_cible"] == CIA_SOURCE
    nor = row(t, "bailleur", "Norevie", "A")
    assert (nor["taux"], nor["statut"]) == (0.40, "atteint")  # 4/10 ≥ 35 %
    count = row(t, "bailleur_reservataire", "Norevie × Action Logement", "prioritaires")
    assert (count["numerateur"], count["cible_nombre"], count["attributions_manquantes"]) == (
        2,
        3,
        1,
    )
    assert count["statut"] == "non atteint"
    table = commitments_vs_achieved(t).set_index(["unite", "objectif"])
    assert len(table) == 3
    assert table.loc[("SIA Habitat", "A"), "realise"] == 0.2
    assert table.loc[("Norevie × Action Logement", "prioritaires"), "ecart"] == -1  # 2 − 3
    assert (
        table.loc[("Norevie × Action Logement", "prioritaires"), "engagement"] == "3 attribution(s)"
    )


def test_mutations_counted_apart_and_stated():
    # 10 outside QPV: 3 Q1, of which 1 is an internal transfer (mutation); 7 not Q1.
    rows = [("B", "Bailleur", 5000, False, False, m, "59574") for m in (True, False, False)]
    rows += [("B", "Bailleur", 15000, False, False, False, "59574")] * 7
    inc = row(run(rows), "epci", SIREN, "A")
    exc = row(run(rows, mutations="exclure"), "epci", SIREN, "A")
    assert (inc["numerateur"], inc["denominateur"], inc["mutations"]) == (3, 10, "incluses")
    # Without the transfer: 2 / 9.
    assert (exc["numerateur"], exc["denominateur"], exc["mutations"]) == (2, 9, "exclues")
    assert (run(rows)["mutations"] == "incluses").all()


def test_more_kinds_of_reservataires():
    # A commune's own staff stay the commune's (collectivité, 25 %); the State's civil and
    # military servants' part (R.441-5) has no priority target; CIL and Astria are Action
    # Logement's former names (L.313-26-2).
    labels = pd.Series(
        ["Commune de Somain - agents", "Ministère des Armées", "Préfecture - agents de l'État",
         "CIL", "Astria", "1 % logement"]
    )  # fmt: skip
    assert reservataire_kind(labels).tolist() == [
        "collectivite", "etat_fonctionnaires", "etat_fonctionnaires",
        "action_logement", "action_logement", "action_logement",
    ]  # fmt: skip


def test_landlord_own_stock_has_its_target_since_2017():
    # 2018: the landlord's non-reserved stock, 8 signed leases, 1 priority household.
    # CCH L.441-1 as amended by loi 2017-86: 25 % → 1/8 = 12.5 % "non atteint",
    # ceil(0.25 × 8 − 1) = 1 attribution missing.
    rows = [("B", "SIA (non réservé)", 15000, False, i == 0, False, "59574") for i in range(8)]
    data = attributions(rows).assign(annee=2018)
    t = lec_indicators(classify(data, q1=Q1), annee=2018, siren=SIREN, secret=False)
    r = row(t, "reservataire", "SIA (non réservé)", "prioritaires")
    assert (r["cible"], r["statut"], r["attributions_manquantes"]) == (0.25, "non atteint", 1)


def test_cia_cannot_lower_the_legal_priority_minimum(tmp_path):
    # Ville de Somain: 8 signed leases, 1 priority household (12.5 %). The CIA commits
    # 10 %, under the legal 25 % (L.441-1): the legal minimum is judged, ceil(0.25 × 8 − 1) = 1.
    rows = [("B", "Ville de Somain", 15000, False, i == 0, False, "59574") for i in range(8)]
    path = tmp_path / "engagements.csv"
    path.write_text(
        "annee;bailleur;reservataire;objectif;cible;nombre\n2026;;Ville de Somain;prioritaires;0,10;\n"
    )
    eng, _ = load_engagements(path)
    r = row(run(rows, engagements=eng), "reservataire", "Ville de Somain", "prioritaires")
    assert (r["cible"], r["statut"], r["attributions_manquantes"]) == (0.25, "non atteint", 1)
    assert "minimum légal retenu" in r["source_cible"] and "10,0" in r["source_cible"]
