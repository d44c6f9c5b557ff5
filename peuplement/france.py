"""All of France in one pass: every EPCI, commune and landlord from national files.

No loop over territories: national counts are aggregated once (DuckDB over Parquet),
each commune gets its EPCI, and the grouped indicator functions run with
``by="siren_epci"``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from peuplement._errors import PeuplementError
from peuplement.indicators import (
    commune_concentration,
    landlord_concentration,
    territory_concentration,
)
from peuplement.io.national import commune_lookup
from peuplement.lec import classify, lec_indicators

__all__ = ["commune_epci", "indicators_france", "indicators_france_years", "lec_france"]

logger = logging.getLogger(__name__)

_LEVELS = {"commune": ["code_insee"], "bailleur": ["bailleur"], "epci": ["siren_epci"]}


def commune_epci() -> pd.DataFrame:
    """Return every commune code (COG 2025, and older codes mapped) with its COG 2025 commune and EPCI.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``code_insee``, ``siren_epci`` (see
        :func:`peuplement.io.national.commune_lookup`).
    """
    return commune_lookup().copy()


def _with_epci(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    lookup = commune_lookup().set_index("code")
    out = frame.copy()
    out["code_insee"] = out["code_insee"].map(lookup["code_insee"]).fillna(out["code_insee"])
    out["siren_epci"] = out["code_insee"].map(
        lookup.drop_duplicates("code_insee").set_index("code_insee")["siren_epci"]
    )
    no_epci = out[out["siren_epci"].isna()]
    if len(no_epci):
        logger.info(
            "%d ligne(s) de communes sans EPCI (îles) : gardées sous « sans EPCI »", len(no_epci)
        )
    out["siren_epci"] = out["siren_epci"].fillna("sans EPCI")
    return out, no_epci


def stock_counts(paths: Sequence[str | os.PathLike[str]]) -> pd.DataFrame:
    """Count dwellings per vintage, EPCI, commune (COG 2025) and landlord, from ingested RPLS Parquet.

    One DuckDB query over every file: only ``millesime``, ``code_insee``, ``bailleur`` and
    ``code_qpv`` are read (projection push-down), older commune codes are mapped to
    their COG 2025 commune by a join on the small look-up table, and the result (a few
    hundred thousand rows a year) is handed to pandas.

    Parameters
    ----------
    paths
        RPLS Parquet files written by :func:`peuplement.io.national.ingest_rpls`.

    Returns
    -------
    pandas.DataFrame
        ``millesime``, ``siren_epci`` (``"sans EPCI"`` for communes in no EPCI),
        ``code_insee``, ``bailleur`` (``"(non renseigné)"`` when the open file has none),
        ``nb_lls``, ``nb_lls_qpv`` and ``sans_epci`` (the commune belongs to no EPCI).
    """
    files = [str(Path(p)) for p in paths]
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        raise PeuplementError(
            f"{missing[0]} : fichier introuvable ; convertissez d'abord le RPLS national "
            "avec « peuplement ingest »"
        )
    con = duckdb.connect()
    con.register("lookup", commune_lookup())
    # Aggregate first (25 million rows to a few million), then map the commune codes on
    # the aggregate; units merged by the mapping are summed by the pandas step.
    frame = con.sql(
        """SELECT a.millesime, coalesce(l.siren_epci, 'sans EPCI') AS siren_epci,
                  coalesce(l.code_insee, a.code_insee) AS code_insee, a.bailleur,
                  a.nb_lls, a.nb_lls_qpv, l.siren_epci IS NULL AS sans_epci
           FROM (SELECT millesime, code_insee, coalesce(bailleur, '(non renseigné)') AS bailleur,
                        count(*)::BIGINT AS nb_lls, count(code_qpv)::BIGINT AS nb_lls_qpv
                 FROM read_parquet($files) GROUP BY ALL) AS a
           LEFT JOIN lookup AS l ON a.code_insee = l.code""",
        params={"files": files},
    ).to_arrow_table()
    con.close()
    # Units as categories, straight from Arrow (no Python string per row): every later
    # grouping works on integer codes.
    out: pd.DataFrame = frame.to_pandas(strings_to_categorical=True)
    return out


def _tables(counts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Commune, landlord × EPCI and EPCI tables of one vintage's counts."""
    per_landlord = counts.groupby(
        ["siren_epci", "code_insee", "bailleur"], as_index=False, observed=True, sort=False
    )[["nb_lls", "nb_lls_qpv"]].sum()
    per_commune = counts.groupby(["siren_epci", "code_insee"], as_index=False, sort=False)[
        ["nb_lls", "nb_lls_qpv"]
    ].sum()
    return {
        "commune": commune_concentration(per_commune, by="siren_epci"),
        "bailleur": landlord_concentration(per_landlord, by="siren_epci"),
        "epci": territory_concentration(
            per_commune, landlords=per_landlord, by="siren_epci"
        ).reset_index(),
    }


