"""Demand indicators: pressure and waiting time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from peuplement._errors import missing_columns

__all__ = ["demand_pressure"]


def demand_pressure(
    demandes: pd.DataFrame,
    attributions: pd.DataFrame,
    *,
    by: str = "code_insee",
    wait: str | None = None,
) -> pd.DataFrame:
    r"""Pressure on the stock per unit: pending requests per attribution of the year.

    .. math:: pression = \frac{demandes\ en\ attente\ au\ 31/12}{attributions\ de\ l'année}

    The CIL of Cœur d'Ostrevent reports 1,725 requests for 715 attributions: 2.41.

    Parameters
    ----------
    demandes
        One row per pending request (:func:`peuplement.load_demandes`) with column ``by``.
    attributions
        One row per attribution of the year with column ``by``.
    by
        Unit column present in both (``code_insee``, ``siren_epci``…).
    wait
        Optional column of ``attributions`` with the waiting time in months of the
        household served; gives ``delai_moyen_mois`` and ``delai_median_mois``.

    Returns
    -------
    pandas.DataFrame
        Per unit: ``nb_demandes``, ``nb_attributions``, ``pression`` (``NaN`` where no
        attribution was made).
    """
    for name, frame in (("demandes", demandes), ("attributions", attributions)):
        if by not in frame.columns:
            raise missing_columns(
                "demand_pressure",
                [by],
                frame.columns,
                table=f"la table {name}",
                fix="Passez by= avec une colonne présente dans les demandes et les attributions.",
            )
    out = (
        pd.DataFrame(
            {
                "nb_demandes": demandes.groupby(by, sort=True).size(),
                "nb_attributions": attributions.groupby(by, sort=True).size(),
            }
        )
        .fillna(0)
        .astype("int64")
    )
    out["pression"] = np.divide(
        out["nb_demandes"],
        out["nb_attributions"],
        out=np.full(len(out), np.nan),
        where=out["nb_attributions"].to_numpy() > 0,
    )
    if wait is not None:
        g = attributions.groupby(by, sort=True)[wait]
        out["delai_moyen_mois"] = g.mean()
        out["delai_median_mois"] = g.median()
    return out
