"""Attribution balance: the obligations of the Égalité et Citoyenneté law (LEC).

The law is the specification of this module; each rule names its source.

- **Objective A** (outside QPV), CCH art. L.441-1 as amended by loi n° 2017-86 du
  27 janvier 2017 (Égalité et Citoyenneté, art. 70) and loi n° 2018-1021 (ELAN): at
  least 25 % of the attributions *suivies de baux signés* of dwellings outside QPV, on
  the territory of an EPCI bound by L.441-1-5 (PLH or housing competence with at least
  one QPV), go to applicants of the first quartile — resources per unit of consumption
  at or below "le niveau de ressources le plus élevé du quartile des demandeurs les
  plus pauvres" fixed each year by arrêté for the EPCI (in Île-de-France, one regional
  threshold) — or to households rehoused by an urban-renewal operation (NPNRU/ORCOD).
  The intercommunal orientations (CIA, L.441-1-6) could adapt that rate in 2017–2018:
  :data:`RULES` holds ``cible_a`` per year.
- **Objective B** (inside QPV), L.441-1: at least 50 % of the proposals in QPV go to
  applicants other than the first quartile; the CIL may set another rate.
- **Publics prioritaires**, L.441-1 after loi ELAN and loi n° 2022-217 (3DS): at
  least 25 % of the attributions made by collectivités and their groupements, by
  Action Logement and by the landlord on its non-reserved stock go to DALO households
  and, failing that, to the priority households of L.441-1; the préfet's contingent
  (R.441-5: at most 30 % of the dwellings, of which at most 5 % for the État's civil and
  military servants) goes to priority households — every attribution on it should —
  and the civil servants' part has no priority target. :data:`RESERVATAIRE_RULES`;
  the CIA may set other figures (:func:`apply_commitments`).
- **QPV**: the 2015 perimeters (décret 2014-1750) apply until 2023, the 2024
  perimeters (décret 2023-1314, codes ``QN…``) from 1 January 2024
  (:func:`qpv_generation_in_force`).
- **Units of consumption** of the yearly arrêtés: 1 for the first adult, 0.5 for each
  other person aged 14 or more, 0.3 for each child under 14; resources are the
  household's declared monthly resources × 12 (housing benefits excluded), not the
  revenu fiscal de référence.

Sources checked (search of public pages, November 2026): the Sénat report r10-570
(senat.fr/rap/r10-570) for R.441-5 (préfet's contingent ≤ 30 % of which 5 % for civil
servants); the Assemblée debate on L.441-1 (2017-2022.nosdeputes.fr, intervention
1300508) for the wording "niveau le plus élevé du premier quartile"; the UC scale from
the Hauts-de-France HLM union's table of the arrêtés (PROVENANCE.md). Not confirmed
against Légifrance here: the exact 3DS wording of the landlord's own-stock obligation
and the alinéa numbers, which are therefore not cited.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from peuplement._config import qpv_file_hint
from peuplement._errors import (
    DataNotFoundError,
    SchemaError,
    data_dir_hint,
    hint,
    option_hint,
    preview,
)
from peuplement.fmt import fmt_pct
from peuplement.schema import QPV_PATTERNS
from peuplement.secrecy import SECRET_THRESHOLD, protect_lec
from peuplement.validation import LoadReport, drop_other_years

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "LEC_COLUMNS",
    "RESERVATAIRE_RULES",
    "RULES",
    "AT_THRESHOLD",
    "CIA_SOURCE",
    "HouseholdQuartile",
    "LecStatus",
    "Thresholds",
    "apply_commitments",
    "classify",
    "commitments_vs_achieved",
    "first_quartile_threshold",
    "household_quartile",
    "lec_by_year",
    "lec_indicators",
    "qpv_generation_in_force",
    "quartile_distribution",
    "read_official",
    "rooms_needed",
    "reservataire_kind",
    "rules",
    "simulate",
    "thresholds",
    "units_of_consumption",
]

logger = logging.getLogger(__name__)


class LecStatus(StrEnum):
    """Status of one unit × objective in the LEC table (the French labels are the values)."""

    ATTEINT = "atteint"
    NON_ATTEINT = "non atteint"
    SANS_ATTRIBUTION = "sans attribution"
    EFFECTIF_INSUFFISANT = "effectif insuffisant"
    SANS_OBJECTIF = "sans objectif légal"


_LAW = "CCH art. L.441-1 (loi n° 2017-86 Égalité et Citoyenneté, loi ELAN n° 2018-1021, loi 3DS n° 2022-217)"

#: The LEC rules in force each year: targets, the scale of units of consumption, the QPV generation.
RULES = pd.DataFrame(
    {
        "annee": list(range(2017, 2027)),
        "cible_a": 0.25,
        "cible_b": 0.50,
        "uc_premier_adulte": 1.0,
        "uc_autre_14_ans_et_plus": 0.5,
        "uc_moins_14_ans": 0.3,
        "generation_qpv": [2015] * 7 + [2024] * 3,
        "reference": _LAW,
    }
).set_index("annee")

#: Priority-household target of each kind of réservataire (share of its signed leases).
RESERVATAIRE_RULES = pd.DataFrame(
    {
        "type_reservataire": [
            "collectivite",
            "action_logement",
            "bailleur",
            "etat",
            "etat_fonctionnaires",
            "autre",
        ],
        "cible_prioritaires": [0.25, 0.25, 0.25, 1.0, np.nan, np.nan],
        "reference": [
            "CCH L.441-1 (collectivités et groupements, loi 2017-86 art. 70)",
            "CCH L.313-26-2 (Action Logement : 25 % à ses salariés et demandeurs d'emploi prioritaires ou DALO, loi 2017-86)",
            "CCH L.441-1 (attributions hors contingents du bailleur, loi 2017-86 ; gestion en flux, loi 3DS)",
            "CCH L.441-1 et R.441-5 (contingent préfectoral : publics prioritaires)",
            "CCH R.441-5 (part des agents civils et militaires de l'État : pas d'objectif prioritaire)",
            "type de réservataire non reconnu : pas d'objectif légal (la CIA peut en fixer un)",
        ],
        "depuis": [2017, 2017, 2017, 2017, 2017, 2017],
    }
).set_index("type_reservataire")

#: Columns of the LEC table, one row per unit × objective.
LEC_COLUMNS = [
    "niveau",
    "unite",
    "objectif",
    "numerateur",
    "denominateur",
    "taux",
    "cible",
    "ecart_points",
    "attributions_manquantes",
    "statut",
    "cible_nombre",
    "source_cible",
    "mutations",
]


def rules(annee: int) -> pd.Series:
    """Return the rules of year ``annee`` (targets, UC scale, QPV generation in force).

    Parameters
    ----------
    annee
        The year.

    Returns
    -------
    pandas.Series
        The row of :data:`RULES`: ``cible_a``, ``cible_b``, ``cible_prioritaires``, the UC scale and
        the legal ``reference``.

    Raises
    ------
    SchemaError
        When the year is not covered by :data:`RULES`.
    """
    if annee not in RULES.index:
        raise SchemaError(
            f"pas de règles LEC pour l'année {annee} ; années couvertes : "
            f"{RULES.index.min()}–{RULES.index.max()}. Ajoutez une ligne à peuplement.lec.RULES."
        )
    return pd.Series(RULES.loc[annee])


def qpv_generation_in_force(annee: int) -> int:
    """Return the QPV generation in force in ``annee``.

    2015 until 2023 (décret 2014-1750), 2024 from 2024 (décret 2023-1314).

    Parameters
    ----------
    annee
        The year.

    Returns
    -------
    int
        2015 or 2024.

    Examples
    --------
    >>> qpv_generation_in_force(2023), qpv_generation_in_force(2026)
    (2015, 2024)
    """
    return 2024 if annee >= 2024 else 2015


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


def reservataire_kind(labels: pd.Series) -> pd.Series:
    """Map réservataire labels to the kinds of :data:`RESERVATAIRE_RULES`.

    Matching is on lower-case words without accents, in this order: ``fonctionnaire``,
    ``ministere``, ``armees``, or ``agents`` together with a word of the State →
    ``etat_fonctionnaires`` (R.441-5's part for civil and military servants);
    ``action logement`` and its former names (``cil``, ``1 % logement``, ``astria``) →
    ``action_logement``; ``collectivite``, ``commune``, ``epci``, ``departement``,
    ``region``, ``metropole``, ``ville`` → ``collectivite`` (so "Commune de Somain -
    agents" stays a collectivité); ``etat``, ``prefet``, ``prefecture`` → ``etat``;
    ``bailleur``, ``non reserve``, ``organisme`` → ``bailleur``; anything else ``autre``.

    Parameters
    ----------
    labels
        Réservataire labels as written in the attributions; missing is the landlord's own
        stock (``bailleur``).

    Returns
    -------
    pandas.Series
        One kind per label, aligned with ``labels``.

    Examples
    --------
    >>> reservataire_kind(pd.Series(["État", "Etat - fonctionnaires", "Ville de Somain"])).tolist()
    ['etat', 'etat_fonctionnaires', 'collectivite']
    >>> reservataire_kind(pd.Series(["Commune de Somain - agents", "Ministère des Armées", "CIL"])).tolist()
    ['collectivite', 'etat_fonctionnaires', 'action_logement']
    """
    state = ("etat", "prefet", "prefecture", "prefectoral")
    words = [
        ("etat_fonctionnaires", ("fonctionnaire", "ministere", "armees")),
        ("action_logement", ("action logement", "1 % logement", "1% logement", "astria")),
        (
            "collectivite",
            (
                "collectivit",
                "commune",
                "epci",
                "departement",
                "region",
                "metropole",
                "ville",
                "agglomeration",
            ),
        ),
        ("etat", state),
        ("bailleur", ("bailleur", "non reserve", "organisme", "propre")),
    ]

    def one(label: object) -> str:
        """Return the kind of one label.

        Parameters
        ----------
        label
            A réservataire label, or missing.

        Returns
        -------
        str
            A kind of :data:`RESERVATAIRE_RULES`.
        """
        if label is None or (isinstance(label, float) and np.isnan(label)) or label is pd.NA:
            return "bailleur"  # no réservataire: the landlord's own stock
        text = _fold(str(label))
        tokens = set(text.split())
        if "agents" in tokens and tokens & set(state):
            return "etat_fonctionnaires"
        if "cil" in tokens:  # comité interprofessionnel du logement, Action Logement's forerunner
            return "action_logement"
        for kind, keys in words:
            if any(k in text for k in keys):
                return kind
        return "autre"

    # A loop over distinct labels (a handful), not over attributions.
    mapping = {v: one(v) for v in pd.unique(labels.astype("object"))}
    return labels.astype("object").map(mapping).astype("string")


def units_of_consumption(
    nb_personnes: pd.Series | np.ndarray | Sequence[float],
    nb_moins_14: pd.Series | np.ndarray | Sequence[float],
    *,
    scale: tuple[float, float, float] = (1.0, 0.5, 0.3),
) -> np.ndarray:
    r"""Compute the units of consumption of households, the scale of the yearly arrêtés (CCH L.441-1).

    .. math:: UC = a + b\,(n - 1 - e) + c\,e

    with :math:`n` persons of whom :math:`e` are under 14, and the scale
    :math:`(a, b, c) = (1, 0.5, 0.3)` (first adult, other person of 14 or more, child
    under 14). A couple with two children under 14: 2.1 UC. An unknown ``e`` gives NaN.

    Parameters
    ----------
    nb_personnes
        Persons in each household.
    nb_moins_14
        Of whom under 14.
    scale
        :math:`(a, b, c)`: first adult, other person of 14 or more, child under 14.

    Returns
    -------
    numpy.ndarray
        Units of consumption, one per household.

    Examples
    --------
    >>> units_of_consumption(np.array([4, 1]), np.array([2, 0])).tolist()
    [2.1, 1.0]
    """
    n = np.asarray(
        pd.to_numeric(pd.Series(np.asarray(nb_personnes)), errors="coerce"), dtype="float64"
    )
    e = np.asarray(
        pd.to_numeric(pd.Series(np.asarray(nb_moins_14)), errors="coerce"), dtype="float64"
    )
    a, b, c = scale
    uc: np.ndarray = a + b * (n - 1 - e) + c * e
    return uc


def first_quartile_threshold(demandes: pd.DataFrame, *, by: str | None = None) -> pd.Series:
    r"""First-quartile threshold S computed from the demand stock (CCH L.441-1).

    S is "le niveau de ressources le plus élevé du quartile des demandeurs les plus
    pauvres": sorting the :math:`n` RUC in increasing order, :math:`S = RUC_{(k)}` with
    :math:`k = \lceil n/4 \rceil` (method ``inverted_cdf`` of :func:`numpy.quantile`; S
    is an observed value). Households at or below S are in the first quartile. Rows
    whose RUC is unknown (children count missing) are left out of the computation.

    Parameters
    ----------
    demandes
        Demand stock at 31 December of year N−1, with ``ressources_annuelles``,
        ``nb_personnes``, ``nb_moins_14`` (or an ``ruc`` column).
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.Series
        ``seuil_q1_calcule`` (€ per UC per year), one value per territory.
    """
    ruc = _ruc(demandes)
    key = demandes[by].to_numpy() if by else np.zeros(len(demandes), dtype=np.int64)
    frame = pd.DataFrame({"k": key, "ruc": ruc}).dropna(subset=["ruc"])
    frame = frame.sort_values(["k", "ruc"], kind="mergesort")
    g = frame.groupby("k", sort=True)
    rank = g.cumcount() + 1
    need = np.ceil(g["ruc"].transform("size") / 4)
    hit = frame[rank == need]
    out = pd.Series(hit["ruc"].to_numpy(), index=hit["k"].to_numpy(), name="seuil_q1_calcule")
    if by is None:
        return out.reset_index(drop=True)
    out.index.name = by
    return out


def _ruc(frame: pd.DataFrame) -> np.ndarray:
    if "ruc" in frame.columns:
        return frame["ruc"].to_numpy(dtype="float64")
    missing = [
        c for c in ("ressources_annuelles", "nb_personnes", "nb_moins_14") if c not in frame.columns
    ]
    if missing:
        raise SchemaError(
            f"le calcul des ressources par UC demande les colonnes {missing} ; trouvées : {preview(frame.columns)}"
        )
    uc = units_of_consumption(frame["nb_personnes"], frame["nb_moins_14"])
    ruc: np.ndarray = (
        pd.to_numeric(frame["ressources_annuelles"], errors="coerce").to_numpy(dtype="float64") / uc
    )
    return ruc


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of applicants' resources per UC (€ per year) used for one EPCI and year.

    ``regional`` is True when the threshold is the Île-de-France regional one.
    """

    q1: float
    q2: float | None
    q3: float | None
    source: str
    q1_calcule: float | None = None
    regional: bool = False


_IDF_DEPS = {"75", "77", "78", "91", "92", "93", "94", "95"}


def _official_row(
    official: pd.DataFrame, siren: str, annee: int, departements: Collection[str] | None
) -> tuple[pd.DataFrame, bool]:
    year = official[official["annee"] == annee]
    row = year[year["siren_epci"] == siren]
    zone = row["zone"].astype("string").str.upper() if "zone" in row.columns else None
    if len(row):
        return row, bool(zone is not None and (zone == "IDF").any())
    # An Île-de-France EPCI missing from the table still has the regional threshold.
    if departements and set(departements) & _IDF_DEPS and "zone" in year.columns:
        idf = year[year["zone"].astype("string").str.upper() == "IDF"]
        if len(idf) and idf[["q1_annuel_uc"]].nunique().iloc[0] == 1:
            return idf.iloc[:1], True
    return row, False


def thresholds(
    siren: str,
    annee: int,
    *,
    official: pd.DataFrame | None = None,
    demandes: pd.DataFrame | None = None,
    seuil: float | None = None,
    departements: Collection[str] | None = None,
) -> Thresholds:
    """Choose the thresholds Q1, Q2, Q3 (€ per UC per year) used for an EPCI and a year.

    Order of precedence: an explicit ``seuil`` (Q1 forced by the user); the official
    thresholds of the year's arrêté (``official``, from :func:`read_official`), regional
    in Île-de-France when the table's ``zone`` says ``IDF`` (or, for an EPCI missing from
    the table, when one of its ``departements`` is in Île-de-France); the value computed
    from the demand stock (the EPCI's own applicants: filter them before). The computed
    Q1 is always reported beside the one used when the demand stock is given.

    Parameters
    ----------
    siren
        The EPCI.
    annee
        The year of the attributions.
    official
        The official thresholds (:func:`read_official`); ``None`` when not available.
    demandes
        The demand stock at 31 December of N−1, to compute Q1.
    seuil
        Q1 forced by the user (``--seuil``).
    departements
        Departments of the EPCI, to recognise Île-de-France when the EPCI is not in the
        official table.

    Returns
    -------
    Thresholds
        ``q1``, ``q2``, ``q3``, the ``source`` of Q1 and the computed ``q1_calcule``.
    """
    computed = None
    if demandes is not None and len(demandes):
        values = first_quartile_threshold(demandes)
        computed = float(values.iloc[0]) if len(values) else None
    q1: float | None = None
    q2 = q3 = None
    source, regional = "", False
    if official is not None:
        row, regional = _official_row(official, siren, annee, departements)
        if len(row):
            q1, q2, q3 = (
                float(row[c].iloc[0]) for c in ("q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc")
            )
            source = (
                f"arrêté {annee} fixant les seuils de ressources des quartiles (CCH L.441-1)"
                + (", seuil régional Île-de-France" if regional else ", seuil de l'EPCI")
            )
    if seuil is not None:
        q1, source, regional = float(seuil), "seuil imposé par l'utilisateur (--seuil)", False
    if q1 is None:
        if computed is None:
            raise SchemaError(
                f"aucun seuil du premier quartile pour l'EPCI {siren} en {annee} : absent de la table "
                "officielle et pas de demandes fournies"
                + (f" ; passez {' ou '.join(_threshold_ways())}" if _threshold_ways() else "")
            )
        q1, source = computed, "calculé sur la demande au 31/12 de N−1 (demandeurs de l'EPCI)"
    return Thresholds(q1=q1, q2=q2, q3=q3, source=source, q1_calcule=computed, regional=regional)


def _quartile_of(
    ruc: np.ndarray, q1: np.ndarray, q2: np.ndarray | None, q3: np.ndarray | None
) -> np.ndarray:
    """Quartile 1–4 (1–2 when only Q1 is known): a RUC equal to a threshold is in the lower quartile."""
    quartile = 1 + (ruc > q1).astype("int64")
    for bound in (q2, q3):
        if bound is not None:
            quartile += (ruc > bound).astype("int64")
    return quartile


#: How a value equal to a threshold is classed. L.441-1 speaks of resources "inférieur à
#: un montant" while the arrêtés define that amount as "le niveau de ressources le plus
#: élevé du quartile": a household at the amount is the quartile's highest, so it is
#: classed in it. This is an interpretation, shared by the Hauts-de-France HLM union's
#: calculator; the outputs count the households exactly at a threshold.
AT_THRESHOLD = (
    "un ménage dont les ressources par UC sont égales à un seuil est classé dans le quartile "
    "de ce seuil (le plus bas), lecture retenue car chaque seuil est « le niveau de ressources "
    "le plus élevé du quartile » (arrêtés annuels) ; l'article L.441-1 du CCH parlant de "
    "ressources « inférieures » à ce montant, les ménages exactement au seuil sont comptés à part"
)


@dataclass(frozen=True)
class HouseholdQuartile:
    """One household's units of consumption, resources per UC and quartile."""

    uc: float
    ruc: float
    quartile: int | None
    seuils: Thresholds
    ressources_annuelles: float
    classement_au_seuil: str = AT_THRESHOLD

    @property
    def libelle(self) -> str:
        """``Q1``…``Q4``, or ``au-dessus de Q1`` when only Q1 is known.

        Returns
        -------
        str
            The label shown to users.
        """
        if self.quartile is None:
            return "au-dessus de Q1"
        return f"Q{self.quartile}"


def household_quartile(
    ressources_mensuelles: float,
    nb_personnes: int,
    nb_moins_14: int,
    *,
    seuils: Thresholds,
) -> HouseholdQuartile:
    r"""Compute the quartile of one household, as the HLM unions' LEC calculators give it.

    .. math:: RUC = \frac{12 \times \text{ressources mensuelles}}{UC}

    compared with the thresholds of the year's arrêté (:func:`thresholds`); a RUC equal
    to a threshold belongs to the lower quartile (:data:`AT_THRESHOLD`).

    Parameters
    ----------
    ressources_mensuelles
        Monthly resources declared (€), housing benefits excluded.
    nb_personnes
        Persons in the household.
    nb_moins_14
        Of whom under 14.
    seuils
        The thresholds of the EPCI and year (:func:`thresholds`).

    Returns
    -------
    HouseholdQuartile
        Annual resources, UC, RUC, quartile and the thresholds used.

    Examples
    --------
    >>> t = Thresholds(q1=8772.0, q2=12771.0, q3=18000.0, source="arrêté 2026")
    >>> h = household_quartile(1535.1, 4, 2, seuils=t)  # 18,421.2 € / 2.1 UC = 8,772 €
    >>> round(h.uc, 1), round(h.ruc, 2), h.libelle
    (2.1, 8772.0, 'Q1')
    """
    if nb_personnes < 1 or not 0 <= nb_moins_14 < nb_personnes:
        raise SchemaError(
            f"ménage de {nb_personnes} personne(s) dont {nb_moins_14} de moins de 14 ans : il faut au "
            "moins une personne et au moins un membre de 14 ans ou plus "
            + hint(python="(nb_personnes, nb_moins_14)", cli="(--personnes, --moins-14)")
        )
    if ressources_mensuelles < 0:
        raise SchemaError(
            f"ressources mensuelles négatives ({ressources_mensuelles}) : attendu ≥ 0"
        )
    uc = float(units_of_consumption([nb_personnes], [nb_moins_14])[0])
    annual = 12 * float(ressources_mensuelles)
    # Rounded to the cent, as amounts in euros are: 1535.10 × 12 / 2.1 must be 8772 exactly.
    ruc = round(annual / uc, 2)
    q2 = None if seuils.q2 is None else np.array([seuils.q2])
    q3 = None if seuils.q3 is None else np.array([seuils.q3])
    quartile = int(_quartile_of(np.array([ruc]), np.array([seuils.q1]), q2, q3)[0])
    known = quartile == 1 or seuils.q2 is not None
    return HouseholdQuartile(uc, ruc, quartile if known else None, seuils, annual)


def classify(
    attributions: pd.DataFrame,
    *,
    q1: float | np.ndarray | pd.Series,
    q2: float | np.ndarray | pd.Series | None = None,
    q3: float | np.ndarray | pd.Series | None = None,
    qpv: gpd.GeoDataFrame | None = None,
    annee: int | None = None,
    report: LoadReport | None = None,
    communes: Collection[str] | None = None,
    code_changes: Mapping[str, str] | None = None,
    siren: str | None = None,
    qpv_generation: int | None = None,
    qpv_codes: Collection[str] | None = None,
    qpv_list_complete: bool = True,
) -> pd.DataFrame:
    """Classify each attribution: perimeter, units of consumption, RUC, quartile, inside or outside QPV.

    Every row that cannot be classified is rejected into ``report`` with its reason
    (French), never silently dropped or counted elsewhere:

    - another year than ``annee``;
    - a commune outside ``communes`` (the EPCI's COG communes; older codes first mapped
      by ``code_changes``, as :meth:`peuplement.Territory.align` does);
    - unknown resources; an unknown children count that changes the quartile (the
      quartile is kept when it is the same for every possible count 0 … n−1: RUC grows
      with the number of children, so the two ends decide);
    - a declared ``premier_quartile`` flag contradicting RUC and threshold;
    - a QPV code of another generation than the one in force (``qpv_generation``,
      default :func:`qpv_generation_in_force` of ``annee``, décret 2023-1314), a code
      absent from ``qpv_codes`` (the generation's list), coordinates in degrees or out of
      France's extent in ``qpv``'s CRS, coordinates while the perimeters ``qpv`` are
      missing, or no location at all when the file carries coordinates.

    Without ``x``/``y`` columns, an empty ``code_qpv`` means outside QPV (SNE extracts).

    Parameters
    ----------
    attributions
        Attributions as loaded by :func:`peuplement.load_attributions`.
    q1, q2, q3
        Quartile thresholds (€ per UC per year): one value for one EPCI, or one per row
        (national runs); ``q2`` and ``q3`` are optional.
    qpv
        QPV polygons, to place attributions without ``code_qpv`` from their ``x``/``y``.
    annee
        The analysed year; attributions of other years are rejected.
    report
        The load report the rejections go to; a new one by default.
    communes
        INSEE codes of the EPCI's communes; ``None``: no perimeter check.
    code_changes
        Older commune code → COG commune, applied before the perimeter check.
    siren
        The EPCI, named in the rejection reasons.
    qpv_generation
        QPV generation in force; default :func:`qpv_generation_in_force` of ``annee``.
    qpv_codes
        The QPV codes of that generation; ``None``: codes are not checked against a list.
    qpv_list_complete
        ``qpv_codes`` is the complete official list; when not, the rejection message says how
        to pass the official file.

    Returns
    -------
    pandas.DataFrame
        The kept attributions with ``uc``, ``ruc`` (NaN when the children count is
        unknown but not decisive), ``quartile`` (1–4, or 1/2 for Q1 / above when only
        Q1 is known), ``q1`` (always ``quartile == 1``), ``nb_moins_14_inconnu``,
        ``en_qpv`` (bool).
    """
    report = report or LoadReport("attributions")
    if report.n_read == 0:
        report.n_read = len(attributions)
        report.close(len(attributions))
    data = attributions.copy().reset_index(drop=True)
    if "ligne" not in data.columns:
        data["ligne"] = np.arange(1, len(data) + 1)
    for name, bound in (("_s1", q1), ("_s2", q2), ("_s3", q3)):
        data[name] = np.nan if bound is None else _per_row(bound, data)
    if annee is not None and "annee" in data.columns:
        data = drop_other_years(data, report, annee)
    if communes is not None:
        data = _check_perimeter(data, report, communes, code_changes or {}, siren)
    data = _classify_income(data, report, has_q2=q2 is not None, has_q3=q3 is not None)
    if "premier_quartile" in data.columns:
        declared = data["premier_quartile"].astype("boolean")
        wrong = declared.notna() & (declared != data["q1"])
        data = report.drop(
            data,
            wrong,
            column="premier_quartile",
            values=data["premier_quartile"].astype("string")
            + " (RUC "
            + data["ruc"].round(0).astype("string")
            + ")",
            reason=f"indicateur « premier quartile » déclaré contraire aux ressources et au seuil {_label(q1)}",
        )
    generation = qpv_generation
    if generation is None and annee is not None:
        generation = qpv_generation_in_force(annee)
    data = _check_qpv_codes(data, report, generation, annee, qpv_codes, qpv_list_complete)
    data = _locate(data, report, qpv, generation)
    data["en_qpv"] = data["code_qpv"].notna()
    return data.drop(columns=["_s1", "_s2", "_s3"])


def _per_row(bound: float | np.ndarray | pd.Series, data: pd.DataFrame) -> np.ndarray:
    """Return a threshold as one value per row: a scalar for one EPCI, an array for many."""
    if np.ndim(bound) == 0:
        return np.full(len(data), float(bound))  # type: ignore[arg-type]
    values = np.asarray(bound, dtype="float64")
    if len(values) != len(data):
        raise SchemaError(f"seuils par ligne : {len(values)} valeurs pour {len(data)} attributions")
    return values


def _label(bound: float | np.ndarray | pd.Series) -> str:
    return f"{float(bound):g}" if np.ndim(bound) == 0 else "de son EPCI"  # type: ignore[arg-type]


def _check_perimeter(
    data: pd.DataFrame,
    report: LoadReport,
    communes: Collection[str],
    changes: Mapping[str, str],
    siren: str | None,
) -> pd.DataFrame:
    """Reject rows whose commune is outside the EPCI (after mapping older COG codes)."""
    inside_set = set(communes)
    codes = data["code_insee"].astype("string")
    mapped = codes.map(dict(changes)).astype("string")
    old = mapped.notna() & ~codes.isin(inside_set)
    if old.any():
        data["code_insee"] = codes.where(~old, mapped)
        report.repair(
            "code commune d'une géographie antérieure rattaché à sa commune actuelle",
            int(old.sum()),
        )
    outside = ~data["code_insee"].isin(inside_set)
    where = f"de l'EPCI {siren}" if siren else "du territoire"
    return report.drop(
        data,
        outside,
        column="code_insee",
        values=data["code_insee"],
        reason=f"commune hors du périmètre {where} (COG de l'année)",
    )


def _classify_income(
    data: pd.DataFrame, report: LoadReport, *, has_q2: bool, has_q3: bool
) -> pd.DataFrame:
    """UC, RUC and quartile; an unknown children count is kept only when it cannot change the quartile."""
    data = report.drop(
        data,
        data["ressources_annuelles"].isna() | data["nb_personnes"].isna(),
        column="ressources_annuelles/nb_personnes",
        reason="ressources ou nombre de personnes inconnus : quartile non calculable",
    )
    bounds = (
        data["_s1"].to_numpy(dtype="float64"),
        data["_s2"].to_numpy(dtype="float64") if has_q2 else None,
        data["_s3"].to_numpy(dtype="float64") if has_q3 else None,
    )
    n = pd.to_numeric(data["nb_personnes"]).to_numpy(dtype="float64")
    e = pd.to_numeric(data["nb_moins_14"], errors="coerce").to_numpy(dtype="float64")
    resources = pd.to_numeric(data["ressources_annuelles"]).to_numpy(dtype="float64")
    known = ~np.isnan(e)
    # UC falls as children replace adults (0.3 < 0.5), so RUC is lowest with no child
    # and highest with n − 1 children: the quartile is the same for every count when
    # it is the same at both ends.
    low = _quartile_of(resources / units_of_consumption(n, np.zeros_like(n)), *bounds)
    high = _quartile_of(resources / units_of_consumption(n, n - 1), *bounds)
    uc = units_of_consumption(n, e)
    exact = _quartile_of(np.where(known, resources / np.where(known, uc, 1), 0), *bounds)
    data["uc"] = uc
    data["ruc"] = resources / uc
    data["quartile"] = np.where(known, exact, low).astype("int64")
    data["q1"] = data["quartile"] == 1
    data["nb_moins_14_inconnu"] = ~known
    decisive = pd.Series(~known & (low != high), index=data.index)
    # The text of the offending value, built only for the rows whose count is unknown.
    unknown = np.flatnonzero(~known)
    span = pd.Series(None, index=data.index, dtype=object)
    span.iloc[unknown] = [
        f"inconnu : Q{a} à Q{b} selon le nombre"
        for a, b in zip(low[unknown], high[unknown], strict=True)
    ]
    if (~known & ~decisive.to_numpy()).any():
        report.note(
            f"nombre d'enfants de moins de 14 ans inconnu sur {int((~known & ~decisive.to_numpy()).sum())} "
            "ligne(s) : même quartile quel que soit ce nombre, classées"
        )
    return report.drop(
        data,
        decisive,
        column="nb_moins_14",
        values=span,
        reason="nombre d'enfants de moins de 14 ans inconnu et décisif : le quartile dépend de ce nombre",
    )


_DECREES = {2015: "décret 2014-1750", 2024: "décret 2023-1314"}


def _check_qpv_codes(
    data: pd.DataFrame,
    report: LoadReport,
    generation: int | None,
    annee: int | None,
    known: Collection[str] | None,
    complete: bool,
) -> pd.DataFrame:
    """Reject QPV codes of the wrong generation, malformed, or naming no QPV of the generation."""
    if "code_qpv" not in data.columns:
        data["code_qpv"] = pd.Series(pd.NA, index=data.index, dtype="string")
    code = data["code_qpv"].astype("string").str.strip().str.upper()
    code = code.mask(code == "")
    data["code_qpv"] = code
    if generation is None:
        return data
    other = 2015 if generation == 2024 else 2024
    given = code.notna()
    wrong_gen = given & code.str.match(QPV_PATTERNS[other].pattern).fillna(False)
    when = f"en {annee} " if annee is not None else ""
    data = report.drop(
        data,
        wrong_gen,
        column="code_qpv",
        values=code,
        reason=(
            f"code QPV de la génération {other} : {when}la génération en vigueur est {generation} "
            f"({_DECREES[generation]}) ; corrigez le code"
            + option_hint(
                "--qpv-generation",
                f" ou passez --qpv-generation {other}",
                python=f" ou passez qpv_generation={other}",
                otherwise="",
            )
        ),
    )
    code = data["code_qpv"]
    malformed = code.notna() & ~code.str.match(QPV_PATTERNS[generation].pattern).fillna(False)
    data = report.drop(
        data,
        malformed,
        column="code_qpv",
        values=code,
        reason=f"code QPV mal formé pour la génération {generation}",
    )
    if known is None:
        return data
    code = data["code_qpv"]
    unknown = code.notna() & ~code.isin(set(known))
    incomplete = (
        " ; la liste fournie est incomplète (liste ANCT par commune) : périmètres officiels des "
        f"QPV sur data.gouv.fr (« QP2024_France_Hexagonale_Outre_Mer ») ; {qpv_file_hint()}"
        if not complete
        else ""
    )
    return report.drop(
        data,
        unknown,
        column="code_qpv",
        values=code,
        reason=f"code QPV inconnu de la génération {generation}{incomplete}",
    )


def _france_extent(crs: object) -> tuple[float, float, float, float]:
    """Bounds of the CRS's area of use (metropolitan France for Lambert-93), in that CRS."""
    from pyproj import CRS, Transformer

    target = CRS.from_user_input(crs)
    area = target.area_of_use
    if area is None:
        return (-np.inf, -np.inf, np.inf, np.inf)
    to_crs = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    return tuple(to_crs.transform_bounds(*area.bounds))  # type: ignore[return-value]


def _locate(
    data: pd.DataFrame, report: LoadReport, qpv: gpd.GeoDataFrame | None, generation: int | None
) -> pd.DataFrame:
    """Locate dwellings without a QPV code from their coordinates, after checking them."""
    if "x" not in data.columns or "y" not in data.columns or data[["x", "y"]].isna().all(axis=None):
        return data  # an SNE extract without coordinates: an empty code means outside QPV
    x = pd.to_numeric(data["x"], errors="coerce")
    y = pd.to_numeric(data["y"], errors="coerce")
    no_code = data["code_qpv"].isna()
    data = report.drop(
        data,
        no_code & (x.isna() | y.isna()),
        column="code_qpv/x/y",
        reason="logement non localisé : ni code QPV ni coordonnées",
    )
    x, y = pd.to_numeric(data["x"], errors="coerce"), pd.to_numeric(data["y"], errors="coerce")
    need = data["code_qpv"].isna() & x.notna() & y.notna()
    gen = generation if generation is not None else "de l'année"
    if qpv is None:
        return report.drop(
            data,
            need,
            column="x/y",
            reason=f"périmètres QPV {gen} absents : logement localisé par ses coordonnées, non "
            f"classable ; {qpv_file_hint()}",
        )
    degrees = need & (x.abs() <= 180) & (y.abs() <= 90)
    data = report.drop(
        data,
        degrees,
        column="x/y",
        values=x.astype("string") + " ; " + y.astype("string"),
        reason=f"coordonnées en degrés (longitude/latitude ?) : attendues en mètres dans {qpv.crs}",
    )
    x, y = pd.to_numeric(data["x"], errors="coerce"), pd.to_numeric(data["y"], errors="coerce")
    need = data["code_qpv"].isna() & x.notna() & y.notna()
    xmin, ymin, xmax, ymax = _france_extent(qpv.crs)
    out = need & ~(x.between(xmin, xmax) & y.between(ymin, ymax))
    data = report.drop(
        data,
        out,
        column="x/y",
        values=x.astype("string") + " ; " + y.astype("string"),
        reason=f"coordonnées hors de l'emprise de la France dans {qpv.crs} : vérifiez la projection",
    )
    need = data["code_qpv"].isna() & data["x"].notna() & data["y"].notna()
    if need.any():
        import geopandas as gpd  # only attributions located by coordinates need it
        import shapely

        from peuplement.geo import assign_points

        pts = gpd.GeoSeries(
            shapely.points(data.loc[need, "x"].astype(float), data.loc[need, "y"].astype(float)),
            index=data.index[need],
            crs=qpv.crs,
        )
        code = data["code_qpv"].copy()
        code[need] = assign_points(pts, qpv, key="code_qpv")
        data["code_qpv"] = code
    return data


#: Levels of the LEC table.
LEVELS = ("epci", "commune", "bailleur", "reservataire", "bailleur_reservataire")
CIA_SOURCE = "convention intercommunale d'attribution (CIA, CCH L.441-1-6)"
_NO_TARGET = "aucune : pas d'objectif légal à ce niveau"


def _rate_rows(frame: pd.DataFrame, keys: list[str], num: str, den: str) -> pd.DataFrame:
    g = frame.groupby(keys, sort=True, dropna=False)
    return pd.DataFrame({"numerateur": g[num].sum(), "denominateur": g[den].sum()}).reset_index()


def _signed(
    classified: pd.DataFrame, siren: str | None, mutations: str
) -> tuple[pd.DataFrame, str]:
    """Signed leases with the unit columns and numerators; mutations kept or left out."""
    if mutations not in ("inclure", "exclure"):
        raise SchemaError(f"mutations={mutations!r} ; attendu 'inclure' ou 'exclure' (--mutations)")
    signed = classified[classified["bail_signe"].astype(bool)].copy()
    has_flag = "mutation" in signed.columns
    flag = (
        signed["mutation"].fillna(False).astype(bool)
        if has_flag
        else pd.Series(False, index=signed.index)
    )
    label = (
        "non renseignées" if not has_flag else ("incluses" if mutations == "inclure" else "exclues")
    )
    if mutations == "exclure":
        signed = signed[~flag]
    if siren is None:
        if "siren_epci" not in signed.columns:
            raise SchemaError(
                "lec_indicators : siren=None demande une colonne siren_epci (un EPCI par ligne)"
            )
        signed["epci"] = signed["siren_epci"]
    else:
        signed["epci"] = siren
    signed["commune"] = signed["code_insee"]
    signed["bailleur_reservataire"] = (
        signed["bailleur"].astype("string") + " × " + signed["reservataire"].astype("string")
    )
    out_qpv = ~signed["en_qpv"].astype(bool)
    q1 = signed["q1"].astype(bool)
    signed["d_a"] = out_qpv.astype("int64")
    signed["n_a"] = (out_qpv & (q1 | signed["relogement_ru"].astype(bool))).astype("int64")
    signed["n_a_hr"] = (out_qpv & q1).astype("int64")
    signed["d_b"] = (~out_qpv).astype("int64")
    signed["n_b"] = (~out_qpv & ~q1).astype("int64")
    signed["d_p"] = 1
    signed["n_p"] = signed["public_prioritaire"].astype(bool).astype("int64")
    return signed, label


_OBJECTIVES = [
    ("A", "n_a", "d_a"),
    ("A_hors_relogement", "n_a_hr", "d_a"),
    ("B", "n_b", "d_b"),
    ("prioritaires", "n_p", "d_p"),
]


def _objective_rows(signed: pd.DataFrame, levels: Sequence[str]) -> pd.DataFrame:
    """Numerator and denominator of every objective per unit of every level."""
    pieces = []
    for level in levels:
        for name, num, den in _OBJECTIVES:
            rows = _rate_rows(signed, [level], num, den).rename(columns={level: "unite"})
            rows.insert(0, "niveau", level)
            rows.insert(2, "objectif", name)
            pieces.append(rows)
    return pd.concat(pieces, ignore_index=True)


def _default_targets(
    table: pd.DataFrame, signed: pd.DataFrame, annee: int, cible_a: float, cible_b: float
) -> None:
    """Legal targets by level and objective, with their source (in place)."""
    r = rules(annee)
    table["cible"] = np.nan
    table["source_cible"] = _NO_TARGET
    ab = table["objectif"].isin(["A", "A_hors_relogement", "B"]) & (table["niveau"] != "commune")
    is_b = table["objectif"] == "B"
    table.loc[ab & ~is_b, "cible"] = cible_a
    table.loc[ab & is_b, "cible"] = cible_b
    table.loc[ab, "source_cible"] = str(r["reference"])
    # Priority households: a target per réservataire kind, none at EPCI, commune or landlord level.
    prio = (table["objectif"] == "prioritaires") & table["niveau"].isin(
        ["reservataire", "bailleur_reservataire"]
    )
    names = signed.drop_duplicates("bailleur_reservataire").set_index("bailleur_reservataire")[
        "reservataire"
    ]
    label = table["unite"].where(table["niveau"] == "reservataire", table["unite"].map(names))
    kind = reservataire_kind(label.astype("object"))
    known = RESERVATAIRE_RULES[RESERVATAIRE_RULES["depuis"] <= annee]
    table.loc[prio, "cible"] = kind[prio].map(known["cible_prioritaires"]).astype("float64")
    table.loc[prio, "source_cible"] = kind[prio].map(known["reference"]).fillna(_NO_TARGET)


def lec_indicators(
    classified: pd.DataFrame,
    *,
    annee: int,
    siren: str | None,
    cible_a: float | None = None,
    cible_b: float | None = None,
    engagements: pd.DataFrame | None = None,
    mutations: str = "inclure",
    levels: Sequence[str] = LEVELS,
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
) -> pd.DataFrame:
    r"""LEC compliance per EPCI, commune, landlord and réservataire.

    Parameters
    ----------
    classified
        Output of :func:`classify`.
    annee
        The year of the rules (:data:`RULES`).
    siren
        The EPCI, written in ``unite`` at the ``epci`` level; ``None`` for many EPCIs at
        once, read from the ``siren_epci`` column (national runs).
    cible_a, cible_b
        Targets of objectives A and B when the CIA/CIL set other figures than the year's
        rules (A: 25 %, adaptable by the intercommunal orientations in 2017–2018; B: 50 %).
    engagements
        The CIA's commitments (:func:`peuplement.io.load_engagements`): rates or counts
        per landlord, réservataire or both, used instead of the legal defaults.
    mutations
        ``"inclure"`` (default: internal transfers are attributions) or ``"exclure"``;
        the choice is written in the ``mutations`` column of every row.
    levels
        The levels of units to report.
    secret
        Statistical secrecy (cells under ``threshold`` masked, secondary suppression).
    threshold
        Minimum number of attributions behind a published cell (11).

    Returns
    -------
    pandas.DataFrame
        One row per unit × objective with :data:`LEC_COLUMNS`:

        - objectives ``A`` (outside QPV, signed leases: Q1 or urban-renewal rehousing),
          ``A_hors_relogement`` (Q1 only), ``B`` (inside QPV: not Q1) and
          ``prioritaires`` (priority households; target per réservataire kind,
          :data:`RESERVATAIRE_RULES`: 25 % for collectivités, Action Logement and the
          landlord's own stock, 100 % for the État's contingent, none for the civil
          servants' part);
        - ``taux`` = n / d, ``ecart_points`` = 100 × (taux − cible);
        - ``attributions_manquantes`` = :math:`\max(0, \lceil cible \times d - n \rceil)`
          (or ``cible_nombre − n`` for a count commitment);
        - ``statut`` (:class:`LecStatus`): ``sans objectif légal`` for communes and
          units without a target, else ``atteint``, ``non atteint``, ``sans
          attribution`` (d = 0) or ``effectif insuffisant`` (masked by secrecy).
    """
    r = rules(annee)
    signed, label = _signed(classified, siren, mutations)
    table = _objective_rows(signed, levels)
    a = float(r["cible_a"] if cible_a is None else cible_a)
    _default_targets(table, signed, annee, a, float(r["cible_b"] if cible_b is None else cible_b))
    table["cible_nombre"] = pd.array([pd.NA] * len(table), dtype="Int64")
    if engagements is not None:
        table = apply_commitments(table, engagements, annee=annee)
    table = _judge(table)
    # A unit without any attribution in a denominator has nothing to judge; the EPCI row
    # and committed units stay, so "no attribution" is said rather than left out.
    keep = (
        (table["denominateur"] > 0)
        | (table["niveau"] == "epci")
        | (table["source_cible"] == CIA_SOURCE)
    )
    table = table[keep].reset_index(drop=True)
    # Every count and every relation between the rows (peuplement.secrecy), audited.
    table = protect_lec({"lec": table}, signed, siren=siren, threshold=threshold, enabled=secret)[
        "lec"
    ]
    table["annee"] = annee
    table["mutations"] = label
    return table[["annee", *LEC_COLUMNS, "secret"]]


def _judge(table: pd.DataFrame) -> pd.DataFrame:
    """Rate, gap, attributions needed and status of each row."""
    n = table["numerateur"].astype("float64")
    d = table["denominateur"].astype("float64")
    target = table["cible"].astype("float64")
    count = table["cible_nombre"].astype("float64")
    table["taux"] = np.divide(n, d, out=np.full(len(table), np.nan), where=d > 0)
    table["ecart_points"] = 100 * (table["taux"] - target)
    by_rate = np.ceil(np.round(target * d - n, 9))
    needed = np.where(count.notna(), count - n, by_rate)
    table["attributions_manquantes"] = pd.array(
        np.where(np.isnan(needed), np.nan, np.maximum(0, needed)), dtype="Float64"
    ).astype("Int64")
    no_target = target.isna() & count.isna()
    met = np.where(count.notna(), n >= count, table["taux"] >= target - 1e-12)
    table["statut"] = np.select(
        [no_target.to_numpy(), (d == 0).to_numpy() & count.isna().to_numpy(), met],
        [LecStatus.SANS_OBJECTIF.value, LecStatus.SANS_ATTRIBUTION.value, LecStatus.ATTEINT.value],
        default=LecStatus.NON_ATTEINT.value,
    )
    return table


_LEVEL_OF = {
    (True, True): "bailleur_reservataire",
    (True, False): "bailleur",
    (False, True): "reservataire",
    (False, False): "epci",
}


def apply_commitments(
    table: pd.DataFrame, engagements: pd.DataFrame, *, annee: int
) -> pd.DataFrame:
    """Replace legal targets by the CIA's commitments of ``annee`` (CCH L.441-1-6).

    A commitment adapts objectives A and B (the orientations of the CIL may set their
    rates), but the 25 % of priority households of collectivités, Action Logement and the
    landlord's own stock, and the État's contingent, are legal minimums (CCH L.441-1,
    L.313-26-2): a CIA rate below the legal one adds to it and cannot lower it, so the
    higher of the two is judged and ``source_cible`` says so.

    ``engagements`` has ``annee``, ``objectif`` (``A``, ``A_hors_relogement``, ``B``,
    ``prioritaires``), ``bailleur`` and/or ``reservataire`` (both empty: the whole EPCI),
    and either ``cible`` (a share in [0, 1]) or ``nombre`` (a count of qualifying
    attributions). A commitment on a unit without attribution adds a row (d = 0).

    Parameters
    ----------
    table
        Output of :func:`lec_indicators`.
    engagements
        The commitments (:func:`peuplement.io.sne.load_engagements`).
    annee
        The year whose commitments apply.

    Returns
    -------
    pandas.DataFrame
        ``table`` with targets, their source, rates, gaps and statuses recomputed for the committed
        units.
    """
    year = engagements[engagements["annee"] == annee]
    if year.empty:
        return table
    has_b = year["bailleur"].notna().to_numpy()
    has_r = year["reservataire"].notna().to_numpy()
    niveau = [_LEVEL_OF[(bool(b), bool(r))] for b, r in zip(has_b, has_r, strict=True)]
    unite = np.where(
        has_b & has_r,
        year["bailleur"].astype("string") + " × " + year["reservataire"].astype("string"),
        np.where(has_b, year["bailleur"].astype("string"), year["reservataire"].astype("string")),
    )
    epci_unit = table.loc[table["niveau"] == "epci", "unite"]
    unite = np.where(np.array(niveau) == "epci", epci_unit.iloc[0] if len(epci_unit) else "", unite)
    commit = pd.DataFrame(
        {
            "niveau": niveau,
            "unite": unite,
            "objectif": year["objectif"].to_numpy(),
            "_cible": year["cible"].to_numpy(dtype="float64"),
            "_nombre": year["nombre"].astype("Int64").to_numpy(),
        }
    )
    keys = ["niveau", "unite", "objectif"]
    merged = table.merge(commit, on=keys, how="outer", indicator=True)
    hit = merged["_merge"] != "left_only"
    merged[["numerateur", "denominateur"]] = (
        merged[["numerateur", "denominateur"]].fillna(0).astype("int64")
    )
    legal = pd.to_numeric(merged["cible"], errors="coerce")
    floor = hit & (merged["objectif"] == "prioritaires") & (legal > merged["_cible"])
    merged.loc[hit & ~floor, "cible"] = merged.loc[hit & ~floor, "_cible"]
    merged.loc[hit, "cible_nombre"] = merged.loc[hit, "_nombre"]
    merged.loc[hit & ~floor, "source_cible"] = CIA_SOURCE
    for i in merged.index[floor]:
        merged.loc[i, "source_cible"] = (
            f"{merged.loc[i, 'source_cible']} — minimum légal retenu : l'engagement CIA de "
            f"{fmt_pct(float(merged.loc[i, '_cible']))} lui est inférieur"
        )
    return merged.drop(columns=["_cible", "_nombre", "_merge"])


def commitments_vs_achieved(table: pd.DataFrame) -> pd.DataFrame:
    """Return commitment against achievement for every unit the CIA committed.

    Parameters
    ----------
    table
        Output of :func:`lec_indicators` after :func:`apply_commitments`.

    Returns
    -------
    pandas.DataFrame
        ``niveau``, ``unite``, ``objectif``, ``engagement`` (French text: a rate or a count),
        ``realise`` (rate or count achieved), ``ecart`` (points or attributions),
        ``attributions_manquantes``, ``statut``.
    """
    source = table["source_cible"].astype("string")
    committed = (source == CIA_SOURCE) | source.str.contains("engagement CIA", regex=False)
    rows = table[committed.fillna(False)].copy()
    by_count = rows["cible_nombre"].notna()

    rows["engagement"] = np.where(
        by_count,
        rows["cible_nombre"].astype("string") + " attribution(s)",
        [fmt_pct(float(v)) if pd.notna(v) else "" for v in rows["cible"]],
    )
    rows["realise"] = np.where(
        by_count, rows["numerateur"].astype("float64"), rows["taux"].astype("float64")
    )
    rows["ecart"] = np.where(
        by_count,
        rows["numerateur"].astype("float64") - rows["cible_nombre"].astype("float64"),
        rows["ecart_points"].astype("float64"),
    )
    cols = [
        "annee",
        "niveau",
        "unite",
        "objectif",
        "engagement",
        "realise",
        "ecart",
        "attributions_manquantes",
        "statut",
        "secret",
    ]
    return rows[cols].reset_index(drop=True)


def quartile_distribution(
    classified: pd.DataFrame,
    *,
    by: Sequence[str] = ("annee",),
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
) -> pd.DataFrame:
    """Signed attributions by income quartile (Q1–Q4) inside and outside QPV, with shares.

    One row per ``by`` × location (``en QPV`` / ``hors QPV``) × quartile; with several
    years in ``annee`` it gives the trend. Cells of fewer than ``threshold`` attributions
    are masked (with secondary suppression within each location) unless ``secret=False``.

    Parameters
    ----------
    classified
        Output of :func:`classify`.
    by
        Grouping columns (``annee``, ``siren_epci``).
    secret
        Apply statistical secrecy (cells under ``threshold`` attributions masked, with secondary
        suppression).
    threshold
        Minimum number of attributions behind a published cell (11).

    Returns
    -------
    pandas.DataFrame
        Counts and shares per ``by`` × location × quartile, with a ``secret`` column.
    """
    keys = list(by)
    signed = classified[classified["bail_signe"].astype(bool)]
    frame = signed.assign(localisation=np.where(signed["en_qpv"], "en QPV", "hors QPV"))
    counts = (
        frame.groupby([*keys, "localisation", "quartile"], sort=True)
        .size()
        .rename("nb_attributions")
        .reset_index()
    )
    totals = counts.groupby([*keys, "localisation"])["nb_attributions"].transform("sum")
    counts["part"] = counts["nb_attributions"] / totals
    counts["quartile"] = "Q" + counts["quartile"].astype(str)
    by_year = {"quartiles": counts}
    return protect_lec(by_year, classified, siren="-", threshold=threshold, enabled=secret)[
        "quartiles"
    ]


def rooms_needed(nb_personnes: np.ndarray | pd.Series) -> np.ndarray:
    """Return the rooms a household of ``n`` persons usually needs: ``max(1, n − 1)``.

    1 person: T1, 4 persons: T3, 6 persons: T5.

    Parameters
    ----------
    nb_personnes
        Persons in each household.

    Returns
    -------
    numpy.ndarray
        Rooms, one per household.

    Examples
    --------
    >>> rooms_needed(np.array([1, 2, 4, 6])).tolist()
    [1.0, 1.0, 3.0, 5.0]
    """
    rooms: np.ndarray = np.maximum(1.0, np.asarray(nb_personnes, dtype="float64") - 1)
    return rooms


def _fits(persons: np.ndarray, rooms: np.ndarray, tolerance: int) -> np.ndarray:
    """Tell whether a household fits a dwelling: its rooms differ from :func:`rooms_needed` by at most ``tolerance``."""
    fits: np.ndarray = np.abs(rooms - rooms_needed(persons)) <= tolerance
    return fits


def _dwelling_rooms(sim: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Rooms of each attributed dwelling; without ``nb_pieces``, those its present household needs."""
    if "nb_pieces" in sim.columns and sim["nb_pieces"].notna().all():
        return sim["nb_pieces"].to_numpy(
            dtype="float64"
        ), "nombre de pièces du logement (nb_pieces)"
    return rooms_needed(sim["nb_personnes"]), (
        "taille des logements inconnue : pièces supposées adaptées au ménage attributaire d'origine"
    )


def simulate(
    classified: pd.DataFrame,
    demandes: pd.DataFrame,
    *,
    q1: float,
    q2: float | None = None,
    q3: float | None = None,
    part_q1_hors_qpv: float | None = None,
    deplacer_q1_vers_hors_qpv: int = 0,
    tolerance_pieces: int = 1,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, int | str]]:
    """Simulate an attribution policy under real constraints, and say what it took.

    - ``part_q1_hors_qpv``: per landlord, at least this share of signed attributions
      outside QPV go to first-quartile applicants. Non-Q1 households outside QPV are
      replaced by unserved Q1 applicants of the demand stock **with the same priority
      status** (the number of priority households is kept) and **whose size fits the
      dwelling** (rooms within ``tolerance_pieces`` of :func:`rooms_needed`).
    - ``deplacer_q1_vers_hors_qpv``: swap n Q1 households attributed in QPV with non-Q1
      households outside QPV, only pairs where each household fits the other's dwelling.

    Every derived column (``uc``, ``ruc``, ``quartile``, ``q1``) is recomputed.

    Parameters
    ----------
    classified
        Output of :func:`classify`.
    demandes
        The demand stock the Q1 households are drawn from.
    q1
        The first-quartile threshold.
    q2, q3
        Upper quartile thresholds, to recompute ``quartile``; ``None`` when unknown.
    part_q1_hors_qpv
        Minimum share of Q1 among each landlord's signed attributions outside QPV; ``None``:
        no such policy.
    deplacer_q1_vers_hors_qpv
        Number of swaps between Q1 households in QPV and non-Q1 households outside.
    tolerance_pieces
        Rooms of difference accepted between a dwelling and :func:`rooms_needed`.
    seed
        Seed of the random draws.

    Returns
    -------
    tuple
        The simulated attributions and a dict: ``reattribuees``, ``echanges``,
        ``q1_disponibles``, ``manque_demandeurs_q1``, ``prioritaires_avant``,
        ``prioritaires_apres``, ``contraintes`` (French text of what limited the result).
    """
    rng = np.random.default_rng(seed)
    sim = classified.copy().reset_index(drop=True)
    rooms, rooms_source = _dwelling_rooms(sim)
    prio_before = int(sim["public_prioritaire"].astype(bool).sum())
    stats: dict[str, int | str] = {"reattribuees": 0, "echanges": 0, "manque_demandeurs_q1": 0}
    constraints = [
        f"adéquation taille du ménage / logement à ±{tolerance_pieces} pièce ({rooms_source})"
    ]
    if part_q1_hors_qpv is not None:
        n_avail = _reassign(
            sim, demandes, rooms, q1, part_q1_hors_qpv, tolerance_pieces, rng, stats
        )
        stats["q1_disponibles"] = n_avail
        constraints.append(
            f"demandeurs Q1 non servis disponibles : {n_avail}, même statut prioritaire exigé"
        )
    else:
        stats["q1_disponibles"] = 0
    if deplacer_q1_vers_hors_qpv:
        swaps = _swap(sim, rooms, q1, deplacer_q1_vers_hors_qpv, tolerance_pieces)
        stats["echanges"] = swaps
        if swaps < deplacer_q1_vers_hors_qpv:
            constraints.append(
                f"échanges limités à {swaps} sur {deplacer_q1_vers_hors_qpv} par les paires compatibles"
            )
    if int(stats["manque_demandeurs_q1"]):
        constraints.append(
            f"{stats['manque_demandeurs_q1']} remplacement(s) impossible(s) faute de demandeur compatible"
        )
    sim["uc"] = units_of_consumption(sim["nb_personnes"], sim["nb_moins_14"])
    sim["ruc"] = pd.to_numeric(sim["ressources_annuelles"]).to_numpy(dtype="float64") / sim["uc"]
    n = len(sim)
    sim["quartile"] = _quartile_of(
        sim["ruc"].to_numpy(),
        np.full(n, q1),
        None if q2 is None else np.full(n, q2),
        None if q3 is None else np.full(n, q3),
    )
    sim["q1"] = sim["quartile"] == 1
    stats["prioritaires_avant"] = prio_before
    stats["prioritaires_apres"] = int(sim["public_prioritaire"].astype(bool).sum())
    stats["contraintes"] = " ; ".join(constraints)
    return sim, stats


_HOUSEHOLD = ["ressources_annuelles", "nb_personnes", "nb_moins_14", "public_prioritaire"]


def _reassign(
    sim: pd.DataFrame,
    demandes: pd.DataFrame,
    rooms: np.ndarray,
    q1: float,
    share: float,
    tolerance: int,
    rng: np.random.Generator,
    stats: dict[str, int | str],
) -> int:
    """Replace non-Q1 households outside QPV by fitting unserved Q1 applicants (in place)."""
    ruc = _ruc(demandes)
    served = set(sim["id_demande"].dropna()) if "id_demande" in sim.columns else set()
    ids = (
        demandes["id_demande"].to_numpy()
        if "id_demande" in demandes.columns
        else np.arange(len(demandes)).astype(str)
    )
    free = np.flatnonzero((ruc <= q1) & ~np.isin(ids, list(served)))
    rng.shuffle(free)
    persons = demandes["nb_personnes"].to_numpy(dtype="float64")
    prio = (
        demandes["public_prioritaire"].fillna(False).astype(bool).to_numpy()
        if "public_prioritaire" in demandes.columns
        else np.zeros(len(demandes), bool)
    )
    used = np.zeros(len(demandes), dtype=bool)
    cols = [c for c in _HOUSEHOLD if c in sim.columns and c in demandes.columns]
    eligible = sim["bail_signe"].astype(bool) & ~sim["en_qpv"].astype(bool)
    for _, rows in sim[eligible].groupby("bailleur", sort=True):
        # A loop over landlords, then over the few households to replace: each needs
        # the first free applicant that fits its dwelling and keeps its priority status,
        # a matching no vectorised pandas operation expresses.
        need = int(np.ceil(share * len(rows) - 1e-9)) - int(rows["q1"].sum())
        for idx in rows.index[~rows["q1"].to_numpy()][: max(need, 0)]:
            ok = free[~used[free]]
            ok = ok[_fits(persons[ok], np.full(len(ok), rooms[idx]), tolerance)]
            ok = ok[prio[ok] == bool(sim.at[idx, "public_prioritaire"])]
            if len(ok) == 0:
                stats["manque_demandeurs_q1"] = int(stats["manque_demandeurs_q1"]) + 1
                continue
            pick = ok[0]
            used[pick] = True
            for col in cols:
                sim.at[idx, col] = demandes[col].to_numpy()[pick]
            if "id_demande" in sim.columns:
                sim.at[idx, "id_demande"] = ids[pick]
            stats["reattribuees"] = int(stats["reattribuees"]) + 1
    return int(len(free))


def _swap(sim: pd.DataFrame, rooms: np.ndarray, q1: float, wanted: int, tolerance: int) -> int:
    """Swap Q1 households in QPV with non-Q1 ones outside, when each fits the other's dwelling."""
    signed = sim["bail_signe"].astype(bool).to_numpy()
    en_qpv = sim["en_qpv"].astype(bool).to_numpy()
    is_q1 = _ruc(sim) <= q1
    persons = sim["nb_personnes"].to_numpy(dtype="float64")
    inside = np.flatnonzero(signed & en_qpv & is_q1)
    outside = list(np.flatnonzero(signed & ~en_qpv & ~is_q1))
    cols = [c for c in [*_HOUSEHOLD, "id_demande"] if c in sim.columns]
    done = 0
    for a in inside:  # greedy pairing over at most a few hundred households
        if done >= wanted:
            break
        for k, b in enumerate(outside):
            if (
                _fits(persons[[a]], rooms[[b]], tolerance)[0]
                and _fits(persons[[b]], rooms[[a]], tolerance)[0]
            ):
                row_a, row_b = sim.loc[a, cols].copy(), sim.loc[b, cols].copy()
                sim.loc[a, cols], sim.loc[b, cols] = row_b.to_numpy(), row_a.to_numpy()
                outside.pop(k)
                done += 1
                break
    return done


def read_official(data_dir: str | os.PathLike[str] | None) -> pd.DataFrame:
    """Return the official thresholds table (yearly arrêtés, CCH L.441-1).

    Parameters
    ----------
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    pandas.DataFrame or None
        The thresholds of :func:`peuplement.load_seuils_quartiles`; ``None`` when the file is
        missing.

    Raises
    ------
    DataNotFoundError
        When the file is missing: the message names it, where to get it and the options
        that do without it (``--seuil``, ``--demandes``).
    """
    from peuplement.io.reference import load_seuils_quartiles

    try:
        return load_seuils_quartiles(data_dir=data_dir).data
    except DataNotFoundError as exc:
        raise DataNotFoundError(
            "table officielle des seuils de ressources des quartiles introuvable "
            "(lec/seuils_quartiles_demandeurs_epci_2024_2026.csv dans le répertoire de données). "
            "Source : arrêtés annuels publiés au Journal officiel, compilés par l'Union régionale "
            "HLM Hauts-de-France (calculette-lec.github.io, montants_quartiles.xlsx). Passez le "
            f"répertoire qui la contient avec {data_dir_hint()}"
            + "".join(f", ou {way}" for way in _threshold_ways())
            + ". "
            f"Détail : {exc}"
        ) from exc


def _threshold_ways() -> list[str]:
    """Return the ways to a threshold besides the official table.

    Said as the running command offers them (a command without ``--seuil`` is not told to
    pass it), or as Python does.
    """
    ways = [
        option_hint(
            "--seuil",
            "un seuil avec --seuil",
            python="un seuil imposé (argument seuil)",
            otherwise="",
        ),
        option_hint(
            "--demandes",
            "les demandes avec --demandes pour le calculer",
            python="les demandes (argument demandes) pour le calculer",
            otherwise="",
        ),
    ]
    return [way for way in ways if way]


def lec_by_year(
    attributions: pd.DataFrame,
    *,
    siren: str,
    official: pd.DataFrame,
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
) -> pd.DataFrame:
    """Judge each year's attributions against that year's own threshold (CCH L.441-1).

    The first-quartile threshold is fixed each year by arrêté and applies to the
    attributions of that year: an attribution of 2025 is classed with the 2025 arrêté,
    never with another year's. The years are few (one arrêté each), so the loop is over
    years, each a full vectorised classification.

    Parameters
    ----------
    attributions
        Attributions of several years (an ``annee`` column), of one EPCI.
    siren
        The EPCI.
    official
        The official thresholds table (:func:`read_official`), with every year needed.
    secret, threshold
        Statistical secrecy of each year's table.

    Returns
    -------
    pandas.DataFrame
        The EPCI rows of :func:`lec_indicators` for every year, with ``seuil_q1``,
        ``source_seuil`` and ``nb_lignes_rejetees`` (rows of the year that could not be
        classified, e.g. a QPV code of another generation): one row per year and objective.

    Raises
    ------
    SchemaError
        When a year has no official threshold for the EPCI.
    """
    tables = []
    for annee in sorted(pd.unique(attributions["annee"].dropna().astype(int))):
        th = thresholds(siren, int(annee), official=official)
        year = attributions[attributions["annee"] == annee]
        if "ligne" not in year.columns:
            year = year.assign(ligne=np.arange(1, len(year) + 1))
        rejected = LoadReport(f"attributions {annee}")
        rejected.n_read = len(year)
        classified = classify(year, q1=th.q1, q2=th.q2, q3=th.q3, annee=int(annee), report=rejected)
        table = lec_indicators(
            classified,
            annee=int(annee),
            siren=siren,
            levels=("epci",),
            secret=secret,
            threshold=threshold,
        )
        # Rows that cannot be classified are counted beside the year, never dropped unsaid.
        tables.append(
            table.assign(
                seuil_q1=th.q1, source_seuil=th.source, nb_lignes_rejetees=rejected.n_rejected
            )
        )
    if not tables:
        return pd.DataFrame(
            columns=["annee", *LEC_COLUMNS, "seuil_q1", "source_seuil", "nb_lignes_rejetees"]
        )
    return pd.concat(tables, ignore_index=True)
