"""``peuplement report``: the observatoire's self-contained HTML dashboard and its exports."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from peuplement._config import DEFAULT_EPCI
from peuplement.cli._app import app, command, err_console, say
from peuplement.cli._common import (
    Annee,
    DataDir,
    Epci,
    Inputs,
    Parc,
    input_option,
    load_territory,
    missing_input,
    out_option,
)
from peuplement.io import load_parc_bailleurs, load_parc_communes

if TYPE_CHECKING:
    from peuplement.report import ReportData


@contextlib.contextmanager
def steps(total: int) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr, one tick per step; ``step(label)`` starts the next."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    task = progress.add_task("", total=total)
    started = False

    def step(label: str) -> None:
        nonlocal started
        if started:
            progress.advance(task)
        started = True
        progress.update(task, description=label)

    with progress:
        yield step


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
        Path, out_option("--exports", "Répertoire des exports CSV, Excel et GeoPackage.")
    ] = Path("data/processed"),
    secret: Annotated[
        bool, typer.Option("--secret/--sans-secret", help="Secret statistique.")
    ] = True,
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help="Imprime aussi le rapport en PDF (Chromium sans interface)."),
    ] = False,
) -> None:
    """Écrit le rapport de l'observatoire d'un territoire (HTML autonome, PDF) et ses exports.

    L'essentiel d'abord (objectifs atteints ou non, écarts, attributions manquantes), puis
    chiffres clés, carte, graphiques, objectifs d'attribution par commune, bailleur et
    réservataire, tableaux, méthodologie et colophon. Sans fichiers, pour le territoire par
    défaut : chiffres publiés de la CIL et attributions SYNTHÉTIQUES (aucune donnée SNE
    réelle ici). Écrit <out>/<siren>/rapport_<annee>.html (et .pdf avec --pdf) et, dans
    <exports>/<siren>/, les tableaux CSV, observatoire_<annee>.xlsx et territoire.gpkg.
    """
    from peuplement.report import export_report, report_path, write_report, write_report_pdf

    inputs = Inputs()
    with steps(4 + pdf) as step:
        step("Chargement des données et calculs")
        data = _report_data(
            epci, annee, parc, bailleurs, attributions, demandes, data_dir, inputs, secret=secret
        )
        step("Rapport HTML (cartes, graphiques)")
        path = report_path(out, data)
        if not secret:  # an internal report says so in its name
            from peuplement.secrecy import mark_internal

            path = path.with_name(mark_internal(path.name, secret=False))
        path = write_report(data, path)
        step("Exports CSV, Excel et GeoPackage")
        folder = export_report(data, exports / data.territory.slug)
        if pdf:
            step("Impression en PDF")
            pdf_path = write_report_pdf(path)
        step("Terminé")
    label = " — attributions SYNTHÉTIQUES" if data.synthetic else ""
    say(f"Rapport : {path} ({path.stat().st_size // 1024} Ko, autonome){label}")
    if pdf:
        say(f"PDF : {pdf_path} ({pdf_path.stat().st_size // 1024} Ko)")
    say(f"Exports : {folder}/")
    from peuplement.secrecy import secrecy_sentence

    say(secrecy_sentence(secret=secret), style=None if secret else "bold red")
    inputs.finish(folder)


def _report_data(
    epci: str,
    annee: int,
    parc: Path | None,
    bailleurs: Path | None,
    attributions: Path | None,
    demandes: Path | None,
    data_dir: Path | None,
    inputs: Inputs,
    *,
    secret: bool,
) -> ReportData:
    from peuplement.io import load_attributions, load_demandes
    from peuplement.report import assemble, default_report_data

    if epci == DEFAULT_EPCI and parc is None and attributions is None:
        return default_report_data(annee=annee, data_dir=data_dir, secret=secret)
    if parc is None:
        raise missing_input("parc_communes", epci, "report")
    return assemble(
        load_territory(epci, data_dir),
        inputs.add(load_parc_communes(parc)),
        landlords=inputs.add(load_parc_bailleurs(bailleurs)) if bailleurs else None,
        attributions=inputs.add(load_attributions(attributions)) if attributions else None,
        demandes=inputs.add(load_demandes(demandes)) if demandes else None,
        annee=annee,
        data_dir=data_dir,
        secret=secret,
    )
