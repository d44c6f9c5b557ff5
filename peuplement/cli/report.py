"""``peuplement report``: the observatoire's self-contained HTML dashboard and its exports."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from peuplement._cache import progress_line
from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, err_console, say
from peuplement.cli._common import (
    ATTRIBUTION_COLUMNS,
    Annee,
    DataDir,
    Epci,
    Inputs,
    Millesime,
    Parc,
    input_option,
    load_stock,
    load_territory,
    out_option,
    require_rows,
)
from peuplement.io import load_parc_bailleurs
from peuplement.validation import Loaded

if TYPE_CHECKING:
    from peuplement.report import ReportData
    from peuplement.territory import Territory


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
    current = ""

    def step(label: str) -> None:
        nonlocal started, current
        if started:
            progress.advance(task)
        started = True
        current = label
        progress.update(task, description=label)

    def note(text: str) -> None:  # a reference table or cache entry being built
        progress.update(task, description=f"{current} — {text}" if text else current)

    with progress, progress_line(note):
        yield step


@app.command()
@command
def report(
    epci: Epci = DEFAULT_EPCI,
    annee: Annee = 2026,
    parc: Parc = None,
    millesime: Millesime = None,
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
    réelle ici). Sans --parc, pour tout autre EPCI : un rapport partiel avec les données de
    référence (communes, QPV 2015 et 2024, fragilité des quartiers, seuils de quartile,
    revenus, parc du département) et, pour chaque fichier manquant, une fiche « À ajouter »
    (source officielle, format, commande, modèle). Écrit <out>/<siren>/rapport_<annee>.html (et .pdf avec --pdf) et, dans
    <exports>/<siren>/, les tableaux CSV, observatoire_<annee>.xlsx et territoire.gpkg.
    """
    from peuplement.report import export_report, report_path, write_report, write_report_pdf

    if epci != DEFAULT_EPCI and parc is None:
        _partial(
            epci, annee, data_dir, out, exports, pdf=pdf, given=(bailleurs, attributions, demandes)
        )
        return
    inputs = Inputs()
    with steps(4 + pdf) as step:
        step("Chargement des données et calculs")
        data = _report_data(
            epci, annee, parc, millesime, bailleurs, attributions, demandes, data_dir, inputs,
            secret=secret,
        )  # fmt: skip
        if epci != DEFAULT_EPCI or parc is not None:
            given = {"parc_communes": parc, "parc_bailleurs": bailleurs}
            given |= {"sne_attributions": attributions, "sne_demandes": demandes}
            _cards_and_sources(data, epci, given, millesime, data_dir)
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
    millesime: int | None,
    bailleurs: Path | None,
    attributions: Path | None,
    demandes: Path | None,
    data_dir: Path | None,
    inputs: Inputs,
    *,
    secret: bool,
) -> ReportData:
    from peuplement.io import load_demandes
    from peuplement.lec import qpv_generation_in_force
    from peuplement.report import assemble, default_report_data

    if parc is None and attributions is None:
        return default_report_data(annee=annee, data_dir=data_dir, secret=secret)
    if parc is None:
        raise PeuplementError(
            "--attributions se lit avec le parc par commune : ajoutez --parc FICHIER "
            "(modèle : « peuplement modele parc »), ou retirez --attributions pour le rapport "
            "du territoire par défaut."
        )
    territory = load_territory(epci, data_dir, qpv_generation=qpv_generation_in_force(annee))
    _say_missing_perimeters(territory, data_dir)
    return assemble(
        territory,
        _stock(parc, millesime, inputs),
        landlords=inputs.add(
            require_rows(
                load_parc_bailleurs(bailleurs),
                bailleurs,
                option="--bailleurs",
                modele="bailleurs",
                columns="bailleur, code_insee et nb_lls",
            )
        )
        if bailleurs
        else None,
        attributions=inputs.add(_attributions(attributions)) if attributions else None,
        demandes=inputs.add(load_demandes(demandes)) if demandes else None,
        annee=annee,
        data_dir=data_dir,
        secret=secret,
    )


def _attributions(path: Path) -> Loaded[pd.DataFrame]:
    from peuplement.io import load_attributions

    return require_rows(
        load_attributions(path), path, option="--attributions", modele="attributions",
        columns=ATTRIBUTION_COLUMNS,
    )  # fmt: skip


