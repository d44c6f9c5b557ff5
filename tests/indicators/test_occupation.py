import numpy as np
import pandas as pd
import pytest

from peuplement import SchemaError
from peuplement.indicators import household_shares, rotation_rate
from peuplement.io.reference import load_qpv_population


def test_household_shares_with_secrecy():
    households = pd.DataFrame(
        {
            "code_insee": ["A"] * 20 + ["B"] * 12 + ["C"] * 5,
            "q1": [True] * 5 + [False] * 15 + [True] * 6 + [False] * 6 + [True] * 5,
            "apl": [True] * 10 + [False] * 10 + [True] * 12 + [None] * 5,
        }
    )
    out = household_shares(households, {"q1": "part_q1", "apl": "part_apl"}).set_index("code_insee")
    assert out.loc["A", "part_q1"] == 0.25 and out.loc["A", "part_apl"] == 0.5
    # C (5 households) is secret; B, the smallest other unit, goes with it (secondary).
    assert out.loc["C", "secret"] == "primaire" and np.isnan(out.loc["C", "part_q1"])
    assert out.loc["B", "secret"] == "secondaire" and np.isnan(out.loc["B", "nb_menages"])
    off = household_shares(households, {"q1": "part_q1"}, secret=False).set_index("code_insee")
    assert off.loc["C", "part_q1"] == 1.0 and off.loc["B", "part_q1"] == 0.5
    with pytest.raises(SchemaError, match="missing column"):
        household_shares(households, {"zz": "part"})


def test_rotation_rate():
    stock = pd.DataFrame({"code_insee": ["A", "B", "C"], "nb_lls": [100, 0, 50]})
    attributions = pd.DataFrame({"code_insee": ["A"] * 8 + ["C"] * 2})
    out = rotation_rate(attributions, stock).set_index("code_insee")
    assert out["nb_attributions"].tolist() == [8, 0, 2]
    assert out.loc["A", "taux_rotation"] == 0.08 and np.isnan(out.loc["B", "taux_rotation"])


def test_qpv_population(shared_data):
    pop, report = load_qpv_population(data_dir=shared_data)
    default = pop[
        pop["code_qpv"].isin(["QP059001"] + [f"QP05903{i}" for i in range(4, 10)] + ["QP059040"])
    ]
    # PROVENANCE.md: 12,411 inhabitants in the 8 QPV of Cœur d'Ostrevent (INSEE 2013).
    assert int(default["population"].sum()) == 12_411
    assert report.n_read == report.n_kept + report.n_rejected == 1514
