"""Usage errors of the ``peuplement`` command are said in French, with where to find help."""

import os
import re
import subprocess
import sys

import pytest

from peuplement.cli import main


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["lec", "--foo"],
            "Option inconnue : --foo (options proches : --out).\nAide : peuplement lec --help",
        ),
        (["nimporte"], "Commande inconnue : « nimporte »."),
        (["lec", "--out"], "L'option --out attend une valeur."),
        (["epci"], "Argument manquant : RECHERCHE."),
        (["lec", "x", "y"], "Argument(s) en trop : x y."),
        (["lec", "--annee", "abc"], "--annee « abc » : une année entre 1990 et 2100 est attendue."),
        # typer's own conversion (pydantic's English message) is said in French.
        (
            ["epci", "lens", "--limite", "abc"],
            "Valeur invalide pour --limite : « abc » : un nombre entier est attendu.\n"
            "Aide : peuplement epci --help",
        ),
        # A flag given a value is not "an option that needs a value"; the parser's errors
        # carry no command, the hint finds it in the arguments.
        (
            ["lec", "--all-france=oui"],
            "L'option --all-france ne prend pas de valeur : écrivez --all-france seule.\n"
            "Aide : peuplement lec --help",
        ),
        (["lec", "--annee"], "L'option --annee attend une valeur.\nAide : peuplement lec --help"),
    ],
)
def test_usage_errors_in_french(args, expected, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Error" not in err and "Traceback" not in err and "Try '" not in err
    assert "Input should" not in err  # pydantic's words, under typer


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert "quartile" in capsys.readouterr().out


def test_module_entry_point_is_french():
    # What a user types: the installed entry point behaves as ``python -m peuplement``.
    run = subprocess.run(
        [sys.executable, "-m", "peuplement", "territory", "--bogus"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.startswith("Erreur : Option inconnue : --bogus")


# ---------------------------------------------------------------- help pages in French

#: What click and typer write in English on a help page, and what peuplement says instead.
ENGLISH_HELP = ("Usage:", "Show this message and exit.", "Commands", "[default:", "[required]")


def _commands():
    from peuplement.cli import app

    return sorted(info.name or info.callback.__name__ for info in app.registered_commands)


def test_every_command_is_listed():
    # The parametrised test below covers each command of the application.
    assert len(_commands()) == 13 and "lec" in _commands() and "modele" in _commands()


@pytest.mark.parametrize("args", [[], *([name] for name in _commands())])
def test_help_pages_in_french(args):
    from typer.testing import CliRunner

    from peuplement.cli import app

    run = CliRunner().invoke(app, [*args, "--help"], prog_name="peuplement")
    assert run.exit_code == 0
    text = " ".join(run.output.split())  # rich wraps the panels to the terminal's width
    assert f"Utilisation : {' '.join(['peuplement', *args])} [OPTIONS]" in text
    assert "--help Affiche cette aide et quitte." in text  # a flag: no kind of value shown
    # Options say their kind of value in French, not Python's type names (arguments keep
    # typer's: it offers no way to name them).
    options = [line for line in run.output.splitlines() if re.match(r"│ +--", line)]
    assert options and re.findall(r"<(?:int|float|str|path|bool)>", "".join(options)) == []
    assert [e for e in ENGLISH_HELP if e in text] == []


def test_help_titles_defaults_and_required_in_french():
    from typer.testing import CliRunner

    from peuplement.cli import app

    main_page = " ".join(CliRunner().invoke(app, ["--help"], prog_name="peuplement").output.split())
    assert "peuplement [OPTIONS] COMMANDE [ARGUMENTS]..." in main_page
    assert "─ Options ─" in main_page and "─ Commandes ─" in main_page
    epci = " ".join(
        CliRunner().invoke(app, ["epci", "--help"], prog_name="peuplement").output.split()
    )
    assert "─ Arguments ─" in epci and "[obligatoire]" in epci  # RECHERCHE is required
    assert "--limite <entier> Nombre maximal de lignes. [défaut : 20]" in epci
    lec = " ".join(
        CliRunner().invoke(app, ["lec", "--help"], prog_name="peuplement").output.split()
    )
    # The docstring's line breaks are joined: one paragraph, wrapped by the terminal only.
    assert "attributions manquantes et statut. Écrit dans" in lec
    # Kinds of values in French; a flag shows none.
    assert "--seuil <nombre> Seuil du premier quartile" in lec
    assert "--qpv <chemin> Fichier officiel" in lec and "--epci <texte> SIREN" in lec
    assert "--all-france Tous les EPCI" in lec


def test_help_in_a_real_process():
    run = subprocess.run(
        [sys.executable, "-m", "peuplement", "report", "--help"],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert run.returncode == 0 and run.stderr == ""
    text = " ".join(run.stdout.split())
    assert "Utilisation : peuplement report [OPTIONS]" in text
    assert "Affiche cette aide et quitte." in text and "[défaut :" in text
    assert [e for e in ENGLISH_HELP if e in text] == []


def test_verbose_log_lines_say_the_level_in_french():
    import logging

    from peuplement.cli._app import _FrenchLevels

    record = logging.LogRecord("peuplement.secrecy", logging.WARNING, "f", 1, "secret", None, None)
    line = _FrenchLevels("%(levelname)s %(name)s : %(message)s").format(record)
    assert line == "AVERTISSEMENT peuplement.secrecy : secret"
    assert record.levelname == "WARNING"  # the record itself is left to the other handlers
