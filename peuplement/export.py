"""Every file the product writes: atomic, deterministic, readable by French spreadsheets.

Nothing else in peuplement opens a file for writing. Each writer goes through
:func:`atomic_path`: the content is written to a temporary file in the target folder and
renamed over the target only when complete, so concurrent runs writing the same output
never leave a half-written file, and a failed run leaves the previous output intact.

CSV files follow the conventions French spreadsheet software expects: ``;`` separator,
decimal comma, UTF-8 with a byte-order mark, counts written as integers. Text cells that a
spreadsheet would evaluate as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are neutralised with a leading apostrophe, the OWASP rule against CSV
injection; numbers are never changed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from peuplement._errors import PeuplementError, os_reason

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "OutputError",
    "atomic_path",
    "neutralise_formulas",
    "output_dir",
    "write_bytes",
    "write_csv",
    "write_gpkg",
    "write_parquet",
    "write_pdf_from_html",
    "write_text",
    "write_xlsx",
]

#: Column-name prefixes of ratios: whole-valued floats there stay floats (a share of 1.0).
_RATIO_PREFIXES = (
    "part",
    "taux",
    "cible",
    "ecart",
    "gini",
    "hhi",
    "indice",
    "ratio",
    "quotient",
    "pression",
    "theil",
    "dissimilarite",
    "isolement",
    "exposition",
    "surface",
    "seuil",
    "q1",
    "q2",
    "q3",
    "uc",
    "ruc",
    "ressources",
    "delai",
    "x",
    "y",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?$")


class OutputError(PeuplementError):
    """An output cannot be written where asked (a file where a folder is expected, no rights)."""


def output_dir(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Create the output folder ``path`` (and its parents) and return it.

    Parameters
    ----------
    path
        The folder to create.
    option
        The CLI option that set ``path``, named in the error message.

    Returns
    -------
    pathlib.Path
        The folder, which exists.

    Raises
    ------
    OutputError
        When ``path`` or one of its parents is an existing file, or cannot be created.

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> output_dir(base / "a" / "b").is_dir()
    True
    """
    folder = Path(path)
    try:
        for parent in (folder, *folder.parents):
            if parent.exists() and not parent.is_dir():
                raise OutputError(
                    f"Le dossier de sortie « {folder} » ne peut pas être créé : « {parent} » est "
                    f"un fichier. Donnez à {option} un dossier (existant ou à créer)."
                )
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Le dossier de sortie « {folder} » ne peut pas être créé ({os_reason(exc)}). "
            f"Choisissez un autre dossier avec {option}."
        ) from exc
    return folder


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` when the block succeeds.

    The rename is atomic on POSIX file systems (``os.replace``): a reader sees the old file
    or the new one, never a mixture. On error the temporary file is removed and the target
    left as it was.

    Parameters
    ----------
    path
        The file to write.

    Yields
    ------
    pathlib.Path
        The temporary file to write into, in the same folder as ``path``.
    """
    target = Path(path)
    output_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Parameters
    ----------
    data
        The content.
    path
        The file to write; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path.

    Parameters
    ----------
    text
        The content.
    path
        The file to write; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_bytes(text.encode("utf-8"), path)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix with an apostrophe the text cells a spreadsheet would run as a formula.

    Only text columns are touched, and text that is a plain number (``-12``, ``+3,5``) is
    kept as it is: the OWASP CSV-injection rule without changing numbers.

    Parameters
    ----------
    frame
        Any table; it is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy with the risky text cells prefixed by ``'``.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"nom": ["=HYPERLINK(1)", "-12", "Douai"]}))["nom"].tolist()
    ["'=HYPERLINK(1)", '-12', 'Douai']
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string")
        risky = text.str.startswith(_FORMULA_START).fillna(False) & ~text.str.match(
            _PLAIN_NUMBER
        ).fillna(False)
        if risky.any():
            out[col] = series.where(~risky.to_numpy(), "'" + text)
    return out


def _counts_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn whole-valued float columns that are not ratios into nullable integers."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if not pd.api.types.is_float_dtype(series) or str(col).lower().startswith(_RATIO_PREFIXES):
            continue
        values = series.dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
            out[col] = series.astype("Int64")
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as a French CSV, atomically; return the path.

    ``;`` separator, decimal comma, UTF-8 with BOM, counts as integers, floats with ten
    significant digits (the same inputs give byte-identical files), formula cells
    neutralised. Read it back with ``pd.read_csv(path, sep=";", decimal=",",
    encoding="utf-8-sig")``.

    Parameters
    ----------
    frame
        The table to write.
    path
        The file to write; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> p = write_csv(pd.DataFrame({"nb_lls": [3.0, 10.0], "part": [0.25, 0.75]}),
    ...               Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_text(encoding="utf-8-sig").splitlines()
    ['nb_lls;part', '3;0,25', '10;0,75']
    """
    clean = neutralise_formulas(_counts_as_integers(frame))
    with atomic_path(path) as tmp:
        clean.to_csv(
            tmp,
            sep=";",
            decimal=",",
            index=False,
            float_format="%.10g",
            encoding="utf-8-sig",
            lineterminator="\n",
        )
    return Path(path)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as Parquet (zstd), atomically; return the path.

    Parameters
    ----------
    frame
        The table to write.
    path
        The file to write; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    return Path(path)


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike[str]) -> Path:
    """Write several layers into one GeoPackage, atomically; return the path.

    The whole file is built under a temporary name and renamed at the end, so four runs
    writing the same GeoPackage at once leave one complete file.

    Parameters
    ----------
    layers
        Layer name → layer; text cells are neutralised as in :func:`neutralise_formulas`.
    path
        The GeoPackage to write; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import geopandas as gpd

    with atomic_path(path) as tmp:
        tmp.unlink()
        for name, layer in layers.items():
            text_cols = [c for c in layer.columns if c != layer.geometry.name]
            clean = gpd.GeoDataFrame(
                neutralise_formulas(pd.DataFrame(layer[text_cols])),
                geometry=layer.geometry,
                crs=layer.crs,
            )
            clean.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


#: Excel number formats (Excel shows them with the reader's separators: 8 713 ; 68,2 %).
XLSX_COUNT_FORMAT = "#,##0"
XLSX_PERCENT_FORMAT = "0.0%"
XLSX_DECIMAL_FORMAT = "#,##0.00"

_PERCENT_PREFIXES = ("part", "taux", "cible")


def _xlsx_format(column: str, series: pd.Series) -> str | None:
    """Return a column's number format: percentages for shares, integers for counts."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if str(column).lower().startswith(_PERCENT_PREFIXES):
        return XLSX_PERCENT_FORMAT
    if pd.api.types.is_integer_dtype(series):
        return XLSX_COUNT_FORMAT
    return XLSX_DECIMAL_FORMAT


def _sheet_title(name: str) -> str:
    # Excel refuses sheet names over 31 characters or with any of []:*?/\ .
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    dictionary: pd.DataFrame | None = None,
) -> Path:
    """Write tables as one Excel workbook, atomically; return the path.

    Each table gets a sheet with French headers (the ``libelle`` of ``dictionary`` for
    its columns, the column name otherwise), a frozen header row, an autofilter and
    number formats: shares (``part_*``, ``taux*``, ``cible*``) as percentages, counts as
    integers with a thousands separator, other numbers with two decimals. A last sheet
    ``dictionnaire`` lists every column with its label, definition and unit. Counts are
    written as integers and formula-like text is neutralised, as in :func:`write_csv`.

    Parameters
    ----------
    sheets
        ``{sheet name: table}``, in order.
    path
        The ``.xlsx`` file.
    dictionary
        Columns ``colonne``, ``libelle``, ``definition``, ``unite``.

    Returns
    -------
    pathlib.Path
        The workbook written.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    labels = (
        {}
        if dictionary is None
        else dict(zip(dictionary["colonne"], dictionary["libelle"], strict=True))
    )
    book = Workbook()
    for sheet in list(book.worksheets):  # the empty default sheet
        book.remove(sheet)
    tables = dict(sheets)
    if dictionary is not None:
        tables["dictionnaire"] = dictionary.rename(
            columns={
                "colonne": "Colonne",
                "libelle": "Libellé",
                "definition": "Définition",
                "unite": "Unité",
            }
        )
    for name, frame in tables.items():
        clean = neutralise_formulas(_counts_as_integers(frame.reset_index(drop=True)))
        sheet = book.create_sheet(_sheet_title(name))
        sheet.append([str(labels.get(c, c)) for c in clean.columns])
        for record in clean.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in record])
        for j, col in enumerate(clean.columns, start=1):
            letter = get_column_letter(j)
            fmt = _xlsx_format(str(col), clean[col])
            if fmt is not None:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
            width = max(
                [len(str(labels.get(col, col)))] + [len(str(v)) for v in clean[col].head(200)]
            )
            sheet.column_dimensions[letter].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
        if len(clean.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(clean.columns))}{len(clean) + 1}"
    with atomic_path(path) as tmp:
        book.save(tmp)
    return Path(path)


#: Flags of the headless browser: no background traffic, no first-run work.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--mute-audio",
    "--no-pdf-header-footer",
)


def write_pdf_from_html(
    html_path: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    chromium: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Print an HTML file to PDF with headless Chromium (print stylesheet applied); return the path.

    Parameters
    ----------
    html_path
        The HTML file to print.
    path
        The PDF to write.
    chromium
        Path of the Chromium executable; ``None``: found on ``PATH``.
    timeout
        Seconds before giving up.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        When Chromium is missing, fails or times out.
    """
    browser = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise OutputError(
            "Chromium est introuvable : le PDF est imprimé par Chromium sans interface. "
            "Installez le paquet Debian « chromium », ou ouvrez le rapport HTML et imprimez-le."
        )
    source = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="peuplement-chromium-") as profile:
        with atomic_path(path) as tmp:
            command = [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                source.as_uri(),
            ]
            try:
                run = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired as exc:
                raise OutputError(
                    f"Chromium n'a pas imprimé « {source.name} » en {timeout:.0f} s ; "
                    "réessayez, ou imprimez le rapport HTML depuis un navigateur."
                ) from exc
            if run.returncode != 0 or tmp.stat().st_size == 0:
                detail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                raise OutputError(
                    f"Chromium n'a pas produit le PDF de « {source.name} » (code {run.returncode}"
                    f"{' : ' + detail[0] if detail else ''}). Imprimez le rapport HTML depuis un "
                    "navigateur."
                )
    return Path(path)
