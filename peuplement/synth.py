"""Seeded synthetic SNE microdata (demand stock and attributions), calibrated on real aggregates.

SNE microdata is personal data: the project never holds real rows. This generator
makes households that look like a real territory's, so the LEC pipeline can be shown
and tested end to end. Every row carries ``synthetique = True``.

Calibration (documented in :func:`synth_sne`):

- **resources per unit of consumption** of applicants follow a quantile function
  through the official thresholds of the year (Q1, Q2, Q3 of applicants' RUC per EPCI,
  arrêté L.441-1 CCH): by construction the demand stock reproduces them, up to
  sampling error (reported by :func:`peuplement.lec.thresholds`);
- **household size** follows the distribution of social-housing applicants (42 % one
  person, 24 % two, 15 % three, 11 % four, 8 % five or more: orders of magnitude of the
  national SNE statistics), children under 14 drawn among the non-first members;
- **where attributions go**: communes in proportion to their social stock, in QPV in
  proportion to the QPV stock; **landlords** in proportion to their stock (the commune ×
  landlord table is unknown: independence is assumed, an estimate);
- **counts**: pending requests, attributions and mean waiting time from the
  territory's published key figures (Cœur d'Ostrevent: 1,725, 715, 8.7 months);
- **LEC rates** are parameters, allocated exactly (not drawn), so a territory can be
  made to meet or miss each objective and :func:`peuplement.lec.lec_indicators` gives
  them back.

The default territory has **one synthetic world** per seed: :func:`synth_default_years`
generates its years from the first year of the QPV generation in force (2024) with
:func:`synth_sne_years` (1,725 requests and 715 attributions the first year, then the
yearly :class:`Drift`), and :func:`synth_default` reads one year of it. The rows of a
year are therefore the same in every command, report section, map and notebook.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import SchemaError, preview
from peuplement.lec import units_of_consumption

__all__ = [
    "Drift",
    "SynthTargets",
    "synth_default",
    "synth_default_years",
    "synth_rpls_france",
    "synth_rpls_years",
    "synth_sne",
    "synth_sne_years",
]

_SIZES = np.array([1, 2, 3, 4, 5, 6])
_SIZE_P = np.array([0.42, 0.24, 0.15, 0.11, 0.05, 0.03])
_RESERVATAIRES = ["Etat", "Action Logement", "Collectivités", "Bailleur"]
_RESERVATAIRE_P = np.array([0.25, 0.25, 0.15, 0.35])


@dataclass(frozen=True)
class SynthTargets:
    """LEC rates the synthetic attributions are built to show (shares of signed leases).

    Attributes
    ----------
    part_q1_hors_qpv
        Share of first-quartile households among attributions outside QPV.
    part_relogement_ru
        Share of urban-renewal rehousings among attributions outside QPV (taken among
        non-Q1 households, so A = Q1 share + this share).
    part_hors_q1_qpv
        Share of households other than Q1 among attributions in QPV.
    part_prioritaires
        Share of priority households in each réservataire's attributions.
    part_sans_bail
        Share of attributions not followed by a signed lease (refusals).
    """

    part_q1_hors_qpv: float = 0.19
    part_relogement_ru: float = 0.02
    part_hors_q1_qpv: float = 0.62
    part_prioritaires: float = 0.28
    part_sans_bail: float = 0.03


def _quantile_function(q1: float, q2: float, q3: float) -> Callable[[np.ndarray], np.ndarray]:
    if not 0 < q1 < q2 < q3:
        raise SchemaError(f"synth_sne : les seuils doivent croître ; reçu {(q1, q2, q3)}")
    # Piecewise-linear in log(RUC) through the official quartiles; tails at 2 % and 98 %
    # fitted to the usual shape of applicants' resources (a floor near minimum
    # social benefits, a long upper tail).
    knots_p = np.array([0.0, 0.02, 0.25, 0.50, 0.75, 0.98, 1.0])
    knots_v = np.log(np.array([0.08 * q1, 0.30 * q1, q1, q2, q3, 2.2 * q3, 3.0 * q3]))

    def quantile(u: np.ndarray) -> np.ndarray:
        values: np.ndarray = np.exp(np.interp(u, knots_p, knots_v))
        return values

    return quantile


def _households(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    size = rng.choice(_SIZES, n, p=_SIZE_P)
    children = rng.binomial(size - 1, 0.55)
    return size, children


def _exact(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Return a mask with exactly round(share × n) True values, randomly placed."""
    k = int(math.floor(share * n + 0.5))
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, k, replace=False)] = True
    return mask


