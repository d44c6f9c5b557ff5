"""Guidance commands: ``peuplement epci``, ``peuplement donnees``, ``peuplement modele``, and
the source registry behind ``donnees``."""

from __future__ import annotations

import unicodedata

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peuplement.cli import app
from peuplement.cli.epci import find_epci
from peuplement.cli.modele import TEMPLATES, dictionary
from peuplement.io import (
    load_attributions,
    load_demandes,
    load_engagements,
    load_parc_bailleurs,
    load_parc_communes,
)
from peuplement.io.communes import load_epci_list
from peuplement.labels import COLUMNS
from peuplement.sources import SOURCES, source_status, sources_status

runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that no table cell wraps

# --- peuplement epci -------------------------------------------------------------------


@pytest.mark.parametrize("query", ["lens", "LENS", "Lens-Liévin", "lens lievin", "LIÉVIN"])
def test_find_epci_by_name_ignores_accents_and_case(query):
    found = find_epci(query)
    # The EPCI found by its own name comes first; PROVENANCE: 36 communes, 241,934 inhabitants.
    first = found.iloc[0]
    assert first["siren_epci"] == "246200364"
    assert (first["nb_communes"], first["population"]) == (36, 241934)
    assert first["type_epci"] == "CA" and first["trouve_par"] == "nom de l'EPCI"


def test_find_epci_words_start_words():
    # "lens" begins the word Lens in Courcelles-lès-Lens, not any word of Guitalens.
    found = find_epci("lens")
    assert "commune Courcelles-lès-Lens (62249)" in found["trouve_par"].tolist()
    assert not found["trouve_par"].str.contains("Guitalens").any()


def test_find_epci_by_siren_and_commune():
    lyon = find_epci("200046977")
    assert lyon[["siren_epci", "nb_communes", "trouve_par"]].values.tolist() == [
        ["200046977", 58, "SIREN"]
    ]
    # Écaillon (59185) is in Cœur d'Ostrevent (20 communes, 70,957 inhabitants, PROVENANCE).
    by_code = find_epci("59185")
    assert by_code[["siren_epci", "population"]].values.tolist() == [["245901152", 70957]]
    by_name = find_epci("ecaillon")  # also Monchaux-sur-Écaillon…, after the exact name
    assert by_name["siren_epci"].iloc[0] == "245901152"
    assert by_name["trouve_par"].iloc[0] == "commune Écaillon (59185)"
    assert find_epci("2a004")["trouve_par"].tolist() == ["commune Ajaccio (2A004)"]


_EPCI = load_epci_list()


