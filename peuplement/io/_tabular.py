"""Read tabular files the French way: `;` separators, latin-1 or UTF-8, codes kept as text.

Every way a file can fail to be read (missing, a folder, a CSV renamed ``.xlsx``, a
corrupt Parquet, a line the CSV parser cannot read) ends in a :class:`SchemaError` (or
:class:`DataNotFoundError`) with a French message naming the file and what to do; a CSV
row with more fields than the header is rejected with its line, never loses the file.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from peuplement._errors import DataNotFoundError, SchemaError
from peuplement.schema import fold
from peuplement.validation import LoadReport

__all__ = ["Table", "encoding_repair", "read_table"]

logger = logging.getLogger(__name__)

PathOrFrame = str | os.PathLike[str] | pd.DataFrame

_SEPARATORS = [";", ",", "\t", "|"]


@dataclass
class Table:
    """A table as read, every cell as text, with the line (or row) of each row in its file.

    ``rows`` holds the physical 1-based line where each row starts in a text file (so
    blank lines and quoted fields spanning lines are counted as a text editor counts
    them), the spreadsheet row in Excel, the row number in Parquet. ``unreadable`` lists
    rows the parser could not split into the header's columns: ``(line, reason, text)``.
    """

    frame: pd.DataFrame
    rows: pd.Series
    name: str
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)


def _decode(raw: bytes, name: str, report: LoadReport) -> str:
    """Decode UTF-8; else each line as UTF-8 or Windows-1252 (a file may mix them)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # Not UTF-8 as a whole: the other encoding French administrations export is
    # Windows-1252. A file concatenated from two exports mixes both, so each line is
    # decoded on its own: UTF-8 when it is valid UTF-8 (a cp1252 text with accents
    # almost never is), Windows-1252 otherwise. Python has no per-line fallback codec,
    # hence this loop.
    lines = raw.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    out: list[str] = []
    n_utf8 = n_cp1252 = 0
    for line in lines:
        try:
            text = line.decode("utf-8")
            n_utf8 += not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="replace")
            n_cp1252 += 1
        out.append(text)
    report.repair(*encoding_repair(first_bad, mixed=n_utf8 > 0, n_cp1252=n_cp1252))
    return "\n".join(out)


def encoding_repair(first_bad: int, *, mixed: bool, n_cp1252: int) -> tuple[str, int]:
    """Return the report's repair (text, count) for a file that is not UTF-8 as a whole.

    Parameters
    ----------
    first_bad
        Position of the first byte that is not UTF-8.
    mixed
        Whether some lines with accents are UTF-8 (the file mixes both encodings).
    n_cp1252
        Lines read as Windows-1252.

    Returns
    -------
    tuple
        The repair's text and count, as :meth:`peuplement.validation.LoadReport.repair` takes them.
    """
    if mixed:
        return (
            f"fichier mêlant UTF-8 et Windows-1252 (premier octet non UTF-8 à la position "
            f"{first_bad}) : décodé ligne par ligne, lignes lues en Windows-1252",
            n_cp1252,
        )
    return (
        f"fichier non UTF-8 (premier octet non UTF-8 à la position {first_bad}) : "
        "lu en Windows-1252/latin-1",
        1,
    )


def _sniff_separator(first_line: str) -> str:
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


