"""French formatting of numbers, shares and dates: one place for the CLI, report, maps and notebooks.

French typography separates thousands with a narrow no-break space (U+202F) and uses a
decimal comma; a percentage is followed by a narrow no-break space and ``%``; a negative
number takes the minus sign (U+2212), not the hyphen. These texts are for people: a CSV
export writes its numbers through :func:`peuplement.export.write_csv`, with ``-``, so
that spreadsheets read them as numbers.
"""

from __future__ import annotations

import math

__all__ = ["MINUS", "NARROW_NBSP", "fmt_count", "fmt_fr", "fmt_pct", "fmt_signed"]

#: The thousands separator (and the space before ``%``) of French typography.
NARROW_NBSP = "\u202f"
#: The minus sign of typography (U+2212), as wide as ``+``; the hyphen ``-`` is shorter.
MINUS = "\u2212"


def _french(text: str) -> str:
    """Turn a number formatted by Python (``-1,234.5``) into French (``−1 234,5``)."""
    return text.replace(",", NARROW_NBSP).replace(".", ",").replace("-", MINUS)


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
    >>> fmt_fr(-1234.5, digits=1)
    '\u22121\u202f234,5'
    """
    if value is None or math.isnan(value):
        return "–"
    if percent:
        return fmt_pct(value)
    if digits is None:
        digits = 0 if float(value).is_integer() or abs(value) >= 100 else 2
    return _french(f"{_no_negative_zero(value, digits):,.{digits}f}")


def _no_negative_zero(value: float, digits: int) -> float:
    """Return ``value``, or 0 when it rounds to zero (``−0,0`` is not a change)."""
    return 0.0 if round(value, digits) == 0 else value


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
    return _french(f"{_no_negative_zero(100 * value, digits):,.{digits}f}") + f"{NARROW_NBSP}%"


def fmt_signed(
    value: float | None, *, percent: bool = False, digits: int = 1, unit: str = ""
) -> str:
    """Format a change with its sign: ``+`` when it rises, ``−`` (U+2212) when it falls.

    Parameters
    ----------
    value
        The change; ``None`` or NaN gives an en dash.
    percent
        Read ``value`` as a share and print it as a percentage.
    digits
        Decimals.
    unit
        Unit after the number, separated by a space (``points``).

    Returns
    -------
    str
        The signed change; a change that rounds to zero has no sign.

    Examples
    --------
    >>> fmt_signed(3.61, unit="points"), fmt_signed(-0.036, percent=True)
    ('+3,6 points', '\u22123,6\u202f%')
    >>> fmt_signed(0.04)
    '0,0'
    """
    if value is None or math.isnan(value):
        return "–"
    text = fmt_pct(value, digits=digits) if percent else fmt_fr(value, digits=digits)
    rises = round(100 * value if percent else value, digits) > 0
    return ("+" if rises else "") + text + (f" {unit}" if unit else "")
