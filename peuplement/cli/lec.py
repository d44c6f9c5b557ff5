"""``peuplement lec``: the attribution objectives of the loi Égalité et Citoyenneté."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, console, say, table
from peuplement.cli._common import DataDir, Epci, Out, load_territory
from peuplement.export import output_dir, write_csv
from peuplement.fmt import fmt_count, fmt_pct
from peuplement.validation import LoadReport

_OBJECTIFS = {
    "A": "A (hors QPV)",
    "A_hors_relogement": "A sans relog.",
    "B": "B (en QPV)",
    "prioritaires": "Prioritaires",
}
_COLOURS = {"atteint": "green", "non atteint": "red"}


def _cell(row: pd.Series) -> Text:
    rate, missing = float(row["taux"]), float(row["attributions_manquantes"])
    text = "secret" if math.isnan(rate) else fmt_pct(rate)
    if not (math.isnan(missing) or missing == 0):
        text += f" (+{int(missing)})"
    return Text(text, style=_COLOURS.get(str(row["statut"]), "yellow"))


def lec_view(lec_table: pd.DataFrame, title: str) -> Table:
    """One row per EPCI and réservataire, one column per objective: rate, colour by status."""
    rows = lec_table[lec_table["niveau"].isin(["epci", "reservataire"])]
    view = table(title, caption="taux (attributions manquantes pour atteindre la cible)")
    view.add_column("unité")
    cols = [c for c in _OBJECTIFS if c in set(rows["objectif"])]
    for c in cols:
        view.add_column(_OBJECTIFS[c], justify="right")
    for (niveau, unite), group in rows.groupby(["niveau", "unite"], sort=False):
        by_objective = {str(row["objectif"]): _cell(row) for _, row in group.iterrows()}
        cells = [by_objective.get(c, Text("")) for c in cols]
        view.add_row(Text(f"EPCI {unite}" if niveau == "epci" else str(unite)), *cells)
    return view


@app.command()
@command
def lec(
    attributions: Annotated[
        Path | None,
        typer.Option(
            help="Attributions de l'année (format plat SNE). Défaut : données synthétiques du territoire par défaut."
        ),
    ] = None,
    demandes: Annotated[
        Path | None,
        typer.Option(
            help="Demandes en attente au 31/12/N−1 (pour le seuil calculé et les scénarios)."
        ),
    ] = None,
    epci: Epci = DEFAULT_EPCI,
    annee: Annotated[int, typer.Option(help="Année analysée.")] = 2026,
    seuil: Annotated[
        float | None, typer.Option(help="Seuil du premier quartile imposé (€ par UC et par an).")
    ] = None,
    cible_b: Annotated[
        float | None,
        typer.Option(help="Cible de l'objectif B si la CIL en a fixé une autre que 50 %."),
    ] = None,
    qpv_generation: Annotated[int, typer.Option(help="Génération des QPV : 2015 ou 2024.")] = 2015,
    all_france: Annotated[
        bool,
        typer.Option(
            "--all-france", help="Tous les EPCI en une passe, chacun avec son seuil officiel."
        ),
    ] = False,
    secret: Annotated[
        bool,
        typer.Option(
            "--secret/--sans-secret",
            help="Secret statistique (cellules de moins de 11 ménages masquées).",
        ),
    ] = True,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
) -> None:
    """Calcule les objectifs d'attribution de la loi Égalité et Citoyenneté (A, B, publics prioritaires).

    Par EPCI, commune, bailleur, réservataire et bailleur × réservataire : numérateur,
    dénominateur, taux, cible, écart, attributions manquantes et statut. Écrit
    lec_<annee>.csv, lec_<annee>_quartiles.csv et lec_<annee>_rejets.csv dans <out>/<siren>/.
    """
    from peuplement import lec as rules_lec
    from peuplement.io import load_attributions, load_demandes
    from peuplement.synth import synth_default

    if all_france:
        from peuplement.cli.national import lec_france_run

        lec_france_run(attributions, annee, secret, data_dir, out)
        return
    synthetic = attributions is None
    dem: pd.DataFrame | None
    if attributions is None:
        if epci != DEFAULT_EPCI:
            raise PeuplementError(f"no attributions file for EPCI {epci}: pass --attributions FILE")
        dem, att = synth_default(annee=annee, data_dir=data_dir)
        report = LoadReport("attributions synthétiques")
        report.n_read = len(att)
        report.close(len(att))
    else:
        att, report = load_attributions(attributions, qpv_generation=qpv_generation)
        dem = load_demandes(demandes).data if demandes is not None else None
    qpv = None
    if not synthetic and "x" in att.columns and att["x"].notna().any():
        qpv = load_territory(epci, data_dir).qpv
    th = rules_lec.thresholds(
        epci, annee, official=rules_lec.read_official(data_dir), demandes=dem, seuil=seuil
    )
    classified = rules_lec.classify(
        att, q1=th.q1, q2=th.q2, q3=th.q3, qpv=qpv, annee=annee, report=report
    )
    lec_table = rules_lec.lec_indicators(
        classified, annee=annee, siren=epci, cible_b=cible_b, secret=secret
    )
    folder = output_dir(out / epci)
    write_csv(lec_table, folder / f"lec_{annee}.csv")
    write_csv(rules_lec.quartile_distribution(classified), folder / f"lec_{annee}_quartiles.csv")
    write_csv(report.rejections, folder / f"lec_{annee}_rejets.csv")
    title = f"Objectifs LEC {annee} — EPCI {epci}" + (
        " — DONNÉES SYNTHÉTIQUES" if synthetic else ""
    )
    console.print(lec_view(lec_table, title))
    line = f"Seuil du 1er quartile : {fmt_count(th.q1)} € par UC ({th.source})"
    if th.q1_calcule is not None:
        line += f" ; calculé sur la demande : {fmt_count(th.q1_calcule)} €"
    say(line)
    if not secret:
        say("Secret statistique DÉSACTIVÉ : usage interne uniquement.", style="bold red")
    say(f"Lignes lues {report.n_read}, rejetées {report.n_rejected}. Écrit dans {folder}/")
