"""Fragility of quartiers: hand-computed index, invariants with hypothesis, the real default territory."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peuplement._errors import SchemaError
from peuplement.indicators.fragility import (
    Component,
    compare_levels,
    fragilisation,
    fragility_index,
    qpv_panel,
)
from peuplement.io.insee_qpv import load_insee_qpv_series

COMPONENTS = {
    "part_pauvres": Component(0.5, +1, "pauvreté"),
    "revenu_median_uc": Component(0.3, -1, "revenu"),
    "part_emploi": Component(0.2, -1, "emploi"),
}

# Reference quartiers of one year: means 0.3 / 15,000 / 0.5, standard deviations
# (ddof 1) 0.1 / 1,000 / 0.1.
REFERENCE = pd.DataFrame(
    {
        "annee": [2022, 2022, 2022],
        "part_pauvres": [0.2, 0.3, 0.4],
        "revenu_median_uc": [14000.0, 15000.0, 16000.0],
        "part_emploi": [0.4, 0.5, 0.6],
    }
)


def one(pauvres, revenu, emploi):
    return pd.DataFrame(
        {
            "code_qpv": ["Q"],
            "annee": [2022],
            "part_pauvres": [pauvres],
            "revenu_median_uc": [revenu],
            "part_emploi": [emploi],
        }
    )


def test_index_by_hand():
    out = fragility_index(one(0.5, 13000.0, 0.4), components=COMPONENTS, reference=REFERENCE)
    # z: poverty (0.5 − 0.3)/0.1 = +2; income −(13,000 − 15,000)/1,000 = +2;
    # employment −(0.4 − 0.5)/0.1 = +1. Index 0.5×2 + 0.3×2 + 0.2×1 = 1.8.
    assert out["indice_fragilite"].iloc[0] == pytest.approx(1.8)
    assert out["nb_composantes"].iloc[0] == 3


def test_missing_component_renormalises_weights():
    out = fragility_index(one(0.5, None, 0.4), components=COMPONENTS, reference=REFERENCE)
    # Income secret: (0.5×2 + 0.2×1) / (0.5 + 0.2) = 1.2 / 0.7.
    assert out["indice_fragilite"].iloc[0] == pytest.approx(1.2 / 0.7)
    assert out["poids_connu"].iloc[0] == pytest.approx(0.7)


def test_too_little_known_gives_missing():
    out = fragility_index(one(None, None, 0.4), components=COMPONENTS, reference=REFERENCE)
    # Known weight 0.2 < 0.5 (min_weight): no index.
    assert pd.isna(out["indice_fragilite"].iloc[0])
    low = fragility_index(
        one(None, None, 0.4), components=COMPONENTS, reference=REFERENCE, min_weight=0.2
    )
    assert low["indice_fragilite"].iloc[0] == pytest.approx(1.0)


def test_bad_components_refused():
    with pytest.raises(SchemaError, match="colonnes absentes"):
        fragility_index(one(0.5, 1.0, 0.4).drop(columns="part_emploi"), components=COMPONENTS)
    with pytest.raises(SchemaError, match="poids"):
        fragility_index(one(0.5, 1.0, 0.4), components={"part_emploi": Component(-1, 1, "x")})


values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
incomes = st.floats(min_value=5000.0, max_value=30000.0, allow_nan=False)
bumps = st.floats(min_value=1e-3, max_value=0.5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(p=values, r=incomes, e=values, d=bumps, which=st.sampled_from(list(COMPONENTS)))
def test_monotone_in_each_component(p, r, e, d, which):
    base = one(p, r, e)
    moved = base.copy()
    # Move the component towards fragility: up for poverty, down for income and employment.
    step = d * (20000.0 if which == "revenu_median_uc" else 1.0)
    moved[which] = moved[which] + COMPONENTS[which].direction * step
    i0 = fragility_index(base, components=COMPONENTS, reference=REFERENCE)
    i1 = fragility_index(moved, components=COMPONENTS, reference=REFERENCE)
    assert i1["indice_fragilite"].iloc[0] > i0["indice_fragilite"].iloc[0]


@settings(max_examples=60, deadline=None)
@given(p=values, r=incomes, e=values, hide=st.sampled_from(list(COMPONENTS)))
def test_missing_value_equals_index_without_that_component(p, r, e, hide):
    frame = one(p, r, e)
    frame[hide] = np.nan
    with_nan = fragility_index(frame, components=COMPONENTS, reference=REFERENCE)
    rest = {k: v for k, v in COMPONENTS.items() if k != hide}
    without = fragility_index(frame, components=rest, reference=REFERENCE, min_weight=0.0)
    known = sum(c.weight for c in rest.values())
    expected = without["indice_fragilite"].iloc[0]
    got = with_nan["indice_fragilite"].iloc[0]
    if known >= 0.5:
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    else:
        assert pd.isna(got)


def test_fragilisation_rule_by_hand():
    indexed = pd.DataFrame(
        {
            "code_qpv": ["A", "A", "B", "B", "C", "C"],
            "annee": [2017, 2022] * 3,
            "part_pauvres": [0.40, 0.43, 0.30, 0.35, 0.50, 0.49],
            "indice_fragilite": [0.1, 0.3, 0.2, 0.1, 1.0, 1.2],
        }
    )
    out = fragilisation(indexed).set_index("code_qpv")
    # A: +3 points and index +0.2 → flagged; B: +5 points but index −0.1 → not;
    # C: −1 point → not. Sorted by the rise in poverty: B, A, C.
    assert out.index.tolist() == ["B", "A", "C"]
    assert out["en_voie_de_fragilisation"].tolist() == [False, True, False]
    assert out.loc["A", "variation_pauvrete_points"] == pytest.approx(3.0)
    assert "au moins 1 point" in out.loc["A", "regle"]


def test_compare_levels():
    qpv = pd.DataFrame({"code_qpv": ["Q1"], "revenu_median_uc": [13750.0]})
    links = pd.DataFrame({"code_qpv": ["Q1"], "code_insee": ["59574"]})
    communes = pd.DataFrame({"code_insee": ["59574"], "revenu_median_uc": [18130.0]})
    epci = pd.DataFrame({"revenu_median_uc": [18960.0]})
    out = compare_levels(qpv, links, communes=communes, epci=epci)
    # 13,750 / 18,130 and 13,750 / 18,960 (Somain and Cœur d'Ostrevent, Filosofi 2019).
    assert out["rapport_commune"].iloc[0] == pytest.approx(13750 / 18130)
    assert out["rapport_epci"].iloc[0] == pytest.approx(13750 / 18960)
    assert pd.isna(out["rapport_departement"].iloc[0])


def test_default_territory_poverty_rise(shared_data):
    qpv = ["QP059001", *[f"QP0590{i}" for i in range(34, 41)]]
    themes = {t: load_insee_qpv_series(t)[0] for t in ("DEMO", "REVN", "IPRO")}
    national = qpv_panel(themes["DEMO"], themes["REVN"], themes["IPRO"])
    mine = national[national["code_qpv"].isin(qpv)]
    out = fragilisation(fragility_index(mine, reference=national))
    top = out.head(3).set_index("code_qpv")["variation_pauvrete_points"].round(1)
    # REVN_2017 → REVN_2022: Somain 41.4 → 44.1 (+2.7), Montigny 37.4 → 39.9 (+2.5),
    # Masny 40.6 → 41.5 (+0.9).
    assert top.to_dict() == {"QP059040": 2.7, "QP059037": 2.5, "QP059036": 0.9}
    assert out.loc[out["en_voie_de_fragilisation"], "code_qpv"].tolist() == ["QP059040"]
