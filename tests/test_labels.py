"""One dictionary of columns: the templates, the exports, the report and the maps say the same."""

import ast
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import peuplement
from peuplement.cli import app
from peuplement.cli.modele import TEMPLATES, dictionary
from peuplement.indicators import DICTIONARY
from peuplement.labels import COLUMNS, EXPORT_COLUMNS, INDICATOR_COLUMNS, label, labels
from peuplement.report import _export_dictionary, french_table

#: Columns both filled in by a user (templates) and read in the exports: the overlap.
SHARED = {
    "code_insee",
    "nom",
    "nb_lls",
    "nb_lls_qpv",
    "residences_principales",
    "bailleur",
    "annee",
    "objectif",
    "cible",
}


def _template_rows() -> pd.DataFrame:
    return pd.concat([dictionary(name) for name in TEMPLATES]).drop_duplicates("colonne")


def test_a_column_in_a_template_and_in_the_exports_has_one_label_and_definition():
    exported = _export_dictionary().set_index("colonne")
    template = _template_rows().set_index("colonne")
    both = set(exported.index) & set(template.index)
    assert both == SHARED  # the overlap is what the templates and the exports share
    for column in sorted(both):
        assert template.loc[column, "libelle"] == exported.loc[column, "libelle"], column
        assert template.loc[column, "unite"] == exported.loc[column, "unite"], column
        # The template says the same definition, then what to know to fill it in.
        assert template.loc[column, "signification"].startswith(
            exported.loc[column, "definition"]
        ), column
    assert template.loc["cible", "signification"] == (
        "Taux d'attributions à atteindre, en part des attributions (CCH art. L.441-1) ; "
        "0,25 ; « 25 » ou « 25 % » est lu 0,25 ; vide si la cible est un nombre"
    )
    assert (
        template.loc["nb_lls", "libelle"]
        == exported.loc["nb_lls", "libelle"]
        == ("Logements sociaux")
    )


def test_every_dictionary_comes_from_the_one_dictionary():
    assert DICTIONARY["colonne"].tolist() == list(INDICATOR_COLUMNS)
    for row in pd.concat([DICTIONARY, _export_dictionary()]).itertuples():
        doc = COLUMNS[row.colonne]
        assert (row.libelle, row.definition, row.unite) == (doc.libelle, doc.definition, doc.unite)
    assert _export_dictionary()["colonne"].tolist() == [*INDICATOR_COLUMNS, *EXPORT_COLUMNS]
    # Every column of every template has a label, a definition and an example.
    rows = _template_rows()
    assert rows["libelle"].str.len().gt(0).all() and rows["signification"].str.len().gt(0).all()
    assert rows.loc[rows["colonne"] != "nombre", "exemple"].str.len().gt(0).all()


def test_one_label_per_column_in_the_tables_a_reader_sees():
    table = french_table(
        pd.DataFrame({"code_insee": ["59574"], "nom": ["Somain"], "nb_lls": [1635]})
    )
    assert list(table.columns) == ["Code INSEE", "Commune", "Logements sociaux"]
    assert labels(["part_territoire", "taux"]) == {
        "part_territoire": "Part du parc du territoire",
        "taux": "Taux",
    }
    assert label("sans_libelle") == "sans_libelle"


def test_no_label_of_a_documented_column_written_again_in_the_report_and_maps():
    # The headers, legends and tooltips of the report and the maps take their words from
    # peuplement.labels: a dictionary column's label typed again as a literal next to its
    # column (a {column: "label"} dict, a Layer(table, column, "label")) is refused.
    package = Path(peuplement.__file__).parent
    files = [
        package / "report.py",
        package / "partial_report.py",
        package / "cli" / "map.py",
        *sorted((package / "maps").glob("*.py")),
    ]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if keys == {"colonne", "libelle", "definition", "unite"}:
                    continue  # the headers of the data dictionary itself (unite: the unit)
                pairs = zip(node.keys, node.values, strict=True)
            elif isinstance(node, ast.Call) and len(node.args) >= 3:
                pairs = zip(node.args[1:2], node.args[2:3], strict=True)
            else:
                continue
            for key, value in pairs:
                if (
                    isinstance(key, ast.Constant)
                    and key.value in COLUMNS
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value not in COLUMNS  # a rename, column to column
                ):
                    found.append(f"{path.name}:{node.lineno}: {key.value} → {value.value!r}")
    assert found == []


@pytest.mark.parametrize("name", ["parc", "engagements"])
def test_template_sheet_says_the_labels(tmp_path, name):
    result = CliRunner().invoke(app, ["modele", name, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / f"modele_{name}.xlsx")["dictionnaire"]
    rows = {r[0].value: r[1].value for r in sheet.iter_rows(min_row=2)}
    assert rows == {f.name: COLUMNS[f.name].libelle for f in TEMPLATES[name].fields}
    csv = pd.read_csv(tmp_path / f"modele_{name}_dictionnaire.csv", sep=";", dtype=str)
    assert csv["libelle"].tolist() == list(rows.values())
