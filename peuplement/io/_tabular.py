"""Read tabular files the French way: `;` separators, latin-1 or UTF-8, codes kept as text."""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError
from peuplement.schema import fold
from peuplement.validation import LoadReport

__all__ = ["Table", "read_table"]

logger = logging.getLogger(__name__)

PathOrFrame = str | os.PathLike[str] | pd.DataFrame

_SEPARATORS = [";", ",", "\t", "|"]


@dataclass
class Table:
    """A table as read, every cell as text, with the 1-based row number of each row in its file."""

    frame: pd.DataFrame
    rows: pd.Series
    name: str


def _decode(raw: bytes, name: str, report: LoadReport) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Not UTF-8: the other encoding French administrations export is Windows-1252
        # (a superset of latin-1 for printable characters). Every byte decodes, so the
        # fallback is unambiguous; say so.
        text = raw.decode("cp1252", errors="replace")
        report.repair(
            f"file is not UTF-8 (first bad byte at offset {exc.start}); read as Windows-1252/latin-1",
            1,
        )
        return text


def _sniff_separator(first_line: str, name: str) -> str:
    counts = {sep: first_line.count(sep) for sep in _SEPARATORS}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        return ";"  # a single-column file; the schema check will say what is missing
    return sep


def _header_row(raw: pd.DataFrame, expected: Iterable[str]) -> int:
    """Find the header of a sheet with title rows above its table: the first row holding most expected names."""
    wanted = {fold(e) for e in expected}
    best, best_hits = 0, 0
    for i in range(min(len(raw), 30)):
        hits = sum(fold(str(v)) in wanted for v in raw.iloc[i].tolist() if pd.notna(v))
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def read_table(
    source: PathOrFrame,
    *,
    report: LoadReport,
    expected: Iterable[str] = (),
    sheet: str | int | None = None,
) -> Table:
    """Read a CSV, Excel or Parquet file (or take a DataFrame) with every cell as text.

    Parameters
    ----------
    source
        Path of a ``.csv``/``.txt`` (separator and encoding detected), ``.xlsx``/``.xls``
        (title rows above the header are skipped), ``.parquet`` file, or a DataFrame.
    report
        The loader's report; encoding fallbacks and skipped title rows are recorded in it.
    expected
        Column names (and aliases) the loader looks for, used to find the header row of
        spreadsheets.
    sheet
        Sheet of a spreadsheet (default: the first).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        return Table(
            frame, pd.Series(np.arange(1, len(frame) + 1), index=frame.index), report.source
        )
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        raw = pd.read_excel(path, sheet_name=sheet or 0, header=None, dtype=str)
        if raw.dropna(how="all").empty:
            raise SchemaError(f"{path.name} is empty: no header and no data row")
        head = _header_row(raw, expected)
        if head:
            report.repair(f"{head} title row(s) above the table skipped", head)
        frame = raw.iloc[head + 1 :].copy()
        frame.columns = [str(c).strip() for c in raw.iloc[head].tolist()]
        frame = frame.dropna(how="all")
        rows = pd.Series(frame.index.to_numpy() + 1, index=frame.index)
        return Table(frame.reset_index(drop=True), rows.reset_index(drop=True), path.name)
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        return Table(frame, pd.Series(np.arange(1, len(frame) + 1)), path.name)
    raw_bytes = path.read_bytes()
    text = _decode(raw_bytes, path.name, report)
    if not text.strip():
        raise SchemaError(f"{path.name} is empty: no header and no data row")
    first = text.splitlines()[0]
    sep = _sniff_separator(first, path.name)
    if sep != ";":
        report.note(f"separator {sep!r} detected")
    frame = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        quoting=csv.QUOTE_MINIMAL,
        skipinitialspace=False,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    # Row 1 of the file is its header.
    rows = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    return Table(frame, rows, path.name)
