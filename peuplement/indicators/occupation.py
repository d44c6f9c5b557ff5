"""Occupation indicators: shares of fragile households among occupants or attributions, rotation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from peuplement._errors import missing_columns
from peuplement.secrecy import SECRET_THRESHOLD, Count, Model, protect, protect_parts

__all__ = ["household_shares", "rotation_rate"]


def household_shares(
    households: pd.DataFrame,
    flags: Mapping[str, str],
    *,
    by: Sequence[str] = ("code_insee",),
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
) -> pd.DataFrame:
    """Share of households with each flag, per unit, with statistical secrecy.

    Parameters
    ----------
    households
        One row per household (occupants of an OPS survey, or attributions), with
        boolean flag columns: first quartile (``q1``), APL recipient, resources under
        60 % of the PLUS ceilings, priority household.
    flags
        ``{flag column: output name}``, e.g. ``{"q1": "part_q1", "apl": "part_apl"}``.
    by
        Unit columns (``code_insee``, ``bailleur``, ``code_qpv``…).
    secret
        Mask units with fewer than ``threshold`` households (primary suppression, and
        secondary suppression within the table so the total does not give them away).
    threshold
        Minimum number of households behind a published share (11).

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``nb_menages``, and per flag ``nb_<flag>`` and the share
        (in [0, 1]); ``secret`` says which rows are masked.
    """
    keys = list(by)
    missing = [c for c in (*keys, *flags) if c not in households.columns]
    if missing:
        raise missing_columns(
            "household_shares",
            missing,
            households.columns,
            table="la table households",
            fix="Passez by= et flags= avec des colonnes présentes.",
        )
    frame = households[keys].copy()
    frame["nb_menages"] = 1
    for flag in flags:
        frame[f"nb_{flag}"] = households[flag].fillna(False).astype(bool).astype("int64")
    out = frame.groupby(keys, sort=True, dropna=False).sum().reset_index()
    for flag, name in flags.items():
        out[name] = out[f"nb_{flag}"] / out["nb_menages"]
    # The units add up to the territory's total, published elsewhere.
    return protect_parts(
        out,
        households[keys].assign(**{f: frame[f"nb_{f}"].astype(bool) for f in flags}),
        units=keys,
        total="nb_menages",
        total_blanks=tuple(flags.values()),
        parts={f"nb_{flag}": (flag, (name,)) for flag, name in flags.items()},
        threshold=threshold,
        enabled=secret,
    )


def rotation_rate(
    attributions: pd.DataFrame,
    stock: pd.DataFrame,
    *,
    by: str = "code_insee",
    count: str = "nb_lls",
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
) -> pd.DataFrame:
    r"""Compute the attributions of the year per social dwelling of the unit (turnover).

    .. math:: rotation = \frac{attributions}{logements\ sociaux}

    ``NaN`` for a unit without stock. ``nb_attributions`` counts households: with
    ``secret`` (the default) a unit with fewer than ``threshold`` attributions is masked,
    with the others it takes to keep it from being recovered from the total
    (:mod:`peuplement.secrecy`); ``secret`` says which rows are masked.

    Parameters
    ----------
    attributions
        One row per attribution, with the ``by`` column.
    stock
        One row per unit with ``by`` and ``count``.
    by
        Unit column (``code_insee``, ``bailleur``).
    count
        Column of the stock count (``nb_lls`` by default).
    secret
        Apply statistical secrecy (default).
    threshold
        Minimum number of households behind a published count (11).

    Returns
    -------
    pandas.DataFrame
        One row per unit of ``stock``: ``nb_attributions``, ``count``, ``taux_rotation``
        and ``secret``.

    Examples
    --------
    >>> import pandas as pd
    >>> att = pd.DataFrame({"code_insee": ["a"] * 30 + ["b"] * 3 + ["c"] * 12})
    >>> stock = pd.DataFrame({"code_insee": ["a", "b", "c"], "nb_lls": [300, 40, 100]})
    >>> rotation_rate(att, stock)["nb_attributions"].tolist()
    [30.0, nan, nan]
    """
    for name, frame, cols in (("attributions", attributions, [by]), ("stock", stock, [by, count])):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise missing_columns(
                "rotation_rate",
                missing,
                frame.columns,
                table=f"la table {name}",
                fix="Passez by= et count= avec des colonnes présentes.",
            )
    n = attributions.groupby(by, sort=True).size().rename("nb_attributions")
    out = (
        stock[[by, count]]
        .merge(n, left_on=by, right_index=True, how="left")
        .fillna({"nb_attributions": 0})
    )
    out["nb_attributions"] = out["nb_attributions"].astype("int64")
    den = out[count].astype("float64").to_numpy()
    out["taux_rotation"] = np.divide(
        out["nb_attributions"].to_numpy(dtype="float64"),
        den,
        out=np.full(len(out), np.nan),
        where=den > 0,
    )
    micro = attributions.loc[attributions[by].isin(set(out[by])), [by]]
    model = Model(
        micro,
        units=(by,),
        counts=(Count("rotation", {by: by}, column="nb_attributions", total=True,
                      blanks=("taux_rotation",)),),
        totals={"rotation": ()},  # the territory's attributions are published elsewhere
    )  # fmt: skip
    protected = protect({"rotation": out}, model, threshold=threshold, enabled=secret)
    return protected["rotation"]
