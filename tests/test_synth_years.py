"""Several synthetic years: the stock turns over, households age, rates drift as asked."""

import numpy as np
import pandas as pd
import pytest

from peuplement.lec import units_of_consumption
from peuplement.synth import Drift, synth_rpls_years, synth_sne_years

COMMUNES = pd.DataFrame(
    {
        "code_insee": ["59001", "59002"],
        "nb_lls": [600, 400],
        "nb_lls_qpv": [300, 0],
        "qpv": ["QP059001", None],
    }
)
BAILLEURS = pd.DataFrame({"bailleur": ["A", "B"], "nb_lls": [700, 300]})
SEUILS = {y: (8000.0, 12000.0, 16000.0) for y in (2024, 2025, 2026)}


@pytest.fixture(scope="module")
def years():
    return synth_sne_years(
        COMMUNES,
        BAILLEURS,
        annees=[2024, 2025, 2026],
        seuils=SEUILS,
        siren="245901152",
        n_demandes=400,
        n_attributions=200,
        drift=Drift(part_q1_hors_qpv=0.05, croissance_demandes=0.10),
        seed=3,
    )


def test_stock_turns_over_and_ages(years):
    demandes, attributions = years
    d24 = demandes[demandes["annee"] == 2024].set_index("id_demande")
    d25 = demandes[demandes["annee"] == 2025].set_index("id_demande")
    # Sizes: 400, then 400 × 1.1 = 440.
    assert [len(d24), len(d25)] == [400, 440]
    kept = d25.index.intersection(d24.index)
    assert (d25.loc[kept, "age_referent"] == d24.loc[kept, "age_referent"] + 1).all()
    served = attributions.loc[
        (attributions["annee"] == 2024) & attributions["bail_signe"], "id_demande"
    ]
    assert not set(served) & set(d25.index)  # satisfied requests left the stock
    a25 = attributions[attributions["annee"] == 2025]
    assert set(a25["id_demande"]) <= set(d25.index)  # attributions serve this year's stock
    assert demandes["synthetique"].all() and attributions["synthetique"].all()


def test_q1_rate_drifts_as_asked(years):
    _, attributions = years
    out = attributions[attributions["bail_signe"] & attributions["code_qpv"].isna()]
    uc = units_of_consumption(out["nb_personnes"].to_numpy(), out["nb_moins_14"].to_numpy())
    q1 = pd.Series(out["ressources_annuelles"].to_numpy() / uc <= 8000.0, index=out.index)
    share = q1.groupby(out["annee"]).mean()
    # Allocated exactly: 19 %, 24 %, 29 % of signed leases outside QPV (to rounding of counts).
    assert share.to_numpy() == pytest.approx([0.19, 0.24, 0.29], abs=0.01)


def test_rpls_years_grow_and_label():
    rpls = synth_rpls_years(COMMUNES, BAILLEURS, annees=[2024, 2025], seed=1)
    sizes = rpls.groupby("millesime").size()
    # 1,000 dwellings, then 1 % built: 1,010; the 300 QPV dwellings stay in QPV.
    assert sizes.tolist() == [1000, 1010]
    assert rpls.groupby("millesime")["code_qpv"].count().tolist() == [300, 300]
    assert (
        rpls["synthetique"].all()
        and np.isin(rpls["financement"].unique(), ["PLAI", "PLUS", "PLS", "PLI", "PLA-CFF"]).all()
    )
