"""Spec-driven validation of tabular sources: one engine behind every tabular loader.

A loader declares its canonical columns (:class:`Field`); :func:`load_tabular` reads
the file, maps the columns, normalises each field by its kind, checks each numeric field
against its plausible range (:data:`peuplement.schema.FIELD_RANGES`), collects every
problem row by row in the :class:`LoadReport`, and returns the rows without fault. Each
row is either kept or rejected with its reason: rows read = rows kept + rows rejected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

import pandas as pd

from peuplement._errors import SchemaError
from peuplement.io._tabular import Table, read_table
from peuplement.schema import (
    FIELD_RANGES,
    normalize_insee,
    normalize_name,
    normalize_qpv,
    normalize_siren,
    resolve_columns,
    to_count,
    to_number,
)
from peuplement.validation import LoadReport

__all__ = [
    "COG_UNKNOWN",
    "DUPLICATE",
    "EMPTY_MANDATORY",
    "PARSERS",
    "Field",
    "Kind",
    "code_repair_message",
    "expect",
    "load_tabular",
    "range_reason",
    "text_repair_message",
]

#: The kinds of canonical columns; each has its parser in ``PARSERS``.
Kind = Literal[
    "insee", "siren", "qpv", "count", "number", "nonneg", "year", "bool", "date", "text", "id"
]

_TRUE = {"1", "o", "oui", "y", "yes", "true", "vrai", "x"}
_FALSE = {"0", "n", "non", "no", "false", "faux"}


@dataclass(frozen=True)
class Field:
    """A canonical column.

    Attributes
    ----------
    name
        Canonical name (snake_case); numeric fields listed in
        :data:`peuplement.schema.FIELD_RANGES` are checked against their range.
    kind
        ``insee``, ``siren``, ``qpv``, ``count`` (non-negative integer), ``number``,
        ``nonneg`` (non-negative number), ``year``, ``bool``, ``date``, ``text`` (a name:
        Unicode-normalised) or ``id`` (text, unique, non-empty).
    aliases
        Usual names in official files.
    required
        Whether the column must be present.
    nullable
        Whether an empty cell is accepted (required columns default to non-nullable).
    bounds
        Plausible range ``(low, high)``, both included, of a numeric field; a value
        outside is rejected. Default: the field's entry in
        :data:`peuplement.schema.FIELD_RANGES`, the one table of ranges, which the DuckDB
        ingestion (:mod:`peuplement.io.national`) reads too (through this attribute).

    Raises
    ------
    SchemaError
        When ``kind`` is not one of :data:`Kind` (a typo fails at once, not silently).
    """

    name: str
    kind: Kind
    aliases: Sequence[str] = ()
    required: bool = False
    nullable: bool | None = None
    bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in get_args(Kind):
            raise SchemaError(
                f"Field {self.name!r} : type {self.kind!r} inconnu (kind=) ; attendu l'un de "
                f"{list(get_args(Kind))}"
            )
        plausible = FIELD_RANGES.get(self.name)
        if self.bounds is None and plausible is not None:
            object.__setattr__(self, "bounds", (plausible.low, plausible.high))

    @property
    def accepts_empty(self) -> bool:
        return (not self.required) if self.nullable is None else self.nullable


_EXPECT: dict[Kind, str] = {
    "insee": "un code commune INSEE à 5 caractères (ex. 59574 ou 2A004)",
    "siren": "un SIREN à 9 chiffres",
    "qpv": "un code QPV (QP… ou QN…)",
    "count": "un nombre entier positif ou nul",
    "number": "un nombre fini",
    "nonneg": "un nombre positif ou nul",
    "year": "une année (4 chiffres)",
    "bool": "un indicateur oui/non (1/0, oui/non, true/false)",
    "date": "une date (AAAA-MM-JJ ou JJ/MM/AAAA)",
    "text": "un texte",
    "id": "un identifiant",
}


#: Reasons of rejection shared with the streamed national ingestion (:mod:`peuplement.io._stream`).
COG_UNKNOWN = "code absent du COG 2025 (ni commune actuelle, ni ancien code rattaché à une commune)"
EMPTY_MANDATORY = "valeur vide dans une colonne obligatoire"
DUPLICATE = "identifiant en double (première occurrence gardée)"


def text_repair_message(column: str) -> str:
    """Return the report's text for names written as their first spelling in ``column``.

    >>> text_repair_message("BAILLEUR")[:12]
    '`BAILLEUR` :'
    """
    return (
        f"`{column}` : variantes d'un même nom (Unicode, espaces, caractères invisibles) "
        "écrites comme leur première occurrence"
    )


def code_repair_message(column: str) -> str:
    """Return the report's text for codes repaired in ``column`` (shared with the national ingest).

    >>> code_repair_message("DEPCOM")
    '`DEPCOM` : code normalisé (zéro initial rétabli ou « .0 » retiré)'
    """
    return f"`{column}` : code normalisé (zéro initial rétabli ou « .0 » retiré)"


class Parsed(NamedTuple):
    """A column parsed by its kind: values, wrong values, empty cells, repaired values."""

    values: pd.Series
    wrong: pd.Series
    missing: pd.Series
    repaired: int = 0


def _blank(values: pd.Series) -> pd.Series:
    return (values.isna() | (values.astype("string").str.strip() == "")).fillna(True).astype(bool)


def _parse_code(kind: Kind, values: pd.Series, qpv_generation: int | None) -> Parsed:
    if kind == "insee":
        check = normalize_insee(values)
    elif kind == "siren":
        check = normalize_siren(values)
    else:
        check = normalize_qpv(values, generation=qpv_generation)
    return Parsed(check.values, check.invalid, check.missing, int(check.repaired.sum()))


def _parse_count(values: pd.Series) -> Parsed:
    parsed, wrong = to_count(values)
    return Parsed(parsed, wrong, _blank(values))


def _parse_number(values: pd.Series, *, nonneg: bool) -> Parsed:
    parsed, wrong = to_number(values)
    if nonneg:
        wrong = wrong | (parsed < 0).fillna(False)
    return Parsed(parsed, wrong, parsed.isna() & ~wrong)


def _parse_year(values: pd.Series) -> Parsed:
    parsed, wrong = to_count(values)
    wrong = wrong | ((parsed < 1000) | (parsed > 9999)).fillna(False)
    return Parsed(parsed, wrong, parsed.isna() & ~wrong)


def _parse_bool(values: pd.Series) -> Parsed:
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[text.isin(_TRUE).fillna(False)] = True
    parsed[text.isin(_FALSE).fillna(False)] = False
    missing = (text.isna() | (text == "")).fillna(True).astype(bool)
    return Parsed(parsed, parsed.isna() & ~missing, missing)


def _parse_date(values: pd.Series) -> Parsed:
    text = values.astype("string").str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    fr = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    parsed = iso.fillna(fr)
    missing = (text.isna() | (text == "")).fillna(True).astype(bool)
    return Parsed(parsed, parsed.isna() & ~missing, missing)


def _parse_text(values: pd.Series) -> Parsed:
    """Names: variants (NFC/NFD, invisible characters, spaces) grouped under one spelling.

    Each value's key is :func:`~peuplement.schema.normalize_name`; every value takes the
    first spelling met in the file for its key, so "Norévie" written three ways is one
    landlord, shown as the file first wrote it. A value changed this way is a repair.
    """
    original = values.astype("string").str.strip()
    original = original.mask(original == "")
    key = original.map(normalize_name, na_action="ignore").astype("string")
    key = key.mask(key == "")
    first = original[key.notna()].groupby(key[key.notna()], sort=False).first()
    parsed = key.map(first).astype("string")
    changed = (parsed != original).fillna(False) & parsed.notna()
    return Parsed(parsed, pd.Series(False, index=values.index), parsed.isna(), int(changed.sum()))


_Parser = Callable[[pd.Series, int | None], Parsed]

#: One parser per kind: a kind missing here fails the completeness check below.
PARSERS: dict[Kind, _Parser] = {
    "insee": lambda v, g: _parse_code("insee", v, g),
    "siren": lambda v, g: _parse_code("siren", v, g),
    "qpv": lambda v, g: _parse_code("qpv", v, g),
    "count": lambda v, g: _parse_count(v),
    "number": lambda v, g: _parse_number(v, nonneg=False),
    "nonneg": lambda v, g: _parse_number(v, nonneg=True),
    "year": lambda v, g: _parse_year(v),
    "bool": lambda v, g: _parse_bool(v),
    "date": lambda v, g: _parse_date(v),
    "text": lambda v, g: _parse_text(v),
    "id": lambda v, g: _parse_text(v),
}
if set(PARSERS) != set(get_args(Kind)):  # pragma: no cover - import-time consistency check
    raise RuntimeError(
        "peuplement.io._spec : chaque type (Kind) doit avoir une fonction de lecture dans "
        "PARSERS ; c'est un défaut de peuplement, signalez-le."
    )

_DTYPES: dict[Kind, str] = {
    "count": "Int64",
    "year": "Int64",
    "number": "float64",
    "nonneg": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
}


class _Rows:
    """The rows of one load: raw cells, line numbers, the rejected mask and the report."""

    def __init__(self, table: Table, report: LoadReport) -> None:
        self.raw = table.frame.reset_index(drop=True)
        self.lines = table.rows.reset_index(drop=True)
        self.report = report
        self.bad = pd.Series(False, index=self.raw.index)

    def reject(self, mask: pd.Series, col: str, reason: str) -> None:
        new = mask.fillna(False).astype(bool) & ~self.bad
        self.report.reject(
            self.lines[new],
            column=col,
            values=self.raw.loc[new, col] if col in self.raw.columns else None,
            reason=reason,
        )
        self.bad |= new


def expect(kind: Kind, qpv_generation: int | None) -> str:
    """Return what a value of ``kind`` should be, as the rejection reasons say it.

    >>> expect("qpv", 2024)
    'un code QPV de la génération 2024'
    """
    if kind == "qpv" and qpv_generation:
        return f"un code QPV de la génération {qpv_generation}"
    return _EXPECT[kind]


def _check_insee(rows: _Rows, codes: pd.Series, col: str) -> None:
    """Reject well-formed codes that name no commune of the COG, note older codes.

    A typo, or a leading zero "restored" on a code that never had one, gives such codes.
    """
    from peuplement.io.communes import known_commune_codes, load_code_changes

    # pandas' isin on Arrow-backed text turns each of the 37 000 known codes into a
    # pyarrow scalar, in Python (0.2 s a call); on object values it is one hash lookup.
    as_object = codes.astype(object)
    unknown = codes.notna() & ~as_object.isin(known_commune_codes())
    rows.reject(unknown, col, COG_UNKNOWN)
    older = as_object.isin(set(load_code_changes()["code_ancien"])) & ~rows.bad
    if older.any():
        rows.report.note(
            f"{int(older.sum())} code(s) `{col}` d'une géographie antérieure (commune fusionnée, "
            f"arrondissement), ex. {codes[older].iloc[0]} : gardé(s) et rattaché(s) à la commune "
            "du COG 2025 par Territory.align"
        )


def range_reason(f: Field) -> str:
    """Return the rejection reason of a value of ``f`` outside its plausible range.

    >>> range_reason(Field("nb_pieces", "count", bounds=(1, 20)))[:40]
    'valeur hors de la plage plausible [1 ; 2'
    """
    low, high = f.bounds or (float("-inf"), float("inf"))
    plausible = FIELD_RANGES.get(f.name)
    why = f" ({plausible.why})" if plausible is not None else ""
    return f"valeur hors de la plage plausible [{low:g} ; {high:g}]{why}"


def _check_range(rows: _Rows, f: Field, values: pd.Series, col: str) -> None:
    if f.bounds is None:
        return
    low, high = f.bounds
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    outside = number.notna() & ~number.between(low, high)
    rows.reject(outside, col, range_reason(f))


def _load_field(rows: _Rows, f: Field, col: str, qpv_generation: int | None) -> pd.Series:
    """Parse, check and record one column; return its normalised values."""
    parsed = PARSERS[f.kind](rows.raw[col], qpv_generation)
    if f.kind in ("insee", "siren", "qpv"):
        rows.report.repair(code_repair_message(col), parsed.repaired)
    elif f.kind in ("text", "id"):
        rows.report.repair(text_repair_message(col), parsed.repaired)
    rows.reject(parsed.wrong, col, f"attendu : {expect(f.kind, qpv_generation)}")
    if f.kind == "insee":
        _check_insee(rows, parsed.values, col)
    _check_range(rows, f, parsed.values, col)
    if not f.accepts_empty:
        rows.reject(parsed.missing, col, EMPTY_MANDATORY)
    if f.kind == "id":
        dup = parsed.values.duplicated(keep="first") & parsed.values.notna() & ~rows.bad
        rows.reject(dup, col, DUPLICATE)
    return parsed.values


def _source_label(source: str | os.PathLike[str] | pd.DataFrame, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>"
    return os.path.basename(os.fspath(source))


def load_tabular(
    source: str | os.PathLike[str] | pd.DataFrame,
    fields: Sequence[Field],
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    qpv_generation: int | None = None,
    sheet: str | int | None = None,
    template: str | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read, map and validate a table against ``fields``; return the kept rows and the report.

    Parameters
    ----------
    source
        CSV, Excel or Parquet file, or a DataFrame.
    fields
        The canonical columns expected.
    name
        Name of the source in messages (default: the file name).
    columns
        Explicit ``{file_column: canonical_name}`` mapping.
    qpv_generation
        Generation of QPV codes (2015 or 2024), ``None`` for either.
    sheet
        Sheet of a spreadsheet.
    template
        Name of the table's blank template (``peuplement modele <name>``), for messages.

    Returns
    -------
    tuple
        The kept rows, with the canonical columns in the order of ``fields`` (absent
        optional ones filled with ``<NA>``) and a ``ligne`` column with each row's
        physical line in the file; and the :class:`LoadReport`.
    """
    report = LoadReport(_source_label(source, name))
    expected = [a for f in fields for a in (f.name, *f.aliases)]
    table = read_table(source, report=report, expected=expected, sheet=sheet)
    rows = _Rows(table, report)
    report.n_read = len(rows.raw) + len(table.unreadable)
    for line, reason, text in table.unreadable:
        report.reject(pd.Series([line]), column="*", values=pd.Series([text]), reason=reason)
    found = resolve_columns(
        rows.raw,
        {f.name: tuple(f.aliases) for f in fields},
        required=[f.name for f in fields if f.required],
        source=report.source,
        columns=columns,
        template=template,
    )
    extra = [str(c) for c in rows.raw.columns if c not in found.values()]
    if extra:
        more = " …" if len(extra) > 10 else ""
        report.note(f"{len(extra)} colonne(s) non utilisée(s) : {', '.join(extra[:10])}{more}")
    out = pd.DataFrame(index=rows.raw.index)
    for f in fields:
        if f.name in found:
            out[f.name] = _load_field(rows, f, found[f.name], qpv_generation)
        else:
            out[f.name] = pd.Series(None, index=rows.raw.index, dtype=_DTYPES.get(f.kind, "string"))
    out.insert(0, "ligne", rows.lines.to_numpy())
    kept = out[~rows.bad].reset_index(drop=True)
    report.close(len(kept))
    return kept, report
