"""Statistical secrecy: the primary rule, the audit, the relations between published tables."""

import itertools

import numpy as np
import pandas as pd
import pytest

from peuplement import SchemaError
from peuplement.lec import lec_indicators, quartile_distribution
from peuplement.secrecy import (
    DISABLED,
    SECRET,
    Count,
    Model,
    SecrecyError,
    audit,
    check,
    lec_model,
    mark_internal,
    protect,
    protect_lec,
    public_rejections,
    secrecy_sentence,
)

ALL_LEVELS = ("epci", "commune", "bailleur", "reservataire", "bailleur_reservataire")


def block(k, *, commune="59001", bailleur="X", reservataire="Etat", epci="E1", qpv=(False, True)):
    """k households in each (in QPV, Q1, priority) combination: every part ≥ 11 when k ≥ 6.

    With k = 6: 12 per (location, Q1), 24 per location, priority 24 / 24.
    """
    rows = [
        {
            "siren_epci": epci,
            "code_insee": commune,
            "bailleur": bailleur,
            "reservataire": reservataire,
            "en_qpv": q,
            "q1": one,
            "quartile": 1 if one else 3,
            "public_prioritaire": p,
            "relogement_ru": False,
            "bail_signe": True,
            "annee": 2026,
        }
        for q, one, p in itertools.product(qpv, (False, True), (False, True))
    ]
    return pd.DataFrame(rows * k)


def lec(classified, levels, siren="E1"):
    return lec_indicators(classified, annee=2026, siren=siren, levels=levels, secret=False)


def leaks_of(tables, classified, *, siren="E1", secondary):
    """Protect ``tables`` together (with or without secondary suppression) and audit them."""
    out = protect_lec(tables, classified, siren=siren, secondary=secondary)
    return out, audit(out, lec_model(classified, tables, siren=siren))


def row(table, niveau, unite, objectif):
    return table[
        (table["niveau"] == niveau) & (table["unite"] == unite) & (table["objectif"] == objectif)
    ].iloc[0]


# ---------------------------------------------------------------- a generic table


def small_model():
    households = pd.DataFrame({"commune": ["a"] * 3 + ["b"] * 30 + ["c"] * 20})
    table = households.groupby("commune").size().rename("nb").reset_index()
    count = Count("t", {"commune": "commune"}, column="nb", total=True)
    return table, Model(households, units=("commune",), counts=(count,), totals={"t": ()})


def test_lone_cell_recovered_from_the_total_then_protected():
    table, model = small_model()
    primary = protect({"t": table}, model, secondary=False)["t"]
    # a (3 households) is masked alone; the total 53 is known: a = 53 − 30 − 20 = 3.
    (leak,) = audit({"t": primary}, model)
    assert (leak.low, leak.high) == (3, 3) and "commune a" in leak.label
    out = protect({"t": table}, model)["t"]
    # c (20), the smallest published cell, goes with it: a ∈ [0, 23], width 23 ≥ 11.
    assert out["nb"].isna().tolist() == [True, False, True]
    assert out["secret"].tolist() == [SECRET, "", SECRET]
    assert audit({"t": out}, model) == []
    with pytest.raises(SecrecyError, match="commune a"):
        check({"t": primary}, model)


def test_audit_refuses_a_published_small_count():
    table, model = small_model()
    (leak,) = audit({"t": table}, model)
    assert "moins de 11" in leak.reason and "commune a" in leak.label


def test_threshold_and_off():
    table, model = small_model()
    # Threshold 4: a (3) is primary; then the smallest other, c (20), goes with it.
    out = protect({"t": table}, model, threshold=4)["t"]
    assert out["nb"].isna().tolist() == [True, False, True]
    # Threshold 2: nothing is under it.
    assert protect({"t": table}, model, threshold=2)["t"]["nb"].notna().all()
    off = protect({"t": table}, model, enabled=False)["t"]
    assert (off["secret"] == DISABLED).all() and off["nb"].tolist() == [3, 30, 20]


