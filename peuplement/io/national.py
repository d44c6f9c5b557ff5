"""National files (5 million RPLS dwellings, SNE extracts) read with DuckDB, once, into Parquet.

A national RPLS CSV does not fit comfortably in pandas as Python strings; DuckDB reads it
in parallel, streaming, and writes a typed, compressed Parquet file. Every later step
reads only the columns and rows it needs from that Parquet (projection and predicate
push-down). The same rules as :func:`peuplement.load_rpls` apply: INSEE codes restored
and checked against the COG, QPV codes checked against their generation, duplicates and
bad numbers rejected with their line, and rows read = rows kept + rows rejected.
"""

from __future__ import annotations

import csv
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from peuplement._errors import SchemaError
from peuplement.io._spec import Field
from peuplement.io.communes import known_commune_codes, load_code_changes
from peuplement.io.rpls import RPLS_FIELDS
from peuplement.schema import QPV_PATTERNS, resolve_columns

__all__ = ["IngestReport", "ingest_rpls", "read_stock_counts"]

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

    def summary(self) -> str:
        """One French line for the command line."""
        return (
            f"{self.source} : {self.n_read:,} lignes lues, {self.n_kept:,} retenues, "
            f"{self.n_rejected:,} rejetées ({self.seconds:.1f} s, {self.encoding})"
        ).replace(",", "\u202f")


def _sniff(path: Path) -> tuple[str, str, list[str]]:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        # a cut multi-byte character at the end of the sample is not an error
        encoding = "utf-8" if exc.start > len(head) - 4 else "latin-1"
    text = head.decode(encoding if encoding == "utf-8" else "latin-1", errors="ignore")
    first = text.splitlines()[0] if text else ""
    if not first:
        raise SchemaError(f"{path.name} is empty: no header and no data row")
    sep = max([";", ",", "\t", "|"], key=first.count)
    header = next(csv.reader([first.lstrip("\ufeff")], delimiter=sep))
    return encoding, sep, [h.strip() for h in header]


def _sql_text(col: str) -> str:
    return f"NULLIF(trim(\"{col}\"), '')"


