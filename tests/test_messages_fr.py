"""Every message a person reads is French: errors, warnings and log lines of the library.

A scan of the package's source finds the literal text of every ``raise …(…)``,
``warnings.warn`` and ``logger`` call and refuses English words; representative errors of
each module are then raised for real, and their text checked (what, where, what to do).
"""

import ast
import logging
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

import peuplement
from peuplement import SchemaError, Territory
from peuplement.cli import app
from peuplement.indicators import (
    commune_concentration,
    demand_pressure,
    landlord_concentration,
    rotation_rate,
)
from peuplement.io._spec import Field
from peuplement.maps import Layer, interactive_map, static_map
from peuplement.maps._common import classify_values, web_geometry
from peuplement.secrecy import _lec_counts, apply_secrecy
from peuplement.validation import LoadReport

PACKAGE = Path(peuplement.__file__).parent

#: Words of English messages (whole words, any case); none is French.
ENGLISH = re.compile(
    r"\b(missing|found|needs?|unknown|expected|expects|must|lacks?|available|exceeds|"
    r"rejected|repaired|should|cannot|empty|got|header|unreadable|rebuilding|written|"
    r"the|is|are|of|and|or|with|no|not)\b",
    re.IGNORECASE,
)
CALLS = {"warnings.warn", "logger.debug", "logger.info", "logger.warning", "logger.error"}


def _texts(node: ast.AST) -> str:
    """The literal text of a call: its string constants and f-string parts, joined."""
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _messages() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                call = node.exc  # raise X(...), raise fail(...)
            elif isinstance(node, ast.Call) and (
                ast.unparse(node.func) in CALLS
                or ast.unparse(node.func).endswith(("Error", "report.repair", "report.note"))
            ):
                # A log line, an error built to be raised by the caller, a repair or a note
                # of a load report (listed to the user).
                call = node
            elif isinstance(node, ast.keyword) and node.arg == "reason":
                call = node.value  # why rows are rejected: the rejection table's « motif »
            else:
                continue
            name = ast.unparse(call.func) if isinstance(call, ast.Call) else ""
            if name == "AttributeError" or name == "logger.debug":
                continue  # a module's __getattr__ keeps Python's text; debug is a developer's trace
            found.append((str(path.relative_to(PACKAGE)), node.lineno, _texts(call)))
    return found


def test_the_scan_sees_the_messages():
    # The scan is not vacuous: it reads well over a hundred messages, French ones among them.
    messages = _messages()
    assert len(messages) > 150
    assert any("colonne(s) manquante(s)" in text for _, _, text in messages)


def test_no_english_in_library_messages():
    english = [
        f"{path}:{line}: {text[:80]!r}"
        for path, line, text in _messages()
        # Identifiers quoted in a message (`col`, nb_lls, set_crs…) are not prose.
        if ENGLISH.search(re.sub(r"`[^`]*`|\w+\(\)|\w+=\S*|\w+_\w+", " ", text))
    ]
    assert english == []


# ---------------------------------------------------------------- indicators


def test_concentration_names_the_column_and_the_argument():
    stock = pd.DataFrame({"code_insee": ["59001"], "logements": [10]})
    with pytest.raises(
        SchemaError,
        match=r"commune_concentration : la table n'a pas la colonne `nb_lls` ; colonnes "
        r"trouvées : \['code_insee', 'logements'\] \(2 en tout\)\. Renommez la colonne, ou "
        r"passez count= avec une colonne présente\.",
    ):
        commune_concentration(stock)
    with pytest.raises(SchemaError, match=r"la table n'a pas la colonne `epci`.*Passez by="):
        landlord_concentration(stock.assign(bailleur="b", nb_lls=1), by="epci")


def test_demand_and_rotation_name_the_table():
    demandes = pd.DataFrame({"commune": ["59001"]})
    with pytest.raises(
        SchemaError, match=r"demand_pressure : la table demandes n'a pas la colonne `code_insee`"
    ):
        demand_pressure(demandes, demandes)
    with pytest.raises(
        SchemaError,
        match=r"rotation_rate : la table stock n'a pas la colonne `nb_lls` ; colonnes "
        r"trouvées : \['code_insee'\]",
    ):
        rotation_rate(pd.DataFrame({"code_insee": ["a"]}), pd.DataFrame({"code_insee": ["a"]}))


# ---------------------------------------------------------------- maps


