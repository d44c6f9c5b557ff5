"""The ``peuplement`` command."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table as RichTable

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError, PeuplementError
from peuplement.datasets import get_path
from peuplement.indicators import (
    DICTIONARY,
    commune_concentration,
    landlord_concentration,
    territory_concentration,
)
from peuplement.io import REJECTION_COLUMNS, load_parc_bailleurs, load_parc_communes
from peuplement.io.qpv import QPV_COLUMNS
from peuplement.schema import CRS_LAMBERT93
from peuplement.territory import Territory

app = typer.Typer(
    help="peuplement : équilibre territorial du parc social (communes, QPV, bailleurs, attributions).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Répertoire des données de référence (défaut : $PEUPLEMENT_DATA_DIR, sinon ../shared/data).",
    ),
]
Out = Annotated[Path, typer.Option("--out", help="Répertoire de sortie.")]
Epci = Annotated[
    str, typer.Option("--epci", help="SIREN de l'EPCI (défaut : CA Cœur d'Ostrevent).")
]

Parc = Annotated[
    Path | None,
    typer.Option(
        "--parc",
        help="Parc social par commune (CSV/Excel : code INSEE, nb de LLS). Défaut : chiffres 2014 du territoire par défaut.",
    ),
]
Millesime = Annotated[
    int | None, typer.Option("--millesime", help="Millésime (année RPLS) des fichiers de parc.")
]


def _int_fr(value: float) -> str:
    """Format a count the French way: 8 713."""
    return f"{int(value):,}".replace(",", " ")


def _pct_fr(value: float) -> str:
    """Format a share in [0, 1] as a French percentage: 68,2 %."""
    return f"{100 * value:.1f} %".replace(".", ",")


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Journal détaillé.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _default_stock(epci: str) -> Path | None:
    return get_path("coeur_ostrevent/parc_communes_2014") if epci == DEFAULT_EPCI else None


def _territory(epci: str, data_dir: Path | None) -> Territory:
    try:
        return Territory.from_epci(epci, data_dir=data_dir)
    except DataNotFoundError as exc:
        console.print(f"[yellow]QPV indisponibles[/] : {exc}")
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype="string") for c in QPV_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs=CRS_LAMBERT93),
            crs=CRS_LAMBERT93,
        )
        return Territory.from_epci(epci, qpv=empty)


def _fail(exc: Exception) -> None:
    console.print(f"[red]Erreur[/] : {exc}")
    raise typer.Exit(code=2) from exc


@app.command()
def territory(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    parc: Parc = None,
    millesime: Millesime = None,
) -> None:
    """Charge un territoire (communes, QPV, parc social) et l'écrit en GeoPackage et CSV.

    Écrit <out>/<siren>/territoire.gpkg (couches communes et qpv, Lambert-93),
    parc_communes.csv, hors_perimetre.csv et rejets.csv.
    """
    try:
        terr = _territory(epci, data_dir)
        stock_path = parc or _default_stock(epci)
        folder = out / terr.slug
        folder.mkdir(parents=True, exist_ok=True)
        gpkg = folder / "territoire.gpkg"
        gpkg.unlink(missing_ok=True)
        terr.communes.to_file(gpkg, layer="communes", driver="GPKG", engine="pyogrio")
        terr.qpv.to_file(gpkg, layer="qpv", driver="GPKG", engine="pyogrio")
        summary = RichTable(title=f"{terr.name} ({terr.siren})", show_header=False)
        summary.add_row("Communes (COG 2025)", f"{len(terr.communes)}")
        summary.add_row("Population municipale", _int_fr(terr.communes["population"].sum()))
        summary.add_row(
            f"QPV ({terr.qpv_generation})", f"{len(terr.qpv)} : {', '.join(terr.qpv['code_qpv'])}"
        )
        summary.add_row("Communes en QPV", f"{len(terr.communes_qpv)}")
        rejects = pd.DataFrame(columns=REJECTION_COLUMNS)
        if stock_path is not None:
            stock, report = load_parc_communes(stock_path, millesime=millesime)
            rejects = report.rejections
            split = terr.align(stock, value="nb_lls")
            table = terr.communes[["code_insee", "nom", "population"]].merge(
                split.inside.drop(columns=["ligne", "nom"], errors="ignore"),
                on="code_insee",
                how="left",
            )
            table.to_csv(folder / "parc_communes.csv", sep=";", index=False)
            split.outside.drop(columns="ligne").to_csv(
                folder / "hors_perimetre.csv", sep=";", index=False
            )
            summary.add_row(
                "Parc social (périmètre actuel)",
                _int_fr(split.inside["nb_lls"].sum()),
            )
            summary.add_row(
                "Parc social (périmètre des données)",
                _int_fr(stock["nb_lls"].sum()),
            )
            summary.add_row("Hors périmètre", split.summary())
            summary.add_row("Lignes lues / rejetées", f"{report.n_read} / {report.n_rejected}")
        else:
            summary.add_row("Parc social", "non fourni (--parc FICHIER)")
        rejects.to_csv(folder / "rejets.csv", sep=";", index=False)
        for note in terr.notes:
            summary.add_row("Note", note)
        console.print(summary)
        console.print(f"Écrit dans {folder}/")
    except PeuplementError as exc:
        _fail(exc)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # Fixed float format and sorted rows: the same inputs give byte-identical files.
    frame.to_csv(path, sep=";", index=False, float_format="%.6f", encoding="utf-8")


@app.command()
def indicators(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    parc: Parc = None,
    bailleurs: Annotated[
        Path | None, typer.Option(help="Parc social par bailleur, éventuellement par commune.")
    ] = None,
    millesime: Millesime = None,
    sru: Annotated[float, typer.Option(help="Taux SRU légal (0,20 ou 0,25).")] = 0.20,
) -> None:
    """Calcule les indicateurs de concentration du parc social par commune, bailleur et EPCI.

    Les chiffres sont analysés sur le périmètre des données (pour le territoire par défaut :
    les 21 communes de 2014) ; les communes sorties depuis de l'EPCI sont signalées.
    Écrit indicators_commune.csv, indicators_bailleur.csv, indicators_epci.csv et
    dictionnaire.csv dans <out>/<siren>/.
    """
    try:
        stock_path = parc or _default_stock(epci)
        landlord_path = bailleurs or (
            get_path("coeur_ostrevent/parc_bailleurs_2014") if epci == DEFAULT_EPCI else None
        )
        if stock_path is None:
            _fail(
                PeuplementError(
                    f"no stock file for EPCI {epci}: pass --parc FILE (commune-level RPLS counts)"
                )
            )
            return
        terr = _territory(epci, data_dir)
        stock, report = load_parc_communes(stock_path, millesime=millesime)
        split = terr.align(stock, value="nb_lls")
        pop = terr.communes[["code_insee", "population"]]
        stock = (
            stock.drop(columns="ligne")
            .merge(pop, on="code_insee", how="left")
            .assign(siren_epci=epci)
        )
        stock["dans_perimetre_actuel"] = stock["code_insee"].isin(terr.communes["code_insee"])
        folder = out / terr.slug
        folder.mkdir(parents=True, exist_ok=True)
        communes = commune_concentration(stock, by="siren_epci", sru_target=sru)
        _write_csv(communes, folder / "indicators_commune.csv")
        landlords = None
        if landlord_path is not None:
            landlords, lreport = load_parc_bailleurs(landlord_path, millesime=millesime)
            landlords = landlords.drop(columns="ligne").assign(siren_epci=epci)
            _write_csv(
                landlord_concentration(landlords, by="siren_epci"),
                folder / "indicators_bailleur.csv",
            )
        epci_table = territory_concentration(
            stock, landlords=landlords, by="siren_epci"
        ).reset_index()
        _write_csv(epci_table, folder / "indicators_epci.csv")
        _write_csv(DICTIONARY, folder / "dictionnaire.csv")
        row = epci_table.iloc[0]
        table = RichTable(title=f"{terr.name} : concentration du parc social", show_header=False)
        table.add_row("Logements sociaux (périmètre des données)", _int_fr(row["nb_lls"]))
        table.add_row("Hors périmètre actuel", split.summary())
        table.add_row("Part des 5 premières communes", _pct_fr(row["part_top5_communes"]))
        table.add_row(
            "Gini du parc entre communes", f"{row['gini_communes']:.3f}".replace(".", ",")
        )
        if landlords is not None:
            table.add_row("Bailleurs présents", f"{int(row['nb_bailleurs'])}")
            table.add_row("Part du premier bailleur", _pct_fr(row["part_premier_bailleur"]))
            table.add_row(
                "Part des 3 premiers bailleurs", _pct_fr(row["part_3_premiers_bailleurs"])
            )
            table.add_row(
                "Herfindahl-Hirschman (bailleurs)", f"{row['hhi_bailleurs']:.3f}".replace(".", ",")
            )
        table.add_row(
            "Secret statistique",
            "sans objet : comptes de logements (RPLS public), aucune donnée de ménage",
        )
        table.add_row("Lignes lues / rejetées", f"{report.n_read} / {report.n_rejected}")
        console.print(table)
        console.print(f"Écrit dans {folder}/")
    except PeuplementError as exc:
        _fail(exc)
