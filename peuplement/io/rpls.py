"""Social housing stock (RPLS): dwelling-level file and commune or landlord aggregates.

The dwelling-level file of the SDES (one row per dwelling) is read in its official
shape: ``DEPCOM`` (or ``DEPCOM_CODE`` in the 2023+ DiDo model), ``QPV``, ``CONSTRUCT``,
``FINAN``, ``NBPIECE``, ``SURFHAB``, ``X``/``Y`` (Lambert-93 geocoding), and the landlord
where the user has the restricted version (the open file omits it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from peuplement.io._spec import Field, load_tabular
from peuplement.validation import Loaded

__all__ = [
    "PARC_BAILLEURS_FIELDS",
    "PARC_COMMUNES_FIELDS",
    "RPLS_FIELDS",
    "load_parc_bailleurs",
    "load_parc_communes",
    "load_rpls",
]

# DEPCOM_CODE: DiDo dwelling file before the 2025 vintage; DEPCOM: 2017–2020 open files and
# the 2025 vintage on; DEPCOM_ARM: the "Commune" sheet of the SDES results workbook.
_INSEE = ("DEPCOM", "DEPCOM_CODE", "DEPCOM_ARM", "CODGEO", "INSEE_COM", "code_commune", "com")

#: Canonical columns of the dwelling-level RPLS table.
RPLS_FIELDS = [
    Field(
        "id_logement",
        "id",
        ("RPLS_ID", "IDENT_INT", "ID_LOGEMENT", "NUMERO_LOGEMENT", "identifiant"),
    ),
    Field("code_insee", "insee", _INSEE, required=True),
    Field("code_qpv", "qpv", ("QPV", "QPV_CODE", "CODE_QPV", "QP")),
    Field(
        "bailleur",
        "text",
        ("BAILLEUR", "NOM_BAILLEUR", "RS_BAILLEUR", "DENOMINATION", "ORGANISME", "LIBBAILLEUR"),
    ),
    Field("annee_construction", "year", ("CONSTRUCT", "ANNEE_CONSTRUCTION")),
    Field("financement", "text", ("FINAN", "FINAN_CODE", "FINANCEMENT")),
    # Plausible ranges, shared with the DuckDB ingestion: a social dwelling has 1 to 20
    # rooms and 1 to 1,000 m² (the largest in RPLS have about 12 rooms and 300 m²).
    Field("nb_pieces", "count", ("NBPIECE", "NB_PIECES"), bounds=(1, 20)),
    Field("surface_m2", "nonneg", ("SURFHAB", "SURFACE", "SURFACE_HABITABLE"), bounds=(1, 1000)),
    # Individual or collective building, as published: a code (TYPECONST, TYPECONST_CODE)
    # or, when the file has only that, its label (TYPECONST_LIBELLE).
    Field("type_construction", "text", ("TYPECONST", "TYPECONST_CODE", "TYPECONST_LIBELLE")),
    Field("dpe_energie", "text", ("DPEENERGIE", "DPEENERGIE_CODE", "DPE_ENERGIE")),
    Field("x", "number", ("X", "COORD_X", "X_L93")),
    Field("y", "number", ("Y", "COORD_Y", "Y_L93")),
]

#: Canonical columns of a commune-level stock table.
PARC_COMMUNES_FIELDS = [
    Field("code_insee", "insee", _INSEE, required=True),
    Field("nom", "text", ("commune", "LIBCOM", "LIBGEO", "nom_commune")),
    Field(
        "nb_lls",
        "count",
        ("NB_LS", "nb_ls", "LLS", "nb_logements_sociaux", "parc_social"),
        required=True,
    ),
    Field("nb_lls_qpv", "count", ("NB_LS_EN_QPV", "nb_ls_en_qpv", "nb_lls_en_qpv")),
    Field("residences_principales", "count", ("RP", "NB_RP", "residences_principales", "P_RP")),
]

#: Canonical columns of a landlord-level stock table (optionally per commune).
PARC_BAILLEURS_FIELDS = [
    Field(
        "bailleur", "text", ("BAILLEUR", "NOM_BAILLEUR", "organisme", "denomination"), required=True
    ),
    Field("code_insee", "insee", _INSEE),
    Field("nb_lls", "count", ("NB_LS", "nb_ls", "LLS", "patrimoine"), required=True),
]


def load_rpls(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    millesime: int,
    qpv_generation: int = 2015,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the dwelling-level RPLS file (one row per social dwelling).

    Parameters
    ----------
    source
        CSV (``;`` or ``,``, UTF-8 or latin-1), Excel, Parquet file or DataFrame.
    millesime
        The RPLS vintage (1 January of that year); written in the ``millesime`` column.
    qpv_generation
        Generation of the codes of the ``QPV`` column (2015 or 2024); codes of the other
        generation are rejected.
    columns
        Explicit ``{file_column: canonical_name}`` mapping.

    Returns
    -------
    Loaded
        One row per dwelling with the columns of :data:`RPLS_FIELDS`, ``millesime``,
        ``ligne``; and the report. Rows with an invalid commune or QPV code, a
        duplicated identifier, a non-numeric count or coordinates outside France are
        rejected.
    """
    data, report = load_tabular(source, RPLS_FIELDS, columns=columns, qpv_generation=qpv_generation)
    # X and Y are each checked against FIELD_RANGES by load_tabular (Lambert-93 envelope
    # of metropolitan France and Corsica); a point with one coordinate only has none.
    half = data["x"].isna() != data["y"].isna()
    data = report.drop(
        data,
        half,
        column="X/Y",
        values=data["x"].astype("string").fillna("") + " " + data["y"].astype("string").fillna(""),
        reason="une seule coordonnée donnée : X et Y vont ensemble",
    )
    if data["id_logement"].isna().all():
        data["id_logement"] = ("L" + data["ligne"].astype("string")).astype("string")
        report.note(
            "pas de colonne d'identifiant de logement : id_logement tiré du numéro de ligne"
        )
    data["millesime"] = np.int64(millesime)
    return Loaded(data, report)


