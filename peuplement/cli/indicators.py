"""``peuplement indicators``: concentration of the stock per commune, landlord and EPCI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError
from peuplement.cli._app import add_row, app, command, console, say, table
from peuplement.cli._common import (
    DataDir,
    Epci,
    Inputs,
    Millesime,
    Out,
    Parc,
    Sru,
    default_stock,
    input_option,
    load_stock,
    load_territory,
    record_renamed,
    require_rows,
)
from peuplement.datasets import get_path
from peuplement.export import output_dir, write_csv
from peuplement.fmt import fmt_count, fmt_fr, fmt_pct
from peuplement.indicators import (
    DICTIONARY,
    commune_concentration,
    landlord_concentration,
    territory_concentration,
)
from peuplement.io import load_parc_bailleurs

if TYPE_CHECKING:
    from peuplement.territory import Territory


def qpv_table(terr: Territory, data_dir: Path | None) -> pd.DataFrame:
    """QPV of the territory: communes covered, area and population (INSEE 2013) when available."""
    from peuplement.io.reference import load_qpv_population

    qpv: pd.DataFrame = terr.qpv[["code_qpv", "nom_qpv", "codes_insee"]].copy()
    qpv["surface_km2"] = terr.qpv.geometry.area.to_numpy() / 1e6
    if terr.qpv_generation == 2015:
        try:
            population = load_qpv_population(data_dir=data_dir).data[["code_qpv", "population"]]
            qpv = qpv.merge(population, on="code_qpv", how="left")
        except DataNotFoundError as exc:
            say(f"Population des QPV indisponible : {exc}", style="yellow")
    return qpv


@app.command()
@command
def indicators(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    parc: Parc = None,
    bailleurs: Annotated[
        Path | None,
        input_option("--bailleurs", "Parc social par bailleur, éventuellement par commune."),
    ] = None,
    millesime: Millesime = None,
    sru: Sru = 0.20,
    all_france: Annotated[
        bool,
        typer.Option(
            "--all-france", help="Toute la France en une passe depuis le RPLS national (--rpls)."
        ),
    ] = False,
    rpls: Annotated[
        Path | None,
        input_option(
            "--rpls",
            "RPLS national par logement : CSV officiel ou Parquet de « peuplement ingest ».",
        ),
    ] = None,
) -> None:
    """Calcule les indicateurs de concentration du parc social par commune, bailleur et EPCI.

    Les chiffres sont analysés sur le périmètre des données (pour le territoire par défaut :
    les 21 communes de 2014) ; les communes sorties depuis de l'EPCI sont signalées.
    Écrit indicators_commune.csv, indicators_bailleur.csv, indicators_epci.csv et
    dictionnaire.csv dans <out>/<siren>/.
    """
    if all_france:
        from peuplement.cli.national import indicators_france_run

        indicators_france_run(rpls, millesime, out)
        return
    stock_path = parc or default_stock(epci)
    landlord_path = bailleurs or (
        get_path("coeur_ostrevent/parc_bailleurs_2014") if epci == DEFAULT_EPCI else None
    )
    if stock_path is None:
        from peuplement.cli._missing import indicators_without_stock

        indicators_without_stock(epci, data_dir, out)
        return
    inputs = Inputs()
    terr = load_territory(epci, data_dir)
    stock, report = load_stock(stock_path, millesime)
    inputs.account(report)
    split = terr.align(stock, value="nb_lls")
    record_renamed(split, report)
    # Figures analysed on the data's perimeter, every commune under its COG name; a commune
    # that has left the EPCI since is flagged, with its current EPCI.
    pop = terr.communes[["code_insee", "population"]]
    stock = (
        split.both()
        .drop(columns="ligne")
        .merge(pop, on="code_insee", how="left")
        .assign(siren_epci=epci)
    )
    folder = output_dir(out / terr.slug)
    write_csv(
        commune_concentration(stock, by="siren_epci", sru_target=sru),
        folder / "indicators_commune.csv",
    )
    landlords = None
    if landlord_path is not None:
        landlords = inputs.add(
            require_rows(
                load_parc_bailleurs(landlord_path, millesime=millesime),
                landlord_path,
                option="--bailleurs",
                modele="bailleurs",
                columns="bailleur, code_insee et nb_lls",
            )
        )
        landlords = landlords.drop(columns="ligne").assign(siren_epci=epci)
        write_csv(
            landlord_concentration(landlords, by="siren_epci"), folder / "indicators_bailleur.csv"
        )
    epci_table = territory_concentration(stock, landlords=landlords, by="siren_epci").reset_index()
    write_csv(epci_table, folder / "indicators_epci.csv")
    write_csv(DICTIONARY, folder / "dictionnaire.csv")
    if len(terr.qpv):
        write_csv(qpv_table(terr, data_dir), folder / "indicators_qpv.csv")
    row = epci_table.iloc[0]
    view = table(f"{terr.name} : concentration du parc social", show_header=False)
    add_row(view, "Logements sociaux (périmètre des données)", fmt_count(row["nb_lls"]))
    add_row(view, "Hors périmètre actuel", split.summary())
    add_row(view, "Part des 5 premières communes", fmt_pct(row["part_top5_communes"]))
    add_row(view, "Gini du parc entre communes", fmt_fr(row["gini_communes"], digits=3))
    if landlords is not None:
        add_row(view, "Bailleurs présents", f"{int(row['nb_bailleurs'])}")
        add_row(view, "Part du premier bailleur", fmt_pct(row["part_premier_bailleur"]))
        add_row(view, "Part des 3 premiers bailleurs", fmt_pct(row["part_3_premiers_bailleurs"]))
        add_row(view, "Herfindahl-Hirschman (bailleurs)", fmt_fr(row["hhi_bailleurs"], digits=3))
    add_row(
        view,
        "Secret statistique",
        "sans objet : comptes de logements (RPLS public), aucune donnée de ménage",
    )
    console.print(view)
    inputs.finish(folder)
    say(f"Écrit dans {folder}/")
