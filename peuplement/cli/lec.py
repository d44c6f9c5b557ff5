"""``peuplement lec``: the attribution objectives of the loi Égalité et Citoyenneté."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError, PeuplementError
from peuplement._report_html import RESERVATAIRE_NAMES
from peuplement.cli._app import app, command, console, say, table
from peuplement.cli._common import (
    ATTRIBUTION_COLUMNS,
    Annee,
    DataDir,
    Epci,
    Inputs,
    Out,
    Seuil,
    input_option,
    parse_generation,
    parse_share,
    require_rows,
)
from peuplement.export import output_dir, write_csv
from peuplement.fmt import fmt_count, fmt_pct
from peuplement.lec import LecStatus, Thresholds
from peuplement.secrecy import (
    SECRET,
    SECRET_THRESHOLD,
    diffusion,
    lec_tables,
    mark_internal,
    public_rejections,
    secrecy_sentence,
)
from peuplement.validation import LoadReport

if TYPE_CHECKING:
    import geopandas as gpd

_OBJECTIFS = {
    "A": "A (hors QPV)",
    "A_hors_relogement": "A sans relog.",
    "B": "B (en QPV)",
    "prioritaires": "Prioritaires",
}
_COLOURS = {LecStatus.ATTEINT.value: "green", LecStatus.NON_ATTEINT.value: "red"}
_QPV_SOURCES = {
    2015: "périmètres officiels 2015 (décret 2014-1750, ANCT QP_METROPOLE_LB93)",
    2024: "périmètres officiels 2024 (décret 2023-1314, ANCT QP2024, extrait de 3 EPCI) "
    "et liste ANCT des codes par commune (incomplète)",
}


def _cell(row: pd.Series) -> Text:
    rate, missing = row["taux"], row["attributions_manquantes"]
    text = SECRET if pd.isna(rate) else fmt_pct(float(rate))
    if not (pd.isna(missing) or missing == 0):
        text += f" (+{int(missing)})"
    return Text(text, style=_COLOURS.get(str(row["statut"]), "yellow"))


def lec_view(lec_table: pd.DataFrame, title: str, *, epci_name: str | None = None) -> Table:
    """One row per EPCI and réservataire, one column per objective: rate, colour by status.

    The EPCI's row is named ``epci_name`` (as the report names it), by default after its
    SIREN in the COG 2025.
    """
    from peuplement.io.communes import epci_label

    rows = lec_table[lec_table["niveau"].isin(["epci", "reservataire"])]
    view = table(
        title,
        caption="taux (attributions manquantes pour atteindre la cible) ; jaune : sans objectif légal ou secret",
    )
    view.add_column("unité")
    cols = [c for c in _OBJECTIFS if c in set(rows["objectif"])]
    for c in cols:
        view.add_column(_OBJECTIFS[c], justify="right")
    for (niveau, unite), group in rows.groupby(["niveau", "unite"], sort=False):
        by_objective = {str(row["objectif"]): _cell(row) for _, row in group.iterrows()}
        cells = [by_objective.get(c, Text("")) for c in cols]
        if niveau == "epci":
            name = epci_name or epci_label(str(unite), with_siren=False)
        else:
            name = RESERVATAIRE_NAMES.get(str(unite), str(unite))
        view.add_row(Text(name), *cells)
    return view


@dataclass
class _Qpv:
    """What the QPV side of the classification uses, and how to say it."""

    generation: int
    perimeters: gpd.GeoDataFrame | None
    codes: set[str]
    complete: bool
    source: str


def _qpv_context(
    epci: str, communes: list[str], generation: int, qpv_file: Path | None, data_dir: Path | None
) -> _Qpv:
    """Perimeters and code list of ``generation`` for the EPCI; perimeters ``None`` when missing."""
    from peuplement.io.qpv import load_qpv_list
    from peuplement.territory import Territory

    source = f"fichier fourni {qpv_file.name}" if qpv_file else _QPV_SOURCES[generation]
    try:
        layer: gpd.GeoDataFrame | None = Territory.from_epci(
            epci, qpv_generation=generation, qpv=qpv_file, data_dir=data_dir
        ).qpv
    except DataNotFoundError as exc:
        say(f"Périmètres QPV {generation} absents : {exc}", style="yellow")
        layer = None
    if qpv_file is not None:
        return _Qpv(
            generation, layer, set(layer["code_qpv"]) if layer is not None else set(), True, source
        )
    listed, complete = load_qpv_list(generation, data_dir=data_dir)
    codes = set(listed["code_qpv"]) | (set(layer["code_qpv"]) if layer is not None else set())
    if layer is not None and generation == 2024:
        of_epci = set(listed.loc[listed["code_insee"].isin(communes), "code_qpv"])
        lacking = sorted(of_epci - set(layer["code_qpv"]))
        if lacking:
            say(
                f"Périmètres QPV 2024 absents pour {len(lacking)} QPV de l'EPCI ({', '.join(lacking[:5])}) : "
                "les logements localisés par coordonnées seront rejetés ; passez --qpv FICHIER "
                "(fichier national de l'ANCT).",
                style="yellow",
            )
            layer = None
    return _Qpv(generation, layer, codes, complete, source)


def _inputs(
    attributions: Path | None,
    demandes: Path | None,
    epci: str,
    annee: int,
    data_dir: Path | None,
    inputs: Inputs,
) -> tuple[pd.DataFrame, pd.DataFrame | None, LoadReport, bool]:
    from peuplement.io import load_attributions, load_demandes
    from peuplement.synth import synth_default

    if attributions is None:
        if epci != DEFAULT_EPCI:
            from peuplement.cli._missing import lec_without_attributions

            raise lec_without_attributions(epci, annee, data_dir)
        dem, att = synth_default(annee=annee, data_dir=data_dir)
        report = LoadReport("attributions synthétiques")
        report.n_read = len(att)
        report.close(len(att))
        inputs.account(report)
        return att, dem, report, True
    att, report = require_rows(
        load_attributions(attributions, qpv_generation=None),
        attributions,
        option="--attributions",
        modele="attributions",
        columns=ATTRIBUTION_COLUMNS,
    )
    inputs.account(report)
    own = inputs.add(load_demandes(demandes)) if demandes is not None else None
    return att, own, report, False


def _own_applicants(
    dem: pd.DataFrame | None, communes: list[str], changes: dict[str, str]
) -> tuple[pd.DataFrame | None, int]:
    """The EPCI's own applicants (first wished commune in the EPCI) and the count left out."""
    if dem is None:
        return None, 0
    codes = dem["code_insee"].astype("string")
    codes = codes.where(~codes.isin(list(changes)) | codes.isin(communes), codes.map(changes))
    inside = codes.isin(communes)
    return dem[inside.to_numpy()], int((~inside).sum())