def ingest_rpls(
    csv_path: str | os.PathLike[str],
    parquet_path: str | os.PathLike[str],
    *,
    millesime: int,
    qpv_generation: int = 2015,
    threads: int | None = None,
) -> IngestReport:
    """Convert a national dwelling-level RPLS CSV to Parquet with DuckDB, with the loaders' rules.

    Parameters
    ----------
    csv_path
        The official file (``;`` or ``,``; UTF-8 or latin-1; ``DEPCOM`` or ``DEPCOM_CODE``…).
    parquet_path
        Output: canonical columns (:data:`peuplement.io.rpls.RPLS_FIELDS`), zstd-compressed.
        Rejected rows go to ``<parquet_path stem>_rejets.parquet`` with ``ligne`` and ``motif``.
    millesime
        RPLS vintage, written in every row.
    qpv_generation
        Generation of the ``QPV`` column's codes.
    """
    source = Path(csv_path)
    out = Path(parquet_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    rejects = out.with_name(out.stem + "_rejets.parquet")
    start = time.perf_counter()
    encoding, sep, header = _sniff(source)
    found = resolve_columns(
        pd.DataFrame(columns=header),
        {f.name: tuple(f.aliases) for f in RPLS_FIELDS},
        required=[f.name for f in RPLS_FIELDS if f.required],
        source=source.name,
    )
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    codes = pd.DataFrame({"code": sorted(known_commune_codes())})
    con.register("known_codes", codes)
    older = load_code_changes()[["code_ancien"]]
    con.register("older_codes", older)
    qpv_regex = QPV_PATTERNS[qpv_generation].pattern
    enc = "latin-1" if encoding == "latin-1" else "utf-8"
    con.execute(
        f"""CREATE TEMP VIEW raw AS
        SELECT row_number() OVER () + 1 AS ligne, *
        FROM read_csv('{source.as_posix()}', delim='{sep}', header=true, all_varchar=true,
                      encoding='{enc}', quote='"', parallel=true)"""
    )
    cols = {f.name: f for f in RPLS_FIELDS}

    def expr(name: str) -> str:
        field: Field = cols[name]
        if name not in found:
            return f"NULL::{_DUCK[field.kind]} AS {name}"
        c = found[name]
        text = _sql_text(c)
        if name == "code_insee":
            return (
                f"CASE WHEN regexp_full_match({text}, '\\d{{4}}') THEN '0' || {text} "
                f"ELSE upper(regexp_replace({text}, '\\.0+$', '')) END AS code_insee"
            )
        if field.kind == "qpv":
            return f"CASE WHEN upper({text}) IN ('0', 'HQ', '-', 'HORS QPV', 'NON') THEN NULL ELSE upper({text}) END AS {name}"
        if field.kind in ("count", "year"):
            return f"TRY_CAST(replace(replace({text}, ' ', ''), ',', '.') AS DOUBLE) AS {name}"
        if field.kind in ("number", "nonneg"):
            return f"TRY_CAST(replace(replace({text}, ' ', ''), ',', '.') AS DOUBLE) AS {name}"
        return f"{text} AS {name}"

    raw_text = {name: (_sql_text(found[name]) if name in found else "NULL") for name in cols}
    select = ",\n".join(expr(n) for n in cols)
    con.execute(
        f"CREATE TEMP TABLE parsed AS SELECT ligne, {select}, "
        + ", ".join(f"{raw_text[n]} AS raw_{n}" for n in cols)
        + " FROM raw"
    )
    checks = [
        ("code_insee IS NULL", "empty value in a mandatory column"),
        (
            "NOT regexp_full_match(code_insee, '(\\d{5}|2[AB]\\d{3})')",
            "expected a 5-character INSEE commune code (e.g. 59574 or 2A004)",
        ),
        (
            "code_insee NOT IN (SELECT code FROM known_codes)",
            "not a commune code of the COG 2025, nor an older code that maps to one",
        ),
        (
            f"code_qpv IS NOT NULL AND NOT regexp_full_match(code_qpv, '{qpv_regex}')",
            f"expected a QPV code of the {qpv_generation} generation",
        ),
    ]
    for name, field in cols.items():
        if name in found and field.kind in ("count", "year", "number", "nonneg"):
            bad = f"raw_{name} IS NOT NULL AND {name} IS NULL"
            if field.kind in ("count", "nonneg", "year"):
                bad += f" OR {name} < 0"
            if field.kind in ("count", "year"):
                bad += f" OR {name} <> floor({name})"
            if field.kind == "year":
                bad += f" OR {name} < 1800 OR {name} > 2100"
            checks.append((bad, f"bad value in `{found[name]}`"))
    if "x" in found and "y" in found:
        checks.append(
            (
                "x IS NOT NULL AND y IS NOT NULL AND NOT (x BETWEEN 40000 AND 1250000 AND y BETWEEN 6030000 AND 7120000)",
                "coordinates outside metropolitan France in Lambert-93 (degrees, or another CRS?)",
            )
        )
    if "id_logement" in found:
        checks.append(
            (
                "row_number() OVER (PARTITION BY id_logement ORDER BY ligne) > 1 AND id_logement IS NOT NULL",
                "duplicated identifier (first occurrence kept)",
            )
        )
    reason = "CASE " + " ".join(f"WHEN {cond} THEN '{why}'" for cond, why in checks) + " END"
    con.execute(f"CREATE TEMP TABLE judged AS SELECT *, {reason} AS motif FROM parsed")
    keep_cols = ", ".join(f"CAST({n} AS {_DUCK[cols[n].kind]}) AS {n}" for n in cols)
    con.execute(
        f"COPY (SELECT ligne, {keep_cols}, {int(millesime)}::INTEGER AS millesime FROM judged WHERE motif IS NULL ORDER BY ligne) "
        f"TO '{out.as_posix()}' (FORMAT parquet, COMPRESSION zstd)"
    )
    con.execute(
        f"COPY (SELECT '{source.name}' AS fichier, ligne, motif, raw_code_insee AS valeur FROM judged WHERE motif IS NOT NULL ORDER BY ligne) "
        f"TO '{rejects.as_posix()}' (FORMAT parquet)"
    )
    n_read = con.execute("SELECT count(*) FROM judged").fetchone()[0]  # type: ignore[index]
    reasons = dict(
        con.execute(
            "SELECT motif, count(*) FROM judged WHERE motif IS NOT NULL GROUP BY motif"
        ).fetchall()
    )
    n_rejected = int(sum(reasons.values()))
    con.close()
    report = IngestReport(
        source=source.name,
        n_read=int(n_read),
        n_kept=int(n_read) - n_rejected,
        n_rejected=n_rejected,
        reasons={str(k): int(v) for k, v in reasons.items()},
        encoding=encoding,
        seconds=time.perf_counter() - start,
        parquet=out,
        rejections=rejects,
    )
    logger.info("%s", report.summary())
    return report


_DUCK = {
    "insee": "VARCHAR",
    "qpv": "VARCHAR",
    "text": "VARCHAR",
    "id": "VARCHAR",
    "siren": "VARCHAR",
    "count": "INTEGER",
    "year": "SMALLINT",
    "number": "DOUBLE",
    "nonneg": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}


def read_stock_counts(parquet_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Stock counts per commune and landlord from an ingested RPLS Parquet, aggregated in DuckDB.

    Only three columns are read (projection push-down); the result has one row per
    commune × landlord: ``code_insee``, ``bailleur`` (``"(non renseigné)"`` when the open
    file has no landlord), ``nb_lls``, ``nb_lls_qpv``.
    """
    path = Path(parquet_path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such file; ingest the RPLS CSV first (peuplement ingest)"
        )
    con = duckdb.connect()
    frame = con.execute(
        f"""SELECT code_insee, coalesce(bailleur, '(non renseigné)') AS bailleur,
                   count(*)::BIGINT AS nb_lls, count(code_qpv)::BIGINT AS nb_lls_qpv
            FROM read_parquet('{path.as_posix()}')
            GROUP BY ALL ORDER BY code_insee, bailleur"""
    ).df()
    con.close()
    return frame
