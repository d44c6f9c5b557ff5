"""``peuplement quartile``: the LEC calculator for one household."""

from __future__ import annotations

from typing import Annotated

import typer

from peuplement._config import DEFAULT_EPCI
from peuplement.cli._app import app, command, console, say, table
from peuplement.cli._common import DataDir, Epci
from peuplement.fmt import fmt_count, fmt_fr


@app.command()
@command
def quartile(
    ressources_mensuelles: Annotated[
        float,
        typer.Option(
            "--ressources-mensuelles",
            help="Ressources mensuelles déclarées du ménage (€, hors aides au logement).",
        ),
    ],
    personnes: Annotated[int, typer.Option("--personnes", help="Nombre de personnes du ménage.")],
    # No default: a forgotten count would be read as 0 children, each then weighing 0.5 UC
    # instead of 0.3, and push families into the first quartile.
    moins_14: Annotated[
        int,
        typer.Option(
            "--moins-14", help="Dont enfants de moins de 14 ans (obligatoire, 0 s'il n'y en a pas)."
        ),
    ],
    epci: Epci = DEFAULT_EPCI,
    annee: Annotated[int, typer.Option(help="Année d'attribution (seuils de l'arrêté).")] = 2026,
    seuil: Annotated[
        float | None, typer.Option(help="Seuil du premier quartile imposé (€ par UC et par an).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Calcule les unités de consommation, les ressources par UC et le quartile d'un ménage.

    RUC = 12 × ressources mensuelles / UC, avec UC = 1 pour le premier adulte, 0,5 par
    autre personne de 14 ans ou plus, 0,3 par enfant de moins de 14 ans ; comparé aux
    seuils de l'arrêté de l'année pour l'EPCI (régional en Île-de-France).
    """
    from peuplement.io.communes import epci_label
    from peuplement.lec import household_quartile, read_official, thresholds

    official = None if seuil is not None else read_official(data_dir)
    seuils = thresholds(epci, annee, official=official, seuil=seuil)
    result = household_quartile(ressources_mensuelles, personnes, moins_14, seuils=seuils)
    view = table(f"Ménage — {epci_label(epci)}, {annee}")
    view.add_column("élément")
    view.add_column("valeur", justify="right")
    view.add_row(
        "Ressources annuelles (12 × mensuelles)",
        f"{fmt_fr(result.ressources_annuelles, digits=2)} €",
    )
    view.add_row("Unités de consommation (UC)", fmt_fr(result.uc, digits=1))
    view.add_row("Ressources par UC (RUC)", f"{fmt_fr(result.ruc, digits=2)} €")
    for name, value in (("Q1", seuils.q1), ("Q2", seuils.q2), ("Q3", seuils.q3)):
        view.add_row(f"Seuil {name}", "—" if value is None else f"{fmt_count(value)} € par UC")
    view.add_row("Quartile", result.libelle)
    console.print(view)
    say(f"Source des seuils : {seuils.source}.")
    say(f"Au seuil : {result.classement_au_seuil}.")