_LABELS = {
    "perimetre": "Périmètre",
    "annee": "Année",
    "generation_qpv": "Génération QPV",
    "seuil_q1": "Seuil du 1er quartile",
    "seuil_calcule": "Seuil calculé sur la demande de l'EPCI",
    "cibles": "Cibles A et B",
    "cibles_reservataires": "Cibles des réservataires",
    "mutations": "Mutations",
    "demandes_hors_perimetre": "Demandes hors périmètre (écartées du seuil calculé)",
}


def _context(**items: str) -> pd.DataFrame:
    """The statements every output carries, as a two-column table (element, valeur)."""
    return pd.DataFrame(
        {"element": [_LABELS.get(k, k) for k in items], "valeur": list(items.values())}
    )


def _mutations_line(classified: pd.DataFrame, mutations: str) -> str:
    if "mutation" not in classified.columns:
        return "non renseignées dans le fichier (aucune colonne mutation)"
    signed = classified[classified["bail_signe"].astype(bool)]
    n = int(signed["mutation"].fillna(False).astype(bool).sum())
    shown = f"moins de {SECRET_THRESHOLD}" if 0 < n < SECRET_THRESHOLD else fmt_count(n)
    verb = "incluses dans" if mutations == "inclure" else "exclues de"
    return f"{shown} mutation(s) interne(s) parmi les baux signés, {verb} tous les objectifs (--mutations {mutations})"


