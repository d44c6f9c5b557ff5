"""Charts of the observatoire over time: one line per unit, ruptures marked, French labels."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from peuplement._errors import SchemaError
from peuplement.indicators.trends import changes
from peuplement.maps.evolutions import comparison_chart, fragility_bars, trend_chart


def test_trend_chart_marks_rupture_and_formats_percent():
    t = pd.DataFrame(
        {
            "q": ["A", "A", "B", "B"],
            "annee": [2019, 2021, 2019, 2021],
            "part_pauvres": [0.40, 0.45, 0.30, 0.27],
            "rp": [2013, 2018, 2013, 2018],
        }
    )
    fig = trend_chart(
        changes(t, ["part_pauvres"], by=["q"], definition="rp"),
        "part_pauvres",
        by="q",
        label="Taux de pauvreté",
        percent=True,
    )
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 + 1  # two quartiers and the rupture line
    assert [t.get_text() for t in ax.texts] == ["changement de définition"]
    assert ax.yaxis.get_major_formatter()(0.4, 0) == "40,0\u202f%"
    plt.close(fig)
    with pytest.raises(SchemaError, match="absent"):
        trend_chart(changes(t, ["part_pauvres"], by=["q"]), "revenu", label="x")


def test_comparison_and_bars():
    comp = pd.DataFrame(
        {
            "annee": [2022, 2022],
            "indicateur": ["nb_lls", "nb_lls"],
            "niveau": ["EPCI", "France"],
            "territoire": ["CA X", "France"],
            "valeur": [8713.0, 5_000_000.0],
        }
    )
    fig = comparison_chart(comp, "nb_lls", label="Logements sociaux")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["EPCI — CA X", "France"]
    plt.close(fig)
    table = pd.DataFrame(
        {
            "code_qpv": ["Q1", "Q2"],
            "nom_qpv": ["Somain", "Aniche"],
            "variation_pauvrete_points": [2.7, -2.8],
            "en_voie_de_fragilisation": [True, False],
        }
    )
    fig = fragility_bars(table)
    labels = [t.get_text() for t in fig.axes[0].texts]
    # drawn bottom-up, largest rise on top; a fall with the minus sign U+2212
    assert labels == ["\u22122,8 pt", "+2,7 pt"]
    plt.close(fig)