def _unique_columns(names: list[str]) -> list[str]:
    """Name columns as pandas does: stripped, ``.1``/``.2`` on repeats, ``Unnamed: i`` if empty."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        # An empty header cell is named as pandas names it (INSEE pads lines with ';').
        name = str(raw).strip() if raw is not None and str(raw).strip() else f"Unnamed: {i}"
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}.{k}")
    return out


def _read_excel(
    path: Path, sheet: str | int | None, report: LoadReport, expected: Iterable[str]
) -> Table:
    try:
        raw = pd.read_excel(path, sheet_name=sheet or 0, header=None, dtype=str)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, ImportError) as exc:
        if isinstance(exc, IsADirectoryError | PermissionError):
            raise
        if "Worksheet" in str(exc) and sheet is not None:
            raise SchemaError(
                f"{path.name} n'a pas de feuille « {sheet} » : vérifiez le classeur ou "
                "donnez le nom de la feuille qui contient le tableau."
            ) from exc
        raise SchemaError(
            f"{path.name} n'est pas un classeur Excel lisible. "
            "Vérifiez l'extension du fichier (un CSV renommé en .xlsx ?) ou enregistrez-le "
            "de nouveau depuis le tableur au format .xlsx ou .csv."
        ) from exc
    if raw.dropna(how="all").empty:
        raise SchemaError(f"{path.name} est vide : ni en-tête ni ligne de données.")
    head = _header_row(raw, expected)
    if head:
        report.repair(f"{head} ligne(s) de titre au-dessus du tableau ignorée(s)", head)
    frame = raw.iloc[head + 1 :].copy()
    frame.columns = _unique_columns(raw.iloc[head].tolist())
    frame = frame.dropna(how="all")
    rows = pd.Series(frame.index.to_numpy() + 1, index=frame.index)
    return Table(frame.reset_index(drop=True), rows.reset_index(drop=True), path.name)


def _read_parquet(path: Path) -> Table:
    import pyarrow

    try:
        frame = pd.read_parquet(path)
    except (pyarrow.ArrowException, ValueError, OSError) as exc:
        if isinstance(exc, IsADirectoryError | PermissionError | FileNotFoundError):
            raise
        raise SchemaError(
            f"{path.name} n'est pas un fichier Parquet lisible. Le fichier est "
            "peut-être tronqué ou d'un autre format : produisez-le de nouveau (par exemple "
            "avec « peuplement ingest ») ou donnez le CSV d'origine."
        ) from exc
    return Table(frame, pd.Series(np.arange(1, len(frame) + 1)), path.name)


def _parse_csv(text: str, sep: str, name: str) -> Table:
    """Split ``text`` into rows with the csv module, tracking each row's physical line.

    pandas numbers rows, not lines: with a blank line or a quoted field spanning lines
    its row numbers drift from what an editor shows, and a row with too many fields
    either fails the whole file or shifts its cells. csv.reader's ``line_num`` gives
    the physical line, and each row is checked against the header here.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    unreadable: list[tuple[int, str, str]] = []
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if header is None:
                header = _unique_columns(record)
                continue
            if len(record) > len(header):
                unreadable.append(
                    (
                        start,
                        f"{len(record)} champs pour {len(header)} colonnes dans l'en-tête "
                        f"(séparateur {sep!r} dans une valeur non protégée par des guillemets ?)",
                        sep.join(record)[:200],
                    )
                )
                continue
            rows.append(record + [""] * (len(header) - len(record)))
            lines.append(start)
    except csv.Error as exc:
        raise SchemaError(
            f"{name}, ligne {end + 1} : le fichier ne peut pas être lu comme un CSV (ligne trop "
            "longue ou caractère interdit). "
            "Ouvrez-le dans un tableur et enregistrez-le au format CSV (séparateur « ; »)."
        ) from exc
    if header is None:
        raise SchemaError(f"{name} est vide : ni en-tête ni ligne de données.")
    frame = (
        pd.DataFrame(rows, columns=header, dtype="string")
        if rows
        else pd.DataFrame({c: pd.Series(dtype="string") for c in header})
    )
    frame = frame.mask(frame.apply(lambda c: c.str.strip() == ""))
    return Table(frame, pd.Series(lines, dtype="int64"), name, unreadable)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise DataNotFoundError(
            f"Le fichier « {path} » n'existe pas. Vérifiez le chemin et le nom."
        )
    if path.is_dir():
        raise SchemaError(
            f"« {path} » est un dossier ; un fichier CSV, Excel ou Parquet est attendu."
        )


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

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SchemaError
        When it is a folder, empty, or not readable in the format its extension says.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = _unique_columns(list(frame.columns))
        return Table(
            frame.reset_index(drop=True),
            pd.Series(np.arange(1, len(frame) + 1)),
            report.source,
        )
    path = Path(source)
    _check_path(path)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return _read_excel(path, sheet, report, expected)
    if suffix == ".parquet":
        return _read_parquet(path)
    text = _decode(path.read_bytes(), path.name, report)
    if not text.strip():
        raise SchemaError(f"{path.name} est vide : ni en-tête ni ligne de données.")
    first = next(line for line in text.splitlines() if line.strip())
    sep = _sniff_separator(first)
    if sep != ";":
        report.note(f"séparateur {sep!r} détecté")
    return _parse_csv(text, sep, path.name)