def _ab_line(opts: _Options) -> str:
    from peuplement.lec import rules

    r = rules(opts.annee)
    a = float(r["cible_a"]) if opts.cible_a is None else opts.cible_a
    b = float(r["cible_b"]) if opts.cible_b is None else opts.cible_b
    given = opts.cible_a is not None or opts.cible_b is not None
    source = "--cible-a / --cible-b (CIA, CIL)" if given else str(r["reference"])
    return f"A {fmt_pct(a)}, B {fmt_pct(b)} ({source})"


#: How the parameters line names each kind of réservataire of ``RESERVATAIRE_RULES``.
_KIND_NAMES = {
    "collectivite": "collectivités",
    "action_logement": "Action Logement",
    "bailleur": "bailleur (contingent propre)",
    "etat": "État",
    "etat_fonctionnaires": "État (agents civils et militaires)",
    "autre": "autres réservataires",
}


def _targets_line(engagements: pd.DataFrame | None, annee: int) -> str:
    from peuplement.lec import RESERVATAIRE_RULES

    parts = [
        f"{_KIND_NAMES.get(str(kind), str(kind))} : "
        f"{'aucune' if pd.isna(r.cible_prioritaires) else fmt_pct(float(r.cible_prioritaires))} ({r.reference})"
        for kind, r in RESERVATAIRE_RULES.iterrows()
    ]
    text = "prioritaires par type de réservataire — " + " ; ".join(parts)
    if engagements is not None and (engagements["annee"] == annee).any():
        text += f" ; remplacées par {int((engagements['annee'] == annee).sum())} engagement(s) de la CIA"
    return text


@dataclass
class _Options:
    epci: str
    annee: int
    seuil: float | None
    cible_a: float | None
    cible_b: float | None
    qpv_generation: int | None
    qpv: Path | None
    engagements: Path | None
    mutations: str
    secret: bool
    data_dir: Path | None


def _thresholds(opts: _Options, dem: pd.DataFrame | None) -> Thresholds:
    from peuplement import lec as rules_lec

    try:
        official = rules_lec.read_official(opts.data_dir)
    except DataNotFoundError as exc:
        if opts.seuil is None and dem is None:
            raise
        say(
            f"Seuils officiels absents ({exc.__class__.__name__}) : seuil imposé ou calculé.",
            style="yellow",
        )
        official = None
    return rules_lec.thresholds(
        opts.epci, opts.annee, official=official, demandes=dem, seuil=opts.seuil
    )


