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
    # A: 20 households published; 5 in Q1 and 10 APL are under 11: masked with their shares.
    assert out.loc["A", "nb_menages"] == 20 and np.isnan(out.loc["A", "part_q1"])
    assert np.isnan(out.loc["A", "part_apl"]) and out.loc["A", "secret"] == "secret"
    # B: 12 APL out of 12 says every household has APL (0 without): masked.
    assert np.isnan(out.loc["B", "part_apl"])
    # C (5 households) is secret; the units add up to the total (37, published elsewhere),
    # so B, the smallest other unit, loses its count too: C + B = 17 ≥ 11.
    assert np.isnan(out.loc["C", "nb_menages"]) and np.isnan(out.loc["B", "nb_menages"])
    off = household_shares(households, {"q1": "part_q1"}, secret=False).set_index("code_insee")
    assert off.loc["C", "part_q1"] == 1.0 and off.loc["B", "part_q1"] == 0.5
    with pytest.raises(
        SchemaError,
        match=r"household_shares : la table households n'a pas la colonne `zz` ; colonnes "
        r"trouvées : \['code_insee', .*Passez by= et flags=",
    ):
        household_shares(households, {"zz": "part"})


def test_rotation_rate():
    stock = pd.DataFrame({"code_insee": ["A", "B", "C"], "nb_lls": [100, 0, 50]})
    attributions = pd.DataFrame({"code_insee": ["A"] * 8 + ["C"] * 2})
    out = rotation_rate(attributions, stock).set_index("code_insee")
    # 8 and 2 attributions are under 11: masked; B has none (a zero total is published).
    assert out["nb_attributions"].isna().tolist() == [True, False, True]
    assert out.loc["B", "nb_attributions"] == 0 and np.isnan(out.loc["A", "taux_rotation"])
    off = rotation_rate(attributions, stock, secret=False).set_index("code_insee")
    assert off["nb_attributions"].tolist() == [8, 0, 2]
    assert off.loc["A", "taux_rotation"] == 0.08 and np.isnan(off.loc["B", "taux_rotation"])
    assert (off["secret"] == "désactivé").all()


def test_qpv_population(shared_data):
    pop, report = load_qpv_population(data_dir=shared_data)
    default = pop[
        pop["code_qpv"].isin(["QP059001"] + [f"QP05903{i}" for i in range(4, 10)] + ["QP059040"])
    ]
    # PROVENANCE.md: 12,411 inhabitants in the 8 QPV of Cœur d'Ostrevent (INSEE 2013).
    assert int(default["population"].sum()) == 12_411
    assert report.n_read == report.n_kept + report.n_rejected == 1514
