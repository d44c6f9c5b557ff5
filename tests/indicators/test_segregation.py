"""Segregation indices: hand values, PySAL `segregation` as oracle, invariants."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peuplement import SchemaError
from peuplement.indicators import entropy_decomposition, multigroup_segregation, segregation

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from segregation.multigroup import MultiDissim, MultiInfoTheory
    from segregation.singlegroup import CorrelationR, Dissim, Entropy, Gini, Interaction, Isolation

ORACLES = [
    (Dissim, "dissimilarite"),
    (Isolation, "isolement"),
    (Interaction, "exposition"),
    (CorrelationR, "ratio_correlation"),
    (Entropy, "entropie_h"),
    (Gini, "gini"),
]


def test_hand_computed_two_communes():
    # x = (10, 0), t = (20, 20): X = 10, Y = 30, P = 1/4.
    df = pd.DataFrame({"q1": [10, 0], "menages": [20, 20]})
    r = segregation(df, "q1", "menages").iloc[0]
    assert r["dissimilarite"] == pytest.approx(0.5 * (1 - 10 / 30 + 20 / 30))  # 2/3
    assert r["isolement"] == pytest.approx(0.5)  # all of the group lives where p = 1/2
    assert r["exposition"] == pytest.approx(0.5)
    assert r["ratio_correlation"] == pytest.approx((0.5 - 0.25) / 0.75)
    e = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    e1 = np.log(2)
    assert r["entropie_h"] == pytest.approx(20 * (e - e1) / (40 * e) + 20 * e / (40 * e))
    # Gini: 2 × 20 × 20 × |1/2 − 0| / (2 × 40² × 1/4 × 3/4)
    assert r["gini"] == pytest.approx(2 * 20 * 20 * 0.5 / (2 * 1600 * 0.1875))


def _sacramento_like(seed, n):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 3000, n)
    x = rng.binomial(t, rng.beta(1.5, 4, n))
    return pd.DataFrame({"x": x, "t": t})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_pysal_segregation(seed):
    df = _sacramento_like(seed, [50, 400, 1200][seed])
    mine = segregation(df, "x", "t").iloc[0]
    for cls, column in ORACLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cls(df, "x", "t").statistic
        assert mine[column] == pytest.approx(expected, abs=1e-9), column


def test_multigroup_agrees_with_pysal():
    rng = np.random.default_rng(7)
    df = pd.DataFrame(rng.integers(0, 200, (300, 4)), columns=["q1", "q2", "q3", "q4"])
    mine = multigroup_segregation(df, ["q1", "q2", "q3", "q4"]).iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = MultiDissim(df, ["q1", "q2", "q3", "q4"]).statistic
        h = MultiInfoTheory(df, ["q1", "q2", "q3", "q4"]).statistic
    assert mine["dissimilarite_multi"] == pytest.approx(d, abs=1e-9)
    assert mine["entropie_h_multi"] == pytest.approx(h, abs=1e-9)


def test_grouped_pass_equals_one_territory_at_a_time():
    frames = [_sacramento_like(s, 30 + 10 * s).assign(epci=f"E{s}") for s in range(6)]
    data = pd.concat(frames, ignore_index=True)
    grouped = segregation(data, "x", "t", by="epci")
    for f in frames:
        alone = segregation(f, "x", "t").iloc[0]
        row = grouped.loc[f["epci"].iloc[0]]
        for col in alone.index:
            assert row[col] == pytest.approx(alone[col], abs=1e-12)
    multi = multigroup_segregation(data.assign(y=data["t"] - data["x"]), ["x", "y"], by="epci")
    # Two groups: multigroup D equals single-group D.
    assert multi["dissimilarite_multi"].to_numpy() == pytest.approx(
        grouped["dissimilarite"].to_numpy()
    )


def test_edge_cases_no_inf_no_warning():
    df = pd.DataFrame(
        {
            "epci": ["A", "A", "B", "C", "C", "D"],
            "x": [0, 0, 5, 3, 0, 4],
            "t": [
                10,
                0,
                10,
                3,
                0,
                9,
            ],  # A: group absent; B: one unit; C: everyone in group; zero-population units
        }
    )
    out = segregation(df, "x", "t", by="epci")
    assert out.loc["A", ["dissimilarite", "entropie_h", "gini"]].isna().all()
    assert out.loc["C"].drop(["nb_unites", "nb_groupe", "nb_total", "part_groupe"]).isna().all()
    assert (
        out.loc["B", "dissimilarite"] == 0 and out.loc["D", "gini"] == 0
    )  # one unit: no segregation
    assert np.isfinite(
        out.select_dtypes("number").to_numpy()[~np.isnan(out.select_dtypes("number").to_numpy())]
    ).all()
    assert out.loc["A", "nb_unites"] == 1


def test_bad_input():
    with pytest.raises(
        SchemaError, match=r"la colonne `x` \(groupe\) dépasse la colonne `t` \(total\) sur 1 unité"
    ):
        segregation(pd.DataFrame({"x": [5], "t": [3]}), "x", "t")
    with pytest.raises(
        SchemaError,
        match=r"segregation : la colonne `x` doit contenir des effectifs positifs ou nuls ; "
        r"1 ligne\(s\).*valeurs \[-1\]",
    ):
        segregation(pd.DataFrame({"x": [-1], "t": [3]}), "x", "t")
    with pytest.raises(
        SchemaError,
        match=r"segregation : la table n'a pas la colonne `epci` ; colonnes trouvées : "
        r"\['x', 't'\]",
    ):
        segregation(pd.DataFrame({"x": [1], "t": [3]}), "x", "t", by="epci")
    with pytest.raises(
        SchemaError, match=r"entropy_decomposition : la table n'a pas la colonne `commune`"
    ):
        entropy_decomposition(pd.DataFrame({"x": [1], "t": [3]}), "x", "t", level="commune")
    with pytest.raises(
        SchemaError, match=r"multigroup_segregation : au moins deux groupes.*groups= \['x'\]"
    ):
        multigroup_segregation(pd.DataFrame({"x": [1], "t": [3]}), ["x"])


units = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=30)


@given(units, st.integers(2, 50))
@settings(max_examples=60, deadline=None)
def test_properties(rows, factor):
    df = pd.DataFrame({"x": [a for a, _ in rows], "t": [a + b for a, b in rows]})
    out = segregation(df, "x", "t").iloc[0]
    scaled = segregation(df.assign(x=df["x"] * factor, t=df["t"] * factor), "x", "t").iloc[0]
    if np.isnan(out["dissimilarite"]):
        return
    for col in ("dissimilarite", "exposition", "ratio_correlation", "entropie_h", "gini"):
        assert -1e-12 <= out[col] <= 1 + 1e-12
        assert scaled[col] == pytest.approx(out[col], abs=1e-9)
    assert out["part_groupe"] - 1e-12 <= out["isolement"] <= 1 + 1e-12
    assert out["isolement"] + out["exposition"] == pytest.approx(1)


@given(st.lists(st.integers(1, 500), min_size=1, max_size=20), st.floats(0.05, 0.95))
@settings(max_examples=40, deadline=None)
def test_same_composition_gives_zero(totals, share):
    # x_i = share × t_i exactly when t_i is scaled by 20 and share rounded to 1/20.
    k = round(share * 20)
    df = pd.DataFrame({"x": [k * t for t in totals], "t": [20 * t for t in totals]})
    out = segregation(df, "x", "t").iloc[0]
    if 0 < k < 20:
        assert out["dissimilarite"] == pytest.approx(0, abs=1e-12)
        assert out["entropie_h"] == pytest.approx(0, abs=1e-12)
        assert out["gini"] == pytest.approx(0, abs=1e-12)


@given(units, st.lists(st.integers(0, 3), min_size=30, max_size=30))
@settings(max_examples=60, deadline=None)
def test_theil_within_plus_between_is_total(rows, levels):
    df = pd.DataFrame(
        {"x": [a for a, _ in rows], "t": [a + b for a, b in rows], "lvl": levels[: len(rows)]}
    )
    out = entropy_decomposition(df, "x", "t", level="lvl").iloc[0]
    if np.isnan(out["entropie_h"]):
        return
    assert out["entropie_h_entre"] + out["entropie_h_intra"] == pytest.approx(
        out["entropie_h"], abs=1e-12
    )


def test_decomposition_grouped():
    df = pd.concat(
        [
            _sacramento_like(s, 40).assign(epci=f"E{s}", qpv=lambda d: d.index % 2 == 0)
            for s in range(3)
        ]
    )
    out = entropy_decomposition(df, "x", "t", level="qpv", by="epci")
    assert list(out.index) == ["E0", "E1", "E2"]
    assert (out["entropie_h_entre"] + out["entropie_h_intra"]).to_numpy() == pytest.approx(
        out["entropie_h"].to_numpy()
    )
