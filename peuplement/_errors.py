"""Exceptions raised by peuplement.

Every error subclasses :class:`PeuplementError`, itself a :class:`ValueError`, so
callers can catch bad input with one ``except`` clause. Messages say what is wrong,
where (file, column, rows), what was found and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "CRSError",
    "DataNotFoundError",
    "PeuplementError",
    "SchemaError",
    "missing_columns",
    "preview",
]


class PeuplementError(ValueError):
    """Base class of every error raised by peuplement on bad input."""


class SchemaError(PeuplementError):
    """A table lacks a mandatory column, or a column has values of the wrong kind."""


class CRSError(PeuplementError):
    """A layer has a missing, geographic or inconsistent coordinate reference system."""


class DataNotFoundError(PeuplementError, FileNotFoundError):
    """A reference file is missing; the message names it and where to get it."""


def preview(values: Iterable[object], limit: int = 5) -> str:
    """Format up to ``limit`` values for an error message, with the total count.

    Examples
    --------
    >>> preview(["a", "b", "c"], limit=2)
    "['a', 'b', …] (3 en tout)"
    """
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = ", …" if len(items) > limit else ""
    return f"[{shown}{more}] ({len(items)} en tout)"


def missing_columns(
    who: str,
    missing: Sequence[str],
    found: Iterable[object],
    *,
    table: str = "la table",
    fix: str = "Renommez la colonne, ou passez en argument le nom d'une colonne présente.",
) -> SchemaError:
    """Return the French error of a table that lacks columns a function needs.

    Parameters
    ----------
    who
        The function (or command) that needs the columns.
    missing
        The columns missing, in the order the function needs them.
    found
        The table's columns.
    table
        How to name the table in the message (the argument's name, ``la table stock``).
    fix
        What to do, one sentence.

    Returns
    -------
    SchemaError
        The error to raise.

    Examples
    --------
    >>> str(missing_columns("rotation_rate", ["nb_lls"], ["code_insee"], table="la table stock"))
    "rotation_rate : la table stock n'a pas la colonne `nb_lls` ; colonnes trouvées : ['code_insee'] (1 en tout). Renommez la colonne, ou passez en argument le nom d'une colonne présente."
    """
    names = ", ".join(f"`{c}`" for c in missing)
    what = "les colonnes" if len(missing) > 1 else "la colonne"
    return SchemaError(
        f"{who} : {table} n'a pas {what} {names} ; colonnes trouvées : {preview(found)}. {fix}"
    )
