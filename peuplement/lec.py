"""Attribution balance: the obligations of the Égalité et Citoyenneté law (LEC).

Article L.441-1 of the Code de la construction et de l'habitation, as amended by the
law of 27 January 2017 (Égalité et Citoyenneté) and the ELAN law of 2018, sets for
every EPCI bound by a Conférence intercommunale du logement:

- **objective A** (outside QPV): at least 25 % of the attributions, followed by a
  signed lease, of dwellings located outside QPV go to applicants of the first
  quartile of resources per unit of consumption (RUC at or below the threshold S of
  the year's arrêté) or to households rehoused by an urban renewal operation
  (NPNRU/ORCOD);
- **objective B** (inside QPV): at least 50 % of the attributions in QPV go to
  applicants other than the first quartile (the CIL may set another figure);
- **publics prioritaires**: at least 25 % of each réservataire's attributions go to
  priority households (DALO and the other criteria of L.441-1).

The rules are versioned by year in :data:`RULES`, not hard-coded.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from peuplement._errors import SchemaError, preview
from peuplement.geo import assign_points
from peuplement.secrecy import SECRET_THRESHOLD, apply_secrecy
from peuplement.validation import LoadReport, drop_other_years

__all__ = [
    "LEC_COLUMNS",
    "RULES",
    "Thresholds",
    "classify",
    "first_quartile_threshold",
    "lec_indicators",
    "quartile_distribution",
    "read_official",
    "rules",
    "simulate",
    "thresholds",
    "units_of_consumption",
]

logger = logging.getLogger(__name__)

#: The LEC rules in force each year: targets and the scale of units of consumption.
RULES = pd.DataFrame(
    {
        "annee": list(range(2017, 2027)),
        "cible_a": 0.25,
        "cible_b": 0.50,
        "cible_prioritaires": 0.25,
        "uc_premier_adulte": 1.0,
        "uc_autre_14_ans_et_plus": 0.5,
        "uc_moins_14_ans": 0.3,
        "reference": "CCH art. L.441-1 (loi n° 2017-86 du 27 janvier 2017, modifiée par la loi ELAN n° 2018-1021)",
    }
).set_index("annee")

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
]


def rules(annee: int) -> pd.Series:
    """Return the rules of year ``annee`` (targets and UC scale); error if the year is not covered."""
    if annee not in RULES.index:
        raise SchemaError(
            f"no LEC rules for year {annee}; covered years: {RULES.index.min()}–{RULES.index.max()}. "
            "Add a row to peuplement.lec.RULES for a new year."
        )
    return pd.Series(RULES.loc[annee])


def units_of_consumption(
    nb_personnes: pd.Series | np.ndarray,
    nb_moins_14: pd.Series | np.ndarray,
    *,
    scale: tuple[float, float, float] = (1.0, 0.5, 0.3),
) -> np.ndarray:
    r"""Units of consumption of households.

    .. math:: UC = a + b\,(n - 1 - e) + c\,e

    with :math:`n` persons of whom :math:`e` are under 14, and the scale
    :math:`(a, b, c) = (1, 0.5, 0.3)` of the LEC thresholds (first adult, other person
    of 14 or more, child under 14). A couple with two children under 14: 2.1 UC.

    >>> units_of_consumption(np.array([4, 1]), np.array([2, 0])).tolist()
    [2.1, 1.0]
    """
    n = np.asarray(nb_personnes, dtype="float64")
    e = np.asarray(nb_moins_14, dtype="float64")
    a, b, c = scale
    return a + b * (n - 1 - e) + c * e


def first_quartile_threshold(demandes: pd.DataFrame, *, by: str | None = None) -> pd.Series:
    r"""First-quartile threshold S computed from the demand stock.

    S is the highest RUC within the lowest quartile of the applicants: sorting the
    :math:`n` RUC in increasing order, :math:`S = RUC_{(k)}` with
    :math:`k = \lceil n/4 \rceil` (the "inverted CDF" quantile, method
    ``inverted_cdf`` of :func:`numpy.quantile`; no interpolation, S is an observed
    value). Households at or below S are in the first quartile, so with ties at S the
    quartile may hold more than 25 % of applicants.

    Parameters
    ----------
    demandes
        Demand stock at 31 December of year N−1, with ``ressources_annuelles``,
        ``nb_personnes``, ``nb_moins_14`` (or an ``ruc`` column).
    by
        Territory column (``siren_epci``); ``None`` for one territory.
    """
    ruc = _ruc(demandes)
    key = demandes[by].to_numpy() if by else np.zeros(len(demandes), dtype=np.int64)
    frame = pd.DataFrame({"k": key, "ruc": ruc}).sort_values(["k", "ruc"], kind="mergesort")
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
        raise SchemaError(f"RUC needs columns {missing}; found {preview(frame.columns)}")
    uc = units_of_consumption(frame["nb_personnes"], frame["nb_moins_14"])
    return frame["ressources_annuelles"].to_numpy(dtype="float64") / uc


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of applicants' resources per UC (€ per year) used for one EPCI and year."""

    q1: float
    q2: float | None
    q3: float | None
    source: str
    q1_calcule: float | None = None


