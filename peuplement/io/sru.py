"""The SRU inventory of social housing per commune (DGALN, data.gouv.fr "Communes et inventaire SRU").

The file is published once a year as a CSV with ``;`` separators in Windows-1252, one
row per commune subject to the SRU obligation (art. L.302-5 CCH). Several column names
carry the year of the inventory, of the triennial period or of the levy, so they
change every year::

    Code_INSEE_commune;Nom_commune;…;Taux_SRU_au_01_01_2024;Nombre_lls_ Inventaire_au_01_01_2024;
    Commune_carencée;commune_deficitaire;Taux_cible_commune_2023_2025;
    Prélèvement_net_2025_dont_majoration

(the space in ``Nombre_lls_ Inventaire`` is in the source). :func:`load_sru` finds those
columns by their pattern, reads the years from them, and returns the canonical columns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError
from peuplement.io._spec import Field, load_tabular
from peuplement.io._tabular import read_table
from peuplement.schema import fold, to_number
from peuplement.validation import Loaded, LoadReport

__all__ = ["SRU_FIELDS", "SRU_PATTERNS", "load_sru"]

#: Canonical columns of the SRU inventory whose source names do not depend on the year.
SRU_FIELDS = [
    Field("code_insee", "insee", ("Code_INSEE_commune",), required=True),
    Field("nom", "text", ("Nom_commune",)),
    Field("code_departement", "text", ("Code_Departement",)),
    Field("nom_epci", "text", ("Nom_EPCI",)),
    Field("population", "count"),
    Field("nb_lls_inventaire", "count"),
    Field("taux_sru_pct", "text"),
    Field("taux_cible_pct", "text"),
    Field("commune_carencee", "text", ("Commune_carencée",)),
    Field("commune_deficitaire", "text", ("commune_deficitaire",)),
    Field("prelevement_net_eur", "text"),
]


@dataclass(frozen=True)
class _Pattern:
    canonical: str
    regex: re.Pattern[str]
    meaning: str


#: Year-dependent columns, matched on the folded name (no accents, case, spaces or ``_``).
SRU_PATTERNS = [
    _Pattern(
        "taux_sru_pct",
        re.compile(r"^tauxsruau0101(\d{4})$"),
        "Taux_SRU_au_01_01_<année> : part des LLS dans les résidences principales, en %",
    ),
    _Pattern(
        "nb_lls_inventaire",
        re.compile(r"^nombrellsinventaireau0101(\d{4})$"),
        "Nombre_lls_ Inventaire_au_01_01_<année> : logements sociaux décomptés",
    ),
    _Pattern(
        "taux_cible_pct",
        re.compile(r"^tauxciblecommune(\d{4})?(\d{4})?$"),
        "Taux_cible_commune_<période> : taux légal à atteindre (20 ou 25 %)",
    ),
    _Pattern(
        "prelevement_net_eur",
        re.compile(r"^prelevementnet(\d{4})dontmajoration$"),
        "Prélèvement_net_<année>_dont_majoration : prélèvement net, majoration comprise (€)",
    ),
    _Pattern(
        "population",
        re.compile(r"^populationmunicipale0101(\d{4})$"),
        "Population_municipale_01_01_<année>",
    ),
]

_TRUE = {"1", "oui", "o", "vrai", "true", "x"}
_FALSE = {"0", "non", "n", "faux", "false"}


def _year_columns(
    header: list[str], annee: int | None, source: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Map each year-dependent column to its canonical name; return the mapping and the years read."""
    mapping: dict[str, str] = {}
    years: dict[str, str] = {}
    for pattern in SRU_PATTERNS:
        hits = [(c, m) for c in header if (m := pattern.regex.match(fold(c)))]
        if pattern.canonical == "taux_sru_pct" and len(hits) > 1:
            found = [m.group(1) for _, m in hits]
            if annee is None:
                raise SchemaError(
                    f"{source} : plusieurs inventaires ({', '.join(found)}) dans le même fichier ; "
                    "choisissez l'année avec annee=AAAA"
                )
            hits = [(c, m) for c, m in hits if m.group(1) == str(annee)]
            if not hits:
                raise SchemaError(
                    f"{source} : pas de colonne Taux_SRU_au_01_01_{annee} ; années trouvées : "
                    f"{', '.join(found)}"
                )
        if pattern.canonical == "nb_lls_inventaire" and annee is not None:
            hits = [(c, m) for c, m in hits if m.group(1) == str(annee)] or hits
        if hits:
            column, match = hits[0]
            mapping[column] = pattern.canonical
            groups = [g for g in match.groups() if g]
            if groups:
                years[pattern.canonical] = "-".join(groups)
    if "taux_sru_pct" not in mapping.values() and "nb_lls_inventaire" not in mapping.values():
        raise SchemaError(
            f"{source} n'a ni colonne Taux_SRU_au_01_01_<année> ni Nombre_lls_ Inventaire_au_01_01_<année> ; "
            f"colonnes trouvées : {', '.join(header[:12])}. Est-ce bien l'inventaire SRU de data.gouv.fr ?"
        )
    return mapping, years


