"""``peuplement synth``: seeded synthetic demand and attributions for the default territory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peuplement._config import DEFAULT_EPCI
from peuplement.cli._app import app, command, say
from peuplement.cli._common import Annee, DataDir, Out
from peuplement.export import output_dir, write_csv


@app.command()
@command
def synth(
    annee: Annee = 2026,
    seed: Annotated[int, typer.Option(help="Graine du générateur.")] = 0,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
) -> None:
    """Génère une demande et des attributions SYNTHÉTIQUES pour le territoire par défaut.

    Données fictives calibrées sur les chiffres publics (parc, QPV, 1 725 demandes et 715
    attributions en 2024, puis +3 % et -1 % par an, seuils officiels de chaque année) :
    jamais des données personnelles réelles. L'année N est la même partout (peuplement lec,
    report, map, carnets) : un seul jeu synthétique par graine.
    """
    from peuplement.synth import synth_default

    demandes, attributions = synth_default(annee=annee, seed=seed, data_dir=data_dir)
    folder = output_dir(out / DEFAULT_EPCI / "synthetique")
    write_csv(demandes, folder / f"demandes_synthetiques_{annee - 1}.csv")
    write_csv(attributions, folder / f"attributions_synthetiques_{annee}.csv")
    say(
        f"Données SYNTHÉTIQUES (graine {seed}) : {len(demandes)} demandes au 31/12/{annee - 1}, "
        f"{len(attributions)} attributions {annee}. Écrit dans {folder}/",
        style="bold",
    )
