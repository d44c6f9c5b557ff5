"""``peuplement report``: the observatoire's self-contained HTML dashboard and its exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, say
from peuplement.cli._common import (
    Annee,
    DataDir,
    Epci,
    Inputs,
    Parc,
    input_option,
    load_territory,
    out_option,
)
from peuplement.io import load_parc_bailleurs, load_parc_communes


@app.command()
@command
def report(
    epci: Epci = DEFAULT_EPCI,
    annee: Annee = 2026,
    parc: Parc = None,
    bailleurs: Annotated[
        Path | None, input_option("--bailleurs", "Parc social par bailleur.")
    ] = None,
    attributions: Annotated[
        Path | None, input_option("--attributions", "Attributions de l'année (format plat SNE).")
    ] = None,
    demandes: Annotated[
        Path | None, input_option("--demandes", "Demandes en attente au 31/12/N−1.")
    ] = None,
    data_dir: DataDir = None,
    out: Annotated[Path, out_option("--out", "Répertoire des rapports et cartes.")] = Path("maps"),
    exports: Annotated[
        Path, out_option("--exports", "Répertoire des exports CSV et GeoPackage.")
    ] = Path("data/processed"),
    secret: Annotated[
        bool, typer.Option("--secret/--sans-secret", help="Secret statistique.")
    ] = True,
) -> None:
    """Écrit le rapport de l'observatoire d'un territoire (HTML autonome) et ses exports.

    Chiffres clés, carte interactive, cartes et graphiques, objectifs d'attribution,
    tableaux par commune et par bailleur, méthodologie et sources. Sans fichiers, pour le
    territoire par défaut : chiffres publiés de la CIL et attributions SYNTHÉTIQUES (aucune
    donnée SNE réelle ici). Écrit <out>/<siren>/rapport.html et, dans <exports>/<siren>/,
    les indicateurs CSV et territoire.gpkg.
    """
    from peuplement.io import load_attributions, load_demandes
    from peuplement.report import assemble, default_report_data, export_report, write_report

    inputs = Inputs()
    if epci == DEFAULT_EPCI and parc is None and attributions is None:
        data = default_report_data(annee=annee, data_dir=data_dir, secret=secret)
    else:
        if parc is None:
            raise PeuplementError(
                f"aucun fichier de parc pour l'EPCI {epci} : donnez --parc FICHIER (nombre de "
                "logements sociaux par commune)"
            )
        data = assemble(
            load_territory(epci, data_dir),
            inputs.add(load_parc_communes(parc)),
            landlords=inputs.add(load_parc_bailleurs(bailleurs)) if bailleurs else None,
            attributions=inputs.add(load_attributions(attributions)) if attributions else None,
            demandes=inputs.add(load_demandes(demandes)) if demandes else None,
            annee=annee,
            data_dir=data_dir,
            secret=secret,
        )
    path = write_report(data, out / data.territory.slug / "rapport.html")
    folder = export_report(data, exports / data.territory.slug)
    label = " — attributions SYNTHÉTIQUES" if data.synthetic else ""
    say(f"Rapport : {path} ({path.stat().st_size // 1024} Ko, autonome){label}")
    say(f"Exports : {folder}/")
    inputs.finish(folder)
