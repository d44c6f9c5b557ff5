"""Statistical secrecy: no published cell may reveal fewer than 11 households.

Primary suppression masks every cell computed on fewer households than the
threshold. Secondary suppression then makes sure a masked cell cannot be recovered
by difference: within each group of cells that add up to a published total (the
communes of an EPCI, the landlords of an EPCI…), a lone masked cell takes the next
smallest cell down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError, preview

__all__ = [
    "DISABLED",
    "MASKED_TEXT",
    "PRIMARY",
    "PUBLISHED",
    "SECONDARY",
    "SECRET_THRESHOLD",
    "apply_secrecy",
    "is_masked",
]

logger = logging.getLogger(__name__)

#: Default minimum number of households behind a published cell.
SECRET_THRESHOLD = 11

#: Labels of the ``secret`` column, the only place they are spelt.
PUBLISHED = ""
PRIMARY = "primaire"
SECONDARY = "secondaire"
DISABLED = "désactivé"
#: What a reader sees in place of a masked figure.
MASKED_TEXT = "secret"


def is_masked(secret: pd.Series) -> pd.Series:
    """Return whether each row's ``secret`` label says its figures are masked.

    Parameters
    ----------
    secret
        The ``secret`` column of a table from :func:`apply_secrecy`.

    Returns
    -------
    pandas.Series
        ``True`` on rows masked by primary or secondary suppression.

    Examples
    --------
    >>> is_masked(pd.Series(["", "primaire", "secondaire", "désactivé"])).tolist()
    [False, True, True, False]
    """
    return secret.isin([PRIMARY, SECONDARY])


def apply_secrecy(
    table: pd.DataFrame,
    *,
    count: str,
    masked: Sequence[str],
    groups: Sequence[str] = (),
    threshold: int = SECRET_THRESHOLD,
    enabled: bool = True,
) -> pd.DataFrame:
    """Mask the cells of ``table`` computed on fewer than ``threshold`` households.

    Parameters
    ----------
    table
        One row per published cell.
    count
        Column with the number of households behind each row (a denominator).
    masked
        Columns to blank on a secret row (the count itself, numerators, rates…).
    groups
        Columns defining the sets of rows that add up to a published total; secondary
        suppression works within each set. Empty: no secondary suppression.
    threshold
        Minimum number of households (11 by default).
    enabled
        ``False`` turns the rule off, for internal use only: the output then says so
        in its ``secret`` column (``"désactivé"``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``masked`` columns set to missing on secret rows and a ``secret``
        column: ``""`` (published), ``"primaire"``, ``"secondaire"`` or ``"désactivé"``.
    """
    missing = [c for c in (count, *masked, *groups) if c not in table.columns]
    if missing:
        raise SchemaError(
            f"apply_secrecy: missing column(s) {missing}; found {preview(table.columns)}"
        )
    out = table.copy()
    if not enabled:
        out["secret"] = DISABLED
        logger.warning(
            "statistical secrecy is OFF: cells under %d households are published", threshold
        )
        return out
    n = pd.to_numeric(out[count], errors="coerce")
    primary = (n < threshold) & (n > 0)
    secondary = pd.Series(False, index=out.index)
    if groups and primary.any():
        keys = list(groups)
        # Position of each row, its group, and how many primary cells its group holds.
        work = out[keys].reset_index(drop=True).copy()
        work["_n"] = n.to_numpy()
        work["_primary"] = primary.to_numpy()
        work["_row"] = np.arange(len(out))
        n_primary = work.groupby(keys, dropna=False)["_primary"].transform("sum").to_numpy()
        # In each group with a single primary cell, the smallest published cell goes too.
        candidates = work[(n_primary == 1) & ~work["_primary"] & (work["_n"] > 0)]
        picked = candidates.sort_values(["_n", "_row"], kind="mergesort").drop_duplicates(
            subset=keys
        )
        secondary.iloc[picked["_row"].to_numpy()] = True
    out["secret"] = np.select([primary, secondary], [PRIMARY, SECONDARY], default=PUBLISHED)
    hidden = primary | secondary
    for col in masked:
        out[col] = (
            out[col].astype("float64") if pd.api.types.is_integer_dtype(out[col]) else out[col]
        )
        out.loc[hidden, col] = np.nan
    if hidden.any():
        logger.info(
            "secrecy: %d primary and %d secondary cell(s) masked",
            int(primary.sum()),
            int(secondary.sum()),
        )
    return out