def test_missing_column():
    table, model = small_model()
    with pytest.raises(
        SchemaError, match=r"secret : la table « t » n'a pas la colonne `nb` ; colonnes trouvées"
    ):
        protect({"t": table.rename(columns={"nb": "x"})}, model)


def test_model_and_table_must_agree():
    table, model = small_model()
    wrong = table.assign(nb=[3, 31, 20])
    with pytest.raises(SecrecyError, match="divergent"):
        protect({"t": wrong}, model)


# ---------------------------------------------------------------- zeros


def test_zero_total_published_zero_part_masked():
    # 24 households, all outside QPV (k = 6, only out-QPV combinations): 12 Q1, 12 not.
    c = block(6, qpv=(False,))
    t = lec_indicators(c, annee=2026, siren="E1", levels=("epci",))
    b = row(t, "epci", "E1", "B")
    # No attribution in QPV: the zero denominator is published (it reveals no household)…
    assert b["denominateur"] == 0 and b["statut"] == "sans attribution" and b["secret"] == ""
    # …while "0 Q1 rehoused of 24" style zeros in a positive total are masked: A's
    # numerator 12 and complement 12 are ≥ 11: published.
    a = row(t, "epci", "E1", "A")
    assert (a["numerateur"], a["denominateur"]) == (12, 24)
    # Now make every out-QPV household Q1: 24 of 24, complement 0 → masked.
    all_q1 = c.assign(q1=True, quartile=1)
    a = row(lec_indicators(all_q1, annee=2026, siren="E1", levels=("epci",)), "epci", "E1", "A")
    assert np.isnan(a["numerateur"]) and a["statut"] == "effectif insuffisant"
    assert a["denominateur"] == 24  # the total is not small: still published


def test_zero_numerator_masked():
    # Nobody is a priority household: 0 of 24 reveals it for all 24.
    c = block(6, qpv=(False,)).assign(public_prioritaire=False)
    p = row(
        lec_indicators(c, annee=2026, siren="E1", levels=("epci",)), "epci", "E1", "prioritaires"
    )
    assert np.isnan(p["numerateur"]) and np.isnan(p["taux"]) and p["denominateur"] == 24


# ---------------------------------------------------------------- the 8 relations


def test_relation_epci_communes():
    c = pd.concat([block(6, commune="59001"), block(1, commune="59002")], ignore_index=True)
    tables = {"lec": lec(c, ("epci", "commune"))}
    _, leaks = leaks_of(tables, c, secondary=False)
    # Commune 59002 (8 households) is masked, 59001 and the EPCI are published: 59002 = E1 − 59001.
    assert any("59002" in leak.label for leak in leaks)
    out, leaks = leaks_of(tables, c, secondary=True)
    assert leaks == [] and np.isnan(
        row(out["lec"], "commune", "59001", "prioritaires")["denominateur"]
    )


def test_relation_epci_landlords():
    c = pd.concat([block(6, bailleur="X"), block(1, bailleur="Y")], ignore_index=True)
    tables = {"lec": lec(c, ("epci", "bailleur"))}
    assert any(
        "bailleur Y" in leak.label or "Y" in leak.label
        for leak in leaks_of(tables, c, secondary=False)[1]
    )
    assert leaks_of(tables, c, secondary=True)[1] == []


def test_relation_landlord_landlord_by_reservataire():
    c = pd.concat([block(6, reservataire="R1"), block(1, reservataire="R2")], ignore_index=True)
    tables = {"lec": lec(c, ("bailleur", "bailleur_reservataire"))}
    leaks = leaks_of(tables, c, secondary=False)[1]
    assert any("X × R2" in leak.label for leak in leaks)
    assert leaks_of(tables, c, secondary=True)[1] == []


def test_relation_epci_reservataires():
    c = pd.concat([block(6, reservataire="R1"), block(1, reservataire="R2")], ignore_index=True)
    tables = {"lec": lec(c, ("epci", "reservataire"))}
    assert any("R2" in leak.label for leak in leaks_of(tables, c, secondary=False)[1])
    assert leaks_of(tables, c, secondary=True)[1] == []


