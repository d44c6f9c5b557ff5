import re
import time

import geopandas as gpd
import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from peuplement.cli import app

runner = CliRunner()


def test_territory_command_default(tmp_path, shared_data):
    result = runner.invoke(
        app, ["territory", "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "245901152"
    assert len(gpd.read_file(folder / "territoire.gpkg", layer="communes")) == 20
    qpv = gpd.read_file(folder / "territoire.gpkg", layer="qpv")
    assert len(qpv) == 8 and qpv.crs.to_epsg() == 2154
    parc = pd.read_csv(
        folder / "parc_communes.csv", sep=";", decimal=",", dtype={"code_insee": str}
    )
    assert len(parc) == 20 and parc["nb_lls"].sum() == 8713 - 26
    assert parc["code_insee"].str.len().eq(5).all()
    outside = pd.read_csv(
        folder / "hors_perimetre.csv", sep=";", decimal=",", dtype={"code_insee": str}
    )
    assert outside["code_insee"].tolist() == ["59192"]
    assert (
        "8\u202f713" in result.output
        and "70\u202f957" in result.output
        and "Émerchicourt" in result.output  # the COG name, not the file's "Emerchicourt"
    )


def test_territory_command_without_reference_data(tmp_path):
    result = runner.invoke(
        app, ["territory", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "QPV indisponibles" in result.output and "data.gouv.fr" in result.output
    assert len(gpd.read_file(tmp_path / "245901152" / "territoire.gpkg", layer="qpv")) == 0


def test_territory_command_bad_epci(tmp_path):
    result = runner.invoke(app, ["territory", "--epci", "123456789", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == (
        "Erreur : --epci 123456789 n'est pas un EPCI du COG 2025. Vérifiez le SIREN (pour le "
        "trouver par le nom de l'EPCI ou d'une commune : « peuplement epci \"nom\" »).\n"
    )
    assert not (tmp_path / "123456789").exists()


@pytest.mark.parametrize(
    "command", [[], ["territory"], ["indicators"], ["lec"], ["synth"], ["map"], ["report"]]
)
def test_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Utilisation :" in result.output


def test_indicators_command_default(tmp_path, shared_data):
    result = runner.invoke(
        app, ["indicators", "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "245901152"
    communes = pd.read_csv(
        folder / "indicators_commune.csv", sep=";", decimal=",", dtype={"code_insee": str}
    )
    assert len(communes) == 21 and communes["nb_lls"].sum() == 8713
    assert communes.loc[communes["code_insee"] == "59192", "dans_perimetre_actuel"].item() == False  # noqa: E712
    epci = pd.read_csv(
        folder / "indicators_epci.csv", sep=";", decimal=",", dtype={"siren_epci": str}
    )
    assert epci["part_top5_communes"].item() == pytest.approx(5942 / 8713, abs=1e-6)
    assert epci["part_3_premiers_bailleurs"].item() == pytest.approx(7088 / 8713, abs=1e-6)
    bailleurs = pd.read_csv(folder / "indicators_bailleur.csv", sep=";", decimal=",")
    assert bailleurs["bailleur"].iloc[0] == "Soginorpa" and len(bailleurs) == 13
    qpv = pd.read_csv(folder / "indicators_qpv.csv", sep=";", decimal=",")
    assert len(qpv) == 8 and qpv["population"].sum() == 12_411
    assert qpv["surface_km2"].between(0.05, 2).all()
    assert "68,2\u202f%" in result.output and "81,3\u202f%" in result.output
    first = (folder / "indicators_epci.csv").read_bytes()
    runner.invoke(app, ["indicators", "--data-dir", str(shared_data), "--out", str(tmp_path)])
    assert (folder / "indicators_epci.csv").read_bytes() == first  # reproducible bytes


def test_indicators_command_other_epci_needs_a_stock_file(tmp_path):
    # The reference tables are written, and the stock file is asked for with its option.
    result = runner.invoke(app, ["indicators", "--epci", "246200364", "--out", str(tmp_path)])
    assert result.exit_code == 0 and "--parc FICHIER" in result.output
    assert not (tmp_path / "246200364" / "indicators_commune.csv").exists()


def test_lec_command_on_synthetic_default(tmp_path, shared_data):
    result = runner.invoke(app, ["lec", "--data-dir", str(shared_data), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "DONNÉES SYNTHÉTIQUES" in result.output and "8\u202f772" in result.output
    table = pd.read_csv(tmp_path / "245901152" / "lec_2026.csv", sep=";", decimal=",")
    assert list(table.columns[1:11]) == [
        "niveau",
        "unite",
        "objectif",
        "numerateur",
        "denominateur",
        "taux",
        "cible",
        "ecart_points",
        "attributions_manquantes",
        "statut",
    ]
    assert set(table["niveau"]) == {
        "epci",
        "commune",
        "bailleur",
        "reservataire",
        "bailleur_reservataire",
    }
    assert set(table["objectif"]) == {"A", "A_hors_relogement", "B", "prioritaires"}
    assert (table.loc[table["denominateur"] < 11, "statut"] == "effectif insuffisant").all()
    # No household-level identifier leaves in the outputs.
    for path in (tmp_path / "245901152").iterdir():
        assert "SYN-" not in path.read_text(encoding="utf-8")


def test_synth_then_lec_on_files(tmp_path, shared_data):
    result = runner.invoke(
        app, ["synth", "--data-dir", str(shared_data), "--out", str(tmp_path), "--seed", "4"]
    )
    assert result.exit_code == 0 and "SYNTHÉTIQUES" in result.output
    folder = tmp_path / "245901152" / "synthetique"
    attributions = folder / "attributions_synthetiques_2026.csv"
    demandes = folder / "demandes_synthetiques_2025.csv"
    result = runner.invoke(
        app,
        [
            "lec",
            "--attributions",
            str(attributions),
            "--demandes",
            str(demandes),
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path / "o"),
            "--sans-secret",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "DÉSACTIVÉ" in result.output and "calculé sur la demande" in result.output
    table = pd.read_csv(
        tmp_path / "o" / "245901152" / "lec_2026_usage_interne.csv", sep=";", decimal=","
    )
    a = table[(table["niveau"] == "epci") & (table["objectif"] == "A_hors_relogement")].iloc[0]
    assert a["taux"] == pytest.approx(0.19, abs=0.5 / a["denominateur"])  # SynthTargets default


def test_map_command(tmp_path, shared_data):
    result = runner.invoke(
        app,
        [
            "map",
            "--indicator",
            "part_territoire",
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path),
            "--k",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "245901152"
    assert {p.name for p in folder.iterdir()} == {
        "part_territoire.html",
        "part_territoire.png",
        "part_territoire.pdf",
        "rejets_usage_interne.csv",  # one rejection file per run, empty here
    }
    page = (folder / "part_territoire.html").read_text(encoding="utf-8")
    assert "Part du parc du territoire" in page and "%" in page
    # Identical inputs, identical bytes: Folium's element ids are deterministic.
    again = tmp_path / "again"
    runner.invoke(
        app,
        ["map", "--indicator", "part_territoire", "--data-dir", str(shared_data)]
        + ["--out", str(again), "--k", "4"],
    )
    assert (again / "245901152" / "part_territoire.html").read_bytes() == page.encode("utf-8")
    bad = runner.invoke(app, ["map", "--indicator", "nope", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "choisissez l'un de" in bad.output


def test_report_command(tmp_path, shared_data, browser):
    result = runner.invoke(
        app,
        [
            "report",
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path / "maps"),
            "--exports",
            str(tmp_path / "exp"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = tmp_path / "maps" / "245901152" / "rapport_2026.html"
    page = report.read_text(encoding="utf-8")
    assert "DONNÉES SYNTHÉTIQUES" in page and "8\u202f713" in page and "68,2\u202f%" in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", page)
    exports = tmp_path / "exp" / "245901152"
    assert {
        "indicators_commune.csv",
        "indicators_bailleur.csv",
        "indicators_epci.csv",
        "lec_2026.csv",
        "observatoire_2026.xlsx",
        "territoire.gpkg",
    } <= {p.name for p in exports.iterdir()}
    layers = gpd.list_layers(exports / "territoire.gpkg")["name"].tolist()
    assert layers == ["communes", "qpv"]
    for path in exports.iterdir():
        if path.suffix == ".csv":
            assert "SYN-" not in path.read_text(encoding="utf-8")
    assert "SYN-" not in page
    browser.get(report.as_uri())
    time.sleep(1)
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section")]
    assert ids == [
        "essentiel",
        "chiffres-cles",
        "carte",
        "concentration",
        "lec",
        "communes",
        "bailleurs",
        "evolutions",
        "methodologie",
    ]
    assert len(browser.find_elements(By.CSS_SELECTOR, "img")) >= 4
    # The "Évolutions" section: real INSEE fragility, Somain first, four figures drawn.
    section = browser.find_element(By.ID, "evolutions")
    assert "QP059040" in section.find_element(By.CSS_SELECTOR, "tbody tr").text
    shown = section.find_elements(By.CSS_SELECTOR, "img")
    assert len(shown) == 4 and all(i.get_property("naturalWidth") > 0 for i in shown)
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")) == 28
    browser.switch_to.default_content()
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_report_for_another_epci_from_files(tmp_path, shared_data):
    parc = tmp_path / "parc.csv"
    parc.write_text(
        "DEPCOM;NB_LS;NB_LS_EN_QPV\n62498;5000;2500\n62510;7000;3000\n62413;100;0\n59574;10;0\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "report",
            "--epci",
            "246200364",
            "--parc",
            str(parc),
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path / "maps"),
            "--exports",
            str(tmp_path / "exp"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "maps" / "246200364" / "rapport_2026.html").read_text(encoding="utf-8")
    assert "Lens" in page and "SYNTHÉTIQUES" not in page
    assert "Aucun fichier d&#39;attributions" in page and 'id="lec"' not in page
    assert "1 ligne(s) hors du périmètre" in page  # Somain is not in Lens-Liévin
    assert "Part du parc en QPV" in page and "45,4\u202f%" in page  # 5500 / 12110 = 0.4542
    # The files not given are asked for on cards; the sources are the inputs of the run.
    cards = re.findall(r'<div class="a-ajouter keep" data-source="([a-z_]+)"', page)
    assert cards == ["parc_bailleurs", "sne_attributions", "sne_demandes", "cia_engagements"]
    assert "peuplement report --epci 246200364 --parc PARC --attributions FICHIER" in page
    methods = page[page.index('id="methodologie"') :]
    assert "Parc social par commune (tableau de l&#39;observatoire) : fichier parc.csv" in methods
    assert "COG 2025" in methods and "Attributions de logements sociaux" not in methods
    # Without --parc: the partial report, and the stock file asked for on a card.
    partial = runner.invoke(
        app,
        ["report", "--epci", "246200364", "--out", str(tmp_path / "partiel"),
         "--exports", str(tmp_path / "partiel_exp")],
    )  # fmt: skip
    assert partial.exit_code == 0, partial.output
    assert "Rapport partiel" in partial.output and "--parc FICHIER" in partial.output