def thresholds(
    siren: str,
    annee: int,
    *,
    official: pd.DataFrame | None = None,
    demandes: pd.DataFrame | None = None,
    seuil: float | None = None,
) -> Thresholds:
    """Thresholds Q1, Q2, Q3 (€ per UC per year) used for an EPCI and a year.

    Order of precedence: an explicit ``seuil`` (Q1 forced by the user); the official
    thresholds of the year's arrêté (``official``, from
    :func:`peuplement.load_seuils_quartiles`); the value computed from the demand stock.
    The computed Q1 is always reported beside the one used when the demand stock is given.
    """
    computed = None
    if demandes is not None and len(demandes):
        computed = float(first_quartile_threshold(demandes).iloc[0])
    q1: float | None = None
    q2 = q3 = None
    source = ""
    if official is not None:
        row = official[(official["siren_epci"] == siren) & (official["annee"] == annee)]
        if len(row):
            q1, q2, q3 = (
                float(row[c].iloc[0]) for c in ("q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc")
            )
            source = f"arrêté {annee} (seuils officiels)"
    if seuil is not None:
        q1, source = float(seuil), "seuil imposé par l'utilisateur"
    if q1 is None:
        if computed is None:
            raise SchemaError(
                f"no first-quartile threshold for EPCI {siren} in {annee}: not in the official table, "
                "no demand stock given; pass --seuil or the demand stock"
            )
        q1, source = computed, "calculé sur la demande au 31/12 de N−1"
    return Thresholds(q1=q1, q2=q2, q3=q3, source=source, q1_calcule=computed)


