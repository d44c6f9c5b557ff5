"""``peuplement ingest`` and the national (``--all-france``) runs of ``indicators`` and ``lec``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peuplement._errors import PeuplementError
from peuplement.cli._app import app, command, console, say
from peuplement.cli._common import Out, QpvGeneration, check_input_file, parse_year
from peuplement.export import output_dir, write_csv, write_parquet
from peuplement.fmt import fmt_count


def _parquet_of(path: Path, millesime: int | None, out: Path) -> Path:
    """Return a national RPLS file as Parquet: ingested once from CSV, or used as it is."""
    from peuplement.io.national import ingest_rpls

    if path.suffix == ".parquet":
        return path
    if millesime is None:
        raise PeuplementError(
            f"--rpls {path} : un CSV du RPLS se convertit avec son millésime ; ajoutez "
            "--millesime AAAA (l'année du fichier), ou donnez le Parquet déjà écrit par "
            "« peuplement ingest »."
        )
    target = out / "france" / f"rpls_{millesime}.parquet"
    with console.status("Lecture du RPLS national…"):
        report = ingest_rpls(path, target, millesime=millesime)
    say(report.summary())
    return target


def indicators_france_run(rpls: Path | None, millesime: int | None, out: Path) -> None:
    """``peuplement indicators --all-france``: every commune, landlord and EPCI in one pass."""
    from peuplement.france import indicators_france

    if rpls is None:
        raise PeuplementError(
            "--all-france demande --rpls FICHIER : le RPLS national, en CSV ou en Parquet "
            "(écrit par « peuplement ingest »)."
        )
    parquet = _parquet_of(rpls, millesime, out)
    with console.status("Indicateurs de toutes les communes, bailleurs et EPCI…"):
        tables = indicators_france(parquet)
    folder = output_dir(out / "france")
    for name in ("commune", "bailleur", "epci"):
        write_parquet(tables[name], folder / f"indicators_{name}.parquet")
        write_csv(tables[name], folder / f"indicators_{name}.csv")
    epci = tables["epci"]
    say(
        f"France : {fmt_count(epci['nb_lls'].sum())} logements, {len(tables['commune'])} communes, "
        f"{len(epci)} EPCI, {tables['bailleur']['bailleur'].nunique()} bailleurs. Écrit dans {folder}/"
    )
    if len(tables["sans_epci"]):
        say(
            f"{len(tables['sans_epci'])} ligne(s) de communes sans EPCI, gardées sous « sans EPCI »."
        )


def lec_france_run(
    attributions: Path | None, annee: int, secret: bool, data_dir: Path | None, out: Path
) -> None:
    """``peuplement lec --all-france``: every EPCI bound by the law, each with its threshold."""
    from peuplement import lec as rules_lec
    from peuplement.france import lec_france
    from peuplement.io import load_attributions

    if attributions is None:
        raise PeuplementError(
            "--all-france demande --attributions FICHIER : l'extraction nationale des "
            "attributions du SNE (modèle : « peuplement modele attributions »)."
        )
    official = rules_lec.read_official(data_dir)
    with console.status("Lecture des attributions…"):
        att, report = load_attributions(attributions, annee=annee)
    with console.status("Objectifs de tous les EPCI…"):
        table, left_out = lec_france(att, official, annee=annee, secret=secret)
    from peuplement.secrecy import diffusion, mark_internal, secrecy_sentence

    folder = output_dir(out / "france")
    table = table.assign(diffusion=diffusion(secret=secret))
    write_parquet(table, folder / mark_internal(f"lec_{annee}.parquet", secret=secret))
    write_csv(table, folder / mark_internal(f"lec_{annee}.csv", secret=secret))
    epci = table[(table["niveau"] == "epci") & (table["objectif"] == "A")]
    met = int((epci["statut"] == rules_lec.LecStatus.ATTEINT).sum())
    say(
        f"{report.summary()}\nObjectif A {annee} : atteint dans {met} EPCI sur {len(epci)} ; "
        f"{len(left_out)} attribution(s) dans des EPCI sans seuil officiel, non jugées. Écrit dans {folder}/"
    )
    say(secrecy_sentence(secret=secret), style=None if secret else "bold red")


@app.command()
@command
def ingest(
    rpls: Annotated[
        Path,
        typer.Argument(
            help="Fichier RPLS national par logement (CSV officiel).", callback=check_input_file
        ),
    ],
    millesime: Annotated[
        int, typer.Option(help="Millésime du fichier RPLS.", parser=parse_year("--millesime"))
    ],
    out: Out = Path("data/processed"),
    qpv_generation: QpvGeneration = 2015,
) -> None:
    """Convertit une fois le RPLS national (CSV) en Parquet, ligne par ligne avec les règles du chargeur.

    Écrit <out>/france/rpls_<millesime>.parquet et les lignes rejetées (ligne, colonne,
    valeur, motif) dans rpls_<millesime>_rejets.parquet.
    """
    from peuplement.io.national import ingest_rpls

    with console.status("Lecture du RPLS national…"):
        report = ingest_rpls(
            rpls,
            output_dir(out / "france") / f"rpls_{millesime}.parquet",
            millesime=millesime,
            qpv_generation=qpv_generation,
        )
    say(report.summary())
    for reason, n in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
        say(f"  rejet : {reason} ({fmt_count(n)})")
    for repair, n in report.repairs.items():
        say(f"  réparé : {repair} ({fmt_count(n)})")


@app.command()
@command
def trends(
    rpls: Annotated[
        list[Path],
        typer.Argument(help="RPLS nationaux en Parquet (« peuplement ingest »), un par millésime."),
    ],
    out: Out = Path("data/processed"),
) -> None:
    """Indicateurs de toutes les communes, bailleurs et EPCI pour plusieurs millésimes, en une passe.

    Écrit <out>/france/indicators_<niveau>_millesimes.csv (un millésime par ligne) et
    evolution_<niveau>.csv (écart avec le millésime précédent de la même unité).
    """
    from peuplement.france import indicators_france_years

    if len(rpls) < 2:
        raise PeuplementError(
            f"trends compare des millésimes : {len(rpls)} fichier donné, il en faut au moins 2 "
            "(un Parquet par millésime, écrit par « peuplement ingest »)"
        )
    with console.status(f"Indicateurs de {len(rpls)} millésimes en une passe…"):
        tables = indicators_france_years(rpls)
    folder = output_dir(out / "france")
    for level in ("commune", "bailleur", "epci"):
        write_csv(tables[level], folder / f"indicators_{level}_millesimes.csv")
        write_csv(tables[f"evolution_{level}"], folder / f"evolution_{level}.csv")
    years = sorted(tables["epci"]["millesime"].unique())
    say(
        f"Millésimes {', '.join(map(str, years))} : {len(tables['commune'])} lignes commune × "
        f"millésime, {len(tables['evolution_epci'])} évolutions d'EPCI. Écrit dans {folder}/"
    )
