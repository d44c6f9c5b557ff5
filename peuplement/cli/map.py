"""``peuplement map``: one indicator per commune as an offline interactive map and a static map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, fail, say
from peuplement.cli._common import (
    DataDir,
    Epci,
    Inputs,
    Millesime,
    Parc,
    default_stock,
    load_stock,
    load_territory,
    out_option,
)
from peuplement.cli.report import steps
from peuplement.export import output_dir
from peuplement.indicators import commune_concentration
from peuplement.labels import label as column_label
from peuplement.labels import labels

_PERCENT_COLUMNS = {"part_territoire", "part_cumulee", "part_lls_qpv", "taux_sru"}
_SOURCE = "Source : parc social RPLS 2013 (présentation CIL 2017)"


#: Indicators per commune that can be mapped: the numeric columns of commune_concentration.
INDICATORS = (
    "nb_lls",
    "part_territoire",
    "part_cumulee",
    "nb_lls_qpv",
    "part_lls_qpv",
    "quotient_localisation_qpv",
    "residences_principales",
    "taux_sru",
    "cible_sru",
    "deficit_sru",
)
SCHEMES = ("quantiles", "fisherjenks", "equalinterval", "naturalbreaks", "jenkscaspall")


def _check_indicator(value: str) -> str:
    if value not in INDICATORS:
        raise fail(
            f"--indicator « {value} » inconnu ; choisissez l'un de : {', '.join(INDICATORS)}."
        )
    return value


def _check_scheme(value: str) -> str:
    if value not in SCHEMES:
        raise fail(f"--scheme « {value} » inconnu ; choisissez l'un de : {', '.join(SCHEMES)}.")
    return value


def _check_k(value: int) -> int:
    if not 2 <= value <= 9:
        raise fail(f"--k {value} : de 2 à 9 classes.")
    return value


@app.command("map")
@command
def map_(
    indicator: Annotated[
        str,
        typer.Option(
            "--indicator",
            help="Indicateur par commune à cartographier (ex. nb_lls, part_territoire).",
            callback=_check_indicator,
        ),
    ] = "nb_lls",
    epci: Epci = DEFAULT_EPCI,
    scheme: Annotated[
        str,
        typer.Option(
            help="Classification : quantiles, fisherjenks, equalinterval.", callback=_check_scheme
        ),
    ] = "quantiles",
    k: Annotated[int, typer.Option(help="Nombre de classes (2 à 9).", callback=_check_k)] = 5,
    parc: Parc = None,
    millesime: Millesime = None,
    data_dir: DataDir = None,
    out: Annotated[Path, out_option("--out", "Répertoire des cartes.")] = Path("maps"),
) -> None:
    """Cartographie un indicateur par commune : carte interactive HTML autonome et carte PNG/PDF.

    Écrit <out>/<siren>/<indicateur>.html (s'ouvre sans réseau), .png (300 dpi) et .pdf.
    """
    from peuplement.maps import Layer, interactive_map, save_figure, save_map, static_map

    with steps(4) as step:
        step("Chargement du territoire et du parc")
        stock_path = parc or default_stock(epci)
        if stock_path is None:
            from peuplement.cli._missing import map_without_stock

            map_without_stock(epci, data_dir, out, scheme=scheme, k=k, indicator=indicator)
            return
        inputs = Inputs()
        terr = load_territory(epci, data_dir)
        stock, report = load_stock(stock_path, millesime)
        inputs.account(report)
        communes = commune_concentration(terr.align(stock).inside)
        choices = [
            c
            for c in communes.columns
            if pd.api.types.is_numeric_dtype(communes[c]) and c not in ("ligne", "rang")
        ]
        if indicator not in choices:
            raise PeuplementError(
                f"indicateur « {indicator} » absent des données ; disponibles : {', '.join(choices)}"
            )
        label = column_label(indicator)
        percent = indicator in _PERCENT_COLUMNS
        title = f"{label} — {terr.name}"
        folder = out / terr.slug
        layer = Layer(communes, indicator, label, percent=percent, tooltip=labels(["nb_lls"]))
        step("Carte interactive")
        html_path = save_map(
            interactive_map(terr, [layer], scheme=scheme, k=k, title=title, source=_SOURCE),
            folder / f"{indicator}.html",
        )
        step("Cartes statiques (PNG 300 dpi, PDF)")
        figures = save_figure(
            static_map(
                terr,
                communes,
                indicator,
                label=label,
                percent=percent,
                scheme=scheme,
                k=k,
                title=title,
                source=f"{_SOURCE} ; contours IGN, INSEE (COG {terr.cog}) ; "
                f"QPV {terr.qpv_generation} (ANCT)",
            ),
            folder / f"{indicator}.png",
        )
        step("Terminé")
    say(
        f"Carte interactive : {html_path} ({html_path.stat().st_size // 1024} Ko, autonome, sans réseau)"
    )
    say("Cartes statiques : " + ", ".join(str(p) for p in figures))
    inputs.finish(output_dir(folder))