def classify(
    attributions: pd.DataFrame,
    *,
    q1: float | np.ndarray | pd.Series,
    q2: float | np.ndarray | pd.Series | None = None,
    q3: float | np.ndarray | pd.Series | None = None,
    qpv: gpd.GeoDataFrame | None = None,
    annee: int | None = None,
    report: LoadReport | None = None,
) -> pd.DataFrame:
    """Classify each attribution: units of consumption, RUC, quartile, inside or outside QPV.

    An attribution is in QPV when its dwelling's ``code_qpv`` is given; otherwise, when
    ``qpv`` polygons and Lambert-93 ``x``/``y`` are given, from a point-in-polygon join.
    Rows that cannot be classified are rejected into ``report`` with their reason
    (no dwelling location, year outside ``annee``, a declared ``premier_quartile`` flag
    contradicting RUC and threshold), never silently dropped.

    Returns
    -------
    pandas.DataFrame
        The kept attributions with ``uc``, ``ruc``, ``quartile`` (1–4, or 1/0 for
        Q1 / above when only Q1 is known), ``q1`` (bool), ``en_qpv`` (bool).
    """
    report = report or LoadReport("attributions")
    if report.n_read == 0:
        report.n_read = len(attributions)
        report.close(len(attributions))
    data = attributions.copy()
    if "ligne" not in data.columns:
        data["ligne"] = np.arange(1, len(data) + 1)
    if annee is not None and "annee" in data.columns:
        data = drop_other_years(data, report, annee)
    data["uc"] = units_of_consumption(data["nb_personnes"], data["nb_moins_14"])
    data["ruc"] = data["ressources_annuelles"].to_numpy(dtype="float64") / data["uc"]
    ruc = data["ruc"].to_numpy()
    q1_arr = _per_row(q1, data)
    quartile = 1 + (ruc > q1_arr).astype("int64")
    for bound in (q2, q3):
        if bound is not None:
            quartile += (ruc > _per_row(bound, data)).astype("int64")
    data["quartile"] = quartile
    data["q1"] = ruc <= q1_arr
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
            reason=f"declared first-quartile flag contradicts RUC and threshold {_label(q1)}",
        )
    code = (
        data["code_qpv"]
        if "code_qpv" in data.columns
        else pd.Series(pd.NA, index=data.index, dtype="string")
    )
    located = code.notna()
    has_xy = ("x" in data.columns) and ("y" in data.columns)
    if qpv is not None and has_xy:
        xy = data["x"].notna() & data["y"].notna() & ~located
        if xy.any():
            pts = gpd.GeoSeries(
                shapely.points(data.loc[xy, "x"], data.loc[xy, "y"]),
                index=data.index[xy],
                crs=qpv.crs,
            )
            code = code.copy()
            code[xy] = assign_points(pts, qpv, key="code_qpv")
            data["code_qpv"] = code
            located = located | xy
    if qpv is None or not has_xy:
        # Without polygons or coordinates an empty code_qpv is the only information:
        # the dwelling is outside QPV. That is how SNE extracts encode it.
        located = pd.Series(True, index=data.index)
    data = report.drop(
        data,
        ~located,
        column="code_qpv/x/y",
        reason="no dwelling location: neither QPV code nor coordinates",
    )
    data["en_qpv"] = data["code_qpv"].notna()
    return data


def _per_row(bound: float | np.ndarray | pd.Series, data: pd.DataFrame) -> np.ndarray:
    """Return a threshold as one value per row: a scalar for one EPCI, an array for many."""
    if np.ndim(bound) == 0:
        return np.full(len(data), float(bound))  # type: ignore[arg-type]
    values = np.asarray(bound, dtype="float64")
    if len(values) != len(data):
        raise SchemaError(f"per-row thresholds: {len(values)} values for {len(data)} attributions")
    return values


def _label(bound: float | np.ndarray | pd.Series) -> str:
    return f"{float(bound):g}" if np.ndim(bound) == 0 else "of its EPCI"  # type: ignore[arg-type]


def _rate_rows(frame: pd.DataFrame, keys: list[str], num: str, den: str) -> pd.DataFrame:
    g = frame.groupby(keys, sort=True, dropna=False)
    return pd.DataFrame({"numerateur": g[num].sum(), "denominateur": g[den].sum()}).reset_index()


