"""Exceptions raised by peuplement.

Every error subclasses :class:`PeuplementError`, itself a :class:`ValueError`, so
callers can catch bad input with one ``except`` clause. Messages say what is wrong,
where (file, column, rows), what was found and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CRSError",
    "DataNotFoundError",
    "PeuplementError",
    "SchemaError",
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
