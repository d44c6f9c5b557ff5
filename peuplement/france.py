"""All of France in one pass: every EPCI, commune and landlord from national files.

No loop over territories: national counts are aggregated once (DuckDB over Parquet),
each commune gets its EPCI, and the grouped indicator functions run with
``by="siren_epci"``.
"""

from __future__ import annotations

import logging
import os

import pandas as pd

from peuplement.indicators import (
    commune_concentration,
    landlord_concentration,
    territory_concentration,
)
from peuplement.io.communes import load_code_changes, load_communes_france
from peuplement.io.national import read_stock_counts
from peuplement.lec import classify, lec_indicators

__all__ = ["commune_epci", "indicators_france", "lec_france"]

logger = logging.getLogger(__name__)


def commune_epci() -> pd.DataFrame:
    """Every commune code (COG 2025, and older codes mapped) with its COG 2025 commune and EPCI."""
    communes, _ = load_communes_france(crs="EPSG:4326")
    current = pd.DataFrame(
        {
            "code": communes["code_insee"],
            "code_insee": communes["code_insee"],
            "siren_epci": communes["siren_epci"],
        }
    )
    older = load_code_changes().merge(
        current[["code_insee", "siren_epci"]], on="code_insee", how="left"
    )
    older = older.rename(columns={"code_ancien": "code"})[["code", "code_insee", "siren_epci"]]
    return pd.concat([current, older], ignore_index=True)


def _with_epci(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    lookup = commune_epci().set_index("code")
    out = frame.copy()
    out["code_insee"] = out["code_insee"].map(lookup["code_insee"]).fillna(out["code_insee"])
    out["siren_epci"] = out["code_insee"].map(
        lookup.drop_duplicates("code_insee").set_index("code_insee")["siren_epci"]
    )
    no_epci = out[out["siren_epci"].isna()]
    if len(no_epci):
        logger.info(
            "%d row(s) in communes without EPCI (islands): kept under 'sans EPCI'", len(no_epci)
        )
    out["siren_epci"] = out["siren_epci"].fillna("sans EPCI")
    return out, no_epci


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
    counts, no_epci = _with_epci(read_stock_counts(parquet_path))
    counts = counts.groupby(
        ["siren_epci", "code_insee", "bailleur"], as_index=False, observed=True
    )[["nb_lls", "nb_lls_qpv"]].sum()
    per_commune = counts.groupby(["siren_epci", "code_insee"], as_index=False)[
        ["nb_lls", "nb_lls_qpv"]
    ].sum()
    return {
        "commune": commune_concentration(per_commune, by="siren_epci"),
        "bailleur": landlord_concentration(counts, by="siren_epci"),
        "epci": territory_concentration(
            per_commune, landlords=counts, by="siren_epci"
        ).reset_index(),
        "sans_epci": no_epci,
    }


def lec_france(
    attributions: pd.DataFrame, seuils: pd.DataFrame, *, annee: int, secret: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LEC objectives for every EPCI of France at once, each with its own official thresholds.

    Attributions in an EPCI without an official threshold for ``annee`` (not bound by
    the LEC rules, or missing from the table) are returned apart, not judged.

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
