"""``peuplement territory``: communes, QPV and stock of one EPCI, written as GeoPackage and CSV."""

from __future__ import annotations

from pathlib import Path

from peuplement._config import DEFAULT_EPCI
from peuplement.cli._app import add_row, app, command, console, say, table
from peuplement.cli._common import (
    DataDir,
    Epci,
    Inputs,
    Millesime,
    Out,
    Parc,
    default_stock,
    load_stock,
    load_territory,
    record_renamed,
)
from peuplement.export import output_dir, write_csv, write_gpkg
from peuplement.fmt import fmt_count


@app.command()
@command
def territory(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    parc: Parc = None,
    millesime: Millesime = None,
) -> None:
    """Charge un territoire (communes, QPV, parc social) et l'écrit en GeoPackage et CSV.

    Écrit <out>/<siren>/territoire.gpkg (couches communes et qpv, Lambert-93),
    parc_communes.csv, hors_perimetre.csv et rejets_usage_interne.csv.
    """
    terr = load_territory(epci, data_dir)
    stock_path = parc or default_stock(epci)
    folder = output_dir(out / terr.slug)
    write_gpkg({"communes": terr.communes, "qpv": terr.qpv}, folder / "territoire.gpkg")
    summary = table(f"{terr.name} ({terr.siren})", show_header=False)
    add_row(summary, "Communes (COG 2025)", f"{len(terr.communes)}")
    add_row(summary, "Population municipale", fmt_count(terr.communes["population"].sum()))
    add_row(
        summary,
        f"QPV ({terr.qpv_generation})",
        f"{len(terr.qpv)} : {', '.join(terr.qpv['code_qpv'])}",
    )
    add_row(summary, "Communes en QPV", f"{len(terr.communes_qpv)}")
    inputs = Inputs()
    if stock_path is not None:
        stock, report = load_stock(stock_path, millesime)
        inputs.account(report)
        split = terr.align(stock, value="nb_lls")
        record_renamed(split, report)
        counts = terr.communes[["code_insee", "nom", "population"]].merge(
            split.inside.drop(columns=["ligne", "nom"], errors="ignore"),
            on="code_insee",
            how="left",
        )
        write_csv(counts, folder / "parc_communes.csv")
        write_csv(split.outside.drop(columns="ligne"), folder / "hors_perimetre.csv")
        add_row(summary, "Parc social (périmètre actuel)", fmt_count(split.inside["nb_lls"].sum()))
        add_row(summary, "Parc social (périmètre des données)", fmt_count(stock["nb_lls"].sum()))
        add_row(summary, "Hors périmètre", split.summary())
    else:
        add_row(
            summary,
            "Parc social",
            "non fourni : --parc FICHIER (modèle : « peuplement modele parc » ; le classeur "
            "resultats_rpls_<année>.xlsx du SDES est accepté avec --millesime)",
        )
    for note in terr.notes:
        add_row(summary, "Note", note)
    console.print(summary)
    inputs.finish(folder)
    say(f"Écrit dans {folder}/")
