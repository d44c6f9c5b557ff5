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

from peuplement._errors import SchemaError, hint, preview

__all__ = [
    "CRS_LAMBERT93",
    "FIELD_RANGES",
    "INSEE_PATTERN",
    "QPV_PATTERNS",
    "SIREN_PATTERN",
    "CodeCheck",
    "Range",
    "fold",
    "normalize_name",
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


@dataclass(frozen=True)
class Range:
    """The plausible values of a numeric field, set from the domain.

    Attributes
    ----------
    low, high
        Smallest and largest plausible value (inclusive).
    why
        Where the bounds come from, in French (quoted in rejection messages).
    """

    low: float
    high: float
    why: str


# France counts about 5.3 million social dwellings (RPLS 2024) and 30.7 million main
# residences (INSEE 2021): no commune, landlord or territory can hold more than France.
_FRANCE_LLS = 6_000_000
_FRANCE_RP = 32_000_000

#: Plausible range of every numeric canonical field, read by the tabular loaders
#: (:mod:`peuplement.io._spec`) and by the national ingest (:mod:`peuplement.io.national`)
#: so that both apply the same rules. A value outside its range, or not finite
#: (``inf``, ``1e999``), is rejected with its row. Keys are canonical column names.
FIELD_RANGES: dict[str, Range] = {
    "nb_pieces": Range(1, 20, "un logement social compte de 1 à 20 pièces"),
    # The largest social dwellings in RPLS have about 12 rooms and 300 m².
    "surface_m2": Range(1, 1_000, "surface habitable d'un logement : 1 à 1 000 m²"),
    "annee_construction": Range(1800, 2100, "année de construction entre 1800 et 2100"),
    "annee": Range(1990, 2100, "année d'attribution ou de seuil entre 1990 et 2100"),
    "x": Range(40_000, 1_250_000, "X en Lambert-93 : métropole et Corse"),
    "y": Range(6_030_000, 7_120_000, "Y en Lambert-93 : métropole et Corse"),
    "nb_lls": Range(0, _FRANCE_LLS, "pas plus de logements sociaux que la France entière"),
    "nb_lls_qpv": Range(0, _FRANCE_LLS, "pas plus de logements sociaux que la France entière"),
    "residences_principales": Range(
        0, _FRANCE_RP, "pas plus de résidences principales que la France entière"
    ),
    "nb_personnes": Range(1, 30, "un ménage compte de 1 à 30 personnes"),
    "nb_moins_14": Range(0, 29, "au plus 29 enfants de moins de 14 ans"),
    "ressources_annuelles": Range(0, 10_000_000, "ressources annuelles d'un ménage : 0 à 10 M€"),
    "ressources_mensuelles": Range(0, 1_000_000, "ressources mensuelles d'un ménage : 0 à 1 M€"),
    "q1_annuel_uc": Range(1, 200_000, "seuil en € par UC et par an : 1 à 200 000"),
    "q2_annuel_uc": Range(1, 200_000, "seuil en € par UC et par an : 1 à 200 000"),
    "q3_annuel_uc": Range(1, 200_000, "seuil en € par UC et par an : 1 à 200 000"),
    "nb_menages": Range(0, _FRANCE_RP, "pas plus de ménages que la France entière"),
    "nb_uc": Range(0, 100_000_000, "pas plus d'UC que la population française"),
    "taux_pauvrete": Range(0, 100, "un taux en pourcentage"),
    "population": Range(0, 70_000_000, "pas plus d'habitants que la France entière"),
}

_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Normalise a name for grouping and duplicate checks, keeping its visible spelling.

    Unicode NFC (a precomposed ``é`` and ``e`` + combining accent become one), zero-width
    and soft-hyphen characters removed, runs of white space (non-breaking included)
    collapsed to one space, ends trimmed. Case and accents are kept: the result is what
    a reader sees.

    >>> normalize_name("Norevie\u200b") == normalize_name(" Nore\u0301vie ".replace("\u0301", ""))
    True
    >>> normalize_name("Cr\u00e9dit") == normalize_name("Cre\u0301dit")
    True
    >>> normalize_name("SA  du\u00a0Hainaut ")
    'SA du Hainaut'

    Parameters
    ----------
    text
        A name.

    Returns
    -------
    str
        The key used to compare names.
    """
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Fold a label for matching: no accents, lower case, only letters and digits.

    Parameters
    ----------
    text
        Any label.

    Returns
    -------
    str
        Lower-case ASCII letters and digits only.

    Examples
    --------
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

    Parameters
    ----------
    name
        A commune or place name.

    Returns
    -------
    str
        The :func:`fold` of the name without its leading article.

    Examples
    --------
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

    Parameters
    ----------
    raw
        Commune codes as read (text, integers or floats).

    Returns
    -------
    CodeCheck
        The 5-character codes and the masks of repaired, invalid and missing values.
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
    """Normalise EPCI SIREN codes to 9-digit text (a lost leading zero is not possible: SIRENs of EPCI start with 2).

    Parameters
    ----------
    raw
        SIREN codes as read.

    Returns
    -------
    CodeCheck
        The 9-digit codes and the masks of repaired, invalid and missing values.
    """
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

    Parameters
    ----------
    raw
        QPV codes as read.
    generation
        2015 (``QP…``), 2024 (``QN…``), or ``None`` for either.

    Returns
    -------
    CodeCheck
        The upper-cased codes and the masks of invalid and missing values (nothing is repaired).
    """
    text = _as_text(raw).str.upper()
    text = text.mask(text.isin(["0", "HQ", "-", "HORS QPV", "NON"]))
    if generation is None:
        patterns = list(QPV_PATTERNS.values())
    elif generation in QPV_PATTERNS:
        patterns = [QPV_PATTERNS[generation]]
    else:
        raise SchemaError(
            f"génération de QPV inconnue {generation!r} ; attendu l'une de {sorted(QPV_PATTERNS)}"
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


def _rename_hint(template: str | None) -> str:
    """Say what to do about a missing column: in the file (CLI), or ``columns=`` (Python)."""
    model = (
        f" ; le modèle vide, avec les noms attendus : « peuplement modele {template} »"
        if template
        else ""
    )
    return hint(
        python="renommez la colonne ou passez columns={'<votre colonne>': '<nom canonique>'}",
        cli=f"renommez la colonne dans le fichier (en-tête de la première ligne){model}",
    )


def resolve_columns(
    frame: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    source: str,
    columns: Mapping[str, str] | None = None,
    template: str | None = None,
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
    template
        Name of the blank template of this table (``peuplement modele <name>``), said to
        a command-line user who must rename a column.

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
                f"{source} : columns={{{src!r}: {canonical!r}}} nomme une colonne absente du "
                f"fichier ; colonnes trouvées : {preview(map(str, frame.columns), 12)}"
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
            f"`{c}` (ou {', '.join(repr(a) for a in aliases.get(c, ()))})" for c in missing
        )
        raise SchemaError(
            f"{source} : colonne(s) manquante(s) {expected} ; colonnes trouvées : "
            f"{preview(map(str, frame.columns), 12)}. Les noms sont comparés sans tenir compte "
            f"de la casse, des accents, des espaces ni des « _ » : {_rename_hint(template)}."
        )
    return found


def to_count(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse non-negative integer counts written the French way (``1 234``, ``12,0``).

    Parameters
    ----------
    raw
        Counts as read (text or numbers).

    Returns
    -------
    counts : pandas.Series
        The counts, nullable ``Int64``; missing where the value is missing or bad.
    bad : pandas.Series
        Boolean mask of values that are not a non-negative whole number (missing values
        are not flagged).
    """
    text = raw.astype("string").str.replace(r"[\s\u202f\u00a0]", "", regex=True)
    text = text.str.replace(",", ".", regex=False).mask(lambda s: s == "")
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    # Beyond 2**53 a float no longer holds every whole number (and `inf` none at all):
    # such a value is no count, and would overflow the Int64 conversion.
    huge = ~(number.abs() < 2.0**53)
    bad = (
        text.notna() & (number.isna() | huge | (number < 0) | (np.floor(number) != number))
    ).fillna(True)
    good = number.where(~bad)
    return good.round().astype("Int64"), bad.astype(bool) & text.notna()


def to_number(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers written the French way (``1 234,5``).

    Parameters
    ----------
    raw
        Numbers as read (text or numbers).

    Returns
    -------
    values : pandas.Series
        The numbers, ``float64``; NaN where the value is missing or bad.
    bad : pandas.Series
        Boolean mask of non-empty values that are not a number.
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
        infinite = pd.Series(np.isinf(values.to_numpy()), index=raw.index)
        return values.mask(infinite), infinite
    text = raw.astype("string").str.replace(r"[\s\u202f\u00a0]", "", regex=True)
    text = text.str.replace(",", ".", regex=False).mask(lambda s: s == "")
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    # `inf`, `-Infinity`, `1e999` parse as infinite floats: not a value.
    infinite = pd.Series(np.isinf(number.to_numpy()), index=raw.index)
    number = number.mask(infinite)
    bad = ((text.notna() & number.isna()) | infinite).fillna(False)
    return number, bad.astype(bool)
