r"""Segregation (mixité) indices of a group across the units of many territories at once.

Every function takes a tidy table with one row per unit (commune, IRIS, residence…),
a group count column and a total count column, and a ``by`` column naming the
territory each unit belongs to. All territories are computed in one grouped,
vectorised pass: per-row terms, then one ``groupby(by).sum()``; there is no Python loop
over territories. Units with a zero total carry no weight. A territory where the group
is absent or makes up everyone has undefined indices: ``NaN``, never ``inf``.

Notation, for one territory: unit :math:`i`, group count :math:`x_i`, total
:math:`t_i`, :math:`X = \sum x_i`, :math:`T = \sum t_i`, :math:`P = X/T`,
:math:`p_i = x_i/t_i`.

References
----------
Massey, D. S. & Denton, N. A. (1988). The dimensions of residential segregation.
*Social Forces* 67(2), 281-315.
Theil, H. & Finizza, A. J. (1971). A note on the measurement of racial integration of
schools by means of informational concepts. *Journal of Mathematical Sociology* 1, 187-194.
Reardon, S. F. & Firebaugh, G. (2002). Measures of multigroup segregation.
*Sociological Methodology* 32, 33-67.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError, missing_columns, preview

__all__ = [
    "entropy_decomposition",
    "multigroup_segregation",
    "segregation",
]

_ALL = "__all__"


def _prepare(
    data: pd.DataFrame, columns: Sequence[str], by: str | None, who: str
) -> tuple[pd.DataFrame, str]:
    missing = [c for c in columns if c not in data.columns]
    if by is not None and by not in data.columns:
        missing.append(by)
    if missing:
        raise missing_columns(
            who,
            missing,
            data.columns,
            fix="Passez les colonnes des effectifs (et by=) avec des noms présents.",
        )
    frame = data[list(columns) + ([by] if by else [])].copy()
    for c in columns:
        values = pd.to_numeric(frame[c], errors="coerce").astype("float64")
        if values.isna().any() or (values < 0).any():
            bad = values.isna() | (values < 0)
            raise SchemaError(
                f"{who} : la colonne `{c}` doit contenir des effectifs positifs ou nuls ; "
                f"{int(bad.sum())} ligne(s) vides, non numériques ou négatives, valeurs "
                f"{preview(frame.loc[bad, c])}. Corrigez ou retirez ces lignes."
            )
        frame[c] = values
    key = by or _ALL
    if by is None:
        frame[key] = "ensemble"
    return frame, key


def _div(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> np.ndarray:
    """Divide, with 0 where the denominator is 0 (a unit without population carries no weight)."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    out: np.ndarray = np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)
    return out


def _plogp(p: np.ndarray) -> np.ndarray:
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def _entropy(p: np.ndarray) -> np.ndarray:
    r"""Binary entropy :math:`-[p \ln p + (1-p)\ln(1-p)]`, 0 at p = 0 or 1."""
    entropy: np.ndarray = -(_plogp(p) + _plogp(1 - p))
    return entropy