def load_parc_communes(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    millesime: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load a commune-level stock table (``code_insee``, ``nb_lls``, optional ``nb_lls_qpv``, ``residences_principales``).

    A commune listed twice is rejected (its second row), since summing would hide a
    double count.

    Parameters
    ----------
    source
        CSV, Excel or Parquet file, or a DataFrame.
    millesime
        The RPLS year of the file, written in the ``millesime`` column.
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for a column under an unusual name.

    Returns
    -------
    Loaded
        The stock per commune; and the load report (rejected rows, repairs).
    """
    data, report = load_tabular(source, PARC_COMMUNES_FIELDS, columns=columns, template="parc")
    data = report.drop(
        data,
        data["code_insee"].duplicated(keep="first"),
        column="code_insee",
        values=data["code_insee"],
        reason="commune présente deux fois (première ligne gardée)",
    )
    data = report.drop(
        data,
        data["nb_lls_qpv"] > data["nb_lls"],
        column="nb_lls_qpv",
        values=data["nb_lls_qpv"],
        reason="plus de logements en QPV que dans la commune",
    )
    if millesime is not None:
        data["millesime"] = np.int64(millesime)
    return Loaded(data, report)


def load_parc_bailleurs(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    millesime: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load a landlord-level stock table (``bailleur``, ``nb_lls``, optionally per ``code_insee``).

    Parameters
    ----------
    source
        CSV, Excel or Parquet file, or a DataFrame.
    millesime
        The RPLS year of the file, written in the ``millesime`` column.
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for a column under an unusual name.

    Returns
    -------
    Loaded
        The stock per landlord (or per landlord × commune); and the load report (rejected rows,
        repairs).
    """
    data, report = load_tabular(
        source, PARC_BAILLEURS_FIELDS, columns=columns, template="bailleurs"
    )
    # Names are Unicode-normalised by load_tabular (NFC, spaces, invisible characters):
    # "Norevie" typed two ways is one landlord here.
    key = ["bailleur", "code_insee"]
    data = report.drop(
        data,
        data.duplicated(subset=key, keep="first"),
        column="bailleur",
        values=data["bailleur"],
        reason="bailleur présent deux fois pour la même commune (première ligne gardée)",
    )
    if millesime is not None:
        data["millesime"] = np.int64(millesime)
    return Loaded(data, report)