def test_relation_prioritaires_is_a_plus_b():
    # 24 in QPV (12 Q1, 12 not; 12 priority); 3 outside QPV: d_A = 3 is masked, but
    # d_prioritaires = 27 and d_B = 24 are published: d_A = 27 − 24.
    inside = block(6, qpv=(True,))
    outside = block(1, qpv=(False,)).iloc[:3]
    c = pd.concat([inside, outside], ignore_index=True)
    tables = {"lec": lec(c, ("epci",))}
    out, leaks = leaks_of(tables, c, secondary=False)
    assert np.isnan(row(out["lec"], "epci", "E1", "A")["denominateur"])
    assert any(
        leak.label == "denominateur (unite E1, niveau epci, objectif A)" and leak.high == 3
        for leak in leaks
    )
    out, leaks = leaks_of(tables, c, secondary=True)
    assert leaks == []
    # The smallest of d_B (24) and d_prioritaires (27) goes: d_B.
    assert np.isnan(row(out["lec"], "epci", "E1", "B")["denominateur"])


def test_relation_a_minus_a_without_rehousing():
    # Outside QPV: 12 Q1, 3 rehoused non-Q1, 12 others. A = 15 / 27, A sans relogement
    # = 12 / 27: all published parts ≥ 11, but their difference is 3 rehoused households.
    out_qpv = block(6, qpv=(False,))
    rehoused = out_qpv[~out_qpv["q1"]].iloc[:3].assign(relogement_ru=True)
    c = pd.concat([out_qpv, rehoused, block(6, qpv=(True,))], ignore_index=True)
    tables = {"lec": lec(c, ("epci",))}
    out, leaks = leaks_of(tables, c, secondary=False)
    assert row(out["lec"], "epci", "E1", "A")["numerateur"] == 15
    assert row(out["lec"], "epci", "E1", "A_hors_relogement")["numerateur"] == 12
    assert any("relogés" in leak.label for leak in leaks)
    out, leaks = leaks_of(tables, c, secondary=True)
    assert leaks == []
    assert np.isnan(row(out["lec"], "epci", "E1", "A_hors_relogement")["numerateur"])


def test_no_rehousing_of_a_positive_total_is_a_zero_part():
    # Outside QPV: 12 Q1 and 12 others, nobody rehoused. A = 12 / 24 and A sans relogement
    # = 12 / 24: every printed count is ≥ 11, but together they say "0 rehoused of 24",
    # of every household (group disclosure, as "0 priority of 24" for a numerator).
    c = pd.concat([block(6, qpv=(False,)), block(6, qpv=(True,))], ignore_index=True)
    tables = {"lec": lec(c, ("epci",))}
    out, leaks = leaks_of(tables, c, secondary=False)
    assert row(out["lec"], "epci", "E1", "A")["numerateur"] == 12
    assert row(out["lec"], "epci", "E1", "A_hors_relogement")["numerateur"] == 12
    assert [leak.label for leak in leaks] == [
        "A − A sans relogement : ménages relogés (unite E1, niveau epci, objectif "
        "A_hors_relogement) (non publiée, déduite des autres)"
    ]
    out, leaks = leaks_of(tables, c, secondary=True)
    assert leaks == []
    published = [row(out["lec"], "epci", "E1", o)["numerateur"] for o in ("A", "A_hors_relogement")]
    assert sum(np.isnan(published)) == 1  # one of the two goes, the other stays (12)