def run_lec(
    attributions: Path | None, demandes: Path | None, opts: _Options
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, Inputs, bool]:
    """Run the single-EPCI analysis; return the tables to write, the context and the inputs' accounting."""
    from peuplement import lec as rules_lec
    from peuplement.io.communes import epci_communes, epci_label, load_code_changes
    from peuplement.io.sne import load_engagements

    communes = epci_communes(opts.epci)
    changes = dict(
        load_code_changes()[["code_ancien", "code_insee"]].itertuples(index=False, name=None)
    )
    generation = opts.qpv_generation or rules_lec.qpv_generation_in_force(opts.annee)
    inputs = Inputs()
    att, dem, report, synthetic = _inputs(
        attributions, demandes, opts.epci, opts.annee, opts.data_dir, inputs
    )
    dem, dem_outside = _own_applicants(dem, communes, changes)
    th = _thresholds(opts, dem)
    qpv = _qpv_context(opts.epci, communes, generation, opts.qpv, opts.data_dir)
    classified = rules_lec.classify(
        att, q1=th.q1, q2=th.q2, q3=th.q3, qpv=qpv.perimeters, annee=opts.annee, report=report,
        communes=communes, code_changes=changes, siren=opts.epci, qpv_generation=generation,
        qpv_codes=qpv.codes, qpv_list_complete=qpv.complete,
    )  # fmt: skip
    commitments = load_engagements(opts.engagements).data if opts.engagements else None
    # Every table of the run is protected together and audited before anything is written.
    published = lec_tables(
        classified, annee=opts.annee, siren=opts.epci, secret=opts.secret, cible_a=opts.cible_a,
        cible_b=opts.cible_b, engagements=commitments, mutations=opts.mutations,
    )  # fmt: skip
    lec_table = published["lec"]
    seuil = f"{fmt_count(th.q1)} € par UC et par an ({th.source})"
    computed = (
        "sans objet (pas de demandes)" if th.q1_calcule is None else f"{fmt_count(th.q1_calcule)} €"
    )
    reasons = (
        report.rejections.groupby("motif")["ligne"].nunique()
        if len(report.rejections)
        else pd.Series(dtype=int)
    )
    context = _context(
        perimetre=f"{epci_label(opts.epci)} : {len(communes)} communes (COG 2025 ; anciens codes rattachés)",
        annee=str(opts.annee),
        generation_qpv=f"{generation} ({'imposée par --qpv-generation' if opts.qpv_generation else 'en vigueur en ' + str(opts.annee)}) — {qpv.source}",
        seuil_q1=seuil,
        seuil_calcule=computed,
        cibles=_ab_line(opts),
        cibles_reservataires=_targets_line(commitments, opts.annee),
        mutations=_mutations_line(classified, opts.mutations),
        demandes_hors_perimetre=str(dem_outside),
        **{f"rejets : {motif}": str(int(n)) for motif, n in reasons.items()},
    )
    tables = {
        f"lec_{opts.annee}": lec_table,
        f"lec_{opts.annee}_quartiles": published["quartiles"],
        f"lec_{opts.annee}_parametres": context,
    }
    if commitments is not None:
        tables[f"lec_{opts.annee}_engagements"] = rules_lec.commitments_vs_achieved(lec_table)
    return tables, context, inputs, synthetic


_Attributions = Annotated[
    Path | None,
    input_option(
        "--attributions",
        "Attributions de l'année (format plat SNE). Défaut : données synthétiques du territoire par défaut.",
    ),
]
_Demandes = Annotated[
    Path | None,
    input_option(
        "--demandes",
        "Demandes en attente au 31/12/N−1 (seuil calculé sur les demandeurs de l'EPCI).",
    ),
]
_Seuil = Seuil
_CibleA = Annotated[
    float | None,
    typer.Option(
        "--cible-a",
        help="Cible de l'objectif A si la CIA en a fixé une autre (part, ex. 0,25, ou 25 %).",
        parser=lambda v: parse_share(v, "--cible-a"),
    ),
]
_CibleB = Annotated[
    float | None,
    typer.Option(
        "--cible-b",
        help="Cible de l'objectif B si la CIL en a fixé une autre que 50 % (0,4 ou 40 %).",
        parser=lambda v: parse_share(v, "--cible-b"),
    ),
]
_Generation = Annotated[
    int | None,
    typer.Option(
        "--qpv-generation",
        help="Génération des QPV : 2015 ou 2024 (défaut : celle en vigueur dans l'année).",
        parser=parse_generation,
    ),
]
_QpvFile = Annotated[
    Path | None,
    input_option(
        "--qpv",
        "Fichier officiel des périmètres QPV de la génération (GeoJSON, GeoPackage, shapefile).",
    ),
]
_Engagements = Annotated[
    Path | None,
    input_option(
        "--engagements",
        "Engagements de la CIA par bailleur / réservataire et année (CSV, voir README).",
    ),
]
_Mutations = Annotated[
    str, typer.Option(help="Mutations internes : inclure ou exclure des objectifs.")
]
_AllFrance = Annotated[
    bool,
    typer.Option(
        "--all-france", help="Tous les EPCI en une passe, chacun avec son seuil officiel."
    ),
]
_Secret = Annotated[
    bool,
    typer.Option(
        "--secret/--sans-secret",
        help="Secret statistique (cellules de moins de 11 ménages masquées).",
    ),
]


