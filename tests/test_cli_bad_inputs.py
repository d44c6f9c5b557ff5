"""Every command on bad files and bad options: a French message, exit 2, no traceback, no work.

And every command accounts for each input (read / kept / rejected / repaired) and writes
one rejection file per run covering all of them (issue 14).
"""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from peuplement.cli import app

runner = CliRunner()
BAD = Path(__file__).parent / "data" / "bad"


def _fails_in_french(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Erreur : "), result.output
    assert "Traceback" not in result.output and "Error" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)


# Each command given a file its loader cannot read: the loader's French message names it.
BAD_FILES = [
    (
        ["territory", "--parc", str(BAD / "parc_csv_renamed.xlsx")],
        ["parc_csv_renamed.xlsx n'est pas un classeur Excel lisible", "renommé en .xlsx"],
    ),
    (["indicators", "--parc", str(BAD / "empty.csv")], ["empty.csv est vide"]),
    (
        ["indicators", "--bailleurs", str(BAD / "rpls_missing_depcom.csv")],
        ["rpls_missing_depcom.csv : colonne(s) manquante(s) `bailleur`"],
    ),
    (
        ["lec", "--attributions", str(BAD / "attributions_missing_year.csv")],
        ["attributions_missing_year.csv : colonne(s) manquante(s) `annee`"],
    ),
    (
        [
            "lec",
            "--attributions",
            str(BAD / "attributions_other_year.csv"),
            "--demandes",
            str(BAD / "parc_only_blank_lines.csv"),
        ],
        ["parc_only_blank_lines.csv est vide"],
    ),
    (["map", "--parc", str(BAD / "parc_csv_renamed.xlsx")], ["n'est pas un classeur Excel"]),
    (
        ["report", "--epci", "246200364", "--parc", str(BAD / "rpls_corrupt.parquet")],
        ["rpls_corrupt.parquet n'est pas un fichier Parquet lisible"],
    ),
    (["report", "--parc", str(BAD / "a_folder.csv")], ["--parc :", "est un dossier"]),
    (["ingest", str(BAD / "does_not_exist.csv"), "--millesime", "2023"], ["n'existe pas"]),
]


@pytest.mark.parametrize("args,fragments", BAD_FILES, ids=[" ".join(a[:2]) for a, _ in BAD_FILES])
def test_every_command_on_a_bad_file(args, fragments, tmp_path, shared_data):
    result = runner.invoke(
        app,
        [*args, "--out", str(tmp_path / "out")]
        + (["--data-dir", str(shared_data)] if args[0] != "ingest" else []),
    )
    _fails_in_french(result, *fragments)


# Each option checked before any work: nothing is written.
BAD_OPTIONS = [
    (["lec", "--seuil", "-100"], "--seuil « -100 » : un nombre strictement positif est attendu."),
    (["lec", "--seuil", "nan"], "--seuil « nan » : un nombre fini est attendu."),
    (["lec", "--seuil", "inf"], "--seuil « inf » : un nombre fini est attendu."),
    (["lec", "--seuil", "douze"], "--seuil « douze » n'est pas un nombre."),
    (["lec", "--cible-b", "50"], "écrivez « 50 % »."),
    (["lec", "--cible-b", "150 %"], "--cible-b « 150 % » : une part entre 0 et 1"),
    (["lec", "--epci", "../../escaped"], "--epci « ../../escaped » n'est pas un SIREN d'EPCI"),
    (["lec", "--epci", "999999999"], "--epci 999999999 n'est pas un EPCI du COG 2025."),
    (["lec", "--annee", "20x6"], "--annee « 20x6 » : une année entre 1990 et 2100 est attendue."),
    (["lec", "--qpv-generation", "2020"], "--qpv-generation « 2020 » : 2015 ou 2024 attendu."),
    (["indicators", "--sru", "20"], "--sru « 20 » : une part entre 0 et 1"),
    (["indicators", "--epci", "24590115"], "n'est pas un SIREN d'EPCI : 9 chiffres attendus"),
    (["territory", "--epci", "../x"], "--epci « ../x » n'est pas un SIREN d'EPCI"),
    (["map", "--indicator", "foo"], "--indicator « foo » inconnu ; choisissez l'un de : nb_lls,"),
    (["map", "--scheme", "pifometre"], "--scheme « pifometre » inconnu"),
    (["map", "--k", "1"], "--k 1 : de 2 à 9 classes."),
    (["synth", "--annee", "1789"], "--annee « 1789 » : une année entre 1990 et 2100"),
    (["report", "--annee", "3000"], "--annee « 3000 » : une année entre 1990 et 2100"),
    (["ingest", "x.csv", "--millesime", "2023"], "le fichier « x.csv » n'existe pas"),
    (["ingest", "x.csv", "--millesime", "nan"], "--millesime « nan » : une année entre 1990"),
]


