"""Usage errors of the ``peuplement`` command are said in French, with where to find help."""

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
    ],
)
def test_usage_errors_in_french(args, expected, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Error" not in err and "Traceback" not in err and "Try '" not in err


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
