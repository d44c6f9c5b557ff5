"""French formatting of numbers, shares and dates: one place for the CLI, report, maps and notebooks.

French typography separates thousands with a narrow no-break space (U+202F) and uses a
decimal comma; a percentage is followed by a narrow no-break space and ``%``.
"""

from __future__ import annotations

import math

__all__ = ["NARROW_NBSP", "fmt_count", "fmt_fr", "fmt_pct"]

#: The thousands separator (and the space before ``%``) of French typography.
NARROW_NBSP = "\u202f"


def fmt_fr(value: float | None, *, percent: bool = False, digits: int | None = None) -> str:
    """Format a number the French way: thousands separated by a narrow space, decimal comma.

    Parameters
    ----------
    value
        The number; ``None`` or NaN gives an en dash.
    percent
        Read ``value`` as a share in [0, 1] and print it as a percentage with one decimal.
    digits
        Decimals; by default none for whole numbers and values of 100 or more, else two.

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> fmt_fr(8713), fmt_fr(0.682, percent=True), fmt_fr(2.4105, digits=2)
    ('8\u202f713', '68,2\u202f%', '2,41')
    >>> fmt_fr(float("nan"))
    '–'
    """
    if value is None or math.isnan(value):
        return "–"
    if percent:
        return f"{100 * value:,.1f}".replace(",", NARROW_NBSP).replace(".", ",") + f"{NARROW_NBSP}%"
    if digits is None:
        digits = 0 if float(value).is_integer() or abs(value) >= 100 else 2
    return f"{value:,.{digits}f}".replace(",", NARROW_NBSP).replace(".", ",")


def fmt_count(value: float | None) -> str:
    """Format a count as a whole number, French style.

    Parameters
    ----------
    value
        The count; ``None`` or NaN gives an en dash.

    Returns
    -------
    str
        The count rounded to a whole number, thousands separated by a narrow no-break space.

    Examples
    --------
    >>> fmt_count(8713.0)
    '8\u202f713'
    """
    if value is None or math.isnan(value):
        return "–"
    return fmt_fr(round(float(value)), digits=0)


def fmt_pct(value: float | None, *, digits: int = 1) -> str:
    """Format a share in [0, 1] as a French percentage.

    Parameters
    ----------
    value
        The share; ``None`` or NaN gives an en dash.
    digits
        Decimals of the percentage.

    Returns
    -------
    str
        The percentage with a decimal comma and a narrow no-break space before ``%``.

    Examples
    --------
    >>> fmt_pct(0.6824)
    '68,2\u202f%'
    >>> fmt_pct(0.25, digits=0)
    '25\u202f%'
    """
    if value is None or math.isnan(value):
        return "–"
    return (
        f"{100 * value:,.{digits}f}".replace(",", NARROW_NBSP).replace(".", ",") + f"{NARROW_NBSP}%"
    )
