"""``peuplement donnees``: every source the product uses, whether it is here, and where to get it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, say
from peuplement.cli._common import DataDir
from peuplement.export import write_csv
from peuplement.sources import SOURCES, sources_status, status_frame

__all__ = ["parse_given"]

_MARK = {
    "présent": "[présent]",
    "fourni": "[fourni]",
    "partiel": "[partiel]",
    "absent": "[absent]",
    "hors couverture": "[hors couverture]",
}


def parse_given(pairs: list[str]) -> dict[str, str]:
    """Read ``--fichier cle=chemin`` pairs; an unknown key is an error that lists the keys."""
    given: dict[str, str] = {}
    for pair in pairs:
        key, sep, path = pair.partition("=")
        if not sep or key.strip() not in SOURCES:
            raise PeuplementError(
                f"--fichier {pair!r} : attendu CLE=CHEMIN avec CLE parmi {', '.join(SOURCES)}"
            )
        given[key.strip()] = path.strip()
    return given


@app.command()
@command
def donnees(
    epci: Annotated[
        str | None,
        typer.Option("--epci", help="SIREN d'un EPCI : vérifie aussi que chaque source le couvre."),
    ] = None,
    data_dir: DataDir = None,
    fichier: Annotated[
        list[str] | None,
        typer.Option(
            "--fichier",
            help="Fichier que vous avez, sous la forme CLE=CHEMIN (ex. sru=inventaire.csv) ; répétable.",
        ),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Écrit aussi la liste dans ce fichier CSV.")
    ] = None,
) -> None:
    """Liste les sources de données utilisées : présentes ici ou non, millésime, où les obtenir.

    Pour chaque source : son nom officiel et son producteur, son état ici (présent dans le
    répertoire des données de référence, fourni avec --fichier, absent, ou hors
    couverture de l'EPCI), son millésime, son format, l'adresse où l'obtenir et l'option
    ou le dossier qui la prend. « peuplement modele NOM » écrit un modèle vide des
    tableaux à remplir.
    """
    if epci is not None:
        from peuplement.io.communes import load_epci_list

        if epci not in set(load_epci_list()["siren_epci"]):
            raise PeuplementError(
                f"--epci {epci} : ce SIREN n'est pas un EPCI du COG 2025. Cherchez-le avec "
                "« peuplement epci \"nom\" » (nom de l'EPCI ou d'une commune)."
            )
    statuses = sources_status(data_dir=data_dir, epci=epci, given=parse_given(fichier or []))
    from peuplement.io.communes import epci_label

    title = "Sources de données" + (f" : {epci_label(epci)}" if epci else "")
    say(title, style="bold")
    for status in statuses:
        src = status.source
        style = "green" if status.disponible else "yellow"
        say(f"{_MARK[status.etat]} {src.nom} ({src.producteur})", style=style)
        say(f"    ici : {status.detail}")
        say(f"    millésime : {src.millesime}")
        say(f"    format : {src.format}")
        say(
            f"    où l'obtenir : {src.url}"
            + (" (accès restreint)" if src.acces != "ouvert" else "")
        )
        say(f"    prise en charge : {src.prise_en_charge}")
        if src.modele:
            say(f"    modèle à remplir : peuplement modele {src.modele}")
    n_ok = sum(s.disponible for s in statuses)
    say(f"{n_ok} source(s) disponible(s) sur {len(statuses)}. Formats détaillés : docs/formats.md.")
    if csv is not None:
        write_csv(status_frame(statuses), csv)
        say(f"Écrit : {csv}")