def lec_indicators(
    classified: pd.DataFrame,
    *,
    annee: int,
    siren: str | None,
    cible_b: float | None = None,
    levels: Sequence[str] = (
        "epci",
        "commune",
        "bailleur",
        "reservataire",
        "bailleur_reservataire",
    ),
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
    cible_b
        Target of objective B when the CIL set another figure than the law's 50 %.
    secret
        Apply statistical secrecy (cells under ``threshold`` attributions masked,
        with secondary suppression within each level and objective).

    Returns
    -------
    pandas.DataFrame
        One row per unit × objective with :data:`LEC_COLUMNS`:

        - objectives ``A`` (outside QPV, signed leases: Q1 or urban-renewal rehousing),
          ``A_hors_relogement`` (Q1 only, the national statistics' variant), ``B``
          (inside QPV, signed leases: not Q1) and ``prioritaires`` (all signed leases:
          priority households);
        - ``taux`` = numerateur / denominateur, ``ecart_points`` = 100 × (taux − cible);
        - ``attributions_manquantes`` = :math:`\max(0, \lceil cible \times d - n \rceil)`:
          the qualifying attributions that must replace others, the denominator unchanged;
        - ``statut``: ``atteint``, ``non atteint``, ``sans attribution`` (d = 0) or
          ``effectif insuffisant`` (masked by secrecy).
    """
    r = rules(annee)
    target_b = float(r["cible_b"] if cible_b is None else cible_b)
    signed = classified[classified["bail_signe"].astype(bool)].copy()
    if siren is None:
        if "siren_epci" not in signed.columns:
            raise SchemaError(
                "lec_indicators: siren=None needs a siren_epci column (one EPCI per row)"
            )
        signed["epci"] = signed["siren_epci"]
    else:
        signed["epci"] = siren
    signed["commune"] = signed["code_insee"]
    signed["bailleur_reservataire"] = (
        signed["bailleur"].astype("string") + " × " + signed["reservataire"].astype("string")
    )
    out_qpv = ~signed["en_qpv"]
    signed["d_a"] = out_qpv.astype("int64")
    signed["n_a"] = (out_qpv & (signed["q1"] | signed["relogement_ru"].astype(bool))).astype(
        "int64"
    )
    signed["n_a_hr"] = (out_qpv & signed["q1"]).astype("int64")
    signed["d_b"] = signed["en_qpv"].astype("int64")
    signed["n_b"] = (signed["en_qpv"] & ~signed["q1"]).astype("int64")
    signed["d_p"] = 1
    signed["n_p"] = signed["public_prioritaire"].astype(bool).astype("int64")
    objectives = [
        ("A", "n_a", "d_a", float(r["cible_a"])),
        ("A_hors_relogement", "n_a_hr", "d_a", float(r["cible_a"])),
        ("B", "n_b", "d_b", target_b),
        ("prioritaires", "n_p", "d_p", float(r["cible_prioritaires"])),
    ]
    pieces = []
    for level in levels:
        for name, num, den, target in objectives:
            rows = _rate_rows(signed, [level], num, den).rename(columns={level: "unite"})
            rows.insert(0, "niveau", level)
            rows.insert(2, "objectif", name)
            rows["cible"] = target
            pieces.append(rows)
    table = pd.concat(pieces, ignore_index=True)
    n = table["numerateur"].astype("float64")
    d = table["denominateur"].astype("float64")
    table["taux"] = np.divide(n, d, out=np.full(len(table), np.nan), where=d > 0)
    table["ecart_points"] = 100 * (table["taux"] - table["cible"])
    table["attributions_manquantes"] = np.maximum(
        0, np.ceil(np.round(table["cible"] * d - n, 9))
    ).astype("int64")
    table["statut"] = np.select(
        [d == 0, table["taux"] >= table["cible"] - 1e-12],
        ["sans attribution", "atteint"],
        default="non atteint",
    )
    # A unit without any attribution in a denominator has nothing to judge; the EPCI row
    # stays, so "no attribution outside QPV" is said rather than left out.
    table = table[(table["denominateur"] > 0) | (table["niveau"] == "epci")].reset_index(drop=True)
    table = apply_secrecy(
        table,
        count="denominateur",
        masked=["numerateur", "denominateur", "taux", "ecart_points", "attributions_manquantes"],
        groups=["niveau", "objectif"],
        threshold=threshold,
        enabled=secret,
    )
    table.loc[table["secret"].isin(["primaire", "secondaire"]), "statut"] = "effectif insuffisant"
    table["annee"] = annee
    return table[["annee", *LEC_COLUMNS, "secret"]]


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
    return apply_secrecy(
        counts,
        count="nb_attributions",
        masked=["nb_attributions", "part"],
        groups=[*keys, "localisation"],
        threshold=threshold,
        enabled=secret,
    )


def simulate(
    classified: pd.DataFrame,
    demandes: pd.DataFrame,
    *,
    q1: float,
    part_q1_hors_qpv: float | None = None,
    deplacer_q1_vers_hors_qpv: int = 0,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Simulate an attribution policy and return the new attributions and what it took.

    Two policies, applied in this order:

    - ``part_q1_hors_qpv``: per landlord, at least this share of signed attributions
      outside QPV go to first-quartile applicants. Non-Q1 attributions outside QPV are
      reassigned to Q1 applicants drawn from the demand stock who were not served;
      the demand stock is the constraint: when it runs out, the policy stops short.
    - ``deplacer_q1_vers_hors_qpv``: move n Q1 households attributed in QPV to
      dwellings outside QPV, swapping them with non-Q1 households attributed outside
      QPV (each swap raises A's numerator and B's numerator by one).

    Returns
    -------
    tuple
        The simulated attributions (same columns, household fields replaced) and a
        dict of counts: ``reattribuees``, ``echanges``, ``q1_disponibles``,
        ``manque_demandeurs_q1``.
    """
    rng = np.random.default_rng(seed)
    sim = classified.copy()
    pool_ruc = _ruc(demandes)
    served = set(sim["id_demande"].dropna()) if "id_demande" in sim.columns else set()
    ids = (
        demandes["id_demande"].to_numpy()
        if "id_demande" in demandes.columns
        else np.arange(len(demandes)).astype(str)
    )
    available = np.flatnonzero((pool_ruc <= q1) & ~np.isin(ids, list(served)))
    rng.shuffle(available)
    stats = {
        "reattribuees": 0,
        "echanges": 0,
        "q1_disponibles": int(len(available)),
        "manque_demandeurs_q1": 0,
    }
    household = ["ressources_annuelles", "nb_personnes", "nb_moins_14", "public_prioritaire"]
    household = [c for c in household if c in sim.columns and c in demandes.columns]
    if part_q1_hors_qpv is not None:
        take = 0
        eligible = sim["bail_signe"].astype(bool) & ~sim["en_qpv"]
        for _, rows in sim[eligible].groupby("bailleur", sort=True):
            # a loop over landlords (a few dozen), not over households
            need = math.ceil(part_q1_hors_qpv * len(rows) - 1e-9) - int(rows["q1"].sum())
            if need <= 0:
                continue
            targets = rows.index[~rows["q1"].to_numpy()][:need]
            got = available[take : take + len(targets)]
            stats["manque_demandeurs_q1"] += len(targets) - len(got)
            targets = targets[: len(got)]
            for col in household:
                sim.loc[targets, col] = demandes[col].to_numpy()[got]
            if "id_demande" in sim.columns:
                sim.loc[targets, "id_demande"] = ids[got]
            take += len(got)
            stats["reattribuees"] += len(got)
    if deplacer_q1_vers_hors_qpv:
        signed = sim["bail_signe"].astype(bool)
        uc = units_of_consumption(sim["nb_personnes"], sim["nb_moins_14"])
        is_q1 = sim["ressources_annuelles"].to_numpy(dtype="float64") / uc <= q1
        inside = sim.index[signed & sim["en_qpv"] & is_q1]
        outside = sim.index[signed & ~sim["en_qpv"] & ~is_q1]
        n = min(deplacer_q1_vers_hors_qpv, len(inside), len(outside))
        a, b = inside[:n], outside[:n]
        cols = household + (["id_demande"] if "id_demande" in sim.columns else [])
        swap_a, swap_b = sim.loc[a, cols].to_numpy(), sim.loc[b, cols].to_numpy()
        sim.loc[a, cols], sim.loc[b, cols] = swap_b, swap_a
        stats["echanges"] = int(n)
    sim["uc"] = units_of_consumption(sim["nb_personnes"], sim["nb_moins_14"])
    sim["ruc"] = sim["ressources_annuelles"].to_numpy(dtype="float64") / sim["uc"]
    sim["q1"] = sim["ruc"] <= q1
    return sim, stats


def read_official(data_dir: str | os.PathLike[str] | None) -> pd.DataFrame | None:
    """Return the official thresholds table, or ``None`` (logged) when the file is missing."""
    from peuplement._errors import DataNotFoundError
    from peuplement.io.reference import load_seuils_quartiles

    try:
        return load_seuils_quartiles(data_dir=data_dir).data
    except DataNotFoundError as exc:
        logger.warning("%s", exc)
        return None
