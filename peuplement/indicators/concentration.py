"""Concentration of the social housing stock across communes, landlords and QPV.

Indicators are grouped aggregations over a territory column (``by``): one pass gives
every EPCI of France as well as one. Inputs are stock counts, one row per commune
(or per commune × landlord); :func:`count_dwellings` turns dwelling-level RPLS rows
into such counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from peuplement._errors import missing_columns

__all__ = [
    "commune_concentration",
    "count_dwellings",
    "gini",
    "herfindahl",
    "landlord_concentration",
    "lorenz",
    "territory_concentration",
    "top_share",
]

_ONE = "__territoire__"


def _check(
    data: pd.DataFrame,
    columns: Sequence[str],
    what: str,
    fix: str = "Renommez la colonne, ou passez count= avec une colonne présente.",
) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise missing_columns(what, missing, data.columns, fix=fix)


def _has(frame: pd.DataFrame, column: str) -> bool:
    """Whether an optional column is given: present with at least one value (loaders keep absent ones as all-missing)."""
    return column in frame.columns and bool(frame[column].notna().any())


def _keyed(data: pd.DataFrame, by: str | None) -> tuple[pd.DataFrame, str]:
    frame = data.copy()
    if by is None:
        frame[_ONE] = "ensemble"
        return frame, _ONE
    _check(frame, [by], "concentration", fix="Passez by= avec une colonne présente, ou by=None.")
    return frame, by


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    out: np.ndarray = np.divide(
        num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0
    )
    return out


def count_dwellings(
    dwellings: pd.DataFrame, *, by: Sequence[str] = ("code_insee",)
) -> pd.DataFrame:
    """Count dwelling-level rows into stock counts.

    Parameters
    ----------
    dwellings
        One row per dwelling (:func:`peuplement.load_rpls`), with ``code_qpv`` empty
        outside QPV.
    by
        Columns to count by (``code_insee``, ``bailleur``, a territory column…).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``nb_lls`` and ``nb_lls_qpv``.
    """
    keys = list(by)
    _check(
        dwellings,
        [*keys, "code_qpv"],
        "count_dwellings",
        fix="Chargez les logements avec load_rpls (code_qpv y est toujours), ou passez by= avec "
        "des colonnes présentes.",
    )
    frame = dwellings[keys].copy()
    frame["nb_lls"] = 1
    frame["nb_lls_qpv"] = dwellings["code_qpv"].notna().astype("int64")
    return frame.groupby(keys, sort=True, dropna=False, observed=True).sum().reset_index()


def top_share(data: pd.DataFrame, count: str, n: int, *, by: str | None = None) -> pd.Series:
    r"""Share of the territory's total held by its ``n`` largest units.

    .. math:: \frac{\sum_{k \le n} c_{(k)}}{\sum_k c_k}

    with :math:`c_{(k)}` the counts in decreasing order. In [0, 1]; ``NaN`` for a
    territory with a zero total. "68 % of the stock in 5 communes" is
    ``top_share(stock, "nb_lls", 5)``.

    Parameters
    ----------
    data
        One row per unit (commune, landlord).
    count
        Column of the stock count.
    n
        Number of largest units.
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.Series
        ``part_top{n}``, one value per territory.

    Examples
    --------
    Three communes holding 50, 30 and 20 dwellings: the two largest hold
    (50 + 30) / 100 of the stock.

    >>> stock = pd.DataFrame({"nb_lls": [50, 30, 20]})
    >>> round(top_share(stock, "nb_lls", 2).item(), 6)
    0.8
    """
    frame, key = _keyed(data, by)
    frame = frame.sort_values([key, count], ascending=[True, False], kind="mergesort")
    rank = frame.groupby(key, sort=True).cumcount()
    top = frame[rank < n].groupby(key, sort=True)[count].sum()
    total = frame.groupby(key, sort=True)[count].sum()
    return pd.Series(
        _ratio(top.reindex(total.index, fill_value=0), total),
        index=total.index,
        name=f"part_top{n}",
    )


def herfindahl(data: pd.DataFrame, count: str, *, by: str | None = None) -> pd.Series:
    r"""Herfindahl–Hirschman index of the units' shares in each territory.

    .. math:: HHI = \sum_k s_k^2, \quad s_k = c_k / \sum_j c_j

    In [1/n, 1] for n units with stock: 1 when one landlord holds everything, 1/n when
    n landlords hold equal shares (its inverse is the "equivalent number" of landlords).

    Parameters
    ----------
    data
        One row per unit (commune, landlord).
    count
        Column of the stock count.
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.Series
        ``hhi``, one value per territory; ``NaN`` for a territory with no stock.

    Examples
    --------
    Shares 0.5, 0.3 and 0.2: 0.25 + 0.09 + 0.04 = 0.38 (2.6 equivalent landlords).

    >>> stock = pd.DataFrame({"nb_lls": [50, 30, 20]})
    >>> round(herfindahl(stock, "nb_lls").item(), 6)
    0.38
    """
    frame, key = _keyed(data, by)
    total = frame.groupby(key, sort=True)[count].transform("sum")
    frame["_s2"] = _ratio(frame[count], total) ** 2
    out = frame.groupby(key, sort=True)["_s2"].sum(min_count=1)
    has_total = frame.groupby(key, sort=True)[count].sum() > 0
    return out.where(has_total).rename("hhi")


def lorenz(
    data: pd.DataFrame, count: str, *, weight: str | None = None, by: str | None = None
) -> pd.DataFrame:
    """Compute the points of the Lorenz curve of ``count`` across units, per territory.

    Units are sorted by increasing ``count / weight`` (``weight`` = 1 per unit when
    ``None``, or the population to compare the stock with the inhabitants). Each row
    gives the cumulative share of the weight (``part_unites_cumulee``) and of the count
    (``part_cumulee``) up to that unit, starting with (0, 0) for each territory.

    Parameters
    ----------
    data
        One row per unit.
    count
        Column of the stock count.
    weight
        Column weighting each unit (the population); ``None``: one per unit.
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.DataFrame
        The points, territory by territory, from (0, 0) to (1, 1).
    """
    frame, key = _keyed(data, by)
    frame["_w"] = 1.0 if weight is None else frame[weight].astype("float64")
    frame["_c"] = frame[count].astype("float64")
    frame["_r"] = _ratio(frame["_c"], frame["_w"])
    frame = frame.sort_values([key, "_r"], kind="mergesort")
    g = frame.groupby(key, sort=True)
    frame["part_unites_cumulee"] = _ratio(g["_w"].cumsum(), g["_w"].transform("sum"))
    frame["part_cumulee"] = _ratio(g["_c"].cumsum(), g["_c"].transform("sum"))
    keep = (
        [key]
        + [c for c in ("code_insee", "bailleur") if c in frame.columns]
        + ["part_unites_cumulee", "part_cumulee"]
    )
    origins = pd.DataFrame(
        {key: frame[key].unique(), "part_unites_cumulee": 0.0, "part_cumulee": 0.0}
    )
    out = pd.concat([origins, frame[keep]], ignore_index=True).sort_values(
        [key, "part_unites_cumulee", "part_cumulee"], kind="mergesort", ignore_index=True
    )
    return out.drop(columns=_ONE) if by is None else out


def gini(
    data: pd.DataFrame, count: str, *, weight: str | None = None, by: str | None = None
) -> pd.Series:
    r"""Gini coefficient of ``count`` across units: one minus twice the area under the Lorenz curve.

    .. math:: G = 1 - \sum_k (X_k - X_{k-1})(Y_k + Y_{k-1})

    with :math:`X_k`, :math:`Y_k` the cumulative shares of weight and count. With equal
    weights it equals :math:`\sum_i\sum_j |c_i - c_j| / (2 n^2 \bar c)`. In [0, 1):
    0 when every unit has the same ``count / weight``.

    Parameters
    ----------
    data
        One row per unit.
    count
        Column of the stock count.
    weight
        Column weighting each unit (the population); ``None``: one per unit.
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.Series
        ``gini``, one value per territory.

    Examples
    --------
    Counts 50, 30, 20 (mean 100/3): the pairwise differences 20, 30, 10 counted both
    ways sum to 120, and 120 / (2 × 3² × 100/3) = 0.2.

    >>> stock = pd.DataFrame({"nb_lls": [50, 30, 20]})
    >>> round(gini(stock, "nb_lls").item(), 6)
    0.2
    """
    points = lorenz(data, count, weight=weight, by=by)
    key = by or _ONE
    if by is None:
        points[key] = "ensemble"
    g = points.groupby(key, sort=True)
    dx = g["part_unites_cumulee"].diff()
    ysum = points["part_cumulee"] + g["part_cumulee"].shift()
    area = (dx * ysum).groupby(points[key], sort=True).sum(min_count=1)
    return (1 - area).rename("gini")


def commune_concentration(
    stock: pd.DataFrame,
    *,
    by: str | None = None,
    count: str = "nb_lls",
    sru_target: float = 0.20,
) -> pd.DataFrame:
    """Stock indicators per commune.

    Parameters
    ----------
    stock
        One row per commune: ``code_insee``, ``nb_lls``; optionally ``nb_lls_qpv``,
        ``residences_principales``, ``population``, ``nom`` and the territory column.
    by
        Territory column (``siren_epci``); ``None`` for one territory.
    count
        Column of the stock count (``nb_lls`` by default).
    sru_target
        Legal rate of social housing (0.20 or 0.25 of résidences principales, art. 55
        of the SRU law, L.302-5 CCH).

    Returns
    -------
    pandas.DataFrame
        One row per commune: ``nb_lls``; ``part_territoire`` (share of the territory's
        stock); ``rang`` (1 = largest stock); ``part_cumulee`` (share held by the
        communes of rank ≤ this one); ``nb_lls_qpv``, ``part_lls_qpv`` (share of the
        commune's stock in QPV) and ``quotient_localisation_qpv`` (that share divided
        by the territory's: > 1 when QPV stock is over-represented); with
        ``residences_principales``: ``taux_sru`` (LLS / RP), ``cible_sru``,
        ``deficit_sru`` (dwellings missing to reach the target, 0 if met).
    """
    _check(stock, ["code_insee", count], "commune_concentration")
    frame, key = _keyed(stock, by)
    frame = frame.sort_values(
        [key, count, "code_insee"], ascending=[True, False, True], kind="mergesort"
    )
    g = frame.groupby(key, sort=True)
    total = g[count].transform("sum")
    frame["part_territoire"] = _ratio(frame[count], total)
    frame["rang"] = g.cumcount() + 1
    frame["part_cumulee"] = _ratio(g[count].cumsum(), total)
    if _has(frame, "nb_lls_qpv"):
        frame["part_lls_qpv"] = _ratio(frame["nb_lls_qpv"], frame[count])
        territory_share = _ratio(g["nb_lls_qpv"].transform("sum"), total)
        frame["quotient_localisation_qpv"] = _ratio(frame["part_lls_qpv"], territory_share)
    if _has(frame, "residences_principales"):
        rp = pd.to_numeric(frame["residences_principales"], errors="coerce").astype("float64")
        frame["taux_sru"] = _ratio(frame[count], rp)
        frame["cible_sru"] = sru_target
        need = np.ceil(sru_target * rp - frame[count].astype("float64"))
        frame["deficit_sru"] = pd.array(
            np.where(rp.isna(), np.nan, np.maximum(need, 0)), dtype="Int64"
        )
    out = frame.reset_index(drop=True)
    return out.drop(columns=_ONE) if by is None else out


def landlord_concentration(
    stock: pd.DataFrame, *, by: str | None = None, count: str = "nb_lls"
) -> pd.DataFrame:
    """Stock indicators per landlord (rows of several communes are summed).

    Parameters
    ----------
    stock
        One row per landlord, or per landlord × commune (``bailleur``, ``nb_lls``;
        optionally ``code_insee``, ``nb_lls_qpv`` and the territory column).
    by
        Territory column (``siren_epci``); ``None`` for one territory.
    count
        Column of the stock count (``nb_lls`` by default).

    Returns
    -------
    pandas.DataFrame
        One row per landlord and territory: ``nb_lls``, ``part_territoire``, ``rang``,
        ``part_cumulee``, ``nb_communes`` (communes where it has stock, when ``code_insee`` is
        given), and ``nb_lls_qpv``, ``part_lls_qpv`` when given.
    """
    _check(stock, ["bailleur", count], "landlord_concentration")
    frame, key = _keyed(stock, by)
    sums = [c for c in (count, "nb_lls_qpv") if _has(frame, c)]
    agg = frame.groupby([key, "bailleur"], sort=True, observed=True)[sums].sum()
    if _has(frame, "code_insee"):
        present = (
            frame[frame[count] > 0]
            .groupby([key, "bailleur"], observed=True)["code_insee"]
            .nunique()
        )
        agg["nb_communes"] = present.reindex(agg.index, fill_value=0).astype("int64")
    agg = agg.reset_index()
    out = commune_concentration(agg.assign(code_insee=agg["bailleur"]), by=key, count=count)
    out = out.drop(columns=["code_insee", "quotient_localisation_qpv"], errors="ignore")
    return out.drop(columns=_ONE) if by is None else out


def territory_concentration(
    communes: pd.DataFrame,
    *,
    landlords: pd.DataFrame | None = None,
    by: str | None = None,
    count: str = "nb_lls",
    top_communes: int = 5,
) -> pd.DataFrame:
    """Concentration indicators per territory (EPCI).

    Parameters
    ----------
    communes
        Stock per commune (as for :func:`commune_concentration`).
    landlords
        Stock per landlord, or per landlord × commune, with the territory column.
    by
        Territory column; ``None`` for one territory.
    count
        Column of the stock count (``nb_lls`` by default).
    top_communes
        The n of the "share of the stock in the n largest communes" statement.

    Returns
    -------
    pandas.DataFrame
        One row per territory: ``nb_communes``, ``nb_communes_avec_lls``, ``nb_lls``,
        ``part_top{n}_communes``, ``gini_communes`` (of the stock across communes),
        ``gini_lls_population`` (stock against population, when ``population`` is
        given), ``nb_lls_qpv`` and ``part_lls_qpv``, ``residences_principales`` and
        ``taux_lls_rp``; with ``landlords``: ``nb_bailleurs``, ``part_premier_bailleur``,
        ``part_3_premiers_bailleurs``, ``hhi_bailleurs`` and ``nb_equivalent_bailleurs``
        (1 / HHI).
    """
    _check(communes, ["code_insee", count], "territory_concentration")
    frame, key = _keyed(communes, by)
    g = frame.groupby(key, sort=True)
    out = pd.DataFrame(index=g.size().index)
    out["nb_communes"] = g.size()
    out["nb_communes_avec_lls"] = frame[count].gt(0).groupby(frame[key], sort=True).sum()
    out[count] = g[count].sum()
    out[f"part_top{top_communes}_communes"] = top_share(frame, count, top_communes, by=key)
    out["gini_communes"] = gini(frame, count, by=key)
    if _has(frame, "population"):
        out["gini_lls_population"] = gini(frame, count, weight="population", by=key)
    if _has(frame, "nb_lls_qpv"):
        out["nb_lls_qpv"] = g["nb_lls_qpv"].sum()
        out["part_lls_qpv"] = _ratio(out["nb_lls_qpv"], out[count])
    if _has(frame, "residences_principales"):
        out["residences_principales"] = g["residences_principales"].sum(min_count=1)
        out["taux_lls_rp"] = _ratio(out[count], out["residences_principales"])
    if landlords is not None:
        lframe, lkey = _keyed(landlords, by)
        per = (
            lframe.groupby([lkey, "bailleur"], sort=True, observed=True)[count].sum().reset_index()
        )
        per = per[per[count] > 0]
        out["nb_bailleurs"] = (
            per.groupby(lkey, sort=True)["bailleur"].nunique().reindex(out.index, fill_value=0)
        )
        out["part_premier_bailleur"] = top_share(per, count, 1, by=lkey)
        out["part_3_premiers_bailleurs"] = top_share(per, count, 3, by=lkey)
        out["hhi_bailleurs"] = herfindahl(per, count, by=lkey)
        out["nb_equivalent_bailleurs"] = 1 / out["hhi_bailleurs"]
    out.index.name = by
    return out