def _demand_stock(
    rng: np.random.Generator,
    communes: pd.DataFrame,
    quantile: Callable[[np.ndarray], np.ndarray],
    annee: int,
    siren: str,
    n: int,
    targets: SynthTargets,
) -> pd.DataFrame:
    """Pending requests at 31/12/N−1: household, resources through the quantile function, wished commune."""
    stock = communes["nb_lls"].to_numpy(dtype="float64")
    size, children = _households(rng, n)
    uc = units_of_consumption(size, children)
    ruc = quantile(rng.random(n))
    depot = pd.Timestamp(f"{annee - 1}-12-31") - pd.to_timedelta(
        rng.gamma(1.2, 14 / 1.2, n) * 30.44, unit="D"
    )
    return pd.DataFrame(
        {
            "id_demande": [f"SYN-D-{annee - 1}-{i:06d}" for i in range(1, n + 1)],
            "date_depot": depot.normalize(),
            "code_insee": rng.choice(communes["code_insee"].to_numpy(), n, p=stock / stock.sum()),
            "siren_epci": siren,
            "ressources_annuelles": np.round(ruc * uc),
            "nb_personnes": size,
            "nb_moins_14": children,
            "public_prioritaire": rng.random(n) < targets.part_prioritaires,
            "synthetique": True,
        }
    )


