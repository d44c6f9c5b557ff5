"""The canonical schema shared by every loader: column names, code formats and aliases.

Official identifiers keep their French names and are **text**: ``code_insee`` (5
characters, so ``01001`` and ``2A004`` survive), ``siren_epci`` (9 digits), ``code_qpv``
(``QP059034`` for the 2015 generation, ``QN05901M``-style codes for 2024).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError, preview

__all__ = [
    "CRS_LAMBERT93",
    "INSEE_PATTERN",
    "QPV_PATTERNS",
    "SIREN_PATTERN",
    "CodeCheck",
    "fold",
    "place_key",
    "normalize_insee",
    "normalize_qpv",
    "normalize_siren",
    "resolve_columns",
]

#: Lambert-93, the projected CRS of metropolitan France, used for every measure.
CRS_LAMBERT93 = "EPSG:2154"

#: A commune code of the COG: 5 digits, or 2A/2B and 3 digits in Corsica.
INSEE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$")
#: An EPCI SIREN: 9 digits.
SIREN_PATTERN = re.compile(r"^\d{9}$")
#: QPV codes of each generation: ``QP`` + department (3 characters) + 3 digits for the
#: 2015 perimeters (décret 2014-1750); ``QN`` + department (3) + 3 characters for 2024
#: (décret 2023-1314), e.g. ``QN07501M``.
QPV_PATTERNS: dict[int, re.Pattern[str]] = {
    2015: re.compile(r"^QP(\d{3}|02[AB])\d{3}$"),
    2024: re.compile(r"^QN(\d{3}|02[AB])\d{2}[0-9A-Z]$"),
}


def fold(text: str) -> str:
    """Fold a label for matching: no accents, lower case, only letters and digits.

    >>> fold(" Écaillon ")
    'ecaillon'
    >>> fold("Bruay-sur-l'Escaut")
    'bruaysurlescaut'
    >>> fold("Rœulx")
    'roeulx'
    """
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    nfkd = unicodedata.normalize("NFKD", text)
    ascii_ = "".join(c for c in nfkd if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", ascii_.lower())


_ARTICLE = re.compile(r"^\s*(les|le|la|l')\s*", re.IGNORECASE)


def place_key(name: str) -> str:
    """Return the matching key of a place name, without its leading article.

    The COG writes some names with their article apart (``Quesnoy`` with type
    ``Le``) while official lists write ``Le Quesnoy``.

    >>> place_key("Le Quesnoy") == place_key("Quesnoy")
    True
    """
    return fold(_ARTICLE.sub("", name))


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of normalising a column of codes.

    Attributes
    ----------
    values
        The normalised codes (``<NA>`` where invalid or missing).
    repaired
        Boolean mask of values changed unambiguously (leading zero restored, ``.0`` removed).
    invalid
        Boolean mask of non-empty values that could not be read as a code.
    missing
        Boolean mask of empty values.
    """

    values: pd.Series
    repaired: pd.Series
    invalid: pd.Series
    missing: pd.Series


def _as_text(raw: pd.Series) -> pd.Series:
    text = raw.astype("string").str.strip()
    # Spreadsheet exports turn 59001 into 59001.0; the float suffix carries nothing.
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.mask(text == "")


def normalize_insee(raw: pd.Series) -> CodeCheck:
    """Normalise commune codes to 5-character text.

    A 4-digit code has lost its leading zero to a spreadsheet (``1001`` is ``01001``,
    unambiguous since no department code starts with a digit pair above 97 with 4
    digits); it is repaired. Corsican codes (``2A004``) are upper-cased. Anything else
    that does not match :data:`INSEE_PATTERN` is invalid.
    """
    text = _as_text(raw)
    original = text.copy()
    text = text.str.upper()
    four = text.str.fullmatch(r"\d{4}").fillna(False)
    text = text.mask(four, "0" + text)
    valid = text.str.fullmatch(INSEE_PATTERN.pattern).fillna(False)
    missing = original.isna()
    values = text.where(valid)
    repaired = valid & (text != raw.astype("string").str.strip()).fillna(False)
    return CodeCheck(values, repaired.astype(bool), (~valid & ~missing).astype(bool), missing)


def normalize_siren(raw: pd.Series) -> CodeCheck:
    """Normalise EPCI SIREN codes to 9-digit text (a lost leading zero is not possible: SIRENs of EPCI start with 2)."""
    text = _as_text(raw)
    valid = text.str.fullmatch(SIREN_PATTERN.pattern).fillna(False)
    missing = text.isna()
    repaired = valid & (text != raw.astype("string").str.strip()).fillna(False)
    return CodeCheck(
        text.where(valid), repaired.astype(bool), (~valid & ~missing).astype(bool), missing
    )


