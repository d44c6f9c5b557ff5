"""Properties of secrecy on random attribution sets and the LEC tables published together."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peuplement.lec import lec_indicators, quartile_distribution
from peuplement.secrecy import audit, lec_model, protect_lec

LEVELS = ("epci", "commune", "bailleur", "reservataire", "bailleur_reservataire")

household = st.fixed_dictionaries(
    {
        "code_insee": st.sampled_from(["59001", "59002", "59003"]),
        "bailleur": st.sampled_from(["X", "Y"]),
        "reservataire": st.sampled_from(["Etat", "Action Logement"]),
        "en_qpv": st.booleans(),
        "quartile": st.integers(1, 4),
        "relogement_ru": st.booleans(),
        "public_prioritaire": st.booleans(),
    }
)


def classified(rows):
    frame = pd.DataFrame(rows)
    return frame.assign(q1=frame["quartile"] == 1, bail_signe=True, annee=2026)


def tables(c):
    return {
        "lec": lec_indicators(c, annee=2026, siren="E1", levels=LEVELS, secret=False),
        "quartiles": quartile_distribution(c, secret=False),
    }


SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(rows=st.lists(household, min_size=1, max_size=90))
@SETTINGS
def test_no_cell_recoverable_after_protection(rows):
    # Whatever the attributions, the LEC table and the quartile table protected together
    # leave every masked cell (and every hidden count under 11) at least 11 wide.
    c = classified(rows)
    raw = tables(c)
    out = protect_lec(raw, c, siren="E1")
    assert audit(out, lec_model(c, raw, siren="E1")) == []
    # Nothing published is under 11 households, numerators included.
    lec = out["lec"]
    for column in ("numerateur", "denominateur"):
        published = lec[column].dropna()
        assert ((published == 0) | (published >= 11)).all()
    # Quartile cells: 11 or more, or the zeros of a location without any attribution.
    q = out["quartiles"]
    empty = q["localisation"].map(lambda loc: not (c["en_qpv"] == (loc == "en QPV")).any())
    counts = q["nb_attributions"]
    assert ((counts >= 11) | counts.isna() | ((counts == 0) & empty)).all()


@given(big=st.lists(household, min_size=11, max_size=60), small=st.integers(1, 10))
@SETTINGS
def test_audit_finds_the_leak_without_secondary_suppression(big, small):
    # A commune of 1 to 10 households beside another one: its number of attributions
    # (d_prioritaires) is masked, the other commune's and the EPCI's are published
    # (totals of 11 or more), so it is their difference. The audit must say so.
    rows = [{**r, "code_insee": "59001"} for r in big]
    rows += [{**big[0], "code_insee": "59009"}] * small
    c = classified(rows)
    raw = {
        "lec": lec_indicators(c, annee=2026, siren="E1", levels=("epci", "commune"), secret=False)
    }
    out = protect_lec(raw, c, siren="E1", secondary=False)
    leaks = audit(out, lec_model(c, raw, siren="E1"))
    assert any(
        leak.label == "denominateur (unite 59009, niveau commune, objectif prioritaires)"
        and leak.low == leak.high == small
        for leak in leaks
    )
    assert audit(protect_lec(raw, c, siren="E1"), lec_model(c, raw, siren="E1")) == []
