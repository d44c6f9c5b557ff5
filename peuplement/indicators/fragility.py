"""Fragility of the quartiers: levels, changes, a composite index and the quartiers getting poorer.

Inputs are the INSEE thematic files of the 2015 QPV (:mod:`peuplement.io.insee_qpv`),
several diffusion years stacked. :func:`qpv_panel` joins the three themes into one row
per QPV and year; :func:`fragility_index` standardises each component against a
reference population of quartiers (by default, every QPV of France in the same year)
and averages them with stated weights; :func:`fragilisation` lists the quartiers whose
indicators worsened most and flags those "en voie de fragilisation" by a stated rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError, preview
from peuplement.indicators.trends import first_last_changes

__all__ = [
    "DEFAULT_COMPONENTS",
    "FRAGILISATION_RULE",
    "Component",
    "compare_levels",
    "fragilisation",
    "fragility_index",
    "qpv_panel",
]


@dataclass(frozen=True)
class Component:
    """One component of the fragility index.

    Attributes
    ----------
    weight
        Its weight (the weights are normalised to sum to 1 over the components known
        for a quartier).
    direction
        ``+1`` when a higher value means more fragile (poverty rate), ``-1`` otherwise
        (median income, employment rate).
    label
        French label, for tables and charts.
    """

    weight: float
    direction: int
    label: str


#: The default components and weights. Poverty weighs most (the PLH programmes follow
#: "quartiers en voie de paupérisation"); income, employment, job seekers and the share
#: of CAF allocataires on the RSA socle complete it. The weights are a choice, stated
#: here and in every output; pass ``components=`` to change them.
DEFAULT_COMPONENTS: dict[str, Component] = {
    "part_pauvres": Component(0.30, +1, "Taux de pauvreté (seuil 60 %)"),
    "revenu_median_uc": Component(0.20, -1, "Revenu disponible médian par UC"),
    "part_emploi": Component(0.20, -1, "Taux d'emploi des 15-64 ans"),
    "demandeurs_pour_100_hab": Component(
        0.15, +1, "Demandeurs d'emploi (cat. ABC) pour 100 habitants"
    ),
    "part_allocataires_rsa": Component(0.15, +1, "Part des allocataires CAF au RSA socle"),
}

#: The rule of :func:`fragilisation`, in French, quoted in every output.
FRAGILISATION_RULE = (
    "Un quartier est dit « en voie de fragilisation » quand, entre le premier et le dernier "
    "millésime INSEE disponibles, son taux de pauvreté a augmenté d'au moins {seuil_points} "
    "point de pourcentage ET son indice composite de fragilité {indice} : il s'appauvrit sans "
    "que l'ensemble des quartiers prioritaires de France ne s'appauvrisse autant."
)


def _index_clause(seuil_indice: float) -> str:
    if seuil_indice == 0:
        return "n'a pas baissé (exprimé en écarts-types des QPV de France)"
    return (
        f"a augmenté d'au moins {f'{seuil_indice:g}'.replace('.', ',')} "
        "écart-type des QPV de France"
    )


def qpv_panel(
    demo: pd.DataFrame | None = None,
    revn: pd.DataFrame | None = None,
    ipro: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join the INSEE themes into one row per QPV and diffusion year, with derived rates.

    Parameters
    ----------
    demo, revn, ipro
        Outputs of :func:`peuplement.io.insee_qpv.load_insee_qpv_series` (any may be
        ``None``); rows are matched on ``code_qpv`` and ``annee`` (outer join: a year
        present in one theme only keeps its values, the others missing).

    Returns
    -------
    pandas.DataFrame
        ``code_qpv``, ``nom_qpv``, ``annee`` and the themes' variables, plus, where their
        inputs exist: ``demandeurs_pour_100_hab`` (job seekers ABC per 100 inhabitants,
        population of the latest DEMO file of the same or an earlier year, whose census
        ``recensement_population`` is carried with it) and
        ``part_allocataires_rsa`` (RSA-socle allocataires ÷ CAF allocataires, REVN).
    """
    frames = [f for f in (demo, revn, ipro) if f is not None]
    if not frames:
        raise SchemaError("qpv_panel : aucune table donnée (demo, revn et ipro sont None)")
    keys = ["code_qpv", "annee"]
    parts = [f.drop(columns=[c for c in ("ligne",) if c in f.columns]) for f in frames]
    panel = parts[0]
    for part in parts[1:]:
        shared = [c for c in part.columns if c in panel.columns and c not in keys]
        panel = panel.merge(part, on=keys, how="outer", suffixes=("", "_dup"))
        for c in shared:
            panel[c] = panel[c].fillna(panel.pop(f"{c}_dup"))
    panel = panel.sort_values(keys).reset_index(drop=True)
    if "population" in panel and "nb_demandeurs_abc" in panel:
        # IPRO has a year (2020) without DEMO: carry the last known population forward.
        pop = panel.groupby("code_qpv")["population"].ffill().astype("float64")
        if "recensement_population" in panel:
            panel["recensement_population"] = panel.groupby("code_qpv")[
                "recensement_population"
            ].ffill()
        panel["demandeurs_pour_100_hab"] = (
            panel["nb_demandeurs_abc"].astype("float64") / pop * 100
        ).where(pop > 0)
    if "nb_allocataires_rsa_socle" in panel and "nb_allocataires" in panel:
        n = panel["nb_allocataires"].astype("float64")
        panel["part_allocataires_rsa"] = (
            panel["nb_allocataires_rsa_socle"].astype("float64") / n
        ).where(n > 0)
    return panel