def normalize_qpv(raw: pd.Series, *, generation: int | None) -> CodeCheck:
    """Normalise QPV codes and check they belong to ``generation`` (2015 or 2024).

    With ``generation=None`` codes of either generation are accepted. Empty values and
    the usual "not in a QPV" markers of RPLS extracts (``0``, ``HQ``, ``-``) are missing,
    not invalid.
    """
    text = _as_text(raw).str.upper()
    text = text.mask(text.isin(["0", "HQ", "-", "HORS QPV", "NON"]))
    if generation is None:
        patterns = list(QPV_PATTERNS.values())
    elif generation in QPV_PATTERNS:
        patterns = [QPV_PATTERNS[generation]]
    else:
        raise SchemaError(
            f"unknown QPV generation {generation!r}; expected one of {sorted(QPV_PATTERNS)}"
        )
    valid = pd.Series(False, index=text.index)
    for pattern in patterns:
        valid |= text.str.fullmatch(pattern.pattern).fillna(False)
    missing = text.isna()
    return CodeCheck(
        text.where(valid),
        pd.Series(False, index=text.index),
        (~valid & ~missing).astype(bool),
        missing,
    )


def resolve_columns(
    frame: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    source: str,
    columns: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map canonical column names to the columns of ``frame``.

    Parameters
    ----------
    frame
        The table as read.
    aliases
        For each canonical name, the usual names it takes in official files. Matching
        is case-insensitive, accent-insensitive and ignores spaces, ``_`` and ``-``.
    required
        Canonical names that must be found.
    source
        The file name, quoted in the error.
    columns
        Explicit ``{source_column: canonical_name}`` mapping given by the user; it wins
        over the aliases.

    Returns
    -------
    dict
        ``{canonical_name: source_column}`` for every canonical name found.

    Raises
    ------
    SchemaError
        When a required column is missing, naming it, the columns found and the fix.
    """
    by_fold: dict[str, str] = {}
    for col in frame.columns:
        by_fold.setdefault(fold(str(col)), str(col))
    found: dict[str, str] = {}
    for src, canonical in (columns or {}).items():
        if src not in frame.columns:
            raise SchemaError(
                f"{source}: columns={{{src!r}: {canonical!r}}} names a column that is not in "
                f"the file; found {preview(map(str, frame.columns), 12)}"
            )
        found[canonical] = src
    for canonical, names in aliases.items():
        if canonical in found:
            continue
        for name in (canonical, *names):
            hit = by_fold.get(fold(name))
            if hit is not None and hit not in found.values():
                found[canonical] = hit
                break
    missing = [c for c in required if c not in found]
    if missing:
        expected = "; ".join(
            f"`{c}` (or {', '.join(repr(a) for a in aliases.get(c, ()))})" for c in missing
        )
        raise SchemaError(
            f"{source} is missing column(s) {expected}; found "
            f"{preview(map(str, frame.columns), 12)}. Column names are matched "
            "case-insensitively, ignoring accents, spaces and underscores; rename the column "
            "or pass columns={'<your column>': '<canonical name>'}."
        )
    return found


def to_count(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse non-negative integer counts written the French way (``1 234``, ``12,0``).

    Returns the counts (nullable ``Int64``) and a mask of values that are not a
    non-negative whole number (missing values are not flagged).
    """
    text = raw.astype("string").str.replace(r"[\s\u202f\u00a0]", "", regex=True)
    text = text.str.replace(",", ".", regex=False).mask(lambda s: s == "")
    number = pd.to_numeric(text, errors="coerce")
    bad = (text.notna() & (number.isna() | (number < 0) | (np.floor(number) != number))).fillna(
        True
    )
    good = number.where(~bad)
    return good.round().astype("Int64"), bad.astype(bool) & text.notna()


def to_number(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers written the French way (``1 234,5``); return values and a bad-value mask."""
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype("float64")
        return values, pd.Series(False, index=raw.index)
    text = raw.astype("string").str.replace(r"[\s\u202f\u00a0]", "", regex=True)
    text = text.str.replace(",", ".", regex=False).mask(lambda s: s == "")
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = (text.notna() & number.isna()).fillna(False)
    return number, bad.astype(bool)
