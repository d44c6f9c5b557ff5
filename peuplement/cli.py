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
from peuplement.io import REJECTION_COLUMNS, load_parc_communes
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
    parc: Annotated[
        Path | None,
        typer.Option(
            help="Parc social par commune (CSV/Excel : code INSEE, nb de LLS). Défaut : chiffres 2014 du territoire par défaut."
        ),
    ] = None,
    millesime: Annotated[
        int | None, typer.Option(help="Millésime du fichier --parc (année RPLS).")
    ] = None,
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
        summary.add_row(
            "Population municipale", f"{int(terr.communes['population'].sum()):,}".replace(",", " ")
        )
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
                f"{int(split.inside['nb_lls'].sum()):,}".replace(",", " "),
            )
            summary.add_row(
                "Parc social (périmètre des données)",
                f"{int(stock['nb_lls'].sum()):,}".replace(",", " "),
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