def _standardise(
    values: pd.DataFrame, reference: pd.DataFrame, year: str, columns: Sequence[str]
) -> pd.DataFrame:
    stats = reference.groupby(year)[list(columns)].agg(["mean", "std"])
    z = pd.DataFrame(index=values.index)
    for c in columns:
        mean = values[year].map(stats[(c, "mean")])
        std = values[year].map(stats[(c, "std")])
        z[c] = ((values[c].astype("float64") - mean) / std).where(std > 0)
    return z


def fragility_index(
    panel: pd.DataFrame,
    *,
    components: Mapping[str, Component] = DEFAULT_COMPONENTS,
    reference: pd.DataFrame | None = None,
    year: str = "annee",
    min_weight: float = 0.5,
) -> pd.DataFrame:
    r"""Composite fragility index: a weighted mean of standardised indicators.

    For quartier :math:`q`, year :math:`t` and component :math:`k` of weight
    :math:`w_k` and direction :math:`s_k` (+1 when higher is more fragile):

    .. math::

        z_{qtk} = s_k\,\frac{x_{qtk} - \mu_{tk}}{\sigma_{tk}} \qquad
        I_{qt} = \frac{\sum_{k \in K_{qt}} w_k z_{qtk}}{\sum_{k \in K_{qt}} w_k}

    where :math:`\mu_{tk}` and :math:`\sigma_{tk}` are the mean and standard deviation
    of the component over the **reference** quartiers of year :math:`t` (by default
    ``panel`` itself; pass every QPV of France to read the index as "standard
    deviations above the average QPV of France"), and :math:`K_{qt}` the components
    known for :math:`q` in :math:`t`.

    **Missing values** (INSEE's secret cells, a theme absent that year) are left out
    and the weights renormalised over the known components; when the known weight
    :math:`\sum_{k \in K_{qt}} w_k` is below ``min_weight`` the index is missing. With a
    fixed reference, the index of a quartier depends on its own values only, and it
    increases with each "+1" component and decreases with each "−1" one.

    Parameters
    ----------
    panel
        One row per quartier and year with the components' columns (:func:`qpv_panel`).
    components
        ``{column: Component(weight, direction, label)}``; default
        :data:`DEFAULT_COMPONENTS`.
    reference
        Quartiers defining the mean and standard deviation of each year.
    year
        The year column.
    min_weight
        Minimum share of the total weight that must be known (default 0.5).

    Returns
    -------
    pandas.DataFrame
        ``panel``'s rows with ``z_<component>`` columns, ``poids_connu`` (known share of
        the weight), ``nb_composantes`` and ``indice_fragilite``.
    """
    names = list(components)
    missing = [c for c in [year, *names] if c not in panel.columns]
    if missing:
        raise SchemaError(
            f"fragility_index : colonnes absentes {missing} ; trouvées "
            f"{preview(map(str, panel.columns), 12)}. Construisez la table avec qpv_panel "
            "ou passez components= avec des colonnes présentes."
        )
    weights = pd.Series({k: c.weight for k, c in components.items()}, dtype="float64")
    if (weights < 0).any() or weights.sum() <= 0:
        raise SchemaError(
            f"fragility_index : poids négatifs ou nuls {weights.to_dict()} ; donnez des poids "
            "positifs."
        )
    weights = weights / weights.sum()
    signs = pd.Series({k: float(c.direction) for k, c in components.items()})
    z = _standardise(panel, panel if reference is None else reference, year, names) * signs
    known = z.notna()
    w_known = known.mul(weights, axis=1).sum(axis=1)
    weighted = z.fillna(0.0).mul(weights, axis=1).sum(axis=1)
    out = panel.copy()
    for c in names:
        out[f"z_{c}"] = z[c]
    out["poids_connu"] = w_known
    out["nb_composantes"] = known.sum(axis=1).astype("int64")
    out["indice_fragilite"] = (
        (weighted / w_known).where(w_known >= min_weight - 1e-12).astype("float64")
    )
    return out


