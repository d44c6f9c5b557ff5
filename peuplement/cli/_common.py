"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError, PeuplementError
from peuplement.cli._app import say
from peuplement.datasets import get_path
from peuplement.io.qpv import QPV_COLUMNS
from peuplement.io.rpls import load_parc_communes
from peuplement.io.rpls_resultats import is_rpls_resultats, load_rpls_resultats
from peuplement.schema import CRS_LAMBERT93
from peuplement.sources import SOURCES
from peuplement.territory import Perimeter, Territory
from peuplement.validation import LoadReport

__all__ = [
    "DataDir",
    "Epci",
    "Millesime",
    "Out",
    "Parc",
    "default_stock",
    "load_stock",
    "load_territory",
    "missing_input",
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


def load_stock(path: Path, millesime: int | None) -> tuple[pd.DataFrame, LoadReport]:
    """Load the commune stock given with ``--parc``: a commune table, or the SDES results workbook.

    The workbook ``resultats_rpls_<année>.xlsx`` is recognised by its "Commune" sheet; its
    vintage is then required (``--millesime``), never read from the file name.
    """
    if is_rpls_resultats(path):
        if millesime is None:
            raise PeuplementError(
                f"{path.name} est un classeur de résultats RPLS (feuille « Commune ») : "
                "précisez son millésime avec --millesime AAAA (parc au 1er janvier de cette année)"
            )
        data, report = load_rpls_resultats(path, annee=millesime)
        return data, report
    data, report = load_parc_communes(path, millesime=millesime)
    return data, report


def missing_input(key: str, epci: str, command: str) -> PeuplementError:
    """Return the French error for a missing input: what, which option, where to get it, which template.

    Built from the source registry (:mod:`peuplement.sources`), so the message names the
    official source, its URL and the template that the option accepts.
    """
    source = SOURCES[key]
    text = f"il manque « {source.nom} » pour l'EPCI {epci} : passez {source.option} FICHIER"
    if source.modele:
        text += f" (modèle vide avec son dictionnaire : « peuplement modele {source.modele} »)"
    if key == "parc_communes":
        official = SOURCES["rpls_resultats"]
        text += (
            f". Chiffres officiels : {official.nom} ({official.producteur}), {official.url} ; "
            "le classeur resultats_rpls_<année>.xlsx se passe tel quel à --parc avec --millesime"
        )
    elif source.acces != "ouvert":
        text += f". Source : {source.producteur}, {source.url} (accès restreint)"
    text += f". Commande : « {source.command_line(command, epci)} »"
    text += f". Sources disponibles ici : « peuplement donnees --epci {epci} »."
    return PeuplementError(text)
