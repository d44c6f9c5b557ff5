"""``peuplement tendances``: the observatoire over time (fragility of quartiers, comparisons, trends)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.cli._app import add_row, app, command, console, say, table
from peuplement.cli._common import DataDir, Epci, Out
from peuplement.export import output_dir, write_csv
from peuplement.fmt import fmt_count, fmt_fr, fmt_pct, fmt_signed

if TYPE_CHECKING:
    from peuplement.evolutions import Evolutions


def _signed(value: float, digits: int = 1) -> str:
    return fmt_signed(value, digits=digits)


@app.command()
@command
def tendances(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    annees: Annotated[
        str,
        typer.Option(
            help="Années du parc et des attributions SYNTHÉTIQUES (territoire par défaut), "
            "séparées par des virgules ; seuils officiels disponibles : 2024 à 2026."
        ),
    ] = "2024,2025,2026",
    derive_q1: Annotated[
        float,
        typer.Option(
            "--derive-q1",
            help="Dérive annuelle (synthétique) de la part du 1er quartile hors QPV, ex. 0,01.",
        ),
    ] = 0.0,
    seuil_points: Annotated[
        float,
        typer.Option(help="Hausse du taux de pauvreté (points) de la règle de fragilisation."),
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Graine du générateur synthétique.")] = 0,
) -> None:
    """Suit le territoire dans le temps : fragilité des QPV, comparaison avec le département.

    Fragilité des quartiers prioritaires (fichiers INSEE réels des QPV 2015, 2017–2022),
    indice composite et quartiers en voie de fragilisation ; comparaison avec le
    département, la région et la France (série départementale 2018–2022) ; pour le
    territoire par défaut, parc et attributions SYNTHÉTIQUES sur plusieurs années.
    Écrit les tableaux CSV dans <out>/<siren>/evolutions/.
    """
    try:
        years = tuple(int(y) for y in annees.replace(" ", "").split(",") if y)
    except ValueError as exc:
        raise PeuplementError(
            f"--annees {annees!r} : des années séparées par des virgules sont attendues "
            "(ex. --annees 2024,2025,2026)"
        ) from exc
    if not years or sorted(set(years)) != list(years):
        raise PeuplementError(f"--annees {annees!r} : années distinctes et croissantes attendues")
    if not 0.0 <= seuil_points <= 100.0:
        raise PeuplementError(f"--seuil-points {seuil_points} : un nombre de points entre 0 et 100")
    from peuplement.evolutions import compute_evolutions

    ev = compute_evolutions(
        epci, data_dir=data_dir, annees_synth=years, derive_q1=derive_q1,
        seuil_points=seuil_points, seed=seed,
    )  # fmt: skip
    folder = output_dir(out / ev.territory.slug / "evolutions")
    for name, frame in ev.tables().items():
        write_csv(frame, folder / f"{name}.csv")
    _print_fragility(ev)
    _print_comparison(ev)
    if ev.synthetic:
        say(
            f"Parc, demandes et attributions {years[0]}–{years[-1]} : DONNÉES SYNTHÉTIQUES.",
            style="bold yellow",
        )
    say(f"{len(ev.tables())} tableaux écrits dans {folder}/")


def _print_fragility(ev: Evolutions) -> None:
    f = ev.fragilisation
    grid = table(
        f"Taux de pauvreté des QPV de {ev.territory.name} (INSEE, diffusion "
        f"{int(f['annee_debut'].min())} → {int(f['annee_fin'].max())})",
        caption="points de pourcentage ; * : en voie de fragilisation",
    )
    for name in ("QPV", "quartier", "début", "fin", "variation", "indice"):
        grid.add_column(name, justify="left" if name in ("QPV", "quartier") else "right")
    for _, r in f.iterrows():
        mark = " *" if r["en_voie_de_fragilisation"] else ""
        add_row(
            grid, r["code_qpv"], r["nom_qpv"], fmt_pct(r["pauvrete_debut"]),
            fmt_pct(r["pauvrete_fin"]), _signed(r["variation_pauvrete_points"]) + mark,
            fmt_fr(r["indice_fin"], digits=2),
        )  # fmt: skip
    console.print(grid)
    say(str(f["regle"].iloc[0]))


def _print_comparison(ev: Evolutions) -> None:
    c = ev.comparaison
    ref = c[c["niveau"] != "EPCI"]
    latest = int(ref["annee"].max())
    rows = ref[ref["annee"] == latest].pivot_table(
        index="indicateur", columns="niveau", values="valeur", aggfunc="first"
    )
    from peuplement.evolutions import COMPARED_LABELS

    grid = table(f"Département, région et France en {latest} (série départementale)")
    grid.add_column("indicateur")
    levels = [n for n in ("département", "région", "France") if n in rows.columns]
    for n in levels:
        grid.add_column(n, justify="right")
    for ind, r in rows.iterrows():
        as_pct = str(ind).startswith("part_")
        add_row(
            grid,
            COMPARED_LABELS.get(str(ind), str(ind)),
            *[fmt_pct(r[n]) if as_pct else fmt_fr(r[n], digits=2) for n in levels],
        )
    console.print(grid)
    m = ev.revenus_epci.set_index("mesure").astype("float64").loc["mediane_uc"].to_dict()
    say(
        f"Revenu médian par UC de l'EPCI (Filosofi 2019) : {fmt_count(m['valeur'])} € ; EPCI "
        f"médian de France : {fmt_count(m['mediane_des_epci'])} € ; "
        f"{fmt_pct(m['part_epci_plus_bas'])} des EPCI ont un revenu médian plus bas."
    )
