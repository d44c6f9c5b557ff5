"""SNE demand stock and attributions in a documented flat format.

The Système national d'enregistrement exports requests and attributions in an XML
exchange format (interface NUU) and in flat extracts whose column names vary by
tool. peuplement reads one flat row per request or per attribution; the aliases map
the official element names (``numUnique``, ``dateCreationDemande``, …) and usual
extract names to the canonical columns below. SNE microdata is personal data: the
project never ships real rows (see :mod:`peuplement.synth` for synthetic ones).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from peuplement.io._spec import Field, load_tabular
from peuplement.validation import Loaded, LoadReport, drop_other_years

__all__ = [
    "ATTRIBUTION_FIELDS",
    "DEMANDE_FIELDS",
    "load_attributions",
    "load_demandes",
]

_HOUSEHOLD = [
    Field(
        "ressources_annuelles",
        "nonneg",
        (
            "ressources",
            "revenu_annuel",
            "montant_ressources_annuelles",
            "montantMoins1",
            "RESSOURCES_ANNUELLES",
        ),
    ),
    Field(
        "ressources_mensuelles",
        "nonneg",
        ("montant_ressources_mensuelles", "ressources_mois", "RESSOURCES_MENSUELLES"),
    ),
    Field(
        "nb_personnes",
        "count",
        ("nombre_personnes", "taille_menage", "nb_pers", "NB_PERSONNES"),
        required=True,
    ),
    Field(
        "nb_moins_14",
        "count",
        ("nb_enfants_moins_14", "enfants_moins_14", "nb_enf_14", "NB_MOINS_14"),
    ),
    Field("public_prioritaire", "bool", ("prioritaire", "dalo", "PUBLIC_PRIORITAIRE", "priorite")),
]

#: Canonical columns of the demand stock (one row per pending request).
DEMANDE_FIELDS = [
    Field(
        "id_demande",
        "id",
        ("numUnique", "num_unique", "numero_unique", "NUM_UNIQUE"),
        required=True,
    ),
    Field("date_depot", "date", ("dateCreationDemande", "date_creation", "date_creation_demande")),
    Field(
        "code_insee",
        "insee",
        ("commune_souhaitee_1", "commune_demandee", "COMMUNE_SOUHAITEE", "depcom"),
        required=True,
    ),
    *_HOUSEHOLD,
]

#: Canonical columns of the attributions (one row per attribution).
ATTRIBUTION_FIELDS = [
    Field(
        "id_attribution",
        "id",
        ("numero_attribution", "ID_ATTRIBUTION", "num_attribution"),
        required=True,
    ),
    Field("id_demande", "text", ("numUnique", "num_unique", "numero_unique")),
    Field("annee", "year", ("annee_attribution", "ANNEE", "millesime"), required=True),
    Field("date_attribution", "date", ("date_decision", "date_cal", "DATE_ATTRIBUTION")),
    Field(
        "code_insee",
        "insee",
        ("depcom", "commune_logement", "CODE_COMMUNE", "DEPCOM"),
        required=True,
    ),
    Field("code_qpv", "qpv", ("qpv", "CODE_QPV", "qpv_logement")),
    Field("bailleur", "text", ("organisme", "BAILLEUR", "nom_bailleur")),
    Field("reservataire", "text", ("contingent", "RESERVATAIRE", "reservataire_logement")),
    *_HOUSEHOLD,
    Field("bail_signe", "bool", ("bail", "BAIL_SIGNE", "signature_bail")),
    Field("relogement_ru", "bool", ("relogement", "relogement_anru", "RELOGEMENT_RU", "npnru")),
    Field("x", "number", ("X", "x_l93")),
    Field("y", "number", ("Y", "y_l93")),
]


def _household(data: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Shared household checks: annual resources, a first adult, children counted within persons."""
    monthly = data["ressources_mensuelles"].notna() & data["ressources_annuelles"].isna()
    if monthly.any():
        data.loc[monthly, "ressources_annuelles"] = data.loc[monthly, "ressources_mensuelles"] * 12
        report.repair("annual resources computed as 12 × monthly resources", int(monthly.sum()))
    data = report.drop(
        data,
        data["ressources_annuelles"].isna(),
        column="ressources_annuelles",
        reason="no resources given (annual or monthly)",
    )
    data = report.drop(
        data,
        data["nb_personnes"] < 1,
        column="nb_personnes",
        values=data["nb_personnes"],
        reason="a household has at least one person",
    )
    filled = data["nb_moins_14"].isna()
    if filled.any():
        data["nb_moins_14"] = data["nb_moins_14"].fillna(0)
        report.note(
            f"nb_moins_14 missing on {int(filled.sum())} row(s): counted as 0 children under 14"
        )
    data = report.drop(
        data,
        data["nb_moins_14"] >= data["nb_personnes"],
        column="nb_moins_14",
        values=data["nb_moins_14"],
        reason="children under 14 must be fewer than the persons (a household has an adult)",
    )
    return data.drop(columns="ressources_mensuelles")


def load_demandes(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the demand stock: one row per pending request.

    Required: ``id_demande``, ``code_insee`` (first commune wished), ``nb_personnes`` and
    ``ressources_annuelles`` (or ``ressources_mensuelles``, converted × 12).
    """
    data, report = load_tabular(source, DEMANDE_FIELDS, columns=columns)
    return Loaded(_household(data, report), report)


def load_attributions(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    annee: int | None = None,
    qpv_generation: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load attributions: one row per attribution of a dwelling.

    Parameters
    ----------
    source
        File or DataFrame with at least ``id_attribution``, ``annee``, ``code_insee``,
        ``nb_personnes`` and resources.
    annee
        The analysed year: attributions of other years are rejected with their row.
    qpv_generation
        Generation of ``code_qpv`` (2015 or 2024); ``None`` accepts both.
    """
    data, report = load_tabular(
        source, ATTRIBUTION_FIELDS, columns=columns, qpv_generation=qpv_generation
    )
    if annee is not None:
        data = drop_other_years(data, report, annee)
    # An absent flag column means the extract does not carry it: every lease is taken
    # as signed, nobody as rehoused or priority; both are said in the report.
    for flag, default in (
        ("bail_signe", True),
        ("relogement_ru", False),
        ("public_prioritaire", False),
    ):
        missing = data[flag].isna()
        if missing.any():
            report.note(
                f"{flag} empty on {int(missing.sum())} row(s): read as {'oui' if default else 'non'}"
            )
        data[flag] = data[flag].fillna(default).astype(bool)
    return Loaded(_household(data, report), report)