def segregation(
    data: pd.DataFrame,
    group: str,
    total: str,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    r"""Single-group segregation indices for every territory in one pass.

    Parameters
    ----------
    data
        One row per unit.
    group
        Column of the group count (first-quartile households, APL recipients…).
    total
        Column of the total count (all households) of the unit; ``group <= total``.
    by
        Column naming each unit's territory (an EPCI SIREN); ``None`` for one territory.

    Returns
    -------
    pandas.DataFrame
        One row per territory (index ``by``) with:

        - ``nb_unites``: units with a non-zero total; ``nb_groupe`` :math:`X`;
          ``nb_total`` :math:`T`; ``part_groupe`` :math:`P`;
        - ``dissimilarite`` :math:`D = \tfrac12 \sum_i |x_i/X - (t_i-x_i)/(T-X)|`, in
          [0, 1]: the share of the group that would have to move for every unit to
          have the territory's composition;
        - ``isolement`` :math:`{}_xP_x = \sum_i (x_i/X)(x_i/t_i)`, in [P, 1];
        - ``exposition`` :math:`{}_xP_y = \sum_i (x_i/X)((t_i-x_i)/t_i) = 1 - {}_xP_x`;
        - ``ratio_correlation`` :math:`V = ({}_xP_x - P)/(1 - P)`, in [0, 1] (eta²);
        - ``entropie_h`` Theil's :math:`H = \sum_i t_i (E - E_i)/(T E)` with
          :math:`E = -[P\ln P + (1-P)\ln(1-P)]`, in [0, 1];
        - ``gini`` :math:`G = \sum_i\sum_j t_i t_j |p_i - p_j| / (2T^2P(1-P))`, in [0, 1].

    Examples
    --------
    Two communes, 10 of 20 households in the group in one, 0 of 20 in the other:
    :math:`D = \tfrac12(|10/10 - 10/30| + |0/10 - 20/30|) = 2/3`.

    >>> df = pd.DataFrame({"q1": [10, 0], "menages": [20, 20]})
    >>> round(segregation(df, "q1", "menages")["dissimilarite"].item(), 4)
    0.6667
    """
    frame, key = _prepare(data, [group, total], by, "segregation")
    x = frame[group].to_numpy()
    t = frame[total].to_numpy()
    if (x > t).any():
        over = frame.loc[x > t]
        raise SchemaError(
            f"segregation : la colonne `{group}` (groupe) dépasse la colonne `{total}` (total) "
            f"sur {int((x > t).sum())} unité(s) (index {preview(over.index)}) ; le groupe est "
            "compté dans le total : vérifiez que group= et total= ne sont pas inversés."
        )
    g = frame.groupby(key, sort=True)
    X = g[group].transform("sum").to_numpy()
    T = g[total].transform("sum").to_numpy()
    P = _div(X, T)
    p = _div(x, t)
    y = t - x
    Y = T - X
    ex = _entropy(P)
    ei = _entropy(p)
    terms = pd.DataFrame(
        {
            key: frame[key].to_numpy(),
            "nb_unites": (t > 0).astype(np.int64),
            "nb_groupe": x,
            "nb_total": t,
            "d": 0.5 * np.abs(_div(x, X) - _div(y, Y)),
            "xpx": _div(x, X) * p,
            "xpy": _div(x, X) * (1 - p) * (t > 0),
            "h": t * (ex - ei),
        }
    )
    sums = terms.groupby(key, sort=True).sum()
    out = pd.DataFrame(index=sums.index)
    out["nb_unites"] = sums["nb_unites"].astype("int64")
    out["nb_groupe"] = sums["nb_groupe"]
    out["nb_total"] = sums["nb_total"]
    Pg = _div(sums["nb_groupe"], sums["nb_total"])
    defined = (Pg > 0) & (Pg < 1)
    out["part_groupe"] = np.where(sums["nb_total"] > 0, Pg, np.nan)
    out["dissimilarite"] = np.where(defined, sums["d"], np.nan)
    out["isolement"] = np.where(defined, sums["xpx"], np.nan)
    out["exposition"] = np.where(defined, sums["xpy"], np.nan)
    out["ratio_correlation"] = np.where(defined, _div(sums["xpx"] - Pg, 1 - Pg), np.nan)
    e_total = _entropy(Pg)
    out["entropie_h"] = np.where(defined, _div(sums["h"], sums["nb_total"] * e_total), np.nan)
    out["gini"] = np.where(
        defined,
        _gini(frame, key, p, t) / np.where(defined, 2 * sums["nb_total"] ** 2 * Pg * (1 - Pg), 1),
        np.nan,
    )
    if by is None:
        out.index.name = None
    else:
        out.index.name = by
    return out


def _gini(frame: pd.DataFrame, key: str, p: np.ndarray, t: np.ndarray) -> np.ndarray:
    r""":math:`\sum_i\sum_j t_i t_j |p_i - p_j|` per territory, in O(n log n).

    Sorting the units of each territory by :math:`p`, the double sum is
    :math:`2\sum_i t_i (p_i W_i - S_i)` with :math:`W_i = \sum_{j<i} t_j` and
    :math:`S_i = \sum_{j<i} t_j p_j`: one sort and two grouped cumulative sums
    instead of a pairwise matrix per territory.
    """
    work = pd.DataFrame({"k": frame[key].to_numpy(), "p": p, "t": t, "tp": t * p})
    work = work.sort_values(["k", "p"], kind="mergesort")
    g = work.groupby("k", sort=True)
    w_before = g["t"].cumsum() - work["t"]
    s_before = g["tp"].cumsum() - work["tp"]
    work["pair"] = 2 * work["t"] * (work["p"] * w_before - s_before)
    return work.groupby("k", sort=True)["pair"].sum().to_numpy()


def entropy_decomposition(
    data: pd.DataFrame,
    group: str,
    total: str,
    *,
    level: str,
    by: str | None = None,
) -> pd.DataFrame:
    r"""Split Theil's H into segregation between and within the units of a higher level.

    With units :math:`i` nested in parts :math:`g` (IRIS within communes, communes
    within "QPV / hors QPV"…), :math:`H = H_{entre} + H_{intra}` where
    :math:`H_{entre}` is H computed on the parts and
    :math:`H_{intra} = \sum_g \frac{T_g E_g}{T E} H_g`.

    Parameters
    ----------
    data
        One row per unit.
    group, total
        Count columns, as in :func:`segregation`.
    level
        Column naming the part each unit belongs to.
    by
        Column naming the territory.

    Returns
    -------
    pandas.DataFrame
        Per territory: ``entropie_h`` (total), ``entropie_h_entre``, ``entropie_h_intra``
        and ``part_entre`` (between share of the total).
    """
    frame, key = _prepare(data, [group, total], by, "entropy_decomposition")
    if level not in data.columns:
        raise missing_columns(
            "entropy_decomposition",
            [level],
            data.columns,
            fix="Passez level= avec la colonne du niveau intermédiaire (code_insee…).",
        )
    frame["_level"] = data[level].astype("string").fillna("<NA>").to_numpy()
    total_h = segregation(frame, group, total, by=key)["entropie_h"]
    parts = frame.groupby([key, "_level"], sort=True)[[group, total]].sum().reset_index()
    between = segregation(parts, group, total, by=key)["entropie_h"]
    # Within: sum over parts of T_g E_g H_g / (T E), which unit by unit is
    # sum_i t_i (E_g(i) - E_i) / (T E): one grouped pass, no loop over parts.
    pg = frame.groupby([key, "_level"], sort=False)
    p_part = _div(pg[group].transform("sum"), pg[total].transform("sum"))
    p_unit = _div(frame[group], frame[total])
    frame["_w"] = frame[total].to_numpy() * (_entropy(p_part) - _entropy(p_unit))
    overall = frame.groupby(key, sort=True)[[group, total, "_w"]].sum()
    P = _div(overall[group], overall[total])
    within = pd.Series(
        _div(overall["_w"], overall[total].to_numpy() * _entropy(P)), index=overall.index
    )
    out = pd.DataFrame(
        {
            "entropie_h": total_h,
            "entropie_h_entre": between,
            "entropie_h_intra": within.where(total_h.notna()),
        }
    )
    out["part_entre"] = out["entropie_h_entre"] / out["entropie_h"].where(out["entropie_h"] > 0)
    out.index.name = by
    return out


def multigroup_segregation(
    data: pd.DataFrame,
    groups: Sequence[str],
    *,
    by: str | None = None,
) -> pd.DataFrame:
    r"""Multigroup dissimilarity and information theory index (e.g. the four income quartiles).

    With groups :math:`m`, unit shares :math:`\pi_{im}`, territory shares :math:`\pi_m`:

    - ``dissimilarite_multi`` :math:`D = \sum_i\sum_m \frac{t_i|\pi_{im} - \pi_m|}{2TI}`,
      :math:`I = \sum_m \pi_m(1-\pi_m)` (Reardon & Firebaugh 2002);
    - ``entropie_h_multi`` :math:`H = \sum_i \frac{t_i (E - E_i)}{T E}`,
      :math:`E = -\sum_m \pi_m \ln \pi_m`.

    The total of a unit is the sum of its groups.

    Parameters
    ----------
    data
        One row per unit.
    groups
        Count columns of the groups, which together make up each unit's total.
    by
        Territory column (``siren_epci``); ``None`` for one territory.

    Returns
    -------
    pandas.DataFrame
        One row per territory with ``dissimilarite_multi`` and ``entropie_h_multi``.
    """
    if len(groups) < 2:
        raise SchemaError(
            f"multigroup_segregation : au moins deux groupes sont nécessaires ; groups= "
            f"{list(groups)}. Passez groups= avec deux colonnes d'effectifs ou plus "
            "(ex. ['q1', 'q2', 'q3', 'q4'])."
        )
    frame, key = _prepare(data, list(groups), by, "multigroup_segregation")
    counts = frame[list(groups)].to_numpy()
    t = counts.sum(axis=1)
    frame["_t"] = t
    g = frame.groupby(key, sort=True)
    T = g["_t"].transform("sum").to_numpy()
    totals = g[list(groups)].transform("sum").to_numpy()
    pi_m = totals / np.where(T > 0, T, 1)[:, None]
    pi_im = counts / np.where(t > 0, t, 1)[:, None]
    terms = pd.DataFrame(
        {
            key: frame[key].to_numpy(),
            "d": (t[:, None] * np.abs(pi_im - pi_m)).sum(axis=1),
            "ei": t * (-_plogp(pi_im).sum(axis=1)),
            "t": t,
        }
    )
    sums = terms.groupby(key, sort=True).sum()
    first = (
        pd.DataFrame({key: frame[key].to_numpy()})
        .join(pd.DataFrame(pi_m))
        .groupby(key, sort=True)
        .first()
        .to_numpy()
    )
    interaction = (first * (1 - first)).sum(axis=1)
    entropy = -_plogp(first).sum(axis=1)
    T_ = sums["t"].to_numpy()
    out = pd.DataFrame(index=sums.index)
    out["nb_total"] = T_
    out["dissimilarite_multi"] = np.where(
        interaction > 0, _div(sums["d"], 2 * T_ * interaction), np.nan
    )
    out["entropie_h_multi"] = np.where(
        entropy > 0, _div(T_ * entropy - sums["ei"], T_ * entropy), np.nan
    )
    out.index.name = by
    return out
