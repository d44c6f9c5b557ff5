"""The SDES results workbook of RPLS, ``resultats_rpls_<année>.xlsx``, sheet "Commune".

The SDES publishes each year "Le parc locatif social au 1er janvier <année>" with a
workbook of results by region, department, EPCI and commune. Its "Commune" sheet has
title rows above the table, then one row per commune (municipal arrondissements of
Paris, Lyon and Marseille in their own rows), with short column names: ``nb_ls``
(social dwellings), ``nb_ls_en_qpv`` (of which in QPV), ``tx_vac`` (vacancy rate, %),
``tx_mob`` (mobility rate, %), and others. Only the columns whose meaning is known
are read; the others (among them ``tx_vac3``, whose published label was seen as both
"> 3 mois" and "> 3 ans") are listed in the report as not used, never guessed.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping

import numpy as np
import pandas as pd

from peuplement.io._spec import Field, load_tabular
from peuplement.io.communes import load_code_changes
from peuplement.validation import Loaded

__all__ = [
    "RPLS_RESULTATS_FIELDS",
    "RPLS_RESULTATS_SHEET",
    "is_rpls_resultats",
    "load_rpls_resultats",
]

#: The sheet read.
RPLS_RESULTATS_SHEET = "Commune"

#: Canonical columns of the "Commune" sheet. ``nb_lls`` and ``nb_lls_qpv`` are named as in
#: :data:`peuplement.io.rpls.PARC_COMMUNES_FIELDS`, so the result is a commune stock table.
RPLS_RESULTATS_FIELDS = [
    Field(
        "code_insee",
        "insee",
        ("DEPCOM_ARM", "DEPCOM", "CODGEO", "COM", "code_commune"),
        required=True,
    ),
    Field("nom", "text", ("LIBCOM", "LIBGEO", "libelle_commune")),
    Field("nb_lls", "count", ("nb_ls",), required=True),
    Field("nb_lls_qpv", "count", ("nb_ls_en_qpv",)),
    Field("nb_loues", "count", ("nb_loues",)),
    Field("nb_vacants", "count", ("nb_vacants",)),
    Field("nb_vides", "count", ("nb_vides",)),
    Field("taux_vacance_pct", "nonneg", ("tx_vac",)),
    Field("taux_mobilite_pct", "nonneg", ("tx_mob",)),
    Field("densite_pour_100_rp", "nonneg", ("densite",)),
]


def is_rpls_resultats(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` is a spreadsheet with a "Commune" sheet, as the SDES results workbook.

    A commune stock table given on the command line (``--parc``) may be that workbook:
    it is then read with :func:`load_rpls_resultats` (its first sheet is not the table).

    Parameters
    ----------
    path
        The file given.

    Returns
    -------
    bool
        ``True`` for the SDES results workbook.
    """
    if os.fspath(path).lower().rsplit(".", 1)[-1] not in ("xlsx", "xlsm", "xls"):
        return False
    try:
        with pd.ExcelFile(path) as book:
            return RPLS_RESULTATS_SHEET in [str(name) for name in book.sheet_names]
    except (ValueError, OSError, zipfile.BadZipFile):
        # Not a readable workbook: the commune-table loader says so, in French.
        return False


def load_rpls_resultats(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    annee: int,
    sheet: str | int = RPLS_RESULTATS_SHEET,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the "Commune" sheet of the SDES workbook ``resultats_rpls_<année>.xlsx``.

    Parameters
    ----------
    source
        The workbook (the title rows above the table are skipped), or a DataFrame.
    annee
        The vintage: stock at 1 January of ``annee``; written in ``millesime``.
    sheet
        Sheet name (default ``"Commune"``).
    columns
        Explicit ``{file_column: canonical_name}`` mapping.

    Returns
    -------
    Loaded
        ``code_insee``, ``nom``, ``nb_lls``, ``nb_lls_qpv``, ``nb_loues``,
        ``nb_vacants``, ``nb_vides``, ``taux_vacance_pct``, ``taux_mobilite_pct``,
        ``densite_pour_100_rp`` (social dwellings per 100 principal residences),
        ``millesime``. Rows of municipal arrondissements keep their code (mapped to
        the commune by :meth:`peuplement.Territory.align`); a commune listed twice,
        or with more dwellings in QPV than in all, is rejected.

    Examples
    --------
    >>> import pandas as pd
    >>> sheet = pd.DataFrame({"DEPCOM_ARM": ["59574"], "LIBCOM": ["Somain"], "nb_ls": ["1635"],
    ...                       "nb_ls_en_qpv": ["812"], "tx_vac": ["2,1"], "tx_mob": ["8,4"]})
    >>> stock, _ = load_rpls_resultats(sheet, annee=2024)
    >>> stock[["code_insee", "nb_lls", "nb_lls_qpv", "taux_vacance_pct", "millesime"]].values.tolist()
    [['59574', 1635, 812, 2.1, 2024]]
    """
    data, report = load_tabular(
        source,
        RPLS_RESULTATS_FIELDS,
        columns=columns,
        sheet=None if isinstance(source, pd.DataFrame) else sheet,
    )
    data = report.drop(
        data,
        data["code_insee"].duplicated(keep="first"),
        column="code_insee",
        values=data["code_insee"],
        reason="commune présente deux fois (première ligne gardée)",
    )
    data = report.drop(
        data,
        (data["nb_lls_qpv"] > data["nb_lls"]).fillna(False),
        column="nb_lls_qpv",
        values=data["nb_lls_qpv"],
        reason="plus de logements en QPV que dans la commune",
    )
    arrondissements = load_code_changes().query("type == 'ARM'")
    parents = set(
        arrondissements.loc[arrondissements["code_ancien"].isin(data["code_insee"]), "code_insee"]
    )
    both = sorted(parents & set(data["code_insee"]))
    if both:
        report.note(
            f"commune(s) {', '.join(both)} présente(s) en entier et par arrondissement : "
            "vérifiez quelles lignes font le total avant de les additionner"
        )
    data["millesime"] = np.int64(annee)
    return Loaded(data.reset_index(drop=True), report)
