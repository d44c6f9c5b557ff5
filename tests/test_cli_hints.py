"""What to do, said the way the reader can do it (review of a new French user).

A command-line user is told commands and options of the command typed, never a Python
function or argument, nor an option the command lacks; a Python user keeps the Python
hint. Every system error (OSError) shown reads in French, whatever the C library says.
"""

import errno
import os
import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from peuplement._errors import SchemaError, cli_options, os_reason
from peuplement.cli import app
from peuplement.cli._app import _os_message
from peuplement.export import OutputError, output_dir
from peuplement.io import load_attributions, load_parc_communes
from peuplement.io.communes import epci_communes

runner = CliRunner()
BAD = Path(__file__).parent / "data" / "bad"
GLOBAL_OPTIONS = {"--debug", "--verbose", "-v", "--help"}
#: What betrays a Python hint: a function call, a keyword argument, a module path.
PYTHON = re.compile(r"\bload_\w+|peuplement\.\w+|\b[a-z]+_[a-z_]+\(|\w+\(\)|\b[a-z_]+=[\w{'\"]")


def _options(name: str) -> set[str]:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | GLOBAL_OPTIONS


def _named(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


@pytest.fixture()
def empty_dir(tmp_path):
    folder = tmp_path / "donnees_vides"
    folder.mkdir()
    return folder


def _parc_without_count(tmp_path):
    path = tmp_path / "parc.csv"
    path.write_text("code_insee;logements\n59574;10\n", encoding="utf-8")
    return path


# Scenarios ending on a hint: reference data missing, an unknown EPCI, a missing column.
def _scenarios(tmp_path, empty_dir):
    parc = _parc_without_count(tmp_path)
    out = str(tmp_path / "sortie")
    return [
        ["report", "--epci", "245901152", "--data-dir", str(empty_dir), "--out", out],
        ["synth", "--data-dir", str(empty_dir), "--out", out],
        ["tendances", "--epci", "245901152", "--data-dir", str(empty_dir), "--out", out],
        [
            "quartile",
            "--ressources-mensuelles",
            "1500",
            "--personnes",
            "4",
            "--moins-14",
            "2",
            "--epci",
            "245901152",
            "--data-dir",
            str(empty_dir),
        ],
        ["report", "--epci", "200000000"],
        ["donnees", "--epci", "200000000"],
        ["report", "--epci", "245901152", "--parc", str(parc), "--out", out],
        ["indicators", "--epci", "245901152", "--parc", str(parc), "--out", out],
        ["lec", "--attributions", str(BAD / "attributions_missing_year.csv"), "--out", out],
    ]


def test_every_hint_names_an_option_of_the_command_typed(tmp_path, empty_dir):
    # report has no --qpv, quartile no --demandes, report no --seuil: a hint naming them
    # would send the user to an option that the command refuses.
    for args in _scenarios(tmp_path, empty_dir):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("Erreur : "), result.output
        unknown = _named(result.output) - _options(args[0])
        assert not unknown, (args, unknown, result.output)
        assert not PYTHON.search(result.output), (args, result.output)


def test_the_scenarios_do_give_hints(tmp_path, empty_dir):
    # The check above would pass on messages without any hint: each scenario names one.
    said = [runner.invoke(app, a).output for a in _scenarios(tmp_path, empty_dir)]
    assert all(_named(text) or "peuplement " in text for text in said), said
    assert "--data-dir" in said[0] and "--seuil" in said[3]


def test_unknown_epci_points_to_the_epci_command():
    result = runner.invoke(app, ["report", "--epci", "200000000"])
    assert result.exit_code == 2
    assert '« peuplement epci "nom" »' in result.output
    assert "load_epci_list" not in result.output


def test_unknown_epci_from_python_keeps_the_python_hint():
    with pytest.raises(SchemaError, match=r"peuplement\.load_epci_list\(\)"):
        epci_communes("200000000")


def test_missing_column_from_the_cli_says_rename_it_in_the_file(tmp_path):
    parc = _parc_without_count(tmp_path)
    result = runner.invoke(
        app, ["report", "--epci", "245901152", "--parc", str(parc), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "renommez la colonne dans le fichier" in result.output
    assert "« peuplement modele parc »" in result.output
    assert "columns=" not in result.output
    lec = runner.invoke(app, ["lec", "--attributions", str(BAD / "attributions_missing_year.csv")])
    assert "« peuplement modele attributions »" in lec.output


def test_missing_column_from_python_keeps_columns_argument(tmp_path):
    with pytest.raises(SchemaError, match=r"columns=\{'<votre colonne>'"):
        load_parc_communes(_parc_without_count(tmp_path))
    with pytest.raises(SchemaError, match=r"columns="):
        load_attributions(BAD / "attributions_missing_year.csv")


def test_qpv_hint_without_qpv_option_names_the_data_directory(tmp_path, empty_dir):
    result = runner.invoke(
        app, ["report", "--epci", "245901152", "--data-dir", str(empty_dir), "--out", str(tmp_path)]
    )
    assert "--qpv " not in result.output and "load_qpv" not in result.output
    assert "enregistrez-les sous « qpv/qpv2024/" in result.output


def test_modele_names_the_commands_not_the_loader(tmp_path):
    result = runner.invoke(app, ["modele", "bailleurs", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # --bailleurs is an option of indicators and report only.
    assert "À passer à : --bailleurs FICHIER (commandes : peuplement indicators, " in result.output
    assert "peuplement report)" in result.output
    assert "load_parc_bailleurs" not in result.output


# --- system errors in French --------------------------------------------------------------

#: (errno, a French word the message must carry); strerror is the C library's English.
REASONS = [
    (errno.ENOENT, "aucun fichier ou dossier"),
    (errno.EACCES, "accès refusé"),
    (errno.ENOSPC, "plus de place sur le disque"),
    (errno.ENOTDIR, "pas un dossier"),
    (errno.EROFS, "lecture seule"),
    (errno.ENAMETOOLONG, "nom de fichier trop long"),
    (errno.EDQUOT, "quota"),
    (errno.EIO, "entrée-sortie"),
]


@pytest.mark.parametrize(("code", "french"), REASONS)
def test_os_errors_read_in_french(code, french):
    # A plain OSError carrying the errno, as os.replace or write() raise them.
    # (Python makes it a FileNotFoundError, NotADirectoryError… for some numbers: those
    # get the wrapper's own sentence, in French too.)
    exc = OSError(code, os.strerror(code), "/tmp/sortie/rapport.html")
    assert french in os_reason(exc)
    message = _os_message(exc)
    assert message.startswith("« /tmp/sortie/rapport.html »"), message
    assert os.strerror(code) not in message, message
    if type(exc) is OSError:
        assert french in message, message


def test_unknown_errno_still_french():
    exc = OSError(errno.EPIPE, os.strerror(errno.EPIPE))
    assert os_reason(exc) == "erreur du système de fichiers (code EPIPE)"


def test_output_dir_error_in_french(tmp_path):
    # A real failure: a folder name over NAME_MAX (255 bytes on Linux file systems).
    with pytest.raises(OutputError) as caught:
        output_dir(tmp_path / ("a" * 300))
    assert "(nom de fichier trop long)" in str(caught.value)
    assert "File name too long" not in str(caught.value)


def test_output_dir_error_in_french_from_the_cli(tmp_path):
    result = runner.invoke(app, ["modele", "parc", "--out", str(tmp_path / ("a" * 300))])
    assert result.exit_code == 2
    assert "nom de fichier trop long" in result.output
    assert "too long" not in result.output


def test_wrong_crs_of_a_layer_said_for_the_cli_and_for_python(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from peuplement._errors import CRSError
    from peuplement.io import load_qpv

    # Lambert-93 metres (Somain) declared as longitude/latitude (EPSG:4326).
    path = tmp_path / "qpv_faux_scr.gpkg"
    gpd.GeoDataFrame(
        {"code_qpv": ["QN05940M"]}, geometry=[box(712000, 7030000, 713000, 7031000)], crs=4326
    ).to_file(path)
    # As a command reads it (lec --qpv; the context @command sets): no Python to type.
    with cli_options(["--qpv"]), pytest.raises(CRSError) as caught:
        load_qpv(path, generation=2024)
    said = str(caught.value)
    assert "réenregistrez la couche en EPSG:2154" in said
    assert "set_crs" not in said and "allow_override" not in said
    with pytest.raises(CRSError, match=r"set_crs\('EPSG:2154', allow_override=True\)"):
        load_qpv(path, generation=2024)