def test_relation_b_row_and_quartile_table():
    # In QPV: Q1 12, Q2 5, Q3 30, Q4 30. Protected alone, the quartile table masks Q2 (5)
    # and Q1 (12, the smallest partner): Q1 + Q2 = 17. The LEC B row publishes
    # n_B = 65 and d_B = 77 (complement 12): Q1 = d_B − n_B = 12, so Q2 = 5.
    q = []
    for quartile, n in ((1, 12), (2, 5), (3, 30), (4, 30)):
        q += [{"quartile": quartile, "q1": quartile == 1, "en_qpv": True}] * n
    q += [{"quartile": quartile, "q1": quartile == 1, "en_qpv": False} for quartile in (1, 3)] * 15
    base = block(1).iloc[:1].drop(columns=["quartile", "q1", "en_qpv"])
    c = pd.DataFrame(q).assign(**base.iloc[0].to_dict())
    c["public_prioritaire"] = np.arange(len(c)) % 2 == 0
    lec_t = lec(c, ("epci",))
    quart = quartile_distribution(c, secret=False)
    alone = {
        "lec": protect_lec({"lec": lec_t}, c, siren="E1")["lec"],
        "quartiles": protect_lec({"quartiles": quart}, c, siren="E1")["quartiles"],
    }
    assert row(alone["lec"], "epci", "E1", "B")["numerateur"] == 65
    model = lec_model(c, {"lec": lec_t, "quartiles": quart}, siren="E1")
    leaks = audit(alone, model)
    assert any("quartile Q2" in leak.label for leak in leaks)
    together = protect_lec({"lec": lec_t, "quartiles": quart}, c, siren="E1")
    assert audit(together, model) == []


def test_relation_national_per_epci_groups():
    # Two small EPCIs of one national table, each with a big and a small commune: the
    # small commune of each is recovered from its own EPCI's total unless each EPCI
    # masks a partner of its own.
    c = pd.concat(
        [
            block(6, epci="E1", commune="01001"),
            block(1, epci="E1", commune="01002"),
            block(6, epci="E2", commune="02001"),
            block(1, epci="E2", commune="02002"),
        ],
        ignore_index=True,
    )
    tables = {"lec": lec(c, ("epci", "commune"), siren=None)}
    leaks = leaks_of(tables, c, siren=None, secondary=False)[1]
    assert any("01002" in leak.label for leak in leaks) and any(
        "02002" in leak.label for leak in leaks
    )
    out, leaks = leaks_of(tables, c, siren=None, secondary=True)
    assert leaks == []
    for big in ("01001", "02001"):
        assert np.isnan(row(out["lec"], "commune", big, "prioritaires")["denominateur"])


def test_commands_protect_on_the_default_path():
    # lec_indicators alone is protected and audited (notebooks call it directly).
    c = pd.concat([block(6, commune="59001"), block(1, commune="59002")], ignore_index=True)
    t = lec_indicators(c, annee=2026, siren="E1", levels=ALL_LEVELS)
    model = lec_model(c, {"lec": t}, siren="E1")
    assert audit({"lec": t}, model) == []
    assert set(t["secret"]) <= {"", SECRET}


# ---------------------------------------------------------------- outputs


def test_sentences_and_marks():
    assert "appliqué (seuil : 11 ménages)" in secrecy_sentence(secret=True)
    off = secrecy_sentence(secret=False)
    assert "DÉSACTIVÉ" in off and "USAGE INTERNE" in off and "aucun chiffre" not in off
    assert mark_internal("lec_2026.csv", secret=False) == "lec_2026_usage_interne.csv"
    assert mark_internal("lec_2026.csv", secret=True) == "lec_2026.csv"


def test_public_rejections_hide_households():
    r = pd.DataFrame(
        {
            "fichier": ["a.csv"] * 3,
            "ligne": [2, 3, 4],
            "colonne": ["id_attribution", "premier_quartile", "nb_personnes"],
            "valeur": ["ATT-000000", "True (RUC 12000)", "0"],
            "motif": ["duplicated identifier", "flag contradicts RUC", "a household has a person"],
        }
    )
    out = public_rejections(r)
    assert out["valeur"].tolist() == ["(identifiant masqué)", "True", "0"]
    assert (out["diffusion"] == "usage interne").all()
    assert out["ligne"].tolist() == [2, 3, 4]