def indicators_france(parquet_path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """Concentration indicators for every commune, landlord and EPCI of France.

    Parameters
    ----------
    parquet_path
        RPLS Parquet written by :func:`peuplement.io.national.ingest_rpls`.

    Returns
    -------
    dict
        ``commune``, ``bailleur`` (landlord × EPCI), ``epci`` tables, and ``sans_epci``
        (rows of communes belonging to no EPCI, kept under ``"sans EPCI"``).
    """
    counts = stock_counts([parquet_path])
    tables = _tables(counts.drop(columns=["millesime", "sans_epci"]))
    no_epci = counts[counts["sans_epci"]].drop(columns=["millesime", "sans_epci"])
    if len(no_epci):
        logger.info("%d commune(s) sans EPCI (îles) : gardées sous « sans EPCI »", len(no_epci))
    return tables | {"sans_epci": no_epci.reset_index(drop=True)}


def indicators_france_years(
    parquet_paths: Sequence[str | os.PathLike[str]],
) -> dict[str, pd.DataFrame]:
    """Every concentration indicator per commune, landlord and EPCI for several RPLS vintages.

    The files are read once, together (:func:`stock_counts`); the indicators of each
    vintage come from the same grouped functions as :func:`indicators_france`, and the
    year-on-year changes are the differences between a unit's successive vintages.

    Parameters
    ----------
    parquet_paths
        RPLS Parquet files written by :func:`peuplement.io.national.ingest_rpls`, one per
        vintage (the ``millesime`` column tells them apart).

    Returns
    -------
    dict
        ``commune``, ``bailleur``, ``epci``: the indicators with a ``millesime`` column;
        ``evolution_commune``, ``evolution_bailleur``, ``evolution_epci``: for each unit
        and vintage after its first, ``millesime_precedent`` and ``delta_<indicator>``
        (this vintage minus the previous one of the same unit) for every numeric
        indicator.
    """
    counts = stock_counts(parquet_paths)
    out: dict[str, list[pd.DataFrame]] = {level: [] for level in _LEVELS}
    for year in sorted(counts["millesime"].unique()):
        part = counts[counts["millesime"] == year].drop(columns=["millesime", "sans_epci"])
        for level, table in _tables(part).items():
            out[level].append(table.assign(millesime=int(year)))
    tables = {level: pd.concat(parts, ignore_index=True) for level, parts in out.items()}
    for level, key in _LEVELS.items():
        unit = ["siren_epci", *key] if level != "epci" else key
        tables[f"evolution_{level}"] = year_on_year(tables[level], keys=unit)
    return tables


def year_on_year(table: pd.DataFrame, *, keys: Sequence[str]) -> pd.DataFrame:
    """Change of every numeric column between a unit's successive vintages.

    Parameters
    ----------
    table
        One row per unit (``keys``) and ``millesime``.
    keys
        Columns naming the unit.

    Returns
    -------
    pandas.DataFrame
        ``keys``, ``millesime``, ``millesime_precedent`` and ``delta_<column>`` for every
        numeric column, one row per unit and vintage that has a previous one.

    Examples
    --------
    >>> t = pd.DataFrame({"u": ["a", "a", "b"], "millesime": [2023, 2024, 2024], "n": [5, 8, 1]})
    >>> year_on_year(t, keys=["u"]).values.tolist()
    [['a', 2024, 2023, 3.0]]
    """
    numeric = [
        c for c in table.select_dtypes("number").columns if c != "millesime" and c not in keys
    ]
    ordered = table.sort_values([*keys, "millesime"], ignore_index=True)
    grouped = ordered.groupby(list(keys), sort=False, observed=True)
    delta = grouped[numeric].diff().add_prefix("delta_")
    previous = grouped["millesime"].shift()
    out = pd.concat([ordered[[*keys, "millesime"]], delta], axis=1)
    out.insert(len(keys) + 1, "millesime_precedent", previous.astype("Int64"))
    return out[previous.notna()].reset_index(drop=True)


def lec_france(
    attributions: pd.DataFrame, seuils: pd.DataFrame, *, annee: int, secret: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LEC objectives for every EPCI of France at once, each with its own official thresholds.

    Attributions in an EPCI without an official threshold for ``annee`` (not bound by
    the LEC rules, or missing from the table) are returned apart, not judged.

    Parameters
    ----------
    attributions
        Attributions of every EPCI, with ``siren_epci`` (as for :func:`peuplement.lec.classify`).
    seuils
        The official thresholds, as read by :func:`peuplement.io.load_seuils_quartiles`.
    annee
        The year of the attributions and of the thresholds.
    secret
        Apply statistical secrecy.

    Returns
    -------
    tuple
        The LEC table (levels ``epci`` and ``commune``) and the attributions left out.
    """
    data, _ = _with_epci(attributions)
    year = seuils[seuils["annee"] == annee].drop_duplicates("siren_epci")
    data = data.merge(
        year[["siren_epci", "q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc"]],
        on="siren_epci",
        how="left",
    )
    judged = data["q1_annuel_uc"].notna()
    left_out = data[~judged]
    data = data[judged].reset_index(drop=True)
    classified = classify(
        data, q1=data["q1_annuel_uc"], q2=data["q2_annuel_uc"], q3=data["q3_annuel_uc"], annee=annee
    )
    table = lec_indicators(
        classified, annee=annee, siren=None, levels=("epci", "commune"), secret=secret
    )
    return table, left_out
