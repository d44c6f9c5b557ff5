"""Spec-driven validation of tabular sources: one engine behind every tabular loader.

A loader declares its canonical columns (:class:`Field`); :func:`load_tabular` reads
the file, maps the columns, normalises each field by its kind, collects every problem
row by row in the :class:`LoadReport`, and returns the rows without fault. Each row
is either kept or rejected with its reason: rows read = rows kept + rows rejected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from peuplement.io._tabular import read_table
from peuplement.schema import (
    normalize_insee,
    normalize_qpv,
    normalize_siren,
    resolve_columns,
    to_count,
    to_number,
)
from peuplement.validation import LoadReport

__all__ = ["Field", "load_tabular"]

_TRUE = {"1", "o", "oui", "y", "yes", "true", "vrai", "x"}
_FALSE = {"0", "n", "non", "no", "false", "faux"}


@dataclass(frozen=True)
class Field:
    """A canonical column.

    Attributes
    ----------
    name
        Canonical name (snake_case).
    kind
        ``insee``, ``siren``, ``qpv``, ``count`` (non-negative integer), ``number``,
        ``nonneg`` (non-negative number), ``year``, ``bool``, ``date``, ``text`` or ``id``
        (text, unique, non-empty).
    aliases
        Usual names in official files.
    required
        Whether the column must be present.
    nullable
        Whether an empty cell is accepted (required columns default to non-nullable).
    bounds
        Plausible range ``(low, high)``, both included, of a numeric field; a value
        outside is rejected. The DuckDB ingestion (:mod:`peuplement.io.national`) applies
        the same range.
    """

    name: str
    kind: str
    aliases: Sequence[str] = ()
    required: bool = False
    nullable: bool | None = None
    bounds: tuple[float, float] | None = None

    @property
    def accepts_empty(self) -> bool:
        return (not self.required) if self.nullable is None else self.nullable


_EXPECT = {
    "insee": "a 5-character INSEE commune code (e.g. 59574 or 2A004)",
    "siren": "a 9-digit SIREN",
    "count": "a non-negative whole number",
    "number": "a number",
    "nonneg": "a non-negative number",
    "year": "a year (4 digits)",
    "bool": "a yes/no flag (1/0, oui/non, true/false)",
    "date": "a date (AAAA-MM-JJ or JJ/MM/AAAA)",
}


def _parse_dates(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    fr = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(fr)


def load_tabular(
    source: str | os.PathLike[str] | pd.DataFrame,
    fields: Sequence[Field],
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    qpv_generation: int | None = None,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read, map and validate a table against ``fields``; return the kept rows and the report.

    The returned frame has the canonical columns in the order of ``fields`` (absent
    optional ones filled with ``<NA>``), and a ``ligne`` column with each row's
    1-based line in the file, for tracing.
    """
    label = name or (
        os.path.basename(os.fspath(source))
        if not isinstance(source, pd.DataFrame)
        else "<DataFrame>"
    )
    report = LoadReport(label)
    aliases = {f.name: tuple(f.aliases) for f in fields}
    expected = [a for f in fields for a in (f.name, *f.aliases)]
    table = read_table(source, report=report, expected=expected, sheet=sheet)
    raw = table.frame
    report.n_read = len(raw)
    found = resolve_columns(
        raw, aliases, required=[f.name for f in fields if f.required], source=label, columns=columns
    )
    extra = [c for c in raw.columns if c not in found.values()]
    if extra:
        report.note(
            f"{len(extra)} column(s) not used: {', '.join(map(str, extra[:10]))}{' …' if len(extra) > 10 else ''}"
        )
    rows = table.rows.reset_index(drop=True)
    raw = raw.reset_index(drop=True)
    out = pd.DataFrame(index=raw.index)
    bad = pd.Series(False, index=raw.index)

    def reject(mask: pd.Series, col: str, reason: str) -> None:
        nonlocal bad
        new = mask & ~bad
        report.reject(
            rows[new],
            column=col,
            values=raw.loc[new, col] if col in raw.columns else None,
            reason=reason,
        )
        bad |= mask

    for f in fields:
        if f.name not in found:
            out[f.name] = pd.Series(None, index=raw.index, dtype=_DTYPES.get(f.kind, "string"))
            continue
        col = found[f.name]
        values = raw[col]
        if f.kind in ("insee", "siren", "qpv"):
            if f.kind == "insee":
                check = normalize_insee(values)
            elif f.kind == "siren":
                check = normalize_siren(values)
            else:
                check = normalize_qpv(values, generation=qpv_generation)
            report.repair(
                f"`{col}`: code normalised (leading zero restored or `.0` removed)",
                int(check.repaired.sum()),
            )
            expect = _EXPECT.get(f.kind) or (
                f"a QPV code of the {qpv_generation} generation"
                if qpv_generation
                else "a QPV code (QP… or QN…)"
            )
            reject(check.invalid, col, f"expected {expect}")
            if f.kind == "insee":
                # A well-formed code may still name no commune (a typo, or a leading zero
                # "restored" on a code that never had one): check it against the COG.
                from peuplement.io.communes import known_commune_codes

                unknown = check.values.notna() & ~check.values.isin(known_commune_codes()).fillna(
                    False
                )
                reject(
                    unknown,
                    col,
                    "not a commune code of the COG 2025, nor an older code that maps to one",
                )
                from peuplement.io.communes import load_code_changes

                older = check.values.isin(load_code_changes()["code_ancien"]).fillna(False) & ~bad
                if older.any():
                    report.note(
                        f"{int(older.sum())} `{col}` code(s) of an older geography (merged commune, "
                        f"arrondissement), e.g. {check.values[older].iloc[0]}: kept, and mapped to the "
                        "COG 2025 commune by Territory.align"
                    )
            parsed: pd.Series = check.values
            missing = check.missing
        elif f.kind == "count":
            parsed, wrong = to_count(values)
            reject(wrong, col, f"expected {_EXPECT['count']}")
            missing = values.isna() | (values.astype("string").str.strip() == "")
        elif f.kind in ("number", "nonneg"):
            parsed, wrong = to_number(values)
            if f.kind == "nonneg":
                wrong |= (parsed < 0).fillna(False)
            reject(wrong, col, f"expected {_EXPECT[f.kind]}")
            missing = parsed.isna() & ~wrong
        elif f.kind == "year":
            parsed, wrong = to_count(values)
            wrong |= ((parsed < 1800) | (parsed > 2100)).fillna(False)
            reject(wrong, col, f"expected {_EXPECT['year']}")
            missing = parsed.isna() & ~wrong
        elif f.kind == "bool":
            text = values.astype("string").str.strip().str.lower()
            parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            parsed[text.isin(_TRUE).fillna(False)] = True
            parsed[text.isin(_FALSE).fillna(False)] = False
            missing = text.isna() | (text == "")
            reject(parsed.isna() & ~missing, col, f"expected {_EXPECT['bool']}")
        elif f.kind == "date":
            text = values.astype("string").str.strip()
            parsed = _parse_dates(text)
            missing = text.isna() | (text == "")
            reject(parsed.isna() & ~missing, col, f"expected {_EXPECT['date']}")
        else:  # text, id
            parsed = values.astype("string").str.strip()
            parsed = parsed.mask(parsed == "")
            missing = parsed.isna()
        if not f.accepts_empty:
            reject(missing.fillna(True) & ~bad, col, "empty value in a mandatory column")
        if f.kind == "id":
            dup = parsed.duplicated(keep="first") & parsed.notna() & ~bad
            reject(dup, col, "duplicated identifier (first occurrence kept)")
        if f.bounds is not None:
            low, high = f.bounds
            outside = ((parsed < low) | (parsed > high)).fillna(False).astype(bool)
            reject(outside & ~bad, col, f"expected a value between {low:g} and {high:g}")
        out[f.name] = parsed
    out.insert(0, "ligne", rows.to_numpy())
    kept = out[~bad].reset_index(drop=True)
    report.close(len(kept))
    return kept, report


_DTYPES = {
    "count": "Int64",
    "year": "Int64",
    "number": "float64",
    "nonneg": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
}
