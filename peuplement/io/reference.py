"""Reference tables: official first-quartile thresholds (LEC) and Filosofi incomes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from peuplement._cache import cached_loaded
from peuplement._config import reference_file
from peuplement._errors import SchemaError
from peuplement.io._spec import Field, load_tabular
from peuplement.validation import Loaded

__all__ = ["load_filosofi", "load_key_figures", "load_qpv_population", "load_seuils_quartiles"]

SEUILS_FIELDS = [
    Field("annee", "year", required=True),
    Field("siren_epci", "siren", ("epci_siren", "SIRET de l'EPCI"), required=True),
    Field("nom_epci", "text", ("epci_nom",)),
    Field("dep", "text", ("departement",)),
    Field("q1_annuel_uc", "nonneg", required=True),
    Field("q2_annuel_uc", "nonneg"),
    Field("q3_annuel_uc", "nonneg"),
    Field("region", "text"),
    Field("zone", "text"),
]

FILOSOFI_FIELDS = [
    Field("code", "text", ("CODGEO", "IRIS"), required=True),
    Field("libelle", "text", ("LIBGEO", "LIBIRIS")),
    Field("nb_menages", "nonneg", ("NBMEN19",)),
    # Persons of a whole territory, not of a household: its own range.
    Field("nb_personnes", "nonneg", ("NBPERS19",), bounds=(0, 70_000_000)),
    Field("nb_uc", "nonneg", ("NBUC19",)),
    Field("q1_uc", "nonneg", ("Q119", "DISP_Q119")),
    Field("mediane_uc", "nonneg", ("Q219", "DISP_MED19")),
    Field("q3_uc", "nonneg", ("Q319", "DISP_Q319")),
    Field("d1_uc", "nonneg", ("D119", "DISP_D119")),
    Field("d9_uc", "nonneg", ("D919", "DISP_D919")),
    Field("taux_pauvrete", "nonneg", ("TP6019", "DISP_TP6019")),
]

_FILOSOFI = {
    "epci": "filosofi/insee_filosofi2019_disp_epci_france.csv",
    "commune": "filosofi/insee_filosofi2019_disp_com_dep59_62.csv",
    "iris": "filosofi/insee_filosofi2019_disp_iris_dep59_62.csv",
}


def load_seuils_quartiles(
    path: str | os.PathLike[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> Loaded[pd.DataFrame]:
    """Load the official quartile thresholds of applicants' resources per EPCI and year.

    The thresholds (€ per unit of consumption per year) are fixed each year by arrêté
    (art. L.441-1 CCH). Default file: ``lec/seuils_quartiles_demandeurs_epci_2024_2026.csv``
    of the reference-data directory. An EPCI spanning two departments has one row per
    department, with the same thresholds.

    Parameters
    ----------
    path
        The thresholds file; ``None`` for the default file.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    Loaded
        The ``annee``, ``siren_epci``, ``nom_epci``, ``dep``, ``q1_annuel_uc``, ``q2_annuel_uc``,
        ``q3_annuel_uc``, ``region`` and ``zone`` (``IDF``: the regional Île-de-France
        threshold); and the load report (rejected rows, repairs).
    """
    if path is None:  # the official file: validated once, then read from the user cache
        official = reference_file(
            "lec/seuils_quartiles_demandeurs_epci_2024_2026.csv", data_dir_=data_dir
        )
        return cached_loaded(
            "seuils_quartiles", lambda: load_seuils_quartiles(official), source=Path(official)
        )
    data, report = load_tabular(path, SEUILS_FIELDS)
    # An EPCI spanning two departments is listed once per department, with the same
    # thresholds: those rows are kept. Different thresholds for one EPCI and year
    # cannot both be right: all such rows are rejected.
    values = ["q1_annuel_uc", "q2_annuel_uc", "q3_annuel_uc"]
    conflict = data.groupby(["annee", "siren_epci"])[values].transform("nunique").gt(1).any(axis=1)
    data = report.drop(
        data,
        conflict,
        column="siren_epci",
        values=data["siren_epci"],
        reason="seuils différents pour le même EPCI et la même année",
    )
    # Quartile thresholds are ordered: Q1 ≤ Q2 ≤ Q3 (a missing Q2 or Q3 is not checked).
    q1, q2, q3 = (data[c] for c in values)
    disorder = ((q1 > q2) | (q2 > q3) | (q1 > q3)).fillna(False)
    data = report.drop(
        data,
        disorder,
        column="q1_annuel_uc",
        values=q1.astype("string") + " / " + q2.astype("string") + " / " + q3.astype("string"),
        reason="seuils non ordonnés : il faut Q1 ≤ Q2 ≤ Q3",
    )
    return Loaded(data.drop(columns="ligne"), report)


def load_filosofi(
    level: str = "epci",
    *,
    path: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load INSEE Filosofi 2019 disposable income per EPCI, commune or IRIS.

    Blank cells are INSEE's statistical secrecy and stay missing. Amounts are € per unit
    of consumption per year; ``taux_pauvrete`` is in percent (IRIS level).

    Parameters
    ----------
    level
        ``epci``, ``commune`` or ``iris``.
    path
        The Filosofi file; ``None`` for the one of ``level`` in ``filosofi/``.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    Loaded
        The incomes, one row per unit of ``level``,; and the load report (rejected rows, repairs).
    """
    if level not in _FILOSOFI:
        raise SchemaError(f"level={level!r} : niveau inconnu ; attendu l'un de {sorted(_FILOSOFI)}")
    if path is None:  # the reference file: validated once, then read from the user cache
        official = reference_file(_FILOSOFI[level], data_dir_=data_dir)
        return cached_loaded(
            f"filosofi_{level}", lambda: load_filosofi(level, path=official), source=Path(official)
        )
    data, report = load_tabular(path, FILOSOFI_FIELDS)
    return Loaded(data.drop(columns="ligne"), report)