def _places(
    rng: np.random.Generator, communes: pd.DataFrame, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where attributions go: in QPV in proportion to the QPV stock; commune and QPV code of each."""
    stock = communes["nb_lls"].to_numpy(dtype="float64")
    stock_qpv = communes["nb_lls_qpv"].fillna(0).to_numpy(dtype="float64")
    in_qpv = _exact(rng, n, stock_qpv.sum() / stock.sum())
    out_w = np.clip(stock - stock_qpv, 0, None)
    commune_idx = np.where(
        in_qpv,
        rng.choice(len(communes), n, p=stock_qpv / stock_qpv.sum()) if stock_qpv.sum() > 0 else 0,
        rng.choice(len(communes), n, p=out_w / out_w.sum()),
    )
    qpv_lists = communes["qpv"].fillna("").to_numpy()
    code_qpv = np.array(
        [
            rng.choice(qpv_lists[c].split(", ")) if q and qpv_lists[c] else None
            for c, q in zip(commune_idx, in_qpv, strict=True)
        ],
        dtype=object,
    )
    return in_qpv, commune_idx, code_qpv


def _lec_flags(
    rng: np.random.Generator, in_qpv: np.ndarray, targets: SynthTargets
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signed lease, first quartile and urban-renewal flags allocated exactly to the target rates."""
    n = len(in_qpv)
    signed = ~_exact(rng, n, targets.part_sans_bail)
    q1_flag = np.zeros(n, dtype=bool)
    rehoused = np.zeros(n, dtype=bool)
    out_idx = np.flatnonzero(signed & ~in_qpv)
    in_idx = np.flatnonzero(signed & in_qpv)
    q1_flag[out_idx[_exact(rng, len(out_idx), targets.part_q1_hors_qpv)]] = True
    q1_flag[in_idx[~_exact(rng, len(in_idx), targets.part_hors_q1_qpv)]] = True
    not_q1_out = out_idx[~q1_flag[out_idx]]
    k_ru = min(len(not_q1_out), int(math.floor(targets.part_relogement_ru * len(out_idx) + 0.5)))
    rehoused[rng.choice(not_q1_out, k_ru, replace=False)] = True
    unsigned = ~signed
    q1_flag[unsigned] = rng.random(int(unsigned.sum())) < 0.25
    return signed, q1_flag, rehoused


def _who(
    rng: np.random.Generator,
    quantile: Callable[[np.ndarray], np.ndarray],
    signed: np.ndarray,
    q1_flag: np.ndarray,
    targets: SynthTargets,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Households of the attributions: size, children, resources on the right side of Q1, réservataire, priority."""
    n = len(signed)
    size, children = _households(rng, n)
    uc = units_of_consumption(size, children)
    # Q1 households: u in [0, 0.25], resources floored so RUC stays at or below Q1;
    # others: u in (0.25, 1], resources ceiled so RUC stays above Q1.
    u = np.where(q1_flag, rng.uniform(0.0, 0.25, n), rng.uniform(0.2501, 1.0, n))
    resources = np.where(q1_flag, np.floor(quantile(u) * uc), np.ceil(quantile(u) * uc))
    reservataire = rng.choice(_RESERVATAIRES, n, p=_RESERVATAIRE_P)
    priority = np.zeros(n, dtype=bool)
    for name in _RESERVATAIRES:
        idx = np.flatnonzero(signed & (reservataire == name))
        priority[idx[_exact(rng, len(idx), targets.part_prioritaires)]] = True
    return size, children, resources, reservataire, priority


def synth_sne(
    communes: pd.DataFrame,
    bailleurs: pd.DataFrame,
    *,
    annee: int,
    seuils: tuple[float, float, float],
    siren: str,
    n_demandes: int = 1725,
    n_attributions: int = 715,
    delai_moyen_mois: float = 8.7,
    targets: SynthTargets = SynthTargets(),  # noqa: B008 - frozen dataclass, immutable
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a demand stock at 31/12/N−1 and the attributions of year N.

    Parameters
    ----------
    communes
        One row per commune: ``code_insee``, ``nb_lls``, ``nb_lls_qpv`` and ``qpv``
        (comma-separated QPV codes of the commune, empty if none).
    bailleurs
        ``bailleur``, ``nb_lls``.
    annee, seuils, siren
        Year N of the attributions; (Q1, Q2, Q3) of applicants' RUC in € per UC per
        year; the EPCI, written in ``siren_epci``.
    n_demandes, n_attributions, delai_moyen_mois
        Published counts and mean waiting time.
    targets, seed
        LEC rates to build in (:class:`SynthTargets`); seed of
        :func:`numpy.random.default_rng` (the same seed gives the same rows).

    Returns
    -------
    tuple of DataFrame
        Demand stock (:data:`~peuplement.io.sne.DEMANDE_FIELDS`) and attributions
        (:data:`~peuplement.io.sne.ATTRIBUTION_FIELDS`, ``delai_attente_mois``; 10 %
        ``mutation``, ``nb_pieces`` fitting the household), ``synthetique = True``.
    """
    quantile = _quantile_function(*seuils)
    if communes["nb_lls"].sum() <= 0:
        raise SchemaError("synth_sne : les communes n'ont aucun logement social à attribuer")
    rng = np.random.default_rng(seed)
    demandes = _demand_stock(rng, communes, quantile, annee, siren, n_demandes, targets)
    n = n_attributions
    in_qpv, commune_idx, code_qpv = _places(rng, communes, n)
    lstock = bailleurs["nb_lls"].to_numpy(dtype="float64")
    signed, q1_flag, rehoused = _lec_flags(rng, in_qpv, targets)
    size, children, resources, reservataire, priority = _who(
        rng, quantile, signed, q1_flag, targets
    )
    day = rng.integers(0, 365, n)
    attributions = pd.DataFrame(
        {
            "id_attribution": [f"SYN-A-{annee}-{i:06d}" for i in range(1, n + 1)],
            "id_demande": [f"SYN-D-{annee}-{i:06d}" for i in range(1, n + 1)],
            "annee": annee,
            "date_attribution": pd.Timestamp(f"{annee}-01-01") + pd.to_timedelta(day, unit="D"),
            "code_insee": communes["code_insee"].to_numpy()[commune_idx],
            "siren_epci": siren,
            "code_qpv": pd.array(code_qpv, dtype="string"),
            "bailleur": rng.choice(bailleurs["bailleur"].to_numpy(), n, p=lstock / lstock.sum()),
            "reservataire": reservataire,
            "ressources_annuelles": resources,
            "nb_personnes": size,
            "nb_moins_14": children,
            "public_prioritaire": priority,
            "bail_signe": signed,
            "relogement_ru": rehoused,
            "mutation": rng.random(n) < 0.10,
            "nb_pieces": np.clip(np.maximum(1, size - 1) + rng.integers(0, 2, n), 1, 6),
            "delai_attente_mois": np.round(rng.gamma(1.5, delai_moyen_mois / 1.5, n), 1),
            "synthetique": True,
        }
    )
    return demandes, attributions


def synth_rpls_france(
    n_dwellings: int = 5_200_000,
    *,
    n_landlords: int = 600,
    qpv_share: float = 0.3,
    qpv: object | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Generate a national-size synthetic dwelling-level RPLS table with the official names.

    Dwellings go to metropolitan communes in proportion to population^1.3 (social
    housing concentrates in towns), landlords follow a Zipf law over ``n_landlords``
    (a few large regional ones, many small), and ``qpv_share`` of the dwellings of
    communes with a QPV are drawn inside their QPV polygons (the national share of the
    stock in QPV is about 30 %), the others near the commune's centre. ``QPV`` is then
    set from the coordinates, as the SDES does. For benchmarks and tests only.

    Parameters
    ----------
    n_dwellings
        Number of dwellings.
    n_landlords
        Number of landlords.
    qpv_share
        Share of the dwellings of communes with a QPV drawn inside it.
    qpv
        QPV layer (Lambert-93); default: the 2015 perimeters of the reference data.
    seed
        Seed of the generator.

    Returns
    -------
    pandas.DataFrame
        One row per dwelling with the official RPLS column names (``DEPCOM``, ``QPV``, ``X``,
        ``Y``…).
    """
    import geopandas as gpd

    from peuplement.geo import assign_xy
    from peuplement.io.communes import load_communes_france
    from peuplement.io.qpv import load_qpv

    rng = np.random.default_rng(seed)
    communes, _ = load_communes_france(crs="EPSG:2154")
    communes = communes[
        ~communes["dep"].fillna("97").str.startswith("97") & communes.geometry.notna()
    ].reset_index(drop=True)
    layer: gpd.GeoDataFrame = load_qpv()[0] if qpv is None else qpv
    weight = communes["population"].astype("float64").fillna(0).to_numpy() ** 1.3
    commune_idx = rng.choice(len(communes), n_dwellings, p=weight / weight.sum())
    centre = communes.geometry.representative_point()
    x = centre.x.to_numpy()[commune_idx] + rng.normal(0, 400, n_dwellings)
    y = centre.y.to_numpy()[commune_idx] + rng.normal(0, 400, n_dwellings)
    # Dwellings of communes with a QPV: a share drawn inside one of its QPV.
    qpv_of = layer.sjoin(communes[["code_insee", "geometry"]], predicate="intersects")
    first_qpv = qpv_of.drop_duplicates("code_insee").set_index("code_insee")
    has = communes["code_insee"].isin(first_qpv.index).to_numpy()[commune_idx]
    chosen = np.flatnonzero(has & (rng.random(n_dwellings) < qpv_share))
    polys = first_qpv.loc[communes["code_insee"].to_numpy()[commune_idx[chosen]]]
    bounds = polys.geometry.bounds.to_numpy()
    todo = np.arange(len(chosen))
    for _ in range(20):  # rejection sampling in each QPV's bounding box, vectorised
        if len(todo) == 0:
            break
        px = rng.uniform(bounds[todo, 0], bounds[todo, 2])
        py = rng.uniform(bounds[todo, 1], bounds[todo, 3])
        inside = shapely.contains_xy(polys.geometry.to_numpy()[todo], px, py)
        x[chosen[todo[inside]]] = px[inside]
        y[chosen[todo[inside]]] = py[inside]
        todo = todo[~inside]
    code_qpv = assign_xy(x, y, layer, key="code_qpv")
    landlord = (rng.zipf(1.5, n_dwellings) - 1) % n_landlords
    return pd.DataFrame(
        {
            "RPLS_ID": np.char.add("L", np.arange(1, n_dwellings + 1).astype(str)),
            "DEPCOM": communes["code_insee"].to_numpy()[commune_idx],
            "QPV": code_qpv,
            "BAILLEUR": np.char.add("Bailleur ", landlord.astype(str)),
            "CONSTRUCT": rng.integers(1950, 2024, n_dwellings),
            "FINAN": rng.choice(
                ["PLAI", "PLUS", "PLS", "PLI"], n_dwellings, p=[0.15, 0.7, 0.12, 0.03]
            ),
            "NBPIECE": rng.choice([1, 2, 3, 4, 5], n_dwellings, p=[0.08, 0.22, 0.37, 0.25, 0.08]),
            "SURFHAB": np.round(rng.normal(65, 15, n_dwellings).clip(18, 140), 1),
            "X": np.round(x, 1),
            "Y": np.round(y, 1),
        }
    )


# --- Several consistent years (issue 16) -------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """Year-on-year drift of the synthetic attributions and demand (added each year).

    Attributes
    ----------
    part_q1_hors_qpv, part_hors_q1_qpv, part_relogement_ru
        Change per year of the LEC rates of :class:`SynthTargets` (a share: 0.01 is +1
        point a year).
    croissance_demandes, croissance_attributions
        Relative change per year of the pending requests and of the attributions
        (0.03 is +3 % a year).
    """

    part_q1_hors_qpv: float = 0.0
    part_hors_q1_qpv: float = 0.0
    part_relogement_ru: float = 0.0
    croissance_demandes: float = 0.03
    croissance_attributions: float = -0.01


def _rooms(rng: np.random.Generator, size: np.ndarray) -> np.ndarray:
    # One room per person, capped at 5, give or take one: the usual size norms.
    rooms: np.ndarray = np.clip(np.minimum(size, 5) + rng.choice([-1, 0, 0, 1], len(size)), 1, 6)
    return rooms


def _targets_of(targets: SynthTargets, drift: Drift, k: int) -> SynthTargets:
    def clip(v: float) -> float:
        return float(min(max(v, 0.0), 1.0))

    return SynthTargets(
        part_q1_hors_qpv=clip(targets.part_q1_hors_qpv + k * drift.part_q1_hors_qpv),
        part_relogement_ru=clip(targets.part_relogement_ru + k * drift.part_relogement_ru),
        part_hors_q1_qpv=clip(targets.part_hors_q1_qpv + k * drift.part_hors_q1_qpv),
        part_prioritaires=targets.part_prioritaires,
        part_sans_bail=targets.part_sans_bail,
    )


def synth_sne_years(
    communes: pd.DataFrame,
    bailleurs: pd.DataFrame,
    *,
    annees: list[int],
    seuils: dict[int, tuple[float, float, float]],
    siren: str,
    n_demandes: int = 1725,
    n_attributions: int = 715,
    targets: SynthTargets = SynthTargets(),  # noqa: B008 - frozen dataclass, immutable
    drift: Drift = Drift(),  # noqa: B008 - frozen dataclass, immutable
    taux_radiation: float = 0.25,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate several consistent years of demand stock and attributions.

    Year after year the same households are followed: the stock at 31/12/N−1 loses the
    requests satisfied in N−1 (the attributions of that year are linked to them by
    ``id_demande``) and a share ``taux_radiation`` of the others (renounced or not
    renewed), the remaining households age by one year (``age_referent``) and new
    requests filed during N−1 complete the stock to its target size. The attributions of
    each year follow the calibrated LEC rates of :func:`synth_sne` plus ``drift`` times
    the number of years since the first one. Every row has ``synthetique = True``.

    Parameters
    ----------
    communes, bailleurs
        As in :func:`synth_sne`.
    annees
        Years N of the attributions, increasing.
    seuils
        ``{year: (Q1, Q2, Q3)}`` for each year.
    siren
        As in :func:`synth_sne`.
    n_demandes, n_attributions
        Counts of the first year; later years follow ``drift``.
    targets
        As in :func:`synth_sne`.
    drift
        :class:`Drift` of rates and counts per year.
    taux_radiation
        Share of the unsatisfied requests leaving the stock each year.
    seed
        Seed: the same seed gives the same rows.

    Returns
    -------
    tuple of DataFrame
        Demand stocks (one per year, ``annee`` = N for the stock at 31/12/N−1) and
        attributions, with the columns of :func:`synth_sne` plus ``nb_pieces`` (rooms
        wanted, or of the dwelling attributed), ``en_qpv``, ``age_referent``, and for
        attributions ``mutation`` (``interne``, ``inter-bailleurs`` or missing).

    Examples
    --------
    >>> communes = pd.DataFrame({"code_insee": ["59001", "59002"], "nb_lls": [600, 400],
    ...     "nb_lls_qpv": [300, 0], "qpv": ["QP059001", None]})
    >>> bailleurs = pd.DataFrame({"bailleur": ["A", "B"], "nb_lls": [700, 300]})
    >>> s = {y: (8000.0, 12000.0, 16000.0) for y in (2024, 2025)}
    >>> d, a = synth_sne_years(communes, bailleurs, annees=[2024, 2025], seuils=s,
    ...     siren="245901152", n_demandes=200, n_attributions=80)
    >>> d.groupby("annee").size().tolist(), bool(a["synthetique"].all())
    ([200, 206], True)
    """
    years = sorted(annees)
    if years != list(annees) or len(set(years)) != len(years) or not years:
        raise SchemaError(
            f"synth_sne_years : années croissantes et distinctes attendues ; {annees}"
        )
    absent = [y for y in years if y not in seuils]
    if absent:
        raise SchemaError(
            f"synth_sne_years : pas de seuils pour {absent} ; donnez seuils={{année: (Q1, Q2, Q3)}}"
        )
    rng = np.random.default_rng(seed)
    share_qpv = communes["nb_lls_qpv"].fillna(0).sum() / communes["nb_lls"].sum()
    stocks: list[pd.DataFrame] = []
    attribs: list[pd.DataFrame] = []
    stock = pd.DataFrame()
    for k, year in enumerate(years):
        n_d = int(round(n_demandes * (1 + drift.croissance_demandes) ** k))
        n_a = int(round(n_attributions * (1 + drift.croissance_attributions) ** k))
        fresh, attr = synth_sne(
            communes, bailleurs, annee=year, seuils=seuils[year], siren=siren,
            n_demandes=n_d, n_attributions=n_a, targets=_targets_of(targets, drift, k),
            seed=seed + 1000 * (k + 1),
        )  # fmt: skip
        fresh["age_referent"] = rng.integers(18, 80, len(fresh))
        fresh["nb_pieces"] = _rooms(rng, fresh["nb_personnes"].to_numpy())
        fresh["en_qpv"] = rng.random(len(fresh)) < share_qpv
        if k:
            # Satisfied (last year's signed leases) and radiated requests leave; the others age.
            served = set(attribs[-1].loc[attribs[-1]["bail_signe"], "id_demande"])
            stay = ~stock["id_demande"].isin(served) & (rng.random(len(stock)) >= taux_radiation)
            stock = stock[stay].assign(age_referent=lambda f: f["age_referent"] + 1)
            n_new = max(n_d - len(stock), 0)
            new = fresh.iloc[:n_new].copy()
            new["id_demande"] = [f"SYN-D-{year - 1}-N{i:06d}" for i in range(1, n_new + 1)]
            new["date_depot"] = pd.Timestamp(f"{year - 1}-01-01") + pd.to_timedelta(
                rng.integers(0, 365, n_new), unit="D"
            )
            stock = pd.concat([stock, new], ignore_index=True)
        else:
            stock = fresh
        stock = stock.assign(annee=year)
        # This year's attributions serve households of the stock (oldest requests first-ish).
        pick = rng.choice(len(stock), min(len(attr), len(stock)), replace=False)
        attr = attr.iloc[: len(pick)].copy()
        attr["id_demande"] = stock["id_demande"].to_numpy()[pick]
        attr["age_referent"] = stock["age_referent"].to_numpy()[pick]
        attr["nb_pieces"] = _rooms(rng, attr["nb_personnes"].to_numpy())
        attr["en_qpv"] = attr["code_qpv"].notna().to_numpy()
        draw = rng.random(len(attr))
        kind = pd.Series(pd.NA, index=attr.index, dtype="string")
        kind[draw < 0.17] = "inter-bailleurs"
        kind[draw < 0.12] = "interne"
        # The LEC reads a yes/no flag (``mutation``); the kind is its own column.
        attr["type_mutation"] = kind
        attr["mutation"] = kind.notna().to_numpy()
        stocks.append(stock)
        attribs.append(attr)
    return pd.concat(stocks, ignore_index=True), pd.concat(attribs, ignore_index=True)


def synth_rpls_years(
    communes: pd.DataFrame,
    bailleurs: pd.DataFrame,
    *,
    annees: list[int],
    loyer_m2: float = 5.6,
    hausse_loyer: float = 0.015,
    construction: float = 0.01,
    seed: int = 0,
) -> pd.DataFrame:
    """Generate a synthetic dwelling-level stock for several vintages, with rents, vacancy and mobility.

    The stock of the first vintage has each commune's ``nb_lls`` dwellings
    (``nb_lls_qpv`` of them in its QPV), landlords in proportion to their stock,
    financing PLAI 12 % / PLUS 72 % / PLS 10 % / PLI 2 % / other 4 %; each later
    vintage adds ``construction`` new dwellings (half PLAI, half PLUS, outside QPV) and
    raises rents by ``hausse_loyer``. Each vintage draws vacancy (3 %, a third over 3
    months) and moves (9 % of dwellings get a new tenant). Rents in € per month:
    ``loyer_m2`` × surface × a financing factor (PLAI 0.9, PLS 1.25, PLI 1.5).
    Every row has ``synthetique = True``. Column names are the canonical ones of
    :func:`peuplement.load_rpls` plus ``loyer``, ``vacant``, ``vacance_mois``,
    ``emmenagement``, ``millesime``.

    Parameters
    ----------
    communes
        Stock per commune (``code_insee``, ``nb_lls``, ``nb_lls_qpv``).
    bailleurs
        Stock per landlord.
    annees
        The vintages.
    loyer_m2
        Rent per m² of the first vintage (€ per month).
    hausse_loyer
        Yearly rent rise.
    construction
        Share of new dwellings each year.
    seed
        Seed of the generator.

    Returns
    -------
    pandas.DataFrame
        One row per dwelling and vintage.
    """
    rng = np.random.default_rng(seed)
    n = communes["nb_lls"].astype("int64").to_numpy()
    n_qpv = communes["nb_lls_qpv"].fillna(0).astype("int64").to_numpy()
    code = np.repeat(communes["code_insee"].to_numpy(), n)
    first_qpv = communes["qpv"].fillna("").str.split(", ").str[0].to_numpy()
    in_qpv = np.concatenate([np.arange(k) < q for k, q in zip(n, n_qpv, strict=True)])
    qpv = pd.Series(np.repeat(first_qpv, n), dtype="string").where(in_qpv)
    lstock = bailleurs["nb_lls"].to_numpy(dtype="float64")
    base = pd.DataFrame(
        {
            "code_insee": code,
            "code_qpv": qpv.to_numpy(),
            "bailleur": rng.choice(
                bailleurs["bailleur"].to_numpy(), len(code), p=lstock / lstock.sum()
            ),
            "financement": rng.choice(FIN_LABELS, len(code), p=[0.12, 0.72, 0.10, 0.02, 0.04]),
            "nb_pieces": rng.choice([1, 2, 3, 4, 5], len(code), p=[0.06, 0.2, 0.38, 0.28, 0.08]),
        }
    )
    base["surface_m2"] = np.round(base["nb_pieces"] * 18 + rng.normal(12, 6, len(base)), 1)
    years = []
    for k, year in enumerate(sorted(annees)):
        if k:
            m = int(round(len(base) * construction))
            new = base.sample(m, random_state=int(rng.integers(1 << 31))).copy()
            new["code_qpv"] = pd.array([None] * m, dtype="string")
            new["financement"] = rng.choice(["PLAI", "PLUS"], m)
            base = pd.concat([base, new], ignore_index=True)
        frame = base.copy()
        factor = frame["financement"].map(_FIN_FACTOR).to_numpy()
        frame["loyer"] = np.round(
            loyer_m2 * (1 + hausse_loyer) ** k * factor * frame["surface_m2"], 2
        )
        frame["vacant"] = rng.random(len(frame)) < 0.03
        frame["vacance_mois"] = np.where(frame["vacant"], rng.choice([1, 2, 6, 14], len(frame)), 0)
        frame["emmenagement"] = ~frame["vacant"] & (rng.random(len(frame)) < 0.09)
        frame["millesime"] = year
        frame["id_logement"] = [f"SYN-L-{i:06d}" for i in range(1, len(frame) + 1)]
        frame["synthetique"] = True
        years.append(frame)
    return pd.concat(years, ignore_index=True)


FIN_LABELS = ["PLAI", "PLUS", "PLS", "PLI", "PLA-CFF"]
_FIN_FACTOR = {"PLAI": 0.9, "PLUS": 1.0, "PLS": 1.25, "PLI": 1.5, "PLA-CFF": 1.1}


def synth_default_years(
    *,
    annees: tuple[int, ...] = (2024, 2025, 2026),
    drift: Drift = Drift(),  # noqa: B008 - frozen dataclass, immutable
    targets: SynthTargets = SynthTargets(),  # noqa: B008 - frozen dataclass, immutable
    seed: int = 0,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic demand, attributions and RPLS stock of some years of the default territory.

    There is one synthetic world per seed (and ``targets``, ``drift``): it starts the
    first year of the QPV generation in force (2024 for the 2024 generation, 2015 for
    the 2015 one: :func:`peuplement.lec.qpv_generation_in_force`) and runs through the
    dynamics of :func:`synth_sne_years` and :func:`synth_rpls_years`, where each year
    depends only on the years before it. The world is generated up to the last year of
    ``annees`` and the years asked for are returned, so the rows of a year are the same
    whatever years are asked with it, and the same as :func:`synth_default` gives.

    Calibration: the CIL's published figures (stock per commune and landlord, 45 % of
    the stock in QPV, 1,725 pending requests and 715 attributions the first year; the
    counts then follow ``drift``) on today's 20 communes, and the official thresholds of
    each year (2024–2026 are in the reference data). The QPV share is spread over the
    communes with a QPV in proportion to their stock (the presentation gives no commune
    breakdown: an estimate). All rows are synthetic.

    Parameters
    ----------
    annees
        The years returned, all of one QPV generation.
    drift
        Yearly drift of the LEC rates and counts.
    targets
        LEC rates of the world's first year (:class:`SynthTargets`).
    seed
        Seed of the generator.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    tuple of DataFrame
        ``(demandes, attributions, rpls)`` of the years ``annees`` (columns ``annee``,
        ``annee`` and ``millesime``).

    Raises
    ------
    SchemaError
        When ``annees`` is empty or spans two QPV generations, or when a year of the world
        has no official Q2/Q3 thresholds.

    Notes
    -----
    Seeded: the world is kept in the persistent cache (:mod:`peuplement._cache`, keyed
    on the code, the reference files and the parameters) and read back by the next call,
    :func:`synth_default` included.
    """
    from peuplement._cache import cached_frames

    world = _world_years(annees)
    demandes, attributions, rpls = cached_frames(
        "synth_default_years",
        lambda: _synth_default_years(
            annees=world, drift=drift, targets=targets, seed=seed, data_dir=data_dir
        ),
        parts=["demandes", "attributions", "rpls"],
        params={"annees": world, "drift": drift, "targets": targets, "seed": seed},
        data_dir=data_dir,
        description="Génération des données synthétiques pluriannuelles (une seule fois)",
    )
    return (
        demandes[demandes["annee"].isin(annees)].reset_index(drop=True),
        attributions[attributions["annee"].isin(annees)].reset_index(drop=True),
        rpls[rpls["millesime"].isin(annees)].reset_index(drop=True),
    )


def _world_years(annees: tuple[int, ...]) -> tuple[int, ...]:
    """Return the years the synthetic world is generated over to give ``annees``.

    From the first year of the QPV generation in force to the last year asked: the
    generation is named after its first year in force (décrets 2014-1750 and 2023-1314).
    A world never spans two generations (its QPV codes are those of one).
    """
    from peuplement.lec import qpv_generation_in_force

    if not annees:
        raise SchemaError("synth_default_years : aucune année demandée ; passez annees=(2026,)")
    generations = sorted({qpv_generation_in_force(year) for year in annees})
    if len(generations) != 1:
        raise SchemaError(
            f"années {sorted(annees)} à cheval sur deux générations de QPV (2015 jusqu'en 2023, "
            "2024 ensuite) : générez chaque période à part"
        )
    return tuple(range(generations[0], max(annees) + 1))


def _synth_default_years(
    *,
    annees: tuple[int, ...],
    drift: Drift,
    targets: SynthTargets,
    seed: int,
    data_dir: str | os.PathLike[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from peuplement.datasets import get_path
    from peuplement.io import load_parc_bailleurs, load_parc_communes
    from peuplement.lec import qpv_generation_in_force, read_official, thresholds
    from peuplement.territory import Territory

    generation = qpv_generation_in_force(annees[0])
    terr = Territory.from_epci(DEFAULT_EPCI, qpv_generation=generation, data_dir=data_dir)
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    landlords, _ = load_parc_bailleurs(get_path("coeur_ostrevent/parc_bailleurs_2014"))
    stock = terr.align(stock).inside
    retained = terr.qpv_communes[terr.qpv_communes["retenue"]]
    qpv_of = retained.groupby("code_insee")["code_qpv"].agg(lambda s: ", ".join(sorted(s)))
    stock["qpv"] = stock["code_insee"].map(qpv_of)
    has_qpv = stock["qpv"].notna()
    target_qpv = 0.45 * 8713  # 45 % of the stock in QPV (CIL 2017), on the 2014 total
    stock["nb_lls_qpv"] = np.where(
        has_qpv, np.round(stock["nb_lls"] * target_qpv / stock.loc[has_qpv, "nb_lls"].sum()), 0
    )
    official = read_official(data_dir)
    listed = set(official.loc[official["siren_epci"] == DEFAULT_EPCI, "annee"].astype(int))
    seuils: dict[int, tuple[float, float, float]] = {}
    for year in sorted(listed & set(annees)):
        t = thresholds(DEFAULT_EPCI, year, official=official)
        if t.q2 is not None and t.q3 is not None:
            seuils[year] = (t.q1, t.q2, t.q3)
    absent = [year for year in annees if year not in seuils]
    if absent:
        raise SchemaError(
            f"pas de seuils officiels Q2/Q3 pour les années {preview(absent)} : les données "
            f"synthétiques de {annees[-1]} partent de la première année de sa génération de QPV "
            f"({generation}) et demandent les trois seuils de chaque année ; années possibles "
            "2024–2026 (--annee 2024, 2025 ou 2026)"
        )
    demandes, attributions = synth_sne_years(
        stock, landlords, annees=list(annees), seuils=seuils, siren=DEFAULT_EPCI,
        targets=targets, drift=drift, seed=seed,
    )  # fmt: skip
    rpls = synth_rpls_years(stock, landlords, annees=list(annees), seed=seed)
    return demandes, attributions, rpls


def synth_default(
    *,
    annee: int = 2026,
    seed: int = 0,
    targets: SynthTargets = SynthTargets(),  # noqa: B008 - frozen dataclass, immutable
    drift: Drift = Drift(),  # noqa: B008 - frozen dataclass, immutable
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic demand and attributions of one year for the default territory (CA Cœur d'Ostrevent).

    The year ``annee`` of the one synthetic world of :func:`synth_default_years` (same
    seed, ``targets`` and ``drift``): the rows of year N are the same whether they are
    read here (``peuplement lec``, ``peuplement synth``, the report's LEC section, the
    maps, the notebooks) or among the years of the report's « Évolutions » section.
    The world starts the first year of the QPV generation in force (2024 for 2024–2026),
    calibrated on the CIL's published figures (1,725 pending requests and 715
    attributions that year, 8.7 months, 45 % of the stock in QPV) and on the official
    thresholds of each year; counts and rates then follow ``drift`` (+3 % requests and
    −1 % attributions a year by default).

    Parameters
    ----------
    annee
        Year N of the attributions; the demand stock is at 31 December of N−1.
    seed
        Seed of the generator.
    targets
        LEC rates of the world's first year (Q1 outside QPV, non-Q1 in QPV…).
    drift
        Yearly drift of rates and counts; the default is the world the report shows.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    demandes : pandas.DataFrame
        SYNTHETIC pending requests at 31/12/N−1 (``annee`` = N), with the columns of
        :func:`synth_sne_years`.
    attributions : pandas.DataFrame
        SYNTHETIC attributions of ``annee``, with the columns of :func:`synth_sne_years`.

    Notes
    -----
    The world is kept in the persistent cache by :func:`synth_default_years`; a second
    call reads it back.
    """
    demandes, attributions, _ = synth_default_years(
        annees=(annee,), drift=drift, targets=targets, seed=seed, data_dir=data_dir
    )
    return demandes, attributions
