"""``peuplement lec`` on small files: what every output states, rejections by reason, the EPCI's own applicants."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from peuplement._errors import DataNotFoundError, cli_options
from peuplement.cli import app
from peuplement.lec import read_official

runner = CliRunner()
HEADER = "id_attribution;annee;code_insee;code_qpv;bailleur;reservataire;ressources_annuelles;nb_personnes;nb_moins_14;mutation\n"


@pytest.fixture()
def files(tmp_path):
    lines = [
        f"A{i};2026;59574;;SIA Habitat;Bailleur;{5000 if i < 3 else 15000};1;0;{'oui' if i == 0 else 'non'}"
        for i in range(12)
    ]
    lines += [
        "P1;2026;75056;;SIA Habitat;Bailleur;5000;1;0;non",  # Paris: outside the EPCI
        "Q1;2026;59574;QP059040;SIA Habitat;Bailleur;15000;1;0;non",  # 2015 code in 2026
        "Q2;2026;59574;QN05940M;SIA Habitat;Bailleur;15000;1;0;non",  # 2024 code: in QPV
    ]
    att = tmp_path / "att.csv"
    att.write_text(HEADER + "\n".join(lines) + "\n")
    # Applicants: four of the EPCI (RUC 1,000 … 4,000) and four of Paris (100 … 400). The
    # EPCI's own: k = ceil(4/4) = 1 -> 1,000. With Paris counted: k = ceil(8/4) = 2 -> 200.
    dem = tmp_path / "dem.csv"
    rows = [f"D{i};59574;{1000 * i};1;0" for i in range(1, 5)] + [
        f"E{i};75056;{100 * i};1;0" for i in range(1, 5)
    ]
    dem.write_text(
        "id_demande;code_insee;ressources_annuelles;nb_personnes;nb_moins_14\n"
        + "\n".join(rows)
        + "\n"
    )
    eng = tmp_path / "eng.csv"
    eng.write_text("annee;bailleur;reservataire;objectif;cible;nombre\n2026;SIA Habitat;;A;0,30;\n")
    return att, dem, eng


def test_lec_states_everything(files, tmp_path, shared_data):
    att, dem, eng = files
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["lec", "--attributions", str(att), "--demandes", str(dem), "--engagements", str(eng),
         "--data-dir", str(shared_data), "--out", str(out), "--sans-secret", "--mutations", "exclure"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = out / "245901152"
    params = pd.read_csv(
        folder / "lec_2026_parametres_usage_interne.csv", sep=";", decimal=",", encoding="utf-8-sig"
    )
    stated = dict(zip(params["element"], params["valeur"], strict=True))
    assert stated["Périmètre"].startswith(
        "Communauté d'agglomération Cœur d'Ostrevent (245901152) : 20 communes"
    )
    # The table printed names the EPCI as the report does, not by its SIREN alone.
    assert "Objectifs LEC 2026 — Communauté d'agglomération Cœur d'Ostrevent (245901152)" in (
        result.output
    )
    rows = [line for line in result.output.splitlines() if "│" in line]
    assert any("Communauté" in line for line in rows), result.output
    assert not any("EPCI 245901152" in line for line in rows), result.output
    assert stated["Génération QPV"].startswith("2024 (en vigueur en 2026)")
    assert (
        "8\u202f772 €" in stated["Seuil du 1er quartile"]
        and "arrêté 2026" in stated["Seuil du 1er quartile"]
    )
    assert stated["Seuil calculé sur la demande de l'EPCI"] == "1\u202f000 €"
    assert stated["Demandes hors périmètre (écartées du seuil calculé)"] == "4"
    assert (
        "exclues de tous les objectifs" in stated["Mutations"]
        and "moins de 11" in stated["Mutations"]
    )
    # Kinds of réservataire named for the reader (State's quota judged against 100 %).
    assert "; État : 100,0\u202f% (CCH L.441-1 et R.441-5" in stated["Cibles des réservataires"]
    assert "etat" not in stated["Cibles des réservataires"]
    assert "collectivite :" not in stated["Cibles des réservataires"]
    assert "engagement(s) de la CIA" in stated["Cibles des réservataires"]
    assert stated["rejets : commune hors du périmètre de l'EPCI 245901152 (COG de l'année)"] == "1"
    assert any(
        k.startswith("rejets : code QPV de la génération 2015") and v == "1"
        for k, v in stated.items()
    )
    # --sans-secret: every file, parameters included, is marked for internal use.
    assert not (folder / "lec_2026.csv").exists()
    table = pd.read_csv(
        folder / "lec_2026_usage_interne.csv", sep=";", decimal=",", encoding="utf-8-sig"
    )
    assert table["diffusion"].str.startswith("usage interne").all()
    a = table[(table["niveau"] == "epci") & (table["objectif"] == "A")].iloc[0]
    # 12 in Somain outside QPV, 3 Q1 of which one mutation, excluded: 2 / 11.
    assert (a["numerateur"], a["denominateur"], a["mutations"]) == (2, 11, "exclues")
    b = table[(table["niveau"] == "epci") & (table["objectif"] == "B")].iloc[0]
    assert (b["numerateur"], b["denominateur"]) == (1, 1)  # the QN05940M row
    eng_table = pd.read_csv(
        folder / "lec_2026_engagements_usage_interne.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
    )
    # SIA Habitat committed to 30 %: 2/11 = 18.2 %, ceil(0.30 × 11 − 2) = 2 needed.
    assert eng_table[["unite", "attributions_manquantes"]].values.tolist() == [["SIA Habitat", 2]]
    text = " ".join(result.output.split("\n"))
    # The réservataire "Bailleur" of the file, named as in the report (the first column of
    # the table, read across the lines it wraps on).
    units = " ".join(
        line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")
    )
    assert "Bailleur (contingent propre)" in units
    assert "Génération QPV : 2024" in text and "15 lignes lues, 13 retenues, 2 rejetées" in text


def test_qpv_generation_override(files, tmp_path, shared_data):
    att, _, _ = files
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        ["lec", "--attributions", str(att), "--qpv-generation", "2015", "--data-dir", str(shared_data),
         "--out", str(out), "--sans-secret"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rejected = pd.read_csv(
        out / "245901152" / "lec_2026_rejets_usage_interne.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
    )
    # Forced 2015 generation: now the QN code is the one rejected.
    assert "QN05940M" in set(rejected["valeur"]) and "QP059040" not in set(rejected["valeur"])


def test_read_official_raises_a_french_error(tmp_path):
    # From Python: the arguments; from lec (which has both options): the options.
    with pytest.raises(DataNotFoundError, match="table officielle des seuils.*argument seuil.*"):
        read_official(tmp_path)
    with (
        cli_options(["--data-dir", "--seuil", "--demandes"]),
        pytest.raises(DataNotFoundError, match="table officielle des seuils.*--seuil.*--demandes"),
    ):
        read_official(tmp_path)
