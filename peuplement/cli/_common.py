"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError
from peuplement.cli._app import say
from peuplement.datasets import get_path
from peuplement.io.qpv import QPV_COLUMNS
from peuplement.schema import CRS_LAMBERT93
from peuplement.territory import Perimeter, Territory
from peuplement.validation import LoadReport

__all__ = [
    "DataDir",
    "Epci",
    "Millesime",
    "Out",
    "Parc",
    "default_stock",
    "load_territory",
    "record_renamed",
]

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


def default_stock(epci: str) -> Path | None:
    """Return the shipped 2014 stock figures for the default territory, ``None`` elsewhere."""
    return get_path("coeur_ostrevent/parc_communes_2014") if epci == DEFAULT_EPCI else None


def load_territory(epci: str, data_dir: Path | None) -> Territory:
    """Load the territory of ``epci``; without the QPV file, say so and use an empty QPV layer."""
    try:
        return Territory.from_epci(epci, data_dir=data_dir)
    except DataNotFoundError as exc:
        say(f"QPV indisponibles : {exc}", style="yellow")
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype="string") for c in QPV_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs=CRS_LAMBERT93),
            crs=CRS_LAMBERT93,
        )
        return Territory.from_epci(epci, qpv=empty)


def record_renamed(split: Perimeter, report: LoadReport) -> None:
    """Keep the file's own spelling of commune names in the load report, and only there.

    Every table shows the COG name (Écaillon); the repair line says which spellings of
    the file were replaced (Ecaillon → Écaillon), with their row.
    """
    if len(split.renamed):
        examples = ", ".join(
            f"{r.nom_fichier} → {r.nom}" for r in split.renamed.head(5).itertuples()
        )
        report.repair(
            f"nom de commune remplacé par celui du COG 2025 : {examples}", len(split.renamed)
        )