KEY_FIGURE_FIELDS = [
    Field("indicateur", "text", required=True),
    Field("valeur", "number", required=True),
    Field("unite", "text"),
    Field("note", "text"),
    Field("source", "text"),
]


def load_key_figures(path: str | os.PathLike[str]) -> Loaded[pd.DataFrame]:
    """Load the published key figures of a territory.

    Parameters
    ----------
    path
        A CSV with ``indicateur``, ``valeur``, ``unite``, ``note`` and ``source``.

    Returns
    -------
    Loaded
        The figures; and the load report (rejected rows, repairs).
    """
    data, report = load_tabular(path, KEY_FIGURE_FIELDS)
    data = report.drop(
        data,
        data["indicateur"].duplicated(),
        column="indicateur",
        values=data["indicateur"],
        reason="chiffre clé présent deux fois (premier gardé)",
    )
    return Loaded(data.drop(columns="ligne"), report)


QPV_POPULATION_FIELDS = [
    Field("code_qpv", "qpv", ("qp", "CODE_QP", "CODGEO"), required=True),
    Field("nom_qpv", "text", ("nom_qp", "LIBGEO")),
    Field("siren_epci", "siren", ("epci1",)),
    Field("siren_epci_2", "siren", ("epci2",)),
    Field("population", "count", ("population_municipale_2013", "POP_MUN"), required=True),
]


def load_qpv_population(
    path: str | os.PathLike[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> Loaded[pd.DataFrame]:
    """Load the population of the 2015 QPV (INSEE, recensement 2013).

    Parameters
    ----------
    path
        The population file; ``None`` for ``qpv/insee_pop_qp_2013.csv``.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    Loaded
        The ``code_qpv``, ``nom_qpv``, ``siren_epci`` (and ``siren_epci_2`` for a QPV straddling two
        EPCIs at the time) and ``population``; and the load report (rejected rows, repairs).
    """
    source = path or reference_file("qpv/insee_pop_qp_2013.csv", data_dir_=data_dir)
    data, report = load_tabular(source, QPV_POPULATION_FIELDS, qpv_generation=2015)
    return Loaded(data.drop(columns="ligne"), report)