@pytest.mark.parametrize("args,message", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_option_fails_before_any_work(args, message, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, [*args, "--out", str(out)])
    _fails_in_french(result, message)
    assert not out.exists()  # nothing computed, nothing written


@pytest.mark.parametrize("command", ["territory", "indicators", "lec", "synth", "map", "report"])
def test_out_pointing_at_a_regular_file(command, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("not a folder")
    result = runner.invoke(app, [command, "--out", str(target)])
    _fails_in_french(result, f"--out « {target} » est un fichier : donnez un dossier")
    assert target.read_text() == "not a folder"


def test_share_given_as_explicit_percentage_is_read(tmp_path, shared_data):
    # --sru "25 %" is 0.25; the deficit of Somain is then ceil(0.25 × RP) − LLS.
    result = runner.invoke(
        app,
        ["indicators", "--sru", "25 %", "--data-dir", str(shared_data), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    communes = pd.read_csv(tmp_path / "245901152" / "indicators_commune.csv", sep=";", decimal=",")
    if "cible_sru" in communes:
        assert set(communes["cible_sru"].dropna()) == {0.25}


def _rejections(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", dtype={"ligne": int, "valeur": str})


def test_indicators_accounts_for_landlords(tmp_path, shared_data):
    """The `Norevie;-12` row is said and written, not silently dropped."""
    result = runner.invoke(
        app,
        [
            "indicators",
            "--bailleurs",
            str(BAD / "bailleurs_negative.csv"),
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "bailleurs_negative.csv : 3 lignes lues, 2 retenues, 1 rejetées, 0 valeurs réparées"
        in result.output
    )
    # The default stock file is accounted for too (21 communes, none rejected).
    assert "parc_communes_2014.csv : 21 lignes lues, 21 retenues, 0 rejetées" in result.output
    rejects = _rejections(tmp_path / "245901152" / "rejets_usage_interne.csv")
    assert rejects[["fichier", "ligne", "colonne", "valeur"]].values.tolist() == [
        ["bailleurs_negative.csv", 3, "NB_LS", "-12"]
    ]
    assert "Lignes rejetées, toutes entrées : 1" in result.output


def test_lec_accounts_for_demands_in_one_rejection_file(tmp_path, shared_data):
    demandes = tmp_path / "demandes.csv"
    demandes.write_text(
        "numUnique;commune_souhaitee_1;ressources_annuelles;nb_personnes\n"
        "D1;59574;12000;2\nD2;59574;inf;1\nD3;59574;9000;1\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "lec",
            "--attributions",
            str(BAD / "attributions_other_year.csv"),
            "--annee",
            "2025",
            "--demandes",
            str(demandes),
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "demandes.csv : 3 lignes lues, 2 retenues, 1 rejetées" in result.output
    assert "attributions_other_year.csv : 2 lignes lues, 1 retenues, 1 rejetées" in result.output
    files = sorted(p.name for p in (tmp_path / "out" / "245901152").glob("*rejets*"))
    assert files == ["lec_2025_rejets_usage_interne.csv"]  # one rejection file per run
    rejects = _rejections(tmp_path / "out" / "245901152" / "lec_2025_rejets_usage_interne.csv")
    assert sorted(zip(rejects["fichier"], rejects["ligne"], strict=True)) == [
        ("attributions_other_year.csv", 3),
        ("demandes.csv", 3),
    ]


def test_report_accounts_for_every_input(tmp_path, shared_data):
    parc = tmp_path / "parc.csv"
    parc.write_text(
        "DEPCOM;NB_LS;NB_LS_EN_QPV\n62498;5000;2500\n62510;7000;3000\n62413;1e999;0\n",
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
            "--bailleurs",
            str(BAD / "bailleurs_nfd_zero_width.csv"),
            "--data-dir",
            str(shared_data),
            "--out",
            str(tmp_path / "maps"),
            "--exports",
            str(tmp_path / "exp"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "parc.csv : 3 lignes lues, 2 retenues, 1 rejetées" in result.output
    assert (
        "bailleurs_nfd_zero_width.csv : 4 lignes lues, 2 retenues, 2 rejetées, 2 valeurs réparées"
        in result.output
    )
    rejects = _rejections(tmp_path / "exp" / "246200364" / "rejets_usage_interne.csv")
    assert sorted(zip(rejects["fichier"], rejects["ligne"], strict=True)) == [
        ("bailleurs_nfd_zero_width.csv", 3),
        ("bailleurs_nfd_zero_width.csv", 4),
        ("parc.csv", 4),
    ]


def test_markup_in_data_and_paths_is_printed_as_text(tmp_path, shared_data):
    out = tmp_path / "res[/x]"
    result = runner.invoke(
        app,
        [
            "territory",
            "--parc",
            str(BAD / "parc_hostile_names.csv"),
            "--data-dir",
            str(shared_data),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Écrit dans {out}/245901152/" in result.output
    counts = pd.read_csv(out / "245901152" / "rejets_usage_interne.csv", sep=";")
    assert counts.empty
    parc = pd.read_csv(out / "245901152" / "parc_communes.csv", sep=";", dtype=str)
    # The formula cell of the input is neutralised in the export (OWASP rule).
    assert not parc.astype(str).apply(lambda c: c.str.startswith("=")).any().any()


def test_markup_in_a_reservataire_name_is_printed_as_text(tmp_path, shared_data):
    header = (BAD / "attributions_other_year.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [
        f"T{n};2025;59574;;SIA Habitat;[/bold]Etat[red];12000;2;0;oui;non;non" for n in range(12)
    ]
    path = tmp_path / "att[red]x[bold].csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["lec", "--attributions", str(path), "--annee", "2025"]
        + ["--data-dir", str(shared_data), "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    assert "[/bold]Etat[red]" in result.output  # the name, as written, not read as markup
    assert "att[red]x[bold].csv : 12 lignes lues, 12 retenues, 0 rejetées" in result.output


# A file that keeps no row: the command stops on what was found and what to do, instead of
# going on with an empty table (territory wrote a stock of 0, lec an empty objectives table,
# indicators and report ended on an unexpected error).
@pytest.mark.parametrize("command", ["territory", "indicators", "map", "report"])
def test_stock_with_no_row_kept_stops_in_french(command, tmp_path):
    header_only = tmp_path / "parc.csv"
    header_only.write_text("code_insee;nb_lls\n", encoding="utf-8")
    result = runner.invoke(app, [command, "--parc", str(header_only), "--out", str(tmp_path)])
    _fails_in_french(
        result, "--parc parc.csv : aucune ligne de données sous l'en-tête", "peuplement modele parc"
    )


def test_stock_with_every_row_rejected_says_each_reason_once(tmp_path):
    # Comma-separated, the last value holding an unquoted comma: 7 rows of 6 fields under a
    # header of 5, all rejected for that one reason, first five rows named.
    rows = ["code_insee,commune,nb_lls,part,source"] + [
        f"5957{i},Somain,{100 + i},1,CIL, 2017" for i in range(7)
    ]
    path = tmp_path / "parc_virgule.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["indicators", "--parc", str(path), "--out", str(tmp_path)])
    _fails_in_french(
        result,
        "--parc parc_virgule.csv : aucune des 7 ligne(s) lues n'est retenue",
        "(7 ligne(s) : 2, 3, 4, 5, 6…)",
        "Vérifiez le séparateur",
    )
    assert result.output.count("6 champs pour 5 colonnes") == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["lec", "--attributions"], "--attributions attributions.csv : aucune ligne de données"),
        (["indicators", "--bailleurs"], "--bailleurs bailleurs.csv : aucune ligne de données"),
    ],
)
def test_blank_templates_stop_in_french(args, fragment, tmp_path):
    # The blank template of `peuplement modele`, given as is.
    modele = "attributions" if args[0] == "lec" else "bailleurs"
    made = runner.invoke(app, ["modele", modele, "--out", str(tmp_path)])
    assert made.exit_code == 0, made.output
    blank = next(tmp_path.rglob(f"modele_{modele}.csv"))
    path = blank.rename(tmp_path / f"{modele}.csv")
    result = runner.invoke(app, [*args, str(path), "--out", str(tmp_path / "out")])
    _fails_in_french(result, fragment, f"peuplement modele {modele}")