@app.command()
@command
def lec(
    attributions: _Attributions = None,
    demandes: _Demandes = None,
    epci: Epci = DEFAULT_EPCI,
    annee: Annee = 2026,
    seuil: _Seuil = None,
    cible_a: _CibleA = None,
    cible_b: _CibleB = None,
    qpv_generation: _Generation = None,
    qpv: _QpvFile = None,
    engagements: _Engagements = None,
    mutations: _Mutations = "inclure",
    all_france: _AllFrance = False,
    secret: _Secret = True,
    data_dir: DataDir = None,
    out: Out = Path("data/processed"),
) -> None:
    """Calcule les objectifs d'attribution de la loi Égalité et Citoyenneté (A, B, publics prioritaires).

    Par EPCI, commune, bailleur, réservataire et bailleur × réservataire : numérateur,
    dénominateur, taux, cible, écart, attributions manquantes et statut. Écrit dans
    <out>/<siren>/ lec_<annee>.csv, _quartiles.csv, _parametres.csv (périmètre, génération
    QPV, seuil, cibles et leurs sources, mutations, rejets par motif), avec --engagements
    _engagements.csv (engagement contre réalisé), et _rejets_usage_interne.csv (lignes
    rejetées : fichier, ligne, colonne, motif, sans identifiant de ménage). Secret
    statistique : aucun chiffre sur moins de 11 ménages, ni calculable à partir des
    tableaux publiés, vérifié par un audit avant l'écriture ; avec --sans-secret, les
    fichiers sont marqués « usage interne » (nom et colonne diffusion).
    """
    if mutations not in ("inclure", "exclure"):
        raise PeuplementError(f"--mutations {mutations!r} : attendu « inclure » ou « exclure »")
    if qpv_generation not in (None, 2015, 2024):
        raise PeuplementError(f"--qpv-generation {qpv_generation} : attendu 2015 ou 2024")
    if all_france:
        from peuplement.cli.national import lec_france_run

        lec_france_run(attributions, annee, secret, data_dir, out)
        return
    opts = _Options(
        epci,
        annee,
        seuil,
        cible_a,
        cible_b,
        qpv_generation,
        qpv,
        engagements,
        mutations,
        secret,
        data_dir,
    )
    tables, context, inputs, synthetic = run_lec(attributions, demandes, opts)
    folder = output_dir(out / epci)
    mark = diffusion(secret=secret)
    for name, frame in tables.items():
        if name.endswith("_rejets"):
            write_csv(public_rejections(frame), folder / f"{name}_usage_interne.csv")
        elif name.endswith("_parametres"):
            write_csv(frame, folder / mark_internal(f"{name}.csv", secret=secret))
        else:
            write_csv(
                frame.assign(diffusion=mark), folder / mark_internal(f"{name}.csv", secret=secret)
            )
    from peuplement.io.communes import epci_label

    title = f"Objectifs LEC {annee} — {epci_label(epci)}" + (
        " — DONNÉES SYNTHÉTIQUES" if synthetic else ""
    )
    console.print(lec_view(tables[f"lec_{annee}"], title))
    for element, valeur in context.itertuples(index=False):
        say(f"{element} : {valeur}")
    say(secrecy_sentence(secret=secret), style=None if secret else "bold red")
    inputs.finish(folder, f"lec_{annee}_rejets_usage_interne.csv")
    say(f"Écrit dans {folder}/")
