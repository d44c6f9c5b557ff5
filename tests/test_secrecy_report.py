"""The report says the truth about secrecy, with and without --sans-secret."""

import html

import pandas as pd
import pytest

from peuplement import Territory
from peuplement.report import assemble, build_report
from peuplement.synth import SynthTargets, synth_sne


@pytest.fixture(scope="module")
def inputs(shared_data):
    territory = Territory.from_epci("245901152", data_dir=shared_data)
    communes = territory.communes
    stock = pd.DataFrame({"code_insee": communes["code_insee"], "nb_lls": range(100, 120)})
    site = communes[["code_insee"]].assign(nb_lls=100, nb_lls_qpv=0, qpv=None)
    landlords = pd.DataFrame({"bailleur": ["A", "B"], "nb_lls": [1500, 490]})
    _, attributions = synth_sne(
        site,
        landlords,
        annee=2026,
        seuils=(8772, 12771, 18000),
        siren="245901152",
        n_attributions=300,
        targets=SynthTargets(),
        seed=3,
    )
    return territory, stock, attributions


def page(inputs, shared_data, *, secret):
    territory, stock, attributions = inputs
    data = assemble(
        territory,
        stock,
        attributions=attributions,
        annee=2026,
        synthetic=True,
        data_dir=shared_data,
        secret=secret,
    )
    return data, html.unescape(build_report(data))


def test_report_with_secrecy_says_so(inputs, shared_data):
    data, text = page(inputs, shared_data, secret=True)
    assert "Secret statistique appliqué (seuil : 11 ménages)" in text
    assert "DÉSACTIVÉ" not in text and "USAGE INTERNE" not in text
    # Truthful: no published LEC count under 11 (numerators included).
    for column in ("numerateur", "denominateur"):
        shown = data.lec[column].dropna()
        assert ((shown == 0) | (shown >= 11)).all()


def test_report_without_secrecy_says_so(inputs, shared_data):
    data, text = page(inputs, shared_data, secret=False)
    # The banner at the top, the title and the methodology all say it; the promise is gone.
    assert text.index("Secret statistique DÉSACTIVÉ") < text.index("Chiffres clés")
    assert (
        "<title>Observatoire du peuplement — Cœur d'Ostrevent — USAGE INTERNE</title>" in text
        or ("— USAGE INTERNE</title>" in text)
    )
    assert "n'est publié" not in text and "aucune cellule" not in text
    assert (data.lec["secret"] == "désactivé").all()
    assert (data.lec["numerateur"].dropna() < 11).any()  # small counts really are shown
