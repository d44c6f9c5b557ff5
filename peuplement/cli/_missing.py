"""What ``map``, ``indicators`` and ``lec`` do for an EPCI whose files are not given.

Each does what the reference data allow (a map of communes, QPV and incomes; the
communes and QPV tables; the official thresholds) and then prints the "À ajouter"
cards of :mod:`peuplement.plan`: the official source, its URL, the expected format, the
exact command line and the template. ``lec`` cannot compute any objective without
attributions: it ends on a French message and exit code 2, never on a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from peuplement._errors import PeuplementError
from peuplement.cli._app import add_row, console, say, table
from peuplement.cli._common import load_territory
from peuplement.export import output_dir, write_csv
from peuplement.fmt import fmt_count
from peuplement.plan import Plan, plan

__all__ = ["indicators_without_stock", "lec_without_attributions", "map_without_stock", "say_cards"]


def _rows(seuils: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    """Return (year, amounts…) tuples of a thresholds table, amounts as floats."""
    values: list[list[Any]] = [seuils["annee"].astype(int).tolist()]
    values += [seuils[c].astype(float).tolist() for c in columns]
    return list(zip(*values, strict=True))


def say_cards(p: Plan) -> int:
    """Print every "À ajouter" card of a plan; return how many.

    Parameters
    ----------
    p
        The plan of the command.

    Returns
    -------
    int
        The number of cards printed.
    """
    cards = p.cards()
    if cards:
        say(f"Ce qui manque pour « peuplement {p.command} » ({len(cards)}) :", style="yellow")
    for card in cards:
        for line in card.lines():
            say(line)
    return len(cards)


def map_without_stock(
    epci: str, data_dir: Path | None, out: Path, *, scheme: str, k: int, indicator: str
) -> None:
    """Map the communes by population (and income), with the QPV, then say what to add.

    Parameters
    ----------
    epci
        SIREN of the EPCI.
    data_dir
        Reference-data directory.
    out
        The maps folder (``--out``).
    scheme, k
        Classification of the commune layers.
    indicator
        The stock indicator asked for (it needs ``--parc``).
    """
    from peuplement.maps import save_figure, save_map, static_map
    from peuplement.partial_report import reference_communes, reference_map

    p = plan(epci, command="map", data_dir=data_dir)
    terr = load_territory(epci, data_dir)
    communes = reference_communes(terr, p, data_dir=data_dir)
    say(
        f"--indicator {indicator} demande le parc social par commune (--parc) : carte des "
        "communes, de leur population, de leurs revenus et des QPV à la place.",
        style="yellow",
    )
    folder = output_dir(out / terr.slug)
    html_path = save_map(reference_map(terr, communes), folder / "communes_qpv.html")
    column, label = "population", "Population municipale"
    if "mediane_uc" in communes.columns and communes["mediane_uc"].notna().any():
        column, label = "mediane_uc", "Revenu médian par UC (Filosofi 2019)"
    figures = save_figure(
        static_map(
            # Drawn under another name: the territory's own communes have a population column.
            terr, communes[["code_insee", column]].rename(columns={column: "valeur"}), "valeur",
            label=label, scheme=scheme, k=k,
            title=f"{label} — {terr.name}",
            source=f"INSEE (COG {terr.cog}{', Filosofi 2019' if column == 'mediane_uc' else ''}) ; "
            f"contours IGN ; QPV {terr.qpv_generation} (ANCT)",
        ),
        folder / f"{column}.png",
    )  # fmt: skip
    say(f"Carte interactive : {html_path} (communes, population, revenus, QPV ; sans réseau)")
    say("Carte statique : " + ", ".join(str(f) for f in figures))
    say_cards(p)


def indicators_without_stock(epci: str, data_dir: Path | None, out: Path) -> None:
    """Write the communes and QPV tables the reference data allow, then say what to add.

    Parameters
    ----------
    epci
        SIREN of the EPCI.
    data_dir
        Reference-data directory.
    out
        The output folder (``--out``).
    """
    from peuplement.cli.indicators import qpv_table
    from peuplement.partial_report import reference_communes

    p = plan(epci, command="indicators", data_dir=data_dir)
    terr = load_territory(epci, data_dir)
    folder = output_dir(out / terr.slug)
    communes = reference_communes(terr, p, data_dir=data_dir)
    write_csv(communes, folder / "communes_reference.csv")
    view = table(f"{terr.name} : données de référence", show_header=False)
    add_row(
        view, "Communes / habitants", f"{len(communes)} / {fmt_count(communes['population'].sum())}"
    )
    if len(terr.qpv):
        qpv = qpv_table(terr, data_dir)
        write_csv(qpv, folder / "indicators_qpv.csv")
        add_row(view, "Quartiers prioritaires 2015", f"{len(qpv)} QPV")
        if "population" in qpv.columns:
            add_row(view, "Habitants des QPV (INSEE 2013)", fmt_count(qpv["population"].sum()))
    if p.has("seuils_quartiles"):
        from peuplement.io.reference import load_seuils_quartiles

        seuils = load_seuils_quartiles(data_dir=data_dir).data
        own = seuils[seuils["siren_epci"] == epci].sort_values("annee")
        write_csv(own, folder / "seuils_quartiles.csv")
        for year, q1 in _rows(own, "q1_annuel_uc"):
            add_row(view, f"Seuil du premier quartile {year}", f"{fmt_count(q1)} €")
    console.print(view)
    say(f"Écrit dans {folder}/ : communes_reference.csv, indicators_qpv.csv, seuils_quartiles.csv")
    say_cards(p)


def lec_without_attributions(epci: str, annee: int, data_dir: Path | None) -> PeuplementError:
    """Print the EPCI's official thresholds and what is missing; return the error to raise.

    Parameters
    ----------
    epci
        SIREN of the EPCI.
    annee
        The year asked for.
    data_dir
        Reference-data directory.

    Returns
    -------
    PeuplementError
        The French message that ends the command (exit code 2).
    """
    p = plan(epci, command="lec", data_dir=data_dir)
    if p.has("seuils_quartiles"):
        from peuplement.io.reference import load_seuils_quartiles

        seuils = load_seuils_quartiles(data_dir=data_dir).data
        own = seuils[seuils["siren_epci"] == epci].sort_values("annee")
        for year, q1, q2, q3 in _rows(own, "q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc"):
            mark = " (année demandée)" if year == annee else ""
            say(
                f"Seuils officiels {year}{mark} : Q1 {fmt_count(q1)} €, Q2 {fmt_count(q2)} €, "
                f"Q3 {fmt_count(q3)} € par UC et par an"
            )
    else:
        say(f"Seuils officiels : {p.statuses['seuils_quartiles'].detail}", style="yellow")
    say_cards(p)
    card = p.card(p.sections[-1], "sne_attributions")
    return PeuplementError(
        f"aucun objectif d'attribution calculable pour l'EPCI {epci} sans le fichier des "
        f"attributions {annee} ({card.source.nom}, {card.source.url}, accès restreint) : "
        f"« {card.commande} » ; modèle vide : « {card.modele} »."
    )
