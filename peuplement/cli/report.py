"""``peuplement report``: the observatoire's self-contained HTML dashboard and its exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, say
from peuplement.cli._common import DataDir, Epci, Parc, load_territory
from peuplement.io import load_parc_bailleurs, load_parc_communes


@app.command()
@command
def report(
    epci: Epci = DEFAULT_EPCI,
    annee: Annotated[int, typer.Option(help="Année des attributions analysées.")] = 2026,
    parc: Parc = None,
    bailleurs: Annotated[Path | None, typer.Option(help="Parc social par bailleur.")] = None,
    attributions: Annotated[
        Path | None, typer.Option(help="Attributions de l'année (format plat SNE).")
    ] = None,
    demandes: Annotated[Path | None, typer.Option(help="Demandes en attente au 31/12/N−1.")] = None,
    data_dir: DataDir = None,
    out: Annotated[Path, typer.Option("--out", help="Répertoire des rapports et cartes.")] = Path(
        "maps"
    ),
    exports: Annotated[
        Path, typer.Option("--exports", help="Répertoire des exports CSV et GeoPackage.")
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

    if epci == DEFAULT_EPCI and parc is None and attributions is None:
        data = default_report_data(annee=annee, data_dir=data_dir, secret=secret)
    else:
        if parc is None:
            raise PeuplementError(
                f"no stock file for EPCI {epci}: pass --parc FILE (commune-level counts)"
            )
        data = assemble(
            load_territory(epci, data_dir),
            load_parc_communes(parc).data,
            landlords=load_parc_bailleurs(bailleurs).data if bailleurs else None,
            attributions=load_attributions(attributions).data if attributions else None,
            demandes=load_demandes(demandes).data if demandes else None,
            annee=annee,
            data_dir=data_dir,
            secret=secret,
        )
    path = write_report(data, out / data.territory.slug / "rapport.html")
    folder = export_report(data, exports / data.territory.slug)
    label = " — attributions SYNTHÉTIQUES" if data.synthetic else ""
    say(f"Rapport : {path} ({path.stat().st_size // 1024} Ko, autonome){label}")
    say(f"Exports : {folder}/")
