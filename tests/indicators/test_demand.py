import pandas as pd
import pytest

from peuplement.indicators import demand_pressure


def test_pressure_cil_example():
    demandes = pd.DataFrame({"siren_epci": ["245901152"] * 1725})
    attributions = pd.DataFrame({"siren_epci": ["245901152"] * 715, "attente": [8.7] * 715})
    out = demand_pressure(demandes, attributions, by="siren_epci", wait="attente").iloc[0]
    assert round(out["pression"], 2) == 2.41
    assert out["delai_moyen_mois"] == pytest.approx(8.7)


def test_pressure_without_attribution_is_nan():
    out = demand_pressure(
        pd.DataFrame({"code_insee": ["a", "b"]}), pd.DataFrame({"code_insee": ["a"]})
    )
    assert out["nb_attributions"].tolist() == [1, 0]
    assert out.loc["a", "pression"] == 1 and pd.isna(out.loc["b", "pression"])