def _percent(
    data: pd.DataFrame, column: str, report: LoadReport, upper: float | None
) -> pd.DataFrame:
    """Parse a percentage written ``16,78``, ``16,78 %`` or ``16.78``; reject the unreadable ones."""
    text = data[column].astype("string").str.replace("%", "", regex=False)
    values, bad = to_number(text)
    if upper is not None:
        bad |= (values > upper).fillna(False)
    bad |= (values < 0).fillna(False)
    raw = data[column]
    data[column] = values.astype("float64")
    return report.drop(
        data,
        bad,
        column=column,
        values=raw,
        reason=f"pourcentage attendu entre 0 et {upper:g}" if upper else "nombre attendu",
    )


def _flag(data: pd.DataFrame, column: str, report: LoadReport) -> pd.DataFrame:
    """Read a yes/no column; values not understood stay missing and are listed, never guessed."""
    text = data[column].astype("string").str.strip().str.lower()
    flag = pd.Series(pd.NA, index=data.index, dtype="boolean")
    flag[text.isin(_TRUE).fillna(False)] = True
    flag[text.isin(_FALSE).fillna(False)] = False
    unknown = text.notna() & flag.isna()
    if unknown.any():
        values = sorted(set(data.loc[unknown, column].astype(str)))[:5]
        report.note(
            f"{column} : {int(unknown.sum())} valeur(s) ni oui ni non ({', '.join(values)}) : "
            "laissées vides, non interprétées"
        )
    data[column] = flag
    return data


def load_sru(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    annee: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the SRU inventory (one row per commune subject to the SRU obligation).

    Parameters
    ----------
    source
        The data.gouv.fr CSV (``;``, Windows-1252 or UTF-8), an Excel copy, or a DataFrame.
    annee
        Year of the inventory (1 January) to read when the file holds several
        ``Taux_SRU_au_01_01_<année>`` columns.
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for the year-independent columns.

    Returns
    -------
    Loaded
        ``code_insee``, ``nom``, ``code_departement``, ``nom_epci``, ``population``,
        ``nb_lls_inventaire``, ``taux_sru_pct`` (percent, 0–100), ``taux_cible_pct``,
        ``commune_carencee`` and ``commune_deficitaire`` (booleans; a value that is
        neither yes nor no stays empty and is listed in the report),
        ``prelevement_net_eur``, and the years read from the headers:
        ``annee_inventaire``, ``periode_triennale`` (``"2023-2025"``),
        ``annee_prelevement``, ``annee_population``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Code_INSEE_commune": ["59574"], "Taux_SRU_au_01_01_2024": ["16,78 %"],
    ...                     "Nombre_lls_ Inventaire_au_01_01_2024": ["1 635"]})
    >>> sru, _ = load_sru(raw)
    >>> sru[["code_insee", "taux_sru_pct", "nb_lls_inventaire", "annee_inventaire"]].values.tolist()
    [['59574', 16.78, 1635, 2024]]
    """
    label = (
        "<DataFrame>" if isinstance(source, pd.DataFrame) else os.path.basename(os.fspath(source))
    )
    header = read_table(source, report=LoadReport(label)).frame.columns.tolist()
    mapping, years = _year_columns([str(c) for c in header], annee, label)
    data, report = load_tabular(source, SRU_FIELDS, columns={**mapping, **(columns or {})})
    data = _percent(data, "taux_sru_pct", report, 100.0)
    data = _percent(data, "taux_cible_pct", report, 100.0)
    data = _percent(data, "prelevement_net_eur", report, None)
    for column in ("commune_carencee", "commune_deficitaire"):
        data = _flag(data, column, report)
    share = data["taux_sru_pct"].dropna()
    if len(share) and (share <= 1).all():
        report.note(
            "tous les taux SRU sont inférieurs ou égaux à 1 : le fichier donne peut-être des parts "
            "et non des pourcentages ; vérifiez avant de comparer à la cible de 20 ou 25 %"
        )
    data = report.drop(
        data,
        data["code_insee"].duplicated(keep="first"),
        column="code_insee",
        values=data["code_insee"],
        reason="commune présente deux fois (première ligne gardée)",
    )
    inventory = years.get("taux_sru_pct") or years.get("nb_lls_inventaire")
    data["annee_inventaire"] = pd.array(
        [int(inventory)] * len(data) if inventory else [pd.NA] * len(data), dtype="Int64"
    )
    data["periode_triennale"] = pd.array([years.get("taux_cible_pct")] * len(data), dtype="string")
    for key, column in (
        ("prelevement_net_eur", "annee_prelevement"),
        ("population", "annee_population"),
    ):
        value = years.get(key)
        data[column] = pd.array([int(value) if value else pd.NA] * len(data), dtype="Int64")
    data["taux_sru_pct"] = data["taux_sru_pct"].astype(np.float64)
    return Loaded(data.reset_index(drop=True), report)