def _plain(text: str) -> str:
    """Upper case without accents: how a name is often typed."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=len(_EPCI) - 1), st.booleans())
def test_every_epci_is_found_by_its_name_however_typed(row, plain):
    # Property: any EPCI of the COG is found by its own name, as written or in upper case
    # without accents, and its SIREN is found exactly.
    siren, name = _EPCI.iloc[row][["siren_epci", "nom_epci"]]
    found = find_epci(_plain(name) if plain else name)
    assert siren in found.loc[found["trouve_par"] == "nom de l'EPCI", "siren_epci"].tolist()
    assert find_epci(siren)["siren_epci"].tolist() == [siren]


def test_find_epci_nothing():
    assert find_epci("zzzz").empty and find_epci("  ").empty


def test_epci_command():
    result = runner.invoke(app, ["epci", "bordeaux", "--limite", "1"])
    assert result.exit_code == 0, result.output
    assert "243300316" in result.output and "Bordeaux Métropole" in result.output
    assert "791\u202f958" in result.output  # population, French thousands separator
    assert "non affiché" in result.output  # more than one match, one shown
    missing = runner.invoke(app, ["epci", "zzzz"])
    assert missing.exit_code == 2 and "aucun EPCI ne correspond" in missing.output


# --- the source registry and peuplement donnees ----------------------------------------


def test_registry_lists_every_source_of_the_product():
    expected = {
        "cog",
        "qpv_2015",
        "qpv_2024_liste",
        "qpv_2024",
        "insee_qpv_population",
        "insee_qpv_series",
        "filosofi_epci",
        "filosofi_communes",
        "seuils_quartiles",
        "series_departements",
        "rpls_logements",
        "rpls_resultats",
        "parc_communes",
        "parc_bailleurs",
        "sru",
        "sne_demandes",
        "sne_attributions",
        "cia_engagements",
    }
    assert set(SOURCES) == expected
    for source in SOURCES.values():
        assert source.url and source.millesime and source.prise_en_charge and source.format
    # Each file a user gives has its option, so a report can print the command that adds it.
    assert {k: s.option for k, s in SOURCES.items() if s.option} == {
        "rpls_resultats": "--parc",
        "parc_communes": "--parc",
        "parc_bailleurs": "--bailleurs",
        "sne_demandes": "--demandes",
        "sne_attributions": "--attributions",
        "cia_engagements": "--engagements",
    }
    # Every template named by a source exists, and every template has its source.
    assert {s.modele for s in SOURCES.values() if s.modele} == set(TEMPLATES)


def test_status_in_the_reference_directory(shared_data):
    status = {s.source.cle: s for s in sources_status(data_dir=shared_data)}
    assert status["cog"].etat == "présent"
    assert status["qpv_2015"].etat == "présent"
    assert status["seuils_quartiles"].etat == "présent"
    assert status["insee_qpv_series"].etat == "présent"  # all 15 DEMO/REVN/IPRO files
    assert status["sru"].etat == "absent" and status["rpls_logements"].etat == "absent"


def test_status_for_an_epci(shared_data):
    lyon = {s.source.cle: s for s in sources_status(data_dir=shared_data, epci="200046977")}
    # Commune-level Filosofi is here for departments 59 and 62 only; Lyon is in 69.
    assert lyon["filosofi_communes"].etat == "hors couverture"
    assert "69" in lyon["filosofi_communes"].detail
    # The 2024 perimeters are an extract of three EPCIs.
    assert lyon["qpv_2024"].etat == "hors couverture"
    assert lyon["filosofi_epci"].etat == "présent"
    lens = {s.source.cle: s for s in sources_status(data_dir=shared_data, epci="246200364")}
    assert lens["qpv_2024"].etat == "présent" and lens["filosofi_communes"].etat == "présent"
    assert lens["seuils_quartiles"].etat == "présent"


def test_status_of_a_given_file(tmp_path, shared_data):
    path = tmp_path / "inventaire.csv"
    path.write_text("x\n", encoding="utf-8")
    given = source_status(SOURCES["sru"], data_dir=shared_data, given={"sru": path})
    assert (given.etat, given.detail, given.disponible) == ("fourni", str(path), True)
    lost = source_status(SOURCES["sru"], data_dir=shared_data, given={"sru": tmp_path / "no.csv"})
    assert lost.etat == "absent" and not lost.disponible


def test_status_in_an_empty_directory(tmp_path):
    status = {s.source.cle: s for s in sources_status(data_dir=tmp_path)}
    assert status["qpv_2015"].etat == "absent" and str(tmp_path) in status["qpv_2015"].detail
    assert status["cog"].etat == "présent"  # a registry package, not a file


def test_donnees_command(tmp_path, shared_data):
    out = tmp_path / "sources.csv"
    given = tmp_path / "sru.csv"
    given.write_text("x\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["donnees", "--epci", "200046977", "--data-dir", str(shared_data),
         "--fichier", f"sru={given}", "--csv", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[hors couverture] Filosofi 2019, revenus disponibles par commune" in result.output
    assert "https://www.data.gouv.fr/fr/datasets/communes-et-inventaire-sru/" in result.output
    assert "peuplement modele parc" in result.output
    table = pd.read_csv(out, sep=";", decimal=",").set_index("cle")
    assert len(table) == len(SOURCES)
    assert table.loc["sru", "etat"] == "fourni"
    assert table.loc["rpls_logements", "etat"] == "absent"


def test_donnees_command_bad_inputs():
    bad_key = runner.invoke(app, ["donnees", "--fichier", "rpl=x.csv"])
    assert bad_key.exit_code == 2 and "CLE=CHEMIN" in bad_key.output
    bad_epci = runner.invoke(app, ["donnees", "--epci", "123456789"])
    assert bad_epci.exit_code == 2 and "peuplement epci" in bad_epci.output


# --- peuplement modele -----------------------------------------------------------------

LOADERS = {
    "parc": load_parc_communes,
    "bailleurs": load_parc_bailleurs,
    "demandes": load_demandes,
    "attributions": load_attributions,
    "engagements": load_engagements,
}


def test_every_template_column_is_documented():
    # The dictionaries come from the loaders' field tables: a field added to a loader
    # without its meaning, unit and example fails here, so templates cannot drift.
    for name, template in TEMPLATES.items():
        table = dictionary(name)
        assert table["colonne"].tolist() == [f.name for f in template.fields]
        assert set(table["colonne"]) <= set(COLUMNS)
        assert table["signification"].str.len().gt(0).all()
    assert dictionary("engagements")["colonne"].tolist() == [
        "annee", "bailleur", "reservataire", "objectif", "cible", "nombre"
    ]  # fmt: skip


@pytest.mark.parametrize("name", list(TEMPLATES))
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_empty_template_loads_with_no_row(tmp_path, name, suffix):
    result = runner.invoke(app, ["modele", name, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data, report = LOADERS[name](tmp_path / f"modele_{name}.{suffix}")
    assert len(data) == 0 and report.n_read == 0 and report.n_rejected == 0


@pytest.mark.parametrize("name", list(TEMPLATES))
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_template_with_its_example_row_loads_it(tmp_path, name, suffix):
    result = runner.invoke(app, ["modele", name, "--out", str(tmp_path), "--exemple"])
    assert result.exit_code == 0, result.output
    assert "fictive" in result.output
    data, report = LOADERS[name](tmp_path / f"modele_{name}.{suffix}")
    assert len(data) == 1 and report.n_rejected == 0
    row = data.iloc[0]
    if "code_insee" in data.columns:
        assert row["code_insee"] == "59574"
    if name == "parc":
        assert (row["nb_lls"], row["nb_lls_qpv"]) == (1635, 812)
    if name == "attributions":
        assert (row["code_qpv"], row["ressources_annuelles"], row["nb_personnes"]) == (
            "QN05940M", 14400.0, 3
        )  # fmt: skip
    if name == "engagements":
        assert (row["objectif"], row["cible"]) == ("A", 0.25) and pd.isna(row["nombre"])


def test_xlsx_template_has_a_dictionary_sheet_and_text_codes(tmp_path):
    runner.invoke(app, ["modele", "parc", "--out", str(tmp_path)])
    book = openpyxl.load_workbook(tmp_path / "modele_parc.xlsx")
    assert book.sheetnames == ["parc", "dictionnaire"]
    sheet = book["dictionnaire"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["colonne", "libelle", "signification", "unite", "format"]
    assert "exemple" in header
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == [
        "code_insee", "nom", "nb_lls", "nb_lls_qpv", "residences_principales"
    ]  # fmt: skip
    # A code typed into the table stays text (01001 keeps its zero).
    assert book["parc"]["A2"].number_format == "@"


def test_code_typed_with_leading_zero_survives_the_xlsx_template(tmp_path):
    runner.invoke(app, ["modele", "parc", "--out", str(tmp_path)])
    path = tmp_path / "modele_parc.xlsx"
    book = openpyxl.load_workbook(path)
    book["parc"]["A2"] = "01001"  # Abergement-Clémenciat, as a user types it in a text cell
    book["parc"]["C2"] = 12
    book.save(path)
    data, _ = load_parc_communes(path)
    assert data[["code_insee", "nb_lls"]].values.tolist() == [["01001", 12]]


def test_modele_unknown_name(tmp_path):
    result = runner.invoke(app, ["modele", "logements", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "parc, bailleurs, demandes, attributions, engagements" in result.output


# --- COG names in the CLI tables --------------------------------------------------------


def test_cli_tables_use_cog_names(tmp_path, shared_data):
    outputs = {}
    for command in ("territory", "indicators"):
        result = runner.invoke(
            app, [command, "--data-dir", str(shared_data), "--out", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
        outputs[command] = result.output
    folder = tmp_path / "245901152"
    read = {"sep": ";", "decimal": ",", "dtype": {"code_insee": str, "siren_epci_actuel": str}}
    communes = pd.read_csv(folder / "indicators_commune.csv", **read).set_index("code_insee")
    # The shipped 2014 file writes "Ecaillon" and "Emerchicourt".
    assert communes.loc["59185", "nom"] == "Écaillon"
    assert communes.loc["59192", "nom"] == "Émerchicourt"
    # Émerchicourt's 26 dwellings stay in the data's perimeter, flagged as outside today's EPCI.
    assert communes.loc["59192", "nb_lls"] == 26
    assert not communes.loc["59192", "dans_perimetre_actuel"]
    assert communes.loc["59192", "siren_epci_actuel"] == "200042190"
    assert communes["dans_perimetre_actuel"].sum() == 20
    outside = pd.read_csv(folder / "hors_perimetre.csv", **read)
    assert outside[["nom", "siren_epci_actuel"]].values.tolist() == [["Émerchicourt", "200042190"]]
    # The file's spellings are kept in the repair lines only.
    for output in outputs.values():
        assert (
            "nom de commune remplacé par celui du COG 2025 : Ecaillon → Écaillon, "
            "Emerchicourt → Émerchicourt (2)" in output
        )


# --- another EPCI: what is missing, and the official workbook read as is --------------


def test_missing_stock_says_what_where_and_which_template(tmp_path):
    # Without --parc, map and indicators do what the reference data allow (exit 0), then
    # say what is missing: the source, its URL, the command line and the template.
    for command in ("indicators", "map"):
        result = runner.invoke(app, [command, "--epci", "246200364", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        assert (
            "À ajouter — Parc social par commune : Parc social par commune (tableau de l'observatoire)"
            in text
        )
        assert "modèle vide avec son dictionnaire : peuplement modele parc" in text
        assert "https://www.statistiques.developpement-durable.gouv.fr" in text
        assert f"commande : peuplement {command} --epci 246200364 --parc FICHIER" in text


def test_missing_attributions_names_the_sne_and_the_template(tmp_path):
    result = runner.invoke(app, ["lec", "--epci", "246200364", "--out", str(tmp_path)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "Attributions de logements sociaux (extraction du SNE)" in text
    assert "peuplement modele attributions" in text and "accès restreint" in text
    assert "« peuplement lec --epci 246200364 --attributions FICHIER »" in text


def test_results_workbook_given_to_parc(tmp_path, shared_data):
    book = tmp_path / "resultats_rpls_2024.xlsx"
    header = ["DEPCOM_ARM", "LIBCOM", "nb_ls", "nb_ls_en_qpv", "tx_vac", "tx_mob"]
    rows = [
        ["62498", "LENS", 5000, 2500, 1.2, 7.5],  # the file's spelling; the COG says "Lens"
        ["62510", "Lievin", 7000, 3000, 1.0, 8.0],
        ["59574", "Somain", 10, 0, 0.0, 0.0],  # in Cœur d'Ostrevent, not in Lens-Liévin
    ]
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Région")
        title = ["Parc locatif social au 1er janvier 2024"] + [None] * 5
        pd.DataFrame([title, [None] * 6, header, *rows]).to_excel(
            writer, sheet_name="Commune", index=False, header=False
        )
    args = ["indicators", "--epci", "246200364", "--parc", str(book)]
    args += ["--data-dir", str(shared_data), "--out", str(tmp_path)]
    no_year = runner.invoke(app, args)
    assert no_year.exit_code == 2 and "--millesime" in no_year.output
    result = runner.invoke(app, [*args, "--millesime", "2024"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(
        tmp_path / "246200364" / "indicators_commune.csv",
        sep=";",
        decimal=",",
        dtype={"code_insee": str, "siren_epci_actuel": str},
    ).set_index("code_insee")
    assert table.loc["62498", "nom"] == "Lens" and table.loc["62510", "nom"] == "Liévin"
    # Shares on the data's perimeter: 5,000 / (5,000 + 7,000 + 10) = 0.41632.
    assert table.loc["62498", "part_territoire"] == pytest.approx(5000 / 12010)
    assert not table.loc["59574", "dans_perimetre_actuel"]
    assert table.loc["59574", "siren_epci_actuel"] == "245901152"
    assert "LENS → Lens" in result.output and "Lievin → Liévin" in result.output