@pytest.fixture()
def small_territory(four_communes, one_qpv):
    return Territory(
        name="Quatre communes",
        communes=four_communes,
        qpv=one_qpv,
        qpv_communes=pd.DataFrame(columns=["code_qpv", "code_insee", "retenue"]),
    )


def test_map_errors_in_french(small_territory):
    table = pd.DataFrame({"code_insee": ["59001"], "part_lls": [0.2]})
    with pytest.raises(
        SchemaError,
        match=r"static_map : la table n'a pas la colonne `taux` ; colonnes trouvées : "
        r"\['code_insee', 'part_lls'\].*Passez column=",
    ):
        static_map(small_territory, table, "taux", label="Taux")
    with pytest.raises(
        SchemaError,
        match=r"interactive_map, couche « Taux » : la table n'a pas la colonne `taux`",
    ):
        interactive_map(small_territory, [Layer(table, "taux", "Taux")])
    with pytest.raises(
        SchemaError, match=r"interactive_map : aucune couche donnée \(layers=\[\]\)"
    ):
        interactive_map(small_territory, [])


def test_classes_and_web_layer_errors_in_french(four_communes):
    with pytest.raises(
        SchemaError,
        match=r"scheme='kmeans' : méthode de classes inconnue ; choisissez l'une de \[.*'user'\] "
        r"\(--scheme en ligne de commande\)",
    ):
        classify_values(pd.Series([1.0, 2.0]), scheme="kmeans")
    with pytest.raises(SchemaError, match=r"scheme='user' demande breaks=\[\.\.\.\]"):
        classify_values(pd.Series([1.0, 2.0]), scheme="user")
    wgs84: gpd.GeoDataFrame = four_communes.to_crs("EPSG:4326")
    with pytest.raises(
        SchemaError, match=r"web_geometry : la couche doit être en coordonnées projetées"
    ):
        web_geometry(wgs84)


# ---------------------------------------------------------------- secrecy, io, validation


def test_secrecy_errors_in_french():
    lec = pd.DataFrame({"objectif": ["A"], "niveau": ["quartier"]})
    with pytest.raises(
        SchemaError,
        match=r"secret : niveau 'quartier' de la table « lec » \(colonne niveau\) inconnu du "
        r"modèle de secret ; connus : \['epci', 'commune', 'bailleur'",
    ):
        _lec_counts(lec, "lec")
    with pytest.raises(
        SchemaError,
        match=r"secret : objectif\(s\) \['Z'\] de la table « lec » \(colonne objectif\) inconnu",
    ):
        _lec_counts(lec.assign(objectif="Z"), "lec")
    with pytest.raises(
        SchemaError, match=r"apply_secrecy : la table n'a pas la colonne `nb` .*Passez count="
    ):
        apply_secrecy(pd.DataFrame({"n": [1]}), count="nb", masked=[])


def test_secrecy_off_is_said_in_french(caplog):
    with caplog.at_level(logging.WARNING, logger="peuplement.secrecy"):
        apply_secrecy(pd.DataFrame({"nb": [3]}), count="nb", masked=["nb"], enabled=False)
    assert caplog.messages == [
        "secret statistique DÉSACTIVÉ : des cellules de moins de 11 ménages sont publiées"
    ]


def test_rejections_are_logged_in_french(caplog):
    report = LoadReport(source="parc.csv", n_read=3)
    with caplog.at_level(logging.INFO, logger="peuplement.validation"):
        report.reject(
            pd.Series([2, 3]), column="code_insee", values=None, reason="code INSEE attendu"
        )
        report.repair("zéro initial rétabli", 1)
    assert caplog.messages == [
        "parc.csv : 2 ligne(s) rejetée(s) : code INSEE attendu (colonne code_insee)",
        "parc.csv : réparé : zéro initial rétabli (1)",
    ]


def test_field_of_unknown_kind():
    with pytest.raises(SchemaError, match=r"Field 'x' : type 'texte' inconnu \(kind=\)"):
        Field("x", "texte")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["indicators", "--all-france"],
            "--all-france demande --rpls FICHIER : le RPLS national, en CSV ou en Parquet",
        ),
        (
            ["lec", "--all-france"],
            "--all-france demande --attributions FICHIER : l'extraction nationale",
        ),
    ],
)
def test_national_options_said_in_french(args, expected, tmp_path):
    run = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert run.exit_code == 2
    assert expected in " ".join(run.stderr.split())
