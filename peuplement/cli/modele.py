"""``peuplement modele``: empty templates (CSV and XLSX) of the tables a user fills in.

Each template's columns and their kind come from the loader's own field table
(:data:`peuplement.io.rpls.PARC_COMMUNES_FIELDS`, :data:`peuplement.io.sne.DEMANDE_FIELDS`,
…), so a template cannot drift from what the loader reads; the label, meaning, unit and
example of each column are those of :data:`peuplement.labels.COLUMNS` (the same words as
the exports), and a test checks that every field of every template is documented there and
that the example row loads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from peuplement._errors import PeuplementError
from peuplement.cli._app import (
    add_row,
    app,
    command,
    console,
    get_current_context,
    say,
    table,
)
from peuplement.export import output_dir, write_bytes, write_csv
from peuplement.io._spec import Field
from peuplement.io.rpls import PARC_BAILLEURS_FIELDS, PARC_COMMUNES_FIELDS
from peuplement.io.sne import ATTRIBUTION_FIELDS, DEMANDE_FIELDS, ENGAGEMENT_FIELDS
from peuplement.labels import COLUMNS

__all__ = [
    "TEMPLATES",
    "dictionary",
    "example_row",
    "template_xlsx",
]


@dataclass(frozen=True)
class Template:
    """A table to fill in: its fields (from the loader) and what it is for."""

    fields: Sequence[Field]
    titre: str
    chargeur: str
    option: str


TEMPLATES: dict[str, Template] = {
    "parc": Template(
        PARC_COMMUNES_FIELDS,
        "Parc social par commune",
        "peuplement.io.load_parc_communes",
        "--parc",
    ),
    "bailleurs": Template(
        PARC_BAILLEURS_FIELDS,
        "Parc social par bailleur (et par commune)",
        "peuplement.io.load_parc_bailleurs",
        "--bailleurs",
    ),
    "demandes": Template(
        DEMANDE_FIELDS,
        "Demandes de logement social en cours (une ligne par demande)",
        "peuplement.io.load_demandes",
        "--demandes",
    ),
    "attributions": Template(
        ATTRIBUTION_FIELDS,
        "Attributions de l'année (une ligne par attribution)",
        "peuplement.io.load_attributions",
        "--attributions",
    ),
    "engagements": Template(
        ENGAGEMENT_FIELDS,
        "Engagements de la convention intercommunale d'attribution",
        "peuplement.io.load_engagements",
        "--engagements",
    ),
}

_FORMATS = {
    "insee": "texte de 5 caractères (garder le zéro initial : 01001, 2A004)",
    "siren": "texte de 9 chiffres",
    "qpv": "code QP + 6 caractères (2015) ou QN + 6 caractères (2024)",
    "count": "nombre entier positif ou nul",
    "number": "nombre (virgule ou point décimal)",
    "nonneg": "nombre positif ou nul (virgule ou point décimal)",
    "year": "année à 4 chiffres",
    "bool": "oui / non (ou 1 / 0)",
    "date": "date AAAA-MM-JJ ou JJ/MM/AAAA",
    "text": "texte",
    "id": "texte, unique dans le fichier",
}

#: Kinds kept as text in the spreadsheet (a code keeps its leading zero).
_TEXT_KINDS = {"insee", "siren", "qpv", "id", "text"}


def _commands_with(option: str) -> list[str]:
    """Return the ``peuplement`` commands that take ``option``.

    A command-line user is told those, not the Python loader.
    """
    root = get_current_context().find_root().command
    commands = getattr(root, "commands", {})
    return sorted(
        f"peuplement {name}"
        for name, cmd in commands.items()
        if any(option in p.opts for p in cmd.params)
    )


def dictionary(name: str) -> pd.DataFrame:
    """Return the data dictionary of a template: ``colonne``, ``libelle``, ``signification``, ``unite``, ``format``, ``obligatoire``, ``exemple``.

    The label, meaning (the definition, then what to know to fill it in), unit and example
    come from :data:`peuplement.labels.COLUMNS`.

    Examples
    --------
    >>> dictionary("parc")["colonne"].tolist()
    ['code_insee', 'nom', 'nb_lls', 'nb_lls_qpv', 'residences_principales']
    """
    fields = _fields(name)
    rows = []
    for f in fields:
        doc = COLUMNS[f.name]
        rows.append(
            {
                "colonne": f.name,
                "libelle": doc.libelle,
                "signification": f"{doc.definition} ; {doc.saisie}"
                if doc.saisie
                else doc.definition,
                "unite": doc.unite,
                "format": _FORMATS[f.kind],
                "obligatoire": "oui" if f.required else "non",
                "autres_noms_acceptes": ", ".join(f.aliases),
                "exemple": doc.exemple,
            }
        )
    return pd.DataFrame(rows)


def example_row(name: str) -> pd.DataFrame:
    """Return the template's columns with one example row (every cell as text)."""
    return pd.DataFrame([{f.name: COLUMNS[f.name].exemple for f in _fields(name)}], dtype="string")