def fragilisation(
    indexed: pd.DataFrame,
    *,
    by: str = "code_qpv",
    year: str = "annee",
    seuil_points: float = 1.0,
    seuil_indice: float = 0.0,
    poverty: str = "part_pauvres",
) -> pd.DataFrame:
    """List the quartiers by worsening, and flag those "en voie de fragilisation".

    The rule (:data:`FRAGILISATION_RULE`): between the first and the last year where
    each is known, the poverty rate rose by at least ``seuil_points`` points **and**
    the composite index rose by at least ``seuil_indice``. Quartiers are sorted by the
    rise of their poverty rate, then of their index.

    Parameters
    ----------
    indexed
        :func:`fragility_index` output (several years).
    by
        The quartier column.
    year
        The year column.
    seuil_points, seuil_indice
        Thresholds of the rule.
    poverty
        The poverty-rate column.

    Returns
    -------
    pandas.DataFrame
        One row per quartier: first and last year and value of the poverty rate and of
        the index, ``variation_pauvrete_points``, ``variation_indice``,
        ``en_voie_de_fragilisation`` and ``regle`` (the rule in French).
    """
    wide = first_last_changes(
        indexed,
        {poverty: "points", "indice_fragilite": "difference"},
        by=[by],
        year=year,
    )
    pov = wide[wide["indicateur"] == poverty].set_index(by)
    idx = wide[wide["indicateur"] == "indice_fragilite"].set_index(by)
    out = pd.DataFrame(
        {
            "annee_debut": pov["annee_debut"],
            "annee_fin": pov["annee_fin"],
            "pauvrete_debut": pov["valeur_debut"],
            "pauvrete_fin": pov["valeur_fin"],
            "variation_pauvrete_points": pov["variation"],
            "indice_debut": idx["valeur_debut"],
            "indice_fin": idx["valeur_fin"],
            "variation_indice": idx["variation"],
        }
    )
    names = indexed.drop_duplicates(by).set_index(by)
    if "nom_qpv" in names:
        out.insert(0, "nom_qpv", names["nom_qpv"].reindex(out.index))
    out["en_voie_de_fragilisation"] = (
        out["variation_pauvrete_points"].ge(seuil_points - 1e-9)
        & out["variation_indice"].ge(seuil_indice)
    ).fillna(False)
    out["regle"] = FRAGILISATION_RULE.format(
        seuil_points=f"{seuil_points:g}".replace(".", ","), indice=_index_clause(seuil_indice)
    )
    out = out.reset_index().rename(columns={"index": by})
    return out.sort_values(
        ["variation_pauvrete_points", "variation_indice"], ascending=False, na_position="last"
    ).reset_index(drop=True)


def compare_levels(
    qpv: pd.DataFrame,
    qpv_communes: pd.DataFrame,
    *,
    communes: pd.DataFrame | None = None,
    epci: pd.DataFrame | None = None,
    departement: pd.DataFrame | None = None,
    value: str = "revenu_median_uc",
) -> pd.DataFrame:
    """Put a quartier's indicator beside its commune's, its EPCI's and its department's.

    Parameters
    ----------
    qpv
        One row per QPV (one year): ``code_qpv``, ``nom_qpv``, ``value``.
    qpv_communes
        ``code_qpv``, ``code_insee`` (a QPV over several communes is compared to each).
    communes
        ``code_insee`` and ``value`` (e.g. Filosofi 2019 per commune, ``mediane_uc``
        renamed), or ``None``.
    epci
        One row with ``value`` for the EPCI, or ``None``.
    departement
        One row with ``value`` for the department, or ``None``.
    value
        The indicator compared (same unit at every level).

    Returns
    -------
    pandas.DataFrame
        ``code_qpv``, ``nom_qpv``, ``code_insee``, ``valeur_qpv``, ``valeur_commune``,
        ``valeur_epci``, ``valeur_departement`` and the ratios ``rapport_commune``,
        ``rapport_epci``, ``rapport_departement`` (QPV ÷ level; for shares, use the
        ``ecart_*`` differences in points).
    """
    for name, frame, cols in (
        ("qpv", qpv, ["code_qpv", value]),
        ("qpv_communes", qpv_communes, ["code_qpv", "code_insee"]),
    ):
        if any(c not in frame.columns for c in cols):
            raise SchemaError(
                f"compare_levels : la table {name} doit avoir {cols} ; trouvées "
                f"{preview(map(str, frame.columns), 12)}"
            )
    keep = ["code_qpv"] + (["nom_qpv"] if "nom_qpv" in qpv else [])
    out = qpv[[*keep, value]].rename(columns={value: "valeur_qpv"})
    out = out.merge(qpv_communes[["code_qpv", "code_insee"]].drop_duplicates(), on="code_qpv")
    if communes is not None:
        com = communes[["code_insee", value]].rename(columns={value: "valeur_commune"})
        out = out.merge(com, on="code_insee", how="left")
    else:
        out["valeur_commune"] = np.nan
    out["valeur_epci"] = float(epci[value].iloc[0]) if epci is not None else np.nan
    out["valeur_departement"] = (
        float(departement[value].iloc[0]) if departement is not None else np.nan
    )
    for level in ("commune", "epci", "departement"):
        ref = out[f"valeur_{level}"].astype("float64")
        q = out["valeur_qpv"].astype("float64")
        if value.startswith("part_"):
            out[f"ecart_{level}_points"] = (q - ref) * 100
        else:
            out[f"rapport_{level}"] = (q / ref).where(ref > 0)
    return out.reset_index(drop=True)