def _stock(path: Path, millesime: int | None, inputs: Inputs) -> pd.DataFrame:
    """The stock of ``--parc``: a commune table or the SDES results workbook (with --millesime)."""
    data, report = load_stock(path, millesime)
    inputs.account(report)
    return data


def _partial(
    epci: str,
    annee: int,
    data_dir: Path | None,
    out: Path,
    exports: Path,
    *,
    pdf: bool,
    given: tuple[Path | None, Path | None, Path | None],
) -> None:
    """Write the partial report of an EPCI without stock file, and say what to add."""
    from peuplement.partial_report import (
        build_partial_report,
        export_partial_report,
        write_partial_report,
    )
    from peuplement.report import write_report_pdf

    if any(path is not None for path in given):
        raise PeuplementError(
            "--bailleurs, --attributions et --demandes se lisent avec le parc par commune : "
            f"ajoutez --parc FICHIER (modèle : « peuplement modele parc »), ou lancez "
            f"« peuplement report --epci {epci} » seul pour le rapport partiel."
        )
    with steps(3 + pdf) as step:
        step("Données de référence et calculs")
        rep = build_partial_report(
            epci, annee=annee, data_dir=data_dir, territory=load_territory(epci, data_dir)
        )
        step("Rapport HTML")
        path = write_partial_report(rep, out / rep.territory.slug / f"rapport_{annee}.html")
        folder = export_partial_report(rep, exports / rep.territory.slug)
        if pdf:
            step("Impression en PDF")
            pdf_path = write_report_pdf(path)
        step("Terminé")
    built = [p.titre for p in rep.parts if p.built]
    say(f"Rapport partiel : {path} ({path.stat().st_size // 1024} Ko, autonome)")
    if pdf:
        say(f"PDF : {pdf_path} ({pdf_path.stat().st_size // 1024} Ko)")
    say(f"Sections produites ({len(built)}) : {' ; '.join(built)}")
    for card in rep.plan.cards():  # each missing source once
        for line in card.lines():
            say(line)
    say(f"Exports : {folder}/ (dont a_ajouter.csv : ce qui manque et comment l'ajouter)")


def _cards_and_sources(
    data: ReportData,
    epci: str,
    given: dict[str, Path | None],
    millesime: int | None,
    data_dir: Path | None,
) -> None:
    """Add to a report from the user's files the cards of the files not given, and its sources.

    The sources are the inputs of this run: each file given (its path, and the stock's
    vintage), the COG and QPV perimeters, and the thresholds file when objectives were
    computed; never a fixed text.
    """
    from peuplement.plan import plan
    from peuplement.sources import SOURCES

    p = plan(epci, command="report", given=given, data_dir=data_dir)
    data.cards = [c for key in ("parc", "bailleurs", "lec") for c in p.cards(key)]
    used = [SOURCES["cog"].citation, SOURCES["qpv_2015"].citation]
    for key, path in given.items():
        if path is not None:
            vintage = f", millésime {millesime}" if key == "parc_communes" and millesime else ""
            used.append(f"{SOURCES[key].nom} : fichier {path.name}{vintage}")
    if data.seuils is not None:
        used.append(f"Seuils de quartile {data.annee} : {data.seuils.source}")
    data.sources = [*used, *data.sources]


def _say_missing_perimeters(territory: Territory, data_dir: Path | None) -> None:
    """Warn when QPV of the ANCT 2024 list have no perimeter in the reference data."""
    from peuplement.io.qpv import load_qpv_list

    if territory.qpv_generation != 2024:
        return
    listed, _ = load_qpv_list(2024, data_dir=data_dir)
    of_epci = listed.loc[listed["code_insee"].isin(territory.communes["code_insee"]), "code_qpv"]
    lacking = sorted(set(of_epci) - set(territory.qpv["code_qpv"]))
    if lacking:
        say(
            f"Périmètres QPV 2024 absents pour {len(lacking)} QPV de l'EPCI "
            f"({', '.join(lacking[:5])}) : la carte et les chiffres clés ne les montrent pas. "
            "Le fichier de périmètres 2024 du répertoire de données n'en est qu'un extrait ; "
            "donnez avec --data-dir un répertoire où il couvre toute la France (périmètres "
            "nationaux de l'ANCT).",
            style="yellow",
        )
