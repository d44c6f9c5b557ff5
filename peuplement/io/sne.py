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
from typing import Any

import pandas as pd

from peuplement.io._spec import Field, load_tabular
from peuplement.validation import Loaded, LoadReport, drop_other_years

__all__ = [
    "ATTRIBUTION_FIELDS",
    "DEMANDE_FIELDS",
    "ENGAGEMENT_FIELDS",
    "HOUSING_BENEFIT_CODES",
    "load_attributions",
    "load_demandes",
    "load_engagements",
    "read_sne_xml",
]

#: Official SNE element names (interface NUU) and usual extract names of each household field.
#: Resources for the LEC quartile are the household's declared **monthly** resources × 12
#: (housing benefits excluded, as in the yearly arrêtés' tables); ``montantMoins1`` is
#: the revenu fiscal de référence of year N−1 (``demandeur/revenuFiscal``), a different
#: quantity mapped to its own column and never used as resources.
_HOUSEHOLD = [
    Field(
        "ressources_annuelles",
        "nonneg",
        ("ressources", "revenu_annuel", "montant_ressources_annuelles", "RESSOURCES_ANNUELLES"),
    ),
    Field(
        "ressources_mensuelles",
        "nonneg",
        (
            "montant_ressources_mensuelles",
            "ressources_mois",
            "ressourcesMensuelles",
            "montantRessourcesMensuelles",
            "RESSOURCES_MENSUELLES",
        ),
    ),
    Field(
        "revenu_fiscal_reference",
        "nonneg",
        ("montantMoins1", "revenu_fiscal", "rfr", "revenu_fiscal_n1", "REVENU_FISCAL"),
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
    Field("mutation", "bool", ("mutation_interne", "MUTATION", "demande_mutation")),
    Field("nb_pieces", "count", ("NBPIECE", "nombre_pieces", "nb_pieces_logement")),
    Field("x", "number", ("X", "x_l93")),
    Field("y", "number", ("Y", "y_l93")),
]


def _household(data: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Shared household checks: annual resources from monthly ones, a first adult, children within persons.

    A missing children count stays missing (never read as 0, which would overstate the
    units of consumption): :func:`peuplement.lec.classify` keeps the row only when the
    quartile is the same for every possible count.
    """
    monthly = data["ressources_mensuelles"].notna() & data["ressources_annuelles"].isna()
    if monthly.any():
        data.loc[monthly, "ressources_annuelles"] = data.loc[monthly, "ressources_mensuelles"] * 12
        report.repair(
            "ressources annuelles = 12 × ressources mensuelles déclarées", int(monthly.sum())
        )
    data = report.drop(
        data,
        data["ressources_annuelles"].isna(),
        column="ressources_annuelles",
        reason="ressources non renseignées (ni annuelles ni mensuelles ; le revenu fiscal de référence n'en tient pas lieu)",
    )
    data = report.drop(
        data,
        data["nb_personnes"] < 1,
        column="nb_personnes",
        values=data["nb_personnes"],
        reason="un ménage compte au moins une personne",
    )
    unknown = data["nb_moins_14"].isna()
    if unknown.any():
        report.note(
            f"nb_moins_14 vide sur {int(unknown.sum())} ligne(s) : laissé inconnu (classé seulement "
            "si le quartile ne dépend pas de ce nombre)"
        )
    data = report.drop(
        data,
        (data["nb_moins_14"] >= data["nb_personnes"]).fillna(False),
        column="nb_moins_14",
        values=data["nb_moins_14"],
        reason="les enfants de moins de 14 ans doivent être moins nombreux que les personnes (un ménage a un adulte)",
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

    Parameters
    ----------
    source
        CSV, Excel or Parquet file, or a DataFrame.
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for a column under an unusual name.

    Returns
    -------
    Loaded
        The requests with the columns of :data:`DEMANDE_FIELDS`; and the load report (rejected rows,
        repairs).
    """
    data, report = load_tabular(source, DEMANDE_FIELDS, columns=columns, template="demandes")
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
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for a column under an unusual name.

    Returns
    -------
    Loaded
        The attributions with the columns of :data:`ATTRIBUTION_FIELDS`; and the load report
        (rejected rows, repairs).
    """
    data, report = load_tabular(
        source,
        ATTRIBUTION_FIELDS,
        columns=columns,
        qpv_generation=qpv_generation,
        template="attributions",
    )
    if annee is not None:
        data = drop_other_years(data, report, annee)
    # A lease that may not have been signed is not an attribution of the objectives
    # (CCH L.441-1: "attributions suivies de baux signés"): an empty flag in a column the
    # extract carries is rejected, never read as signed.
    carried = data["bail_signe"].notna()
    if carried.any():
        data = report.drop(
            data,
            ~carried,
            column="bail_signe",
            values=data["bail_signe"],
            reason="bail signé non renseigné : impossible de savoir si l'attribution compte",
        )
    # An absent flag column means the extract does not carry it: every lease is taken
    # as signed, nobody as rehoused, priority or transferred; said in the report.
    for flag, default in (
        ("bail_signe", True),
        ("relogement_ru", False),
        ("public_prioritaire", False),
        ("mutation", False),
    ):
        missing = data[flag].isna()
        if missing.any():
            report.note(
                f"{flag} vide sur {int(missing.sum())} ligne(s) : lu {'oui' if default else 'non'}"
            )
        data[flag] = data[flag].fillna(default).astype(bool)
    return Loaded(_household(data, report), report)


#: Columns of the CIA's commitments file (convention intercommunale d'attribution).
ENGAGEMENT_FIELDS = [
    Field("annee", "year", ("annee_engagement", "millesime"), required=True),
    Field("bailleur", "text", ("organisme", "BAILLEUR")),
    Field("reservataire", "text", ("contingent", "RESERVATAIRE")),
    Field("objectif", "text", ("OBJECTIF",), required=True),
    Field("cible", "nonneg", ("taux", "part", "CIBLE")),
    Field("nombre", "count", ("nb_attributions", "NOMBRE")),
]

_OBJECTIVES = {"A", "A_hors_relogement", "B", "prioritaires"}


def load_engagements(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the CIA's commitments: targets per landlord and/or réservataire, objective and year.

    One row per commitment: ``annee``, ``objectif`` (``A``, ``A_hors_relogement``, ``B``,
    ``prioritaires``), ``bailleur`` and/or ``reservataire`` (both empty: the whole
    EPCI), and either ``cible`` (a share; ``25`` or ``25 %`` is read as 0.25) or
    ``nombre`` (a count of qualifying attributions), not both.

    Parameters
    ----------
    source
        CSV, Excel or Parquet file, or a DataFrame.
    columns
        Explicit ``{file_column: canonical_name}`` mapping, for a column under an unusual name.

    Returns
    -------
    Loaded
        The commitments and the load report (rejected rows, repairs).

    Examples
    --------
    A CSV (``;``)::

        annee;bailleur;reservataire;objectif;cible;nombre
        2026;SIA Habitat;;A;0,30;
        2026;;Action Logement;prioritaires;0,25;
        2026;Norevie;Etat;prioritaires;;12
    """
    if not isinstance(source, pd.DataFrame):
        data, report = load_tabular(
            source, ENGAGEMENT_FIELDS, columns=columns, template="engagements"
        )
    else:
        frame = source.copy()
        if "cible" in frame.columns:
            frame["cible"] = frame["cible"].astype("string").str.replace("%", "").str.strip()
        data, report = load_tabular(
            frame, ENGAGEMENT_FIELDS, columns=columns, template="engagements"
        )
    percent = data["cible"] > 1
    if percent.any():
        data.loc[percent, "cible"] = data.loc[percent, "cible"] / 100
        report.repair("cibles données en pourcentage, divisées par 100", int(percent.sum()))
    data = report.drop(
        data,
        ~data["objectif"].isin(_OBJECTIVES),
        column="objectif",
        values=data["objectif"],
        reason=f"objectif inconnu ; attendus : {', '.join(sorted(_OBJECTIVES))}",
    )
    data = report.drop(
        data,
        data["cible"].isna() == data["nombre"].isna(),
        column="cible/nombre",
        reason="un engagement donne soit une cible (taux), soit un nombre d'attributions, pas les deux ni aucun",
    )
    data = report.drop(
        data,
        data["cible"] > 1,
        column="cible",
        values=data["cible"],
        reason="cible au-delà de 100 %",
    )
    keys = ["annee", "bailleur", "reservataire", "objectif"]
    data = report.drop(
        data,
        data.duplicated(keys, keep="first"),
        column="objectif",
        values=data["objectif"],
        reason="engagement en double pour la même année, unité et objectif (premier gardé)",
    )
    return Loaded(data.drop(columns="ligne"), report)


#: SNE resource codes that are housing benefits, left out of the LEC resources.
HOUSING_BENEFIT_CODES = frozenset({"AL", "ALF", "ALS", "APL", "APL_AL"})

_NS = {"n": "http://nuu.application.i2/"}


def _received_amounts(person: Any) -> list[float]:
    """Monthly amounts received by every member, housing benefits excluded."""
    out = []
    for lst in person.iter():
        if not str(lst.tag).endswith(("}listeRessourceRecue", "}listeRessourceRecuePersACharge")):
            continue
        for detail in lst.iterfind("n:detailRessource", _NS):
            kind = detail.find("n:ressource", _NS)
            code = kind.get("code") if kind is not None else None
            if code not in HOUSING_BENEFIT_CODES:
                out.append(float(detail.findtext("n:montant", default="0", namespaces=_NS)))
    return out


def read_sne_xml(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read requests of an SNE exchange file (interface NUU, XML) into the flat demand columns.

    Per ``demandeLogement``: ``id_demande`` (``numUnique``), ``date_depot``
    (``dateCreationDemande``), ``ressources_mensuelles`` (sum of every
    ``listeRessourceRecue*/detailRessource/montant`` of the applicant, co-holders and
    dependants, housing benefits :data:`HOUSING_BENEFIT_CODES` excluded),
    ``revenu_fiscal_reference`` and ``annee_revenu_fiscal`` (``revenuFiscal/montantMoins1``
    and ``anneeMoins1`` of the applicant: **not** resources), ``nb_personnes``
    (applicant + co-holders + dependants) and ``nb_moins_14`` (dependants under 14 at
    the date of the request). Children in shared custody (``personneEnGarde``) and unborn
    children are not counted; the count is given in ``nb_autres_enfants`` to decide.

    Parameters
    ----------
    path
        The XML file.

    Returns
    -------
    pandas.DataFrame
        One row per request, with the columns above; :func:`load_demandes` validates it.
    """
    from xml.etree import ElementTree

    root = ElementTree.parse(os.fspath(path)).getroot()
    rows = []
    for dem in root.iterfind(".//n:demandeLogement", _NS):
        created = pd.Timestamp(dem.findtext("n:dateCreationDemande", default="", namespaces=_NS))
        person = dem.find("n:personnePhysique", _NS)
        if person is None:
            continue
        amounts = _received_amounts(person)
        births = [
            pd.Timestamp(p.findtext("n:dateNaissance", default="", namespaces=_NS))
            for p in person.iterfind("n:listePersonneACharge/n:personneACharge", _NS)
        ]
        rfr = person.findtext(
            "n:demandeur/n:revenuFiscal/n:montantMoins1", default=None, namespaces=_NS
        )
        others = len(person.findall("n:listePersonneEnGarde/n:personneEnGarde", _NS))
        others += int(person.findtext("n:personneANaitre/n:nombre", default="0", namespaces=_NS))
        rows.append(
            {
                "id_demande": dem.findtext("n:numUnique", namespaces=_NS),
                "date_depot": created,
                "ressources_mensuelles": sum(amounts),
                "revenu_fiscal_reference": float(rfr) if rfr else float("nan"),
                "annee_revenu_fiscal": person.findtext(
                    "n:demandeur/n:revenuFiscal/n:anneeMoins1", default=None, namespaces=_NS
                ),
                "nb_personnes": 1
                + len(person.findall("n:listeCotitulaire/n:cotitulaire", _NS))
                + len(births),
                "nb_moins_14": sum((created - b).days < 14 * 365.25 for b in births),
                "nb_autres_enfants": others,
            }
        )
    return pd.DataFrame(rows)