def _fields(name: str) -> Sequence[Field]:
    if name not in TEMPLATES:
        raise PeuplementError(
            f"modèle inconnu « {name} » ; modèles disponibles : {', '.join(TEMPLATES)}"
        )
    return TEMPLATES[name].fields


def template_xlsx(name: str, *, with_example: bool = False) -> bytes:
    """Return the XLSX template: the table (first sheet, read by the loader) and a "dictionnaire" sheet.

    Code and text columns are formatted as text, so that a code typed as ``01001``
    keeps its leading zero.
    """
    fields = _fields(name)
    frame = example_row(name) if with_example else pd.DataFrame(columns=[f.name for f in fields])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=name, index=False)
        dictionary(name).to_excel(writer, sheet_name="dictionnaire", index=False)
        sheet = writer.sheets[name]
        for i, f in enumerate(fields, start=1):
            letter = sheet.cell(row=1, column=i).column_letter
            sheet.column_dimensions[letter].width = max(12, len(f.name) + 2)
            if f.kind in _TEXT_KINDS:
                for row in range(2, 1002):
                    sheet.cell(row=row, column=i).number_format = "@"
    return buffer.getvalue()


@app.command()
@command
def modele(
    nom: Annotated[
        str,
        typer.Argument(help="Modèle : parc, bailleurs, attributions, demandes ou engagements."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Répertoire où écrire le modèle.")] = Path(
        "modeles"
    ),
    exemple: Annotated[
        bool, typer.Option("--exemple", help="Ajoute une ligne d'exemple (fictive).")
    ] = False,
) -> None:
    """Écrit un modèle vide (CSV et XLSX avec une feuille « dictionnaire ») d'un tableau à fournir.

    Les colonnes sont celles que lit peuplement : le modèle rempli se passe tel quel à
    l'option indiquée (--parc, --bailleurs, --demandes, --attributions).
    """
    template = TEMPLATES.get(nom)
    if template is None:
        raise PeuplementError(
            f"modèle inconnu « {nom} » ; modèles disponibles : {', '.join(TEMPLATES)}"
        )
    folder = output_dir(out)
    frame = example_row(nom) if exemple else pd.DataFrame(columns=[f.name for f in template.fields])
    csv_path = write_csv(frame, folder / f"modele_{nom}.csv")
    xlsx_path = write_bytes(template_xlsx(nom, with_example=exemple), folder / f"modele_{nom}.xlsx")
    write_csv(dictionary(nom), folder / f"modele_{nom}_dictionnaire.csv")
    view = table(f"{template.titre} : colonnes du modèle « {nom} »")
    for column in ("Colonne", "Obligatoire", "Format", "Exemple"):
        view.add_column(column)
    for row in dictionary(nom).itertuples():
        add_row(view, row.colonne, row.obligatoire, row.format, row.exemple)
    console.print(view)
    if exemple:
        say("La ligne d'exemple est fictive : remplacez-la par vos données.")
    say(
        f"Écrit : {csv_path}, {xlsx_path} (signification et unité de chaque colonne : feuille « dictionnaire »)."
    )
    users = _commands_with(template.option)
    say(f"À passer à : {template.option} FICHIER (commandes : {', '.join(users)}).")
